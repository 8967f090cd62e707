/* SPDX-License-Identifier: MIT */
/* method_asgml_boost.h - the target scales of asgml-boost (private;
 * tests/test-method-signals.c checks them). */
#ifndef ASGML_METHOD_ASGML_BOOST_H
#define ASGML_METHOD_ASGML_BOOST_H

/* Boost target scales (asgml-methods(7), ASGML-BOOST): s_m = min(1 + alpha (1 - (a_m -
 * a_min) / (a_max - a_min)), s_max); all 1 if a_max - a_min < 1e-8.
 * Returns the gap a_max - a_min. */
double asgml_boost_target_scales(int n, const double *a, double alpha, double s_max, double *s);

#endif
