/* SPDX-License-Identifier: MIT */
/* method_asgml_freq.h - the update-period math of asgml-freq (private;
 * tests/test-method-signals.c checks it). */
#ifndef ASGML_METHOD_ASGML_FREQ_H
#define ASGML_METHOD_ASGML_FREQ_H

#include <stdint.h>

/* tau_hat_m = max(1, kappa-bounded round_he(tau_m)) (asgml-methods(7), ASGML V1 SCHEDULER, Periods) */
void asgml_v1_tau_hat(int n, const double *tau, double kappa, int *hat);
/* M_m = [t mod tau_hat == 0] */
int asgml_v1_update_mask(int64_t t, int tau_hat);

#endif
