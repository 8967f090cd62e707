/* SPDX-License-Identifier: MIT */
/* test-optim.c - asgml_optim and asgml_schedule_lr against PyTorch.
 *
 * Fixture group "optim" of tests/fixtures/model/model.h5: a small concat
 * MLP model's parameters (by state_dict name), four steps of fixed
 * gradients and torch's parameters after each step for SGD (momentum 0.9,
 * dampening 0.1, wd 1e-3), SGD Nesterov (wd 1e-3), Adam and AdamW (betas
 * 0.9/0.99, eps 1e-6, wd 1e-2); the audio encoder runs at 2x the base lr
 * (group multiplier) and the visual encoder is inactive at step index 2
 * (torch: grad None, so neither decay nor momentum nor step count move).
 * Normwise relative error < 1e-5 per step; the inactive step must leave
 * the visual encoder bit-identical.  Group "schedule": StepLR(3, 0.5),
 * MultiStepLR([2,5,9], 0.1), CosineAnnealingLR(7, 1e-3) over 12 epochs,
 * relative error < 1e-9. */
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgml/model.h"
#include "asgml/optim.h"
#include "h5fixture.h"
#include "tap.h"

#define TOL_STEP 1e-5

static asgml_backend *be;
static hid_t file = -1;

/* group/<view name> -> dst (backend) for every view; 1 if all found */
static int load(const char *group, const asgml_param_view *v, int nv, float *dst)
{
    int good = 1;
    for (int i = 0; i < nv; i++) {
        size_t n = 0;
        float *h = h5fix_read(file, group, v[i].name, H5T_NATIVE_FLOAT, &n);
        if (!h || (int64_t)n != v[i].numel) good = 0;
        else be->ops->to_device(be, dst + v[i].offset, h, n * sizeof(float));
        free(h);
    }
    return good;
}

/* max normwise relative error of the parameters against group/<name> */
static double compare(const char *group, const asgml_param_view *v, int nv, const float *host)
{
    double mx = 0;
    for (int i = 0; i < nv; i++) {
        size_t n = 0;
        float *t = h5fix_read(file, group, v[i].name, H5T_NATIVE_FLOAT, &n);
        if (!t || (int64_t)n != v[i].numel) {
            free(t);
            return INFINITY;
        }
        double num = 0, den = 0;
        for (size_t j = 0; j < n; j++) {
            double d = (double)host[v[i].offset + j] - t[j];
            num += d * d;
            den += (double)t[j] * t[j];
        }
        double e = sqrt(num) / (den > 0 ? sqrt(den) : 1e-30);
        if (!(e <= mx)) mx = e;
        free(t);
    }
    return mx;
}

static void run_optimiser(asgml_model *model, const char *oname, asgml_optim_kind kind,
                          double lr, double wd, int nesterov, double dampening)
{
    int nv;
    const asgml_param_view *v = asgml_model_param_views(model, &nv);
    int64_t np = asgml_model_num_params(model);
    float *params = asgml_model_params(model), *grads = asgml_model_grads(model);
    float *before = malloc((size_t)np * sizeof *before), *after = malloc((size_t)np * sizeof *after);
    ok(load("optim/params", v, nv, params), "%s: parameters loaded by name", oname);

    asgml_optim_config oc;
    asgml_optim_config_defaults(&oc);
    oc.kind = kind;
    oc.lr = lr;
    oc.weight_decay = wd;
    oc.momentum = 0.9;
    oc.dampening = dampening;
    oc.nesterov = nesterov;
    oc.beta1 = 0.9;
    oc.beta2 = 0.99;
    oc.eps = 1e-6;
    oc.group_lr_mult[0] = 2.0;
    asgml_optim *opt = NULL;
    if (!ok(asgml_optim_create(model, &oc, &opt) == ASGML_OK, "%s: created", oname)) {
        tap_diag("%s", asgml_last_error());
        free(before);
        free(after);
        return;
    }
    ok(fabs(asgml_optim_group_lr(opt, 0) - 2 * lr) < 1e-15 &&
       fabs(asgml_optim_group_lr(opt, 1) - lr) < 1e-15 &&
       fabs(asgml_optim_group_lr(opt, ASGML_GROUP_FUSION) - lr) < 1e-15,
       "%s: group learning rates %g / %g / %g", oname, asgml_optim_group_lr(opt, 0),
       asgml_optim_group_lr(opt, 1), asgml_optim_group_lr(opt, ASGML_GROUP_FUSION));
    double worst = 0;
    int untouched = 1;
    for (int s = 0; s < 4; s++) {
        char g[64];
        snprintf(g, sizeof g, "optim/grads%d", s);
        load(g, v, nv, grads);
        be->ops->to_host(be, before, params, (size_t)np * sizeof(float));
        int active[2] = { 1, s != 2 };
        asgml_status st = asgml_optim_step(opt, active);
        if (st != ASGML_OK) tap_diag("step %d: %s", s, asgml_last_error());
        be->ops->to_host(be, after, params, (size_t)np * sizeof(float));
        snprintf(g, sizeof g, "optim/%s/step%d", oname, s);
        double e = compare(g, v, nv, after);
        if (!(e <= worst)) worst = e;
        if (s == 2) {
            int64_t off, cnt;
            asgml_model_group_span(model, 1, &off, &cnt);
            untouched = cnt > 0 && !memcmp(before + off, after + off, (size_t)cnt * sizeof(float));
        }
    }
    ok(worst < TOL_STEP, "%s: parameters after each of 4 steps, max rel err %.2e", oname, worst);
    ok(untouched, "%s: inactive encoder bit-identical in its skipped step", oname);
    const int64_t *steps = asgml_optim_view_steps(opt);
    int counts = 1;
    for (int i = 0; i < nv; i++) counts &= steps[i] == (v[i].group == 1 ? 3 : 4);
    ok(counts, "%s: per-view step counts (inactive group 3, others 4)", oname);
    asgml_optim_free(opt);
    free(before);
    free(after);
}

