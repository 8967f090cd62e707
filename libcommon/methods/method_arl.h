/* SPDX-License-Identifier: MIT */
/* method_arl.h - the ARL coefficients (private; tests/test-arl-torch.c and
 * tests/test-arl.c check them).  Wei et al., "Asymmetric Reinforcing
 * against Multimodal Representation Bias" (ARL), ICCV 2025;
 * shicaiwei123/ICCV2025-ARL main_arl_variance.py. */
#ifndef ASGML_METHOD_ARL_H
#define ASGML_METHOD_ARL_H

#include "asgml/common.h"

typedef enum { ASGML_ARL_PAPER = 0, ASGML_ARL_CODE, ASGML_ARL_FIXED } asgml_arl_weights;
asgml_status asgml_arl_parse_weights(const char *v, asgml_arl_weights *out);
/* From the batch-mean entropies H (N), confidence sums d (N) and
 * absu[m] = sum_c mean_i |u_m[i,c]| (N): q = 1/H (N) and a (N), the
 * encoder gradient factors being 1 + a_m (method_arl.c). */
void asgml_arl_coefficients(asgml_arl_weights w, int n, double T, const double *H,
                            const double *d, const double *absu, double *q, double *a);

#endif
