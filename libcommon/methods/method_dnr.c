/* SPDX-License-Identifier: MIT */
/* method_dnr.c - diagnosing and re-learning (asgml-methods(7), DNR; Wei et
 * al., "Diagnosing and Re-learning for Balanced Multimodal Learning", ECCV
 * 2024, Eq. 3-6; GeWu-Lab/Diagnosing_Relearning_ECCV2024 code/ours.py
 * reinit_score, reinit, main; code/script/ours.sh).
 *
 * Loss: CE(z) only (the loop's default; no hook).  H5 epoch_begin of the
 * first epoch: theta_m^init = the encoder-m parameters of the initialised
 * model (host copy, (span_m) floats; ours.py saves init_para.pkl before
 * training).  H5 epoch_end of epoch e (after training and evaluating it, as
 * ours.py main), when e > 0, e mod H == 0 and fewer than R diagnoses were
 * done:
 *   f_m (n, D): inference-mode encoder features of every training sample
 *       (hold-out remainder) and of the validation split
 *       (asgml_step_features "train" / "val");
 *   per set: columns min-max scaled to [-1, 1], k-means with C clusters,
 *       purity P = (1/n) sum_clusters max_label count (asgml_dnr_purity);
 *   gap_m = |P_m^train - P_m^val|, w_m = tanh(lambda gap_m);
 *   theta_m <- (1 - w_m) theta_m + w_m theta_m^init for every encoder-m
 *       parameter (conv kernels, BN gamma/beta; ours.py blends every
 *       named_parameter of audio_net / visual_net); BN running statistics
 *       and the optimiser state (momentum) are untouched.
 * k-means: k-means++ (2 + floor(ln C) local trials), dnr.kmeans-restarts
 * restarts, dnr.kmeans-iters Lloyd iterations, relative tolerance
 * dnr.kmeans-tol, lowest inertia kept (methods/kmeans.c).  Its draws come
 * from a Philox key of its own, derived from (dnr.kmeans-seed, or the run
 * seed when it is -1; diagnosis index; modality; part), so the run's
 * shuffling, augmentation and noise streams are untouched.
 *
 * Config: dnr.period (H) 20, dnr.max-reinits (R) 3, dnr.lambda 3,
 * dnr.kmeans-restarts 10, dnr.kmeans-iters 300, dnr.kmeans-tol 1e-4,
 * dnr.kmeans-seed -1 (= the run seed).
 * Log (epoch record of a diagnosis epoch): dnr.purity_train.<m>,
 * dnr.purity_val.<m>, dnr.gap.<m>, dnr.w.<m>, dnr.inertia_train.<m>,
 * dnr.inertia_val.<m>, dnr.reinits (diagnoses done, this one included);
 * every epoch record: dnr.diagnosed 0/1.
 * State: diagnoses done, theta^init of every encoder. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "asgml/checkpoint.h"
#include "asgml/hooks.h"
#include "core/error.h"
#include "methods/method_dnr.h"
#include "methods/method_helpers.h"

#define DNR_STREAM 0x646e726b6d65616eull   /* "dnrkmean": k-means key tag */

/* ---- math (method_dnr.h) ---------------------------------------------------- */

asgml_status asgml_dnr_purity(const float *f, int64_t n, int D, const int32_t *y, int C,
                              const asgml_kmeans_opts *o, double *purity, double *inertia)
{
    double *x = malloc((size_t)(n > 0 ? n : 1) * D * sizeof *x), in = NAN;
    int32_t *lab = malloc((size_t)(n > 0 ? n : 1) * sizeof *lab);
    int it = 0;
    asgml_status st;
    if (!x || !lab) {
        free(x);
        free(lab);
        return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    }
    asgml_minmax_scale(f, n, D, x);
    st = asgml_kmeans_fit(x, n, D, o, lab, NULL, &in, &it);
    if (st == ASGML_OK) {
        *purity = asgml_cluster_purity(y, lab, n, o->k, C);
        if (isnan(*purity))
            st = asgml_error(ASGML_EINVAL, "dnr: a label outside [0, %d)", C);
    }
    if (inertia) *inertia = in;
    free(x);
    free(lab);
    return st;
}

