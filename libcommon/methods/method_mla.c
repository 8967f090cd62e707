/* SPDX-License-Identifier: MIT */
/* method_mla.c - alternating unimodal adaptation with a shared head
 * (asgml-methods(7), MLA; Zhang et al., "Multimodal Representation Learning
 * by Alternating Unimodal Adaptation", CVPR 2024, Eq. 3-7; official code
 * Cecile-hi/Multimodal-Learning-with-Alternating-Unimodal-Adaptation
 * main.py train_epoch (gs_flag branch), valid(), calculate_gating_weights,
 * utils/utils.py GSPlugin; BalanceBenchmark MLA_trainer.py).
 *
 * Model: encoders + one shared head g = Linear(D -> C) on every f_m
 * (model.uni=shared, model.fusion=none; ASGML_NEEDS_UNI_SHARED).
 * Per batch N optimiser sub-steps (num_substeps), sub-step k = modality k:
 *   H1  loss = CE(u_k, y) only (fused_weight 0, uni_weight = e_k), encoder k
 *       alone takes part (encoder_active = e_k): the gradient reaches E_k
 *       and g.  BN running statistics: restored after the forwards of
 *       sub-steps k > 0 to their state after sub-step 0's forward, so every
 *       encoder's statistics move once per batch as in the official single
 *       forward (a, v = model(spec, image)).
 *   H2  (mla.proj on, every sub-step but the first of the run) with the
 *       batch mean r (1, D) of f_k: k = P r^T, P <- P - k k^T/(alpha_t + r k),
 *       P <- P/||P||_F, grad W_g <- grad W_g P^T (bias untouched);
 *       mla.proj-denom code: the released GSPlugin's denominator
 *       alpha_t + k r (torch.mm(k, r), (D, D), elementwise);
 *       alpha_t = 0.1^(1 + b/n_b); P (D, D) = I at the start of the run.
 *   H3  the loop's optimiser step (encoder k and g only).
 * Inference: z = sum_m lambda_m u_m with lambda from mla.fusion (the model
 * config, asgml_mla_fusion_config): dynamic = per-sample entropy gating
 * (paper Eq. 6-7), ref = the released valid()'s batch-level gating
 * (softmax over the batch dimension), fixed = mla.fixed-weights.
 *
 * Config: mla.proj (on), mla.proj-denom (paper), mla.fusion (dynamic),
 * mla.fixed-weights (fixed only).
 * Log per step: mla.ce.<m> (CE(u_m) of sub-step m), mla.pnorm.<m>
 * (||P||_F before normalisation), mla.alpha; per epoch: the epoch means of
 * mla.ce.<m> and mla.pnorm.<m>, mla.lambda.<m> (mean fusion weight over the
 * test split, the rule evaluation uses).  State: P. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgml/hooks.h"
#include "core/error.h"
#include "methods/method_helpers.h"
#include "methods/method_mla.h"

double asgml_mla_alpha(int b, int nb)
{
    return pow(0.1, 1.0 + (double)b / (double)(nb > 0 ? nb : 1));
}

void asgml_mla_project(int B, int D, int C, const float *f, double alpha, int outer,
                       double *P, float *gw, double *pnorm)
{
    double *r = calloc((size_t)D * 2, sizeof *r), *k, rk = 0, ss = 0;
    double *row = malloc((size_t)D * sizeof *row);
    if (!r || !row) {            /* host scratch of 3 D doubles */
        free(r);
        free(row);
        *pnorm = NAN;
        return;
    }
    k = r + D;
    for (int i = 0; i < B; i++)
        for (int j = 0; j < D; j++)
            r[j] += f[(size_t)i * D + j];
    for (int j = 0; j < D; j++)
        r[j] /= B;
    for (int i = 0; i < D; i++) {             /* k = P r^T */
        double acc = 0;
        for (int j = 0; j < D; j++)
            acc += P[(size_t)i * D + j] * r[j];
        k[i] = acc;
        rk += r[i] * acc;
    }
    for (int i = 0; i < D; i++)
        for (int j = 0; j < D; j++) {
            double den = outer ? alpha + k[i] * r[j] : alpha + rk;
            double v = P[(size_t)i * D + j] - k[i] * k[j] / den;
            P[(size_t)i * D + j] = v;
            ss += v * v;
        }
    *pnorm = sqrt(ss);
    for (size_t i = 0; i < (size_t)D * D; i++)
        P[i] /= *pnorm;
    for (int c = 0; c < C; c++) {             /* gw[c] <- gw[c] P^T */
        for (int j = 0; j < D; j++) {
            double acc = 0;
            for (int l = 0; l < D; l++)
                acc += (double)gw[(size_t)c * D + l] * P[(size_t)j * D + l];
            row[j] = acc;
        }
        for (int j = 0; j < D; j++)
            gw[(size_t)c * D + j] = (float)row[j];
    }
    free(r);
    free(row);
}

