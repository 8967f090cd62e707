/* SPDX-License-Identifier: MIT */
/* method_cggm.h - CGGM pieces the tests check (private).  Guo et al.,
 * "Classifier-guided Gradient Modulation for Enhanced Multimodal Learning",
 * NeurIPS 2024; zrguo/CGGM src/msatrain.py (train), src/eval_metrics.py
 * (cal_cos). */
#ifndef ASGML_METHOD_CGGM_H
#define ASGML_METHOD_CGGM_H

#include "asgml/method.h"

/* Delta_m = acc[m] - prev[m]; Sigma = sum_m Delta_m + 1e-8;
 * B_m = (Sigma - Delta_m) / Sigma (zrguo/CGGM msatrain.py, "coeff").
 * Returns Sigma.  B_m is unbounded as Sigma -> 0 but finite; a Sigma that
 * is 0 or not finite gives B_m = 1 and *guard = 1 (may be NULL). */
double asgml_cggm_coefficients(int n, const double *acc, const double *prev, double *delta,
                               double *b, int *guard);
/* Test hook: sets classifier h_m's weight (C, D) and bias (C) (host) before
 * the first step (Adam moments zero). */
asgml_status asgml_cggm_set_classifier(void *state, asgml_step *s, int m, const float *w,
                                       const float *bias);

#endif
