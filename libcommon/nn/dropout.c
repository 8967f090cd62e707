/* SPDX-License-Identifier: MIT */
/* dropout.c - inverted dropout layer (dropout.h). */
#include "nn/dropout.h"

void dropout_build(dropout_layer *dl, float p) { dl->p = p; }

asgml_status dropout_forward(asgml_backend *be, const dropout_layer *dl, int64_t n, uint64_t seed,
                             uint64_t *offset, const float *x, float *y, float *mask)
{
    asgml_status st = be->ops->dropout_forward(be, n, dl->p, seed, *offset, x, y, mask);
    if (st == ASGML_OK) *offset += (uint64_t)(n + 3) / 4;   /* 4 uniforms per counter block */
    return st;
}

asgml_status dropout_backward(asgml_backend *be, const dropout_layer *dl, int64_t n,
                              const float *mask, const float *dy, float *dx)
{
    (void)dl;
    return be->ops->dropout_backward(be, n, mask, dy, dx);
}