/* ---- inference-time fusion (model configuration) ------------------------- */

asgml_status asgml_mla_fusion_config(asgml_config *cfg, asgml_model_config *mc)
{
    const char *v, *def;
    int N = mc->num_modalities;
    char buf[256], *tok, *save = NULL;
    int n = 0;

    CK(asgml_config_get_string(cfg, "mla.fusion", "dynamic", &v));
    memset(mc->fuse_lambda, 0, sizeof mc->fuse_lambda);
    if (strcmp(v, "dynamic") == 0) {
        mc->fuse_weights = ASGML_FUSE_ENTROPY;
        return ASGML_OK;
    }
    if (strcmp(v, "ref") == 0) {
        mc->fuse_weights = ASGML_FUSE_ENTROPY_BATCH;
        return ASGML_OK;
    }
    if (strcmp(v, "fixed") != 0)
        return asgml_error(ASGML_EINVAL, "key 'mla.fusion': '%s' is not one of dynamic, ref, "
                           "fixed", v);
    mc->fuse_weights = ASGML_FUSE_MEAN;
    /* main.py: av_alpha 0.55 (main(av_alpha=0.55)); a/v/t_alpha 0.35/0.25/0.4 */
    def = N == 2 ? "0.55,0.45" : N == 3 ? "0.35,0.25,0.4" : "";
    if (!*def) {
        size_t len = 0;
        for (int m = 0; m < N && len + 24 < sizeof buf; m++)
            len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%.17g", m ? "," : "",
                                    1.0 / N);
        def = buf;
    }
    CK(asgml_config_get_string(cfg, "mla.fixed-weights", def, &v));
    snprintf(buf, sizeof buf, "%s", v);
    for (tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
        char *end;
        double w = strtod(tok, &end);
        if (*end || !(w >= 0.0) || !isfinite(w) || n >= N)
            return asgml_error(ASGML_EINVAL, "key 'mla.fixed-weights': '%s' is not %d "
                               "comma-separated values >= 0", v, N);
        mc->fuse_lambda[n++] = (float)w;
    }
    if (n != N)
        return asgml_error(ASGML_EINVAL, "key 'mla.fixed-weights': '%s' is not %d "
                           "comma-separated values >= 0", v, N);
    for (int m = 0; m < N; m++)
        if (mc->fuse_lambda[m] > 0.0f)
            return ASGML_OK;
    return asgml_error(ASGML_EINVAL, "key 'mla.fixed-weights': '%s' has no positive value", v);
}

/* ---- the method -------------------------------------------------------- */

typedef struct mla_state {
    int proj;                         /* mla.proj */
    int outer;                        /* mla.proj-denom code */
    asgml_fuse_weights rule;          /* the model's inference rule */
    float fixed[ASGML_MAX_MODALITIES];
    int N, C, D, max_batch;
    double *P;                        /* host (D, D), row-major */
    float *feat, *gw;                 /* host (B_max, D), (C, D) */
    float *bn_snap;                   /* backend (num_buffers): BN after sub-step 0 */
    asgml_backend *be;
    int64_t nbuf;
    double ce_sum[ASGML_MAX_MODALITIES], pn_sum[ASGML_MAX_MODALITIES];
    int64_t ce_n[ASGML_MAX_MODALITIES], pn_n[ASGML_MAX_MODALITIES];
} mla_state;

