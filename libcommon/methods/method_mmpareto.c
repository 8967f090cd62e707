/* SPDX-License-Identifier: MIT */
/* method_mmpareto.c - Pareto integration of the multimodal and unimodal
 * gradients (asgml-methods(7), MMPARETO; Wei & Hu, "MMPareto: Boosting
 * Multimodal Learning with Innocent Unimodal Assistance", ICML 2024, Alg. 1,
 * Eq. 16; official code GeWu-Lab/MMPareto_ICML2024 code/MMPareto.py
 * train_epoch and code/min_norm_solvers.py).
 *
 * Model: concat head + one Linear(D -> C) head per modality (heads
 * provider); loss L = CE(z) + sum_m CE(u_m).
 * H1: separate_terms = 1, so the loop takes one backward per loss term:
 * term_grads[0] = grad of CE(z) (x1 = g_mm on encoder m), term_grads[1 + m]
 * = grad of CE(u_m) (x2 = g_u on encoder m; zero on the other encoders).
 * H2, for every active encoder m (its contiguous parameter span, every
 * tensor of the encoder: conv kernels, BN weight and bias):
 *   cos_m = x1.x2 / (max(|x1|, 1e-8) max(|x2|, 1e-8))   (double; the eps of
 *           torch.nn.functional.cosine_similarity, used by the official code)
 *   cos_m > 0: (w_mm, w_u) = (1/2, 1/2); else the min-norm weights
 *           (asgml_mmpareto_min_norm2 with x1 = g_mm, x2 = g_u)
 *   norm "code" (default, MMPareto.py): per tensor P
 *       h = 2 w_mm x1[P] + 2 w_u x2[P],  r = |x1[P] + x2[P]| / |h|
 *       grad[P] = gamma r h  if r > 1,  else gamma h
 *   norm "paper" (Alg. 1): h over the whole encoder rescaled to the norm
 *       gamma |x1 + x2|, i.e. grad = gamma r h with r over the encoder.
 * A tensor with |h| = 0 keeps gamma h = 0 and is left out of the mean r
 * (PyTorch would write 0/0 = NaN there; it never happens with live
 * gradients).  The fusion head and the unimodal heads keep the plain
 * gradient of L (the loop's sum of the terms).
 * Inner products come from the backend's double sum of squares:
 *   x1.x2 = (|x1 + x2|^2 - |x1 - x2|^2) / 4  (one scratch span, no new op).
 *
 * Config: mmpareto.gamma 1.5, mmpareto.norm code|paper.
 * Log per step: mmpareto.cos.<m>, mmpareto.w_mm.<m>, mmpareto.w_u.<m>,
 * mmpareto.r.<m> (code: mean r over the encoder's tensors; paper: r of the
 * whole encoder). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "methods/method_helpers.h"
#include "methods/method_mmpareto.h"

/* ---- weights (method_mmpareto.h) ---------------------------------------- */

double asgml_mmpareto_min_norm2(double v11, double v12, double v22, double *cost)
{
    double c, d;
    if (v12 >= v11) {            /* x1 is the min-norm point (up to 0.999) */
        c = 0.999;
        d = v11;
    } else if (v12 >= v22) {     /* x2 is the min-norm point */
        c = 0.001;
        d = v22;
    } else {                     /* interior of the segment */
        c = -1.0 * ((v12 - v22) / (v11 + v22 - 2.0 * v12));
        d = v22 + c * (v12 - v22);
    }
    if (cost)
        *cost = d;
    return c;
}

void asgml_mmpareto_weights(double cos, double v11, double v12, double v22, double *w_mm,
                            double *w_u)
{
    if (cos > 0.0) {
        *w_mm = 0.5;
        *w_u = 0.5;
        return;
    }
    /* MinNormSolver.find_min_norm_element on two vectors returns the 2-D
     * solution (c, 1 - c) directly.  (The official code passes every tensor
     * plus their concatenation, which doubles each inner product; c is
     * invariant to that scale.) */
    *w_mm = asgml_mmpareto_min_norm2(v11, v12, v22, NULL);
    *w_u = 1.0 - *w_mm;
}

/* ---- the method ----------------------------------------------------------- */

typedef struct mmp_state {
    double gamma;
    int paper;                  /* 1: mmpareto.norm paper */
    asgml_backend *be;          /* bound at the first modulate */
    float *scratch;             /* backend, the largest encoder span */
    int64_t scratch_n;
} mmp_state;

static asgml_status mmp_create(asgml_config *cfg, const asgml_model_config *mc, void **state)
{
    mmp_state *st;
    const char *norm;
    asgml_status rc;

    *state = NULL;
    if (mc->num_modalities < 2)
        return ASGML_ERR(ASGML_EINVAL, "mmpareto: needs at least two modalities (model has %d)",
                         mc->num_modalities);
    st = calloc(1, sizeof *st);
    if (!st)
        return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    if ((rc = asgml_config_get_double(cfg, "mmpareto.gamma", 1.5, &st->gamma)) != ASGML_OK ||
        (rc = asgml_config_get_string(cfg, "mmpareto.norm", "code", &norm)) != ASGML_OK) {
        free(st);
        return rc;
    }
    if (strcmp(norm, "code") == 0)
        st->paper = 0;
    else if (strcmp(norm, "paper") == 0)
        st->paper = 1;
    else {
        free(st);
        return ASGML_ERR(ASGML_EINVAL, "mmpareto.norm: '%s' is not one of code, paper", norm);
    }
    if (!(st->gamma > 0.0) || !isfinite(st->gamma)) {
        double g = st->gamma;
        free(st);
        return ASGML_ERR(ASGML_EINVAL, "mmpareto.gamma: %g is not a finite number > 0", g);
    }
    *state = st;
    return ASGML_OK;
}

