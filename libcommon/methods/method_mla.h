/* SPDX-License-Identifier: MIT */
/* method_mla.h - the MLA gradient-modification math (private;
 * tests/test-mla-torch.c checks it against PyTorch).  Zhang et al.,
 * "Multimodal Representation Learning by Alternating Unimodal Adaptation",
 * CVPR 2024 (Eq. 3-7); Cecile-hi/Multimodal-Learning-with-Alternating-
 * Unimodal-Adaptation utils/utils.py GSPlugin.before_update. */
#ifndef ASGML_METHOD_MLA_H
#define ASGML_METHOD_MLA_H

#include <stdint.h>

/* alpha_t = 0.1^(1 + b / n_b): b the batch index in the epoch (0-based),
 * n_b the batches per epoch (GSPlugin: lamda = batch_index / len + 1). */
double asgml_mla_alpha(int b, int nb);

/* One projection update and the head-gradient projection (host, double P):
 *   r = mean_i f[i] (1, D), k = P r^T (D, 1),
 *   P <- P - k k^T / (alpha + r k)     (outer 0: the paper's scalar r k)
 *   P <- P - k k^T (/) (alpha + k r)   (outer 1: the released GSPlugin's
 *                                       torch.mm(k, r), (D, D) elementwise)
 *   *pnorm = ||P||_F,  P <- P / ||P||_F,
 *   gw <- gw P^T  (gw: the shared head's weight gradient (C, D), row-major).
 * f (B, D) the features of the sub-step's modality (the head's input). */
void asgml_mla_project(int B, int D, int C, const float *f, double alpha, int outer,
                       double *P, float *gw, double *pnorm);

#endif
