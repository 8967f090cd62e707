/* SPDX-License-Identifier: MIT */
/* shapley.h - exact Shapley values of a small cooperative game (private to
 * libasgml; used by asgml-probe for the per-modality contribution measure
 * of BalanceBenchmark).
 *
 * Players are modalities 0..n-1; a coalition S is a bit mask (bit m set =
 * modality m present).  v[S] (2^n values) is the worth of S; asgml-probe
 * uses the fused model's test accuracy with the absent modalities' features
 * zeroed, so v[0] is the accuracy of the bias-only prediction.
 *
 *   phi_m = sum_{S not containing m} |S|! (n-|S|-1)! / n!  (v[S u {m}] - v[S])
 *
 * Properties the values satisfy (and the tests check): efficiency
 * sum_m phi_m = v[full] - v[0]; symmetry; null player; additivity. */
#ifndef ASGML_SHAPLEY_H
#define ASGML_SHAPLEY_H

#include "asgml/common.h"

/* Largest n accepted: 2^n worth values and n * 2^(n-1) terms. */
#define ASGML_SHAPLEY_MAX_PLAYERS 16

/* Weight of a coalition of size s (not containing the player) in a game of
 * n players: s! (n-s-1)! / n!.  0 for s outside [0, n-1]. */
double asgml_shapley_weight(int n, int s);

/* phi (n) from v (2^n, indexed by coalition mask).  ASGML_EINVAL for n
 * outside [1, ASGML_SHAPLEY_MAX_PLAYERS] or NULL pointers; ASGML_ENUMERIC if
 * a v value is not finite (the result would be meaningless). */
asgml_status asgml_shapley_values(int n, const double *v, double *phi);

/* Number of players in a mask (popcount). */
int asgml_shapley_coalition_size(unsigned mask);

#endif