static void mla_destroy(void *state)
{
    mla_state *st = state;
    if (!st)
        return;
    if (st->bn_snap)
        st->be->ops->free(st->be, st->bn_snap);
    free(st->P);
    free(st->feat);
    free(st->gw);
    free(st);
}

static asgml_status mla_create(asgml_config *cfg, const asgml_model_config *mc, void **state)
{
    mla_state *st;
    asgml_model_config fc = *mc;
    const char *den;
    asgml_status rc;

    *state = NULL;
    if (mc->num_modalities < 2 || mc->uni != ASGML_UNI_SHARED || mc->fusion != ASGML_FUSION_NONE)
        return asgml_error(ASGML_EINVAL, "mla: needs at least two modalities with "
                           "model.uni=shared and model.fusion=none");
    st = calloc(1, sizeof *st);
    if (!st)
        return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    if ((rc = asgml_config_get_bool(cfg, "mla.proj", 1, &st->proj)) != ASGML_OK ||
        (rc = asgml_config_get_string(cfg, "mla.proj-denom", "paper", &den)) != ASGML_OK ||
        (rc = asgml_mla_fusion_config(cfg, &fc)) != ASGML_OK) {
        mla_destroy(st);
        return rc;
    }
    if (!st->proj && asgml_config_is_set(cfg, "mla.proj-denom")) {
        mla_destroy(st);
        return asgml_error(ASGML_EINVAL, "key 'mla.proj-denom': has no effect with mla.proj=off");
    }
    if (strcmp(den, "paper") == 0) st->outer = 0;
    else if (strcmp(den, "code") == 0) st->outer = 1;
    else {
        mla_destroy(st);
        return asgml_error(ASGML_EINVAL, "key 'mla.proj-denom': '%s' is not one of paper, code",
                           den);
    }
    st->rule = fc.fuse_weights;
    memcpy(st->fixed, fc.fuse_lambda, sizeof st->fixed);
    st->N = mc->num_modalities;
    st->C = mc->num_classes;
    st->max_batch = mc->max_batch > 0 ? mc->max_batch : 1;
    *state = st;
    return ASGML_OK;
}

/* P = I (D, D) unless loaded for this D */
static asgml_status mla_reset_P(mla_state *st, int D)
{
    free(st->P);
    st->D = D;
    st->P = calloc((size_t)D * D, sizeof *st->P);
    if (!st->P)
        return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    for (int i = 0; i < D; i++)
        st->P[(size_t)i * D + i] = 1.0;
    return ASGML_OK;
}

/* P, host scratch and the BN snapshot, once the model exists */
static asgml_status mla_bind(mla_state *st, asgml_step *s)
{
    int D = asgml_model_feature_dim(s->model);
    if (!st->P || st->D != D)
        CK(mla_reset_P(st, D));
    if (st->feat)
        return ASGML_OK;
    st->feat = malloc((size_t)st->max_batch * D * sizeof *st->feat);
    st->gw = malloc((size_t)st->C * D * sizeof *st->gw);
    if (!st->feat || !st->gw)
        return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    st->be = s->be;
    st->nbuf = asgml_model_num_buffers(s->model);
    if (st->nbuf > 0)
        CK(s->be->ops->alloc(s->be, (size_t)st->nbuf * sizeof(float), (void **)&st->bn_snap));
    return ASGML_OK;
}

static int mla_num_substeps(void *state, const asgml_step *s)
{
    (void)state;
    return s->num_modalities;
}

static asgml_status mla_epoch_begin(void *state, asgml_step *s)
{
    mla_state *st = state;
    CK(mla_bind(st, s));
    for (int m = 0; m < ASGML_MAX_MODALITIES; m++) {
        st->ce_sum[m] = st->pn_sum[m] = 0;
        st->ce_n[m] = st->pn_n[m] = 0;
    }
    return ASGML_OK;
}

