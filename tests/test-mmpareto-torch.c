/* SPDX-License-Identifier: MIT */
/* test-mmpareto-torch.c - the mmpareto method (asgml-methods(7), MMPARETO).
 *
 * 1. The min-norm solver of two vectors (MinNormSolver._min_norm_element_
 *    from2 of GeWu-Lab/MMPareto_ICML2024 code/min_norm_solvers.py) on
 *    hand-made vectors: its three branches (x1.x2 >= x1.x1 -> 0.999,
 *    >= x2.x2 -> 0.001, else the closed form, checked against a grid
 *    search), and the cos > 0 -> (1/2, 1/2) rule.
 * 2. Consecutive SGD steps against PyTorch: tests/fixtures/methods/
 *    mmpareto.h5 (tests/fixtures/make_mmpareto_fixtures.py, the official
 *    train_epoch semantics) gives the initial parameters and the batches;
 *    per step the test runs forward, one backward per loss term into
 *    separate buffers (as the training loop's separate_terms), the method's
 *    modulate hook, and the SGD step, then compares the logged cos, w_mm,
 *    w_u, mean r and every parameter with PyTorch's (normwise relative
 *    error per tensor, fp32 tolerance; the worst is reported).
 * 3. mmpareto.norm paper: the encoder gradient is gamma |g_mm + g_u| long.
 * 4. Bad keys are refused. */
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
#include "methods/method_mmpareto.h"
#include "tap.h"

#define TOL_SIG 1e-4     /* cos, weights, r */
#define TOL_PARAM 1e-4   /* parameters after a step, normwise */
#define TOL_DELTA 1e-3   /* parameter change since the start, normwise */

static hid_t file = -1;
static asgml_backend *be;

static void check(asgml_status st, const char *what)
{
    if (st != ASGML_OK) {
        printf("Bail out! %s: %s\n", what, asgml_last_error());
        exit(1);
    }
}

/* ||a - b|| / max(||b||, 1e-30) */
static double nrel(const float *a, const float *b, size_t n)
{
    double num = 0.0, den = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a[i] - (double)b[i];
        num += d * d;
        den += (double)b[i] * (double)b[i];
    }
    return sqrt(num) / (den > 1e-60 ? sqrt(den) : 1e-30);
}

/* ---- 1. the solver ------------------------------------------------------- */

static double dot2(const double *a, const double *b) { return a[0] * b[0] + a[1] * b[1]; }

static void solver_tests(void)
{
    double cost;
    /* x1 = (1, 0), x2 = (2, 0): x1.x2 = 2 >= x1.x1 = 1 */
    double c = asgml_mmpareto_min_norm2(1.0, 2.0, 4.0, &cost);
    ok(c == 0.999 && cost == 1.0, "min-norm: x1.x2 >= x1.x1 -> 0.999 (got %g, cost %g)", c, cost);
    /* x1 = (2, 0), x2 = (1, 0): x1.x2 = 2 < 4, >= x2.x2 = 1 */
    c = asgml_mmpareto_min_norm2(4.0, 2.0, 1.0, &cost);
    ok(c == 0.001 && cost == 1.0, "min-norm: x1.x2 >= x2.x2 -> 0.001 (got %g, cost %g)", c, cost);
    /* x1 = (1, 0), x2 = (-1, 1): closed form (2 + 1) / (1 + 2 + 2) = 0.6 */
    double x1[2] = { 1, 0 }, x2[2] = { -1, 1 };
    c = asgml_mmpareto_min_norm2(dot2(x1, x1), dot2(x1, x2), dot2(x2, x2), &cost);
    double best = 1e300, cbest = -1;
    for (int i = 0; i <= 100000; i++) {
        double t = i / 100000.0, v[2] = { t * x1[0] + (1 - t) * x2[0], t * x1[1] + (1 - t) * x2[1] };
        if (dot2(v, v) < best) {
            best = dot2(v, v);
            cbest = t;
        }
    }
    ok(fabs(c - 0.6) < 1e-15 && fabs(c - cbest) < 1e-5 && fabs(cost - best) < 1e-9,
       "min-norm: closed form c = %.6f (grid %.6f), |.|^2 = %.6f (grid %.6f)", c, cbest, cost,
       best);
    double wm, wu;
    asgml_mmpareto_weights(0.3, 1.0, 0.3, 1.0, &wm, &wu);
    ok(wm == 0.5 && wu == 0.5, "cos > 0: weights (1/2, 1/2)");
    /* orthogonal (cos = 0 goes to the solver): x1 = (1, 0), x2 = (0, 2) -> 4/5 */
    asgml_mmpareto_weights(0.0, 1.0, 0.0, 4.0, &wm, &wu);
    ok(fabs(wm - 0.8) < 1e-15 && fabs(wu - 0.2) < 1e-15,
       "cos = 0: min-norm weights (%.3f, %.3f), expected (0.8, 0.2)", wm, wu);
}

