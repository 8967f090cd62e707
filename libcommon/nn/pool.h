/* SPDX-License-Identifier: MIT */
/* pool.h - pooling layers of the ResNet encoder.
 *
 *   max pool     y (n, c, h_out, w_out) = max over k x k windows of x (n, c, h_in, w_in),
 *                padding -inf; argmax (n, c, h_out, w_out) saved for backward;
 *                h_out = (h_in + 2 pad - k) / stride + 1
 *   global mean  y (n, c) = mean over hw of x (n, c, hw)
 * Backward adds into dx. */
#ifndef ASGML_NN_POOL_H
#define ASGML_NN_POOL_H

#include "asgml/backend.h"

typedef struct maxpool_layer {
    int c, h_in, w_in, k, stride, pad;
    int h_out, w_out;
} maxpool_layer;

void maxpool_build(maxpool_layer *pl, int c, int h_in, int w_in, int k, int stride, int pad);
/* y (n, c, h_out, w_out), argmax (n, c, h_out, w_out) */
asgml_status maxpool_forward(asgml_backend *be, const maxpool_layer *pl, int n, const float *x,
                             float *y, int32_t *argmax);
/* dx (n, c, h_in, w_in) += dy scattered to the argmax positions */
asgml_status maxpool_backward(asgml_backend *be, const maxpool_layer *pl, int n,
                              const float *dy, const int32_t *argmax, float *dx);

typedef struct meanpool_layer {
    int c, hw;
} meanpool_layer;

void meanpool_build(meanpool_layer *pl, int c, int hw);
/* y (n, c) = mean_hw x (n, c, hw) */
asgml_status meanpool_forward(asgml_backend *be, const meanpool_layer *pl, int n, const float *x,
                              float *y);
/* dx (n, c, hw) += dy (n, c) / hw */
asgml_status meanpool_backward(asgml_backend *be, const meanpool_layer *pl, int n,
                               const float *dy, float *dx);

#endif
