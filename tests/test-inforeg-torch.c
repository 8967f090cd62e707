/* SPDX-License-Identifier: MIT */
/* test-inforeg-torch.c - the inforeg method (asgml-methods(7), INFOREG)
 * against PyTorch: tests/fixtures/methods/inforeg.h5
 * (tests/fixtures/make_inforeg_fixtures.py) holds a reduced two-modality
 * model (MLP encoders, concat head; split logits for "paper", unimodal
 * heads for "asgml-ref"), its batches, and per step the scores, gaps,
 * strengths, anchor distances, PLW flags and parameters after the step, per
 * epoch the Fisher traces and PLW rates, over 5 epochs of 3 SGD steps.  The
 * same epochs run here through the method's hooks: H5 epoch_begin (anchor,
 * PLW), loss + backward, H2 modulate, optimiser step, H4 after_step, H5
 * epoch_end.  Then the PLW's edge cases (asgml_inforeg_plw), the gaps
 * (ties, N = 3), the epochs without a window, and configuration errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "asgml/backend.h"
#include "asgml/config.h"
#include "asgml/method.h"
#include "asgml/model.h"
#include "asgml/optim.h"
#include "asgml/state.h"
#include "h5fixture.h"
#include "methods/method_inforeg.h"
#include "tap.h"

static hid_t fix = -1;

static double read_attr(const char *obj, const char *name)
{
    double v = 0;
    hid_t a = H5Aopen_by_name(fix, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0 || H5Aread(a, H5T_NATIVE_DOUBLE, &v) < 0) {
        printf("Bail out! attribute %s of %s\n", name, obj);
        exit(1);
    }
    H5Aclose(a);
    return v;
}

static void check(asgml_status st, const char *what)
{
    if (st != ASGML_OK) {
        printf("Bail out! %s: %s\n", what, asgml_last_error());
        exit(1);
    }
}

/* relative error with an absolute floor (gaps and strengths may be 0) */
static double rel1(double a, double b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b) ? 0.0 : INFINITY;
    return fabs(a - b) / (fabs(b) > 1e-3 ? fabs(b) : 1e-3);
}

enum { B = 6, C = 5, D = 8 };
static const char *names[2] = { "audio", "visual" };
static asgml_backend *be;
static asgml_model_config mc;

static asgml_model *make_model(asgml_uni_kind uni)
{
    asgml_model *model;
    asgml_model_config_defaults(&mc);
    mc.num_modalities = 2;
    int in[2] = { 12, 10 };
    for (int m = 0; m < 2; m++) {
        snprintf(mc.enc[m].name, sizeof mc.enc[m].name, "%s", names[m]);
        mc.enc[m].kind = ASGML_ENC_MLP;
        mc.enc[m].in_dim = in[m];
        mc.enc[m].hidden = 16;
    }
    mc.feature_dim = D;
    mc.num_classes = C;
    mc.fusion = ASGML_FUSION_CONCAT;
    mc.uni = uni;
    mc.max_batch = B;
    check(asgml_model_create(be, &mc, &model), "model");
    return model;
}

static void load_params(asgml_model *model, const char *group)
{
    int nviews;
    char path[256];
    const asgml_param_view *views = asgml_model_param_views(model, &nviews);
    float *params = asgml_model_params(model);
    for (int v = 0; v < nviews; v++) {
        size_t n;
        snprintf(path, sizeof path, "%s/%s", group, views[v].name);
        float *p = h5fix_need(fix, path, H5T_NATIVE_FLOAT, &n);
        if ((int64_t)n != views[v].numel) {
            printf("Bail out! %s: %zu values, model has %lld\n", path, n,
                   (long long)views[v].numel);
            exit(1);
        }
        memcpy(params + views[v].offset, p, n * sizeof(float));
        free(p);
    }
}

static void step_init(asgml_step *s, asgml_model *model, const int32_t *labels, int epoch,
                      float uw)
{
    memset(s, 0, sizeof *s);
    s->be = be;
    s->model = model;
    s->num_modalities = 2;
    s->num_classes = C;
    s->modality_names[0] = names[0];
    s->modality_names[1] = names[1];
    s->epoch = epoch;
    s->num_epochs = 100;
    s->batch_size = B;
    s->labels = labels;
    s->labels_dev = labels;
    s->encoder_active[0] = s->encoder_active[1] = 1;
    s->uni_weight[0] = s->uni_weight[1] = uw;
    s->fused_weight = 1.0f;
    s->log = asgml_log_record_create();
}

