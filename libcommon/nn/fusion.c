/* SPDX-License-Identifier: MIT */
/* fusion.c - fusion head (asgml-methods(7), MODEL (Fusion)) and unimodal logits providers
 * (asgml-methods(7), UNIMODAL LOGITS) of asgml_model (fusion.h).  f_m below is the fusion input of
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
 *   shared   head_shared (C, D): one head for every modality (MLA, Zhang et al., CVPR 2024)
 *   none     no fusion layer: z = sum_m lambda_m u_m (needs heads or shared)
 *
 * Unimodal logits:
 *   split  concat: u_m = W[:, block m] f_m + b/N (two-layer: W2 (W1[:, block m] f_m + b1/N)
 *          + b2/N, so that sum_m u_m = z);  sum: u_m = W_m f_m + b_m
 *   zero   the head with f_j = 0 for j != m: concat u_m = W[:, block m] f_m + b (two-layer
 *          W2 (W1[:, block m] f_m + b1) + b2);  sum: W_m f_m + sum_j b_j
 *   heads  u_m = H_m f_m + c_m (the encoder gradient is cut with uni_detach)
 *   shared u_m = H fin_m + c, one (H, c) for all m; its gradient sums over m
 * A scaled bias s*b is added as the rank-1 product ones(B) b^T through gemm. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "nn/fusion.h"

asgml_status fusion_build(fusion_head *f, nn_params *p, const asgml_model_config *c, int D)
{
    int N = c->num_modalities, C = c->num_classes, H = MODEL_TWO_LAYER_HIDDEN;
    int64_t bmax = c->max_batch;
    int G = ASGML_GROUP_FUSION;
    char name[96];
    memset(f, 0, sizeof *f);
    f->cfg = c;
    f->n = N;
    f->D = D;
    f->C = C;

    switch (c->fusion) {
    case ASGML_FUSION_CONCAT:
        if (c->head_two_layer) {
            linear_build(&f->fc_hidden, p, G, -1, "fusion_module.fc_hidden", N * D, H);
            linear_build(&f->fc_out, p, G, -1, "fusion_module.fc_out", H, C);
        } else {
            linear_build(&f->fc_out, p, G, -1, "fusion_module.fc_out", N * D, C);
        }
        break;
    case ASGML_FUSION_SUM:
        for (int i = 0; i < N; i++) {
            if (N == 2) snprintf(name, sizeof name, "fusion_module.fc_%s", i ? "y" : "x");
            else snprintf(name, sizeof name, "fusion_module.fc_%s", c->enc[i].name);
            linear_build(&f->fc[i], p, G, -1, name, D, C);
        }
        break;
    case ASGML_FUSION_FILM:
        linear_build(&f->fc[0], p, G, -1, "fusion_module.fc", D, 2 * D);
        linear_build(&f->fc_out, p, G, -1, "fusion_module.fc_out", D, C);
        break;
    case ASGML_FUSION_GATED:
        linear_build(&f->fc[0], p, G, -1, "fusion_module.fc_x", D, D);
        linear_build(&f->fc[1], p, G, -1, "fusion_module.fc_y", D, D);
        linear_build(&f->fc_out, p, G, -1, "fusion_module.fc_out", D, C);
        break;
    case ASGML_FUSION_NONE:
        break;
    }
    if (c->uni == ASGML_UNI_SHARED) {
        linear_build(&f->head[0], p, ASGML_GROUP_HEADS, -1, "head_shared", D, C);
        for (int i = 1; i < N; i++)
            f->head[i] = f->head[0];
    }
    if (c->uni == ASGML_UNI_HEADS)
        for (int i = 0; i < N; i++) {
            snprintf(name, sizeof name, "head_%s", c->enc[i].name);
            linear_build(&f->head[i], p, ASGML_GROUP_HEADS, i, name, D, C);
        }

    int64_t wide = bmax * (D > H ? D : H);
    f->logits = model_arena_take(&p->arena, bmax * C);
    for (int k = 0; k < 4; k++) {
        f->act[k] = model_arena_take(&p->arena, wide);
        f->gact[k] = model_arena_take(&p->arena, wide);
    }
    f->tmp = model_arena_take(&p->arena, wide);
    for (int i = 0; i < N; i++) {
        f->uni[i] = c->uni != ASGML_UNI_NONE ? model_arena_take(&p->arena, bmax * C) : NULL;
        f->uhid[i] = (c->head_two_layer && (c->uni == ASGML_UNI_SPLIT || c->uni == ASGML_UNI_ZERO))
                         ? model_arena_take(&p->arena, bmax * H) : NULL;
    }
    f->ones = model_arena_take(&p->arena, bmax);
    if (c->fusion == ASGML_FUSION_NONE) {
        for (int i = 0; i < N; i++)
            f->wexp[i] = model_arena_take(&p->arena, bmax * C);
        f->du = model_arena_take(&p->arena, bmax * C);
    }
    return ASGML_OK;
}

/* the column block of W (out, N*D) that multiplies modality i, and of dW */
#define COLS(l, i) ((l).w + (int64_t)(i) * D)
#define DCOLS(l, i) ((l).dw + (int64_t)(i) * D)

