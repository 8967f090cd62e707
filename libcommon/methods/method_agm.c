/* SPDX-License-Identifier: MIT */
/* method_agm.c - adaptive gradient modulation, AGM (asgml-methods(7), AGM;
 * Li et al., ICCV 2023; official code Lingy12/AGM_ICCV2023 model/CREMAD_net.py
 * GradMod and run/CREMAD_main.py train(); variant "bmm" after
 * GeWu-Lab/BalanceBenchmark balancemm/trainer/AGM_trainer.py).
 *
 * H1 (before_backward), every step:
 *   F = f(x_1..x_N) is the loop's training-mode forward; for every proper
 *   non-empty subset S of modalities an extra pass f(S) with the inputs of
 *   the modalities outside S zeroed, in inference mode (BN running
 *   statistics, not updated) with its graph kept (GradMod: net.eval() for
 *   the padded passes, gradients on).  N = 2: P_1 = f(x_1, 0), P_2 = f(0, x_2).
 *   o_m = Shapley value of m (+ f(empty)/N, which cancels):
 *   N = 2: o_1 = (F - P_2 + P_1)/2, o_2 = (F - P_1 + P_2)/2; L = CE(o_1 + o_2).
 *   s_m = mean_i -log max(softmax(o_m,i)[y_i], 1e-8)
 *   r_m = exp(mean_{j!=m} s_j - s_m), rbar_m likewise from the running means
 *   Sbar (over all previous iterations), k_m = exp(alpha min(rbar_m - r_m, 10)),
 *   then Sbar <- Sbar (n-1)/n + s/n (n = global iteration from 1).
 *   Inside the window start <= e <= end the gradient at o_m is scaled by
 *   k_m (GradMod backward hooks): dL/dF = (sum_m k_m / N) G (the loop's
 *   fused_grad_scale), dL/df(S) = c_S G for the extra passes
 *   (asgml_step_backward_extra), G = (softmax(F) - onehot(y))/B.
 *   Outside the window k = 1 (agm.sticky = 1: the last applied k stays,
 *   as [AGM] never resets its hook scales).
 * H2 (modulate): if any element of the head-weight gradient (fusion
 *   fc_out.weight) exceeds 1 in magnitude, clip the global gradient norm of
 *   all parameters to 1 (run/CREMAD_main.py).
 * Variant bmm (AGM_trainer.py newGrad/training_step): the padded passes
 *   carry no gradient, o_m leaves out the empty coalition (N = 2:
 *   o_1 = (F - P_2)/2), r_m = exp(s_m - mean_{j!=m} s_j) (the opposite sign
 *   for N = 2), cap 7; the loss gradient is plain CE(F); in H2 every
 *   encoder-m gradient that is not 1-D is multiplied by k_m; clip threshold
 *   and max norm 5.
 *
 * Config: agm.alpha 1.0, agm.start 0, agm.end -1 (= last epoch),
 * agm.sticky 0, agm.variant official|bmm (alias asgml = official).
 * Log: agm.s.<m>, agm.sbar.<m> (the running mean rbar is computed from,
 * i.e. before this step's update), agm.r.<m>, agm.rbar.<m>, agm.k.<m>
 * (computed), agm.kapp.<m> (applied), agm.in_window, agm.clip.fired,
 * agm.clip.norm.
 * State: agm.sbar (N), agm.last_k (N). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "asgml/hooks.h"
#include "core/error.h"
#include "methods/method_agm.h"
#include "methods/method_helpers.h"

/* ---- host math (method_agm.h) ------------------------------------------- */

asgml_status asgml_agm_parse_variant(const char *v, asgml_agm_variant *out)
{
    if (strcmp(v, "official") == 0 || strcmp(v, "asgml") == 0)
        *out = ASGML_AGM_OFFICIAL;
    else if (strcmp(v, "bmm") == 0)
        *out = ASGML_AGM_BMM;
    else
        return asgml_error(ASGML_EINVAL, "agm.variant: '%s' is not one of official (asgml), bmm",
                           v);
    return ASGML_OK;
}

static double factorial(int k)
{
    double f = 1.0;
    for (int i = 2; i <= k; i++)
        f *= i;
    return f;
}

static int popcount(unsigned x)
{
    int c = 0;
    for (; x; x &= x - 1)
        c++;
    return c;
}

void asgml_agm_subset_weights(asgml_agm_variant v, int n, int m, double *w)
{
    unsigned full = (1u << n) - 1u, bit = 1u << m;
    for (unsigned S = 0; S <= full; S++)
        w[S] = 0.0;
    /* sum over coalitions T of the others: w(|T|) (f(T + m) - f(T)),
     * w(t) = t! (n - t - 1)! / n! */
    for (unsigned T = 0; T <= full; T++) {
        if (T & bit)
            continue;
        if (v == ASGML_AGM_BMM && T == 0)
            continue;          /* newGrad: combinations without the empty one */
        int t = popcount(T);
        double wt = factorial(t) * factorial(n - t - 1) / factorial(n);
        w[T | bit] += wt;
        w[T] -= wt;
    }
    if (v == ASGML_AGM_OFFICIAL)
        w[0] += 1.0 / n;       /* + f(empty)/N: cancels the T = empty term */
}

