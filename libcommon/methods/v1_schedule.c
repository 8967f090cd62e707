/* SPDX-License-Identifier: MIT */
/* v1_schedule.c - the ASGML v1 scheduler of asgml-freq and asgml-stale
 * (v1_schedule.h). */
#include <math.h>
#include <string.h>

#include "core/error.h"
#include "methods/method_helpers.h"
#include "methods/v1_schedule.h"


asgml_status asgml_v1_sched_config(asgml_v1_sched *sc, asgml_config *cfg,
                                   const asgml_model_config *mc)
{
    long window, eval_freq, tau_every, probe_steps, warmup;
    const char *source, *grad;

    memset(sc, 0, sizeof *sc);
    sc->n = mc->num_modalities;
    if (sc->n < 2)
        return asgml_error(ASGML_EINVAL, "asgml: needs at least two modalities (model has %d)",
                           sc->n);
    CK(asgml_config_get_double(cfg, "asgml.tau-base", 2.0, &sc->tau_base));
    CK(asgml_config_get_double(cfg, "asgml.tau-min", 1.0, &sc->tau_min));
    CK(asgml_config_get_double(cfg, "asgml.tau-max", 8.0, &sc->tau_max));
    CK(asgml_config_get_double(cfg, "asgml.kappa", 3.0, &sc->kappa));
    CK(asgml_config_get_double(cfg, "asgml.beta", 0.5, &sc->beta));
    CK(asgml_config_get_double(cfg, "asgml.lambda", 0.1, &sc->lambda));
    CK(asgml_config_get_double(cfg, "asgml.gamma", 1.0, &sc->gamma));
    CK(asgml_config_get_double(cfg, "asgml.threshold-delta", 0.1, &sc->delta));
    CK(asgml_config_get_double(cfg, "asgml.signal-blend", 0.5, &sc->omega));
    CK(asgml_config_get_int(cfg, "asgml.loss-window", 10, &window));
    CK(asgml_config_get_int(cfg, "asgml.eval-freq", 100, &eval_freq));
    CK(asgml_config_get_int(cfg, "asgml.tau-every", 0, &tau_every));
    CK(asgml_config_get_int(cfg, "asgml.probe-steps", 50, &probe_steps));
    CK(asgml_config_get_int(cfg, "asgml.warmup", 0, &warmup));
    CK(asgml_config_get_string(cfg, "asgml.signal-source", "dual", &source));
    if (strcmp(source, "dual") == 0) sc->source = ASGML_SIGNAL_DUAL;
    else if (strcmp(source, "probe") == 0) sc->source = ASGML_SIGNAL_PROBE;
    else if (strcmp(source, "both") == 0) sc->source = ASGML_SIGNAL_BOTH;
    else
        return asgml_error(ASGML_EINVAL, "asgml.signal-source: '%s' is not one of dual, probe, both",
                           source);
    /* design v1 3.3: G_i = ||grad L_i|| / mean_j ||grad L_j|| with L_i the
     * unimodal loss; total (default) keeps the reference code's gradient of
     * the whole loss on encoder i */
    CK(asgml_config_get_string(cfg, "asgml.grad-signal", "total", &grad));
    if (strcmp(grad, "unimodal") == 0) sc->grad_uni = 1;
    else if (strcmp(grad, "total") != 0)
        return asgml_error(ASGML_EINVAL, "asgml.grad-signal: '%s' is not one of total, unimodal",
                           grad);
    if (window < 2 || window > ASGML_V1_MAX_WINDOW)
        return asgml_error(ASGML_EINVAL, "asgml.loss-window: %ld not in 2..%d", window,
                           ASGML_V1_MAX_WINDOW);
    if (eval_freq < 1 || tau_every < 0 || probe_steps < 0 || warmup < 0)
        return asgml_error(ASGML_EINVAL, "asgml: eval-freq must be >= 1 and tau-every, "
                           "probe-steps, warmup >= 0");
    if (!(sc->tau_min >= 1.0) || !(sc->tau_max >= sc->tau_min) || !(sc->tau_base > 0.0))
        return asgml_error(ASGML_EINVAL, "asgml: need 1 <= tau-min <= tau-max and tau-base > 0 "
                           "(%g, %g, %g)", sc->tau_min, sc->tau_max, sc->tau_base);
    if (!(sc->beta >= 0.0 && sc->beta <= 1.0) || !(sc->omega >= 0.0 && sc->omega <= 1.0))
        return asgml_error(ASGML_EINVAL, "asgml.beta / asgml.signal-blend not in [0,1]");
    if (sc->grad_uni && (mc->uni_detach || !(sc->gamma > 0.0)))
        return asgml_error(ASGML_EINVAL, "asgml.grad-signal: unimodal needs the CE(u_m) gradient "
                           "on the encoders (asgml.gamma > 0, model.uni-detach=0)");
    sc->window = (int)window;
    sc->eval_freq = (int)eval_freq;
    sc->tau_every = (int)tau_every;
    sc->probe_steps = (int)probe_steps;
    sc->warmup = warmup;
    asgml_v1_signals_init(&sc->sig, sc->n, sc->window);
    for (int m = 0; m < sc->n; m++)
        sc->tau[m] = sc->S[m] = sc->G[m] = sc->D[m] = 1.0;
    if (sc->source != ASGML_SIGNAL_DUAL)
        CK(asgml_probe_set_config(&sc->probes, cfg, "asgml", mc, UINT64_C(0xA5617100)));
    return ASGML_OK;
}

