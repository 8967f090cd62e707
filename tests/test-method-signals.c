/* SPDX-License-Identifier: MIT */
/* test-method-signals.c - every ASGML / OGM-GE / boost signal against the
 * hand-computed cases of asgml-methods(7) (OGM-GE to ASGML-BOOST) and the design
 * documents ([D1] 5.3, [D2] 3.2), plus the stale ring buffer and the
 * frequency masks driven through the methods on a tiny MLP model. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgml/backend.h"
#include "asgml/config.h"
#include "asgml/method.h"
#include "asgml/model.h"
#include "methods/method_asgml_boost.h"
#include "methods/method_asgml_freq.h"
#include "methods/method_asgml_stale.h"
#include "methods/method_ogm_ge.h"
#include "methods/signals.h"
#include "tap.h"

static int near(double a, double b, double tol) { return fabs(a - b) <= tol; }

static void test_tau(void)
{
    double S1[2] = { 1.3, 0.7 }, S2[2] = { 1.2, 0.8 }, tau[2];
    int hat[2];

    asgml_v1_tau_dual(2, S1, 2.0, 1.0, 8.0, tau);
    ok(near(tau[0], 2.6, 1e-12) && near(tau[1], 1.4, 1e-12), "S (1.3, 0.7) -> tau (%.2f, %.2f)",
       tau[0], tau[1]);
    asgml_v1_tau_hat(2, tau, 3.0, hat);
    ok(hat[0] == 3 && hat[1] == 1, "tau (2.6, 1.4) -> tau_hat (%d, %d), expected (3, 1)", hat[0],
       hat[1]);
    asgml_v1_tau_dual(2, S2, 2.0, 1.0, 8.0, tau);
    asgml_v1_tau_hat(2, tau, 3.0, hat);
    ok(hat[0] == 2 && hat[1] == 2, "S (1.2, 0.8) -> tau_hat (%d, %d), expected (2, 2)", hat[0],
       hat[1]);
    double big[2] = { 7.0, 0.2 };
    asgml_v1_tau_dual(2, big, 2.0, 1.0, 8.0, tau);
    ok(tau[0] == 8.0 && tau[1] == 1.0, "clamp to [tau_min, tau_max]: (%.1f, %.1f)", tau[0], tau[1]);
    ok(asgml_v1_round_he(2.5) == 2 && asgml_v1_round_he(3.5) == 4 && asgml_v1_round_he(1.5) == 2,
       "round_he: 2.5 -> 2, 3.5 -> 4, 1.5 -> 2");

    /* [D1] 5.3: N = 5, kappa = 3, slowest tau = 1 -> all capped at 3 */
    int v5[5] = { 1, 5, 8, 3, 2 };
    asgml_v1_kappa_bound(5, v5, 3.0);
    ok(v5[0] == 1 && v5[1] == 3 && v5[2] == 3 && v5[3] == 3 && v5[4] == 2,
       "kappa 3, N 5: (1,5,8,3,2) -> (%d,%d,%d,%d,%d)", v5[0], v5[1], v5[2], v5[3], v5[4]);
    int v2[3] = { 2, 7, 4 };
    asgml_v1_kappa_bound(3, v2, 2.5);
    ok(v2[0] == 2 && v2[1] == 5 && v2[2] == 4, "kappa 2.5, min 2: cap floor(5) -> (%d,%d,%d)",
       v2[0], v2[1], v2[2]);
    int v3[2] = { 1, 9 }, v4[2] = { 1, 9 };
    asgml_v1_kappa_bound(2, v3, 0.0);
    asgml_v1_kappa_bound(2, v4, INFINITY);
    ok(v3[1] == 9 && v4[1] == 9, "kappa <= 0 and kappa = inf disable the bound");
    int v0[2] = { 0, 6 };
    asgml_v1_kappa_bound(2, v0, 3.0);
    ok(v0[1] == 3, "kappa bound uses max(v_j, 1): (0, 6) -> (0, %d)", v0[1]);

    ok(near(asgml_v1_warm(3.0, 50, 100), 2.0, 1e-12) && asgml_v1_warm(3.0, 500, 100) == 3.0 &&
       asgml_v1_warm(3.0, 0, 100) == 1.0 && asgml_v1_warm(3.0, 7, 0) == 3.0,
       "warm-up ramp 1 + (tau - 1) min(1, t/W)");

    double a_gap[2] = { 0.60, 0.55 }, a_wide[2] = { 0.8, 0.4 };
    asgml_v1_tau_probe(2, a_gap, 2.0, 1.0, 8.0, 0.1, tau);
    ok(tau[0] == 1.0 && tau[1] == 1.0, "probe source: gap 0.05 < delta 0.1 -> tau_min");
    asgml_v1_tau_probe(2, a_wide, 2.0, 1.0, 8.0, 0.1, tau);
    ok(near(tau[0], 2.0 * 0.8 / 0.6, 1e-12) && near(tau[1], 2.0 * 0.4 / 0.6, 1e-12),
       "probe source: tau = clamp(2 a / mean a) = (%.4f, %.4f)", tau[0], tau[1]);
    double Sb[2] = { 1.5, 0.5 };
    asgml_v1_tau_both(2, Sb, a_wide, 0.5, 2.0, 1.0, 8.0, tau);
    ok(near(tau[0], 2.5, 1e-12) && tau[1] == 1.0,
       "both: c = 0.5 S + 0.5 a / max a = (1.25, 0.5) -> tau (%.3f, %.3f)", tau[0], tau[1]);
}

