/* SPDX-License-Identifier: MIT */
/* test-cggm-torch.c - CGGM (asgml-methods(7), CGGM, official variant) against
 * PyTorch: tests/fixtures/methods/cggm.h5 (tests/fixtures/make_cggm_fixtures.py,
 * zrguo/CGGM msatrain.py semantics) gives a reduced two-modality model
 * (MLP encoders, concat head), the classifiers' initial weights and five
 * batches.  Each step runs forward, CE(z) backward, the cggm modulate hook
 * and the SGD step; acc_m, Delta_m, B_m, L_gm, the clip flag and every
 * parameter after the step are compared (fp32 tolerance).  Also: the
 * coefficients when sum Delta ~ 0 are finite, and through the hook: a step
 * whose accuracy changes sum to 0 logs Sigma = 1e-8 and the unbounded but
 * finite B_m, and leaves every gradient finite (spec: "B_m is unbounded
 * when Sigma ~ 0 - log it"). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "asgml/backend.h"
#include "asgml/config.h"
#include "asgml/hooks.h"
#include "asgml/method.h"
#include "asgml/model.h"
#include "asgml/optim.h"
#include "asgml/runlog.h"
#include "methods/method_cggm.h"
#include "h5fixture.h"
#include "tap.h"

static hid_t fx = -1;

static void *rd(const char *path, hid_t type, size_t *n)
{
    void *buf = h5fix_read(fx, NULL, path, type, n);
    if (!buf) {
        printf("Bail out! %s missing from the fixture\n", path);
        exit(1);
    }
    return buf;
}

static double attr_d(const char *obj, const char *name)
{
    double v = 0;
    hid_t a = H5Aopen_by_name(fx, obj, name, H5P_DEFAULT, H5P_DEFAULT);
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

static double rel(double a, double b)
{
    double d = fabs(a - b), s = fabs(b);
    return d / (s > 1e-6 ? s : 1e-6);
}

static void coefficient_cases(void)
{
    /* Delta = (0.25, -0.25): sum Delta + 1e-8 = 1e-8, B unbounded but finite */
    double acc[2] = { 0.5, 0.25 }, prev[2] = { 0.25, 0.5 }, delta[2], b[2];
    int guard = -1;
    double sigma = asgml_cggm_coefficients(2, acc, prev, delta, b, &guard);
    ok(isfinite(b[0]) && isfinite(b[1]) && guard == 0 && fabs(sigma - 1e-8) < 1e-12 &&
       rel(b[0], (1e-8 - 0.25) / 1e-8) < 1e-9,
       "sum Delta ~ 0: Sigma %.3g, B = (%.6g, %.6g) finite", sigma, b[0], b[1]);
    /* Delta sum exactly -1e-8: Sigma = 0 -> guarded, B = 1 */
    double acc2[2] = { 0.0, -1e-8 }, prev2[2] = { 0.0, 0.0 };
    asgml_cggm_coefficients(2, acc2, prev2, delta, b, &guard);
    ok(guard == 1 && b[0] == 1.0 && b[1] == 1.0, "Sigma == 0: guard set, B = 1 (no NaN)");
}

/* Two hook calls with classifiers that predict one fixed class each
 * (W = 0, bias margin 1: Adam at lr 5e-4 cannot flip them in one step):
 * acc = share of that class in the labels.  Batch 1: acc (4/16, 4/16);
 * batch 2: acc (5/16, 3/16), so Delta = (1/16, -1/16) sums to 0. */
