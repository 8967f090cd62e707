/* SPDX-License-Identifier: MIT */
/* test-opm-torch.c - OPM and opm+ogm-ge (asgml-methods(7), OPM; Wei et al.,
 * TPAMI 2024; GeWu-Lab/BML_TPAMI2024 code/models/Classifier.py calcu_q,
 * Modality_drop, custom_autograd, code/main.py train) against PyTorch.
 *
 * Fixture: tests/fixtures/methods/opm.h5 (tests/fixtures/make_opm_fixtures.py):
 * four SGD steps of the "resnet" case of tests/fixtures/model/model.h5 after
 * the warm-up with the drop executed, with masks stored in the fixture (the
 * official code draws them; both sides use the same ones here, as
 * asgml_opm_force_masks does in a run).  The C side does what method_opm.c
 * does in a run: the undropped training-mode forward gives the split logits
 * and s_m; asgml_opm_drop_probs gives rho, q; the masked pass runs on a
 * clone (the run's extra pass slot: the main forward's activations and its
 * once-updated BN statistics stay) with feature masks mask/(1 - theta), CE
 * over the kept samples, its gradient accumulated into the model; for
 * opm+ogm-ge the ogm-ge method's modulate hook (noise off = BML's 'OGM')
 * runs on the undropped split logits; SGD.  Compared per step: s, rho, q,
 * theta, kept, loss, OGM k and the parameters; BN running statistics after
 * the last step. */
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
#include "methods/method_opm.h"
#include "tap.h"

static hid_t model_file = -1, opm_file = -1;

static void check(asgml_status st, const char *what)
{
    if (st != ASGML_OK) {
        printf("Bail out! %s: %s\n", what, asgml_last_error());
        exit(1);
    }
}

static double attr_d(hid_t obj, const char *name)
{
    double v = 0;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0 || H5Aread(a, H5T_NATIVE_DOUBLE, &v) < 0) {
        printf("Bail out! attribute %s\n", name);
        exit(1);
    }
    H5Aclose(a);
    return v;
}

static double rel1(double a, double b)
{
    return fabs(a - b) / (fabs(b) > 1e-12 ? fabs(b) : 1e-12);
}

static const char *names[2] = { "audio", "visual" };
static asgml_backend *be;
static asgml_model_config mc;
static int cfgv[16], B, C, D, steps;
static float *inputs[2];
static int32_t *labels;
static float *masks;
static double q_base, lam, lr;

static void load_model(asgml_model *model)
{
    char path[256];
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
}

/* s = sum_i softmax(u_i)[y_i], as method_opm.c opm_score */
static double score(const float *u, float *probs)
{
    double acc = 0.0, lsum;
    check(be->ops->softmax_ce(be, B, C, u, labels, 0.0f, probs, NULL, NULL, &lsum), "softmax");
    for (int i = 0; i < B; i++)
        acc += probs[(size_t)i * C + labels[i]];
    return acc;
}

