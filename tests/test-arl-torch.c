/* SPDX-License-Identifier: MIT */
/* test-arl-torch.c - the arl method (asgml-methods(7), ARL) against PyTorch:
 * tests/fixtures/methods/arl.h5 (tests/fixtures/make_arl_fixtures.py) holds
 * a reduced two-modality model (MLP encoders, concat head, zero-provider
 * unimodal logits), its batches, and the per-step signals and parameters of
 * consecutive SGD steps (one in epoch e_s, the rest in e_s + 1) for the
 * paper and the released-code weights.  Here the same steps run through the
 * method's hooks: H1 (gamma_e as uni_weight), loss + backward, H2 (H, q, d,
 * a, encoder gradients x (1 + a_m), clip), optimiser step.
 * Then the e_s boundary on its own: epoch e_s leaves the gradients alone
 * with gamma_e 1, epoch e_s + 1 scales them by 1 + a_m with gamma_e gamma. */
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
#include "h5fixture.h"
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

static double rel1(double a, double b)
{
    return fabs(a - b) / (fabs(b) > 1e-12 ? fabs(b) : 1e-12);
}

enum { B = 6, C = 5, D = 8 };
static const char *names[2] = { "audio", "visual" };
static asgml_backend *be;
static asgml_model_config mc;

static asgml_model *make_model(void)
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
    mc.uni = ASGML_UNI_ZERO;
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

static void step_init(asgml_step *s, asgml_model *model, const int32_t *labels, int epoch)
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
    s->uni_weight[0] = s->uni_weight[1] = 0.0f;
    s->fused_weight = 1.0f;
    s->log = asgml_log_record_create();
}

/* forward, H1, loss = CE(z) + sum_m uni_weight[m] CE(u_m), backward */
static void forward_backward(const asgml_method_ops *ops, void *state, asgml_step *s,
                             float *const *x, const int32_t *labels)
{
    static float dl[B * C], du[2][B * C];
    const float *duni[2] = { du[0], du[1] };
    double sum;
    check(asgml_model_zero_grad(s->model), "zero grad");
    check(asgml_model_forward(s->model, (const float *const *)x, B, 1, NULL), "forward");
    check(ops->before_backward(state, s), "before_backward");
    memset(dl, 0, sizeof dl);
    memset(du, 0, sizeof du);
    check(be->ops->softmax_ce(be, B, C, asgml_model_logits(s->model), labels, 1.0f / B, NULL,
                              NULL, dl, &sum), "softmax_ce z");
    for (int m = 0; m < 2; m++)
        check(be->ops->softmax_ce(be, B, C, asgml_model_unimodal_logits(s->model, m), labels,
                                  s->uni_weight[m] / B, NULL, NULL, du[m], &sum), "softmax_ce u");
    check(asgml_model_backward(s->model, dl, duni, NULL), "backward");
}