static asgml_status uni_forward(asgml_backend *be, fusion_head *f, int B, const float *const *fin,
                                const float *const *feat)
{
    const asgml_model_config *c = f->cfg;
    int N = f->n, D = f->D, C = f->C, H = MODEL_TWO_LAYER_HIDDEN;
    for (int i = 0; i < N; i++) {
        const float *x = fin[i];
        float *u = f->uni[i];
        if (c->uni == ASGML_UNI_HEADS) {
            CK(linear_forward(be, &f->head[i], B, feat[i], u));
        } else if (c->uni == ASGML_UNI_SHARED) {
            CK(linear_forward(be, &f->head[0], B, x, u));
        } else if (c->fusion == ASGML_FUSION_CONCAT) {
            float s = c->uni == ASGML_UNI_SPLIT ? 1.0f / (float)N : 1.0f;
            if (c->head_two_layer) {
                CK(linear_block_forward(be, B, D, H, x, COLS(f->fc_hidden, i), N * D,
                                               f->fc_hidden.b, s, f->ones, 0, f->uhid[i]));
                CK(linear_block_forward(be, B, H, C, f->uhid[i], f->fc_out.w, H,
                                               f->fc_out.b, s, f->ones, 0, u));
            } else {
                CK(linear_block_forward(be, B, D, C, x, COLS(f->fc_out, i), N * D,
                                               f->fc_out.b, s, f->ones, 0, u));
            }
        } else {   /* sum fusion, split or zero */
            CK(linear_forward(be, &f->fc[i], B, x, u));
            if (c->uni == ASGML_UNI_ZERO)
                for (int j = 0; j < N; j++)
                    if (j != i) CK(be->ops->bias_forward(be, B, C, f->fc[j].b, u));
        }
    }
    return ASGML_OK;
}

/* entropy of a softmax over n values x[0], x[stride], ... (double) */
static double softmax_entropy(const float *x, int n, int64_t stride)
{
    double mx = x[0], z = 0, e = 0;
    for (int k = 1; k < n; k++) mx = x[k * stride] > mx ? x[k * stride] : mx;
    for (int k = 0; k < n; k++) z += exp(x[k * stride] - mx);
    for (int k = 0; k < n; k++) {
        double lp = x[k * stride] - mx - log(z);
        e -= exp(lp) * lp;
    }
    return e;
}

/* lambda_m = exp(H_max - H_m) / sum_j exp(H_max - H_j) */
static void gate(int N, const double *ent, double *lam)
{
    double hmax = -INFINITY, sum = 0;
    for (int i = 0; i < N; i++) hmax = ent[i] > hmax ? ent[i] : hmax;
    for (int i = 0; i < N; i++) sum += exp(hmax - ent[i]);
    for (int i = 0; i < N; i++) lam[i] = exp(hmax - ent[i]) / sum;
}

void asgml_fusion_lambda(asgml_fuse_weights rule, int N, int B, int C, const float *u,
                         const float *fixed, double *lam)
{
    int64_t bc = (int64_t)B * C;
    double ent[ASGML_MAX_MODALITIES], row[ASGML_MAX_MODALITIES];
    if (rule == ASGML_FUSE_ENTROPY_BATCH) {
        /* H_m = sum over classes of the entropy of softmax over the batch */
        for (int i = 0; i < N; i++) {
            ent[i] = 0;
            for (int k = 0; k < C; k++)
                ent[i] += softmax_entropy(u + i * bc + k, B, C);
        }
        gate(N, ent, row);
    }
    for (int b = 0; b < B; b++) {
        if (rule == ASGML_FUSE_ENTROPY) {   /* entropy of softmax(u_m[b]) */
            for (int i = 0; i < N; i++)
                ent[i] = softmax_entropy(u + i * bc + (int64_t)b * C, C, 1);
            gate(N, ent, row);
        } else if (rule == ASGML_FUSE_MEAN) {
            for (int i = 0; i < N; i++)
                row[i] = fixed ? fixed[i] : 1.0 / N;
        }
        for (int i = 0; i < N; i++)
            lam[(int64_t)b * N + i] = row[i];
    }
}