static void sigma_zero_logged(asgml_backend *be, asgml_model *model,
                              const asgml_model_config *mc, asgml_step *s, float *const *x,
                              int32_t *labels_dev, float *dlogits)
{
    const asgml_method_ops *ops = asgml_method_find("cggm");
    asgml_config *cfg;
    void *st = NULL;
    int B = s->batch_size, C = mc->num_classes, D = mc->feature_dim;
    int32_t labels[2][64];
    float *w = calloc((size_t)C * (size_t)D, sizeof(float)), bias[2][16] = { { 0 } };
    double b[2] = { NAN, NAN }, sigma = NAN, guard = NAN, fired = NAN, norm = NAN;
    int finite = 1;

    if (B > 64 || C > 16 || C < 3 || !w) {
        printf("Bail out! sigma_zero_logged: B %d, C %d\n", B, C);
        exit(1);
    }
    for (int i = 0; i < B; i++) {
        labels[0][i] = i < 4 ? 0 : i < 8 ? 1 : 2;
        labels[1][i] = i < 5 ? 0 : i < 8 ? 1 : 2;
    }
    bias[0][0] = 1.0f;   /* audio: always class 0 */
    bias[1][1] = 1.0f;   /* visual: always class 1 */
    check(asgml_config_create(&cfg), "config");
    check(ops->create(cfg, mc, &st), "cggm create");
    for (int m = 0; m < 2; m++)
        check(asgml_cggm_set_classifier(st, s, m, w, bias[m]), "set classifier");
    for (int t = 0; t < 2; t++) {
        double loss_sum;
        memcpy(labels_dev, labels[t], (size_t)B * sizeof(int32_t));
        s->labels = labels[t];
        s->labels_dev = labels_dev;
        s->step = t;
        asgml_log_record_clear(s->log);
        memset(dlogits, 0, (size_t)B * (size_t)C * sizeof(float));
        check(asgml_model_zero_grad(model), "zero grad");
        check(asgml_model_forward(model, (const float *const *)x, B, 1, NULL), "forward");
        check(be->ops->softmax_ce(be, B, C, asgml_model_logits(model), labels_dev,
                                  1.0f / (float)B, NULL, NULL, dlogits, &loss_sum), "ce");
        check(asgml_model_backward(model, dlogits, NULL, NULL), "backward");
        check(ops->modulate(st, s), "cggm modulate");
    }
    asgml_log_record_get(s->log, "cggm.B.audio", &b[0]);
    asgml_log_record_get(s->log, "cggm.B.visual", &b[1]);
    asgml_log_record_get(s->log, "cggm.sigma", &sigma);
    asgml_log_record_get(s->log, "cggm.B.guard", &guard);
    asgml_log_record_get(s->log, "cggm.clip.fired", &fired);
    asgml_log_record_get(s->log, "cggm.clip.norm", &norm);
    const float *g = asgml_model_grads(model);   /* cpu: host memory */
    for (int64_t i = 0; i < asgml_model_num_params(model); i++)
        finite &= isfinite(g[i]) != 0;
    /* B_m = (Sigma - Delta_m) / Sigma with Sigma = 0 + 1e-8 */
    double want0 = (1e-8 - 1.0 / 16) / 1e-8, want1 = (1e-8 + 1.0 / 16) / 1e-8;
    ok(fabs(sigma - 1e-8) < 1e-15 && guard == 0.0 && rel(b[0], want0) < 1e-6 &&
       rel(b[1], want1) < 1e-6,
       "hook, Delta (1/16, -1/16): logged Sigma %.3g, B = (%.8g, %.8g), not NaN", sigma, b[0],
       b[1]);
    ok(finite && fired == 1.0 && isfinite(norm),
       "hook, Sigma ~ 0: every gradient finite after x rho B_m and the clip (norm %.4g)", norm);
    ops->destroy(st);
    asgml_config_free(cfg);
    free(w);
}

