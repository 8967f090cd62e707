/* SPDX-License-Identifier: MIT */
/* method_asgml_boost.c - ASGML v2: probe-guided continuous boosting of the
 * weak modality (asgml-methods(7), ASGML-BOOST; [D2] 3, 6, 7.1).
 *
 * H1: L = CE(z) + gamma sum_m CE(u_m) (heads provider, uni_weight = gamma).
 * H2 (every step, after OGM-GE when composed): every encoder-m gradient
 *     (the whole encoder span, BN included) x c_m; optional noise sigma_n > 0:
 *     4-D tensors g <- g + N(0, (sigma_n std(g after scaling) + 1e-8)^2).
 * H4 when (b+1) mod P == 0: one split-batch probe step per modality on this
 *     step's detached features (K Adam steps on f_m[0:h], h = floor(B/2);
 *     accuracy acc_m on f_m[h:B]), a_m <- 0.1 acc_m + 0.9 a_m, target
 *     scales s_m (asgml_boost_target_scales), c_m <- 0.3 s_m + 0.7 c_m.
 *     Scales computed at step t take effect from step t+1.
 *
 * Config ("asgml-boost.*"): alpha (0.5 alone, 0.75 when the run's "method"
 * also lists ogm-ge), scale-max 2.0, eval-freq 20, probe-steps 10,
 * scale-ema 0.3, noise 0, gamma 1.0, probe-type linear, probe-lr 1e-3,
 * probe-ema 0.1.
 * Log: boost.scale.<m> every step; at probe steps boost.acc.<m>,
 * boost.ema.<m>, boost.loss.<m>, boost.target.<m>, boost.gap,
 * boost.argmax, boost.argmin. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "methods/method_asgml_boost.h"
#include "methods/method_helpers.h"
#include "methods/probe_set.h"


/* ---- target scales (method_asgml_boost.h) ------------------------------ */

double asgml_boost_target_scales(int n, const double *a, double alpha, double s_max, double *s)
{
    double lo = a[0], hi = a[0];
    for (int m = 1; m < n; m++) {
        lo = a[m] < lo ? a[m] : lo;
        hi = a[m] > hi ? a[m] : hi;
    }
    for (int m = 0; m < n; m++) {
        if (hi - lo < 1e-8) {
            s[m] = 1.0;
        } else {
            double v = 1.0 + alpha * (1.0 - (a[m] - lo) / (hi - lo));
            s[m] = v < s_max ? v : s_max;
        }
    }
    return hi - lo;
}

/* ---- the method -------------------------------------------------------- */

typedef struct boost_state {
    int n;
    double alpha, scale_max, scale_ema, noise, gamma;
    int eval_freq, probe_steps;
    int ema_eval;                          /* asgml-boost.probe-ema-eval ([AF] replay) */
    asgml_probe_set probes;
    double c[ASGML_MAX_MODALITIES];        /* smoothed scales, 1 initially */
    double target[ASGML_MAX_MODALITIES];   /* last target scales */
} boost_state;

static void boost_destroy(void *state)
{
    boost_state *st = state;
    if (!st)
        return;
    asgml_probe_set_free(&st->probes);
    free(st);
}