static void test_score(void)
{
    asgml_v1_signals sg;
    double S[2], G[2], D[2];
    double g[2] = { 2.0, 1.0 }, ce1[2] = { 1.0, 2.0 }, ce2[2] = { 0.5, 1.9 };

    asgml_v1_signals_init(&sg, 2, 10);
    asgml_v1_score(&sg, 0.5, S, G, D);
    ok(S[0] == 1.0 && S[1] == 1.0, "no history: S = 1");
    asgml_v1_signals_update(&sg, g, ce1);
    asgml_v1_score(&sg, 0.5, S, G, D);
    ok(S[0] == 1.0 && S[1] == 1.0, "one tracked step: S = 1");
    asgml_v1_signals_update(&sg, g, ce2);
    ok(near(sg.gbar[0], 0.38, 1e-12) && near(sg.gbar[1], 0.19, 1e-12),
       "g EMA 0.1 g + 0.9 gbar: (%.4f, %.4f), expected (0.38, 0.19)", sg.gbar[0], sg.gbar[1]);
    asgml_v1_score(&sg, 0.5, S, G, D);
    /* G = 0.38/0.285, 0.19/0.285; d = (0.5, 0.1) -> D = (5/3, 1/3) */
    ok(near(G[0], 4.0 / 3, 1e-12) && near(G[1], 2.0 / 3, 1e-12) && near(D[0], 5.0 / 3, 1e-12) &&
       near(D[1], 1.0 / 3, 1e-12), "G (%.4f, %.4f), D (%.4f, %.4f)", G[0], G[1], D[0], D[1]);
    ok(near(S[0], 1.5, 1e-12) && near(S[1], 0.5, 1e-12), "S = 0.5 G + 0.5 D = (%.4f, %.4f)", S[0],
       S[1]);
    /* rising loss counts as activity (absolute descent) */
    asgml_v1_signals_init(&sg, 2, 3);
    double up[4][2] = { { 1.0, 1.0 }, { 1.2, 1.0 }, { 9.0, 9.0 }, { 1.5, 0.9 } };
    for (int i = 0; i < 4; i++)
        asgml_v1_signals_update(&sg, g, up[i]);
    ok(sg.fifo_len == 3 && sg.fifo[0][0] == 1.2 && sg.fifo[0][2] == 1.5,
       "FIFO of k = 3 keeps the last 3 values, oldest first");
    asgml_v1_score(&sg, 0.0, S, NULL, D);
    ok(near(D[0], 0.3 / 0.2, 1e-12) && near(D[1], 0.1 / 0.2, 1e-12),
       "|oldest - newest| descent: D (%.3f, %.3f)", D[0], D[1]);
    double zero[2] = { 0.0, 0.0 };
    asgml_v1_signals_init(&sg, 2, 10);
    asgml_v1_signals_update(&sg, zero, ce1);
    asgml_v1_signals_update(&sg, zero, ce1);
    asgml_v1_score(&sg, 0.5, S, G, D);
    ok(G[0] == 1.0 && D[1] == 1.0, "means below 1e-8 give G = D = 1");
}