static double run_variant(const char *variant, int nsteps, double *worst_sig)
{
    char path[256], buf[64];
    asgml_model *model = make_model();
    asgml_optim *opt;
    asgml_optim_config oc;
    asgml_config *cfg;
    void *state;
    const asgml_method_ops *ops = asgml_method_find("arl");
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
    const char *keys[4] = { "T", "gamma", "es", "clip" };
    for (int k = 0; k < 4; k++) {
        char key[32], val[32];
        snprintf(key, sizeof key, "arl.%s", keys[k]);
        snprintf(val, sizeof val, "%.17g", read_attr(path, keys[k]));
        check(asgml_config_set(cfg, key, val, "test"), "config set");
    }
    check(asgml_config_set(cfg, "arl.weights", variant, "test"), "config set");
    check(ops->create(cfg, &mc, &state), "arl create");
    if (strcmp(variant, "code") == 0) {   /* a finished epoch with acc_1 + acc_2 != 0 */
        asgml_step s;
        step_init(&s, model, NULL, 0);
        s.val_acc_uni[0] = s.val_acc_uni[1] = NAN;
        s.test_acc_uni[0] = 0.4;
        s.test_acc_uni[1] = 0.3;
        check(ops->epoch_end(state, &s), "epoch_end");
        asgml_log_record_free(s.log);
    }
    *worst_sig = 0.0;
    for (int k = 0; k < nsteps; k++) {
        float *x[2];
        asgml_step s;
        snprintf(path, sizeof path, "/%s/batch%d/audio", variant, k);
        x[0] = h5fix_need(fix, path, H5T_NATIVE_FLOAT, NULL);
        snprintf(path, sizeof path, "/%s/batch%d/visual", variant, k);
        x[1] = h5fix_need(fix, path, H5T_NATIVE_FLOAT, NULL);
        snprintf(path, sizeof path, "/%s/batch%d/labels", variant, k);
        int32_t *labels = h5fix_need(fix, path, H5T_NATIVE_INT32, NULL);
        snprintf(path, sizeof path, "/%s/batch%d", variant, k);
        int epoch = (int)read_attr(path, "epoch");
        step_init(&s, model, labels, epoch);
        forward_backward(ops, state, &s, x, labels);
        check(ops->modulate(state, &s), "modulate");
        check(asgml_optim_step(opt, NULL), "optim step");

        /* signals */
        const char *sig[4] = { "H", "q", "d", "a" };
        double sworst = 0.0, got;
        int have = 1;
        for (int j = 0; j < 4; j++) {
            snprintf(path, sizeof path, "/%s/step%d/%s", variant, k, sig[j]);
            double *ref = h5fix_need(fix, path, H5T_NATIVE_DOUBLE, NULL);
            for (int m = 0; m < 2; m++) {
                snprintf(buf, sizeof buf, "arl.%s.%s", sig[j], names[m]);
                have &= asgml_log_record_get(s.log, buf, &got) == 0;
                double e = rel1(got, ref[m]);
                sworst = e > sworst ? e : sworst;
            }
            free(ref);
        }
        snprintf(path, sizeof path, "/%s/step%d", variant, k);
        double ge_ref = read_attr(path, "gamma_e"), fired_ref = read_attr(path, "clip_fired");
        double norm_ref = read_attr(path, "clip_norm"), ge = -1, fired = -1, norm = -1;
        have &= asgml_log_record_get(s.log, "arl.gamma_e", &ge) == 0;
        have &= asgml_log_record_get(s.log, "arl.clip.fired", &fired) == 0;
        have &= asgml_log_record_get(s.log, "arl.clip.norm", &norm) == 0;
        ok(have && sworst < 1e-4 && ge == ge_ref && fired == fired_ref &&
           rel1(norm, norm_ref) < 1e-4,
           "%s step %d (epoch %d): H q d a vs torch worst rel err %.2e; gamma_e %g (%g); "
           "clip norm %.5f (%.5f) fired %g (%g)", variant, k, epoch, sworst, ge, ge_ref,
           norm, norm_ref, fired, fired_ref);
        *worst_sig = sworst > *worst_sig ? sworst : *worst_sig;

        /* parameters after the step */
        double pworst = 0.0;
        float *params = asgml_model_params(model);
        for (int v = 0; v < nviews; v++) {
            snprintf(path, sizeof path, "/%s/step%d/params/%s", variant, k, views[v].name);
            float *ref = h5fix_need(fix, path, H5T_NATIVE_FLOAT, NULL);
            double e = h5fix_rel_err(params + views[v].offset, ref, (size_t)views[v].numel);
            pworst = e > pworst ? e : pworst;
            free(ref);
        }
        ok(pworst < 1e-5, "%s step %d: parameters after the step vs torch, worst rel err %.2e",
           variant, k, pworst);
        worst = pworst > worst ? pworst : worst;
        asgml_log_record_free(s.log);
        free(x[0]);
        free(x[1]);
        free(labels);
    }
    ops->destroy(state);
    asgml_config_free(cfg);
    asgml_optim_free(opt);
    asgml_model_free(model);
    return worst;
}

