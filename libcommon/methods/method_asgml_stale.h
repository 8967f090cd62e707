/* SPDX-License-Identifier: MIT */
/* method_asgml_stale.h - the look-back math of asgml-stale (private;
 * tests/test-method-signals.c checks it). */
#ifndef ASGML_METHOD_ASGML_STALE_H
#define ASGML_METHOD_ASGML_STALE_H

/* Stale ring buffer look-back (asgml-methods(7), ASGML-STALE), 0 = this step's gradient.
 * intended: the entry computed exactly a steps ago (needs depth >= a + 1);
 * ref ([AF]): the a-th newest entry, newest = this step (needs depth >= a),
 * i.e. a - 1 steps ago.  -1 when a <= 0 or the buffer is not deep enough. */
int asgml_v1_stale_lookback(int depth, int age, int ref_index);
/* adaptive stale ages a_m = max(0, kappa-bounded round_he(tau_m) - 1) */
void asgml_v1_stale_ages(int n, const double *tau, double kappa, int *age);

#endif