/* ---- 2. steps against PyTorch --------------------------------------------- */

typedef struct run {
    asgml_model_config mc;
    asgml_model *model;
    int B, C;
    float *term[3];
    float *dlogits, *duni[2];
} run;

static const char *names[2] = { "audio", "visual" };

static void load_group(asgml_model *model, const char *grp, int params)
{
    int nv;
    char path[256];
    const asgml_param_view *views = params ? asgml_model_param_views(model, &nv)
                                           : asgml_model_buffer_views(model, &nv);
    float *dst = params ? asgml_model_params(model) : asgml_model_buffers(model);
    for (int v = 0; v < nv; v++) {
        size_t n;
        snprintf(path, sizeof path, "%s/%s", grp, views[v].name);
        float *p = h5fix_need(file, path, H5T_NATIVE_FLOAT, &n);
        if ((int64_t)n != views[v].numel) {
            printf("Bail out! %s: %zu values, model has %lld\n", path, n,
                   (long long)views[v].numel);
            exit(1);
        }
        memcpy(dst + views[v].offset, p, n * sizeof(float));   /* cpu: host memory */
        free(p);
    }
}

static void run_init(run *r)
{
    int cfgv[16];
    hid_t a = H5Aopen(file, "config", H5P_DEFAULT);
    if (a < 0 || H5Aread(a, H5T_NATIVE_INT, cfgv) < 0) {
        printf("Bail out! config attribute\n");
        exit(1);
    }
    H5Aclose(a);
    memset(r, 0, sizeof *r);
    asgml_model_config_defaults(&r->mc);
    r->mc.num_modalities = 2;
    for (int m = 0; m < 2; m++) {
        snprintf(r->mc.enc[m].name, sizeof r->mc.enc[m].name, "%s", names[m]);
        r->mc.enc[m].kind = ASGML_ENC_RESNET18;
        r->mc.enc[m].in_channels = cfgv[8 + 4 * m];
        r->mc.enc[m].in_h = cfgv[9 + 4 * m];
        r->mc.enc[m].in_w = cfgv[10 + 4 * m];
        r->mc.enc[m].frames = cfgv[11 + 4 * m];
    }
    r->mc.width = cfgv[4];
    r->mc.feature_dim = cfgv[7];
    r->mc.num_classes = cfgv[6];
    r->mc.fusion = ASGML_FUSION_CONCAT;
    r->mc.uni = ASGML_UNI_HEADS;
    r->mc.max_batch = cfgv[5];
    r->B = cfgv[5];
    r->C = cfgv[6];
    check(asgml_model_create(be, &r->mc, &r->model), "model");
    load_group(r->model, "/init/params", 1);
    load_group(r->model, "/init/buffers", 0);
    int64_t np = asgml_model_num_params(r->model);
    for (int k = 0; k < 3; k++)
        r->term[k] = calloc((size_t)np, sizeof(float));
    r->dlogits = calloc((size_t)r->B * (size_t)r->C, sizeof(float));
    for (int m = 0; m < 2; m++)
        r->duni[m] = calloc((size_t)r->B * (size_t)r->C, sizeof(float));
}

static void run_free(run *r)
{
    for (int k = 0; k < 3; k++)
        free(r->term[k]);
    free(r->dlogits);
    free(r->duni[0]);
    free(r->duni[1]);
    asgml_model_free(r->model);
}

/* forward of fixture step `step`, the three separate backwards, the sum in
 * the model's gradient, and the step record for the hooks */
