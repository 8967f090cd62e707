/* SPDX-License-Identifier: MIT */
/* method_cggm.c - CGGM, classifier-guided gradient modulation (asgml-methods(7),
 * CGGM).  Guo et al., NeurIPS 2024; official code zrguo/CGGM
 * src/msatrain.py train(), src/eval_metrics.py cal_cos; the reimplementation
 * VuVoCodes/AsynchronousFunction src/losses/cggm.py (variant asgml-ref).
 *
 * Per step t (official variant):
 *   H1/H2: the loss is CE(z) + lambda L_gm^(t-1).  zrguo/CGGM keeps the graph
 *       of L_gm^(t-1) (cosines of cloned weights), so its gradient is
 *       lambda dL_gm/dW^F at the step-(t-1) values with B constant; here it
 *       is added to the fused-head weight gradient at H2 (the classifier share
 *       is discarded there by cls_optimizer.zero_grad()).
 *   H2: classifiers h_m = Linear(D -> C) on detached f_m (B, D):
 *       acc_m(t) = batch accuracy of h_m before its update; one Adam step
 *       (lr 5e-4) on CE(h_m(f_m)); Delta_m = acc_m(t) - acc_m(t-1);
 *       Sigma = sum Delta + 1e-8; B_m = (Sigma - Delta_m) / Sigma;
 *       L_gm = (1/N) sum_m (|B_m| - B_m cos(vec W^h_m, vec W^F_m)) with the
 *       pre-update weights; encoder-m gradient x rho B_m; global gradient
 *       norm of the model clipped to `clip`.  Then the optimiser step (H3).
 *   W^F_m: concat, one layer: columns [mD, (m+1)D) of fusion_module.fc_out;
 *       sum: fc_x / fc_y (fc_<name> for N > 2); two-layer, film, gated:
 *       the whole fc_out (C, D) weight.
 * Variant asgml-ref (AsynchronousFunction src/losses/cggm.py): cosines of
 *   the gradients (classifier CE gradient of W^h_m, fused-head gradient of
 *   W^F_m after backward) and L_gm added as a plain number (no gradient).
 *
 * Config ("cggm.*"): rho 1.3, lambda 0.2, lr 5e-4, clip 0.8,
 * variant official|asgml-ref.
 * Log every step: cggm.acc.<m>, cggm.delta.<m>, cggm.B.<m>, cggm.cos.<m>,
 * cggm.sigma, cggm.B.guard, cggm.Lgm, cggm.clip.norm, cggm.clip.fired. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "asgml/hooks.h"
#include "core/error.h"
#include "methods/method_cggm.h"
#include "methods/method_helpers.h"
#include "methods/probe_set.h"

enum { CGGM_OFFICIAL = 0, CGGM_ASGML_REF = 1 };

typedef struct cggm_state {
    int n, c, d, variant;
    double rho, lambda, clip;
    asgml_probe_set cls;                      /* h_m: linear probes, Adam lr */
    double prev_acc[ASGML_MAX_MODALITIES];    /* acc_m(t-1), 0 initially */
    double b[ASGML_MAX_MODALITIES];
    double lgm;                               /* L_gm^(t-1) */
    int have_lgm;                             /* official: G holds lambda-free dL_gm/dW^F */
    /* W^F_m inside the model: view offset, row length ld, column block */
    int64_t wf_off[ASGML_MAX_MODALITIES], wf_ld, wf_col0[ASGML_MAX_MODALITIES], wf_cols;
    int bound;
    double *g[ASGML_MAX_MODALITIES];          /* host (C * wf_cols): dL_gm/dW^F_m */
    float *wf_host, *gf_host, *f_host, *wh_host;   /* host scratch */
} cggm_state;

double asgml_cggm_coefficients(int n, const double *acc, const double *prev, double *delta,
                               double *b, int *guard)
{
    double sum = 0.0;
    for (int m = 0; m < n; m++) {
        delta[m] = acc[m] - prev[m];
        sum += delta[m];
    }
    double sigma = sum + 1e-8;   /* msatrain.py: diff_sum = sum(diff) + 1e-8 */
    int bad = !(sigma != 0.0) || !isfinite(sigma);
    for (int m = 0; m < n; m++)
        b[m] = bad ? 1.0 : (sigma - delta[m]) / sigma;
    for (int m = 0; m < n && !bad; m++)
        if (!isfinite(b[m]))
            bad = 1;
    if (bad)
        for (int m = 0; m < n; m++)
            b[m] = 1.0;
    if (guard)
        *guard = bad;
    return sigma;
}

