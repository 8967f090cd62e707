/* fusion.c - fusion head (methods.md 1.2) and unimodal logits providers
 * (methods.md 1.3) of asgml_model.  f_m below is the fusion input of
 * modality m (B, D): the encoder feature after dropout (when configured);
 * separate heads read the feature before dropout.
 *
 * Parameter names (state_dict of the OGM-GE fusion_modules.py):
 *   concat   fusion_module.fc_out (C, N*D)
 *            two-layer: fusion_module.fc_hidden (512, N*D), fusion_module.fc_out (C, 512)
 *   sum      N = 2: fusion_module.fc_x, fusion_module.fc_y (C, D) each;
 *            N != 2: fusion_module.fc_<modality>
 *   film     fusion_module.fc (2D, D) -> [gamma; beta] from f_1, fusion_module.fc_out (C, D)
 *   gated    fusion_module.fc_x, fusion_module.fc_y (D, D), fusion_module.fc_out (C, D)
 *   heads    head_<modality> (C, D)
 *
 * Unimodal logits:
 *   split  concat: u_m = W[:, block m] f_m + b/N (two-layer: W2 (W1[:, block m] f_m + b1/N)
 *          + b2/N, so that sum_m u_m = z);  sum: u_m = W_m f_m + b_m
 *   zero   the head with f_j = 0 for j != m: concat u_m = W[:, block m] f_m + b (two-layer
 *          W2 (W1[:, block m] f_m + b1) + b2);  sum: W_m f_m + sum_j b_j
 *   heads  u_m = H_m f_m + c_m (the encoder gradient is cut with uni_detach)
 * A scaled bias s*b is added as the rank-1 product ones(B) b^T through gemm. */
#include <stdio.h>
#include <string.h>

#include "nn/model_internal.h"

static int64_t add_linear(asgml_model *m, int group, int head_of, const char *name, int out,
                          int in, int64_t *bias)
{
    char full[128];
    int64_t ws[2] = { out, in }, bs[1] = { out };
    snprintf(full, sizeof full, "%s.weight", name);
    int64_t w = model_add_param(m, group, head_of, full, 2, ws);
    snprintf(full, sizeof full, "%s.bias", name);
    *bias = model_add_param(m, group, head_of, full, 1, bs);
    return w;
}

asgml_status fusion_build(asgml_model *m)
{
    fusion_head *f = &m->fu;
    const asgml_model_config *c = &m->cfg;
    int N = m->n, D = m->D, C = m->C, H = MODEL_TWO_LAYER_HIDDEN;
    int64_t bmax = c->max_batch;
    int G = ASGML_GROUP_FUSION;
    char name[96];
    f->w = f->b = f->wh = f->bh = -1;
    for (int i = 0; i < ASGML_MAX_MODALITIES; i++)
        f->wm[i] = f->bm[i] = f->head_w[i] = f->head_b[i] = -1;

    switch (c->fusion) {
    case ASGML_FUSION_CONCAT:
        if (c->head_two_layer) {
            f->wh = add_linear(m, G, -1, "fusion_module.fc_hidden", H, N * D, &f->bh);
            f->w = add_linear(m, G, -1, "fusion_module.fc_out", C, H, &f->b);
        } else {
            f->w = add_linear(m, G, -1, "fusion_module.fc_out", C, N * D, &f->b);
        }
        break;
    case ASGML_FUSION_SUM:
        for (int i = 0; i < N; i++) {
            if (N == 2) snprintf(name, sizeof name, "fusion_module.fc_%s", i ? "y" : "x");
            else snprintf(name, sizeof name, "fusion_module.fc_%s", m->enc[i].cfg.name);
            f->wm[i] = add_linear(m, G, -1, name, C, D, &f->bm[i]);
        }
        break;
    case ASGML_FUSION_FILM:
        f->wm[0] = add_linear(m, G, -1, "fusion_module.fc", 2 * D, D, &f->bm[0]);
        f->w = add_linear(m, G, -1, "fusion_module.fc_out", C, D, &f->b);
        break;
    case ASGML_FUSION_GATED:
        f->wm[0] = add_linear(m, G, -1, "fusion_module.fc_x", D, D, &f->bm[0]);
        f->wm[1] = add_linear(m, G, -1, "fusion_module.fc_y", D, D, &f->bm[1]);
        f->w = add_linear(m, G, -1, "fusion_module.fc_out", C, D, &f->b);
        break;
    }
    if (c->uni == ASGML_UNI_HEADS)
        for (int i = 0; i < N; i++) {
            snprintf(name, sizeof name, "head_%s", m->enc[i].cfg.name);
            f->head_w[i] = add_linear(m, ASGML_GROUP_HEADS, i, name, C, D, &f->head_b[i]);
        }

    int64_t wide = bmax * (D > H ? D : H);
    f->logits = model_arena_take(&m->arena, bmax * C);
    for (int k = 0; k < 4; k++) {
        f->act[k] = model_arena_take(&m->arena, wide);
        f->gact[k] = model_arena_take(&m->arena, wide);
    }
    f->tmp = model_arena_take(&m->arena, wide);
    for (int i = 0; i < N; i++) {
        f->uni[i] = c->uni != ASGML_UNI_NONE ? model_arena_take(&m->arena, bmax * C) : NULL;
        f->uhid[i] = (c->head_two_layer && (c->uni == ASGML_UNI_SPLIT || c->uni == ASGML_UNI_ZERO))
                         ? model_arena_take(&m->arena, bmax * H) : NULL;
    }
    f->ones = model_arena_take(&m->arena, bmax);
    return ASGML_OK;
}

