/* SPDX-License-Identifier: MIT */
/* signals.c - the ASGML v1 learning-speed signals and what is derived from
 * them: g_m EMA and loss FIFO, score S_m, float periods tau_m (dual, probe,
 * both), warm-up, round half to even, kappa bound, compensation factors.
 * Shared by asgml-freq and asgml-stale (through v1_schedule.c); reference:
 * VuVoCodes/AsynchronousFunction src/losses/asgml.py (LearningDynamicsTracker,
 * ASGMLScheduler). */
#include <math.h>
#include <string.h>

#include "methods/signals.h"

void asgml_v1_signals_init(asgml_v1_signals *sg, int n, int window)
{
    memset(sg, 0, sizeof *sg);
    sg->n = n;
    sg->window = window < 1 ? 1 : window > ASGML_V1_MAX_WINDOW ? ASGML_V1_MAX_WINDOW : window;
}

void asgml_v1_signals_update(asgml_v1_signals *sg, const double *g, const double *ce)
{
    for (int m = 0; m < sg->n; m++)
        if (!isnan(g[m]))   /* NaN: no g_m this step, gbar_m held */
            sg->gbar[m] = 0.1 * g[m] + 0.9 * sg->gbar[m];
    if (sg->fifo_len == sg->window) {
        for (int m = 0; m < sg->n; m++)
            memmove(&sg->fifo[m][0], &sg->fifo[m][1], (size_t)(sg->window - 1) * sizeof(double));
        sg->fifo_len--;
    }
    for (int m = 0; m < sg->n; m++)
        sg->fifo[m][sg->fifo_len] = ce[m];
    sg->fifo_len++;
    sg->tracked++;
}

/* x_m / mean_j x_j, all 1 if the mean < 1e-8 */
static void relative_to_mean(int n, const double *x, double *out)
{
    double mean = 0.0;
    for (int m = 0; m < n; m++)
        mean += x[m];
    mean /= n;
    for (int m = 0; m < n; m++)
        out[m] = mean < 1e-8 ? 1.0 : x[m] / mean;
}

void asgml_v1_score(const asgml_v1_signals *sg, double beta, double *S, double *G, double *D)
{
    double g[ASGML_MAX_MODALITIES] = { 0 }, d[ASGML_MAX_MODALITIES] = { 0 };
    double gr[ASGML_MAX_MODALITIES], dr[ASGML_MAX_MODALITIES];

    if (sg->tracked < 2) {
        for (int m = 0; m < sg->n; m++) {
            S[m] = 1.0;
            if (G) G[m] = 1.0;
            if (D) D[m] = 1.0;
        }
        return;
    }
    for (int m = 0; m < sg->n; m++) {
        g[m] = sg->gbar[m];
        d[m] = sg->fifo_len < 2 ? 0.0 : fabs(sg->fifo[m][0] - sg->fifo[m][sg->fifo_len - 1]);
    }
    relative_to_mean(sg->n, g, gr);
    relative_to_mean(sg->n, d, dr);
    for (int m = 0; m < sg->n; m++) {
        S[m] = beta * gr[m] + (1.0 - beta) * dr[m];
        if (G) G[m] = gr[m];
        if (D) D[m] = dr[m];
    }
}

double asgml_v1_clamp(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

void asgml_v1_tau_dual(int n, const double *S, double base, double tmin, double tmax, double *tau)
{
    for (int m = 0; m < n; m++)
        tau[m] = asgml_v1_clamp(base * S[m], tmin, tmax);
}

void asgml_v1_tau_probe(int n, const double *a, double base, double tmin, double tmax,
                        double delta, double *tau)
{
    double lo = a[0], hi = a[0], mean = 0.0;
    for (int m = 0; m < n; m++) {
        lo = a[m] < lo ? a[m] : lo;
        hi = a[m] > hi ? a[m] : hi;
        mean += a[m];
    }
    mean /= n;
    for (int m = 0; m < n; m++)
        tau[m] = (hi - lo < delta || mean <= 0.0) ? tmin
                                                  : asgml_v1_clamp(base * a[m] / mean, tmin, tmax);
}

void asgml_v1_tau_both(int n, const double *S, const double *a, double omega, double base,
                       double tmin, double tmax, double *tau)
{
    double hi = a[0];
    for (int m = 1; m < n; m++)
        hi = a[m] > hi ? a[m] : hi;
    for (int m = 0; m < n; m++) {
        double c = omega * S[m] + (1.0 - omega) * (hi > 0.0 ? a[m] / hi : 0.0);
        tau[m] = asgml_v1_clamp(base * c, tmin, tmax);
    }
}

double asgml_v1_warm(double tau, int64_t t, int64_t warmup)
{
    if (warmup <= 0)
        return tau;
    double r = (double)t / (double)warmup;
    return 1.0 + (tau - 1.0) * (r < 1.0 ? r : 1.0);
}

int asgml_v1_round_he(double x)
{
    return (int)nearbyint(x);
}

void asgml_v1_kappa_bound(int n, int *v, double kappa)
{
    int lo;
    double cap;

    if (!(kappa > 0.0) || isinf(kappa))
        return;
    lo = v[0] > 1 ? v[0] : 1;
    for (int m = 1; m < n; m++) {
        int x = v[m] > 1 ? v[m] : 1;
        lo = x < lo ? x : lo;
    }
    cap = floor(kappa * lo);
    for (int m = 0; m < n; m++)
        if (v[m] > cap)
            v[m] = (int)cap;
}

double asgml_v1_comp_factor(asgml_comp_mode mode, double lambda, int period, int updating)
{
    if (!updating || period <= 1 || mode == ASGML_COMP_OFF)
        return 1.0;
    return mode == ASGML_COMP_MUL ? 1.0 + lambda * period : 1.0 / (1.0 + lambda * period);
}

asgml_status asgml_v1_parse_comp(const char *key, const char *v, asgml_comp_mode *out)
{
    if (strcmp(v, "off") == 0) *out = ASGML_COMP_OFF;
    else if (strcmp(v, "mul") == 0) *out = ASGML_COMP_MUL;
    else if (strcmp(v, "div") == 0) *out = ASGML_COMP_DIV;
    else
        return asgml_error(ASGML_EINVAL, "%s: '%s' is not one of mul, div, off", key, v);
    return ASGML_OK;
}
