/* SPDX-License-Identifier: MIT */
/* pool.c - max and global-mean pooling layers (pool.h). */
#include "nn/pool.h"

void maxpool_build(maxpool_layer *pl, int c, int h_in, int w_in, int k, int stride, int pad)
{
    pl->c = c;
    pl->h_in = h_in;
    pl->w_in = w_in;
    pl->k = k;
    pl->stride = stride;
    pl->pad = pad;
    pl->h_out = (h_in + 2 * pad - k) / stride + 1;
    pl->w_out = (w_in + 2 * pad - k) / stride + 1;
}

static void maxpool_desc(const maxpool_layer *pl, int n, asgml_pool2d_desc *d)
{
    asgml_pool2d_desc_init(d, n, pl->c, pl->h_in, pl->w_in, pl->k, pl->stride, pl->pad);
}

asgml_status maxpool_forward(asgml_backend *be, const maxpool_layer *pl, int n, const float *x,
                             float *y, int32_t *argmax)
{
    asgml_pool2d_desc d;
    maxpool_desc(pl, n, &d);
    return be->ops->maxpool_forward(be, &d, x, y, argmax);
}

asgml_status maxpool_backward(asgml_backend *be, const maxpool_layer *pl, int n,
                              const float *dy, const int32_t *argmax, float *dx)
{
    asgml_pool2d_desc d;
    maxpool_desc(pl, n, &d);
    return be->ops->maxpool_backward(be, &d, dy, argmax, dx);
}

void meanpool_build(meanpool_layer *pl, int c, int hw)
{
    pl->c = c;
    pl->hw = hw;
}

asgml_status meanpool_forward(asgml_backend *be, const meanpool_layer *pl, int n, const float *x,
                              float *y)
{
    return be->ops->avgpool_forward(be, (int64_t)n * pl->c, pl->hw, x, y);
}

asgml_status meanpool_backward(asgml_backend *be, const meanpool_layer *pl, int n,
                               const float *dy, float *dx)
{
    return be->ops->avgpool_backward(be, (int64_t)n * pl->c, pl->hw, dy, dx);
}