/* fusion none: wexp[m] (B, C) = lambda_m per row (asgml_fusion_lambda),
 * z = sum_m wexp[m] (.) u_m */
static asgml_status none_forward(asgml_backend *be, fusion_head *f, int B)
{
    const asgml_backend_ops *o = be->ops;
    int N = f->n, C = f->C;
    int64_t bc = (int64_t)B * C;
    float *h = malloc((size_t)bc * (size_t)(N + 1) * sizeof *h);
    double *lam = malloc((size_t)B * (size_t)N * sizeof *lam);
    asgml_status st = h && lam ? ASGML_OK : ASGML_ERR(ASGML_ENOMEM, "out of memory");
    if (st == ASGML_OK && f->cfg->fuse_weights != ASGML_FUSE_MEAN)
        for (int i = 0; i < N && st == ASGML_OK; i++)
            st = o->to_host(be, h + (int64_t)i * bc, f->uni[i], (size_t)bc * sizeof(float));
    if (st == ASGML_OK)
        asgml_fusion_lambda(f->cfg->fuse_weights, N, B, C, h, f->lambda, lam);
    for (int i = 0; i < N && st == ASGML_OK; i++) {
        float *w = h + (int64_t)N * bc;
        for (int b = 0; b < B; b++)
            for (int k = 0; k < C; k++) w[(int64_t)b * C + k] = (float)lam[b * N + i];
        st = o->to_device(be, f->wexp[i], w, (size_t)bc * sizeof(float));
        if (st == ASGML_OK)
            st = i == 0 ? o->mul(be, bc, f->wexp[0], f->uni[0], f->logits)
                        : o->mul(be, bc, f->wexp[i], f->uni[i], f->du);   /* scratch (B, C) */
        if (st == ASGML_OK && i > 0)
            st = o->add(be, bc, f->logits, f->du, f->logits);
    }
    free(h);
    free(lam);
    return st;
}

asgml_status fusion_forward(asgml_backend *be, fusion_head *f, int B, const float *const *fin,
                            const float *const *feat)
{
    const asgml_backend_ops *o = be->ops;
    const asgml_model_config *c = f->cfg;
    int N = f->n, D = f->D, C = f->C, H = MODEL_TWO_LAYER_HIDDEN;
    int64_t bdim = (int64_t)B * D;
    const float *x0 = fin[0], *x1 = N > 1 ? fin[1] : NULL;

    switch (c->fusion) {
    case ASGML_FUSION_CONCAT:
        /* [f_1; ...; f_N] W^T = sum_m f_m W[:, block m]^T: no concatenation copy */
        if (c->head_two_layer) {
            for (int i = 0; i < N; i++)
                CK(linear_block_forward(be, B, D, H, fin[i], COLS(f->fc_hidden, i), N * D,
                                               i == N - 1 ? f->fc_hidden.b : NULL, 1.0f, f->ones,
                                               i > 0, f->act[0]));
            CK(linear_forward(be, &f->fc_out, B, f->act[0], f->logits));
        } else {
            for (int i = 0; i < N; i++)
                CK(linear_block_forward(be, B, D, C, fin[i], COLS(f->fc_out, i), N * D,
                                               i == N - 1 ? f->fc_out.b : NULL, 1.0f, f->ones,
                                               i > 0, f->logits));
        }
        break;
    case ASGML_FUSION_SUM:
        for (int i = 0; i < N; i++)
            CK(linear_block_forward(be, B, D, C, fin[i], f->fc[i].w, D, f->fc[i].b, 1.0f,
                                           f->ones, i > 0, f->logits));
        break;
    case ASGML_FUSION_FILM:
        /* gamma = f_1 Wg^T + bg, beta = f_1 Wb^T + bb (rows 0..D-1 / D..2D-1 of fc);
         * h = gamma * f_2 + beta (B, D); z = h Wo^T + bo */
        CK(linear_block_forward(be, B, D, D, x0, f->fc[0].w, D, f->fc[0].b, 1.0f, f->ones,
                                       0, f->act[0]));
        CK(linear_block_forward(be, B, D, D, x0, f->fc[0].w + (int64_t)D * D, D,
                                       f->fc[0].b + D, 1.0f, f->ones, 0, f->act[1]));
        CK(o->mul(be, bdim, f->act[0], x1, f->act[2]));
        CK(o->add(be, bdim, f->act[2], f->act[1], f->act[2]));
        CK(linear_forward(be, &f->fc_out, B, f->act[2], f->logits));
        break;
    case ASGML_FUSION_GATED:
        /* o_m = f_m W_m^T + b_m (B, D); h = sigmoid(o_1) * o_2; z = h Wo^T + bo */
        CK(linear_forward(be, &f->fc[0], B, x0, f->act[0]));
        CK(linear_forward(be, &f->fc[1], B, x1, f->act[1]));
        CK(o->sigmoid_forward(be, bdim, f->act[0], f->act[2]));
        CK(o->mul(be, bdim, f->act[2], f->act[1], f->act[3]));
        CK(linear_forward(be, &f->fc_out, B, f->act[3], f->logits));
        break;
    case ASGML_FUSION_NONE:
        break;
    }
    if (c->uni != ASGML_UNI_NONE) CK(uni_forward(be, f, B, fin, feat));
    if (c->fusion == ASGML_FUSION_NONE) CK(none_forward(be, f, B));
    return ASGML_OK;
}