/* One case ("opm" or "ogm" = opm+ogm-ge); worst signal / parameter errors. */
static void run_case(const char *grp, int ogm, double *wsig, double *wpar, int *kept_same)
{
    char path[256];
    asgml_model *model;
    asgml_optim *opt;
    asgml_optim_config oc;
    const asgml_method_ops *ogm_ops = asgml_method_find("ogm-ge");
    asgml_config *cfg = NULL;
    void *ogm_state = NULL;
    uint64_t offset = 0;
    int nviews, nbuf;

    check(asgml_model_create(be, &mc, &model), "model");
    load_model(model);
    asgml_optim_config_defaults(&oc);
    oc.lr = lr;
    oc.momentum = 0.9;
    oc.weight_decay = 1e-4;
    check(asgml_optim_create(model, &oc, &opt), "optim");
    if (ogm) {
        check(asgml_config_create(&cfg), "config");
        check(asgml_config_set(cfg, "ogm-ge.noise", "0", "test"), "config");
        check(ogm_ops->create(cfg, &mc, &ogm_state), "ogm create");
    }
    const asgml_param_view *views = asgml_model_param_views(model, &nviews);
    const asgml_param_view *bviews = asgml_model_buffer_views(model, &nbuf);
    int64_t np = asgml_model_num_params(model);
    size_t bc = (size_t)B * C;
    float *probs = calloc(bc, sizeof(float)), *dl = calloc(bc, sizeof(float));
    float *fmask[2] = { calloc((size_t)B * D, sizeof(float)), calloc((size_t)B * D, sizeof(float)) };

    for (int t = 0; t < steps; t++) {
        double s[2], rho[2], q[2], theta, k[2] = { 1.0, 1.0 }, loss = 0.0;
        const float *mk = masks + (size_t)t * 2 * B;
        asgml_model *pass;
        int kept = 0;

        /* undropped main forward: s_m from the split logits (detached head) */
        check(asgml_model_zero_grad(model), "zero grad");
        check(asgml_model_forward(model, (const float *const *)inputs, B, 1, NULL), "forward");
        for (int m = 0; m < 2; m++)
            s[m] = score(asgml_model_unimodal_logits(model, m), probs);
        asgml_opm_drop_probs(2, s, q_base, lam, rho, q);
        theta = (q[0] + q[1]) / 2;   /* equal D_m */

        /* masked pass on a clone, CE over the kept samples */
        check(asgml_model_clone(model, &pass), "clone");
        for (int m = 0; m < 2; m++) {
            for (int i = 0; i < B; i++)
                for (int d = 0; d < D; d++)
                    fmask[m][(size_t)i * D + d] = (float)(mk[m * B + i] / (1.0 - theta));
            check(asgml_model_set_feature_mask(pass, m, fmask[m]), "mask");
        }
        check(asgml_model_forward(pass, (const float *const *)inputs, B, 1, NULL), "masked");
        double lsum;
        check(be->ops->softmax_ce(be, B, C, asgml_model_logits(pass), labels, 0.0f, probs, NULL,
                                  NULL, &lsum), "ce");
        for (int i = 0; i < B; i++)
            kept += mk[i] != 0.0f || mk[B + i] != 0.0f;
        for (int i = 0; i < B; i++) {
            int keep = mk[i] != 0.0f || mk[B + i] != 0.0f;
            for (int c = 0; c < C; c++) {
                float p = probs[(size_t)i * C + c];
                dl[(size_t)i * C + c] = keep ? (p - (c == labels[i])) / (float)kept : 0.0f;
                if (keep && c == labels[i])
                    loss -= log((double)p);
            }
        }
        loss /= kept;
        check(asgml_model_zero_grad(pass), "zero grad");
        check(asgml_model_backward(pass, dl, NULL, NULL), "masked backward");
        {
            float *g = asgml_model_grads(model);
            const float *gp = asgml_model_grads(pass);
            for (int64_t j = 0; j < np; j++)
                g[j] += gp[j];
        }
        asgml_model_free(pass);

        if (ogm) {   /* the ogm-ge hook on the undropped main forward */
            asgml_step st;
            memset(&st, 0, sizeof st);
            st.be = be;
            st.model = model;
            st.num_modalities = 2;
            st.num_classes = C;
            st.modality_names[0] = names[0];
            st.modality_names[1] = names[1];
            st.epoch = 6;
            st.num_epochs = 100;
            st.step = t;
            st.batch_size = B;
            st.labels = labels;
            st.labels_dev = labels;
            st.seed = 1;
            st.noise_offset = &offset;
            st.encoder_active[0] = st.encoder_active[1] = 1;
            st.log = asgml_log_record_create();
            check(ogm_ops->modulate(ogm_state, &st), "ogm modulate");
            if (asgml_log_record_get(st.log, "ogm.k.audio", &k[0]) != 0 ||
                asgml_log_record_get(st.log, "ogm.k.visual", &k[1]) != 0) {
                printf("Bail out! ogm.k not logged\n");
                exit(1);
            }
            asgml_log_record_free(st.log);
        }
        check(asgml_optim_step(opt, NULL), "sgd");

        /* compare */
        const char *sig[4] = { "s", "rho", "q", "k" };
        const double *mine[4] = { s, rho, q, k };
        for (int j = 0; j < 4; j++) {
            snprintf(path, sizeof path, "/%s/step%d/%s", grp, t, sig[j]);
            double *ref = h5fix_need(opm_file, path, H5T_NATIVE_DOUBLE, NULL);
            for (int m = 0; m < 2; m++) {
                double e = rel1(mine[j][m], ref[m]);
                if (e > 2e-5)
                    tap_diag("%s step %d %s[%d]: %.9g vs %.9g", grp, t, sig[j], m, mine[j][m],
                             ref[m]);
                *wsig = e > *wsig ? e : *wsig;
            }
            free(ref);
        }
        snprintf(path, sizeof path, "/%s/step%d/theta", grp, t);
        double *rt = h5fix_need(opm_file, path, H5T_NATIVE_DOUBLE, NULL);
        double e = rel1(theta, *rt);
        *wsig = e > *wsig ? e : *wsig;
        free(rt);
        snprintf(path, sizeof path, "/%s/step%d/kept", grp, t);
        int32_t *rk = h5fix_need(opm_file, path, H5T_NATIVE_INT32, NULL);
        *kept_same &= *rk == kept;
        free(rk);
        snprintf(path, sizeof path, "/%s/step%d", grp, t);
        {
            hid_t g = H5Gopen2(opm_file, path, H5P_DEFAULT);
            e = rel1(loss, attr_d(g, "loss"));
            H5Gclose(g);
        }
        *wsig = e > *wsig ? e : *wsig;
        for (int v = 0; v < nviews; v++) {
            snprintf(path, sizeof path, "/%s/step%d/params/%s", grp, t, views[v].name);
            size_t n;
            float *p = h5fix_need(opm_file, path, H5T_NATIVE_FLOAT, &n);
            if ((int64_t)n > views[v].numel)
                n = (size_t)views[v].numel;
            e = h5fix_rel_err(asgml_model_params(model) + views[v].offset, p, n);
            if (e > *wpar)
                tap_diag("%s step %d: %s rel err %.3e (%zu values)", grp, t, views[v].name, e, n);
            *wpar = e > *wpar ? e : *wpar;
            free(p);
        }
        tap_diag("%s step %d: s = (%.6f, %.6f), q = (%.4f, %.4f), theta %.4f, kept %d, k = "
                 "(%.4f, %.4f), loss %.6f", grp, t, s[0], s[1], q[0], q[1], theta, kept, k[0],
                 k[1], loss);
    }
    for (int v = 0; v < nbuf; v++) {   /* running statistics updated once per step */
        snprintf(path, sizeof path, "/%s/buffers/%s", grp, bviews[v].name);
        size_t n;
        float *p = h5fix_need(opm_file, path, H5T_NATIVE_FLOAT, &n);
        double e = h5fix_rel_err(asgml_model_buffers(model) + bviews[v].offset, p, n);
        *wpar = e > *wpar ? e : *wpar;
        free(p);
    }
    free(probs);
    free(dl);
    free(fmask[0]);
    free(fmask[1]);
    if (ogm) {
        ogm_ops->destroy(ogm_state);
        asgml_config_free(cfg);
    }
    asgml_optim_free(opt);
    asgml_model_free(model);
}