/* y (B, out) (=, or += when acc) x (B, in) W^T, W (out, in) with row
 * stride ldw (a column block of a wider matrix); then y += s * b. */
static asgml_status block_fwd(asgml_model *m, int B, int in, int out, const float *x,
                              const float *w, int ldw, const float *b, float s, int acc, float *y)
{
    asgml_backend *be = m->be;
    MODEL_TRY(be->ops->gemm(be, 0, 1, B, out, in, 1.0f, x, in, w, ldw, acc ? 1.0f : 0.0f, y, out));
    if (!b) return ASGML_OK;
    if (s == 1.0f) return be->ops->bias_forward(be, B, out, b, y);
    /* y (B, out) += s * ones (B, 1) b (1, out) */
    return be->ops->gemm(be, 0, 0, B, out, 1, s, m->fu.ones, 1, b, out, 1.0f, y, out);
}

/* Backward of block_fwd: dW (ldw) += dy^T x; db += s * colsum(dy); dx += dy W.
 * Any of dw, db, dx may be NULL. */
static asgml_status block_bwd(asgml_model *m, int B, int in, int out, const float *x,
                              const float *w, int ldw, const float *dy, float *dw, float *db,
                              float s, float *dx)
{
    asgml_backend *be = m->be;
    if (dw) MODEL_TRY(be->ops->gemm(be, 1, 0, out, in, B, 1.0f, dy, out, x, in, 1.0f, dw, ldw));
    if (db) {
        if (s == 1.0f) MODEL_TRY(be->ops->bias_backward(be, B, out, dy, db));
        else MODEL_TRY(be->ops->gemm(be, 1, 0, 1, out, B, s, m->fu.ones, 1, dy, out, 1.0f, db, out));
    }
    if (dx) MODEL_TRY(be->ops->gemm(be, 0, 0, B, in, out, 1.0f, dy, out, w, ldw, 1.0f, dx, in));
    return ASGML_OK;
}

#define P(off) (m->params + (off))
#define G(off) (m->grads + (off))

