/* SPDX-License-Identifier: MIT */
/* linear.h - the one linear (fully-connected) layer of libasgml, used by
 * the MLP encoder, the fusion heads, the unimodal heads and the probes.
 *
 *   forward   y (rows, out) = x (rows, in) W^T + b      W (out, in), b (out)
 *   backward  dW (out, in) += dy^T x;  db (out) += colsum(dy);  dx (rows, in) += dy W
 * Backward adds into dW, db and dx (zeroing is the caller's step, as in
 * llm.c).  Every operation goes through the backend table.
 *
 * The *_block forms are the general case the fusion heads need: W is a
 * column block of a wider matrix (row stride ldw >= in, e.g. the slice of
 * a concat head that multiplies modality m), the output may accumulate,
 * and the bias may be scaled: y += s * b as the rank-1 product ones(rows) b^T. */
#ifndef ASGML_NN_LINEAR_H
#define ASGML_NN_LINEAR_H

#include "asgml/backend.h"
#include "nn/params.h"

typedef struct linear_layer {
    int in, out;
    float *w, *b;       /* W (out, in), b (out); b NULL without bias */
    float *dw, *db;     /* their gradients, same shapes */
} linear_layer;

/* Registers "<name>.weight" (out, in) and "<name>.bias" (out) in that
 * order and points the layer at them (NULL during the counting pass). */
void linear_build(linear_layer *l, nn_params *p, int group, int head_of, const char *name,
                  int in, int out);
/* A layer over memory the caller owns (probes): any pointer may be NULL. */
void linear_bind(linear_layer *l, int in, int out, float *w, float *b, float *dw, float *db);

/* y (rows, out) = x (rows, in) W^T + b */
asgml_status linear_forward(asgml_backend *be, const linear_layer *l, int rows, const float *x,
                            float *y);
/* dW, db += ; dx (rows, in) += dy (rows, out) W (dx may be NULL) */
asgml_status linear_backward(asgml_backend *be, const linear_layer *l, int rows, const float *x,
                             const float *dy, float *dx);

/* y (rows, out) (= or, with acc, +=) x (rows, in) W^T, W (out, in) of row
 * stride ldw; then y += s * b when b != NULL (s != 1 reads ones (rows) of 1.0). */
asgml_status linear_block_forward(asgml_backend *be, int rows, int in, int out, const float *x,
                                  const float *w, int ldw, const float *b, float s,
                                  const float *ones, int acc, float *y);
/* dW (row stride ldw) += dy^T x;  db += s * colsum(dy);  dx (rows, in) += dy W.
 * Any of dw, db, dx may be NULL. */
asgml_status linear_block_backward(asgml_backend *be, int rows, int in, int out, const float *x,
                                   const float *w, int ldw, const float *dy, float *dw,
                                   float *db, float s, const float *ones, float *dx);

#endif