static asgml_status boost_read(boost_state *st, asgml_config *cfg, const asgml_model_config *mc)
{
    long eval_freq, probe_steps;
    double alpha_default = asgml_method_composed_with(cfg, "ogm-ge") ? 0.75 : 0.5;

    CK(asgml_config_get_double(cfg, "asgml-boost.alpha", alpha_default, &st->alpha));
    CK(asgml_config_get_double(cfg, "asgml-boost.scale-max", 2.0, &st->scale_max));
    CK(asgml_config_get_double(cfg, "asgml-boost.scale-ema", 0.3, &st->scale_ema));
    CK(asgml_config_get_double(cfg, "asgml-boost.noise", 0.0, &st->noise));
    CK(asgml_config_get_double(cfg, "asgml-boost.gamma", 1.0, &st->gamma));
    CK(asgml_config_get_int(cfg, "asgml-boost.eval-freq", 20, &eval_freq));
    CK(asgml_config_get_int(cfg, "asgml-boost.probe-steps", 10, &probe_steps));
    CK(asgml_config_get_bool(cfg, "asgml-boost.probe-ema-eval", 0, &st->ema_eval));
    if (eval_freq < 1 || probe_steps < 1)
        return asgml_error(ASGML_EINVAL, "asgml-boost: eval-freq and probe-steps must be >= 1");
    if (!(st->alpha >= 0.0) || !(st->scale_max >= 1.0) || !(st->scale_ema > 0.0 &&
        st->scale_ema <= 1.0) || !(st->noise >= 0.0) || !(st->gamma >= 0.0))
        return asgml_error(ASGML_EINVAL, "asgml-boost: need alpha >= 0, scale-max >= 1, "
                           "0 < scale-ema <= 1, noise >= 0, gamma >= 0");
    st->eval_freq = (int)eval_freq;
    st->probe_steps = (int)probe_steps;
    return asgml_probe_set_config(&st->probes, cfg, "asgml-boost", mc, UINT64_C(0xB0057000));
}

static asgml_status boost_create(asgml_config *cfg, const asgml_model_config *mc, void **state)
{
    boost_state *st;
    asgml_status rc;

    *state = NULL;
    if (mc->num_modalities < 2)
        return asgml_error(ASGML_EINVAL, "asgml-boost: needs at least two modalities (model has %d)",
                           mc->num_modalities);
    st = calloc(1, sizeof *st);
    if (!st)
        return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    st->n = mc->num_modalities;
    for (int m = 0; m < st->n; m++)
        st->c[m] = st->target[m] = 1.0;
    if ((rc = boost_read(st, cfg, mc)) != ASGML_OK) {
        boost_destroy(st);
        return rc;
    }
    *state = st;
    return ASGML_OK;
}

static asgml_status boost_before_backward(void *state, asgml_step *s)
{
    boost_state *st = state;
    for (int m = 0; m < st->n; m++)
        s->uni_weight[m] = (float)st->gamma;
    return ASGML_OK;
}

static asgml_status boost_modulate(void *state, asgml_step *s)
{
    boost_state *st = state;
    asgml_backend *be = s->be;
    float *grads = asgml_model_grads(s->model);
    char key[96];
    int nviews;
    const asgml_param_view *views = asgml_model_param_views(s->model, &nviews);

    for (int m = 0; m < st->n; m++) {
        int64_t off, cnt;
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "boost.scale", s, m), st->c[m]);
        if (!s->encoder_active[m])
            continue;
        asgml_model_group_span(s->model, m, &off, &cnt);
        if (st->c[m] != 1.0)
            CK(be->ops->scale(be, cnt, (float)st->c[m], grads + off));
        if (st->noise <= 0.0)
            continue;
        for (int v = 0; v < nviews; v++) {
            const asgml_param_view *pv = &views[v];
            double mean, sd;
            if (pv->group != m || !(pv->is_conv || pv->ndim == 4))
                continue;
            CK(be->ops->mean_std(be, pv->numel, grads + pv->offset, &mean, &sd));
            CK(be->ops->gaussian_noise(be, pv->numel, (float)(st->noise * sd + 1e-8), s->seed,
                                       *s->noise_offset, grads + pv->offset));
            *s->noise_offset += (uint64_t)(pv->numel + 1) / 2;
        }
    }
    return ASGML_OK;
}

