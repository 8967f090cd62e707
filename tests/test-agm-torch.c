/* SPDX-License-Identifier: MIT */
/* test-agm-torch.c - AGM (asgml-methods(7), AGM) against PyTorch, and its
 * special cases.
 *
 * Fixture: tests/fixtures/methods/agm.h5 (tests/fixtures/make_agm_fixtures.py):
 * four SGD steps of the official AGM (Lingy12/AGM_ICCV2023 GradMod) on the
 * "resnet" case of tests/fixtures/model/model.h5.  The C side repeats them
 * with the asgml model: training-mode forward F; the padded passes P_1, P_2
 * on clones in inference mode (what asgml_step_forward_extra does in a run);
 * the method's math (method_agm.h) gives o_m, s_m, r, rbar, k and the
 * factors on G for F, P_1, P_2; backward of the three graphs into one
 * gradient; the clip rule; SGD.  Compared per step: s, sbar, r, rbar, k,
 * the clip flag and every parameter after the step.
 *
 * Special cases (host math): N = 2 official o_m is (F -+ P + P)/2 and the
 * bmm o_m leaves out the empty coalition; the sign of r for N = 2 is
 * opposite in bmm; cap 10 vs 7; N = 3 Shapley responses sum to F; the pass
 * factors for k = 1 give a plain CE(F) gradient. */
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
#include "h5fixture.h"
#include "methods/method_agm.h"
#include "tap.h"

static hid_t model_file = -1, agm_file = -1;

static void check(asgml_status st, const char *what)
{
    if (st != ASGML_OK) {
        printf("Bail out! %s: %s\n", what, asgml_last_error());
        exit(1);
    }
}

static double rel1(double a, double b)
{
    return fabs(a - b) / (fabs(b) > 1e-12 ? fabs(b) : 1e-12);
}