double asgml_dnr_weight(double lambda, double purity_train, double purity_val)
{
    return tanh(lambda * fabs(purity_train - purity_val));
}

/* ---- the method ------------------------------------------------------------ */

typedef struct dnr_state {
    double lambda, tol;
    long period, max_reinits, restarts, iters, kseed;
    int N, C;
    long reinits;                            /* diagnoses done */
    int have_init;
    int64_t span[ASGML_MAX_MODALITIES];
    float *init[ASGML_MAX_MODALITIES];       /* host (span_m): theta_m^init */
} dnr_state;

static void dnr_destroy(void *state)
{
    dnr_state *st = state;
    if (!st)
        return;
    for (int m = 0; m < ASGML_MAX_MODALITIES; m++)
        free(st->init[m]);
    free(st);
}

static asgml_status dnr_create(asgml_config *cfg, const asgml_model_config *mc, void **state)
{
    dnr_state *st;
    asgml_status rc;
    *state = NULL;
    if (!(st = calloc(1, sizeof *st)))
        return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    if ((rc = asgml_config_get_int(cfg, "dnr.period", 20, &st->period)) != ASGML_OK ||
        (rc = asgml_config_get_int(cfg, "dnr.max-reinits", 3, &st->max_reinits)) != ASGML_OK ||
        (rc = asgml_config_get_double(cfg, "dnr.lambda", 3.0, &st->lambda)) != ASGML_OK ||
        (rc = asgml_config_get_int(cfg, "dnr.kmeans-restarts", 10, &st->restarts)) != ASGML_OK ||
        (rc = asgml_config_get_int(cfg, "dnr.kmeans-iters", 300, &st->iters)) != ASGML_OK ||
        (rc = asgml_config_get_double(cfg, "dnr.kmeans-tol", 1e-4, &st->tol)) != ASGML_OK ||
        (rc = asgml_config_get_int(cfg, "dnr.kmeans-seed", -1, &st->kseed)) != ASGML_OK) {
        dnr_destroy(st);
        return rc;
    }
    if (st->period < 1)
        rc = asgml_error(ASGML_EINVAL, "dnr.period: %ld is not >= 1", st->period);
    else if (st->max_reinits < 0)
        rc = asgml_error(ASGML_EINVAL, "dnr.max-reinits: %ld is not >= 0", st->max_reinits);
    else if (!(st->lambda >= 0.0) || isinf(st->lambda))
        rc = asgml_error(ASGML_EINVAL, "dnr.lambda: %g is not a finite value >= 0", st->lambda);
    else if (st->restarts < 1 || st->restarts > 1000)
        rc = asgml_error(ASGML_EINVAL, "dnr.kmeans-restarts: %ld is not in [1, 1000]",
                         st->restarts);
    else if (st->iters < 1 || st->iters > 100000)
        rc = asgml_error(ASGML_EINVAL, "dnr.kmeans-iters: %ld is not in [1, 100000]", st->iters);
    else if (!(st->tol >= 0.0) || isinf(st->tol))
        rc = asgml_error(ASGML_EINVAL, "dnr.kmeans-tol: %g is not a finite value >= 0", st->tol);
    else if (st->kseed < -1)
        rc = asgml_error(ASGML_EINVAL, "dnr.kmeans-seed: %ld is not -1 (run seed) or >= 0",
                         st->kseed);
    else if (mc->num_classes < 2)
        rc = asgml_error(ASGML_EINVAL, "dnr: %d classes (k-means needs >= 2 clusters)",
                         mc->num_classes);
    if (rc != ASGML_OK) {
        dnr_destroy(st);
        return rc;
    }
    st->N = mc->num_modalities;
    st->C = mc->num_classes;
    *state = st;
    return ASGML_OK;
}