static void cggm_destroy(void *state)
{
    cggm_state *st = state;
    if (!st)
        return;
    asgml_probe_set_free(&st->cls);
    for (int m = 0; m < ASGML_MAX_MODALITIES; m++)
        free(st->g[m]);
    free(st->wf_host);
    free(st->gf_host);
    free(st->f_host);
    free(st->wh_host);
    free(st);
}

static asgml_status cggm_create(asgml_config *cfg, const asgml_model_config *mc, void **state)
{
    cggm_state *st;
    const char *variant;
    double lr;
    asgml_status rc = ASGML_OK;

    *state = NULL;
    if (mc->num_modalities < 2)
        return ASGML_ERR(ASGML_EINVAL, "cggm: needs at least two modalities (model has %d)",
                         mc->num_modalities);
    st = calloc(1, sizeof *st);
    if (!st)
        return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    st->n = mc->num_modalities;
    st->c = mc->num_classes;
    st->d = mc->feature_dim;
    if ((rc = asgml_config_get_double(cfg, "cggm.rho", 1.3, &st->rho)) != ASGML_OK ||
        (rc = asgml_config_get_double(cfg, "cggm.lambda", 0.2, &st->lambda)) != ASGML_OK ||
        (rc = asgml_config_get_double(cfg, "cggm.lr", 5e-4, &lr)) != ASGML_OK ||
        (rc = asgml_config_get_double(cfg, "cggm.clip", 0.8, &st->clip)) != ASGML_OK ||
        (rc = asgml_config_get_string(cfg, "cggm.variant", "official", &variant)) != ASGML_OK)
        goto fail;
    if (strcmp(variant, "official") == 0)
        st->variant = CGGM_OFFICIAL;
    else if (strcmp(variant, "asgml-ref") == 0)
        st->variant = CGGM_ASGML_REF;
    else {
        rc = ASGML_ERR(ASGML_EINVAL, "cggm.variant: '%s' is not one of official, asgml-ref",
                       variant);
        goto fail;
    }
    if (!(lr > 0) || !isfinite(lr))
        rc = ASGML_ERR(ASGML_EINVAL, "cggm.lr: %g is not a positive learning rate", lr);
    else if (!(st->clip > 0) || !isfinite(st->clip))
        rc = ASGML_ERR(ASGML_EINVAL, "cggm.clip: %g is not a positive norm", st->clip);
    else if (!isfinite(st->rho))
        rc = ASGML_ERR(ASGML_EINVAL, "cggm.rho: %g is not finite", st->rho);
    else if (!isfinite(st->lambda))
        rc = ASGML_ERR(ASGML_EINVAL, "cggm.lambda: %g is not finite", st->lambda);
    if (rc != ASGML_OK)
        goto fail;
    /* classifiers: linear probes (Linear(D -> C), PyTorch default init, Adam) */
    st->cls.n = st->n;
    st->cls.in_dim = st->d;
    st->cls.num_classes = st->c;
    st->cls.max_batch = mc->max_batch > 2 ? mc->max_batch : 2;
    st->cls.tag = UINT64_C(0xC6607000);
    st->cls.kind = ASGML_PROBE_LINEAR;
    st->cls.lr = lr;
    for (int m = 0; m < st->n; m++)
        st->b[m] = 1.0;
    *state = st;
    return ASGML_OK;
fail:
    cggm_destroy(st);
    return rc;
}