void asgml_v1_sched_free(asgml_v1_sched *sc)
{
    asgml_probe_set_free(&sc->probes);
}

double asgml_v1_sched_tau_eff(const asgml_v1_sched *sc, int m, int64_t t)
{
    return asgml_v1_warm(sc->tau[m], t, sc->warmup);
}

void asgml_v1_sched_before_backward(const asgml_v1_sched *sc, asgml_step *s)
{
    if (sc->grad_uni) s->separate_terms = 1;
}

/* g_m of the step: ||encoder-m grad of the whole loss|| (total; the loop
 * computes it for every encoder, a skipped one included, as the reference
 * code's compute_gradient_norms does) or of CE(u_m) alone,
 * ||term_grads[1+m] on encoder m|| / uni_weight[m] (unimodal).  Where
 * CE(u_m) had weight 0 this step (asgml-freq skipped m) the unimodal
 * gradient does not exist: g_m = NaN, which asgml_v1_signals_update
 * excludes (gbar_m is held) instead of averaging a 0 into G_m. */
static asgml_status grad_signal(asgml_v1_sched *sc, asgml_step *s, double *g)
{
    char key[96];
    for (int m = 0; m < sc->n; m++) {
        int64_t off, cnt;
        double ss = 0.0;
        g[m] = s->grad_norm_pre[m];
        if (!sc->grad_uni) continue;
        if (!s->separate_terms || !s->term_grads[1 + m])
            return asgml_error(ASGML_EINVAL, "asgml.grad-signal unimodal: the loop gave no "
                               "separate term gradients");
        asgml_model_group_span(s->model, m, &off, &cnt);
        if (s->uni_weight[m] != 0.0f && cnt > 0)
            CK(s->be->ops->sumsq(s->be, cnt, s->term_grads[1 + m] + off, &ss));
        g[m] = s->uni_weight[m] != 0.0f ? sqrt(ss) / fabs((double)s->uni_weight[m]) : NAN;
        if (!isnan(g[m]))
            asgml_log_num(s->log, asgml_method_key(key, sizeof key, "asgml.g_uni", s, m), g[m]);
    }
    return ASGML_OK;
}