double asgml_agm_score(const double *o, int B, int C, const int32_t *labels)
{
    double acc = 0.0;
    for (int i = 0; i < B; i++) {
        const double *row = o + (size_t)i * (size_t)C;
        double mx = row[0], sum = 0.0;
        for (int c = 1; c < C; c++)
            mx = row[c] > mx ? row[c] : mx;
        for (int c = 0; c < C; c++)
            sum += exp(row[c] - mx);
        double p = exp(row[labels[i]] - mx) / sum;
        acc += -log(p < 1e-8 ? 1e-8 : p);
    }
    return acc / B;
}

void asgml_agm_coefficients(asgml_agm_variant v, int n, const double *s, const double *sbar,
                            double alpha, double *r, double *rbar, double *k)
{
    double cap = v == ASGML_AGM_BMM ? 7.0 : 10.0;
    double sign = v == ASGML_AGM_BMM ? 1.0 : -1.0;
    for (int m = 0; m < n; m++) {
        double os = 0.0, ob = 0.0;
        for (int j = 0; j < n; j++)
            if (j != m) {
                os += s[j];
                ob += sbar[j];
            }
        os /= n - 1;
        ob /= n - 1;
        r[m] = exp(sign * (s[m] - os));
        rbar[m] = exp(sign * (sbar[m] - ob));
        double d = rbar[m] - r[m];
        k[m] = exp(alpha * (d < cap ? d : cap));
    }
}

void asgml_agm_update_mean(int n, double *sbar, const double *s, int64_t it)
{
    for (int m = 0; m < n; m++)
        sbar[m] = sbar[m] * (double)(it - 1) / (double)it + s[m] / (double)it;
}

void asgml_agm_pass_scales(int n, const double *k, double *c)
{
    unsigned full = (1u << n) - 1u;
    double w[1u << ASGML_MAX_MODALITIES];
    for (unsigned S = 0; S <= full; S++)
        c[S] = 0.0;
    for (int m = 0; m < n; m++) {
        asgml_agm_subset_weights(ASGML_AGM_OFFICIAL, n, m, w);
        for (unsigned S = 0; S <= full; S++)
            c[S] += k[m] * w[S];
    }
    c[0] = 0.0;
}

/* ---- the method ---------------------------------------------------------- */

#define AGM_MAX_N 4            /* 2^N - 2 extra passes; 14 at N = 4 */

typedef struct agm_state {
    double alpha;
    long start, end;
    int sticky;
    asgml_agm_variant variant;
    int n, num_classes, max_batch;
    double sbar[ASGML_MAX_MODALITIES], last_k[ASGML_MAX_MODALITIES];
    double kapp[ASGML_MAX_MODALITIES];   /* applied this step (bmm: in H2) */
    int in_window;
    asgml_backend *be;
    float *dl;                 /* backend (max_batch, C) */
    float *hbuf;               /* host (max_batch, C) */
    double *f;                 /* host (2^n, max_batch, C) subset logits */
    double *o;                 /* host (max_batch, C) */
} agm_state;

static asgml_status agm_create(asgml_config *cfg, const asgml_model_config *mc, void **state)
{
    agm_state *st;
    const char *variant;
    asgml_status rc;

    *state = NULL;
    if (mc->num_modalities < 2)
        return asgml_error(ASGML_EINVAL, "agm: needs at least two modalities (model has %d)",
                           mc->num_modalities);
    if (mc->num_modalities > AGM_MAX_N)
        return asgml_error(ASGML_EINVAL, "agm: at most %d modalities (model has %d)", AGM_MAX_N,
                           mc->num_modalities);
    st = calloc(1, sizeof *st);
    if (!st)
        return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    if ((rc = asgml_config_get_double(cfg, "agm.alpha", 1.0, &st->alpha)) != ASGML_OK ||
        (rc = asgml_config_get_int(cfg, "agm.start", 0, &st->start)) != ASGML_OK ||
        (rc = asgml_config_get_int(cfg, "agm.end", -1, &st->end)) != ASGML_OK ||
        (rc = asgml_config_get_bool(cfg, "agm.sticky", 0, &st->sticky)) != ASGML_OK ||
        (rc = asgml_config_get_string(cfg, "agm.variant", "official", &variant)) != ASGML_OK ||
        (rc = asgml_agm_parse_variant(variant, &st->variant)) != ASGML_OK) {
        free(st);
        return rc;
    }
    if (!(st->alpha >= 0.0) || st->start < 0) {
        double alpha = st->alpha;
        long start = st->start;
        free(st);
        return asgml_error(ASGML_EINVAL, "agm.alpha %g must be >= 0 and agm.start %ld >= 0",
                           alpha, start);
    }
    st->n = mc->num_modalities;
    st->num_classes = mc->num_classes;
    st->max_batch = mc->max_batch > 0 ? mc->max_batch : 1;
    for (int m = 0; m < ASGML_MAX_MODALITIES; m++)
        st->last_k[m] = st->kapp[m] = 1.0;
    *state = st;
    return ASGML_OK;
}

