/* SPDX-License-Identifier: MIT */
/* method_asgml_stale.c - ASGML v1, staleness mode: encoders step with
 * delayed gradients (asgml-methods(7), ASGML-STALE; [AF] StalenessBuffer,
 * apply_staleness_gradients).
 *
 * Ring buffer per modality in backend memory: capacity floor(tau_max) + 2
 * copies of the encoder-m gradient span (cnt floats each).
 * H1: uni_weight[m] = gamma (every encoder updates every step).
 * H2 (after OGM-GE): push a copy of the encoder-m gradient; age
 *     adaptive a_m = max(0, kappa-bound(round_he(tau_eff_m) - 1)),
 *     fixed a_dom = fixed-staleness, others 0 (kappa bound too);
 *     look-back (asgml_v1_stale_lookback): intended = exactly a_m steps
 *     ago, ref = [AF]'s a_m-th newest (a_m - 1 steps ago); if the buffer is
 *     deep enough the gradient is replaced by the stored one x comp
 *     (div: 1 / (1 + lambda a_m), mul: 1 + lambda a_m), else kept unscaled.
 * H4: the v1 scheduler.
 *
 * Config: "asgml.*" and asgml-stale.comp div|mul|off, asgml-stale.index
 * intended|ref, asgml-stale.adapt adaptive|fixed,
 * asgml-stale.fixed-staleness 2, asgml-stale.dominant (default the first
 * modality).
 * Log: asgml.tau.<m>, asgml.age.<m>, asgml.stale.<m> (1 = stale gradient
 * used), asgml.lookback.<m>, asgml.comp.<m>, asgml.depth.<m>. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "methods/method_asgml_stale.h"
#include "methods/method_helpers.h"
#include "methods/v1_schedule.h"


/* ---- look-back and ages (method_asgml_stale.h) ------------------------- */

int asgml_v1_stale_lookback(int depth, int age, int ref_index)
{
    if (age <= 0)
        return -1;
    if (ref_index)
        return depth >= age ? age - 1 : -1;
    return depth >= age + 1 ? age : -1;
}

void asgml_v1_stale_ages(int n, const double *tau, double kappa, int *age)
{
    for (int m = 0; m < n; m++)
        age[m] = asgml_v1_round_he(tau[m]) - 1;
    asgml_v1_kappa_bound(n, age, kappa);
    for (int m = 0; m < n; m++)
        age[m] = age[m] < 0 ? 0 : age[m];
}

/* ---- the method -------------------------------------------------------- */

typedef struct stale_ring {
    float *buf;          /* backend (cap, cnt) */
    int64_t off, cnt;    /* encoder gradient span */
    int head, depth;     /* next slot to write; entries held */
    float *pending;      /* host (depth, cnt) oldest first, loaded before bind */
    int pending_depth;
} stale_ring;

typedef struct stale_state {
    asgml_v1_sched sc;
    asgml_comp_mode comp;
    int ref_index, fixed, dominant;
    long fixed_staleness;
    int cap;
    asgml_backend *be;
    stale_ring ring[ASGML_MAX_MODALITIES];
} stale_state;

static void stale_destroy(void *state)
{
    stale_state *st = state;
    if (!st)
        return;
    for (int m = 0; m < ASGML_MAX_MODALITIES; m++) {
        if (st->be && st->ring[m].buf)
            st->be->ops->free(st->be, st->ring[m].buf);
        free(st->ring[m].pending);
    }
    asgml_v1_sched_free(&st->sc);
    free(st);
}

static asgml_status stale_read(stale_state *st, asgml_config *cfg, const asgml_model_config *mc)
{
    const char *comp, *index, *adapt, *dom;

    CK(asgml_v1_sched_config(&st->sc, cfg, mc));
    CK(asgml_config_get_string(cfg, "asgml-stale.comp", "div", &comp));
    CK(asgml_config_get_string(cfg, "asgml-stale.index", "intended", &index));
    CK(asgml_config_get_string(cfg, "asgml-stale.adapt", "adaptive", &adapt));
    CK(asgml_config_get_int(cfg, "asgml-stale.fixed-staleness", 2, &st->fixed_staleness));
    CK(asgml_config_get_string(cfg, "asgml-stale.dominant", mc->enc[0].name, &dom));
    CK(asgml_v1_parse_comp("asgml-stale.comp", comp, &st->comp));
    if (strcmp(index, "intended") == 0) st->ref_index = 0;
    else if (strcmp(index, "ref") == 0) st->ref_index = 1;
    else
        return asgml_error(ASGML_EINVAL, "asgml-stale.index: '%s' is not one of intended, ref",
                           index);
    if (strcmp(adapt, "adaptive") == 0) st->fixed = 0;
    else if (strcmp(adapt, "fixed") == 0) st->fixed = 1;
    else
        return asgml_error(ASGML_EINVAL, "asgml-stale.adapt: '%s' is not one of adaptive, fixed",
                           adapt);
    st->dominant = asgml_method_modality_index(mc, dom);
    if (st->dominant < 0)
        return asgml_error(ASGML_EINVAL, "asgml-stale.dominant: no modality named '%s'", dom);
    st->cap = (int)floor(st->sc.tau_max) + 2;
    if (st->fixed_staleness < 0 || st->fixed_staleness + 1 > st->cap)
        return asgml_error(ASGML_EINVAL, "asgml-stale.fixed-staleness: %ld not in 0..%d "
                           "(buffer capacity floor(tau-max) + 2 = %d)", st->fixed_staleness,
                           st->cap - 1, st->cap);
    return ASGML_OK;
}

