/* SPDX-License-Identifier: MIT */
/* method_ogm_ge.h - the OGM-GE coefficients (private; tests/test-method-
 * signals.c checks them).  Peng et al., "Balanced Multimodal Learning via
 * On-the-fly Gradient Modulation", CVPR 2022; GeWu-Lab/OGM-GE_CVPR2022
 * main.py. */
#ifndef ASGML_METHOD_OGM_GE_H
#define ASGML_METHOD_OGM_GE_H

#include "asgml/common.h"

/* OGM-GE (asgml-methods(7), OGM-GE): from the scores s (N) compute rho (N), k (N) and
 * touched (N): 1 = the encoder's gradients are modulated (scaled and, with
 * GE, noised).  Every variant touches every modality except asgml-ref,
 * which touches only the throttled ones. */
typedef enum {
    ASGML_OGM_OFFICIAL = 0, ASGML_OGM_BMM, ASGML_OGM_ASGML_REF, ASGML_OGM_TPAMI
} asgml_ogm_variant;
asgml_status asgml_ogm_parse_variant(const char *v, asgml_ogm_variant *out);
void asgml_ogm_coefficients(asgml_ogm_variant variant, int n, const double *s, double alpha,
                            double *rho, double *k, int *touched);

#endif