static void agm_destroy(void *state)
{
    agm_state *st = state;
    if (!st)
        return;
    if (st->be && st->dl)
        st->be->ops->free(st->be, st->dl);
    free(st->hbuf);
    free(st->f);
    free(st->o);
    free(st);
}

static asgml_status agm_bind(agm_state *st, asgml_step *s)
{
    void *ptr = NULL;
    size_t bc = (size_t)st->max_batch * (size_t)st->num_classes;

    if (st->be)
        return ASGML_OK;
    CK(s->be->ops->alloc(s->be, bc * sizeof(float), &ptr));
    st->be = s->be;
    st->dl = ptr;
    st->hbuf = malloc(bc * sizeof(float));
    st->f = malloc(((size_t)1 << st->n) * bc * sizeof(double));
    st->o = malloc(bc * sizeof(double));
    if (!st->hbuf || !st->f || !st->o)
        return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    return ASGML_OK;
}

static asgml_status agm_fetch(agm_state *st, const float *dev, int B, double *dst)
{
    size_t bc = (size_t)B * (size_t)st->num_classes;
    CK(st->be->ops->to_host(st->be, st->hbuf, dev, bc * sizeof(float)));
    for (size_t i = 0; i < bc; i++)
        dst[i] = st->hbuf[i];
    return ASGML_OK;
}

static asgml_status agm_pass(asgml_step *s, int i, unsigned S, int n, const float **lg)
{
    int zero[ASGML_MAX_MODALITIES] = { 0 };
    for (int m = 0; m < n; m++)
        zero[m] = !(S & (1u << m));
    return asgml_step_forward_extra(s, i % 4, zero, 0, lg);
}

static asgml_status agm_before_backward(void *state, asgml_step *s)
{
    agm_state *st = state;
    int n = st->n, B = s->batch_size, C = s->num_classes;
    unsigned full = (1u << n) - 1u;
    size_t bc = (size_t)B * (size_t)C;
    double w[1u << AGM_MAX_N], c[1u << AGM_MAX_N];
    double score[ASGML_MAX_MODALITIES] = { 0 }, r[ASGML_MAX_MODALITIES], rbar[ASGML_MAX_MODALITIES];
    double k[ASGML_MAX_MODALITIES];
    const float *lg;
    char key[96];

    if (s->num_modalities != n || B > st->max_batch || C != st->num_classes)
        return asgml_error(ASGML_EINVAL, "agm: step of %d modalities, %d x %d exceeds %d, %d x %d",
                           s->num_modalities, B, C, n, st->max_batch, st->num_classes);
    CK(agm_bind(st, s));
    /* f(full) = F, then the padded passes S = 1 .. full - 1 (pass i = S - 1) */
    CK(agm_fetch(st, asgml_model_logits(s->model), B, st->f + (size_t)full * bc));
    for (unsigned S = 1; S < full; S++) {
        CK(agm_pass(s, (int)S - 1, S, n, &lg));
        CK(agm_fetch(st, lg, B, st->f + (size_t)S * bc));
    }
    /* o_m, s_m */
    for (int m = 0; m < n; m++) {
        asgml_agm_subset_weights(st->variant, n, m, w);
        memset(st->o, 0, bc * sizeof(double));
        for (unsigned S = 1; S <= full; S++)
            if (w[S] != 0.0)
                for (size_t j = 0; j < bc; j++)
                    st->o[j] += w[S] * st->f[(size_t)S * bc + j];
        score[m] = asgml_agm_score(st->o, B, C, s->labels);
    }
    asgml_agm_coefficients(st->variant, n, score, st->sbar, st->alpha, r, rbar, k);
    for (int m = 0; m < n; m++) {
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "agm.s", s, m), score[m]);
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "agm.sbar", s, m), st->sbar[m]);
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "agm.r", s, m), r[m]);
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "agm.rbar", s, m), rbar[m]);
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "agm.k", s, m), k[m]);
    }
    asgml_agm_update_mean(n, st->sbar, score, s->step + 1);

    st->in_window = s->epoch >= st->start && (st->end < 0 || s->epoch <= st->end);
    for (int m = 0; m < n; m++) {
        if (st->in_window)
            st->kapp[m] = st->last_k[m] = k[m];
        else
            st->kapp[m] = st->sticky ? st->last_k[m] : 1.0;
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "agm.kapp", s, m), st->kapp[m]);
    }
    asgml_log_int(s->log, "agm.in_window", st->in_window);
    if (st->variant == ASGML_AGM_BMM)
        return ASGML_OK;       /* padded passes without gradient; k in H2 */

    /* gradient at o_m scaled by k_m: F gets c[full] G, f(S) gets c[S] G */
    asgml_agm_pass_scales(n, st->kapp, c);
    s->fused_grad_scale = (float)c[full];
    int npass = (int)full - 1;
    for (int i = npass - 1; i >= 0; i--) {
        unsigned S = (unsigned)i + 1u;
        if (c[S] == 0.0)
            continue;
        if (i < npass - 4)     /* its slot was reused by pass i + 4 */
            CK(agm_pass(s, i, S, n, &lg));
        CK(s->be->ops->fill(s->be, (int64_t)bc, 0.0f, st->dl));
        CK(s->be->ops->softmax_ce(s->be, B, C, asgml_model_logits(s->model), s->labels_dev,
                                  (float)(c[S] / B), NULL, NULL, st->dl, NULL));
        CK(asgml_step_backward_extra(s, i % 4, st->dl, NULL));
    }
    return ASGML_OK;
}