static asgml_status stale_create(asgml_config *cfg, const asgml_model_config *mc, void **state)
{
    stale_state *st;
    asgml_status rc;

    *state = NULL;
    st = calloc(1, sizeof *st);
    if (!st)
        return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    if ((rc = stale_read(st, cfg, mc)) != ASGML_OK) {
        stale_destroy(st);
        return rc;
    }
    *state = st;
    return ASGML_OK;
}

/* Allocates the ring buffers on the first hook; uploads loaded entries. */
static asgml_status stale_bind(stale_state *st, asgml_step *s)
{
    asgml_backend *be = s->be;

    if (st->be)
        return ASGML_OK;
    st->be = be;
    for (int m = 0; m < st->sc.n; m++) {
        stale_ring *r = &st->ring[m];
        void *ptr = NULL;
        asgml_model_group_span(s->model, m, &r->off, &r->cnt);
        CK(be->ops->alloc(be, (size_t)st->cap * (size_t)r->cnt * sizeof(float), &ptr));
        r->buf = ptr;
        r->head = r->depth = 0;
        if (r->pending) {
            CK(be->ops->to_device(be, r->buf, r->pending,
                                  (size_t)r->pending_depth * (size_t)r->cnt * sizeof(float)));
            r->depth = r->pending_depth;
            r->head = r->depth % st->cap;
            free(r->pending);
            r->pending = NULL;
        }
    }
    return ASGML_OK;
}

static asgml_status stale_before_backward(void *state, asgml_step *s)
{
    stale_state *st = state;
    CK(stale_bind(st, s));
    for (int m = 0; m < st->sc.n; m++)
        s->uni_weight[m] = (float)st->sc.gamma;
    asgml_v1_sched_before_backward(&st->sc, s);   /* asgml.grad-signal */
    return ASGML_OK;
}

static asgml_status stale_modulate(void *state, asgml_step *s)
{
    stale_state *st = state;
    asgml_backend *be = s->be;
    float *grads = asgml_model_grads(s->model);
    int n = st->sc.n, age[ASGML_MAX_MODALITIES];
    double tau_eff[ASGML_MAX_MODALITIES] = { 0 };
    char key[96];

    CK(stale_bind(st, s));
    for (int m = 0; m < n; m++)
        tau_eff[m] = asgml_v1_sched_tau_eff(&st->sc, m, s->step);
    if (st->fixed) {
        for (int m = 0; m < n; m++)
            age[m] = m == st->dominant ? (int)st->fixed_staleness : 0;
        asgml_v1_kappa_bound(n, age, st->sc.kappa);
    } else {
        asgml_v1_stale_ages(n, tau_eff, st->sc.kappa, age);
    }
    for (int m = 0; m < n; m++) {
        stale_ring *r = &st->ring[m];
        float *g = grads + r->off;
        int back, applied = 0;
        double f = 1.0;

        if (!s->encoder_active[m])
            continue;
        /* push this step's (post-OGM) gradient */
        CK(be->ops->copy(be, r->cnt, g, r->buf + (size_t)r->head * (size_t)r->cnt));
        r->head = (r->head + 1) % st->cap;
        r->depth = r->depth < st->cap ? r->depth + 1 : st->cap;
        back = asgml_v1_stale_lookback(r->depth, age[m], st->ref_index);
        if (back >= 0) {
            int slot = ((r->head - 1 - back) % st->cap + st->cap) % st->cap;
            f = asgml_v1_comp_factor(st->comp, st->sc.lambda, age[m], 1);
            CK(be->ops->copy(be, r->cnt, r->buf + (size_t)slot * (size_t)r->cnt, g));
            if (f != 1.0)
                CK(be->ops->scale(be, r->cnt, (float)f, g));
            applied = 1;
        }
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "asgml.tau", s, m), tau_eff[m]);
        asgml_log_int(s->log, asgml_method_key(key, sizeof key, "asgml.age", s, m), age[m]);
        asgml_log_int(s->log, asgml_method_key(key, sizeof key, "asgml.stale", s, m), applied);
        asgml_log_int(s->log, asgml_method_key(key, sizeof key, "asgml.lookback", s, m), back);
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "asgml.comp", s, m), f);
        asgml_log_int(s->log, asgml_method_key(key, sizeof key, "asgml.depth", s, m), r->depth);
    }
    return ASGML_OK;
}

static asgml_status stale_after_step(void *state, asgml_step *s)
{
    stale_state *st = state;
    st->sc.tau_unused = st->fixed;
    return asgml_v1_sched_after_step(&st->sc, s);
}