static asgml_status uni_forward(asgml_model *m, int B)
{
    fusion_head *f = &m->fu;
    const asgml_model_config *c = &m->cfg;
    int N = m->n, D = m->D, C = m->C, H = MODEL_TWO_LAYER_HIDDEN;
    for (int i = 0; i < N; i++) {
        const float *x = m->enc[i].fin;
        float *u = f->uni[i];
        if (c->uni == ASGML_UNI_HEADS) {
            MODEL_TRY(linear_forward(m->be, B, D, C, m->enc[i].feat, D, P(f->head_w[i]),
                                     P(f->head_b[i]), u));
        } else if (c->fusion == ASGML_FUSION_CONCAT) {
            float s = c->uni == ASGML_UNI_SPLIT ? 1.0f / (float)N : 1.0f;
            if (c->head_two_layer) {
                MODEL_TRY(block_fwd(m, B, D, H, x, P(f->wh) + (int64_t)i * D, N * D, P(f->bh), s,
                                    0, f->uhid[i]));
                MODEL_TRY(block_fwd(m, B, H, C, f->uhid[i], P(f->w), H, P(f->b), s, 0, u));
            } else {
                MODEL_TRY(block_fwd(m, B, D, C, x, P(f->w) + (int64_t)i * D, N * D, P(f->b), s,
                                    0, u));
            }
        } else {   /* sum fusion, split or zero */
            MODEL_TRY(block_fwd(m, B, D, C, x, P(f->wm[i]), D, P(f->bm[i]), 1.0f, 0, u));
            if (c->uni == ASGML_UNI_ZERO)
                for (int j = 0; j < N; j++)
                    if (j != i) MODEL_TRY(m->be->ops->bias_forward(m->be, B, C, P(f->bm[j]), u));
        }
    }
    return ASGML_OK;
}

asgml_status fusion_forward(asgml_model *m, int B)
{
    asgml_backend *be = m->be;
    const asgml_backend_ops *o = be->ops;
    fusion_head *f = &m->fu;
    const asgml_model_config *c = &m->cfg;
    int N = m->n, D = m->D, C = m->C, H = MODEL_TWO_LAYER_HIDDEN;
    int64_t bdim = (int64_t)B * D;
    const float *x0 = m->enc[0].fin, *x1 = N > 1 ? m->enc[1].fin : NULL;

    switch (c->fusion) {
    case ASGML_FUSION_CONCAT:
        /* [f_1; ...; f_N] W^T = sum_m f_m W[:, block m]^T: no concatenation copy */
        if (c->head_two_layer) {
            for (int i = 0; i < N; i++)
                MODEL_TRY(block_fwd(m, B, D, H, m->enc[i].fin, P(f->wh) + (int64_t)i * D, N * D,
                                    i == N - 1 ? P(f->bh) : NULL, 1.0f, i > 0, f->act[0]));
            MODEL_TRY(linear_forward(be, B, H, C, f->act[0], H, P(f->w), P(f->b), f->logits));
        } else {
            for (int i = 0; i < N; i++)
                MODEL_TRY(block_fwd(m, B, D, C, m->enc[i].fin, P(f->w) + (int64_t)i * D, N * D,
                                    i == N - 1 ? P(f->b) : NULL, 1.0f, i > 0, f->logits));
        }
        break;
    case ASGML_FUSION_SUM:
        for (int i = 0; i < N; i++)
            MODEL_TRY(block_fwd(m, B, D, C, m->enc[i].fin, P(f->wm[i]), D, P(f->bm[i]), 1.0f,
                                i > 0, f->logits));
        break;
    case ASGML_FUSION_FILM:
        /* gamma = f_1 Wg^T + bg, beta = f_1 Wb^T + bb (rows 0..D-1 / D..2D-1 of fc);
         * h = gamma * f_2 + beta (B, D); z = h Wo^T + bo */
        MODEL_TRY(linear_forward(be, B, D, D, x0, D, P(f->wm[0]), P(f->bm[0]), f->act[0]));
        MODEL_TRY(linear_forward(be, B, D, D, x0, D, P(f->wm[0]) + (int64_t)D * D,
                                 P(f->bm[0]) + D, f->act[1]));
        MODEL_TRY(o->mul(be, bdim, f->act[0], x1, f->act[2]));
        MODEL_TRY(o->add(be, bdim, f->act[2], f->act[1], f->act[2]));
        MODEL_TRY(linear_forward(be, B, D, C, f->act[2], D, P(f->w), P(f->b), f->logits));
        break;
    case ASGML_FUSION_GATED:
        /* o_m = f_m W_m^T + b_m (B, D); h = sigmoid(o_1) * o_2; z = h Wo^T + bo */
        MODEL_TRY(linear_forward(be, B, D, D, x0, D, P(f->wm[0]), P(f->bm[0]), f->act[0]));
        MODEL_TRY(linear_forward(be, B, D, D, x1, D, P(f->wm[1]), P(f->bm[1]), f->act[1]));
        MODEL_TRY(o->sigmoid_forward(be, bdim, f->act[0], f->act[2]));
        MODEL_TRY(o->mul(be, bdim, f->act[2], f->act[1], f->act[3]));
        MODEL_TRY(linear_forward(be, B, D, C, f->act[3], D, P(f->w), P(f->b), f->logits));
        break;
    }
    if (c->uni != ASGML_UNI_NONE) MODEL_TRY(uni_forward(m, B));
    return ASGML_OK;
}

