/* SPDX-License-Identifier: MIT */
/* dropout.h - inverted dropout (torch.nn.Dropout in training mode).
 *
 *   forward   mask = (u >= p) / (1 - p), u ~ U[0, 1) from Philox4x32-10
 *             keyed by seed at counter blocks offset.. (4 uniforms a block);
 *             y (n) = x * mask; the offset advances past the blocks used, so
 *             consecutive calls draw fresh masks and a checkpoint that saves
 *             (seed, offset) resumes the same stream.
 *   backward  dx (n) += dy * mask
 * The stream state (seed, offset) belongs to the caller (model, probe):
 * it is part of their checkpoints. */
#ifndef ASGML_NN_DROPOUT_H
#define ASGML_NN_DROPOUT_H

#include "asgml/backend.h"

typedef struct dropout_layer {
    float p;                    /* drop probability in [0, 1) */
} dropout_layer;

void dropout_build(dropout_layer *dl, float p);
/* y, mask (n) from x (n); *offset advances by ceil(n / 4) */
asgml_status dropout_forward(asgml_backend *be, const dropout_layer *dl, int64_t n, uint64_t seed,
                             uint64_t *offset, const float *x, float *y, float *mask);
/* dx (n) += dy * mask */
asgml_status dropout_backward(asgml_backend *be, const dropout_layer *dl, int64_t n,
                              const float *mask, const float *dy, float *dx);

#endif
