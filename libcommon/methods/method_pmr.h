/* SPDX-License-Identifier: MIT */
/* method_pmr.h - the PMR prototype math (private; tests/test-pmr-torch.c
 * checks it against PyTorch).  Fan et al., "PMR: Prototypical Modal
 * Rebalance for Multimodal Learning", CVPR 2023 (Eq. 6-13);
 * fanyunfeng-bit/Modal-Imbalance-PMR main_Prototype_grad.py. */
#ifndef ASGML_METHOD_PMR_H
#define ASGML_METHOD_PMR_H

#include <stdint.h>

/* One modality, host memory: features f (B, D), prototypes c (C, D),
 * labels y (B).  d[i,k] = ||f_i - c_k||_2, p = softmax(-d) per row.
 * *q = sum_i p[i, y_i] (batch sum), *pce = mean_i CE(-d_i, y_i),
 * *ent = mean_i H(p_i).  dfeat (B, D) may be NULL; otherwise
 * dfeat += w_pce dPCE/df + w_ent dENT/df (a pair with d = 0 adds nothing). */
void asgml_pmr_signals(int B, int C, int D, const float *f, const float *c, const int32_t *y,
                       double w_pce, double w_ent, double *q, double *pce, double *ent,
                       float *dfeat);
/* Coefficients from rho = q_1 / q_2.  code (paper = 0): rho > 1 -> (0, 1),
 * rho < 1 -> (1, 0), rho = 1 -> (0, 0); paper: rho < 1 -> (clip(1/rho - 1,
 * 0, 1), 0), else (0, clip(rho - 1, 0, 1)).  unscaled (2) gets these,
 * beta (2) = alpha * unscaled. */
void asgml_pmr_coefficients(int paper, double alpha, double rho, double *beta, double *unscaled);
/* Prototype update from class sums (C, D) and counts (C) of the subset:
 * c_new[k] = sum[k] / count[k]; c[k] <- c_new (first) or (1 - mu) c_new +
 * mu c[k]; a class with count 0 keeps c[k]. */
void asgml_pmr_update_prototypes(int C, int D, const double *sum, const int64_t *count,
                                 double mu, int first, float *c);

#endif
