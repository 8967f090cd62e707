/* SPDX-License-Identifier: MIT */
/* method_asgml_freq.c - ASGML v1, frequency mode: fast-learning encoders
 * update less often (asgml-methods(7), ASGML V1 SCHEDULER and ASGML-FREQ; [D1] 3.3, 5.3).
 *
 * H1 (every step t = global optimiser step):
 *     adaptive: tau_eff_m = warm-up(tau_m, t); tau_hat = max(1, kappa-bound
 *               round_he(tau_eff)); M_m = [t mod tau_hat_m == 0]
 *     fixed:    the dominant encoder updates iff t mod fixed_ratio == 0,
 *               the others always
 *     uni_weight[m] = gamma M_m.
 * H2 (after OGM-GE): updating encoder with tau_hat > 1: gradient x
 *     (1 + lambda tau_hat) (comp mul) or / (1 + lambda tau_hat) (div);
 *     skipped encoder: zero -> gradient 0, soft -> x soft-scale, freeze ->
 *     gradient 0 and encoder_active[m] = 0 (H3 leaves encoder m, its
 *     momentum and its unimodal head untouched).  Freeze acts in H2, not
 *     in H1, so that the loop's backward still reaches the skipped encoder
 *     and g_m (grad_norm_pre, the v1 scheduler's gradient signal) is the
 *     norm of its gradient of the whole loss, as the reference code
 *     computes it for every encoder every step (VuVoCodes/
 *     AsynchronousFunction scripts/train.py train_epoch:
 *     compute_gradient_norms before the frequency mask); an H1 freeze
 *     made g_m = 0 and biased G_m down for the throttled encoder
 *     (asgml-methods(7), ASGML-FREQ).
 * H4: the v1 scheduler (signals, probes, tau at the eval_freq cadence).
 * H5 epoch_end: fraction of the epoch's steps each encoder was updated.
 *
 * Config: "asgml.*" (v1_schedule.h), and asgml-freq.skip-mode freeze|zero|soft,
 * asgml-freq.soft-scale 0.1, asgml-freq.comp mul|div|off,
 * asgml-freq.adapt adaptive|fixed, asgml-freq.fixed-ratio 2,
 * asgml-freq.dominant (modality name, default the first modality).
 * Log: asgml.tau.<m>, asgml.tau_hat.<m>, asgml.mask.<m>, asgml.comp.<m>,
 * asgml.age.<m> (steps since encoder m last updated: t - t_last when
 * M_m = 0, 0 when it updates at t; t + 1 before its first update),
 * asgml.gbar.<m>; at recomputation asgml.S/G/D/tau_new.<m>; per epoch
 * asgml.update_frac.<m>. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "methods/method_asgml_freq.h"
#include "methods/method_helpers.h"
#include "methods/v1_schedule.h"


/* ---- update periods and masks (method_asgml_freq.h) -------------------- */

void asgml_v1_tau_hat(int n, const double *tau, double kappa, int *hat)
{
    for (int m = 0; m < n; m++)
        hat[m] = asgml_v1_round_he(tau[m]);
    asgml_v1_kappa_bound(n, hat, kappa);
    for (int m = 0; m < n; m++)
        hat[m] = hat[m] < 1 ? 1 : hat[m];
}

int asgml_v1_update_mask(int64_t t, int tau_hat)
{
    return tau_hat <= 1 || t % tau_hat == 0;
}

/* ---- the method -------------------------------------------------------- */

typedef enum { SKIP_FREEZE = 0, SKIP_ZERO, SKIP_SOFT } skip_mode;

typedef struct freq_state {
    asgml_v1_sched sc;
    skip_mode skip;
    double soft_scale;
    asgml_comp_mode comp;
    int fixed;                 /* 0 adaptive, 1 fixed */
    long fixed_ratio;
    int dominant;
    /* this step */
    int hat[ASGML_MAX_MODALITIES], mask[ASGML_MAX_MODALITIES];
    /* this epoch */
    double updates[ASGML_MAX_MODALITIES], steps;
    /* the step of each encoder's last update (-1: none yet; checkpointed) */
    int64_t last[ASGML_MAX_MODALITIES];
} freq_state;

static void freq_destroy(void *state)
{
    freq_state *st = state;
    if (!st)
        return;
    asgml_v1_sched_free(&st->sc);
    free(st);
}

