/* SPDX-License-Identifier: MIT */
/* method_inforeg.h - the InfoReg decisions (private; tests/test-inforeg.c
 * checks them).  Huang et al., "Adaptive Unimodal Regulation for Balanced
 * Multimodal Information Acquisition" (InfoReg), CVPR 2025, Eq. 7-16,
 * Alg. 1; official code GeWu-Lab/InfoReg_CVPR2025 main.py train_epoch;
 * the ASGML group's replay VuVoCodes/AsynchronousFunction scripts/train.py
 * train_epoch_inforeg. */
#ifndef ASGML_METHOD_INFOREG_H
#define ASGML_METHOD_INFOREG_H

#include "asgml/common.h"

typedef enum { ASGML_INFOREG_PAPER = 0, ASGML_INFOREG_ASGML_REF } asgml_inforeg_variant;
asgml_status asgml_inforeg_parse_variant(const char *v, asgml_inforeg_variant *out);

/* Prime learning window of epoch e from the Fisher traces of the two
 * epochs before it: tr1 = Tr(e-1), tr2 = Tr(e-2).  *rate gets
 * (tr1 - tr2) / tr1 (NaN when tr1 <= 1e-10); returns 1 when rate > K. */
int asgml_inforeg_plw(double tr1, double tr2, double K, double *rate);

/* Gaps Delta (N) from the scores s (N, batch-mean NLL of u_m):
 *   paper:     Delta_m = mean over {j : s_j > s_m} of (s_j - s_m), 0 if none;
 *   asgml-ref: only the lowest-score modality d (first on ties) has
 *              Delta_d = mean_{j != d} s_j - s_d; every other Delta is 0.
 * Returns d (the lowest-score modality). */
int asgml_inforeg_gaps(asgml_inforeg_variant v, int n, const double *s, double *delta);

/* Regulation strength for a gap: paper exp(beta tanh(delta)), asgml-ref
 * beta delta. */
double asgml_inforeg_alpha(asgml_inforeg_variant v, double beta, double delta);

#endif
