/* SPDX-License-Identifier: MIT */
/* report_stats.h - small-sample statistics for asgml-report: Student t
 * distribution (CDF and quantile through the regularised incomplete beta
 * function), summaries with t confidence intervals, Welch and paired
 * t-tests.  Pure functions of their arguments, no allocation, no I/O.
 *
 * All sums are taken in double; the standard deviation is the sample one
 * (divisor n - 1) computed in two passes.  Degrees of freedom may be
 * fractional (Welch-Satterthwaite). */
#ifndef ASGML_REPORT_STATS_H
#define ASGML_REPORT_STATS_H

#include "asgml/common.h"
#include "asgml/stats.h"

/* I_x(a, b), the regularised incomplete beta function, for a, b > 0 and
 * 0 <= x <= 1 (continued fraction, modified Lentz; relative accuracy about
 * 1e-14).  NaN for arguments outside that domain. */
double asgml_betainc_reg(double a, double b, double x);

/* P(T <= t) for Student's t with df > 0 degrees of freedom. */
double asgml_t_cdf(double t, double df);
/* P(|T| >= |t|): the two-sided p-value of a t statistic.  Computed
 * directly (not as 1 - cdf) so that small p-values keep their digits. */
double asgml_t_two_sided_p(double t, double df);
/* The p-quantile t with P(T <= t) = p, for 0 < p < 1, df > 0: bracketing
 * and bisection on the upper tail to full double resolution.  NaN outside
 * the domain. */
double asgml_t_quantile(double p, double df);

/* asgml_summarize(), asgml_welch_test(), asgml_paired_test(): asgml/stats.h. */

#endif
