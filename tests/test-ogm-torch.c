/* SPDX-License-Identifier: MIT */
/* test-ogm-torch.c - OGM-GE (asgml-methods(7), OGM-GE, official variant) against
 * PyTorch/numpy: the "resnet" case of tests/fixtures/model/model.h5 is
 * loaded into an asgml model (parameters, inputs), forward + backward of
 * CE(z) give the gradients, the ogm-ge method's modulate hook runs, and
 * the scores, coefficients and modulated conv gradients (GE noise from the
 * same Philox stream) are compared with tests/fixtures/methods/ogm.h5
 * (written by tests/fixtures/make_ogm_fixtures.py). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "asgml/backend.h"
#include "asgml/config.h"
#include "asgml/method.h"
#include "asgml/model.h"
#include "h5fixture.h"
#include "tap.h"

static hid_t model_file = -1, ogm_file = -1;

static uint64_t read_attr_u64(hid_t file, const char *name)
{
    uint64_t v = 0;
    hid_t a = H5Aopen(file, name, H5P_DEFAULT);
    if (a < 0 || H5Aread(a, H5T_NATIVE_UINT64, &v) < 0) {
        printf("Bail out! attribute %s\n", name);
        exit(1);
    }
    H5Aclose(a);
    return v;
}

static int check(asgml_status st, const char *what)
{
    if (st != ASGML_OK) {
        printf("Bail out! %s: %s\n", what, asgml_last_error());
        exit(1);
    }
    return 1;
}

/* One TAP sequence whose checks build on each other's state (stores,
 * runs, buffers), kept in order in one function: long by design. */