/* Locates W^F_m (see the file comment) and allocates the host scratch. */
static asgml_status cggm_bind(cggm_state *st, asgml_step *s)
{
    const asgml_model_config *mc = asgml_model_get_config(s->model);
    int nviews;
    const asgml_param_view *views = asgml_model_param_views(s->model, &nviews);

    if (asgml_model_feature_dim(s->model) != st->d || mc->num_classes != st->c)
        return ASGML_ERR(ASGML_EINVAL, "cggm: model has D = %d, C = %d; created for %d, %d",
                         asgml_model_feature_dim(s->model), mc->num_classes, st->d, st->c);
    CK(asgml_probe_set_bind(&st->cls, s));
    if (st->bound)
        return ASGML_OK;
    for (int m = 0; m < st->n; m++) {
        char want[96];
        const asgml_param_view *pv = NULL;
        if (mc->fusion == ASGML_FUSION_SUM && st->n == 2)
            snprintf(want, sizeof want, "fusion_module.%s.weight", m == 0 ? "fc_x" : "fc_y");
        else if (mc->fusion == ASGML_FUSION_SUM)
            snprintf(want, sizeof want, "fusion_module.fc_%s.weight", mc->enc[m].name);
        else
            snprintf(want, sizeof want, "fusion_module.fc_out.weight");
        for (int v = 0; v < nviews; v++)
            if (strcmp(views[v].name, want) == 0)
                pv = &views[v];
        if (!pv || pv->ndim != 2 || pv->shape[0] != st->c)
            return ASGML_ERR(ASGML_EINVAL, "cggm: no fused-head weight %s (C, .)", want);
        st->wf_off[m] = pv->offset;
        st->wf_ld = pv->shape[1];
        if (mc->fusion == ASGML_FUSION_CONCAT && !mc->head_two_layer) {
            st->wf_col0[m] = (int64_t)m * st->d;
            st->wf_cols = st->d;
        } else {
            st->wf_col0[m] = 0;
            st->wf_cols = pv->shape[1];
        }
        if (st->wf_cols != st->d)
            return ASGML_ERR(ASGML_EINVAL, "cggm: fused-head block of %s has %lld columns, the "
                             "classifier has D = %d", want, (long long)st->wf_cols, st->d);
        if (st->wf_col0[m] + st->wf_cols > st->wf_ld)
            return ASGML_ERR(ASGML_EINVAL, "cggm: %s narrower than N D", want);
        if (!st->g[m] && !(st->g[m] = calloc((size_t)st->c * (size_t)st->d, sizeof(double))))
            return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    }
    size_t wsz = (size_t)st->c * (size_t)st->wf_ld;
    st->wf_host = calloc(wsz, sizeof(float));
    st->gf_host = calloc(wsz, sizeof(float));
    st->f_host = calloc((size_t)st->cls.max_batch * (size_t)st->d, sizeof(float));
    st->wh_host = calloc((size_t)st->c * (size_t)st->d + (size_t)st->c, sizeof(float));
    if (!st->wf_host || !st->gf_host || !st->f_host || !st->wh_host)
        return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    st->bound = 1;
    return ASGML_OK;
}

asgml_status asgml_cggm_set_classifier(void *state, asgml_step *s, int m, const float *w,
                                       const float *bias)
{
    cggm_state *st = state;
    CK(cggm_bind(st, s));
    float *dst = asgml_probe_state(st->cls.p[m]);   /* [W (C, D) | b (C) | m | v] */
    int64_t cd = (int64_t)st->c * st->d;
    CK(s->be->ops->to_device(s->be, dst, w, (size_t)cd * sizeof(float)));
    CK(s->be->ops->to_device(s->be, dst + cd, bias, (size_t)st->c * sizeof(float)));
    return ASGML_OK;
}

/* cos(a, b) in double, as torch.nn.functional.cosine_similarity (eps 1e-8) */
static double cosine(const double *a, const double *b, int64_t n, double *na, double *nb)
{
    double dot = 0.0, aa = 0.0, bb = 0.0;
    for (int64_t i = 0; i < n; i++) {
        dot += a[i] * b[i];
        aa += a[i] * a[i];
        bb += b[i] * b[i];
    }
    *na = sqrt(aa);
    *nb = sqrt(bb);
    double den = sqrt(aa * bb);
    return dot / (den > 1e-8 ? den : 1e-8);
}