int main(void)
{
    const char *top = getenv("top_srcdir");
    char path[1024];

    tap_plan(7);
    snprintf(path, sizeof path, "%s/tests/fixtures/model/model.h5", top ? top : ".");
    model_file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    snprintf(path, sizeof path, "%s/tests/fixtures/methods/opm.h5", top ? top : ".");
    opm_file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (model_file < 0 || opm_file < 0) {
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
        hid_t r = H5Gopen2(opm_file, "/", H5P_DEFAULT);
        steps = (int)attr_d(r, "steps");
        q_base = attr_d(r, "q_base");
        lam = attr_d(r, "lam");
        lr = attr_d(r, "lr");
        H5Gclose(r);
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
    mc.feature_dim = D = cfgv[7];
    mc.num_classes = C = cfgv[6];
    mc.fusion = ASGML_FUSION_CONCAT;
    mc.uni = ASGML_UNI_SPLIT;
    mc.max_batch = B = cfgv[5];
    for (int m = 0; m < 2; m++) {
        snprintf(path, sizeof path, "/resnet/inputs/%s", names[m]);
        inputs[m] = h5fix_need(model_file, path, H5T_NATIVE_FLOAT, NULL);
    }
    labels = h5fix_need(model_file, "/resnet/labels", H5T_NATIVE_INT32, NULL);
    size_t nm;
    masks = h5fix_need(opm_file, "/masks", H5T_NATIVE_FLOAT, &nm);
    if (nm != (size_t)steps * 2 * B) {
        printf("Bail out! masks: %zu values, want %d\n", nm, steps * 2 * B);
        return 1;
    }
    int dropped_all = 0, drop_some = 0;
    for (int t = 0; t < steps; t++)
        for (int i = 0; i < B; i++) {
            float a = masks[(t * 2) * B + i], v = masks[(t * 2 + 1) * B + i];
            dropped_all += a == 0.0f && v == 0.0f;
            drop_some += (a == 0.0f) != (v == 0.0f);
        }
    ok(steps >= 3 && dropped_all > 0 && drop_some > 0,
       "fixture: %d consecutive steps, masks drop %d whole samples and %d single modalities",
       steps, dropped_all, drop_some);

    double ws = 0, wp = 0, ws2 = 0, wp2 = 0;
    int ks = 1, ks2 = 1;
    run_case("opm", 0, &ws, &wp, &ks);
    ok(ks, "opm: kept samples equal torch's in every step");
    ok(ws < 1e-4, "opm: s, rho, q, theta, loss vs torch: worst rel err %.3e", ws);
    ok(wp < 1e-4, "opm: parameters after every step, BN statistics: worst rel err %.3e", wp);
    run_case("ogm", 1, &ws2, &wp2, &ks2);
    ok(ks2, "opm+ogm-ge: kept samples equal torch's in every step");
    ok(ws2 < 1e-4, "opm+ogm-ge: s, rho, q, theta, loss, OGM k vs torch: worst rel err %.3e", ws2);
    ok(wp2 < 1e-4, "opm+ogm-ge: parameters, BN statistics: worst rel err %.3e", wp2);
    printf("# OPM fixture worst relative error: signals %.3e, parameters %.3e\n",
           ws > ws2 ? ws : ws2, wp > wp2 ? wp : wp2);
    free(masks);
    free(labels);
    free(inputs[0]);
    free(inputs[1]);
    asgml_backend_destroy(be);
    H5Fclose(model_file);
    H5Fclose(opm_file);
    return tap_done();
}