static asgml_status agm_modulate(void *state, asgml_step *s)
{
    agm_state *st = state;
    asgml_backend *be = s->be;
    int nviews, fired = 0, have_out = 0;
    double thresh = st->variant == ASGML_AGM_BMM ? 5.0 : 1.0, norm = 0.0, gmax = 0.0;

    const asgml_param_view *views = asgml_model_param_views(s->model, &nviews);
    float *grads = asgml_model_grads(s->model);
    if (st->variant == ASGML_AGM_BMM)
        for (int v = 0; v < nviews; v++) {
            const asgml_param_view *pv = &views[v];
            if (pv->group >= st->n || pv->ndim == 1 || !s->encoder_active[pv->group] ||
                st->kapp[pv->group] == 1.0)
                continue;
            CK(be->ops->scale(be, pv->numel, (float)st->kapp[pv->group], grads + pv->offset));
        }
    /* the head weight: fusion "fc_out.weight" (every 2-D fusion weight when
     * the fusion has no fc_out) */
    for (int v = 0; v < nviews; v++) {
        size_t len = strlen(views[v].name);
        have_out |= views[v].group == ASGML_GROUP_FUSION && len >= 13 &&
                    strcmp(views[v].name + len - 13, "fc_out.weight") == 0;
    }
    for (int v = 0; v < nviews; v++) {
        const asgml_param_view *pv = &views[v];
        size_t len = strlen(pv->name);
        if (pv->group != ASGML_GROUP_FUSION || pv->ndim != 2)
            continue;
        if (have_out && !(len >= 13 && strcmp(pv->name + len - 13, "fc_out.weight") == 0))
            continue;
        float *h = malloc((size_t)pv->numel * sizeof *h);
        if (!h)
            return ASGML_ERR(ASGML_ENOMEM, "out of memory");
        asgml_status rc = be->ops->to_host(be, h, grads + pv->offset,
                                           (size_t)pv->numel * sizeof *h);
        for (int64_t j = 0; rc == ASGML_OK && j < pv->numel; j++)
            gmax = fabs((double)h[j]) > gmax ? fabs((double)h[j]) : gmax;
        free(h);
        CK(rc);
    }
    if (gmax > thresh)
        CK(asgml_model_clip_grad_norm(s->model, thresh, &norm, &fired));
    asgml_log_int(s->log, "agm.clip.fired", fired);
    asgml_log_num(s->log, "agm.clip.norm", norm);
    return ASGML_OK;
}

static asgml_status agm_save(void *state, asgml_state_io *io)
{
    agm_state *st = state;
    CK(asgml_state_put(io, "agm.sbar", st->sbar, st->n));
    return asgml_state_put(io, "agm.last_k", st->last_k, st->n);
}

static asgml_status agm_load(void *state, asgml_state_io *io)
{
    agm_state *st = state;
    CK(asgml_state_get(io, "agm.sbar", st->sbar, st->n));
    return asgml_state_get(io, "agm.last_k", st->last_k, st->n);
}

const asgml_method_ops asgml_method_agm = {
    .name = "agm",
    .summary = "AGM: Shapley mono-modal responses, gradient at o_m scaled by "
               "exp(alpha min(rbar - r, 10)), clipped",
    .needs = 0,
    .h2_rank = 90,
    .create = agm_create,
    .destroy = agm_destroy,
    .before_backward = agm_before_backward,
    .modulate = agm_modulate,
    .save = agm_save,
    .load = agm_load,
};