/* H1 of sub-step k: CE(u_k) alone, encoder k alone */
static asgml_status mla_before_backward(void *state, asgml_step *s)
{
    mla_state *st = state;
    int k = s->substep;
    float *buf;
    CK(mla_bind(st, s));
    s->fused_weight = 0.0f;
    for (int m = 0; m < s->num_modalities; m++) {
        s->uni_weight[m] = m == k ? 1.0f : 0.0f;
        s->encoder_active[m] = m == k;
    }
    if (st->nbuf > 0) {          /* BN running statistics move once per batch */
        buf = asgml_model_buffers(s->model);
        if (k == 0)
            CK(s->be->ops->copy(s->be, st->nbuf, buf, st->bn_snap));
        else
            CK(s->be->ops->copy(s->be, st->nbuf, st->bn_snap, buf));
    }
    return ASGML_OK;
}

static const asgml_param_view *head_view(asgml_model *model, const char *name)
{
    int nv;
    const asgml_param_view *pv = asgml_model_param_views(model, &nv);
    for (int v = 0; v < nv; v++)
        if (strcmp(pv[v].name, name) == 0)
            return &pv[v];
    return NULL;
}

/* H2 of sub-step k: the orthogonal projection of the shared head's update */
static asgml_status mla_modulate(void *state, asgml_step *s)
{
    mla_state *st = state;
    const asgml_backend_ops *o = s->be->ops;
    const asgml_param_view *w;
    int k = s->substep, B = s->batch_size, D = st->D, C = st->C;
    double alpha, pnorm;
    char key[64];
    float *g;

    if (!st->proj || (s->step == 0 && k == 0))   /* GSPlugin: exp_count != 0 */
        return ASGML_OK;
    if (!(w = head_view(s->model, "head_shared.weight")) || w->numel != (int64_t)C * D)
        return ASGML_ERR(ASGML_EINVAL, "mla: the model has no shared head (C, D)");
    alpha = asgml_mla_alpha(s->batch, s->batches_per_epoch);
    g = asgml_model_grads(s->model) + w->offset;
    CK(o->to_host(s->be, st->feat, asgml_model_features(s->model, k),
                  (size_t)B * D * sizeof(float)));
    CK(o->to_host(s->be, st->gw, g, (size_t)C * D * sizeof(float)));
    asgml_mla_project(B, D, C, st->feat, alpha, st->outer, st->P, st->gw, &pnorm);
    if (!isfinite(pnorm) || pnorm == 0.0)
        return asgml_error(ASGML_ENUMERIC, "mla: ||P||_F is %g at step %lld", pnorm,
                           (long long)s->step);
    CK(o->to_device(s->be, g, st->gw, (size_t)C * D * sizeof(float)));
    st->pn_sum[k] += pnorm;
    st->pn_n[k]++;
    asgml_log_num(s->log, asgml_method_key(key, sizeof key, "mla.pnorm", s, k), pnorm);
    asgml_log_num(s->log, "mla.alpha", alpha);
    return ASGML_OK;
}

static asgml_status mla_after_step(void *state, asgml_step *s)
{
    mla_state *st = state;
    int k = s->substep;
    char key[64];
    st->ce_sum[k] += s->ce_uni[k];
    st->ce_n[k]++;
    asgml_log_num(s->log, asgml_method_key(key, sizeof key, "mla.ce", s, k), s->ce_uni[k]);
    return ASGML_OK;
}

/* mean lambda_m over the test split under the evaluation rule, from an
 * inference feature pass and the shared head (host), in evaluation batches
 * of B_max samples in store order (the batch-level rule depends on them) */
