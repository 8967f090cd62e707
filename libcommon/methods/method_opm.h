/* SPDX-License-Identifier: MIT */
/* method_opm.h - OPM (on-the-fly prediction modulation; Wei et al., TPAMI 2024,
 * GeWu-Lab/BML_TPAMI2024 code/models/Classifier.py calcu_q, Modality_drop).
 * Private: tests/test-opm-torch.c and tests/test-hooks-opm use these. */
#ifndef ASGML_METHOD_OPM_H
#define ASGML_METHOD_OPM_H

#include "asgml/common.h"

/* From the scores s (n) compute rho (n) and the drop probabilities q (n):
 * rho_m = mean_{j != m} s_m / s_j; q_m = clip(q_base (1 + lambda tanh(rho_m - 1)), 0, 1)
 * if rho_m > 1 else 0 (TPAMI Eq. 6-8; calcu_q). */
void asgml_opm_drop_probs(int n, const double *s, double q_base, double lambda, double *rho,
                          double *q);

/* Test-only: the next executed drops use these masks instead of drawing them
 * (host, (steps, N, batch), 0/1; a smaller batch uses its first B
 * columns), `steps` consecutive executed steps; masks NULL ends it.  The execution draw U is then also forced to
 * "execute".  Not for production use. */
void asgml_opm_force_masks(const float *masks, int n, int batch, int steps);

#endif