static asgml_status cggm_modulate(void *state, asgml_step *s)
{
    cggm_state *st = state;
    asgml_backend *be = s->be;
    float *params = asgml_model_params(s->model), *grads = asgml_model_grads(s->model);
    int n = st->n, c = st->c, d = st->d, bsz = s->batch_size;
    int64_t cd = (int64_t)c * d, wsz;
    double acc[ASGML_MAX_MODALITIES], delta[ASGML_MAX_MODALITIES], cosv[ASGML_MAX_MODALITIES];
    double *wa = NULL, *wb = NULL;
    asgml_status rc = ASGML_OK;
    char key[96];
    int guard = 0, fired = 0;
    double norm = 0.0;

    CK(cggm_bind(st, s));
    /* the fused-head weight (C, wf_ld) is known once bound: the first call
     * of a run (or after a resume) binds, so wsz is read only now */
    wsz = (int64_t)c * st->wf_ld;
    if (bsz > st->cls.max_batch)
        return ASGML_ERR(ASGML_EINVAL, "cggm: batch %d exceeds max batch %d", bsz,
                         st->cls.max_batch);
    /* the delayed term lambda dL_gm^(t-1)/dW^F (official variant) */
    for (int m = 0; m < n; m++) {
        if (st->variant != CGGM_OFFICIAL || !st->have_lgm)
            break;
        CK(be->ops->to_host(be, st->gf_host, grads + st->wf_off[m], (size_t)wsz * sizeof(float)));
        for (int r = 0; r < c; r++)
            for (int64_t j = 0; j < st->wf_cols; j++)
                st->gf_host[r * st->wf_ld + st->wf_col0[m] + j] +=
                    (float)(st->lambda * st->g[m][r * st->wf_cols + j]);
        CK(be->ops->to_device(be, grads + st->wf_off[m], st->gf_host, (size_t)wsz * sizeof(float)));
    }
    wa = malloc((size_t)cd * sizeof(double));
    wb = malloc((size_t)cd * sizeof(double));
    if (!wa || !wb) {
        rc = ASGML_ERR(ASGML_ENOMEM, "out of memory");
        goto out;
    }
    for (int m = 0; m < n; m++) {
        asgml_probe *h = st->cls.p[m];
        const float *f = asgml_model_features(s->model, m);   /* (B, D), read only */
        double na, nb;
        if (!f) {
            rc = ASGML_ERR(ASGML_EINTERNAL, "cggm: no features of modality %d", m);
            goto out;
        }
        /* acc_m(t): h_m before its update (Linear: train = inference mode) */
        if ((rc = asgml_probe_accuracy(h, f, s->labels, bsz, &acc[m])) != ASGML_OK)
            goto out;
        if ((rc = be->ops->to_host(be, st->wh_host, asgml_probe_state(h),
                                   (size_t)(cd + c) * sizeof(float))) != ASGML_OK)
            goto out;
        if (st->variant == CGGM_OFFICIAL) {
            /* cal_cos(W^h_m, W^F_m): weights, before either update */
            for (int64_t i = 0; i < cd; i++)
                wa[i] = st->wh_host[i];
            if ((rc = be->ops->to_host(be, st->wf_host, params + st->wf_off[m],
                                       (size_t)wsz * sizeof(float))) != ASGML_OK)
                goto out;
        } else {
            /* gradient cosines: dCE(h_m)/dW^h_m = (softmax - onehot)^T f / B */
            if ((rc = be->ops->to_host(be, st->f_host, f, (size_t)bsz * d * sizeof(float))) !=
                ASGML_OK)
                goto out;
            memset(wa, 0, (size_t)cd * sizeof(double));
            for (int i = 0; i < bsz; i++) {
                double z[256], mx = -INFINITY, sum = 0.0;
                if (c > 256) {
                    rc = ASGML_ERR(ASGML_EINVAL, "cggm asgml-ref: more than 256 classes");
                    goto out;
                }
                for (int k = 0; k < c; k++) {
                    double v = st->wh_host[cd + k];
                    for (int j = 0; j < d; j++)
                        v += (double)st->wh_host[k * d + j] * st->f_host[(int64_t)i * d + j];
                    z[k] = v;
                    mx = v > mx ? v : mx;
                }
                for (int k = 0; k < c; k++)
                    sum += (z[k] = exp(z[k] - mx));
                for (int k = 0; k < c; k++) {
                    double gk = (z[k] / sum - (k == s->labels[i])) / bsz;
                    for (int j = 0; j < d; j++)
                        wa[k * d + j] += gk * st->f_host[(int64_t)i * d + j];
                }
            }
            if ((rc = be->ops->to_host(be, st->wf_host, grads + st->wf_off[m],
                                       (size_t)wsz * sizeof(float))) != ASGML_OK)
                goto out;
        }
        for (int r = 0; r < c; r++)
            for (int64_t j = 0; j < st->wf_cols; j++)
                wb[r * st->wf_cols + j] = st->wf_host[r * st->wf_ld + st->wf_col0[m] + j];
        cosv[m] = cosine(wa, wb, cd, &na, &nb);
        /* d cos / d w = a / (|a||w|) - cos w / |w|^2 (kept for the next step) */
        for (int64_t i = 0; i < cd && st->variant == CGGM_OFFICIAL; i++)
            st->g[m][i] = (na * nb > 1e-8 ? wa[i] / (na * nb) : wa[i] / 1e-8) -
                          (nb > 0 ? cosv[m] * wb[i] / (nb * nb) : 0.0);
        /* one Adam step of h_m on CE(h_m(f_m)) (detached features) */
        if ((rc = asgml_probe_train(h, f, s->labels_dev, bsz, 1, NULL)) != ASGML_OK)
            goto out;
    }
    double sigma = asgml_cggm_coefficients(n, acc, st->prev_acc, delta, st->b, &guard);
    double lgm = 0.0;
    for (int m = 0; m < n; m++) {
        lgm += fabs(st->b[m]) - st->b[m] * cosv[m];
        st->prev_acc[m] = acc[m];
    }
    lgm /= n;
    /* L_gm = (1/N) sum_m (|B_m| - B_m cos_m): dL_gm/dW^F_m = -(B_m / N) dcos_m/dW^F_m */
    for (int m = 0; m < n && st->variant == CGGM_OFFICIAL; m++)
        for (int64_t i = 0; i < cd; i++)
            st->g[m][i] *= -st->b[m] / n;
    st->lgm = lgm;
    st->have_lgm = st->variant == CGGM_OFFICIAL;
    /* H2: encoder-m gradient x rho B_m */
    for (int m = 0; m < n; m++) {
        if (s->encoder_active[m] &&
            (rc = asgml_model_scale_group_grad(s->model, m, (float)(st->rho * st->b[m]))) !=
                ASGML_OK)
            goto out;
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "cggm.acc", s, m), acc[m]);
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "cggm.delta", s, m), delta[m]);
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "cggm.B", s, m), st->b[m]);
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "cggm.cos", s, m), cosv[m]);
    }
    /* torch.nn.utils.clip_grad_norm_(model.parameters(), clip) */
    if ((rc = asgml_model_clip_grad_norm(s->model, st->clip, &norm, &fired)) != ASGML_OK)
        goto out;
    asgml_log_num(s->log, "cggm.sigma", sigma);
    asgml_log_int(s->log, "cggm.B.guard", guard);
    asgml_log_num(s->log, "cggm.Lgm", lgm);
    asgml_log_num(s->log, "cggm.clip.norm", norm);
    asgml_log_int(s->log, "cggm.clip.fired", fired);