static void test_masks_comp(void)
{
    const int want3[9] = { 1, 0, 0, 1, 0, 0, 1, 0, 0 };
    int ok3 = 1, ok1 = 1, ok2 = 1;
    for (int t = 0; t < 9; t++) {
        ok3 &= asgml_v1_update_mask(t, 3) == want3[t];
        ok1 &= asgml_v1_update_mask(t, 1) == 1;
        ok2 &= asgml_v1_update_mask(t, 2) == (t % 2 == 0);
    }
    ok(ok3 && ok1, "tau_hat (3, 1): audio updates at t = 0, 3, 6; visual every step");
    ok(ok2, "tau_hat (2, 2): both update only on even t");
    ok(near(asgml_v1_comp_factor(ASGML_COMP_MUL, 0.1, 3, 1), 1.3, 1e-12) &&
       near(asgml_v1_comp_factor(ASGML_COMP_DIV, 0.1, 3, 1), 1.0 / 1.3, 1e-12) &&
       asgml_v1_comp_factor(ASGML_COMP_OFF, 0.1, 3, 1) == 1.0 &&
       asgml_v1_comp_factor(ASGML_COMP_MUL, 0.1, 1, 1) == 1.0 &&
       asgml_v1_comp_factor(ASGML_COMP_MUL, 0.1, 3, 0) == 1.0,
       "compensation: mul 1.3, div 1/1.3, off 1, period 1 -> 1, skipped -> 1");
    ok(asgml_v1_stale_lookback(2, 2, 0) == -1 && asgml_v1_stale_lookback(3, 2, 0) == 2 &&
       asgml_v1_stale_lookback(2, 2, 1) == 1 && asgml_v1_stale_lookback(1, 1, 1) == 0 &&
       asgml_v1_stale_lookback(5, 0, 0) == -1 && asgml_v1_stale_lookback(1, 2, 1) == -1,
       "stale look-back: intended a (needs a+1), ref a-1 (needs a)");
    double tau[2] = { 2.6, 1.4 };
    int age[2];
    asgml_v1_stale_ages(2, tau, 3.0, age);
    ok(age[0] == 2 && age[1] == 0, "stale ages round_he(tau) - 1: (%d, %d)", age[0], age[1]);
}

static void test_ogm(void)
{
    double rho[3], k[3];
    int touched[3];
    double s_tie[2] = { 10.0, 10.0 }, s_above[2] = { 10.0, 10.0 * (1 + 1e-9) };
    double s_a[2] = { 30.0, 20.0 };

    asgml_ogm_coefficients(ASGML_OGM_OFFICIAL, 2, s_above, 0.8, rho, k, touched);
    ok(near(k[1], 0.336, 5e-4) && k[0] == 1.0 && touched[0] && touched[1],
       "rho just above 1, alpha 0.8: k_2 = %.4f (0.336), k_1 = 1, both get noise", k[1]);
    asgml_ogm_coefficients(ASGML_OGM_OFFICIAL, 2, s_tie, 0.8, rho, k, touched);
    ok(near(k[0], 1.0 - tanh(0.8), 1e-12) && k[1] == 1.0,
       "exact tie throttles modality 1: k = (%.4f, %.4f)", k[0], k[1]);
    asgml_ogm_coefficients(ASGML_OGM_OFFICIAL, 2, s_a, 0.8, rho, k, touched);
    ok(near(rho[0], 1.5, 1e-12) && near(rho[1], 2.0 / 3, 1e-12) &&
       near(k[0], 1.0 - tanh(1.2), 1e-12) && k[1] == 1.0,
       "s (30, 20): rho (1.5, 0.667), k_1 = 1 - tanh(1.2) = %.5f", k[0]);
    asgml_ogm_coefficients(ASGML_OGM_ASGML_REF, 2, s_tie, 0.8, rho, k, touched);
    ok(!touched[0] && !touched[1] && k[0] == 1.0 && k[1] == 1.0,
       "asgml-ref: a tie (with 1e-8) throttles nobody, nobody touched");
    asgml_ogm_coefficients(ASGML_OGM_ASGML_REF, 2, s_a, 0.8, rho, k, touched);
    ok(touched[0] && !touched[1] && near(k[0], 1.0 - tanh(0.8 * 30.0 / (20 + 1e-8)), 1e-12),
       "asgml-ref: only the throttled modality is touched");
    asgml_ogm_coefficients(ASGML_OGM_TPAMI, 2, s_a, 0.8, rho, k, touched);
    ok(near(k[0], 1.0 - 0.8 * tanh(0.5), 1e-12) && k[1] == 1.0,
       "tpami: k = 1 - alpha tanh(rho - 1) = %.5f", k[0]);
    double s3[3] = { 3.0, 2.0, 1.0 };
    asgml_ogm_coefficients(ASGML_OGM_OFFICIAL, 3, s3, 0.8, rho, k, touched);
    ok(near(rho[0], 2.25, 1e-12) && near(rho[1], 4.0 / 3, 1e-12) && near(rho[2], 5.0 / 12, 1e-12) &&
       near(k[0], 1.0 - tanh(1.8), 1e-12) && near(k[1], 1.0 - tanh(0.8 * 4.0 / 3), 1e-12) &&
       k[2] == 1.0, "N = 3 extension: rho (%.4f, %.4f, %.4f)", rho[0], rho[1], rho[2]);
    asgml_ogm_coefficients(ASGML_OGM_BMM, 3, s3, 0.8, rho, k, touched);
    ok(near(rho[2], 1.0 / (1.0 + 1e-5), 1e-12) && k[2] == 1.0 &&
       near(k[0], fmax(0.0, 1.0 - tanh(0.8 * 3.0 / (1 + 1e-5))), 1e-12),
       "bmm N = 3: rho = s / (min s + 1e-5)");
}

