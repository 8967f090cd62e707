/* SPDX-License-Identifier: MIT */
/* test-report-stats.c - the statistics behind asgml-report (report_stats.h)
 * against values computed independently by tests/fixtures/make_report_refs.py
 * (Python's statistics module, closed-form t CDFs, numerical integration
 * for fractional degrees of freedom), and against closed forms and
 * identities of the incomplete beta function and the t distribution. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_stats.h"
#include "tap.h"

#define MAXV 32

/* |got - want| <= rel * |want| (plus a tiny absolute floor for zeros). */
static int close_rel(double got, double want, double rel)
{
    if (isnan(want))
        return isnan(got);
    return fabs(got - want) <= rel * fabs(want) + 1e-300;
}

/* relative tolerance of the quantile lines: 1e-10 against the closed forms
 * of make_report_refs.py; 2e-8 against SciPy 1.10, whose t.ppf (cephes
 * stdtri) is itself off by up to ~5e-9 relative (p 0.6, df 2: SciPy
 * 0.28867513468800660, exact 1/sqrt(12) = 0.28867513459481287, which this
 * code gives to 1e-16) */
static double quantile_tol = 1e-10;

static int read_doubles(char **save, double *v, int n)
{
    for (int i = 0; i < n; i++) {
        char *tok = strtok_r(NULL, " \t\n", save), *end;
        if (!tok)
            return 0;
        v[i] = strtod(tok, &end);
        if (*end)
            return 0;
    }
    return 1;
}

static int read_count(char **save)
{
    double v;
    if (!read_doubles(save, &v, 1) || v < 1 || v > MAXV)
        return -1;
    return (int)v;
}

static void check_line(char *line, int lineno)
{
    char *save = NULL, *kind = strtok_r(line, " \t\n", &save);
    double v[4 * MAXV], x[MAXV], y[MAXV];
    if (!kind || kind[0] == '#')
        return;
    if (!strcmp(kind, "quantile") && read_doubles(&save, v, 3)) {
        double got = asgml_t_quantile(v[0], v[1]);
        ok(close_rel(got, v[2], quantile_tol), "line %d: t quantile p=%g df=%g: %.17g vs %.17g",
           lineno, v[0], v[1], got, v[2]);
    } else if (!strcmp(kind, "cdf") && read_doubles(&save, v, 3)) {
        double got = asgml_t_cdf(v[0], v[1]);
        ok(close_rel(got, v[2], 1e-11), "line %d: t cdf t=%g df=%g: %.17g vs %.17g", lineno,
           v[0], v[1], got, v[2]);
    } else if (!strcmp(kind, "twosided") && read_doubles(&save, v, 3)) {
        double got = asgml_t_two_sided_p(v[0], v[1]);
        ok(close_rel(got, v[2], 1e-9), "line %d: two-sided p t=%g df=%g: %.17g vs %.17g",
           lineno, v[0], v[1], got, v[2]);
    } else if (!strcmp(kind, "summary")) {
        int n = read_count(&save);
        asgml_summary s;
        if (n > 0 && read_doubles(&save, x, n) && read_doubles(&save, v, 6)) {
            int st = asgml_summarize(x, n, 0.95, &s);
            ok(st == ASGML_OK && s.n == n && close_rel(s.mean, v[0], 1e-14) &&
               close_rel(s.sd, v[1], 1e-12) && close_rel(s.ci_lo, v[2], 1e-12) &&
               close_rel(s.ci_hi, v[3], 1e-12) && s.min == v[4] && s.max == v[5],
               "line %d: summary of %d values: mean %.17g sd %.17g ci [%.17g, %.17g]", lineno,
               n, s.mean, s.sd, s.ci_lo, s.ci_hi);
            return;
        }
        ok(0, "line %d: malformed summary line", lineno);
    } else if (!strcmp(kind, "welch")) {
        int nx = read_count(&save), ny = -1;
        asgml_ttest t;
        if (nx > 0 && read_doubles(&save, x, nx) && (ny = read_count(&save)) > 0 &&
            read_doubles(&save, y, ny) && read_doubles(&save, v, 4)) {
            int st = asgml_welch_test(x, nx, y, ny, &t);
            ok(st == ASGML_OK && close_rel(t.diff, v[0], 1e-12) && close_rel(t.t, v[1], 1e-11) &&
               close_rel(t.df, v[2], 1e-11) && close_rel(t.p, v[3], 1e-9),
               "line %d: Welch %d vs %d: diff %.17g t %.17g df %.17g p %.17g", lineno, nx, ny,
               t.diff, t.t, t.df, t.p);
            return;
        }
        ok(0, "line %d: malformed welch line", lineno);
    } else if (!strcmp(kind, "paired")) {
        int n = read_count(&save);
        asgml_ttest t;
        if (n > 0 && read_doubles(&save, x, n) && read_doubles(&save, y, n) &&
            read_doubles(&save, v, 4)) {
            int st = asgml_paired_test(x, y, n, &t);
            ok(st == ASGML_OK && close_rel(t.diff, v[0], 1e-12) && close_rel(t.t, v[1], 1e-11) &&
               t.df == v[2] && close_rel(t.p, v[3], 1e-10),
               "line %d: paired n=%d: diff %.17g t %.17g p %.17g", lineno, n, t.diff, t.t, t.p);
            return;
        }
        ok(0, "line %d: malformed paired line", lineno);
    } else if (!strcmp(kind, "holm")) {
        int n = read_count(&save), good = 1;
        double adj[MAXV];
        if (n > 0 && read_doubles(&save, x, n) && read_doubles(&save, y, n)) {
            int st = asgml_holm(x, n, adj);
            for (int i = 0; i < n; i++)
                good &= isnan(y[i]) ? isnan(adj[i]) : close_rel(adj[i], y[i], 1e-15);
            ok(st == ASGML_OK && good, "line %d: Holm adjustment of %d p-values", lineno, n);
            return;
        }
        ok(0, "line %d: malformed holm line", lineno);
    } else {
        ok(0, "line %d: unknown or malformed line '%s'", lineno, kind);
    }
}