static void mmp_destroy(void *state)
{
    mmp_state *st = state;
    if (!st)
        return;
    if (st->be && st->scratch)
        st->be->ops->free(st->be, st->scratch);
    free(st);
}

static asgml_status mmp_before_backward(void *state, asgml_step *s)
{
    (void)state;
    s->separate_terms = 1;
    return ASGML_OK;
}

static asgml_status mmp_bind(mmp_state *st, asgml_step *s)
{
    int64_t need = 0;
    void *ptr = NULL;
    for (int m = 0; m < s->num_modalities; m++) {
        int64_t off, cnt;
        asgml_model_group_span(s->model, m, &off, &cnt);
        need = cnt > need ? cnt : need;
    }
    if (st->be && st->scratch_n >= need)
        return ASGML_OK;
    if (st->be && st->scratch)
        st->be->ops->free(st->be, st->scratch);
    st->scratch = NULL;
    st->be = s->be;
    CK(s->be->ops->alloc(s->be, (size_t)(need > 0 ? need : 1) * sizeof(float), &ptr));
    st->scratch = ptr;
    st->scratch_n = need;
    return ASGML_OK;
}

static asgml_status sq(asgml_backend *be, int64_t n, const float *x, double *out)
{
    *out = 0.0;
    return n > 0 ? be->ops->sumsq(be, n, x, out) : ASGML_OK;
}

static asgml_status mmp_modulate(void *state, asgml_step *s)
{
    mmp_state *st = state;
    asgml_backend *be = s->be;
    float *grads = asgml_model_grads(s->model);
    const asgml_param_view *views;
    int nviews;
    char key[96];

    if (!s->separate_terms || !s->term_grads[0])
        return ASGML_ERR(ASGML_EINVAL, "mmpareto: the loop gave no separate term gradients");
    CK(mmp_bind(st, s));
    views = asgml_model_param_views(s->model, &nviews);
    for (int m = 0; m < s->num_modalities; m++) {
        int64_t off, cnt;
        double v11, v22, s_plus, s_minus, v12, cos, w_mm, w_u, r_sum = 0.0;
        int r_count = 0;
        if (!s->encoder_active[m] || !s->term_grads[1 + m])
            continue;
        asgml_model_group_span(s->model, m, &off, &cnt);
        const float *x1 = s->term_grads[0] + off;      /* g_mm on encoder m */
        const float *x2 = s->term_grads[1 + m] + off;  /* g_u on encoder m */
        float *g = grads + off;
        float *t = st->scratch;

        /* inner products over the whole encoder (double) */
        CK(sq(be, cnt, x1, &v11));
        CK(sq(be, cnt, x2, &v22));
        CK(be->ops->copy(be, cnt, x1, t));
        CK(be->ops->axpy(be, cnt, -1.0f, x2, t));
        CK(sq(be, cnt, t, &s_minus));
        CK(be->ops->add(be, cnt, x1, x2, t));           /* t = x1 + x2, kept below */
        CK(sq(be, cnt, t, &s_plus));
        v12 = 0.25 * (s_plus - s_minus);
        {
            double n1 = sqrt(v11), n2 = sqrt(v22);
            cos = v12 / ((n1 > 1e-8 ? n1 : 1e-8) * (n2 > 1e-8 ? n2 : 1e-8));
        }
        asgml_mmpareto_weights(cos, v11, v12, v22, &w_mm, &w_u);

        /* h = 2 w_mm x1 + 2 w_u x2 into the encoder's gradient */
        CK(be->ops->copy(be, cnt, x1, g));
        CK(be->ops->scale(be, cnt, (float)(2.0 * w_mm), g));
        CK(be->ops->axpy(be, cnt, (float)(2.0 * w_u), x2, g));

        if (st->paper) {
            double hh, r;
            CK(sq(be, cnt, g, &hh));
            if (hh > 0.0) {
                r = sqrt(s_plus) / sqrt(hh);
                CK(be->ops->scale(be, cnt, (float)(st->gamma * r), g));
                r_sum = r;
                r_count = 1;
            }
        } else {
            for (int v = 0; v < nviews; v++) {
                const asgml_param_view *pv = &views[v];
                double hh, tt, r;
                if (pv->group != m || pv->numel == 0)
                    continue;
                int64_t o = pv->offset - off;
                CK(sq(be, pv->numel, g + o, &hh));
                CK(sq(be, pv->numel, t + o, &tt));
                if (!(hh > 0.0))
                    continue;    /* h = 0: gamma h = 0 already */
                r = sqrt(tt) / sqrt(hh);
                CK(be->ops->scale(be, pv->numel, (float)(r > 1.0 ? st->gamma * r : st->gamma),
                                  g + o));
                r_sum += r;
                r_count++;
            }
        }
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "mmpareto.cos", s, m), cos);
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "mmpareto.w_mm", s, m), w_mm);
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "mmpareto.w_u", s, m), w_u);
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "mmpareto.r", s, m),
                      r_count > 0 ? r_sum / r_count : 0.0);
    }
    return ASGML_OK;
}

/* No save/load: stateless between steps. */
const asgml_method_ops asgml_method_mmpareto = {
    .name = "mmpareto",
    .summary = "MMPareto: per encoder, Pareto (min-norm) mix of the fused and unimodal "
               "gradients when they conflict, rescaled by gamma",
    .needs = ASGML_NEEDS_UNI_HEADS,
    .h2_rank = 5,        /* rewrites encoder gradients from the terms: first */
    .create = mmp_create,
    .destroy = mmp_destroy,
    .before_backward = mmp_before_backward,
    .modulate = mmp_modulate,
};
