/* SPDX-License-Identifier: MIT */
/* mlp.c - the two-layer MLP encoder (mlp.h). */
#include <stdio.h>

#include "core/error.h"
#include "nn/mlp.h"

void mlp_build(mlp_layer *l, nn_params *p, int group, const char *prefix, int in_dim, int hidden,
               int out, int64_t max_rows)
{
    char name[128];
    l->in_dim = in_dim;
    l->hidden = hidden;
    l->out = out;
    snprintf(name, sizeof name, "%sfc1", prefix);
    linear_build(&l->fc1, p, group, -1, name, in_dim, hidden);
    snprintf(name, sizeof name, "%sfc2", prefix);
    linear_build(&l->fc2, p, group, -1, name, hidden, out);
    l->h = model_arena_take(&p->arena, max_rows * hidden);
    l->dh = model_arena_take(&p->arena, max_rows * hidden);
    l->dh2 = model_arena_take(&p->arena, max_rows * hidden);
}

/* x (rows, in) -> h = relu(x W1^T + b1) (rows, hidden) -> y = h W2^T + b2 (rows, out) */
asgml_status mlp_forward(asgml_backend *be, mlp_layer *l, int rows, const float *x, float *y)
{
    CK(linear_forward(be, &l->fc1, rows, x, l->h));
    CK(be->ops->relu_forward(be, (int64_t)rows * l->hidden, l->h, l->h));
    return linear_forward(be, &l->fc2, rows, l->h, y);
}

asgml_status mlp_backward(asgml_backend *be, mlp_layer *l, int rows, const float *x,
                          const float *dy, float *dx)
{
    int64_t nh = (int64_t)rows * l->hidden;
    CK(be->ops->fill(be, nh, 0.0f, l->dh));
    CK(linear_backward(be, &l->fc2, rows, l->h, dy, l->dh));
    CK(be->ops->fill(be, nh, 0.0f, l->dh2));
    CK(be->ops->relu_backward(be, nh, l->h, l->dh, l->dh2));
    return linear_backward(be, &l->fc1, rows, x, l->dh2, dx);
}
