/* asgml_v1.h - shared machinery of the training methods (private).
 *
 *  1. Pure signal functions (tests/test-method-signals.c checks each one
 *     against the worked examples of methods.md and the design documents):
 *     ASGML v1 score / tau / round_he / kappa bound / warm-up / masks /
 *     compensation / stale look-back (methods.md 4), OGM-GE coefficients
 *     (methods.md 3), boost target scales (methods.md 5.2).
 *  2. The ASGML v1 scheduler used by asgml-freq and asgml-stale: config
 *     keys "asgml.*", signals g_m EMA and loss FIFO (H4), tau recomputation
 *     at the eval_freq cadence with signal source dual/probe/both.
 *  3. A probe set (one decoupled probe per modality + EMA accuracy), used
 *     by the v1 scheduler (probe/both) and by asgml-boost.
 *
 * Backend-resident state (probes) is created lazily at the first hook,
 * which is the first time a backend and the run seed are known; state
 * loaded before that is kept on the host and uploaded at creation. */
#ifndef ASGML_V1_H
#define ASGML_V1_H

#include "asgml/method.h"
#include "asgml/probe.h"

/* ---- 1. pure functions --------------------------------------------- */

#define ASGML_V1_MAX_WINDOW 64

/* methods.md 4.2: g_m EMA (0.1 new) and FIFO of the last k CE(u_m). */
typedef struct asgml_v1_signals {
    int n;                 /* modalities */
    int window;            /* k, 1..ASGML_V1_MAX_WINDOW */
    int fifo_len;          /* entries held (<= window) */
    int64_t tracked;       /* tracked-step counter n */
    double gbar[ASGML_MAX_MODALITIES];
    double fifo[ASGML_MAX_MODALITIES][ASGML_V1_MAX_WINDOW];   /* [0] = oldest */
} asgml_v1_signals;

void asgml_v1_signals_init(asgml_v1_signals *sg, int n, int window);
/* H4: g (N) = ||encoder-m grad|| before H2; ce (N) = CE(u_m) of the step. */
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
/* tau_hat_m = max(1, kappa-bounded round_he(tau_m)) (methods.md 4.4) */
void asgml_v1_tau_hat(int n, const double *tau, double kappa, int *hat);
/* M_m = [t mod tau_hat == 0] */
int asgml_v1_update_mask(int64_t t, int tau_hat);

typedef enum { ASGML_COMP_OFF = 0, ASGML_COMP_MUL, ASGML_COMP_DIV } asgml_comp_mode;
/* freq: an updating encoder with period > 1 gets (1 + lambda p) (mul) or
 * 1 / (1 + lambda p) (div); otherwise 1.  stale: call with updating = 1 and
 * period = age a_m (applied only when a stale gradient is used). */
double asgml_v1_comp_factor(asgml_comp_mode mode, double lambda, int period, int updating);
asgml_status asgml_v1_parse_comp(const char *key, const char *v, asgml_comp_mode *out);

/* Stale ring buffer look-back (methods.md 4.5), 0 = this step's gradient.
 * intended: the entry computed exactly a steps ago (needs depth >= a + 1);
 * ref ([AF]): the a-th newest entry, newest = this step (needs depth >= a),
 * i.e. a - 1 steps ago.  -1 when a <= 0 or the buffer is not deep enough. */
int asgml_v1_stale_lookback(int depth, int age, int ref_index);
/* adaptive stale ages a_m = max(0, kappa-bounded round_he(tau_m) - 1) */
void asgml_v1_stale_ages(int n, const double *tau, double kappa, int *age);

/* OGM-GE (methods.md 3): from the scores s (N) compute rho (N), k (N) and
 * touched (N): 1 = the encoder's gradients are modulated (scaled and, with
 * GE, noised).  Every variant touches every modality except asgml-ref,
 * which touches only the throttled ones. */
typedef enum {
    ASGML_OGM_OFFICIAL = 0, ASGML_OGM_BMM, ASGML_OGM_ASGML_REF, ASGML_OGM_TPAMI
} asgml_ogm_variant;
asgml_status asgml_ogm_parse_variant(const char *v, asgml_ogm_variant *out);
void asgml_ogm_coefficients(asgml_ogm_variant variant, int n, const double *s, double alpha,
                            double *rho, double *k, int *touched);

/* Boost target scales (methods.md 5.2): s_m = min(1 + alpha (1 - (a_m -
 * a_min) / (a_max - a_min)), s_max); all 1 if a_max - a_min < 1e-8.
 * Returns the gap a_max - a_min. */
double asgml_boost_target_scales(int n, const double *a, double alpha, double s_max, double *s);

/* ---- 3. probe set ---------------------------------------------------- */

typedef struct asgml_probe_set {
    int n, in_dim, num_classes, max_batch;
    asgml_probe_kind kind;
    double lr, ema_alpha;
    uint64_t tag;                              /* seed derivation tag */
    asgml_probe *p[ASGML_MAX_MODALITIES];      /* NULL until bound */
    double ema[ASGML_MAX_MODALITIES];          /* a_m, 0 initially */
    double acc[ASGML_MAX_MODALITIES], loss[ASGML_MAX_MODALITIES];  /* last probe step */
    int64_t evals;                             /* probe steps so far */
    /* state loaded before the probes existed (host copies) */
    float *pending[ASGML_MAX_MODALITIES];
    double pending_meta[ASGML_MAX_MODALITIES][2];  /* Adam step count, dropout offset */
} asgml_probe_set;

/* Reads "<prefix>.probe-type" (linear|mlp_1layer), "<prefix>.probe-lr",
 * "<prefix>.probe-ema". */
asgml_status asgml_probe_set_config(asgml_probe_set *ps, asgml_config *cfg, const char *prefix,
                                    const asgml_model_config *mc, uint64_t tag);
void asgml_probe_set_free(asgml_probe_set *ps);
/* Creates the probes (seeded from the run seed) on the first call. */
asgml_status asgml_probe_set_bind(asgml_probe_set *ps, asgml_step *s);
/* One split-batch probe step per modality on this step's detached features
 * (K Adam steps on the first floor(B/2) rows, accuracy on the rest), then
 * a_m <- ema_alpha acc_m + (1 - ema_alpha) a_m. */
asgml_status asgml_probe_set_run(asgml_probe_set *ps, asgml_step *s, int steps);
asgml_status asgml_probe_set_save(asgml_probe_set *ps, asgml_state_io *io, const char *prefix);
asgml_status asgml_probe_set_load(asgml_probe_set *ps, asgml_state_io *io, const char *prefix);

/* ---- 2. ASGML v1 scheduler ------------------------------------------- */

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
/* H4: update signals; probes and tau recomputation at the cadence; logs. */
asgml_status asgml_v1_sched_after_step(asgml_v1_sched *sc, asgml_step *s);
asgml_status asgml_v1_sched_save(asgml_v1_sched *sc, asgml_state_io *io);
asgml_status asgml_v1_sched_load(asgml_v1_sched *sc, asgml_state_io *io);

/* ---- helpers for the method files ------------------------------------ */

/* "<prefix>.<modality name>" into buf (log keys) */
const char *asgml_method_key(char *buf, size_t size, const char *prefix, const asgml_step *s,
                             int m);
/* Index of the modality named `name` in the model config, -1 if none. */
int asgml_method_modality_index(const asgml_model_config *mc, const char *name);
/* 1 if the config's "method" (when set) lists `part` among its '+' parts. */
int asgml_method_composed_with(asgml_config *cfg, const char *part);

#endif
