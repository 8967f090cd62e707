/* SPDX-License-Identifier: MIT */
/* asgml/stats.h - small-sample statistics (asgml-report): summaries with
 * t confidence intervals, Welch and paired t-tests.  Pure functions of
 * their arguments, no allocation, no I/O.
 *
 * All sums are taken in double; the standard deviation is the sample one
 * (divisor n - 1) computed in two passes.  Degrees of freedom may be
 * fractional (Welch-Satterthwaite). */
#ifndef ASGML_STATS_H
#define ASGML_STATS_H

#include "asgml/common.h"

ASGML_BEGIN_DECLS

typedef struct asgml_summary {
    int n;              /* number of values */
    double mean;
    double sd;          /* sample standard deviation (n - 1); NaN for n < 2 */
    double min, max;
    double ci_lo, ci_hi; /* mean -/+ t_{(1+level)/2, n-1} * sd / sqrt(n); NaN for n < 2 */
} asgml_summary;

/* Summary of x[0..n-1] with a two-sided `level` (e.g. 0.95) confidence
 * interval for the mean.  ASGML_EINVAL for n < 1, level outside (0, 1);
 * ASGML_ENUMERIC when a value is not finite. */
asgml_status asgml_summarize(const double *x, int n, double level, asgml_summary *out);

typedef struct asgml_ttest {
    double diff;        /* mean(x) - mean(y) (paired: mean of x_i - y_i) */
    double se;          /* standard error of diff */
    double t;           /* diff / se; +-inf when se == 0 and diff != 0 */
    double df;          /* degrees of freedom (Welch: fractional) */
    double p;           /* two-sided p-value; NaN when se == 0 and diff == 0 */
} asgml_ttest;

/* Welch's unequal-variance t-test of mean(x) = mean(y); nx, ny >= 2.
 * When both variances are zero df is NaN and p is 0 (diff != 0) or NaN. */
asgml_status asgml_welch_test(const double *x, int nx, const double *y, int ny,
                              asgml_ttest *out);
/* Paired t-test on the differences x[i] - y[i], n >= 2 pairs (df = n - 1). */
asgml_status asgml_paired_test(const double *x, const double *y, int n, asgml_ttest *out);

/* Holm's step-down adjustment (Holm 1979, Scand. J. Statist. 6:65-70) of
 * the family p[0..n-1]: with the m non-NaN p-values sorted ascending,
 * p_(1) <= ... <= p_(m), adj_(i) = max_{j <= i} min(1, (m - j + 1) p_(j));
 * reject H_(i) at level a iff adj_(i) <= a (strong FWER control).  NaN
 * entries (no test) stay NaN in adj and do not count in m.  adj may be p.
 * ASGML_EINVAL for n < 0 or a value outside [0, 1]; ASGML_ENOMEM. */
asgml_status asgml_holm(const double *p, int n, double *adj);

ASGML_END_DECLS
#endif