/* forward, loss = CE(z) + sum_m uni_weight[m] CE(u_m), backward, and the
 * loop's pre-H2 norms */
static void forward_backward(asgml_step *s, float *const *x, const int32_t *labels)
{
    static float dl[B * C], du[2][B * C];
    const float *duni[2] = { du[0], du[1] };
    double sum;
    check(asgml_model_zero_grad(s->model), "zero grad");
    check(asgml_model_forward(s->model, (const float *const *)x, B, 1, NULL), "forward");
    memset(dl, 0, sizeof dl);
    memset(du, 0, sizeof du);
    check(be->ops->softmax_ce(be, B, C, asgml_model_logits(s->model), labels, 1.0f / B, NULL,
                              NULL, dl, &sum), "softmax_ce z");
    for (int m = 0; m < 2; m++)
        check(be->ops->softmax_ce(be, B, C, asgml_model_unimodal_logits(s->model, m), labels,
                                  s->uni_weight[m] / B, NULL, NULL, du[m], &sum), "softmax_ce u");
    check(asgml_model_backward(s->model, dl, duni, NULL), "backward");
    for (int m = 0; m < 2; m++) {
        int64_t off, cnt;
        double ss = 0.0;
        asgml_model_group_span(s->model, m, &off, &cnt);
        check(be->ops->sumsq(be, cnt, asgml_model_grads(s->model) + off, &ss), "sumsq");
        s->grad_norm_pre[m] = sqrt(ss);
    }
}

static double get(asgml_log_record *r, const char *sig, int m, int *have)
{
    char key[64];
    double v = NAN;
    snprintf(key, sizeof key, "inforeg.%s.%s", sig, names[m]);
    *have &= asgml_log_record_get(r, key, &v) == 0;
    return v;
}

