/* SPDX-License-Identifier: MIT */
/* report_stats.c - Student t distribution, summaries, Welch and paired
 * t-tests for asgml-report (report_stats.h).
 *
 * The t distribution is reached through the regularised incomplete beta
 * function: for T with df degrees of freedom and x = df / (df + t^2),
 *     P(|T| >= |t|) = I_x(df/2, 1/2).
 * I_x(a, b) is evaluated with the continued fraction of Numerical Recipes
 * (betacf, modified Lentz), switching to 1 - I_{1-x}(b, a) where the
 * fraction converges slowly.  Callers pass x and 1 - x separately so that
 * neither loses digits to cancellation. */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "report/report_stats.h"

#define BETA_MAX_ITER 1000000   /* ~sqrt(max(a, b)) are needed */
#define BETA_EPS 1e-16
#define BETA_TINY 1e-300

/* Continued fraction for I_x(a, b) (without the front factor). */
static double beta_continued_fraction(double a, double b, double x)
{
    double qab = a + b, qap = a + 1.0, qam = a - 1.0;
    double c = 1.0, d = 1.0 - qab * x / qap, h;
    if (fabs(d) < BETA_TINY)
        d = BETA_TINY;
    d = 1.0 / d;
    h = d;
    for (int m = 1; m <= BETA_MAX_ITER; m++) {
        double m2 = 2.0 * m, aa, del;
        aa = m * (b - m) * x / ((qam + m2) * (a + m2));   /* even step */
        d = 1.0 + aa * d;
        if (fabs(d) < BETA_TINY)
            d = BETA_TINY;
        c = 1.0 + aa / c;
        if (fabs(c) < BETA_TINY)
            c = BETA_TINY;
        d = 1.0 / d;
        h *= d * c;
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));   /* odd step */
        d = 1.0 + aa * d;
        if (fabs(d) < BETA_TINY)
            d = BETA_TINY;
        c = 1.0 + aa / c;
        if (fabs(c) < BETA_TINY)
            c = BETA_TINY;
        d = 1.0 / d;
        del = d * c;
        h *= del;
        if (fabs(del - 1.0) < BETA_EPS)
            break;
    }
    return h;
}

/* lgamma(a + b) - lgamma(a).  For large a the difference of two huge
 * lgamma values would lose its digits (lgamma(5e8) ~ 1e10), so Stirling's
 * series is differenced term by term:
 *   (a+b-1/2) ln(a+b) - (a-1/2) ln a - b = (a-1/2) log1p(b/a) + b ln(a+b) - b
 * plus the difference of the 1/(12z) - 1/(360z^3) + ... corrections. */
static double stirling_correction(double z)
{
    double z2 = z * z;
    return (1.0 / 12.0 - (1.0 / 360.0 - (1.0 / 1260.0 - 1.0 / (1680.0 * z2)) / z2) / z2) / z;
}

static double lgamma_ratio(double a, double b)
{
    if (a < 64.0 || a < 64.0 * b)
        return lgamma(a + b) - lgamma(a);
    return (a - 0.5) * log1p(b / a) + b * log(a + b) - b +
           (stirling_correction(a + b) - stirling_correction(a));
}

/* I_x(a, b) with y = 1 - x, log x and log y given accurately by the
 * caller (for the t distribution x is close to 1 when df is large).
 * The branch follows Numerical Recipes (direct fraction for
 * x < (a+1)/(a+b+2)) unless `complement_above` > 0: then 1 - I_y(b, a) is
 * tried first and kept when it is at least that large.  Near the switch
 * point with a >> b the direct fraction starts with 1 - (a+b)x/(a+1), a
 * cancellation that costs eps/y digits (5e-8 relative at df = 1e9), while
 * the complement is exact to eps in absolute terms. */
static double betainc_core(double a, double b, double x, double y, double log_x, double log_y,
                           double complement_above)
{
    double log_front;
    if (x <= 0.0)
        return 0.0;
    if (y <= 0.0)
        return 1.0;
    log_front = (a >= b ? lgamma_ratio(a, b) - lgamma(b) : lgamma_ratio(b, a) - lgamma(a)) +
                a * log_x + b * log_y;
    if (complement_above > 0.0) {
        double r = 1.0 - exp(log_front) * beta_continued_fraction(b, a, y) / b;
        if (r >= complement_above)
            return r;
    }
    if (x < (a + 1.0) / (a + b + 2.0))
        return exp(log_front) * beta_continued_fraction(a, b, x) / a;
    return 1.0 - exp(log_front) * beta_continued_fraction(b, a, y) / b;
}