static void special_cases(void)
{
    double w[16], s[3], sb[3], r[3], rb[3], k[3], c[16];

    /* N = 2 official: o_1 = (F - P_2 + P_1)/2; S = 1 (audio only) = P_1 */
    asgml_agm_subset_weights(ASGML_AGM_OFFICIAL, 2, 0, w);
    ok(w[0] == 0.0 && w[1] == 0.5 && w[2] == -0.5 && w[3] == 0.5,
       "official N=2: o_1 = (F - P_2 + P_1)/2 (w = %g %g %g %g)", w[0], w[1], w[2], w[3]);
    asgml_agm_subset_weights(ASGML_AGM_BMM, 2, 0, w);
    ok(w[0] == 0.0 && w[1] == 0.0 && w[2] == -0.5 && w[3] == 0.5,
       "bmm N=2: o_1 = (F - P_2)/2 (no empty coalition)");

    /* sign: audio loss lower (stronger) */
    s[0] = 0.5; s[1] = 1.5; sb[0] = sb[1] = 1.0;
    asgml_agm_coefficients(ASGML_AGM_OFFICIAL, 2, s, sb, 1.0, r, rb, k);
    ok(fabs(r[0] - exp(1.0)) < 1e-12 && fabs(r[1] - exp(-1.0)) < 1e-12 && rb[0] == 1.0 &&
       k[0] < 1.0 && k[1] > 1.0,
       "official N=2: r_1 = exp(s_2 - s_1) = %.4f, the stronger modality is damped (k = %.4f, %.4f)",
       r[0], k[0], k[1]);
    double ko[2] = { k[0], k[1] };
    asgml_agm_coefficients(ASGML_AGM_BMM, 2, s, sb, 1.0, r, rb, k);
    ok(fabs(r[0] - exp(-1.0)) < 1e-12 && fabs(r[1] - exp(1.0)) < 1e-12 && k[0] > 1.0 &&
       k[1] < 1.0 && k[0] != ko[0],
       "bmm N=2: the opposite sign r_1 = exp(s_1 - s_2) = %.4f (k = %.4f, %.4f)", r[0], k[0], k[1]);

    /* caps */
    s[0] = 0.0; s[1] = 20.0; sb[0] = 20.0; sb[1] = 0.0;
    asgml_agm_coefficients(ASGML_AGM_OFFICIAL, 2, s, sb, 0.5, r, rb, k);
    double k10 = k[1];
    asgml_agm_coefficients(ASGML_AGM_BMM, 2, s, sb, 0.5, r, rb, k);
    ok(fabs(k10 - exp(5.0)) < 1e-9 && fabs(k[0] - exp(3.5)) < 1e-9,
       "min(rbar - r, cap): official cap 10 (k = e^5), bmm cap 7 (k = e^3.5)");

    /* N = 3: responses sum to F (f(empty) cancels), each o_m Shapley */
    double sum[8] = { 0 };
    for (int m = 0; m < 3; m++) {
        asgml_agm_subset_weights(ASGML_AGM_OFFICIAL, 3, m, w);
        for (int S = 0; S < 8; S++)
            sum[S] += w[S];
    }
    int fsum = fabs(sum[7] - 1.0) < 1e-12;
    for (int S = 0; S < 7; S++)
        fsum &= fabs(sum[S]) < 1e-12;
    asgml_agm_subset_weights(ASGML_AGM_OFFICIAL, 3, 0, w);
    ok(fsum && fabs(w[7] - 1.0 / 3) < 1e-12 && fabs(w[1] - 1.0 / 3) < 1e-12 &&
       fabs(w[3] - 1.0 / 6) < 1e-12 && fabs(w[6] + 1.0 / 3) < 1e-12 && fabs(w[2] + 1.0 / 6) < 1e-12,
       "N=3: o_1 = (F - f(23))/3 + (f(12) - f(2) + f(13) - f(3))/6 + f(1)/3, sum_m o_m = F");
    /* N = 3 ratios: r_m = exp(mean_{j != m} s_j - s_m) */
    s[0] = 1.0; s[1] = 2.0; s[2] = 4.0; sb[0] = sb[1] = sb[2] = 0.0;
    asgml_agm_coefficients(ASGML_AGM_OFFICIAL, 3, s, sb, 1.0, r, rb, k);
    ok(fabs(r[0] - exp(2.0)) < 1e-12 && fabs(r[2] - exp(-2.5)) < 1e-12 && rb[1] == 1.0,
       "N=3: r_m = exp(mean_{j!=m} s_j - s_m)");

    /* pass factors: k = 1 -> F gets G, the padded passes nothing */
    k[0] = k[1] = 1.0;
    asgml_agm_pass_scales(2, k, c);
    ok(c[3] == 1.0 && c[1] == 0.0 && c[2] == 0.0, "k = 1: dL/dF = G, padded passes get 0");
    k[0] = 2.0; k[1] = 0.5;
    asgml_agm_pass_scales(2, k, c);
    ok(c[3] == 1.25 && c[1] == 0.75 && c[2] == -0.75,
       "dL/dF = (k1+k2)/2 G, dL/dP_1 = (k1-k2)/2 G, dL/dP_2 = (k2-k1)/2 G");

    /* running mean */
    double sbar[2] = { 0, 0 }, s1[2] = { 1, 3 }, s2[2] = { 3, 1 };
    asgml_agm_update_mean(2, sbar, s1, 1);
    asgml_agm_update_mean(2, sbar, s2, 2);
    ok(sbar[0] == 2.0 && sbar[1] == 2.0, "sbar is the mean over iterations");

    /* config keys */
    asgml_config *cfg;
    asgml_model_config mc;
    void *st = NULL;
    const asgml_method_ops *agm = asgml_method_find("agm");
    asgml_model_config_defaults(&mc);
    mc.num_modalities = 2;
    check(asgml_config_create(&cfg), "config");
    ok(agm && agm->create(cfg, &mc, &st) == ASGML_OK && st, "agm registered, created with defaults");
    if (agm && st) agm->destroy(st);
    asgml_config_free(cfg);
    check(asgml_config_create(&cfg), "config");
    check(asgml_config_set(cfg, "agm.variant", "nope", "test"), "config set");
    st = NULL;
    ok(agm && agm->create(cfg, &mc, &st) == ASGML_EINVAL, "agm.variant nope: EINVAL");
    asgml_config_free(cfg);
}

