/* SPDX-License-Identifier: MIT */
/* featnorm.c - row normalisation of encoder outputs before fusion
 * (featnorm.h; ASGML design v1 section 5.3, mitigation 4). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "nn/featnorm.h"

#define L2_EPS 1e-12   /* F.normalize default */
#define LN_EPS 1e-5    /* nn.LayerNorm default */

asgml_status featnorm_build(featnorm_layer *f, asgml_feature_norm kind, int D, int bmax)
{
    memset(f, 0, sizeof *f);
    f->kind = kind;
    f->D = D;
    f->bmax = bmax;
    if (kind == ASGML_FEATURE_NORM_NONE) return ASGML_OK;
    f->y = malloc((size_t)bmax * D * sizeof *f->y);
    f->tmp = malloc((size_t)bmax * D * sizeof *f->tmp);
    f->inv = malloc((size_t)bmax * sizeof *f->inv);
    f->raw = malloc((size_t)bmax * sizeof *f->raw);
    if (!f->y || !f->tmp || !f->inv || !f->raw) {
        featnorm_free(f);
        return ASGML_ERR(ASGML_ENOMEM, "out of memory (feature norm)");
    }
    return ASGML_OK;
}

void featnorm_free(featnorm_layer *f)
{
    free(f->y);
    free(f->tmp);
    free(f->inv);
    free(f->raw);
    f->y = f->tmp = NULL;
    f->inv = f->raw = NULL;
}

asgml_status featnorm_forward(asgml_backend *be, featnorm_layer *f, int B, const float *x,
                              float *y)
{
    int D = f->D;
    if (B > f->bmax) return ASGML_ERR(ASGML_EINVAL, "feature norm: batch %d > %d", B, f->bmax);
    CK(be->ops->to_host(be, f->tmp, x, (size_t)B * D * sizeof(float)));
    for (int b = 0; b < B; b++) {
        const float *xb = f->tmp + (size_t)b * D;
        float *yb = f->y + (size_t)b * D;
        double s = 0.0, mu = 0.0, v = 0.0;
        for (int d = 0; d < D; d++) s += (double)xb[d] * xb[d];
        f->raw[b] = sqrt(s);
        if (f->kind == ASGML_FEATURE_NORM_L2) {
            f->inv[b] = 1.0 / (f->raw[b] > L2_EPS ? f->raw[b] : L2_EPS);
            for (int d = 0; d < D; d++) yb[d] = (float)(xb[d] * f->inv[b]);
        } else {
            for (int d = 0; d < D; d++) mu += xb[d];
            mu /= D;
            for (int d = 0; d < D; d++) v += (xb[d] - mu) * (xb[d] - mu);
            f->inv[b] = 1.0 / sqrt(v / D + LN_EPS);
            for (int d = 0; d < D; d++) yb[d] = (float)((xb[d] - mu) * f->inv[b]);
        }
    }
    f->B = B;
    return be->ops->to_device(be, y, f->y, (size_t)B * D * sizeof(float));
}

asgml_status featnorm_backward(asgml_backend *be, featnorm_layer *f, const float *dy, float *dx)
{
    int B = f->B, D = f->D;
    CK(be->ops->to_host(be, f->tmp, dy, (size_t)B * D * sizeof(float)));
    for (int b = 0; b < B; b++) {
        float *g = f->tmp + (size_t)b * D;
        const float *yb = f->y + (size_t)b * D;
        double yg = 0.0, mg = 0.0;
        for (int d = 0; d < D; d++) yg += (double)yb[d] * g[d];
        if (f->kind == ASGML_FEATURE_NORM_L2) {
            if (f->raw[b] <= L2_EPS) yg = 0.0;   /* clamped: y = x / eps, linear */
            for (int d = 0; d < D; d++) g[d] = (float)(f->inv[b] * (g[d] - yb[d] * yg));
        } else {
            for (int d = 0; d < D; d++) mg += g[d];
            mg /= D;
            yg /= D;
            for (int d = 0; d < D; d++) g[d] = (float)(f->inv[b] * (g[d] - mg - yb[d] * yg));
        }
    }
    return be->ops->to_device(be, dx, f->tmp, (size_t)B * D * sizeof(float));
}

double featnorm_mean_raw_norm(const featnorm_layer *f)
{
    double s = 0.0;
    if (f->kind == ASGML_FEATURE_NORM_NONE || f->B < 1) return NAN;
    for (int b = 0; b < f->B; b++) s += f->raw[b];
    return s / f->B;
}