static asgml_status fused_backward(asgml_model *m, int B, const float *dz)
{
    asgml_backend *be = m->be;
    const asgml_backend_ops *o = be->ops;
    fusion_head *f = &m->fu;
    const asgml_model_config *c = &m->cfg;
    int N = m->n, D = m->D, C = m->C, H = MODEL_TWO_LAYER_HIDDEN;
    int64_t bdim = (int64_t)B * D;
    const float *x0 = m->enc[0].fin, *x1 = N > 1 ? m->enc[1].fin : NULL;
    float *dx0 = m->enc[0].dfin, *dx1 = N > 1 ? m->enc[1].dfin : NULL;

    switch (c->fusion) {
    case ASGML_FUSION_CONCAT:
        if (c->head_two_layer) {
            float *dh = f->gact[0];   /* (B, 512) */
            MODEL_TRY(o->fill(be, (int64_t)B * H, 0.0f, dh));
            MODEL_TRY(linear_backward(be, B, H, C, f->act[0], H, P(f->w), dz, G(f->w), G(f->b), dh));
            for (int i = 0; i < N; i++)
                MODEL_TRY(block_bwd(m, B, D, H, m->enc[i].fin, P(f->wh) + (int64_t)i * D, N * D, dh,
                                    G(f->wh) + (int64_t)i * D, i == 0 ? G(f->bh) : NULL, 1.0f,
                                    m->enc[i].dfin));
        } else {
            for (int i = 0; i < N; i++)
                MODEL_TRY(block_bwd(m, B, D, C, m->enc[i].fin, P(f->w) + (int64_t)i * D, N * D, dz,
                                    G(f->w) + (int64_t)i * D, i == 0 ? G(f->b) : NULL, 1.0f,
                                    m->enc[i].dfin));
        }
        break;
    case ASGML_FUSION_SUM:
        for (int i = 0; i < N; i++)
            MODEL_TRY(linear_backward(be, B, D, C, m->enc[i].fin, D, P(f->wm[i]), dz, G(f->wm[i]),
                                      G(f->bm[i]), m->enc[i].dfin));
        break;
    case ASGML_FUSION_FILM: {
        float *dh = f->gact[2], *dgam = f->gact[0];
        MODEL_TRY(o->fill(be, bdim, 0.0f, dh));
        MODEL_TRY(linear_backward(be, B, D, C, f->act[2], D, P(f->w), dz, G(f->w), G(f->b), dh));
        /* dL/dbeta = dh; dL/dgamma = dh * f_2; dL/df_2 += dh * gamma */
        MODEL_TRY(o->mul(be, bdim, dh, x1, dgam));
        MODEL_TRY(o->mul(be, bdim, dh, f->act[0], f->tmp));
        MODEL_TRY(o->axpy(be, bdim, 1.0f, f->tmp, dx1));
        MODEL_TRY(linear_backward(be, B, D, D, x0, D, P(f->wm[0]), dgam, G(f->wm[0]), G(f->bm[0]),
                                  dx0));
        MODEL_TRY(linear_backward(be, B, D, D, x0, D, P(f->wm[0]) + (int64_t)D * D, dh,
                                  G(f->wm[0]) + (int64_t)D * D, G(f->bm[0]) + D, dx0));
        break;
    }
    case ASGML_FUSION_GATED: {
        float *dh = f->gact[2], *do1 = f->gact[0], *do2 = f->gact[1];
        MODEL_TRY(o->fill(be, bdim, 0.0f, dh));
        MODEL_TRY(linear_backward(be, B, D, C, f->act[3], D, P(f->w), dz, G(f->w), G(f->b), dh));
        /* h = g * o_2: dL/do_2 = dh * g; dL/dg = dh * o_2; dL/do_1 = dL/dg * g (1 - g) */
        MODEL_TRY(o->mul(be, bdim, dh, f->act[2], do2));
        MODEL_TRY(o->mul(be, bdim, dh, f->act[1], f->tmp));
        MODEL_TRY(o->fill(be, bdim, 0.0f, do1));
        MODEL_TRY(o->sigmoid_backward(be, bdim, f->act[2], f->tmp, do1));
        MODEL_TRY(linear_backward(be, B, D, D, x0, D, P(f->wm[0]), do1, G(f->wm[0]), G(f->bm[0]),
                                  dx0));
        MODEL_TRY(linear_backward(be, B, D, D, x1, D, P(f->wm[1]), do2, G(f->wm[1]), G(f->bm[1]),
                                  dx1));
        break;
    }
    }
    return ASGML_OK;
}