int main(void)
{
    const char *top = getenv("top_srcdir");
    char path[1024];
    asgml_backend *be;
    asgml_model_config mc;
    asgml_model *model;
    int cfgv[16];

    tap_plan(9);
    snprintf(path, sizeof path, "%s/tests/fixtures/model/model.h5", top ? top : ".");
    model_file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    snprintf(path, sizeof path, "%s/tests/fixtures/methods/ogm.h5", top ? top : ".");
    ogm_file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (model_file < 0 || ogm_file < 0) {
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
    asgml_backend_options bo = { 1, 1, -1, 0 };
    check(asgml_backend_create("cpu", &bo, &be), "cpu backend");

    /* config: fusion, uni, two_layer, kind, width, batch, classes, D, audio c h w T, visual c h w T */
    asgml_model_config_defaults(&mc);
    mc.num_modalities = 2;
    const char *names[2] = { "audio", "visual" };
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
    mc.uni = ASGML_UNI_SPLIT;
    mc.max_batch = cfgv[5];
    int B = cfgv[5], C = cfgv[6];
    check(asgml_model_create(be, &mc, &model), "model");

    /* parameters by state_dict name */
    int nviews;
    const asgml_param_view *views = asgml_model_param_views(model, &nviews);
    float *params = asgml_model_params(model);
    for (int v = 0; v < nviews; v++) {
        size_t n;
        snprintf(path, sizeof path, "/resnet/params/%s", views[v].name);
        float *p = h5fix_need(model_file, path, H5T_NATIVE_FLOAT, &n);
        if ((int64_t)n != views[v].numel) {
            printf("Bail out! %s: %zu values, model has %lld\n", views[v].name, n,
                   (long long)views[v].numel);
            return 1;
        }
        memcpy(params + views[v].offset, p, n * sizeof(float));   /* cpu: host memory */
        free(p);
    }
    float *inputs[2];
    for (int m = 0; m < 2; m++) {
        snprintf(path, sizeof path, "/resnet/inputs/%s", names[m]);
        inputs[m] = h5fix_need(model_file, path, H5T_NATIVE_FLOAT, NULL);
    }
    int32_t *labels = h5fix_need(model_file, "/resnet/labels", H5T_NATIVE_INT32, NULL);

    /* forward, CE(z) backward */
    check(asgml_model_zero_grad(model), "zero grad");
    check(asgml_model_forward(model, (const float *const *)inputs, B, 1, NULL), "forward");
    float *dlogits = calloc((size_t)B * (size_t)C, sizeof(float));
    double loss_sum;
    check(be->ops->softmax_ce(be, B, C, asgml_model_logits(model), labels, 1.0f / (float)B, NULL,
                              NULL, dlogits, &loss_sum), "softmax_ce");
    check(asgml_model_backward(model, dlogits, NULL, NULL), "backward");

    /* precondition: the model's gradients match PyTorch's */
    float *grads = asgml_model_grads(model);
    double worst_pre = 0.0;
    for (int v = 0; v < nviews; v++) {
        snprintf(path, sizeof path, "/resnet/grads/%s", views[v].name);
        float *g = h5fix_need(model_file, path, H5T_NATIVE_FLOAT, NULL);
        double e = h5fix_rel_err(grads + views[v].offset, g, (size_t)views[v].numel);
        worst_pre = e > worst_pre ? e : worst_pre;
        free(g);
    }
    ok(worst_pre < 1e-3, "precondition: model gradients vs torch, worst rel err %.2e", worst_pre);

    /* run the method's modulate hook */
    asgml_config *cfg;
    void *state;
    const asgml_method_ops *ogm = asgml_method_find("ogm-ge");
    check(asgml_config_create(&cfg), "config");
    check(ogm->create(cfg, &mc, &state), "ogm create");
    uint64_t seed = read_attr_u64(ogm_file, "seed");
    uint64_t offset = read_attr_u64(ogm_file, "offset0");
    uint64_t offset_end = read_attr_u64(ogm_file, "offset_end");
    asgml_step s;
    memset(&s, 0, sizeof s);
    s.be = be;
    s.model = model;
    s.num_modalities = 2;
    s.num_classes = C;
    s.modality_names[0] = names[0];
    s.modality_names[1] = names[1];
    s.epoch = 0;
    s.num_epochs = 100;
    s.batch_size = B;
    s.labels = labels;
    s.labels_dev = labels;
    s.seed = seed;
    s.noise_offset = &offset;
    s.encoder_active[0] = s.encoder_active[1] = 1;
    s.log = asgml_log_record_create();
    check(ogm->modulate(state, &s), "ogm modulate");

    double *score = h5fix_need(ogm_file, "/scores", H5T_NATIVE_DOUBLE, NULL);
    double *rho = h5fix_need(ogm_file, "/rho", H5T_NATIVE_DOUBLE, NULL);
    double *k = h5fix_need(ogm_file, "/k", H5T_NATIVE_DOUBLE, NULL);
    double got[6];
    int have = 1;
    have &= asgml_log_record_get(s.log, "ogm.s.audio", &got[0]) == 0;
    have &= asgml_log_record_get(s.log, "ogm.s.visual", &got[1]) == 0;
    have &= asgml_log_record_get(s.log, "ogm.rho.audio", &got[2]) == 0;
    have &= asgml_log_record_get(s.log, "ogm.rho.visual", &got[3]) == 0;
    have &= asgml_log_record_get(s.log, "ogm.k.audio", &got[4]) == 0;
    have &= asgml_log_record_get(s.log, "ogm.k.visual", &got[5]) == 0;
    ok(have, "ogm.s / ogm.rho / ogm.k logged for both modalities");
    ok(fabs(got[0] - score[0]) < 1e-4 * score[0] && fabs(got[1] - score[1]) < 1e-4 * score[1],
       "scores s = (%.6f, %.6f), torch (%.6f, %.6f)", got[0], got[1], score[0], score[1]);
    ok(fabs(got[2] - rho[0]) < 1e-4 * rho[0] && fabs(got[3] - rho[1]) < 1e-4 * rho[1],
       "rho = (%.6f, %.6f), torch (%.6f, %.6f)", got[2], got[3], rho[0], rho[1]);
    ok(fabs(got[4] - k[0]) < 1e-4 && fabs(got[5] - k[1]) < 1e-4,
       "k = (%.6f, %.6f), torch (%.6f, %.6f)", got[4], got[5], k[0], k[1]);
    ok(offset == offset_end, "noise offset advanced to %llu (expected %llu)",
       (unsigned long long)offset, (unsigned long long)offset_end);

    /* modulated conv gradients, in the fixture's order = model view order */
    hid_t a = H5Aopen(ogm_file, "order", H5P_DEFAULT);
    hid_t t = H5Aget_type(a), sp = H5Aget_space(a);
    size_t len = H5Tget_size(t);
    int norder = (int)H5Sget_simple_extent_npoints(sp);
    char *order = calloc((size_t)norder, len + 1);
    hid_t mt = H5Tcopy(H5T_C_S1);
    H5Tset_size(mt, len + 1);
    H5Aread(a, mt, order);
    int conv_in_model = 0, order_match = 1, checked = 0;
    double worst = 0.0, worst_sigma = 0.0;
    for (int v = 0; v < nviews; v++) {
        if (views[v].group > 1 || !views[v].is_conv)
            continue;
        const char *want = order + (size_t)conv_in_model * (len + 1);
        if (conv_in_model >= norder || strcmp(want, views[v].name) != 0) {
            order_match = 0;
            break;
        }
        conv_in_model++;
        size_t n;
        snprintf(path, sizeof path, "/grads/%s", views[v].name);
        float *ref = h5fix_need(ogm_file, path, H5T_NATIVE_FLOAT, &n);
        double e = h5fix_rel_err(grads + views[v].offset, ref, n);
        worst = e > worst ? e : worst;
        free(ref);
        checked++;
    }
    ok(order_match && conv_in_model == norder,
       "the model's 4-D encoder tensors come in PyTorch order (%d of %d)", conv_in_model, norder);
    ok(checked == norder && worst < 1e-3,
       "modulated conv gradients k g + sigma xi vs torch/numpy Philox: %d tensors, worst rel err %.2e",
       checked, worst);
    double sig_log[2];
    double *sig0 = NULL;
    snprintf(path, sizeof path, "/sigma/%s", order);
    sig0 = h5fix_need(ogm_file, path, H5T_NATIVE_DOUBLE, NULL);
    int have_sig = asgml_log_record_get(s.log, "ogm.sigma.audio", &sig_log[0]) == 0 &&
                   asgml_log_record_get(s.log, "ogm.sigma.visual", &sig_log[1]) == 0;
    worst_sigma = have_sig && sig_log[0] > 0 && sig_log[1] > 0 ? 0.0 : 1.0;
    ok(have_sig && worst_sigma == 0.0 && sig0[0] > 0,
       "mean sigma logged per modality (audio %.3e, visual %.3e)", have_sig ? sig_log[0] : 0,
       have_sig ? sig_log[1] : 0);

    free(sig0);
    H5Tclose(mt);
    H5Tclose(t);
    H5Sclose(sp);
    H5Aclose(a);
    free(order);
    free(score);
    free(rho);
    free(k);
    asgml_log_record_free(s.log);
    ogm->destroy(state);
    asgml_config_free(cfg);
    free(dlogits);
    free(labels);
    free(inputs[0]);
    free(inputs[1]);
    asgml_model_free(model);
    asgml_backend_destroy(be);
    H5Fclose(model_file);
    H5Fclose(ogm_file);
    return tap_done();
}