double asgml_betainc_reg(double a, double b, double x)
{
    if (!(a > 0.0) || !(b > 0.0) || !(x >= 0.0) || !(x <= 1.0) || isinf(a) || isinf(b))
        return NAN;
    if (x <= 0.0 || x >= 1.0)
        return x <= 0.0 ? 0.0 : 1.0;
    return betainc_core(a, b, x, 1.0 - x, log(x), log1p(-x), 0.0);
}

/* P(|T| >= |t|) for df > 0. */
double asgml_t_two_sided_p(double t, double df)
{
    double t2, x, y;
    if (isnan(t) || !(df > 0.0))
        return NAN;
    if (isinf(t))
        return 0.0;
    t2 = t * t;
    if (t2 == 0.0)
        return 1.0;
    if (isinf(df))   /* the normal limit */
        return erfc(fabs(t) / sqrt(2.0));
    x = df / (df + t2);
    y = t2 / (df + t2);
    /* for df > 1e4 prefer the complement while it keeps 10 digits (p >= 1e-6) */
    return betainc_core(0.5 * df, 0.5, x, y, -log1p(t2 / df), log(y), df > 1e4 ? 1e-6 : 0.0);
}

double asgml_t_cdf(double t, double df)
{
    double tail;
    if (isnan(t) || !(df > 0.0))
        return NAN;
    tail = 0.5 * asgml_t_two_sided_p(t, df);   /* P(T >= |t|) */
    return t >= 0.0 ? 1.0 - tail : tail;
}

double asgml_t_quantile(double p, double df)
{
    double q, lo = 0.0, hi = 1.0;
    if (!(p > 0.0) || !(p < 1.0) || !(df > 0.0))
        return NAN;
    if (p == 0.5)
        return 0.0;
    if (p < 0.5)
        return -asgml_t_quantile(1.0 - p, df);
    /* Upper tail q = 1 - p (exact for p >= 0.5); U(t) = P(T >= t) falls
     * from 1/2 at t = 0 to 0: find U(hi) <= q, then bisect [lo, hi]. */
    q = 1.0 - p;
    while (0.5 * asgml_t_two_sided_p(hi, df) > q) {
        lo = hi;
        hi *= 2.0;
        if (isinf(hi))
            return INFINITY;
    }
    for (int it = 0; it < 2200; it++) {
        double mid = lo + 0.5 * (hi - lo);
        if (mid <= lo || mid >= hi)
            break;
        if (0.5 * asgml_t_two_sided_p(mid, df) > q)
            lo = mid;
        else
            hi = mid;
    }
    return lo + 0.5 * (hi - lo);
}

/* Two-pass mean and sample variance (the second pass corrects the mean
 * with the residual sum, as in Higham's "corrected two-pass" algorithm). */
static void mean_var(const double *x, int n, double *mean, double *var)
{
    double sum = 0.0, m, ss = 0.0, comp = 0.0;
    for (int i = 0; i < n; i++)
        sum += x[i];
    m = sum / n;
    for (int i = 0; i < n; i++) {
        double d = x[i] - m;
        ss += d * d;
        comp += d;
    }
    *mean = m + comp / n;
    *var = n > 1 ? (ss - comp * comp / n) / (n - 1) : NAN;
    if (n > 1 && *var < 0.0)
        *var = 0.0;
}

