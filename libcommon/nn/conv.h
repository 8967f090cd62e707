/* SPDX-License-Identifier: MIT */
/* conv.h - 2-D convolution layer without bias (the ResNet convolutions).
 *
 *   forward   y (n, c_out, h_out, w_out) = conv(x (n, c_in, h_in, w_in), W)
 *   backward  dW (c_out, c_in, k, k) += x (*) dy;  dx (n, c_in, h_in, w_in) += conv^T(dy)
 * with h_out = (h_in + 2 pad - k) / stride + 1 (same for w).  The backend
 * picks the algorithm (im2col + GEMM, Winograd, cuDNN). */
#ifndef ASGML_NN_CONV_H
#define ASGML_NN_CONV_H

#include "asgml/backend.h"
#include "nn/params.h"

typedef struct conv_layer {
    float *w, *dw;              /* W (c_out, c_in, k, k) and its gradient */
    int c_in, c_out, k, stride, pad;
    int h_in, w_in, h_out, w_out;
} conv_layer;

/* Registers the weight view `name` (c_out, c_in, k, k); sets the output
 * size (h_out or w_out < 1 when the input is too small). */
void conv_build(conv_layer *cv, nn_params *p, int group, const char *name, int c_in, int c_out,
                int k, int stride, int pad, int h_in, int w_in);

/* y (n, c_out, h_out, w_out) = conv(x (n, c_in, h_in, w_in)) */
asgml_status conv_forward(asgml_backend *be, const conv_layer *cv, int n, const float *x,
                          float *y);
/* dW += x (*) dy; dx (may be NULL) += conv^T(dy) */
asgml_status conv_backward(asgml_backend *be, const conv_layer *cv, int n, const float *x,
                           const float *dy, float *dx);

#endif