static double run_variant(const char *variant, double *worst_sig, int *nreg)
{
    char path[256];
    int ref = strcmp(variant, "asgml-ref") == 0;
    asgml_model *model = make_model(ref ? ASGML_UNI_HEADS : ASGML_UNI_SPLIT);
    asgml_optim *opt;
    asgml_optim_config oc;
    asgml_config *cfg;
    void *state;
    const asgml_method_ops *ops = asgml_method_find("inforeg");
    double worst = 0.0;
    int nviews;
    const asgml_param_view *views = asgml_model_param_views(model, &nviews);

    snprintf(path, sizeof path, "/%s/params0", variant);
    load_params(model, path);
    asgml_optim_config_defaults(&oc);
    oc.lr = 0.1;
    oc.momentum = 0.9;
    oc.weight_decay = 1e-4;
    check(asgml_optim_create(model, &oc, &opt), "optim");
    check(asgml_config_create(&cfg), "config");
    snprintf(path, sizeof path, "/%s", variant);
    int epochs = (int)read_attr(path, "epochs"), spe = (int)read_attr(path, "spe");
    char val[40];
    snprintf(val, sizeof val, "%.17g", read_attr(path, "beta"));
    check(asgml_config_set(cfg, "inforeg.beta", val, "test"), "config set");
    snprintf(val, sizeof val, "%.17g", read_attr(path, "K"));
    check(asgml_config_set(cfg, "inforeg.K", val, "test"), "config set");
    check(asgml_config_set(cfg, "inforeg.variant", variant, "test"), "config set");
    check(ops->create(cfg, &mc, &state), "inforeg create");
    *worst_sig = 0.0;
    *nreg = 0;
    for (int e = 0; e < epochs; e++) {
        asgml_step es;
        step_init(&es, model, NULL, e, ref ? 1.0f : 0.0f);
        check(ops->epoch_begin(state, &es), "epoch_begin");
        asgml_log_record_free(es.log);
        for (int b = 0; b < spe; b++) {
            int k = e * spe + b;
            float *x[2];
            asgml_step s;
            snprintf(path, sizeof path, "/%s/batch%d/audio", variant, k);
            x[0] = h5fix_need(fix, path, H5T_NATIVE_FLOAT, NULL);
            snprintf(path, sizeof path, "/%s/batch%d/visual", variant, k);
            x[1] = h5fix_need(fix, path, H5T_NATIVE_FLOAT, NULL);
            snprintf(path, sizeof path, "/%s/batch%d/labels", variant, k);
            int32_t *labels = h5fix_need(fix, path, H5T_NATIVE_INT32, NULL);
            step_init(&s, model, labels, e, ref ? 1.0f : 0.0f);
            s.batch = b;
            s.step = k;
            forward_backward(&s, x, labels);
            check(ops->modulate(state, &s), "modulate");
            check(asgml_optim_step(opt, NULL), "optim step");
            check(ops->after_step(state, &s), "after_step");

            const char *sig[4] = { "s", "delta", "alpha", "dist" };
            double sworst = 0.0;
            int have = 1, plw_ok = 1;
            for (int j = 0; j < 4; j++) {
                snprintf(path, sizeof path, "/%s/step%d/%s", variant, k, sig[j]);
                double *rv = h5fix_need(fix, path, H5T_NATIVE_DOUBLE, NULL);
                for (int m = 0; m < 2; m++) {
                    double got = get(s.log, sig[j], m, &have), er = rel1(got, rv[m]);
                    sworst = er > sworst ? er : sworst;
                    if (j == 2 && rv[m] > 0)
                        (*nreg)++;
                    if (j == 2)   /* regulated exactly where torch regulated */
                        plw_ok &= (got > 0) == (rv[m] > 0);
                }
                free(rv);
            }
            snprintf(path, sizeof path, "/%s/step%d/plw", variant, k);
            int32_t *pr = h5fix_need(fix, path, H5T_NATIVE_INT32, NULL);
            for (int m = 0; m < 2; m++)
                plw_ok &= get(s.log, "plw", m, &have) == pr[m];
            free(pr);
            ok(have && plw_ok && sworst < 1e-4,
               "%s epoch %d step %d: s, Delta, alpha, dist, PLW vs torch, worst rel err %.2e",
               variant, e, k, sworst);
            *worst_sig = sworst > *worst_sig ? sworst : *worst_sig;

            double pworst = 0.0;
            float *params = asgml_model_params(model);
            for (int v = 0; v < nviews; v++) {
                snprintf(path, sizeof path, "/%s/step%d/params/%s", variant, k, views[v].name);
                float *rp = h5fix_need(fix, path, H5T_NATIVE_FLOAT, NULL);
                double er = h5fix_rel_err(params + views[v].offset, rp, (size_t)views[v].numel);
                pworst = er > pworst ? er : pworst;
                free(rp);
            }
            ok(pworst < 1e-5, "%s step %d: parameters after the step vs torch, worst rel err "
               "%.2e", variant, k, pworst);
            worst = pworst > worst ? pworst : worst;
            asgml_log_record_free(s.log);
            free(x[0]);
            free(x[1]);
            free(labels);
        }
        step_init(&es, model, NULL, e, 0.0f);
        check(ops->epoch_end(state, &es), "epoch_end");
        double tworst = 0.0;
        int have = 1, plw_ok = 1;
        const char *sig[2] = { "trace", "rate" };
        for (int j = 0; j < 2; j++) {
            snprintf(path, sizeof path, "/%s/epoch%d/%s", variant, e, sig[j]);
            double *rv = h5fix_need(fix, path, H5T_NATIVE_DOUBLE, NULL);
            for (int m = 0; m < 2; m++) {
                double er = rel1(get(es.log, sig[j], m, &have), rv[m]);
                tworst = er > tworst ? er : tworst;
            }
            free(rv);
        }
        snprintf(path, sizeof path, "/%s/epoch%d/plw", variant, e);
        int32_t *pr = h5fix_need(fix, path, H5T_NATIVE_INT32, NULL);
        for (int m = 0; m < 2; m++)
            plw_ok &= get(es.log, "plw", m, &have) == pr[m];
        free(pr);
        ok(have && plw_ok && tworst < 1e-4, "%s epoch %d: Fisher traces, PLW rates and flags "
           "vs torch, worst rel err %.2e", variant, e, tworst);
        *worst_sig = tworst > *worst_sig ? tworst : *worst_sig;
        asgml_log_record_free(es.log);
    }
    ops->destroy(state);
    asgml_config_free(cfg);
    asgml_optim_free(opt);
    asgml_model_free(model);
    return worst;
}

