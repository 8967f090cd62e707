/* SPDX-License-Identifier: MIT */
/* linear.c - the linear layer (linear.h). */
#include <stdio.h>

#include "core/error.h"
#include "nn/linear.h"

void linear_build(linear_layer *l, nn_params *p, int group, int head_of, const char *name,
                  int in, int out)
{
    char full[128];
    int64_t ws[2] = { out, in }, bs[1] = { out };
    snprintf(full, sizeof full, "%s.weight", name);
    int64_t w = model_add_param(p, group, head_of, full, 2, ws);
    snprintf(full, sizeof full, "%s.bias", name);
    int64_t b = model_add_param(p, group, head_of, full, 1, bs);
    linear_bind(l, in, out, nn_at(p->params, w), nn_at(p->params, b), nn_at(p->grads, w),
                nn_at(p->grads, b));
}

void linear_bind(linear_layer *l, int in, int out, float *w, float *b, float *dw, float *db)
{
    l->in = in;
    l->out = out;
    l->w = w;
    l->b = b;
    l->dw = dw;
    l->db = db;
}

asgml_status linear_block_forward(asgml_backend *be, int rows, int in, int out, const float *x,
                                  const float *w, int ldw, const float *b, float s,
                                  const float *ones, int acc, float *y)
{
    /* y (rows, out) = x (rows, in) * w^T (in, out) [+ y] */
    CK(be->ops->gemm(be, 0, 1, rows, out, in, 1.0f, x, in, w, ldw, acc ? 1.0f : 0.0f, y,
                            out));
    if (!b) return ASGML_OK;
    if (s == 1.0f) return be->ops->bias_forward(be, rows, out, b, y);
    /* y (rows, out) += s * ones (rows, 1) b (1, out) */
    return be->ops->gemm(be, 0, 0, rows, out, 1, s, ones, 1, b, out, 1.0f, y, out);
}

asgml_status linear_block_backward(asgml_backend *be, int rows, int in, int out, const float *x,
                                   const float *w, int ldw, const float *dy, float *dw,
                                   float *db, float s, const float *ones, float *dx)
{
    /* dw (out, in) += dy^T (out, rows) * x (rows, in) */
    if (dw) CK(be->ops->gemm(be, 1, 0, out, in, rows, 1.0f, dy, out, x, in, 1.0f, dw, ldw));
    if (db) {
        if (s == 1.0f) CK(be->ops->bias_backward(be, rows, out, dy, db));
        /* db (1, out) += s * ones^T (1, rows) dy (rows, out) */
        else CK(be->ops->gemm(be, 1, 0, 1, out, rows, s, ones, 1, dy, out, 1.0f, db, out));
    }
    /* dx (rows, in) += dy (rows, out) * w (out, in) */
    if (dx) CK(be->ops->gemm(be, 0, 0, rows, in, out, 1.0f, dy, out, w, ldw, 1.0f, dx, in));
    return ASGML_OK;
}

asgml_status linear_forward(asgml_backend *be, const linear_layer *l, int rows, const float *x,
                            float *y)
{
    return linear_block_forward(be, rows, l->in, l->out, x, l->w, l->in, l->b, 1.0f, NULL, 0, y);
}

asgml_status linear_backward(asgml_backend *be, const linear_layer *l, int rows, const float *x,
                             const float *dy, float *dx)
{
    return linear_block_backward(be, rows, l->in, l->out, x, l->w, l->in, dy, l->dw, l->db, 1.0f,
                                 NULL, dx);
}