static void run_schedule(const char *name, const asgml_schedule *s)
{
    size_t n = 0;
    double *ref = h5fix_read(file, "schedule", name, H5T_NATIVE_DOUBLE, &n);
    double mx = ref ? 0 : INFINITY;
    for (size_t e = 0; ref && e < n; e++) {
        double lr = asgml_schedule_lr(s, 0.1, (int)e);
        double r = fabs(lr - ref[e]) / ref[e];
        if (!(r <= mx)) mx = r;
    }
    ok(mx < 1e-9, "schedule %s: %zu epochs, max rel err %.2e", name, n, mx);
    free(ref);
}

int main(void)
{
    if (asgml_backend_create("cpu", NULL, &be) != ASGML_OK) {
        printf("Bail out! %s\n", asgml_last_error());
        return 1;
    }
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    const char *top = getenv("top_srcdir");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fixtures/model/model.h5", top ? top : ".");
    file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) {
        printf("Bail out! cannot open %s\n", path);
        return 1;
    }
    /* the fixture's model: MLP encoders 12->16->8 and 10->16->8, concat, 5 classes */
    asgml_model_config c;
    asgml_model_config_defaults(&c);
    c.enc[0].kind = c.enc[1].kind = ASGML_ENC_MLP;
    c.enc[0].in_dim = 12;
    c.enc[1].in_dim = 10;
    c.enc[0].hidden = c.enc[1].hidden = 16;
    c.feature_dim = 8;
    c.num_classes = 5;
    c.max_batch = 2;
    asgml_model *model = NULL;
    if (asgml_model_create(be, &c, &model) != ASGML_OK) {
        printf("Bail out! %s\n", asgml_last_error());
        return 1;
    }
    run_optimiser(model, "sgd", ASGML_OPTIM_SGD, 0.05, 1e-3, 0, 0.1);
    run_optimiser(model, "nesterov", ASGML_OPTIM_SGD, 0.05, 1e-3, 1, 0.0);
    run_optimiser(model, "adam", ASGML_OPTIM_ADAM, 0.01, 1e-2, 0, 0.0);
    run_optimiser(model, "adamw", ASGML_OPTIM_ADAMW, 0.01, 1e-2, 0, 0.0);

    asgml_optim_config bad;
    asgml_optim_config_defaults(&bad);
    bad.nesterov = 1;
    bad.dampening = 0.5;
    asgml_optim *o = NULL;
    ok(asgml_optim_create(model, &bad, &o) == ASGML_EINVAL && !o,
       "Nesterov with dampening refused (as PyTorch)");

    asgml_schedule s;
    memset(&s, 0, sizeof s);
    s.kind = ASGML_SCHED_STEP;
    s.step_size = 3;
    s.gamma = 0.5;
    run_schedule("step", &s);
    s.kind = ASGML_SCHED_MULTISTEP;
    s.gamma = 0.1;
    s.num_milestones = 3;
    s.milestones[0] = 2;
    s.milestones[1] = 5;
    s.milestones[2] = 9;
    run_schedule("multistep", &s);
    s.kind = ASGML_SCHED_COSINE;
    s.t_max = 7;
    s.eta_min = 1e-3;
    run_schedule("cosine", &s);
    s.kind = ASGML_SCHED_CONSTANT;
    ok(asgml_schedule_lr(&s, 0.1, 50) == 0.1, "constant schedule");
    /* asgml-methods(7), OPTIMISER AND SCHEDULE: StepLR 70 / 0.1 from 1e-3 */
    s.kind = ASGML_SCHED_STEP;
    s.step_size = 70;
    s.gamma = 0.1;
    ok(asgml_schedule_lr(&s, 1e-3, 69) == 1e-3 && fabs(asgml_schedule_lr(&s, 1e-3, 70) - 1e-4) < 1e-18,
       "StepLR(70, 0.1): epoch 69 at 1e-3, epoch 70 at 1e-4");

    asgml_model_free(model);
    H5Fclose(file);
    asgml_backend_destroy(be);
    return tap_done();
}