static asgml_status freq_read(freq_state *st, asgml_config *cfg, const asgml_model_config *mc)
{
    const char *skip, *comp, *adapt, *dom;

    CK(asgml_v1_sched_config(&st->sc, cfg, mc));
    CK(asgml_config_get_string(cfg, "asgml-freq.skip-mode", "freeze", &skip));
    CK(asgml_config_get_double(cfg, "asgml-freq.soft-scale", 0.1, &st->soft_scale));
    CK(asgml_config_get_string(cfg, "asgml-freq.comp", "mul", &comp));
    CK(asgml_config_get_string(cfg, "asgml-freq.adapt", "adaptive", &adapt));
    CK(asgml_config_get_int(cfg, "asgml-freq.fixed-ratio", 2, &st->fixed_ratio));
    CK(asgml_config_get_string(cfg, "asgml-freq.dominant", mc->enc[0].name, &dom));
    if (strcmp(skip, "freeze") == 0) st->skip = SKIP_FREEZE;
    else if (strcmp(skip, "zero") == 0) st->skip = SKIP_ZERO;
    else if (strcmp(skip, "soft") == 0) st->skip = SKIP_SOFT;
    else
        return asgml_error(ASGML_EINVAL, "asgml-freq.skip-mode: '%s' is not one of freeze, zero, "
                           "soft", skip);
    CK(asgml_v1_parse_comp("asgml-freq.comp", comp, &st->comp));
    if (strcmp(adapt, "adaptive") == 0) st->fixed = 0;
    else if (strcmp(adapt, "fixed") == 0) st->fixed = 1;
    else
        return asgml_error(ASGML_EINVAL, "asgml-freq.adapt: '%s' is not one of adaptive, fixed",
                           adapt);
    if (st->fixed_ratio < 1)
        return asgml_error(ASGML_EINVAL, "asgml-freq.fixed-ratio: %ld is not >= 1",
                           st->fixed_ratio);
    if (!(st->soft_scale >= 0.0))
        return asgml_error(ASGML_EINVAL, "asgml-freq.soft-scale: %g is not >= 0", st->soft_scale);
    st->dominant = asgml_method_modality_index(mc, dom);
    if (st->dominant < 0)
        return asgml_error(ASGML_EINVAL, "asgml-freq.dominant: no modality named '%s'", dom);
    return ASGML_OK;
}

static asgml_status freq_create(asgml_config *cfg, const asgml_model_config *mc, void **state)
{
    freq_state *st;
    asgml_status rc;

    *state = NULL;
    st = calloc(1, sizeof *st);
    if (!st)
        return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    if ((rc = freq_read(st, cfg, mc)) != ASGML_OK) {
        freq_destroy(st);
        return rc;
    }
    for (int m = 0; m < ASGML_MAX_MODALITIES; m++)
        st->last[m] = -1;
    *state = st;
    return ASGML_OK;
}

static asgml_status freq_epoch_begin(void *state, asgml_step *s)
{
    freq_state *st = state;
    (void)s;
    memset(st->updates, 0, sizeof st->updates);
    st->steps = 0;
    return ASGML_OK;
}

static asgml_status freq_before_backward(void *state, asgml_step *s)
{
    freq_state *st = state;
    int n = st->sc.n;
    int64_t t = s->step;
    double tau_eff[ASGML_MAX_MODALITIES] = { 0 };
    char key[96];

    if (st->fixed) {
        for (int m = 0; m < n; m++) {
            st->hat[m] = m == st->dominant ? (int)st->fixed_ratio : 1;
            st->mask[m] = m == st->dominant ? t % st->fixed_ratio == 0 : 1;
            tau_eff[m] = st->hat[m];
        }
    } else {
        for (int m = 0; m < n; m++)
            tau_eff[m] = asgml_v1_sched_tau_eff(&st->sc, m, t);
        asgml_v1_tau_hat(n, tau_eff, st->sc.kappa, st->hat);
        for (int m = 0; m < n; m++)
            st->mask[m] = asgml_v1_update_mask(t, st->hat[m]);
    }
    for (int m = 0; m < n; m++) {
        s->uni_weight[m] = (float)(st->sc.gamma * st->mask[m]);
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "asgml.tau", s, m), tau_eff[m]);
        asgml_log_int(s->log, asgml_method_key(key, sizeof key, "asgml.tau_hat", s, m),
                      st->hat[m]);
        asgml_log_int(s->log, asgml_method_key(key, sizeof key, "asgml.mask", s, m),
                      st->mask[m]);
        asgml_log_int(s->log, asgml_method_key(key, sizeof key, "asgml.age", s, m),
                      st->mask[m] ? 0 : t - st->last[m]);
        if (st->mask[m])
            st->last[m] = t;
    }
    asgml_v1_sched_before_backward(&st->sc, s);   /* asgml.grad-signal */
    return ASGML_OK;
}