static void run_terms(run *r, int step, asgml_step *s, int32_t **labels_out)
{
    char path[128];
    float *in[2];
    int B = r->B, C = r->C;
    int64_t np = asgml_model_num_params(r->model);
    double loss;
    for (int m = 0; m < 2; m++) {
        snprintf(path, sizeof path, "/step%d/inputs/%s", step, names[m]);
        in[m] = h5fix_need(file, path, H5T_NATIVE_FLOAT, NULL);
    }
    snprintf(path, sizeof path, "/step%d/labels", step);
    int32_t *labels = h5fix_need(file, path, H5T_NATIVE_INT32, NULL);
    check(asgml_model_forward(r->model, (const float *const *)in, B, 1, NULL), "forward");
    memset(r->dlogits, 0, (size_t)B * (size_t)C * sizeof(float));
    check(be->ops->softmax_ce(be, B, C, asgml_model_logits(r->model), labels, 1.0f / (float)B,
                              NULL, NULL, r->dlogits, &loss), "ce(z)");
    for (int m = 0; m < 2; m++) {
        memset(r->duni[m], 0, (size_t)B * (size_t)C * sizeof(float));
        check(be->ops->softmax_ce(be, B, C, asgml_model_unimodal_logits(r->model, m), labels,
                                  1.0f / (float)B, NULL, NULL, r->duni[m], &loss), "ce(u)");
    }
    float *g = asgml_model_grads(r->model);
    for (int k = 0; k < 3; k++) {
        const float *one[2] = { NULL, NULL };
        check(asgml_model_zero_grad(r->model), "zero grad");
        if (k == 0)
            check(asgml_model_backward(r->model, r->dlogits, NULL, NULL), "backward z");
        else {
            one[k - 1] = r->duni[k - 1];
            check(asgml_model_backward(r->model, NULL, one, NULL), "backward u");
        }
        memcpy(r->term[k], g, (size_t)np * sizeof(float));
    }
    memset(g, 0, (size_t)np * sizeof(float));
    for (int k = 0; k < 3; k++)
        for (int64_t i = 0; i < np; i++)
            g[i] += r->term[k][i];
    memset(s, 0, sizeof *s);
    s->be = be;
    s->model = r->model;
    s->num_modalities = 2;
    s->num_classes = C;
    s->modality_names[0] = names[0];
    s->modality_names[1] = names[1];
    s->step = step;
    s->batch_size = B;
    s->labels = labels;
    s->labels_dev = labels;
    s->encoder_active[0] = s->encoder_active[1] = 1;
    s->uni_weight[0] = s->uni_weight[1] = 1.0f;
    s->fused_weight = 1.0f;
    s->log = asgml_log_record_create();
    for (int k = 0; k < 3; k++)
        s->term_grads[k] = r->term[k];
    free(in[0]);
    free(in[1]);
    *labels_out = labels;
}

