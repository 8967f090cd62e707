/* SPDX-License-Identifier: MIT */
/* mlp.h - the two-layer MLP encoder for feature-vector modalities:
 * Linear(in -> hidden) - ReLU - Linear(hidden -> out).
 *
 *   forward   h (rows, hidden) = relu(x (rows, in) W1^T + b1);  y (rows, out) = h W2^T + b2
 *   backward  dW1, db1, dW2, db2 += ;  dx (rows, in) += (may be NULL)
 * Parameter names "<prefix>fc1.{weight,bias}", "<prefix>fc2.{weight,bias}". */
#ifndef ASGML_NN_MLP_H
#define ASGML_NN_MLP_H

#include "nn/linear.h"

typedef struct mlp_layer {
    linear_layer fc1, fc2;
    int in_dim, hidden, out;
    float *h;                   /* (rows, hidden) relu output */
    float *dh, *dh2;            /* (rows, hidden) dL/dh, dL/d(pre-relu) */
} mlp_layer;

/* activations from the arena for max_rows rows */
void mlp_build(mlp_layer *l, nn_params *p, int group, const char *prefix, int in_dim, int hidden,
               int out, int64_t max_rows);
asgml_status mlp_forward(asgml_backend *be, mlp_layer *l, int rows, const float *x, float *y);
asgml_status mlp_backward(asgml_backend *be, mlp_layer *l, int rows, const float *x,
                          const float *dy, float *dx);

#endif