static asgml_status boost_after_step(void *state, asgml_step *s)
{
    boost_state *st = state;
    char key[96];
    int amax = 0, amin = 0;

    /* the cadence counts batches inside an epoch: a period longer than the
     * epoch would never run the probes, and the method would silently be
     * plain joint training */
    if (st->eval_freq > s->batches_per_epoch)
        return asgml_error(ASGML_EINVAL,
                           "asgml-boost.eval-freq (%d) exceeds the %d batches of an epoch: the "
                           "probes would never run; set asgml-boost.eval-freq <= %d",
                           st->eval_freq, s->batches_per_epoch, s->batches_per_epoch);
    if ((s->batch + 1) % st->eval_freq != 0 || s->batch_size < 2)
        return ASGML_OK;
    CK(asgml_probe_set_run(&st->probes, s, st->probe_steps));
    double gap = asgml_boost_target_scales(st->n, st->probes.ema, st->alpha, st->scale_max,
                                           st->target);
    for (int m = 0; m < st->n; m++) {
        st->c[m] = st->scale_ema * st->target[m] + (1.0 - st->scale_ema) * st->c[m];
        if (st->probes.ema[m] > st->probes.ema[amax]) amax = m;
        if (st->probes.ema[m] < st->probes.ema[amin]) amin = m;
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "boost.acc", s, m),
                      st->probes.acc[m]);
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "boost.ema", s, m),
                      st->probes.ema[m]);
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "boost.loss", s, m),
                      st->probes.loss[m]);
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "boost.target", s, m),
                      st->target[m]);
    }
    asgml_log_num(s->log, "boost.gap", gap);
    asgml_log_str(s->log, "boost.argmax", s->modality_names[amax] ? s->modality_names[amax] : "");
    asgml_log_str(s->log, "boost.argmin", s->modality_names[amin] ? s->modality_names[amin] : "");
    return ASGML_OK;
}

/* H5, asgml-boost.probe-ema-eval on: the [AF] replay (methods.md 5.1) --
 * probes on the whole test split after the epoch's evaluation, feeding the
 * same EMA the scales read (test data leaks into the control signal). */
static asgml_status boost_epoch_end(void *state, asgml_step *s)
{
    boost_state *st = state;
    double acc[ASGML_MAX_MODALITIES];
    char key[96];
    if (!st->ema_eval)
        return ASGML_OK;
    CK(asgml_probe_set_eval_part(&st->probes, s, "test", acc));
    for (int m = 0; m < st->n; m++) {
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "boost.test_probe_acc", s, m),
                      acc[m]);
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "boost.ema", s, m),
                      st->probes.ema[m]);
    }
    return ASGML_OK;
}

static asgml_status boost_save(void *state, asgml_state_io *io)
{
    boost_state *st = state;
    double v[2 * ASGML_MAX_MODALITIES];
    for (int m = 0; m < st->n; m++) {
        v[m] = st->c[m];
        v[st->n + m] = st->target[m];
    }
    CK(asgml_state_put(io, "asgml-boost.scales", v, 2 * st->n));
    return asgml_probe_set_save(&st->probes, io, "asgml-boost");
}

static asgml_status boost_load(void *state, asgml_state_io *io)
{
    boost_state *st = state;
    double v[2 * ASGML_MAX_MODALITIES];
    CK(asgml_state_get(io, "asgml-boost.scales", v, 2 * st->n));
    for (int m = 0; m < st->n; m++) {
        st->c[m] = v[m];
        st->target[m] = v[st->n + m];
    }
    return asgml_probe_set_load(&st->probes, io, "asgml-boost");
}

const asgml_method_ops asgml_method_asgml_boost = {
    .name = "asgml-boost",
    .summary = "ASGML v2: probe-guided continuous boosting of the weak encoder's gradients",
    .needs = ASGML_NEEDS_UNI_HEADS,
    .h2_rank = 30,
    .create = boost_create,
    .destroy = boost_destroy,
    .before_backward = boost_before_backward,
    .modulate = boost_modulate,
    .after_step = boost_after_step,
    .epoch_end = boost_epoch_end,
    .save = boost_save,
    .load = boost_load,
};