static void torch_steps(void)
{
    run r;
    asgml_config *cfg;
    void *state;
    const asgml_method_ops *ops = asgml_method_find("mmpareto");
    int steps = 0;
    double gamma = 0, lr = 0, mom = 0, wd = 0;
    hid_t a;
#define ATTR(name, type, var)                                                             \
    a = H5Aopen(file, name, H5P_DEFAULT);                                                \
    if (a < 0 || H5Aread(a, type, &var) < 0) { printf("Bail out! attr %s\n", name); exit(1); } \
    H5Aclose(a)
    ATTR("steps", H5T_NATIVE_INT, steps);
    ATTR("gamma", H5T_NATIVE_DOUBLE, gamma);
    ATTR("lr", H5T_NATIVE_DOUBLE, lr);
    ATTR("momentum", H5T_NATIVE_DOUBLE, mom);
    ATTR("weight_decay", H5T_NATIVE_DOUBLE, wd);
#undef ATTR
    ok(ops != NULL && ops->needs & ASGML_NEEDS_UNI_HEADS, "mmpareto registered, needs heads");
    if (!ops)
        return;
    run_init(&r);
    check(asgml_config_create(&cfg), "config");
    check(ops->create(cfg, &r.mc, &state), "create");
    asgml_optim_config oc;
    asgml_optim_config_defaults(&oc);
    oc.lr = lr;
    oc.momentum = mom;
    oc.weight_decay = wd;
    asgml_optim *opt = NULL;
    check(asgml_optim_create(r.model, &oc, &opt), "optim");

    int nv;
    const asgml_param_view *views = asgml_model_param_views(r.model, &nv);
    int64_t np = asgml_model_num_params(r.model);
    float *p0 = malloc((size_t)np * sizeof(float));
    memcpy(p0, asgml_model_params(r.model), (size_t)np * sizeof(float));
    double worst_sig = 0, worst_p = 0, worst_d = 0;
    int min_norm_steps = 0, equal_steps = 0, logged = 1;
    char worst_name[128] = "";
    for (int t = 0; t < steps; t++) {
        asgml_step s;
        int32_t *labels;
        char path[192];
        run_terms(&r, t, &s, &labels);
        s.separate_terms = 0;
        check(ops->before_backward(state, &s), "before_backward");
        ok(s.separate_terms == 1, "step %d: before_backward asks for separate terms", t);
        check(ops->modulate(state, &s), "modulate");
        static const char *what[4] = { "cos", "w_mm", "w_u", "r" };
        for (int k = 0; k < 4; k++) {
            snprintf(path, sizeof path, "/step%d/%s", t, what[k]);
            double *ref = h5fix_need(file, path, H5T_NATIVE_DOUBLE, NULL);
            for (int m = 0; m < 2; m++) {
                char key[64];
                double got;
                snprintf(key, sizeof key, "mmpareto.%s.%s", what[k], names[m]);
                if (asgml_log_record_get(s.log, key, &got) != 0) {
                    logged = 0;
                    continue;
                }
                double e = fabs(got - ref[m]) / (fabs(ref[m]) > 1 ? fabs(ref[m]) : 1.0);
                worst_sig = e > worst_sig ? e : worst_sig;
                if (k == 1 && ref[m] != 0.5)
                    min_norm_steps++;
                if (k == 1 && ref[m] == 0.5)
                    equal_steps++;
                if (k == 0)
                    tap_diag("step %d %s: cos %.6f (torch %.6f)", t, names[m], got, ref[m]);
            }
            free(ref);
        }
        check(asgml_optim_step(opt, NULL), "optim step");
        const float *pc = asgml_model_params(r.model);
        for (int v = 0; v < nv; v++) {
            snprintf(path, sizeof path, "/step%d/params/%s", t, views[v].name);
            float *ref = h5fix_need(file, path, H5T_NATIVE_FLOAT, NULL);
            size_t n = (size_t)views[v].numel;
            double e = nrel(pc + views[v].offset, ref, n);
            if (getenv("MMP_DEBUG") && e > 1e-5)
                tap_diag("step %d %s: %.2e", t, views[v].name, e);
            if (e > worst_p) {
                worst_p = e;
                snprintf(worst_name, sizeof worst_name, "step %d %s", t, views[v].name);
            }
            float *dc = malloc(n * sizeof(float)), *dr = malloc(n * sizeof(float));
            for (size_t i = 0; i < n; i++) {
                dc[i] = pc[views[v].offset + (int64_t)i] - p0[views[v].offset + (int64_t)i];
                dr[i] = ref[i] - p0[views[v].offset + (int64_t)i];
            }
            double ed = nrel(dc, dr, n);
            if (getenv("MMP_DEBUG") && t == 0)
                tap_diag("delta step %d %s: %.2e", t, views[v].name, ed);
            worst_d = ed > worst_d ? ed : worst_d;
            free(dc);
            free(dr);
            free(ref);
        }
        asgml_log_record_free(s.log);
        free(labels);
    }
    ok(logged, "mmpareto.cos / w_mm / w_u / r logged for both encoders every step");
    ok(min_norm_steps > 0 && equal_steps > 0,
       "the fixture covers both rules: %d min-norm and %d equal-weight encoder steps",
       min_norm_steps, equal_steps);
    ok(worst_sig < TOL_SIG, "cos, w_mm, w_u, mean r vs torch over %d steps: worst rel err %.2e",
       steps, worst_sig);
    ok(worst_p < TOL_PARAM, "parameters after each of %d SGD steps vs torch: worst normwise rel "
       "err %.2e (%s)", steps, worst_p, worst_name);
    ok(worst_d < TOL_DELTA, "parameter change since the start vs torch: worst normwise rel err "
       "%.2e", worst_d);
    free(p0);
    asgml_optim_free(opt);
    ops->destroy(state);
    asgml_config_free(cfg);
    run_free(&r);
}