static void test_boost(void)
{
    double a[2] = { 0.65, 0.35 }, s[2];
    double gap = asgml_boost_target_scales(2, a, 0.5, 2.0, s);
    ok(near(s[0], 1.0, 1e-12) && near(s[1], 1.5, 1e-12) && near(gap, 0.3, 1e-12),
       "[D2] 3.2: a (0.65, 0.35), alpha 0.5 -> s (%.2f, %.2f)", s[0], s[1]);
    asgml_boost_target_scales(2, a, 1.5, 2.0, s);
    ok(near(s[1], 2.0, 1e-12), "s_max caps 1 + 1.5 at 2.0");
    double eq[2] = { 0.5, 0.5 + 1e-9 };
    asgml_boost_target_scales(2, eq, 0.5, 2.0, s);
    ok(s[0] == 1.0 && s[1] == 1.0, "gap < 1e-8 -> all scales 1");
    double a3[3] = { 0.9, 0.5, 0.7 }, s3[3];
    asgml_boost_target_scales(3, a3, 0.5, 2.0, s3);
    ok(near(s3[0], 1.0, 1e-12) && near(s3[1], 1.5, 1e-12) && near(s3[2], 1.25, 1e-12),
       "N = 3: (1.0, 1.5, 1.25)");
}

/* ---- methods driven on a tiny MLP model (CPU backend) -------------- */

static asgml_backend *be;

static asgml_model *tiny_model(asgml_model_config *mc)
{
    asgml_model *m = NULL;
    asgml_model_config_defaults(mc);
    mc->num_modalities = 2;
    for (int i = 0; i < 2; i++) {
        snprintf(mc->enc[i].name, sizeof mc->enc[i].name, "%s", i ? "visual" : "audio");
        mc->enc[i].kind = ASGML_ENC_MLP;
        mc->enc[i].in_dim = 4;
        mc->enc[i].hidden = 5;
    }
    mc->feature_dim = 3;
    mc->num_classes = 2;
    mc->uni = ASGML_UNI_HEADS;
    mc->max_batch = 4;
    if (asgml_model_create(be, mc, &m) != ASGML_OK) {
        printf("Bail out! model: %s\n", asgml_last_error());
        exit(1);
    }
    return m;
}

static void step_init(asgml_step *s, asgml_model *model, int64_t t, uint64_t *off)
{
    static const char *names[2] = { "audio", "visual" };
    memset(s, 0, sizeof *s);
    s->be = be;
    s->model = model;
    s->num_modalities = 2;
    s->num_classes = 2;
    s->modality_names[0] = names[0];
    s->modality_names[1] = names[1];
    s->step = t;
    s->batch = (int)t;
    s->batches_per_epoch = 1000;
    s->batch_size = 4;
    s->noise_offset = off;
    s->encoder_active[0] = s->encoder_active[1] = 1;
    s->uni_weight[0] = s->uni_weight[1] = 1.0f;
}