/* PLW test and gaps on their own */
static void edge_cases(void)
{
    double r = 0.0, d[3];
    ok(!asgml_inforeg_plw(0.0, 1.0, -100.0, &r) && isnan(r),
       "PLW: Tr(e-1) = 0 -> no window (rate undefined), whatever K");
    ok(!asgml_inforeg_plw(1e-10, 0.0, -100.0, &r) && isnan(r),
       "PLW: Tr(e-1) = 1e-10 (the guard itself) -> no window");
    int w = asgml_inforeg_plw(2e-10, 1e-10, 0.04, &r);
    ok(w && fabs(r - 0.5) < 1e-12, "PLW: Tr(e-1) just above the guard is tested (rate %.3f)", r);
    ok(!asgml_inforeg_plw(1.0, 0.75, 0.25, &r) && r == 0.25,
       "PLW: rate == K is not a window (strict >)");
    ok(asgml_inforeg_plw(1.0, 0.7499, 0.25, &r), "PLW: rate just above K is a window");
    ok(!asgml_inforeg_plw(1.0, 2.0, 0.04, &r) && r == -1.0 && asgml_inforeg_plw(1.0, 2.0, -1.5, &r),
       "PLW: a shrinking trace gives a negative rate (window only for K below it)");
    ok(asgml_inforeg_plw(1.0, 0.0, 0.04, &r) && r == 1.0, "PLW: Tr(e-2) = 0 -> rate 1");

    double s2[2] = { 1.0, 1.0 };
    ok(asgml_inforeg_gaps(ASGML_INFOREG_PAPER, 2, s2, d) == 0 && d[0] == 0.0 && d[1] == 0.0,
       "gaps: equal scores -> Delta 0 for both (no regulation)");
    ok(asgml_inforeg_gaps(ASGML_INFOREG_ASGML_REF, 2, s2, d) == 0 && d[0] == 0.0 && d[1] == 0.0,
       "gaps asgml-ref: equal scores -> first modality, Delta 0");
    double s3[3] = { 2.0, 1.0, 0.5 };
    asgml_inforeg_gaps(ASGML_INFOREG_PAPER, 3, s3, d);
    ok(d[0] == 0.0 && d[1] == 1.0 && d[2] == 0.5 * (1.5 + 0.5),
       "gaps N = 3: weakest 0, middle 1 (one worse), best mean of both (%.3f %.3f %.3f)",
       d[0], d[1], d[2]);
    int dom = asgml_inforeg_gaps(ASGML_INFOREG_ASGML_REF, 3, s3, d);
    ok(dom == 2 && d[0] == 0.0 && d[1] == 0.0 && d[2] == 1.5 - 0.5,
       "gaps asgml-ref N = 3: only the best, Delta = mean of the others - s_min");
    ok(fabs(asgml_inforeg_alpha(ASGML_INFOREG_PAPER, 0.9, 0.0) - 1.0) < 1e-15 &&
       fabs(asgml_inforeg_alpha(ASGML_INFOREG_PAPER, 0.9, 50.0) - exp(0.9)) < 1e-12 &&
       asgml_inforeg_alpha(ASGML_INFOREG_ASGML_REF, 0.9, 2.0) == 1.8,
       "alpha: paper exp(beta tanh Delta) in [1, e^beta); asgml-ref beta Delta");
}

/* Through the hooks: a saved history with a rising trace puts the first
 * modality in its window at epoch 2 only when epochs e-1 and e-2 are the
 * two recorded ones; epochs 0 and 1 never have a window (paper). */