/* e_s boundary: same batch at epoch es and es + 1, clip off */
static void boundary(void)
{
    asgml_model *model = make_model();
    asgml_config *cfg;
    void *state;
    const asgml_method_ops *ops = asgml_method_find("arl");
    int64_t n = asgml_model_num_params(model);
    float *x[2];
    int32_t *labels = h5fix_need(fix, "/paper/batch1/labels", H5T_NATIVE_INT32, NULL);
    x[0] = h5fix_need(fix, "/paper/batch1/audio", H5T_NATIVE_FLOAT, NULL);
    x[1] = h5fix_need(fix, "/paper/batch1/visual", H5T_NATIVE_FLOAT, NULL);
    load_params(model, "/paper/params0");
    check(asgml_config_create(&cfg), "config");
    check(asgml_config_set(cfg, "arl.es", "3", "test"), "config set");
    check(asgml_config_set(cfg, "arl.clip", "0", "test"), "config set");
    check(ops->create(cfg, &mc, &state), "arl create");

    float *g[2][2];   /* [epoch es / es+1][before / after H2] */
    double a[2] = { 0, 0 }, ge[2] = { 0, 0 };
    for (int k = 0; k < 2; k++) {
        asgml_step s;
        step_init(&s, model, labels, 3 + k);
        forward_backward(ops, state, &s, x, labels);
        g[k][0] = malloc((size_t)n * sizeof(float));
        g[k][1] = malloc((size_t)n * sizeof(float));
        memcpy(g[k][0], asgml_model_grads(model), (size_t)n * sizeof(float));
        check(ops->modulate(state, &s), "modulate");
        memcpy(g[k][1], asgml_model_grads(model), (size_t)n * sizeof(float));
        asgml_log_record_get(s.log, "arl.gamma_e", &ge[k]);
        if (k == 1) {
            asgml_log_record_get(s.log, "arl.a.audio", &a[0]);
            asgml_log_record_get(s.log, "arl.a.visual", &a[1]);
        }
        ok(s.uni_weight[0] == (k ? 4.0f : 1.0f) && s.uni_weight[1] == s.uni_weight[0],
           "epoch %d (e_s 3): uni_weight %g (gamma_e %g)", 3 + k, s.uni_weight[0], ge[k]);
        asgml_log_record_free(s.log);
    }
    ok(memcmp(g[0][0], g[0][1], (size_t)n * sizeof(float)) == 0,
       "epoch e_s: H2 leaves every gradient unchanged");
    int nviews, scaled = 1, rest = 1;
    const asgml_param_view *views = asgml_model_param_views(model, &nviews);
    for (int v = 0; v < nviews; v++)
        for (int64_t i = 0; i < views[v].numel; i++) {
            float before = g[1][0][views[v].offset + i], after = g[1][1][views[v].offset + i];
            if (views[v].group == 0 || views[v].group == 1) {
                float want = (float)(1.0 + a[views[v].group]) * before;
                scaled &= fabsf(after - want) <= 1e-6f * fabsf(want);
            } else
                rest &= after == before;
        }
    ok(scaled && rest && a[0] > 0 && a[1] > 0 && fabs(a[0] + a[1] - 1) < 1e-12,
       "epoch e_s+1: encoder-m gradients x (1 + a_m) (a = %.4f, %.4f), fusion untouched",
       a[0], a[1]);
    for (int k = 0; k < 2; k++) {
        free(g[k][0]);
        free(g[k][1]);
    }
    ops->destroy(state);
    asgml_config_free(cfg);
    asgml_model_free(model);
    free(labels);
    free(x[0]);
    free(x[1]);
}

int main(void)
{
    const char *top = getenv("top_srcdir");
    char path[1024];
    double wsig_p, wsig_c;

    snprintf(path, sizeof path, "%s/tests/fixtures/methods/arl.h5", top ? top : ".");
    fix = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (fix < 0) {
        printf("Bail out! cannot open %s\n", path);
        return 1;
    }
    int nsteps = (int)read_attr("/", "nsteps");
    tap_plan(4 * nsteps + 5);
    asgml_backend_options bo = { 1, 1, -1, 0 };
    check(asgml_backend_create("cpu", &bo, &be), "cpu backend");

    double wp = run_variant("paper", nsteps, &wsig_p);
    double wc = run_variant("code", nsteps, &wsig_c);
    printf("# worst relative error: parameters paper %.3e code %.3e; signals paper %.3e "
           "code %.3e\n", wp, wc, wsig_p, wsig_c);
    boundary();
    {
        asgml_config *cfg;
        void *state = NULL;
        check(asgml_config_create(&cfg), "config");
        check(asgml_config_set(cfg, "arl.weights", "bogus", "test"), "config set");
        ok(asgml_method_find("arl")->create(cfg, &mc, &state) == ASGML_EINVAL && !state,
           "arl.weights=bogus is rejected");
        asgml_config_free(cfg);
    }
    asgml_backend_destroy(be);
    H5Fclose(fix);
    return tap_done();
}