/* name: stats-refs.txt (make_report_refs.py, no SciPy) or scipy-refs.txt
 * (make_scipy_refs.py: SciPy's t distribution and ttest_rel, Holm) */
static void check_reference_file(const char *name, int min_checks)
{
    const char *srcdir = getenv("top_srcdir");
    char path[4096], line[4096];
    int lineno = 0, before = tap_count_;
    FILE *f;
    snprintf(path, sizeof path, "%s/tests/fixtures/report/%s", srcdir ? srcdir : ".", name);
    f = fopen(path, "r");
    if (!ok(f != NULL, "open %s", path))
        return;
    while (fgets(line, sizeof line, f))
        check_line(line, ++lineno);
    fclose(f);
    ok(tap_count_ - before > min_checks, "%s held %d checks", name, tap_count_ - before - 1);
}

static void check_closed_forms(void)
{
    const double ps[] = {0.6, 0.9, 0.975, 0.999, 0.9999999};
    int bad = 0;
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
        double p = ps[i];
        /* df = 1 (Cauchy): tan(pi (p - 1/2)) = 1 / tan(pi (1 - p));
         * df = 2: (2p - 1) / sqrt(2p(1 - p)) */
        bad += !close_rel(asgml_t_quantile(p, 1), 1.0 / tan(M_PI * (1.0 - p)), 1e-11);
        bad += !close_rel(asgml_t_quantile(p, 2), (2 * p - 1) / sqrt(2 * p * (1 - p)), 1e-11);
        bad += !close_rel(asgml_t_quantile(1 - p, 7), -asgml_t_quantile(p, 7), 1e-15);
        bad += !close_rel(asgml_t_cdf(asgml_t_quantile(p, 3.3), 3.3), p, 1e-13);
    }
    ok(bad == 0, "t quantile: Cauchy and df=2 closed forms, symmetry, cdf(quantile(p)) = p");
    /* df = 1e9: 1.959963986912325, df = 1e5: 1.959987707534610 (mpmath,
     * 40 digits); the normal quantile is 1.959963984540054 */
    ok(close_rel(asgml_t_quantile(0.975, 1e9), 1.959963986912325, 1e-12) &&
       close_rel(asgml_t_quantile(0.975, 1e5), 1.959987707534610, 1e-11) &&
       close_rel(asgml_t_two_sided_p(1.959963984540054, INFINITY), 0.05, 1e-12),
       "large df: t_{0.975} at df 1e5 and 1e9, the normal limit");
    /* textbook table values (two-sided 95%) */
    ok(fabs(asgml_t_quantile(0.975, 4) - 2.776445105) < 1e-9 &&
       fabs(asgml_t_quantile(0.975, 9) - 2.262157163) < 1e-9 &&
       fabs(asgml_t_quantile(0.975, 29) - 2.045229642) < 1e-9,
       "t_{0.975} for df 4, 9, 29 match printed tables");
    ok(asgml_t_quantile(0.5, 5) == 0.0 && isnan(asgml_t_quantile(0.0, 5)) &&
       isnan(asgml_t_quantile(1.0, 5)) && isnan(asgml_t_quantile(0.9, 0.0)) &&
       isnan(asgml_t_quantile(NAN, 3)),
       "t quantile: median 0, NaN outside the domain");
    ok(asgml_t_two_sided_p(0.0, 4) == 1.0 && asgml_t_two_sided_p(INFINITY, 4) == 0.0 &&
       asgml_t_cdf(-INFINITY, 4) == 0.0 && isnan(asgml_t_cdf(1.0, -1.0)),
       "t cdf / p at 0 and infinity, NaN for df <= 0");
    {   /* df = 3: p = (2/pi)(phi - sin phi cos phi), phi = atan(sqrt(3)/t) */
        double phi = atan(sqrt(3.0) / 40.0);
        double want = 2.0 / M_PI * (phi - sin(phi) * cos(phi));
        ok(close_rel(asgml_t_two_sided_p(40.0, 3), want, 1e-10) &&
           close_rel(asgml_t_two_sided_p(1e4, 1), 2.0 / M_PI * atan(1e-4), 1e-12),
           "small two-sided p keeps its digits (t=40 df=3, t=1e4 df=1)");
    }

    bad = 0;
    for (double x = 0.05; x < 1.0; x += 0.1) {
        bad += !close_rel(asgml_betainc_reg(1, 1, x), x, 1e-14);
        bad += !close_rel(asgml_betainc_reg(3.5, 1, x), pow(x, 3.5), 1e-13);
        bad += !close_rel(asgml_betainc_reg(1, 2.5, x), 1 - pow(1 - x, 2.5), 1e-13);
        bad += !close_rel(asgml_betainc_reg(2.2, 4.1, x) + asgml_betainc_reg(4.1, 2.2, 1 - x),
                          1.0, 1e-14);
    }
    bad += !close_rel(asgml_betainc_reg(7.3, 7.3, 0.5), 0.5, 1e-14);
    bad += asgml_betainc_reg(2, 3, 0.0) != 0.0 || asgml_betainc_reg(2, 3, 1.0) != 1.0;
    bad += !isnan(asgml_betainc_reg(0, 3, 0.5)) || !isnan(asgml_betainc_reg(2, 3, 1.5));
    ok(bad == 0, "incomplete beta: I_x(1,1)=x, I_x(a,1)=x^a, I_x(1,b)=1-(1-x)^b, reflection, "
       "domain");
}