asgml_status asgml_v1_sched_after_step(asgml_v1_sched *sc, asgml_step *s)
{
    char key[96];
    double g[ASGML_MAX_MODALITIES];
    int every = sc->tau_every > 0 ? sc->tau_every : sc->eval_freq;

    /* both cadences count batches inside an epoch (asgml-methods(7), ASGML V1 SCHEDULER, Periods): a period
     * longer than the epoch would never recompute tau, and the method would
     * silently be joint training with unimodal heads */
    if (!sc->tau_unused && (every > s->batches_per_epoch || (sc->source != ASGML_SIGNAL_DUAL &&
                                         sc->eval_freq > s->batches_per_epoch)))
        return asgml_error(ASGML_EINVAL,
                           "asgml.eval-freq (%d) or asgml.tau-every exceeds the %d batches of an "
                           "epoch: tau would never be recomputed; set asgml.eval-freq <= %d",
                           sc->eval_freq, s->batches_per_epoch, s->batches_per_epoch);

    CK(grad_signal(sc, s, g));
    asgml_v1_signals_update(&sc->sig, g, s->ce_uni);
    for (int m = 0; m < sc->n; m++)
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "asgml.gbar", s, m),
                      sc->sig.gbar[m]);

    if (sc->source != ASGML_SIGNAL_DUAL && (s->batch + 1) % sc->eval_freq == 0) {
        CK(asgml_probe_set_run(&sc->probes, s, sc->probe_steps));
        double lo = sc->probes.ema[0], hi = lo;
        for (int m = 0; m < sc->n; m++) {
            asgml_log_num(s->log, asgml_method_key(key, sizeof key, "asgml.probe.acc", s, m),
                          sc->probes.acc[m]);
            asgml_log_num(s->log, asgml_method_key(key, sizeof key, "asgml.probe.ema", s, m),
                          sc->probes.ema[m]);
            lo = sc->probes.ema[m] < lo ? sc->probes.ema[m] : lo;
            hi = sc->probes.ema[m] > hi ? sc->probes.ema[m] : hi;
        }
        asgml_log_num(s->log, "asgml.probe.gap", hi - lo);
    }
    if ((s->batch + 1) % every != 0)
        return ASGML_OK;

    asgml_v1_score(&sc->sig, sc->beta, sc->S, sc->G, sc->D);
    switch (sc->source) {
    case ASGML_SIGNAL_DUAL:
        asgml_v1_tau_dual(sc->n, sc->S, sc->tau_base, sc->tau_min, sc->tau_max, sc->tau);
        break;
    case ASGML_SIGNAL_PROBE:
        asgml_v1_tau_probe(sc->n, sc->probes.ema, sc->tau_base, sc->tau_min, sc->tau_max,
                           sc->delta, sc->tau);
        break;
    case ASGML_SIGNAL_BOTH:
        asgml_v1_tau_both(sc->n, sc->S, sc->probes.ema, sc->omega, sc->tau_base, sc->tau_min,
                          sc->tau_max, sc->tau);
        break;
    }
    sc->recomputes++;
    for (int m = 0; m < sc->n; m++) {
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "asgml.S", s, m), sc->S[m]);
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "asgml.G", s, m), sc->G[m]);
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "asgml.D", s, m), sc->D[m]);
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "asgml.tau_new", s, m),
                      sc->tau[m]);
    }
    return ASGML_OK;
}

asgml_status asgml_v1_sched_save(asgml_v1_sched *sc, asgml_state_io *io)
{
    double v[4 * ASGML_MAX_MODALITIES + 3];
    double fifo[ASGML_MAX_MODALITIES * ASGML_V1_MAX_WINDOW];
    int n = sc->n;

    for (int m = 0; m < n; m++) {
        v[m] = sc->tau[m];
        v[n + m] = sc->S[m];
        v[2 * n + m] = sc->G[m];
        v[3 * n + m] = sc->D[m];
        for (int i = 0; i < sc->window; i++)
            fifo[m * sc->window + i] = sc->sig.fifo[m][i];
    }
    v[4 * n] = (double)sc->sig.fifo_len;
    v[4 * n + 1] = (double)sc->sig.tracked;
    v[4 * n + 2] = (double)sc->recomputes;
    CK(asgml_state_put(io, "asgml.sched", v, 4 * n + 3));
    CK(asgml_state_put(io, "asgml.gbar", sc->sig.gbar, n));
    CK(asgml_state_put(io, "asgml.fifo", fifo, (int64_t)n * sc->window));
    if (sc->source != ASGML_SIGNAL_DUAL)
        CK(asgml_probe_set_save(&sc->probes, io, "asgml"));
    return ASGML_OK;
}

asgml_status asgml_v1_sched_load(asgml_v1_sched *sc, asgml_state_io *io)
{
    double v[4 * ASGML_MAX_MODALITIES + 3];
    double fifo[ASGML_MAX_MODALITIES * ASGML_V1_MAX_WINDOW];
    int n = sc->n;

    CK(asgml_state_get(io, "asgml.sched", v, 4 * n + 3));
    CK(asgml_state_get(io, "asgml.gbar", sc->sig.gbar, n));
    CK(asgml_state_get(io, "asgml.fifo", fifo, (int64_t)n * sc->window));
    for (int m = 0; m < n; m++) {
        sc->tau[m] = v[m];
        sc->S[m] = v[n + m];
        sc->G[m] = v[2 * n + m];
        sc->D[m] = v[3 * n + m];
        for (int i = 0; i < sc->window; i++)
            sc->sig.fifo[m][i] = fifo[m * sc->window + i];
    }
    sc->sig.fifo_len = (int)v[4 * n];
    sc->sig.tracked = (int64_t)v[4 * n + 1];
    sc->recomputes = (int64_t)v[4 * n + 2];
    if (sc->sig.fifo_len < 0 || sc->sig.fifo_len > sc->window)
        return asgml_error(ASGML_EFORMAT, "asgml.sched: loss FIFO length %d outside 0..%d",
                           sc->sig.fifo_len, sc->window);
    if (sc->source != ASGML_SIGNAL_DUAL)
        CK(asgml_probe_set_load(&sc->probes, io, "asgml"));
    return ASGML_OK;
}
