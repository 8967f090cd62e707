/* SPDX-License-Identifier: MIT */
/* signals.h - the ASGML v1 learning-speed signals (private; shared by
 * asgml-freq and asgml-stale, checked by tests/test-method-signals.c):
 * utilisation g_m EMA and loss FIFO, score S_m = beta G_m + (1-beta) D_m,
 * float periods tau_m, warm-up, round_he, kappa bound, compensation
 * (VuVoCodes/AsynchronousFunction src/losses/asgml.py). */
#ifndef ASGML_METHODS_SIGNALS_H
#define ASGML_METHODS_SIGNALS_H

#include "asgml/method.h"

#define ASGML_V1_MAX_WINDOW 64

/* asgml-methods(7), ASGML V1 SCHEDULER, Signals: g_m EMA (0.1 new) and FIFO of the last k CE(u_m). */
typedef struct asgml_v1_signals {
    int n;                 /* modalities */
    int window;            /* k, 1..ASGML_V1_MAX_WINDOW */
    int fifo_len;          /* entries held (<= window) */
    int64_t tracked;       /* tracked-step counter n */
    double gbar[ASGML_MAX_MODALITIES];
    double fifo[ASGML_MAX_MODALITIES][ASGML_V1_MAX_WINDOW];   /* [0] = oldest */
} asgml_v1_signals;

void asgml_v1_signals_init(asgml_v1_signals *sg, int n, int window);
/* H4: g (N) = ||encoder-m grad|| before H2 (NaN: no g_m this step, gbar_m
 * is held); ce (N) = CE(u_m) of the step. */
void asgml_v1_signals_update(asgml_v1_signals *sg, const double *g, const double *ce);
/* S_m = beta G_m + (1-beta) D_m (all 1 while tracked < 2); G, D may be NULL. */
void asgml_v1_score(const asgml_v1_signals *sg, double beta, double *S, double *G, double *D);

double asgml_v1_clamp(double x, double lo, double hi);
/* tau_m = clamp(base * S_m, tmin, tmax) */
void asgml_v1_tau_dual(int n, const double *S, double base, double tmin, double tmax, double *tau);
/* gap = max a - min a < delta -> tmin for all; else clamp(base a_m / mean a) */
void asgml_v1_tau_probe(int n, const double *a, double base, double tmin, double tmax,
                        double delta, double *tau);
/* c_m = omega S_m + (1-omega) a_m / max a; tau_m = clamp(base c_m) */
void asgml_v1_tau_both(int n, const double *S, const double *a, double omega, double base,
                       double tmin, double tmax, double *tau);
/* warm-up ramp: 1 + (tau - 1) min(1, t / W); W <= 0: tau unchanged */
double asgml_v1_warm(double tau, int64_t t, int64_t warmup);
/* round half to even (nearbyint under the default rounding mode) */
int asgml_v1_round_he(double x);
/* v_m <- min(v_m, floor(kappa * min_j max(v_j, 1))); kappa <= 0 or inf: no-op */
void asgml_v1_kappa_bound(int n, int *v, double kappa);

typedef enum { ASGML_COMP_OFF = 0, ASGML_COMP_MUL, ASGML_COMP_DIV } asgml_comp_mode;
/* freq: an updating encoder with period > 1 gets (1 + lambda p) (mul) or
 * 1 / (1 + lambda p) (div); otherwise 1.  stale: call with updating = 1 and
 * period = age a_m (applied only when a stale gradient is used). */
double asgml_v1_comp_factor(asgml_comp_mode mode, double lambda, int period, int updating);
asgml_status asgml_v1_parse_comp(const char *key, const char *v, asgml_comp_mode *out);

#endif