static void check_holm_edges(void)
{
    double p[3] = {0.04, 1.5, 0.01}, q[3] = {0.03, 0.01, 0.02}, one = 0.2;
    ok(asgml_holm(p, 3, p) == ASGML_EINVAL, "Holm refuses p = 1.5");
    ok(asgml_holm(q, 3, q) == ASGML_OK && q[1] == 0.03 && q[2] == 0.04 && q[0] == 0.04,
       "Holm in place: (0.03, 0.01, 0.02) -> (0.04, 0.03, 0.04) (monotone step-down)");
    ok(asgml_holm(&one, 1, &one) == ASGML_OK && one == 0.2 && asgml_holm(NULL, 0, NULL) ==
       ASGML_OK, "Holm of one p-value is the p-value; an empty family is fine");
}

static void check_edge_cases(void)
{
    double one[] = {0.7}, same[] = {0.5, 0.5, 0.5}, other[] = {0.6, 0.6, 0.6};
    double bad[] = {0.5, NAN, 0.4};
    asgml_summary s;
    asgml_ttest t;
    ok(asgml_summarize(one, 1, 0.95, &s) == ASGML_OK && s.n == 1 && s.mean == 0.7 &&
       s.min == 0.7 && s.max == 0.7 && isnan(s.sd) && isnan(s.ci_lo) && isnan(s.ci_hi),
       "one value: mean, min, max; no sd, no interval");
    ok(asgml_summarize(same, 3, 0.95, &s) == ASGML_OK && s.sd == 0.0 && s.ci_lo == 0.5 &&
       s.ci_hi == 0.5, "equal values: sd 0, a point interval");
    ok(asgml_summarize(one, 0, 0.95, &s) == ASGML_EINVAL &&
       asgml_summarize(same, 3, 1.0, &s) == ASGML_EINVAL &&
       asgml_summarize(bad, 3, 0.95, &s) == ASGML_ENUMERIC,
       "summary refuses n=0, level 1 and NaN values");
    ok(asgml_welch_test(one, 1, same, 3, &t) == ASGML_EINVAL &&
       asgml_paired_test(one, one, 1, &t) == ASGML_EINVAL &&
       asgml_welch_test(bad, 3, same, 3, &t) == ASGML_ENUMERIC,
       "tests refuse single values and NaN");
    ok(asgml_welch_test(other, 3, same, 3, &t) == ASGML_OK && fabs(t.diff - 0.1) < 1e-15 &&
       t.p == 0.0 && isinf(t.t) && t.t > 0,
       "Welch with zero variances and a difference: t = +inf, p = 0");
    ok(asgml_paired_test(same, same, 3, &t) == ASGML_OK && t.diff == 0.0 && isnan(t.p),
       "paired test of identical samples: p undefined (NaN)");
    /* a 99% interval is wider than a 95% one, which is wider than 50% */
    {
        double x[] = {1.0, 2.0, 4.0, 8.0};
        asgml_summary a, b, c;
        asgml_summarize(x, 4, 0.99, &a);
        asgml_summarize(x, 4, 0.95, &b);
        asgml_summarize(x, 4, 0.50, &c);
        ok(a.ci_lo < b.ci_lo && b.ci_lo < c.ci_lo && c.ci_lo < c.mean &&
           a.ci_hi > b.ci_hi && b.ci_hi > c.ci_hi && c.ci_hi > c.mean,
           "interval width grows with the confidence level");
    }
}

int main(void)
{
    check_reference_file("stats-refs.txt", 100);
    quantile_tol = 2e-8;
    check_reference_file("scipy-refs.txt", 80);
    quantile_tol = 1e-10;
    check_holm_edges();
    check_closed_forms();
    check_edge_cases();
    return tap_done();
}