/* fixed staleness 2 on audio: which step's gradient reaches the optimiser */
static void test_stale_ring(const char *index, int expect_back)
{
    asgml_model_config mc;
    asgml_model *model = tiny_model(&mc);
    asgml_config *cfg;
    void *st;
    const asgml_method_ops *ops = asgml_method_find("asgml-stale");
    uint64_t off = 0;
    int64_t aoff, acnt, voff, vcnt;
    int good = 1;
    double factor = 1.0 / (1.0 + 0.1 * 2);

    asgml_config_create(&cfg);
    asgml_config_set(cfg, "asgml-stale.adapt", "fixed", "test");
    asgml_config_set(cfg, "asgml-stale.index", index, "test");
    if (ops->create(cfg, &mc, &st) != ASGML_OK) {
        printf("Bail out! stale create: %s\n", asgml_last_error());
        exit(1);
    }
    asgml_model_group_span(model, 0, &aoff, &acnt);
    asgml_model_group_span(model, 1, &voff, &vcnt);
    float *g = asgml_model_grads(model);    /* cpu: host memory */
    for (int t = 0; t < 8; t++) {
        asgml_step s;
        step_init(&s, model, t, &off);
        s.log = asgml_log_record_create();
        for (int64_t i = 0; i < acnt; i++) g[aoff + i] = (float)(t + 1);
        for (int64_t i = 0; i < vcnt; i++) g[voff + i] = (float)(100 + t);
        ops->before_backward(st, &s);
        ops->modulate(st, &s);
        int back = t >= expect_back ? expect_back : -1;
        float want_a = back >= 0 ? (float)((t - back + 1) * factor) : (float)(t + 1);
        good &= fabsf(g[aoff] - want_a) < 1e-5f && fabsf(g[aoff + acnt - 1] - want_a) < 1e-5f;
        good &= g[voff] == (float)(100 + t);      /* age 0: fresh, unscaled */
        double applied = -1;
        asgml_log_record_get(s.log, "asgml.stale.audio", &applied);
        good &= applied == (back >= 0);
        ops->after_step(st, &s);
        asgml_log_record_free(s.log);
    }
    ok(good, "asgml-stale %s, fixed age 2: audio steps with the gradient of t - %d x 1/1.2, "
       "visual fresh", index, expect_back);
    ops->destroy(st);
    asgml_config_free(cfg);
    asgml_model_free(model);
}

/* freq, fixed ratio 3 on audio: masks, freeze, compensation x 1.3 */
static void test_freq_method(void)
{
    asgml_model_config mc;
    asgml_model *model = tiny_model(&mc);
    asgml_config *cfg;
    void *st;
    const asgml_method_ops *ops = asgml_method_find("asgml-freq");
    uint64_t off = 0;
    int64_t aoff, acnt;
    int good = 1;

    asgml_config_create(&cfg);
    asgml_config_set(cfg, "asgml-freq.adapt", "fixed", "test");
    asgml_config_set(cfg, "asgml-freq.fixed-ratio", "3", "test");
    if (ops->create(cfg, &mc, &st) != ASGML_OK) {
        printf("Bail out! freq create: %s\n", asgml_last_error());
        exit(1);
    }
    asgml_model_group_span(model, 0, &aoff, &acnt);
    float *g = asgml_model_grads(model);
    for (int t = 0; t < 7; t++) {
        asgml_step s;
        step_init(&s, model, t, &off);
        s.log = asgml_log_record_create();
        for (int64_t i = 0; i < acnt; i++) g[aoff + i] = 2.0f;
        ops->before_backward(st, &s);
        int upd = t % 3 == 0;
        /* freeze acts in H2: the backward still reaches the audio encoder
         * (g_m computed, issue 16), H2 zeroes it and marks it inactive */
        good &= s.encoder_active[0] == 1 && s.encoder_active[1] == 1;
        good &= s.uni_weight[0] == (upd ? 1.0f : 0.0f) && s.uni_weight[1] == 1.0f;
        ops->modulate(st, &s);
        good &= s.encoder_active[0] == upd && s.encoder_active[1] == 1;
        good &= fabsf(g[aoff] - (upd ? 2.6f : 0.0f)) < 1e-6f;
        ops->after_step(st, &s);
        asgml_log_record_free(s.log);
    }
    ok(good, "asgml-freq fixed ratio 3: audio frozen in H2 at t mod 3 != 0 (gradient 0, "
       "inactive), x (1 + 0.1 * 3) when it updates, unimodal weight gamma M");
    ops->destroy(st);
    asgml_config_free(cfg);
    asgml_model_free(model);
}