static asgml_status mean_lambda(mla_state *st, asgml_step *s, double *out)
{
    asgml_feature_set fs;
    const asgml_param_view *w = head_view(s->model, "head_shared.weight");
    const asgml_param_view *bv = head_view(s->model, "head_shared.bias");
    int N = st->N, C = st->C, D = st->D, Bm = st->max_batch;
    float *hw = malloc((size_t)C * (D + 1) * sizeof *hw);
    float *u = malloc((size_t)N * Bm * C * sizeof *u);
    double *lam = malloc((size_t)Bm * N * sizeof *lam);
    asgml_status rc = hw && u && lam ? ASGML_OK : ASGML_ERR(ASGML_ENOMEM, "out of memory");

    memset(&fs, 0, sizeof fs);
    for (int m = 0; m < N; m++)
        out[m] = 0;
    if (rc == ASGML_OK && (!w || !bv))
        rc = ASGML_ERR(ASGML_EINVAL, "mla: the model has no shared head");
    if (rc == ASGML_OK)   /* head_shared.weight (C, D), then .bias (C) after it */
        rc = s->be->ops->to_host(s->be, hw, asgml_model_params(s->model) + w->offset,
                                 (size_t)C * D * sizeof(float));
    if (rc == ASGML_OK)
        rc = s->be->ops->to_host(s->be, hw + (size_t)C * D,
                                 asgml_model_params(s->model) + bv->offset, (size_t)C * sizeof(float));
    if (rc == ASGML_OK)
        rc = asgml_step_features(s, "test", 0, &fs);
    for (int64_t b0 = 0; rc == ASGML_OK && b0 < fs.n; b0 += Bm) {
        int B = (int)(fs.n - b0 < Bm ? fs.n - b0 : Bm);
        for (int m = 0; m < N; m++)
            for (int i = 0; i < B; i++)
                for (int c = 0; c < C; c++) {
                    double acc = hw[(size_t)C * D + c];
                    const float *x = fs.x[m] + (size_t)(b0 + i) * D;
                    for (int j = 0; j < D; j++)
                        acc += (double)hw[(size_t)c * D + j] * x[j];
                    u[((size_t)m * B + i) * C + c] = (float)acc;
                }
        asgml_fusion_lambda(st->rule, N, B, C, u, st->fixed, lam);
        for (int i = 0; i < B; i++)
            for (int m = 0; m < N; m++)
                out[m] += lam[(size_t)i * N + m] / (double)fs.n;
    }
    asgml_feature_set_free(&fs);
    free(hw);
    free(u);
    free(lam);
    return rc;
}

static asgml_status mla_epoch_end(void *state, asgml_step *s)
{
    mla_state *st = state;
    double lam[ASGML_MAX_MODALITIES];
    char key[64];
    CK(mla_bind(st, s));
    for (int m = 0; m < st->N; m++) {   /* epoch means of the sub-step signals */
        if (st->ce_n[m])
            asgml_log_num(s->log, asgml_method_key(key, sizeof key, "mla.ce", s, m),
                          st->ce_sum[m] / (double)st->ce_n[m]);
        if (st->pn_n[m])
            asgml_log_num(s->log, asgml_method_key(key, sizeof key, "mla.pnorm", s, m),
                          st->pn_sum[m] / (double)st->pn_n[m]);
    }
    CK(mean_lambda(st, s, lam));
    for (int m = 0; m < st->N; m++)
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "mla.lambda", s, m), lam[m]);
    return ASGML_OK;
}

static asgml_status mla_save(void *state, asgml_state_io *io)
{
    mla_state *st = state;
    double hdr = st->D;
    CK(asgml_state_put(io, "mla.D", &hdr, 1));
    if (st->P)
        CK(asgml_state_put(io, "mla.P", st->P, (int64_t)st->D * st->D));
    return ASGML_OK;
}

static asgml_status mla_load(void *state, asgml_state_io *io)
{
    mla_state *st = state;
    double hdr;
    CK(asgml_state_get(io, "mla.D", &hdr, 1));
    if (!(hdr >= 1 && hdr <= 65536))
        return asgml_error(ASGML_EFORMAT, "mla: saved projection size %g", hdr);
    if (!st->P || st->D != (int)hdr)     /* bind to the saved D */
        CK(mla_reset_P(st, (int)hdr));
    return asgml_state_get(io, "mla.P", st->P, (int64_t)st->D * st->D);
}

const asgml_method_ops asgml_method_mla = {
    .name = "mla",
    .summary = "MLA: one sub-step per modality on a shared head, orthogonal head-gradient "
               "projection, entropy-gated fusion at inference",
    .needs = ASGML_NEEDS_UNI_SHARED,
    .h2_rank = 40,
    .create = mla_create,
    .destroy = mla_destroy,
    .epoch_begin = mla_epoch_begin,
    .before_backward = mla_before_backward,
    .modulate = mla_modulate,
    .after_step = mla_after_step,
    .epoch_end = mla_epoch_end,
    .save = mla_save,
    .load = mla_load,
    .num_substeps = mla_num_substeps,
};
