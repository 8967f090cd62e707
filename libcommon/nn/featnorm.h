/* SPDX-License-Identifier: MIT */
/* featnorm.h - parameter-free normalisation of an encoder's output rows
 * before fusion (asgml-methods(7), MODEL, model.feature-norm): ASGML design
 * v1 section 5.3, mitigation 4 ("Normalize encoder outputs before fusion to
 * bound drift").
 *
 *   l2         y_b = x_b / max(||x_b||_2, eps)                  ||y_b|| = 1
 *              (torch.nn.functional.normalize(x, p=2, dim=1, eps=1e-12))
 *   layernorm  y_b = (x_b - mean(x_b)) / sqrt(var(x_b) + eps)   ||y_b|| = sqrt(D)
 *              (torch.nn.functional.layer_norm(x, (D,)) without affine,
 *               biased variance, eps = 1e-5)
 *
 * x, y (B, D) row-major in backend memory.  Computed on the host (two
 * transfers of B*D floats per call) in double, so that every backend gives
 * the same result; the forward keeps y and the per-row scale for backward. */
#ifndef ASGML_NN_FEATNORM_H
#define ASGML_NN_FEATNORM_H

#include "asgml/backend.h"
#include "asgml/model.h"

typedef struct featnorm_layer {
    asgml_feature_norm kind;
    int D, bmax;
    float *y;          /* host (bmax, D): the last forward's output */
    double *inv;       /* host (bmax): 1 / max(||x||, eps) or 1 / sqrt(var + eps) */
    double *raw;       /* host (bmax): ||x_b||_2 of the last forward */
    float *tmp;        /* host (bmax, D) */
    int B;             /* rows of the last forward */
} featnorm_layer;

asgml_status featnorm_build(featnorm_layer *f, asgml_feature_norm kind, int D, int bmax);
void featnorm_free(featnorm_layer *f);
/* x (B, D) -> y (B, D); x == y allowed */
asgml_status featnorm_forward(asgml_backend *be, featnorm_layer *f, int B, const float *x,
                              float *y);
/* dy (B, D) -> dx (B, D) of the last forward (dx == dy allowed):
 *   l2         dx = inv (dy - y (y . dy))          (||x|| > eps; else dx = dy / eps)
 *   layernorm  dx = inv (dy - mean(dy) - y mean(y * dy)) */
asgml_status featnorm_backward(asgml_backend *be, featnorm_layer *f, const float *dy,
                               float *dx);
/* mean over the rows of the last forward of ||x_b||_2 (before normalising) */
double featnorm_mean_raw_norm(const featnorm_layer *f);

#endif