static asgml_status freq_modulate(void *state, asgml_step *s)
{
    freq_state *st = state;
    asgml_backend *be = s->be;
    float *grads = asgml_model_grads(s->model);
    char key[96];

    for (int m = 0; m < st->sc.n; m++) {
        int64_t off, cnt;
        double f;
        if (st->mask[m])
            f = asgml_v1_comp_factor(st->comp, st->sc.lambda, st->hat[m], 1);
        else
            f = st->skip == SKIP_SOFT ? st->soft_scale : 0.0;
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "asgml.comp", s, m), f);
        if (!st->mask[m] && st->skip == SKIP_FREEZE)
            s->encoder_active[m] = 0;   /* H3: no step, no momentum, no decay */
        if (f == 1.0)
            continue;
        asgml_model_group_span(s->model, m, &off, &cnt);
        if (f == 0.0)
            CK(be->ops->fill(be, cnt, 0.0f, grads + off));
        else
            CK(be->ops->scale(be, cnt, (float)f, grads + off));
    }
    return ASGML_OK;
}

static asgml_status freq_after_step(void *state, asgml_step *s)
{
    freq_state *st = state;
    for (int m = 0; m < st->sc.n; m++)
        st->updates[m] += st->mask[m];
    st->steps += 1;
    st->sc.tau_unused = st->fixed;
    return asgml_v1_sched_after_step(&st->sc, s);
}

static asgml_status freq_epoch_end(void *state, asgml_step *s)
{
    freq_state *st = state;
    char key[96];
    for (int m = 0; m < st->sc.n; m++)
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "asgml.update_frac", s, m),
                      st->steps > 0 ? st->updates[m] / st->steps : 0.0);
    return ASGML_OK;
}

static asgml_status freq_save(void *state, asgml_state_io *io)
{
    freq_state *st = state;
    double v[ASGML_MAX_MODALITIES + 1];
    for (int m = 0; m < st->sc.n; m++)
        v[m] = st->updates[m];
    v[st->sc.n] = st->steps;
    CK(asgml_state_put(io, "asgml-freq.epoch_counts", v, st->sc.n + 1));
    for (int m = 0; m < st->sc.n; m++)
        v[m] = (double)st->last[m];
    CK(asgml_state_put(io, "asgml-freq.last_update", v, st->sc.n));
    return asgml_v1_sched_save(&st->sc, io);
}

static asgml_status freq_load(void *state, asgml_state_io *io)
{
    freq_state *st = state;
    double v[ASGML_MAX_MODALITIES + 1];
    CK(asgml_state_get(io, "asgml-freq.epoch_counts", v, st->sc.n + 1));
    for (int m = 0; m < st->sc.n; m++)
        st->updates[m] = v[m];
    st->steps = v[st->sc.n];
    CK(asgml_state_get(io, "asgml-freq.last_update", v, st->sc.n));
    for (int m = 0; m < st->sc.n; m++)
        st->last[m] = (int64_t)v[m];
    return asgml_v1_sched_load(&st->sc, io);
}

const asgml_method_ops asgml_method_asgml_freq = {
    .name = "asgml-freq",
    .summary = "ASGML v1: fast-learning encoders update every tau_hat steps (skip + compensation)",
    .needs = ASGML_NEEDS_UNI_HEADS,
    .h2_rank = 20,
    .create = freq_create,
    .destroy = freq_destroy,
    .epoch_begin = freq_epoch_begin,
    .before_backward = freq_before_backward,
    .modulate = freq_modulate,
    .after_step = freq_after_step,
    .epoch_end = freq_epoch_end,
    .save = freq_save,
    .load = freq_load,
};