static void window_epochs(void)
{
    asgml_model *model = make_model(ASGML_UNI_SPLIT);
    const asgml_method_ops *ops = asgml_method_find("inforeg");
    asgml_config *cfg;
    asgml_state_io *io = asgml_state_io_create(be);
    void *state;
    /* hist_e 1, 0; traces (audio, visual) at e-1: 2, 1; at e-2: 1, 1 */
    double h[6] = { 1, 0, 2.0, 1.0, 1.0, 1.0 }, a[5] = { 0, 0, 0, 0, 0 };
    int flags[4][2];
    int epochs[4] = { 0, 1, 2, 3 };

    load_params(model, "/paper/params0");
    check(asgml_config_create(&cfg), "config");
    check(ops->create(cfg, &mc, &state), "create");
    check(asgml_state_put(io, "inforeg.hist", h, 6), "put");
    check(asgml_state_put(io, "inforeg.acc", a, 5), "put");
    for (int i = 0; i < 4; i++) {
        asgml_step s;
        int have = 1;
        check(ops->load(state, io), "load");
        step_init(&s, model, NULL, epochs[i], 0.0f);
        check(ops->epoch_begin(state, &s), "epoch_begin");
        asgml_log_record_free(s.log);
        float *x[2];
        x[0] = h5fix_need(fix, "/paper/batch0/audio", H5T_NATIVE_FLOAT, NULL);
        x[1] = h5fix_need(fix, "/paper/batch0/visual", H5T_NATIVE_FLOAT, NULL);
        int32_t *labels = h5fix_need(fix, "/paper/batch0/labels", H5T_NATIVE_INT32, NULL);
        step_init(&s, model, labels, epochs[i], 0.0f);
        forward_backward(&s, x, labels);
        check(ops->modulate(state, &s), "modulate");
        for (int m = 0; m < 2; m++)
            flags[i][m] = (int)get(s.log, "plw", m, &have);
        asgml_log_record_free(s.log);
        free(x[0]);
        free(x[1]);
        free(labels);
    }
    ok(!flags[0][0] && !flags[1][0] && !flags[0][1] && !flags[1][1],
       "epochs 0 and 1: no window even with a rising trace on record");
    ok(flags[2][0] && !flags[2][1], "epoch 2 after traces of epochs 1, 0 (audio rate 0.5 > K, "
       "visual 0): audio in its window, visual not");
    ok(!flags[3][0] && !flags[3][1], "epoch 3 with traces of epochs 1, 0 only: no window");
    ops->destroy(state);

    /* modulate before any epoch_begin is an error, not a silent no-op */
    asgml_step s;
    check(ops->create(cfg, &mc, &state), "create");
    step_init(&s, model, NULL, 0, 0.0f);
    ok(ops->modulate(state, &s) == ASGML_EINVAL, "modulate without epoch_begin is refused");
    asgml_log_record_free(s.log);
    ops->destroy(state);
    asgml_config_free(cfg);
    asgml_state_io_free(io);
    asgml_model_free(model);
}

static void config_errors(void)
{
    const char *bad[4][2] = { { "inforeg.variant", "bogus" }, { "inforeg.beta", "-0.5" },
                              { "inforeg.K", "nan" }, { "inforeg.variant", "asgml-ref" } };
    asgml_model *model = make_model(ASGML_UNI_SPLIT);
    for (int i = 0; i < 4; i++) {
        asgml_config *cfg;
        void *state = NULL;
        check(asgml_config_create(&cfg), "config");
        check(asgml_config_set(cfg, bad[i][0], bad[i][1], "test"), "config set");
        asgml_status st = asgml_method_find("inforeg")->create(cfg, &mc, &state);
        ok(st == ASGML_EINVAL && !state && strstr(asgml_last_error(), bad[i][0]),
           "%s=%s is rejected naming the key%s", bad[i][0], bad[i][1],
           i == 3 ? " (asgml-ref with split logits: needs model.uni=heads)" : "");
        asgml_config_free(cfg);
    }
    asgml_model_free(model);
}

int main(void)
{
    const char *top = getenv("top_srcdir");
    char path[1024];
    double wsig_p, wsig_r;
    int nreg_p, nreg_r;

    snprintf(path, sizeof path, "%s/tests/fixtures/methods/inforeg.h5", top ? top : ".");
    fix = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (fix < 0) {
        printf("Bail out! cannot open %s\n", path);
        return 1;
    }
    int ep = (int)read_attr("/paper", "epochs"), spe = (int)read_attr("/paper", "spe");
    tap_plan(2 * (2 * ep * spe + ep) + 2 + 12 + 4 + 4);
    asgml_backend_options bo = { 1, 1, -1, 0 };
    check(asgml_backend_create("cpu", &bo, &be), "cpu backend");

    double wp = run_variant("paper", &wsig_p, &nreg_p);
    double wr = run_variant("asgml-ref", &wsig_r, &nreg_r);
    printf("# worst relative error: parameters paper %.3e asgml-ref %.3e; signals paper %.3e "
           "asgml-ref %.3e\n", wp, wr, wsig_p, wsig_r);
    ok(nreg_p >= 3, "paper: the fixture regulates in %d steps (>= 3)", nreg_p);
    ok(nreg_r >= 3, "asgml-ref: the fixture regulates in %d steps (>= 3)", nreg_r);
    edge_cases();
    window_epochs();
    config_errors();
    asgml_backend_destroy(be);
    H5Fclose(fix);
    return tap_done();
}