/* boost on the tiny model: probes every 2 batches, EMA of the scales,
 * scaling of the encoder span, checkpoint round trip */
static void test_boost_method(void)
{
    asgml_model_config mc;
    asgml_model *model = tiny_model(&mc);
    asgml_config *cfg;
    void *st, *st2;
    const asgml_method_ops *ops = asgml_method_find("asgml-boost");
    uint64_t off = 0;
    int64_t span_off[2], span_cnt[2];
    float in[2][4 * 4];
    int32_t labels[4] = { 0, 1, 0, 1 };
    int good_scale = 1, good_ema = 1;
    double c_prev[2] = { 1.0, 1.0 };

    asgml_model_init_params(model, 5);
    asgml_config_create(&cfg);
    asgml_config_set(cfg, "asgml-boost.eval-freq", "2", "test");
    asgml_config_set(cfg, "asgml-boost.probe-steps", "20", "test");
    asgml_config_set(cfg, "asgml-boost.probe-lr", "0.1", "test");
    if (ops->create(cfg, &mc, &st) != ASGML_OK || ops->create(cfg, &mc, &st2) != ASGML_OK) {
        printf("Bail out! boost create: %s\n", asgml_last_error());
        exit(1);
    }
    for (int m = 0; m < 2; m++)
        asgml_model_group_span(model, m, &span_off[m], &span_cnt[m]);
    float *g = asgml_model_grads(model);
    for (int t = 0; t < 6; t++) {
        asgml_step s;
        const float *inputs[2] = { in[0], in[1] };
        double c[2] = { -1, -1 }, target[2], ema[2];
        for (int m = 0; m < 2; m++)
            for (int i = 0; i < 16; i++)   /* audio separates the labels, visual is constant */
                in[m][i] = m == 0 ? (float)(labels[i / 4] * 2 - 1) * (1.0f + 0.1f * (float)(i % 4))
                                  : 0.0f;
        step_init(&s, model, t, &off);
        s.labels = labels;
        s.labels_dev = labels;
        s.log = asgml_log_record_create();
        asgml_model_forward(model, inputs, 4, 1, NULL);
        ops->before_backward(st, &s);
        for (int m = 0; m < 2; m++)
            for (int64_t i = 0; i < span_cnt[m]; i++)
                g[span_off[m] + i] = 1.0f;
        ops->modulate(st, &s);
        asgml_log_record_get(s.log, "boost.scale.audio", &c[0]);
        asgml_log_record_get(s.log, "boost.scale.visual", &c[1]);
        for (int m = 0; m < 2; m++)
            good_scale &= fabs(g[span_off[m]] - c[m]) < 1e-6 &&
                          fabs(g[span_off[m] + span_cnt[m] - 1] - c[m]) < 1e-6 &&
                          c[m] == c_prev[m];
        ops->after_step(st, &s);
        if (t % 2 == 1) {
            int have = asgml_log_record_get(s.log, "boost.target.audio", &target[0]) == 0 &&
                       asgml_log_record_get(s.log, "boost.target.visual", &target[1]) == 0 &&
                       asgml_log_record_get(s.log, "boost.ema.audio", &ema[0]) == 0 &&
                       asgml_log_record_get(s.log, "boost.ema.visual", &ema[1]) == 0;
            good_ema &= have;
            for (int m = 0; have && m < 2; m++)
                c_prev[m] = 0.3 * target[m] + 0.7 * c_prev[m];
        }
        asgml_log_record_free(s.log);
    }
    ok(good_scale, "asgml-boost: every encoder gradient x c_m; scales of step t act from t+1");
    /* audio separable, visual constant: targets (1.0, 1.5) at each of the
     * three probe steps -> visual 1 -> 1.15 -> 1.255 -> 1.3285 */
    ok(good_ema && c_prev[0] == 1.0 && fabs(c_prev[1] - 1.3285) < 1e-9,
       "asgml-boost: probes every 2 batches, EMA 1 -> 1.15 -> 1.255 -> 1.3285 (c = %.4f, %.4f)",
       c_prev[0], c_prev[1]);

    /* checkpoint round trip: a fresh state loaded from the saved one logs
     * the same scales */
    asgml_state_io *io = asgml_state_io_create(be);
    asgml_status rs = ops->save(st, io);
    asgml_status rl = rs == ASGML_OK ? ops->load(st2, io) : rs;
    asgml_step s;
    double c1[2] = { 0, 0 }, c2[2] = { 0, 0 };
    step_init(&s, model, 6, &off);
    s.log = asgml_log_record_create();
    ops->modulate(st, &s);
    asgml_log_record_get(s.log, "boost.scale.audio", &c1[0]);
    asgml_log_record_get(s.log, "boost.scale.visual", &c1[1]);
    asgml_log_record_clear(s.log);
    ops->modulate(st2, &s);
    asgml_log_record_get(s.log, "boost.scale.audio", &c2[0]);
    asgml_log_record_get(s.log, "boost.scale.visual", &c2[1]);
    ok(rs == ASGML_OK && rl == ASGML_OK && c1[0] == c2[0] && c1[1] == c2[1] && c1[0] == c_prev[0],
       "asgml-boost: save/load restores the scales (%s)", rl == ASGML_OK ? "ok" : asgml_last_error());
    asgml_log_record_free(s.log);
    asgml_state_io_free(io);
    ops->destroy(st);
    ops->destroy(st2);
    asgml_config_free(cfg);
    asgml_model_free(model);
}