int main(void)
{
    const char *top = getenv("top_srcdir");
    char path[1024];
    asgml_backend *be;
    asgml_model_config mc;
    asgml_model *model;
    int cfgv[16];
    const char *names[2] = { "audio", "visual" };

    tap_plan(16);
    special_cases();

    snprintf(path, sizeof path, "%s/tests/fixtures/model/model.h5", top ? top : ".");
    model_file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    snprintf(path, sizeof path, "%s/tests/fixtures/methods/agm.h5", top ? top : ".");
    agm_file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (model_file < 0 || agm_file < 0) {
        printf("Bail out! cannot open the fixtures\n");
        return 1;
    }
    {
        hid_t g = H5Gopen2(model_file, "/resnet", H5P_DEFAULT);
        hid_t a = H5Aopen(g, "config", H5P_DEFAULT);
        if (a < 0 || H5Aread(a, H5T_NATIVE_INT, cfgv) < 0) {
            printf("Bail out! resnet config attribute\n");
            return 1;
        }
        H5Aclose(a);
        H5Gclose(g);
    }
    int steps = 0;
    double alpha = 0, lr = 0;
    {
        hid_t a = H5Aopen(agm_file, "steps", H5P_DEFAULT);
        H5Aread(a, H5T_NATIVE_INT, &steps);
        H5Aclose(a);
        a = H5Aopen(agm_file, "alpha", H5P_DEFAULT);
        H5Aread(a, H5T_NATIVE_DOUBLE, &alpha);
        H5Aclose(a);
        a = H5Aopen(agm_file, "lr", H5P_DEFAULT);
        H5Aread(a, H5T_NATIVE_DOUBLE, &lr);
        H5Aclose(a);
    }
    asgml_backend_options bo = { 1, 1, -1, 0 };
    check(asgml_backend_create("cpu", &bo, &be), "cpu backend");
    asgml_model_config_defaults(&mc);
    mc.num_modalities = 2;
    for (int m = 0; m < 2; m++) {
        snprintf(mc.enc[m].name, sizeof mc.enc[m].name, "%s", names[m]);
        mc.enc[m].kind = ASGML_ENC_RESNET18;
        mc.enc[m].in_channels = cfgv[8 + 4 * m];
        mc.enc[m].in_h = cfgv[9 + 4 * m];
        mc.enc[m].in_w = cfgv[10 + 4 * m];
        mc.enc[m].frames = cfgv[11 + 4 * m];
    }
    mc.width = cfgv[4];
    mc.feature_dim = cfgv[7];
    mc.num_classes = cfgv[6];
    mc.fusion = ASGML_FUSION_CONCAT;
    mc.uni = ASGML_UNI_NONE;
    mc.max_batch = cfgv[5];
    int B = cfgv[5], C = cfgv[6];
    check(asgml_model_create(be, &mc, &model), "model");
    int nviews, nbuf;
    const asgml_param_view *views = asgml_model_param_views(model, &nviews);
    const asgml_param_view *bviews = asgml_model_buffer_views(model, &nbuf);
    for (int v = 0; v < nviews; v++) {
        size_t n;
        snprintf(path, sizeof path, "/resnet/params/%s", views[v].name);
        float *p = h5fix_need(model_file, path, H5T_NATIVE_FLOAT, &n);
        memcpy(asgml_model_params(model) + views[v].offset, p, n * sizeof(float));
        free(p);
    }
    for (int v = 0; v < nbuf; v++) {
        size_t n;
        snprintf(path, sizeof path, "/resnet/buffers/%s", bviews[v].name);
        float *p = h5fix_need(model_file, path, H5T_NATIVE_FLOAT, &n);
        memcpy(asgml_model_buffers(model) + bviews[v].offset, p, n * sizeof(float));
        free(p);
    }
    float *inputs[2], *zeros[2];
    size_t nin[2];
    for (int m = 0; m < 2; m++) {
        snprintf(path, sizeof path, "/resnet/inputs/%s", names[m]);
        inputs[m] = h5fix_need(model_file, path, H5T_NATIVE_FLOAT, &nin[m]);
        zeros[m] = calloc(nin[m], sizeof(float));
    }
    int32_t *labels = h5fix_need(model_file, "/resnet/labels", H5T_NATIVE_INT32, NULL);

    asgml_optim_config oc;
    asgml_optim *opt;
    asgml_optim_config_defaults(&oc);
    oc.lr = lr;
    oc.momentum = 0.9;
    oc.weight_decay = 1e-4;
    check(asgml_optim_create(model, &oc, &opt), "optim");

    int64_t np = asgml_model_num_params(model);
    size_t bc = (size_t)B * (size_t)C;
    double *f = calloc(4 * bc, sizeof(double)), *o = calloc(bc, sizeof(double));
    float *dl = calloc(bc, sizeof(float));
    double sbar[2] = { 0, 0 };
    double worst_sig = 0, worst_par = 0;
    int clip_same = 1, clips = 0;
    for (int t = 0; t < steps; t++) {
        double w[4], c[4], s[2], r[2], rb[2], k[2], sused[2] = { sbar[0], sbar[1] };
        asgml_model *pad[4] = { 0 };
        check(asgml_model_zero_grad(model), "zero grad");
        check(asgml_model_forward(model, (const float *const *)inputs, B, 1, NULL), "forward");
        for (size_t j = 0; j < bc; j++)
            f[3 * bc + j] = asgml_model_logits(model)[j];
        for (unsigned S = 1; S <= 2; S++) {   /* S = 1: audio only (P_1), 2: visual only */
            const float *in[2] = { S & 1 ? inputs[0] : zeros[0], S & 2 ? inputs[1] : zeros[1] };
            check(asgml_model_clone(model, &pad[S]), "clone");
            check(asgml_model_forward(pad[S], in, B, 0, NULL), "padded forward");
            for (size_t j = 0; j < bc; j++)
                f[S * bc + j] = asgml_model_logits(pad[S])[j];
        }
        for (int m = 0; m < 2; m++) {
            asgml_agm_subset_weights(ASGML_AGM_OFFICIAL, 2, m, w);
            for (size_t j = 0; j < bc; j++)
                o[j] = w[1] * f[bc + j] + w[2] * f[2 * bc + j] + w[3] * f[3 * bc + j];
            s[m] = asgml_agm_score(o, B, C, labels);
        }
        asgml_agm_coefficients(ASGML_AGM_OFFICIAL, 2, s, sbar, alpha, r, rb, k);
        asgml_agm_update_mean(2, sbar, s, t + 1);
        asgml_agm_pass_scales(2, k, c);
        memset(dl, 0, bc * sizeof(float));
        check(be->ops->softmax_ce(be, B, C, asgml_model_logits(model), labels, (float)(c[3] / B),
                                  NULL, NULL, dl, NULL), "ce");
        check(asgml_model_backward(model, dl, NULL, NULL), "backward F");
        for (unsigned S = 1; S <= 2; S++) {
            memset(dl, 0, bc * sizeof(float));
            check(be->ops->softmax_ce(be, B, C, asgml_model_logits(model), labels,
                                      (float)(c[S] / B), NULL, NULL, dl, NULL), "ce");
            check(asgml_model_zero_grad(pad[S]), "zero grad");
            check(asgml_model_backward(pad[S], dl, NULL, NULL), "backward P");
            float *g = asgml_model_grads(model);
            const float *gp = asgml_model_grads(pad[S]);
            for (int64_t j = 0; j < np; j++)
                g[j] += gp[j];
            asgml_model_free(pad[S]);
        }
        /* the clip rule: any |grad fc_out.weight| > 1 */
        double gmax = 0;
        for (int v = 0; v < nviews; v++)
            if (strcmp(views[v].name, "fusion_module.fc_out.weight") == 0)
                for (int64_t j = 0; j < views[v].numel; j++) {
                    double a = fabs(asgml_model_grads(model)[views[v].offset + j]);
                    gmax = a > gmax ? a : gmax;
                }
        int fired = 0;
        if (gmax > 1.0)
            check(asgml_model_clip_grad_norm(model, 1.0, NULL, &fired), "clip");
        check(asgml_optim_step(opt, NULL), "sgd");

        /* compare */
        const char *sig[5] = { "s", "sbar", "r", "rbar", "k" };
        const double *mine[5] = { s, sused, r, rb, k };
        for (int q = 0; q < 5; q++) {
            snprintf(path, sizeof path, "/step%d/%s", t, sig[q]);
            double *ref = h5fix_need(agm_file, path, H5T_NATIVE_DOUBLE, NULL);
            for (int m = 0; m < 2; m++) {
                double e = rel1(mine[q][m], ref[m]);
                worst_sig = e > worst_sig ? e : worst_sig;
            }
            free(ref);
        }
        snprintf(path, sizeof path, "/step%d/clip", t);
        int32_t *rc = h5fix_need(agm_file, path, H5T_NATIVE_INT32, NULL);
        clip_same &= *rc == fired;
        clips += fired;
        free(rc);
        for (int v = 0; v < nviews; v++) {
            snprintf(path, sizeof path, "/step%d/params/%s", t, views[v].name);
            size_t kept;
            float *p = h5fix_need(agm_file, path, H5T_NATIVE_FLOAT, &kept);
            if ((int64_t)kept > views[v].numel)
                kept = (size_t)views[v].numel;
            double e = h5fix_rel_err(asgml_model_params(model) + views[v].offset, p, kept);
            if (e > worst_par)
                tap_diag("step %d: %s rel err %.3e (%zu values)", t, views[v].name, e, kept);
            worst_par = e > worst_par ? e : worst_par;
            free(p);
        }
        tap_diag("step %d: s = (%.6f, %.6f), k = (%.6f, %.6f), clip %d", t, s[0], s[1], k[0],
                 k[1], fired);
    }
    ok(steps >= 3, "fixture has %d consecutive steps", steps);
    ok(worst_sig < 1e-4, "s, sbar, r, rbar, k vs torch: worst rel err %.3e", worst_sig);
    ok(clip_same, "clip flag equal to torch's at every step (%d fired)", clips);
    ok(worst_par < 1e-3, "parameters after every step vs torch: worst rel err %.3e", worst_par);
    printf("# AGM fixture worst relative error: signals %.3e, parameters %.3e\n", worst_sig,
           worst_par);
    asgml_optim_free(opt);
    asgml_model_free(model);
    asgml_backend_destroy(be);
    for (int m = 0; m < 2; m++) {
        free(inputs[m]);
        free(zeros[m]);
    }
    free(labels);
    free(f);
    free(o);
    free(dl);
    H5Fclose(model_file);
    H5Fclose(agm_file);
    return tap_done();
}