/* theta^init: the parameters before the first step (ours.py init_para.pkl) */
static asgml_status dnr_epoch_begin(void *state, asgml_step *s)
{
    dnr_state *st = state;
    asgml_status rc = ASGML_OK;
    if (st->have_init)
        return ASGML_OK;
    for (int m = 0; m < s->num_modalities && rc == ASGML_OK; m++) {
        int64_t off, cnt;
        float *snap = NULL;
        asgml_model_group_span(s->model, m, &off, &cnt);
        free(st->init[m]);
        st->span[m] = cnt;
        if (!(st->init[m] = malloc((size_t)(cnt > 0 ? cnt : 1) * sizeof(float))))
            return ASGML_ERR(ASGML_ENOMEM, "out of memory");
        CK(asgml_model_snapshot(s->model, m, &snap));
        rc = s->be->ops->to_host(s->be, st->init[m], snap, (size_t)cnt * sizeof(float));
        asgml_model_snapshot_free(s->model, snap);
    }
    st->have_init = rc == ASGML_OK;
    return rc;
}

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Philox key of one k-means: (base seed, diagnosis r, modality m, part p) */
static uint64_t kmeans_key(const dnr_state *st, const asgml_step *s, int m, int p)
{
    uint64_t base = st->kseed >= 0 ? (uint64_t)st->kseed : s->seed;
    uint64_t z = mix64(base ^ DNR_STREAM);
    z = mix64(z + (uint64_t)st->reinits);
    z = mix64(z + (uint64_t)m);
    return mix64(z + (uint64_t)p);
}

static asgml_status blend_encoder(dnr_state *st, asgml_step *s, int m, double w)
{
    float *a = NULL;
    asgml_status rc;
    int64_t off, cnt;
    asgml_model_group_span(s->model, m, &off, &cnt);
    if (cnt != st->span[m])
        return asgml_error(ASGML_EFORMAT, "dnr: encoder %d has %lld parameters, the initial "
                           "snapshot %lld", m, (long long)cnt, (long long)st->span[m]);
    if (cnt == 0)
        return ASGML_OK;
    CK(s->be->ops->alloc(s->be, (size_t)cnt * sizeof(float), (void **)&a));
    rc = s->be->ops->to_device(s->be, a, st->init[m], (size_t)cnt * sizeof(float));
    /* theta <- w theta^init + (1 - w) theta (ours.py reinit, fp32) */
    if (rc == ASGML_OK)
        rc = asgml_model_blend(s->model, m, (float)w, a, NULL);
    s->be->ops->free(s->be, a);
    return rc;
}