int main(void)
{
    const char *top = getenv("top_srcdir");
    char path[1024];
    asgml_backend *be;
    asgml_model_config mc;
    asgml_model *model;
    asgml_optim *opt;
    asgml_config *cfg;
    const asgml_method_ops *ops = asgml_method_find("cggm");
    void *state = NULL;
    const char *names[2] = { "audio", "visual" };

    tap_plan(12);
    coefficient_cases();
    snprintf(path, sizeof path, "%s/tests/fixtures/methods/cggm.h5", top ? top : ".");
    fx = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (fx < 0 || !ops) {
        printf("Bail out! cannot open %s or no cggm method\n", path);
        return 1;
    }
    int dims[3];
    {
        hid_t a = H5Aopen(fx, "dims", H5P_DEFAULT);
        if (a < 0 || H5Aread(a, H5T_NATIVE_INT, dims) < 0) {
            printf("Bail out! attribute dims\n");
            return 1;
        }
        H5Aclose(a);
    }
    int B = dims[0], C = dims[1], D = dims[2];
    int steps = (int)attr_d("/", "steps");
    asgml_backend_options bo = { 1, 1, -1, 0 };
    check(asgml_backend_create("cpu", &bo, &be), "cpu backend");
    asgml_model_config_defaults(&mc);
    mc.num_modalities = 2;
    int in_dim[2] = { 12, 10 };
    for (int m = 0; m < 2; m++) {
        snprintf(mc.enc[m].name, sizeof mc.enc[m].name, "%s", names[m]);
        mc.enc[m].kind = ASGML_ENC_MLP;
        mc.enc[m].in_dim = in_dim[m];
        mc.enc[m].hidden = 16;
    }
    mc.feature_dim = D;
    mc.num_classes = C;
    mc.fusion = ASGML_FUSION_CONCAT;
    mc.uni = ASGML_UNI_SPLIT;
    mc.max_batch = B;
    check(asgml_model_create(be, &mc, &model), "model");
    int nviews;
    const asgml_param_view *views = asgml_model_param_views(model, &nviews);
    float *params = asgml_model_params(model);
    for (int v = 0; v < nviews; v++) {
        size_t n;
        snprintf(path, sizeof path, "/init/params/%s", views[v].name);
        float *p = rd(path, H5T_NATIVE_FLOAT, &n);
        memcpy(params + views[v].offset, p, n * sizeof(float));   /* cpu: host memory */
        free(p);
    }
    asgml_optim_config oc;
    asgml_optim_config_defaults(&oc);
    oc.kind = ASGML_OPTIM_SGD;
    oc.lr = 0.05;
    oc.momentum = 0.9;
    oc.weight_decay = 1e-4;
    check(asgml_optim_create(model, &oc, &opt), "optimiser");
    check(asgml_config_create(&cfg), "config");
    check(ops->create(cfg, &mc, &state), "cggm create");

    asgml_log_record *log = asgml_log_record_create();
    int32_t *labels_dev = calloc((size_t)B, sizeof(int32_t));
    float *dlogits = calloc((size_t)B * (size_t)C, sizeof(float));
    uint64_t noise = 0;
    asgml_step s;
    memset(&s, 0, sizeof s);
    s.be = be;
    s.model = model;
    s.num_modalities = 2;
    s.num_classes = C;
    s.modality_names[0] = names[0];
    s.modality_names[1] = names[1];
    s.batches_per_epoch = steps;
    s.noise_offset = &noise;
    s.log = log;
    double worst = 0.0, worst_sig = 0.0;
    int sig_ok = 1, flag_ok = 1;
    for (int t = 0; t < steps; t++) {
        char g[64];
        float *x[2];
        snprintf(g, sizeof g, "/step%d", t);
        for (int m = 0; m < 2; m++) {
            snprintf(path, sizeof path, "%s/%s", g, names[m]);
            x[m] = rd(path, H5T_NATIVE_FLOAT, NULL);
        }
        snprintf(path, sizeof path, "%s/labels", g);
        int32_t *labels = rd(path, H5T_NATIVE_INT32, NULL);
        memcpy(labels_dev, labels, (size_t)B * sizeof(int32_t));
        if (t == 0)
            for (int m = 0; m < 2; m++) {
                s.batch_size = B;
                snprintf(path, sizeof path, "/init/cls%d/weight", m);
                float *w = rd(path, H5T_NATIVE_FLOAT, NULL);
                snprintf(path, sizeof path, "/init/cls%d/bias", m);
                float *bias = rd(path, H5T_NATIVE_FLOAT, NULL);
                check(asgml_cggm_set_classifier(state, &s, m, w, bias), "set classifier");
                free(w);
                free(bias);
            }
        s.step = t;
        s.batch = t;
        s.batch_size = B;
        s.labels = labels;
        s.labels_dev = labels_dev;
        s.encoder_active[0] = s.encoder_active[1] = 1;
        asgml_log_record_clear(log);
        double loss_sum;
        memset(dlogits, 0, (size_t)B * (size_t)C * sizeof(float));   /* softmax_ce accumulates */
        check(asgml_model_zero_grad(model), "zero grad");
        check(asgml_model_forward(model, (const float *const *)x, B, 1, NULL), "forward");
        check(be->ops->softmax_ce(be, B, C, asgml_model_logits(model), labels_dev,
                                  1.0f / (float)B, NULL, NULL, dlogits, &loss_sum), "ce");
        check(asgml_model_backward(model, dlogits, NULL, NULL), "backward");
        check(ops->modulate(state, &s), "cggm modulate");
        check(asgml_optim_step(opt, NULL), "sgd step");
        /* signals */
        double *acc, *delta, *bb, v;
        snprintf(path, sizeof path, "%s/acc", g);
        acc = rd(path, H5T_NATIVE_DOUBLE, NULL);
        snprintf(path, sizeof path, "%s/delta", g);
        delta = rd(path, H5T_NATIVE_DOUBLE, NULL);
        snprintf(path, sizeof path, "%s/B", g);
        bb = rd(path, H5T_NATIVE_DOUBLE, NULL);
        for (int m = 0; m < 2; m++) {
            char key[64];
            snprintf(key, sizeof key, "cggm.acc.%s", names[m]);
            sig_ok &= asgml_log_record_get(log, key, &v) == 0 && v == acc[m];
            snprintf(key, sizeof key, "cggm.delta.%s", names[m]);
            sig_ok &= asgml_log_record_get(log, key, &v) == 0 && fabs(v - delta[m]) < 1e-12;
            snprintf(key, sizeof key, "cggm.B.%s", names[m]);
            sig_ok &= asgml_log_record_get(log, key, &v) == 0;
            worst_sig = fmax(worst_sig, fabs(v - bb[m]) / fmax(fabs(bb[m]), 1e-6));
        }
        sig_ok &= asgml_log_record_get(log, "cggm.Lgm", &v) == 0;
        double lgm = attr_d(g, "lgm");
        worst_sig = fmax(worst_sig, rel(v, lgm));
        sig_ok &= asgml_log_record_get(log, "cggm.clip.fired", &v) == 0;
        flag_ok &= (int)v == (int)attr_d(g, "fired");
        if ((int)v != (int)attr_d(g, "fired"))
            tap_diag("step %d: clip fired %d, PyTorch %d", t, (int)v, (int)attr_d(g, "fired"));
        asgml_log_record_get(log, "cggm.clip.norm", &v);
        worst_sig = fmax(worst_sig, rel(v, attr_d(g, "norm")));
        double step_worst = 0.0;
        for (int vi = 0; vi < nviews; vi++) {
            size_t n;
            snprintf(path, sizeof path, "%s/params/%s", g, views[vi].name);
            float *p = rd(path, H5T_NATIVE_FLOAT, &n);
            double num = 0, den = 0;
            for (size_t i = 0; i < n; i++) {
                num = fmax(num, fabs((double)params[views[vi].offset + i] - p[i]));
                den = fmax(den, fabs((double)p[i]));
            }
            step_worst = fmax(step_worst, num / fmax(den, 1e-12));
            free(p);
        }
        tap_diag("step %d: params worst rel err %.3g, clip norm %.6f (torch %.6f)", t, step_worst,
                 v, attr_d(g, "norm"));
        worst = fmax(worst, step_worst);
        free(acc); free(delta); free(bb); free(labels); free(x[0]); free(x[1]);
    }
    ok(sig_ok, "acc_m exact, Delta_m, B_m, L_gm, clip norm logged for %d steps", steps);
    ok(worst_sig < 1e-4, "B_m, L_gm, clip norm match PyTorch (worst rel err %.3g)", worst_sig);
    ok(flag_ok, "clip fired flags match PyTorch");
    ok(worst < 1e-4, "parameters after each of %d steps match PyTorch (worst rel err %.3g)",
       steps, worst);
    tap_diag("worst relative error: params %.3g, signals %.3g", worst, worst_sig);

    {
        float *x[2];
        for (int m = 0; m < 2; m++) {
            snprintf(path, sizeof path, "/step0/%s", names[m]);
            x[m] = rd(path, H5T_NATIVE_FLOAT, NULL);
        }
        s.batch_size = B;
        sigma_zero_logged(be, model, &mc, &s, x, labels_dev, dlogits);
        free(x[0]);
        free(x[1]);
    }

    /* variant and key validation */
    asgml_config *bad;
    void *st2 = NULL;
    check(asgml_config_create(&bad), "config");
    check(asgml_config_set(bad, "cggm.variant", "nope", "test"), "set");
    ok(ops->create(bad, &mc, &st2) != ASGML_OK && !st2, "cggm.variant=nope rejected");
    asgml_config_free(bad);
    {
        /* every out-of-range value is a configuration error naming its key */
        static const char *const kv[][2] = {
            { "cggm.lr", "0" }, { "cggm.lr", "-1e-3" }, { "cggm.clip", "0" }, { "cggm.clip", "-1" }
        };
        int named = 1;
        for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++) {
            check(asgml_config_create(&bad), "config");
            check(asgml_config_set(bad, kv[i][0], kv[i][1], "test"), "set");
            asgml_status rc = ops->create(bad, &mc, &st2);
            if (rc != ASGML_EINVAL || st2 || !strstr(asgml_last_error(), kv[i][0])) {
                named = 0;
                tap_diag("%s=%s: status %d, '%s'", kv[i][0], kv[i][1], (int)rc,
                         asgml_last_error());
            }
            asgml_config_free(bad);
        }
        ok(named, "cggm.lr <= 0 and cggm.clip <= 0 rejected, the error names the key");
    }
    check(asgml_config_create(&bad), "config");
    check(asgml_config_set(bad, "cggm.variant", "asgml-ref", "test"), "set");
    ok(ops->create(bad, &mc, &st2) == ASGML_OK && st2, "cggm.variant=asgml-ref accepted");
    /* one asgml-ref step on the first batch: finite signals, no delayed term */
    {
        float *x[2];
        for (int m = 0; m < 2; m++) {
            snprintf(path, sizeof path, "/step0/%s", names[m]);
            x[m] = rd(path, H5T_NATIVE_FLOAT, NULL);
        }
        int32_t *labels = rd("/step0/labels", H5T_NATIVE_INT32, NULL);
        memcpy(labels_dev, labels, (size_t)B * sizeof(int32_t));
        s.labels = labels;
        asgml_log_record_clear(log);
        double loss_sum, v0 = NAN, v1 = NAN, l = NAN;
        memset(dlogits, 0, (size_t)B * (size_t)C * sizeof(float));   /* softmax_ce accumulates */
        check(asgml_model_zero_grad(model), "zero grad");
        check(asgml_model_forward(model, (const float *const *)x, B, 1, NULL), "forward");
        check(be->ops->softmax_ce(be, B, C, asgml_model_logits(model), labels_dev,
                                  1.0f / (float)B, NULL, NULL, dlogits, &loss_sum), "ce");
        check(asgml_model_backward(model, dlogits, NULL, NULL), "backward");
        /* expected gradient cosines, computed here before the hook scales
         * and clips: classifier h_m (the fixture's initial weights)
         * dCE/dW^h_m = (softmax(W f + b) - onehot)^T f / B (C, D) against
         * the fc_out gradient block of modality m (columns [mD, (m+1)D)) */
        double want[2] = { NAN, NAN };
        const asgml_param_view *fc = NULL;
        for (int vi = 0; vi < nviews; vi++)
            if (strcmp(views[vi].name, "fusion_module.fc_out.weight") == 0)
                fc = &views[vi];
        if (!fc) {
            printf("Bail out! no fusion_module.fc_out.weight\n");
            return 1;
        }
        const float *grads = asgml_model_grads(model);   /* cpu: host memory */
        for (int m = 0; m < 2; m++) {
            float *w, *bias;
            double *ga = calloc((size_t)C * (size_t)D, sizeof(double));
            const float *f = asgml_model_features(model, m);
            snprintf(path, sizeof path, "/init/cls%d/weight", m);
            w = rd(path, H5T_NATIVE_FLOAT, NULL);
            snprintf(path, sizeof path, "/init/cls%d/bias", m);
            bias = rd(path, H5T_NATIVE_FLOAT, NULL);
            check(asgml_cggm_set_classifier(st2, &s, m, w, bias), "set classifier");
            for (int i = 0; i < B; i++) {
                double z[16], mx = -INFINITY, sum = 0.0;
                for (int k = 0; k < C; k++) {
                    z[k] = bias[k];
                    for (int j = 0; j < D; j++)
                        z[k] += (double)w[k * D + j] * f[i * D + j];
                    mx = fmax(mx, z[k]);
                }
                for (int k = 0; k < C; k++)
                    sum += (z[k] = exp(z[k] - mx));
                for (int k = 0; k < C; k++)
                    for (int j = 0; j < D; j++)
                        ga[k * D + j] += (z[k] / sum - (k == labels[i])) / B * f[i * D + j];
            }
            double dot = 0, aa = 0, bb = 0;
            for (int k = 0; k < C; k++)
                for (int j = 0; j < D; j++) {
                    double gb = grads[fc->offset + (int64_t)k * 2 * D + m * D + j];
                    dot += ga[k * D + j] * gb;
                    aa += ga[k * D + j] * ga[k * D + j];
                    bb += gb * gb;
                }
            want[m] = dot / fmax(sqrt(aa * bb), 1e-8);
            free(ga); free(w); free(bias);
        }
        check(ops->modulate(st2, &s), "asgml-ref modulate");
        double c1 = NAN;
        asgml_log_record_get(log, "cggm.B.audio", &v0);
        asgml_log_record_get(log, "cggm.cos.audio", &v1);
        asgml_log_record_get(log, "cggm.cos.visual", &c1);
        asgml_log_record_get(log, "cggm.Lgm", &l);
        ok(isfinite(v0) && isfinite(l) && fabs(v1 - want[0]) < 1e-5 && fabs(c1 - want[1]) < 1e-5,
           "asgml-ref: gradient cosines (%.6f, %.6f), expected (%.6f, %.6f); B %.4f, L_gm %.4f",
           v1, c1, want[0], want[1], v0, l);
        free(labels); free(x[0]); free(x[1]);
    }
    ops->destroy(st2);
    asgml_config_free(bad);
    ops->destroy(state);
    asgml_log_record_free(log);
    asgml_config_free(cfg);
    asgml_optim_free(opt);
    asgml_model_free(model);
    free(labels_dev);
    free(dlogits);
    asgml_backend_destroy(be);
    H5Fclose(fx);
    return tap_done();
}