static void test_defaults(void)
{
    asgml_model_config mc;
    asgml_model *model = tiny_model(&mc);
    asgml_config *cfg;
    void *st;
    const char *v;
    double alpha;

    asgml_config_create(&cfg);
    asgml_method_find("asgml-boost")->create(cfg, &mc, &st);
    asgml_config_get_double(cfg, "asgml-boost.alpha", -1.0, &alpha);
    ok(alpha == 0.5, "asgml-boost alone: alpha default 0.5 (%.2f)", alpha);
    asgml_method_find("asgml-boost")->destroy(st);
    asgml_config_free(cfg);

    asgml_config_create(&cfg);
    asgml_config_set(cfg, "method", "asgml-boost+ogm-ge", "test");
    asgml_method_find("asgml-boost")->create(cfg, &mc, &st);
    asgml_config_get_double(cfg, "asgml-boost.alpha", -1.0, &alpha);
    ok(alpha == 0.75, "asgml-boost+ogm-ge: alpha default 0.75 (%.2f)", alpha);
    asgml_method_find("asgml-boost")->destroy(st);
    asgml_method_find("ogm-ge")->create(cfg, &mc, &st);
    asgml_config_get_double(cfg, "ogm-ge.alpha", -1.0, &alpha);
    asgml_config_get_string(cfg, "ogm-ge.variant", "", &v);
    ok(alpha == 0.8 && strcmp(v, "official") == 0, "ogm-ge defaults alpha 0.8, variant official");
    asgml_method_find("ogm-ge")->destroy(st);
    asgml_config_free(cfg);

    asgml_config_create(&cfg);
    asgml_config_set(cfg, "ogm-ge.variant", "nonsense", "test");
    ok(asgml_method_find("ogm-ge")->create(cfg, &mc, &st) == ASGML_EINVAL,
       "unknown ogm-ge.variant is EINVAL");
    asgml_config_free(cfg);
    ok(asgml_method_find("asgml-freq") && asgml_method_find("asgml-stale") &&
       asgml_method_find("baseline") && asgml_method_find("unimodal") &&
       !asgml_method_find("nope") && asgml_method_count() >= 6,
       "registry finds every method of this part, not unknown names");
    asgml_model_free(model);
}

int main(void)
{
    asgml_backend_options bo = { 1, 1, -1, 0 };
    test_tau();
    test_score();
    test_masks_comp();
    test_ogm();
    test_boost();
    if (asgml_backend_create("cpu", &bo, &be) != ASGML_OK) {
        printf("Bail out! cpu backend: %s\n", asgml_last_error());
        return 1;
    }
    test_stale_ring("intended", 2);
    test_stale_ring("ref", 1);
    test_freq_method();
    test_boost_method();
    test_defaults();
    asgml_backend_destroy(be);
    return tap_done();
}