static asgml_status dnr_epoch_end(void *state, asgml_step *s)
{
    dnr_state *st = state;
    asgml_feature_set set[2];
    double pur[ASGML_MAX_MODALITIES][2], in[ASGML_MAX_MODALITIES][2];
    double w[ASGML_MAX_MODALITIES];
    asgml_status rc = ASGML_OK;
    char key[80];
    int go = s->epoch > 0 && s->epoch % st->period == 0 && st->reinits < st->max_reinits;

    asgml_log_int(s->log, "dnr.diagnosed", go);
    if (!go)
        return ASGML_OK;
    if (!st->have_init)
        return ASGML_ERR(ASGML_EINVAL, "dnr: no initial snapshot");
    memset(set, 0, sizeof set);
    rc = asgml_step_features(s, "train", 0, &set[0]);
    if (rc == ASGML_OK)
        rc = asgml_step_features(s, "val", 0, &set[1]);
    for (int m = 0; m < s->num_modalities && rc == ASGML_OK; m++)
        for (int p = 0; p < 2 && rc == ASGML_OK; p++) {
            asgml_kmeans_opts o = { st->C, (int)st->restarts, (int)st->iters, st->tol,
                                    kmeans_key(st, s, m, p) };
            rc = asgml_dnr_purity(set[p].x[m], set[p].n, set[p].dim, set[p].labels, st->C, &o,
                                  &pur[m][p], &in[m][p]);
        }
    asgml_feature_set_free(&set[0]);
    asgml_feature_set_free(&set[1]);
    if (rc != ASGML_OK)
        return asgml_error_prefix(rc, "dnr: diagnosis after epoch %d", s->epoch);
    for (int m = 0; m < s->num_modalities; m++) {
        w[m] = asgml_dnr_weight(st->lambda, pur[m][0], pur[m][1]);
        CK(blend_encoder(st, s, m, w[m]));
    }
    st->reinits++;
    for (int m = 0; m < s->num_modalities; m++) {
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "dnr.purity_train", s, m),
                      pur[m][0]);
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "dnr.purity_val", s, m),
                      pur[m][1]);
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "dnr.gap", s, m),
                      fabs(pur[m][0] - pur[m][1]));
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "dnr.w", s, m), w[m]);
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "dnr.inertia_train", s, m),
                      in[m][0]);
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "dnr.inertia_val", s, m),
                      in[m][1]);
    }
    asgml_log_int(s->log, "dnr.reinits", st->reinits);
    return ASGML_OK;
}

static asgml_status dnr_save(void *state, asgml_state_io *io)
{
    dnr_state *st = state;
    double hdr[2 + ASGML_MAX_MODALITIES] = { (double)st->reinits, st->have_init };
    char name[32];
    for (int m = 0; m < st->N; m++)
        hdr[2 + m] = (double)st->span[m];
    CK(asgml_state_put(io, "dnr.header", hdr, 2 + st->N));
    for (int m = 0; m < st->N && st->have_init; m++) {
        snprintf(name, sizeof name, "dnr.init.%d", m);
        CK(asgml_state_io_put_host(io, name, 1, st->init[m], st->span[m]));
    }
    return ASGML_OK;
}

static asgml_status dnr_load(void *state, asgml_state_io *io)
{
    dnr_state *st = state;
    double hdr[2 + ASGML_MAX_MODALITIES];
    char name[32];
    CK(asgml_state_get(io, "dnr.header", hdr, 2 + st->N));
    st->reinits = (long)hdr[0];
    st->have_init = 0;
    if (!hdr[1])
        return ASGML_OK;
    for (int m = 0; m < st->N; m++) {
        int i, found = -1;
        snprintf(name, sizeof name, "dnr.init.%d", m);
        for (i = 0; i < asgml_state_io_count(io); i++)
            if (strcmp(asgml_state_io_name(io, i), name) == 0)
                found = i;
        if (found < 0 || !asgml_state_io_is_f32(io, found) ||
            asgml_state_io_length(io, found) != (int64_t)hdr[2 + m])
            return asgml_error(ASGML_EFORMAT, "dnr: method state %s missing or not float32 "
                               "of length %.0f", name, hdr[2 + m]);
        st->span[m] = (int64_t)hdr[2 + m];
        free(st->init[m]);
        if (!(st->init[m] = malloc((size_t)(st->span[m] > 0 ? st->span[m] : 1) * sizeof(float))))
            return ASGML_ERR(ASGML_ENOMEM, "out of memory");
        memcpy(st->init[m], asgml_state_io_data(io, found), (size_t)st->span[m] * sizeof(float));
    }
    st->have_init = 1;
    return ASGML_OK;
}

const asgml_method_ops asgml_method_dnr = {
    .name = "dnr",
    .summary = "D&R: every H epochs blend encoder m toward its init by tanh(lambda purity gap)",
    .needs = ASGML_NEEDS_VAL,
    .h2_rank = 0,
    .create = dnr_create,
    .destroy = dnr_destroy,
    .epoch_begin = dnr_epoch_begin,
    .epoch_end = dnr_epoch_end,
    .save = dnr_save,
    .load = dnr_load,
};