static asgml_status uni_backward(asgml_model *m, int B, int i, const float *du)
{
    fusion_head *f = &m->fu;
    const asgml_model_config *c = &m->cfg;
    int N = m->n, D = m->D, C = m->C, H = MODEL_TWO_LAYER_HIDDEN;
    encoder *e = &m->enc[i];
    if (c->uni == ASGML_UNI_HEADS)
        return linear_backward(m->be, B, D, C, e->feat, D, P(f->head_w[i]), du, G(f->head_w[i]),
                               G(f->head_b[i]), c->uni_detach ? NULL : e->dfeat);
    if (c->fusion == ASGML_FUSION_CONCAT) {
        float s = c->uni == ASGML_UNI_SPLIT ? 1.0f / (float)N : 1.0f;
        if (c->head_two_layer) {
            float *dh = m->fu.gact[1];   /* (B, 512) */
            MODEL_TRY(m->be->ops->fill(m->be, (int64_t)B * H, 0.0f, dh));
            MODEL_TRY(block_bwd(m, B, H, C, f->uhid[i], P(f->w), H, du, G(f->w), G(f->b), s, dh));
            return block_bwd(m, B, D, H, e->fin, P(f->wh) + (int64_t)i * D, N * D, dh,
                             G(f->wh) + (int64_t)i * D, G(f->bh), s, e->dfin);
        }
        return block_bwd(m, B, D, C, e->fin, P(f->w) + (int64_t)i * D, N * D, du,
                         G(f->w) + (int64_t)i * D, G(f->b), s, e->dfin);
    }
    /* sum fusion */
    MODEL_TRY(block_bwd(m, B, D, C, e->fin, P(f->wm[i]), D, du, G(f->wm[i]), G(f->bm[i]), 1.0f,
                        e->dfin));
    if (c->uni == ASGML_UNI_ZERO)
        for (int j = 0; j < N; j++)
            if (j != i) MODEL_TRY(m->be->ops->bias_backward(m->be, B, C, du, G(f->bm[j])));
    return ASGML_OK;
}

asgml_status fusion_backward(asgml_model *m, int B, const float *dlogits, const float *const *duni)
{
    if (dlogits) MODEL_TRY(fused_backward(m, B, dlogits));
    if (duni && m->cfg.uni != ASGML_UNI_NONE)
        for (int i = 0; i < m->n; i++)
            if (duni[i]) MODEL_TRY(uni_backward(m, B, i, duni[i]));
    return ASGML_OK;
}
