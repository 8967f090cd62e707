/* SPDX-License-Identifier: MIT */
/* v1_schedule.h - the ASGML v1 scheduler shared by asgml-freq and
 * asgml-stale (private): config keys "asgml.*", signals g_m EMA and loss
 * FIFO (H4), tau recomputation at the eval_freq cadence with signal source
 * dual/probe/both.  Reference: VuVoCodes/AsynchronousFunction
 * src/losses/asgml.py (ASGMLScheduler). */
#ifndef ASGML_METHODS_V1_SCHEDULE_H
#define ASGML_METHODS_V1_SCHEDULE_H

#include "methods/probe_set.h"
#include "methods/signals.h"

typedef enum { ASGML_SIGNAL_DUAL = 0, ASGML_SIGNAL_PROBE, ASGML_SIGNAL_BOTH } asgml_signal_source;

typedef struct asgml_v1_sched {
    int n;
    /* configuration ("asgml.*") */
    double tau_base, tau_min, tau_max, kappa, beta, lambda, gamma;
    double delta, omega;
    int window, eval_freq, tau_every, probe_steps;
    int tau_unused;            /* fixed variants: tau is logged, not used */
    int64_t warmup;
    asgml_signal_source source;
    int grad_uni;              /* asgml.grad-signal unimodal: G from ||grad_theta_m CE(u_m)|| */
    /* state */
    asgml_v1_signals sig;
    double tau[ASGML_MAX_MODALITIES];          /* float periods, 1.0 initially */
    double S[ASGML_MAX_MODALITIES], G[ASGML_MAX_MODALITIES], D[ASGML_MAX_MODALITIES];
    int64_t recomputes;
    asgml_probe_set probes;                    /* used for probe/both only */
} asgml_v1_sched;

asgml_status asgml_v1_sched_config(asgml_v1_sched *sc, asgml_config *cfg,
                                   const asgml_model_config *mc);
void asgml_v1_sched_free(asgml_v1_sched *sc);
/* tau_m with the warm-up ramp at step t (before rounding) */
double asgml_v1_sched_tau_eff(const asgml_v1_sched *sc, int m, int64_t t);
/* H1, after the method's choices: asgml.grad-signal unimodal asks the loop
 * for separate term gradients (s->separate_terms = 1). */
void asgml_v1_sched_before_backward(const asgml_v1_sched *sc, asgml_step *s);
/* H4: update signals; probes and tau recomputation at the cadence; logs. */
asgml_status asgml_v1_sched_after_step(asgml_v1_sched *sc, asgml_step *s);
asgml_status asgml_v1_sched_save(asgml_v1_sched *sc, asgml_state_io *io);
asgml_status asgml_v1_sched_load(asgml_v1_sched *sc, asgml_state_io *io);

#endif