static asgml_status check_finite(const double *x, int n, const char *what)
{
    for (int i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return asgml_error(ASGML_ENUMERIC, "report_stats: %s[%d] is not finite", what, i);
    return ASGML_OK;
}

asgml_status asgml_summarize(const double *x, int n, double level, asgml_summary *out)
{
    double var, half;
    asgml_status st;
    if (n < 1)
        return asgml_error(ASGML_EINVAL, "report_stats: a summary needs at least one value");
    if (!(level > 0.0) || !(level < 1.0))
        return asgml_error(ASGML_EINVAL, "report_stats: confidence level %g is not in (0, 1)",
                           level);
    if ((st = check_finite(x, n, "value")) != ASGML_OK)
        return st;
    out->n = n;
    mean_var(x, n, &out->mean, &var);
    out->min = out->max = x[0];
    for (int i = 1; i < n; i++) {
        if (x[i] < out->min)
            out->min = x[i];
        if (x[i] > out->max)
            out->max = x[i];
    }
    if (n < 2) {
        out->sd = out->ci_lo = out->ci_hi = NAN;
        return ASGML_OK;
    }
    out->sd = sqrt(var);
    half = asgml_t_quantile(0.5 + 0.5 * level, n - 1) * out->sd / sqrt((double)n);
    out->ci_lo = out->mean - half;
    out->ci_hi = out->mean + half;
    return ASGML_OK;
}

/* t, p from diff, se, df (se == 0 handled as documented in the header). */
static void finish_test(asgml_ttest *out)
{
    if (out->se > 0.0) {
        out->t = out->diff / out->se;
        out->p = asgml_t_two_sided_p(out->t, out->df);
    } else if (out->diff != 0.0) {
        out->t = out->diff > 0.0 ? INFINITY : -INFINITY;
        out->p = 0.0;
    } else {
        out->t = NAN;
        out->p = NAN;
    }
}

asgml_status asgml_welch_test(const double *x, int nx, const double *y, int ny,
                              asgml_ttest *out)
{
    double mx, my, vx, vy, ax, ay;
    asgml_status st;
    if (nx < 2 || ny < 2)
        return asgml_error(ASGML_EINVAL, "report_stats: Welch's test needs two values per "
                           "group (got %d and %d)", nx, ny);
    if ((st = check_finite(x, nx, "x")) != ASGML_OK || (st = check_finite(y, ny, "y")) != ASGML_OK)
        return st;
    mean_var(x, nx, &mx, &vx);
    mean_var(y, ny, &my, &vy);
    ax = vx / nx;   /* squared standard errors of the two means */
    ay = vy / ny;
    out->diff = mx - my;
    out->se = sqrt(ax + ay);
    /* Welch-Satterthwaite degrees of freedom */
    out->df = ax + ay > 0.0 ? (ax + ay) * (ax + ay) / (ax * ax / (nx - 1) + ay * ay / (ny - 1))
                            : NAN;
    finish_test(out);
    return ASGML_OK;
}

asgml_status asgml_holm(const double *p, int n, double *adj)
{
    int *ix, m = 0;
    double run = 0.0, *tmp;
    if (n < 0)
        return asgml_error(ASGML_EINVAL, "report_stats: Holm: %d p-values", n);
    for (int i = 0; i < n; i++)
        if (!isnan(p[i]) && !(p[i] >= 0.0 && p[i] <= 1.0))
            return asgml_error(ASGML_EINVAL, "report_stats: Holm: p[%d] = %g is not in [0, 1]",
                               i, p[i]);
    ix = malloc((size_t)(n > 0 ? n : 1) * sizeof *ix);
    tmp = malloc((size_t)(n > 0 ? n : 1) * sizeof *tmp);
    if (!ix || !tmp) {
        free(ix);
        free(tmp);
        return asgml_error(ASGML_ENOMEM, "report_stats: Holm: out of memory");
    }
    for (int i = 0; i < n; i++) {
        tmp[i] = p[i];
        if (!isnan(p[i]))
            ix[m++] = i;
    }
    /* ascending p, ties by index: a stable insertion sort (families are
     * small, and qsort would need the p-values in a global) */
    for (int k = 1; k < m; k++) {
        int v = ix[k], j = k;
        for (; j > 0 && tmp[ix[j - 1]] > tmp[v]; j--)
            ix[j] = ix[j - 1];
        ix[j] = v;
    }
    for (int i = 0; i < n; i++)
        adj[i] = NAN;
    for (int k = 0; k < m; k++) {   /* k = i - 1 (0-based rank) */
        double v = (double)(m - k) * tmp[ix[k]];
        if (v > 1.0)
            v = 1.0;
        if (v > run)
            run = v;            /* monotone: max over the smaller p-values */
        adj[ix[k]] = run;
    }
    free(ix);
    free(tmp);
    return ASGML_OK;
}

asgml_status asgml_paired_test(const double *x, const double *y, int n, asgml_ttest *out)
{
    double sum = 0.0, m, ss = 0.0, comp = 0.0, var;
    asgml_status st;
    if (n < 2)
        return asgml_error(ASGML_EINVAL, "report_stats: a paired test needs two pairs (got %d)",
                           n);
    if ((st = check_finite(x, n, "x")) != ASGML_OK || (st = check_finite(y, n, "y")) != ASGML_OK)
        return st;
    for (int i = 0; i < n; i++)
        sum += x[i] - y[i];
    m = sum / n;
    for (int i = 0; i < n; i++) {
        double d = (x[i] - y[i]) - m;
        ss += d * d;
        comp += d;
    }
    var = (ss - comp * comp / n) / (n - 1);
    out->diff = m + comp / n;
    out->se = var > 0.0 ? sqrt(var / n) : 0.0;
    out->df = n - 1;
    finish_test(out);
    return ASGML_OK;
}