static asgml_status fused_backward(asgml_backend *be, fusion_head *f, int B, const float *dz,
                                   const float *const *fin, float *const *dfin)
{
    const asgml_backend_ops *o = be->ops;
    const asgml_model_config *c = f->cfg;
    int N = f->n, D = f->D, H = MODEL_TWO_LAYER_HIDDEN;
    int64_t bdim = (int64_t)B * D;
    const float *x0 = fin[0], *x1 = N > 1 ? fin[1] : NULL;
    float *dx0 = dfin[0], *dx1 = N > 1 ? dfin[1] : NULL;

    switch (c->fusion) {
    case ASGML_FUSION_CONCAT:
        if (c->head_two_layer) {
            float *dh = f->gact[0];   /* (B, 512) */
            CK(o->fill(be, (int64_t)B * H, 0.0f, dh));
            CK(linear_backward(be, &f->fc_out, B, f->act[0], dz, dh));
            for (int i = 0; i < N; i++)
                CK(linear_block_backward(be, B, D, H, fin[i], COLS(f->fc_hidden, i), N * D,
                                                dh, DCOLS(f->fc_hidden, i),
                                                i == 0 ? f->fc_hidden.db : NULL, 1.0f, f->ones,
                                                dfin[i]));
        } else {
            for (int i = 0; i < N; i++)
                CK(linear_block_backward(be, B, D, f->C, fin[i], COLS(f->fc_out, i), N * D,
                                                dz, DCOLS(f->fc_out, i),
                                                i == 0 ? f->fc_out.db : NULL, 1.0f, f->ones,
                                                dfin[i]));
        }
        break;
    case ASGML_FUSION_SUM:
        for (int i = 0; i < N; i++)
            CK(linear_backward(be, &f->fc[i], B, fin[i], dz, dfin[i]));
        break;
    case ASGML_FUSION_FILM: {
        float *dh = f->gact[2], *dgam = f->gact[0];
        const linear_layer *fc = &f->fc[0];
        CK(o->fill(be, bdim, 0.0f, dh));
        CK(linear_backward(be, &f->fc_out, B, f->act[2], dz, dh));
        /* dL/dbeta = dh; dL/dgamma = dh * f_2; dL/df_2 += dh * gamma */
        CK(o->mul(be, bdim, dh, x1, dgam));
        CK(o->mul(be, bdim, dh, f->act[0], f->tmp));
        CK(o->axpy(be, bdim, 1.0f, f->tmp, dx1));
        CK(linear_block_backward(be, B, D, D, x0, fc->w, D, dgam, fc->dw, fc->db, 1.0f,
                                        f->ones, dx0));
        CK(linear_block_backward(be, B, D, D, x0, fc->w + (int64_t)D * D, D, dh,
                                        fc->dw + (int64_t)D * D, fc->db + D, 1.0f, f->ones, dx0));
        break;
    }
    case ASGML_FUSION_GATED: {
        float *dh = f->gact[2], *do1 = f->gact[0], *do2 = f->gact[1];
        CK(o->fill(be, bdim, 0.0f, dh));
        CK(linear_backward(be, &f->fc_out, B, f->act[3], dz, dh));
        /* h = g * o_2: dL/do_2 = dh * g; dL/dg = dh * o_2; dL/do_1 = dL/dg * g (1 - g) */
        CK(o->mul(be, bdim, dh, f->act[2], do2));
        CK(o->mul(be, bdim, dh, f->act[1], f->tmp));
        CK(o->fill(be, bdim, 0.0f, do1));
        CK(o->sigmoid_backward(be, bdim, f->act[2], f->tmp, do1));
        CK(linear_backward(be, &f->fc[0], B, x0, do1, dx0));
        CK(linear_backward(be, &f->fc[1], B, x1, do2, dx1));
        break;
    }
    case ASGML_FUSION_NONE:   /* fusion_backward: through the unimodal logits */
        break;
    }
    return ASGML_OK;
}

