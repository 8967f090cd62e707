/* SPDX-License-Identifier: MIT */
/* method_mmpareto.h - the MMPareto weights (private; tests/test-mmpareto-
 * torch.c checks them).  Wei & Hu, "MMPareto: Boosting Multimodal Learning
 * with Innocent Unimodal Assistance", ICML 2024; GeWu-Lab/MMPareto_ICML2024
 * code/min_norm_solvers.py, code/MMPareto.py. */
#ifndef ASGML_METHOD_MMPARETO_H
#define ASGML_METHOD_MMPARETO_H

/* min_c ||c x1 + (1 - c) x2||^2 for two vectors given by their inner
 * products (MinNormSolver._min_norm_element_from2):
 *   x1.x2 >= x1.x1 -> c = 0.999;  else x1.x2 >= x2.x2 -> c = 0.001;
 *   else c = (x2.x2 - x1.x2) / (x1.x1 + x2.x2 - 2 x1.x2).
 * Returns c (the weight of x1); *cost (may be NULL) = the squared norm. */
double asgml_mmpareto_min_norm2(double v11, double v12, double v22, double *cost);

/* (w_mm, w_u) of one encoder (MMPareto.py train_epoch): cos > 0 -> (1/2, 1/2),
 * else the min-norm weights of (x1 = g_mm, x2 = g_u). */
void asgml_mmpareto_weights(double cos, double v11, double v12, double v22, double *w_mm,
                            double *w_u);

#endif
