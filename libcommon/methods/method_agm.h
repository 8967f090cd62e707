/* SPDX-License-Identifier: MIT */
/* method_agm.h - the host math of AGM (asgml-methods(7), AGM), private;
 * shared by method_agm.c and tests/test-agm-torch.c / tests/test-agm.c.
 *
 * Subsets of modalities are bit masks S (bit m set = modality m present,
 * the others' inputs zeroed); f(S) are the logits of that pass, f(full) = F. */
#ifndef ASGML_METHODS_METHOD_AGM_H
#define ASGML_METHODS_METHOD_AGM_H

#include "asgml/method.h"

typedef enum {
    ASGML_AGM_OFFICIAL = 0,  /* [AGM] Lingy12/AGM_ICCV2023 model/CREMAD_net.py, run/CREMAD_main.py */
    ASGML_AGM_BMM = 1        /* GeWu-Lab/BalanceBenchmark balancemm/trainer/AGM_trainer.py */
} asgml_agm_variant;

asgml_status asgml_agm_parse_variant(const char *v, asgml_agm_variant *out);

/* w[S] (S = 0 .. 2^n - 1) such that o_m = sum_S w[S] f(S).
 * official: Shapley value of m over input-zeroing subsets + f(empty)/n
 *   (n = 2: o_1 = (F - P_2 + P_1)/2, [AGM] GradMod); w[0] is always 0.
 * bmm: BalanceBenchmark newGrad: the Shapley sum without the empty
 *   coalition (n = 2: o_1 = (F - P_2)/2). */
void asgml_agm_subset_weights(asgml_agm_variant v, int n, int m, double *w);

/* s = batch mean of -log max(softmax(o)[y], 1e-8), o (B, C) row-major,
 * softmax in double. */
double asgml_agm_score(const double *o, int B, int C, const int32_t *labels);

/* r_m, rbar_m and k_m from the step scores s and the running means sbar:
 * official: r_m = exp(mean_{j!=m} s_j - s_m), k = exp(alpha min(rbar - r, 10));
 * bmm: r_m = exp(s_m - mean_{j!=m} s_j), cap 7. */
void asgml_agm_coefficients(asgml_agm_variant v, int n, const double *s, const double *sbar,
                            double alpha, double *r, double *rbar, double *k);

/* sbar <- sbar (it - 1) / it + s / it, it = global iteration from 1 */
void asgml_agm_update_mean(int n, double *sbar, const double *s, int64_t it);

/* Factor c[S] on dL/do (= G) that reaches f(S) when the gradient at o_m is
 * scaled by k_m: c[S] = sum_m k_m w_m[S] (official variant).  c[full] is
 * (sum_m k_m)/n, c[0] = 0. */
void asgml_agm_pass_scales(int n, const double *k, double *c);

#endif
