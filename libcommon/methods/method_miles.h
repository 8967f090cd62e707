/* SPDX-License-Identifier: MIT */
/* method_miles.h - the MILES learning-rate decision (private;
 * tests/test-miles-torch.c checks it).  Guerra-Manzanares & Shamout,
 * "MILES: Modality-Informed Learning Rate Scheduler for Balancing
 * Multimodal Learning", IJCNN 2025, Eq. 4-5 and Alg. 1; the rule as run by
 * VuVoCodes/AsynchronousFunction scripts/train.py
 * miles_adjust_learning_rates. */
#ifndef ASGML_METHOD_MILES_H
#define ASGML_METHOD_MILES_H

#include "asgml/common.h"

/* Which branch of Alg. 1 decided (logged as miles.branch). */
typedef enum {
    ASGML_MILES_BALANCED = 0,      /* delta <= tau: every encoder at alpha_AB */
    ASGML_MILES_ALL_NEGATIVE = 1,  /* every u_m < 0: every encoder at alpha_AB */
    ASGML_MILES_FIRST_ONLY = 2,    /* N = 2, u_1 > 0 > u_2: alpha_1 = mu alpha_AB */
    ASGML_MILES_SECOND_ONLY = 3,   /* N = 2, u_1 < 0 < u_2: alpha_2 = mu alpha_AB */
    ASGML_MILES_LARGER = 4         /* otherwise: the larger u (N > 2: first argmax) */
} asgml_miles_branch;

/* From the accuracy of the fused logits acc_fused and of every unimodal
 * head acc[m] (N), with threshold tau and reduction mu:
 *   u[m]  = (acc_fused - mean_{j != m} acc[j]) / acc_fused (0 when
 *           acc_fused == 0)                                   (Eq. 4)
 *   delta = max u - min u  (= |u_1 - u_2| for N = 2)          (Eq. 5)
 *   mult[m] = mu for the reduced encoder, 1 for the others.
 * Returns the reduced modality (0..n-1) or -1; *branch gets the branch. */
int asgml_miles_decide(int n, double acc_fused, const double *acc, double tau, double mu,
                       double *u, double *delta, double *mult, asgml_miles_branch *branch);

#endif