/* ---- 3. the paper norm ------------------------------------------------------ */

static void paper_norm(void)
{
    run r;
    asgml_config *cfg;
    void *state;
    asgml_step s;
    int32_t *labels;
    const asgml_method_ops *ops = asgml_method_find("mmpareto");
    if (!ops)
        return;
    run_init(&r);
    check(asgml_config_create(&cfg), "config");
    check(asgml_config_set(cfg, "mmpareto.norm", "paper", "test"), "set");
    check(asgml_config_set(cfg, "mmpareto.gamma", "2", "test"), "set");
    check(ops->create(cfg, &r.mc, &state), "create");
    run_terms(&r, 0, &s, &labels);
    check(ops->before_backward(state, &s), "before_backward");
    check(ops->modulate(state, &s), "modulate");
    double worst = 0.0, worst_dir = 0.0;
    for (int m = 0; m < 2; m++) {
        int64_t off, cnt;
        double wm, gg = 0, ss = 0, hh = 0, gh = 0;
        char key[64];
        snprintf(key, sizeof key, "mmpareto.w_mm.%s", names[m]);
        asgml_log_record_get(s.log, key, &wm);
        asgml_model_group_span(r.model, m, &off, &cnt);
        const float *g = asgml_model_grads(r.model) + off;
        for (int64_t i = 0; i < cnt; i++) {
            double x1 = r.term[0][off + i], x2 = r.term[1 + m][off + i];
            double h = 2 * wm * x1 + 2 * (1 - wm) * x2;
            gg += (double)g[i] * g[i];
            ss += (x1 + x2) * (x1 + x2);
            hh += h * h;
            gh += (double)g[i] * h;
        }
        double e = fabs(sqrt(gg) - 2.0 * sqrt(ss)) / (2.0 * sqrt(ss));
        worst = e > worst ? e : worst;
        double d = 1.0 - gh / (sqrt(gg) * sqrt(hh));
        worst_dir = d > worst_dir ? d : worst_dir;
    }
    ok(worst < 1e-5 && worst_dir < 1e-6,
       "norm paper: |grad_m| = gamma |g_mm + g_u| (rel err %.1e), along h (1 - cos %.1e)", worst,
       worst_dir);
    asgml_log_record_free(s.log);
    free(labels);
    ops->destroy(state);
    asgml_config_free(cfg);
    run_free(&r);
}

/* ---- 4. keys ---------------------------------------------------------------- */

static void bad_keys(void)
{
    const asgml_method_ops *ops = asgml_method_find("mmpareto");
    static const char *const bad[][2] = {
        { "mmpareto.norm", "both" }, { "mmpareto.gamma", "0" }, { "mmpareto.gamma", "-1" },
    };
    asgml_model_config mc;
    asgml_model_config_defaults(&mc);
    mc.num_modalities = 2;
    for (size_t i = 0; ops && i < sizeof bad / sizeof bad[0]; i++) {
        asgml_config *cfg;
        void *state = NULL;
        check(asgml_config_create(&cfg), "config");
        check(asgml_config_set(cfg, bad[i][0], bad[i][1], "test"), "set");
        asgml_status st = ops->create(cfg, &mc, &state);
        ok(st == ASGML_EINVAL && state == NULL, "%s=%s refused: %s", bad[i][0], bad[i][1],
           st ? asgml_last_error() : "accepted");
        asgml_config_free(cfg);
    }
}

int main(void)
{
    const char *top = getenv("top_srcdir");
    char path[1024];

    tap_plan(5 + 1 + 3 + 5 + 1 + 3);
    solver_tests();
    snprintf(path, sizeof path, "%s/tests/fixtures/methods/mmpareto.h5", top ? top : ".");
    file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) {
        printf("Bail out! cannot open %s\n", path);
        return 1;
    }
    asgml_backend_options bo = { 1, 1, -1, 0 };
    check(asgml_backend_create("cpu", &bo, &be), "cpu backend");
    torch_steps();
    paper_norm();
    bad_keys();
    asgml_backend_destroy(be);
    H5Fclose(file);
    return tap_done();
}