out:
    free(wa);
    free(wb);
    return rc;
}

static asgml_status cggm_save(void *state, asgml_state_io *io)
{
    cggm_state *st = state;
    double v[2 + 2 * ASGML_MAX_MODALITIES];
    int64_t cd = (int64_t)st->c * st->d;
    v[0] = st->lgm;
    v[1] = st->have_lgm;
    for (int m = 0; m < st->n; m++) {
        v[2 + m] = st->prev_acc[m];
        v[2 + st->n + m] = st->b[m];
    }
    CK(asgml_state_put(io, "cggm.meta", v, 2 + 2 * st->n));
    for (int m = 0; m < st->n; m++) {
        char key[64];
        double *g = st->g[m];
        double *zero = NULL;
        asgml_status rc;
        if (!g && !(g = zero = calloc((size_t)cd, sizeof(double))))
            return ASGML_ERR(ASGML_ENOMEM, "out of memory");
        snprintf(key, sizeof key, "cggm.dlgm%d", m);
        rc = asgml_state_put(io, key, g, cd);
        free(zero);
        CK(rc);
    }
    return asgml_probe_set_save(&st->cls, io, "cggm");
}

static asgml_status cggm_load(void *state, asgml_state_io *io)
{
    cggm_state *st = state;
    double v[2 + 2 * ASGML_MAX_MODALITIES];
    int64_t cd = (int64_t)st->c * st->d;
    CK(asgml_state_get(io, "cggm.meta", v, 2 + 2 * st->n));
    st->lgm = v[0];
    st->have_lgm = v[1] != 0.0;
    for (int m = 0; m < st->n; m++) {
        char key[64];
        st->prev_acc[m] = v[2 + m];
        st->b[m] = v[2 + st->n + m];
        if (!st->g[m] && !(st->g[m] = calloc((size_t)cd, sizeof(double))))
            return ASGML_ERR(ASGML_ENOMEM, "out of memory");
        snprintf(key, sizeof key, "cggm.dlgm%d", m);
        CK(asgml_state_get(io, key, st->g[m], cd));
    }
    return asgml_probe_set_load(&st->cls, io, "cggm");
}

const asgml_method_ops asgml_method_cggm = {
    .name = "cggm",
    .summary = "CGGM: classifier-guided gradient modulation (accuracy-gain scaling of encoder "
               "gradients, delayed direction loss, clipping)",
    .needs = 0,
    .h2_rank = 40,
    .create = cggm_create,
    .destroy = cggm_destroy,
    .modulate = cggm_modulate,
    .save = cggm_save,
    .load = cggm_load,
};
