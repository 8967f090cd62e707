/* SPDX-License-Identifier: MIT */
/* batchnorm.h - batch normalisation over (n, c, hw), as torch.nn.BatchNorm2d
 * (eps 1e-5, momentum 0.1).
 *
 *   training   y = gamma (x - mean_b) / sqrt(var_b + eps) + beta, batch
 *              statistics over (n, hw) saved for backward; running
 *              statistics updated
 *   inference  the same with the running statistics
 *   backward   dx (n, c, hw) := dL/dx (OVERWRITTEN);  dgamma, dbeta (c) += */
#ifndef ASGML_NN_BATCHNORM_H
#define ASGML_NN_BATCHNORM_H

#include "asgml/backend.h"
#include "nn/params.h"

#define BN_EPS 1e-5
#define BN_MOMENTUM 0.1

typedef struct bn_layer {
    float *gamma, *beta;          /* params, (c) each */
    float *dgamma, *dbeta;        /* their gradients */
    float *run_mean, *run_var;    /* buffers, (c) each */
    int c, hw;
    float *save_mean, *save_invstd;   /* arena, (c) each: batch statistics of the last
                                       * training forward */
} bn_layer;

/* Scratch for the inference-mode backward (owned by the caller):
 * xhat (n, c, hw); chan (n, c); ones, zeros (c) of 1.0 / 0.0. */
typedef struct bn_scratch {
    float *xhat, *chan;
    const float *ones, *zeros;
} bn_scratch;

/* Registers "<prefix>weight", "<prefix>bias" (params) and
 * "<prefix>running_mean", "<prefix>running_var" (buffers), takes the saved
 * statistics from the arena. */
void bn_build(bn_layer *bn, nn_params *p, int group, const char *prefix, int c, int hw);

/* y (n, c, hw) = bn(x) with batch statistics (training) or running ones */
asgml_status bn_forward(asgml_backend *be, const bn_layer *bn, int n, int training,
                        const float *x, float *y);
/* dx (n, c, hw) := dL/dx; dgamma, dbeta += (the mode of the forward) */
asgml_status bn_backward(asgml_backend *be, const bn_layer *bn, int n, int training,
                         const float *x, const float *dy, float *dx, const bn_scratch *s);

/* BN followed by a ReLU: y = relu(bn(x)), by the backend's fused op where
 * it has one (the same bits as bn_forward then relu_forward) */
asgml_status bn_relu_forward(asgml_backend *be, const bn_layer *bn, int n, int training,
                             const float *x, float *y);
/* dL/dx of x -> BN -> ReLU (its output y) given dy: the backend's fused op
 * in training mode where it has one, else relu_backward into spare then
 * bn_backward into dy.  dy is consumed; *dx_out is spare or dy, whichever
 * holds dL/dx (n, c, hw).  dgamma, dbeta += (the mode of the forward). */
asgml_status bn_relu_backward(asgml_backend *be, const bn_layer *bn, int n, int training,
                              const float *x, const float *y, float *dy, float *spare,
                              const bn_scratch *s, const float **dx_out);

#endif