/* Entries are saved oldest first as "asgml-stale.ring<m>.<i>" (double
 * arrays of the span length), so a checkpoint does not depend on the
 * ring's head position. */
static asgml_status stale_save(void *state, asgml_state_io *io)
{
    stale_state *st = state;
    double meta[ASGML_MAX_MODALITIES * 2];
    asgml_status rc = ASGML_OK;

    for (int m = 0; m < st->sc.n; m++) {
        stale_ring *r = &st->ring[m];
        meta[2 * m] = st->be ? r->depth : r->pending ? r->pending_depth : 0;
        meta[2 * m + 1] = (double)r->cnt;
    }
    CK(asgml_state_put(io, "asgml-stale.depth", meta, 2 * st->sc.n));
    for (int m = 0; rc == ASGML_OK && m < st->sc.n; m++) {
        stale_ring *r = &st->ring[m];
        int depth = (int)meta[2 * m];
        float *host = depth > 0 ? malloc((size_t)r->cnt * sizeof(float)) : NULL;
        double *dbl = depth > 0 ? malloc((size_t)r->cnt * sizeof(double)) : NULL;
        if (depth > 0 && (!host || !dbl))
            rc = ASGML_ERR(ASGML_ENOMEM, "out of memory");
        for (int i = 0; rc == ASGML_OK && i < depth; i++) {
            char name[64];
            if (st->be) {
                int slot = ((r->head - depth + i) % st->cap + st->cap) % st->cap;
                rc = st->be->ops->to_host(st->be, host, r->buf + (size_t)slot * (size_t)r->cnt,
                                          (size_t)r->cnt * sizeof(float));
            } else {
                memcpy(host, r->pending + (size_t)i * (size_t)r->cnt,
                       (size_t)r->cnt * sizeof(float));
            }
            if (rc != ASGML_OK)
                break;
            for (int64_t j = 0; j < r->cnt; j++)
                dbl[j] = host[j];
            snprintf(name, sizeof name, "asgml-stale.ring%d.%d", m, i);
            rc = asgml_state_put(io, name, dbl, r->cnt);
        }
        free(host);
        free(dbl);
    }
    if (rc != ASGML_OK)
        return rc;
    return asgml_v1_sched_save(&st->sc, io);
}

static asgml_status stale_load(void *state, asgml_state_io *io)
{
    stale_state *st = state;
    double meta[ASGML_MAX_MODALITIES * 2];

    CK(asgml_state_get(io, "asgml-stale.depth", meta, 2 * st->sc.n));
    for (int m = 0; m < st->sc.n; m++) {
        stale_ring *r = &st->ring[m];
        int depth = (int)meta[2 * m];
        int64_t cnt = (int64_t)meta[2 * m + 1];
        if (depth < 0 || depth > st->cap || (st->be && depth > 0 && cnt != r->cnt))
            return asgml_error(ASGML_EFORMAT, "asgml-stale.depth: modality %d: %d entries of %lld "
                               "floats do not fit this run's buffer", m, depth, (long long)cnt);
        free(r->pending);
        r->pending = NULL;
        r->pending_depth = 0;
        if (depth == 0) {
            r->depth = r->head = 0;
            continue;
        }
        float *host = malloc((size_t)depth * (size_t)cnt * sizeof(float));
        double *dbl = malloc((size_t)cnt * sizeof(double));
        asgml_status rc = host && dbl ? ASGML_OK
            : ASGML_ERR(ASGML_ENOMEM, "out of memory");
        for (int i = 0; rc == ASGML_OK && i < depth; i++) {
            char name[64];
            snprintf(name, sizeof name, "asgml-stale.ring%d.%d", m, i);
            rc = asgml_state_get(io, name, dbl, cnt);
            for (int64_t j = 0; rc == ASGML_OK && j < cnt; j++)
                host[(size_t)i * (size_t)cnt + (size_t)j] = (float)dbl[j];
        }
        free(dbl);
        if (rc == ASGML_OK && st->be) {
            rc = st->be->ops->to_device(st->be, r->buf, host,
                                        (size_t)depth * (size_t)cnt * sizeof(float));
            r->depth = depth;
            r->head = depth % st->cap;
            free(host);
        } else if (rc == ASGML_OK) {
            r->pending = host;           /* uploaded by stale_bind */
            r->pending_depth = depth;
        } else {
            free(host);
        }
        if (rc != ASGML_OK)
            return rc;
    }
    return asgml_v1_sched_load(&st->sc, io);
}

const asgml_method_ops asgml_method_asgml_stale = {
    .name = "asgml-stale",
    .summary = "ASGML v1: encoders step with delayed gradients from a ring buffer",
    .needs = ASGML_NEEDS_UNI_HEADS,
    .h2_rank = 20,
    .create = stale_create,
    .destroy = stale_destroy,
    .before_backward = stale_before_backward,
    .modulate = stale_modulate,
    .after_step = stale_after_step,
    .save = stale_save,
    .load = stale_load,
};