static asgml_status uni_backward(asgml_backend *be, fusion_head *f, int B, int i, const float *du,
                                 const float *fin, const float *feat, float *dfin, float *dfeat)
{
    const asgml_model_config *c = f->cfg;
    int N = f->n, D = f->D, C = f->C, H = MODEL_TWO_LAYER_HIDDEN;
    if (c->uni == ASGML_UNI_HEADS)
        return linear_backward(be, &f->head[i], B, feat, du, c->uni_detach ? NULL : dfeat);
    if (c->uni == ASGML_UNI_SHARED)
        return linear_backward(be, &f->head[0], B, fin, du, dfin);
    if (c->fusion == ASGML_FUSION_CONCAT) {
        float s = c->uni == ASGML_UNI_SPLIT ? 1.0f / (float)N : 1.0f;
        if (c->head_two_layer) {
            float *dh = f->gact[1];   /* (B, 512) */
            CK(be->ops->fill(be, (int64_t)B * H, 0.0f, dh));
            CK(linear_block_backward(be, B, H, C, f->uhid[i], f->fc_out.w, H, du,
                                            f->fc_out.dw, f->fc_out.db, s, f->ones, dh));
            return linear_block_backward(be, B, D, H, fin, COLS(f->fc_hidden, i), N * D, dh,
                                         DCOLS(f->fc_hidden, i), f->fc_hidden.db, s, f->ones,
                                         dfin);
        }
        return linear_block_backward(be, B, D, C, fin, COLS(f->fc_out, i), N * D, du,
                                     DCOLS(f->fc_out, i), f->fc_out.db, s, f->ones, dfin);
    }
    /* sum fusion */
    CK(linear_backward(be, &f->fc[i], B, fin, du, dfin));
    if (c->uni == ASGML_UNI_ZERO)
        for (int j = 0; j < N; j++)
            if (j != i) CK(be->ops->bias_backward(be, B, C, du, f->fc[j].db));
    return ASGML_OK;
}

asgml_status fusion_backward(asgml_backend *be, fusion_head *f, int B, const float *dlogits,
                             const float *const *duni, const float *const *fin,
                             const float *const *feat, float *const *dfin, float *const *dfeat)
{
    if (f->cfg->fusion == ASGML_FUSION_NONE) {
        /* dL/du_m = duni[m] + lambda_m (.) dL/dz (lambda constant) */
        int64_t bc = (int64_t)B * f->C;
        for (int i = 0; i < f->n; i++) {
            const float *du = duni ? duni[i] : NULL;
            if (dlogits) {
                CK(be->ops->mul(be, bc, f->wexp[i], dlogits, f->du));
                if (du) CK(be->ops->add(be, bc, f->du, du, f->du));
                du = f->du;
            }
            if (du) CK(uni_backward(be, f, B, i, du, fin[i], feat[i], dfin[i], dfeat[i]));
        }
        return ASGML_OK;
    }
    if (dlogits) CK(fused_backward(be, f, B, dlogits, fin, dfin));
    if (duni && f->cfg->uni != ASGML_UNI_NONE)
        for (int i = 0; i < f->n; i++)
            if (duni[i])
                CK(uni_backward(be, f, B, i, duni[i], fin[i], feat[i], dfin[i], dfeat[i]));
    return ASGML_OK;
}
