/* SPDX-License-Identifier: MIT */
/* conv.c - 2-D convolution layer (conv.h). */
#include "core/error.h"
#include "nn/conv.h"

void conv_build(conv_layer *cv, nn_params *p, int group, const char *name, int c_in, int c_out,
                int k, int stride, int pad, int h_in, int w_in)
{
    int64_t shape[4] = { c_out, c_in, k, k };
    int64_t w = model_add_param(p, group, -1, name, 4, shape);
    cv->w = nn_at(p->params, w);
    cv->dw = nn_at(p->grads, w);
    cv->c_in = c_in;
    cv->c_out = c_out;
    cv->k = k;
    cv->stride = stride;
    cv->pad = pad;
    cv->h_in = h_in;
    cv->w_in = w_in;
    cv->h_out = (h_in + 2 * pad - k) / stride + 1;
    cv->w_out = (w_in + 2 * pad - k) / stride + 1;
}

static void conv_desc(const conv_layer *cv, int n, asgml_conv2d_desc *d)
{
    asgml_conv2d_desc_init(d, n, cv->c_in, cv->h_in, cv->w_in, cv->c_out, cv->k, cv->stride,
                           cv->pad);
}

asgml_status conv_forward(asgml_backend *be, const conv_layer *cv, int n, const float *x,
                          float *y)
{
    asgml_conv2d_desc d;
    conv_desc(cv, n, &d);
    return be->ops->conv2d_forward(be, &d, x, cv->w, y);
}

asgml_status conv_backward(asgml_backend *be, const conv_layer *cv, int n, const float *x,
                           const float *dy, float *dx)
{
    asgml_conv2d_desc d;
    conv_desc(cv, n, &d);
    if (dx) CK(be->ops->conv2d_backward_data(be, &d, dy, cv->w, dx));
    return be->ops->conv2d_backward_filter(be, &d, x, dy, cv->dw);
}
