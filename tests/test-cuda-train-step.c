/* SPDX-License-Identifier: MIT */
/* test-cuda-train-step.c - whole training steps on the cuda backend against
 * the cpu backend.
 *
 * A small two-modality model (ResNet encoders of width 4, one block per
 * stage; audio 1x40x24, visual 3x32x32 with T = 2 frames folded into the
 * batch; heads provider, 4 classes, batch 8) starts from the same seeded
 * parameters on both backends and takes three canonical steps
 * (asgml-methods(7), TRAINING STEP): forward, H1, loss CE(z) + sum_m w_m CE(u_m), backward,
 * grad_norm_pre, H2 = OGM-GE (asgml-ref variant, GE noise from the shared
 * Philox stream) then ASGML boost (probes every step, so the scales move),
 * optimiser step (SGD, momentum, weight decay), H4.  After every step the
 * losses, gradient norms, parameters and BN running statistics must agree.
 * TF32 is off and algorithms deterministic on the device, so the remaining
 * differences are float summation order.  Without a device: SKIP. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "asgml/backend.h"
#include "asgml/config.h"
#include "asgml/method.h"
#include "asgml/model.h"
#include "asgml/optim.h"
#include "tap.h"

#define B 8
#define C 4
#define STEPS 3
#define NMOD 2

typedef struct side {
    const char *name;
    asgml_backend *be;
    asgml_model *model;
    asgml_optim *opt;
    asgml_config *cfg;
    const asgml_method_ops *meth[2];
    void *state[2];
    float *x_dev[NMOD], *dz, *du[NMOD];
    int32_t *labels_dev;
    uint64_t noise_offset;
    asgml_log_record *log;
    double loss[STEPS], norm[STEPS][NMOD];
} side;

static float *host_in[NMOD];
static int32_t labels[B];
static int64_t in_numel[NMOD];

static void model_config(asgml_model_config *c)
{
    asgml_model_config_defaults(c);
    c->num_modalities = NMOD;
    c->width = 4;
    for (int i = 0; i < 4; i++) c->blocks[i] = 1;
    c->feature_dim = 8 * c->width;
    c->num_classes = C;
    c->fusion = ASGML_FUSION_CONCAT;
    c->uni = ASGML_UNI_HEADS;
    c->max_batch = B;
    asgml_encoder_config *a = &c->enc[0], *v = &c->enc[1];
    strcpy(a->name, "audio");
    a->kind = ASGML_ENC_RESNET18;
    a->in_channels = 1, a->in_h = 40, a->in_w = 24, a->frames = 1;
    strcpy(v->name, "visual");
    v->kind = ASGML_ENC_RESNET18;
    v->in_channels = 3, v->in_h = 32, v->in_w = 32, v->frames = 2;
}

#define TRY(call)                                                                  \
    do {                                                                           \
        asgml_status st_ = (call);                                                 \
        if (st_ != ASGML_OK) {                                                     \
            tap_diag("%s: %s: %s", s->name, #call, asgml_last_error());            \
            return st_;                                                            \
        }                                                                          \
    } while (0)

static asgml_status side_setup(side *s, asgml_backend *be)
{
    asgml_model_config mc;
    model_config(&mc);
    s->be = be;
    TRY(asgml_model_create(be, &mc, &s->model));
    TRY(asgml_model_init_params(s->model, 1234));
    asgml_optim_config oc;
    asgml_optim_config_defaults(&oc);
    oc.lr = 0.05;   /* large enough for three steps to move every parameter */
    TRY(asgml_optim_create(s->model, &oc, &s->opt));
    TRY(asgml_config_create(&s->cfg));
    TRY(asgml_config_set(s->cfg, "ogm-ge.variant", "asgml-ref", "test"));
    TRY(asgml_config_set(s->cfg, "asgml-boost.eval-freq", "1", "test"));
    TRY(asgml_config_set(s->cfg, "asgml-boost.probe-steps", "3", "test"));
    /* H2 order by h2_rank: ogm-ge, then asgml-boost */
    s->meth[0] = asgml_method_find("ogm-ge");
    s->meth[1] = asgml_method_find("asgml-boost");
    if (!s->meth[0] || !s->meth[1]) return asgml_error(ASGML_EINTERNAL, "methods not registered");
    for (int k = 0; k < 2; k++) TRY(s->meth[k]->create(s->cfg, &mc, &s->state[k]));
    for (int m = 0; m < NMOD; m++) {
        size_t bytes = (size_t)in_numel[m] * sizeof(float);
        TRY(be->ops->alloc(be, bytes, (void **)&s->x_dev[m]));
        TRY(be->ops->to_device(be, s->x_dev[m], host_in[m], bytes));
        TRY(be->ops->alloc(be, (size_t)B * C * sizeof(float), (void **)&s->du[m]));
    }
    TRY(be->ops->alloc(be, (size_t)B * C * sizeof(float), (void **)&s->dz));
    TRY(be->ops->alloc(be, sizeof labels, (void **)&s->labels_dev));
    TRY(be->ops->to_device(be, s->labels_dev, labels, sizeof labels));
    s->log = asgml_log_record_create();
    if (!s->log) return asgml_error(ASGML_ENOMEM, "log record");
    return ASGML_OK;
}

#define HOOK(k, fn)                                                                \
    do {                                                                           \
        if (s->meth[k]->fn) TRY(s->meth[k]->fn(s->state[k], &st));                 \
    } while (0)

static double group_norm(side *s, int m)
{
    int64_t off, cnt;
    double ss = NAN;
    asgml_model_group_span(s->model, m, &off, &cnt);
    if (s->be->ops->sumsq(s->be, cnt, asgml_model_grads(s->model) + off, &ss) != ASGML_OK)
        return NAN;
    return sqrt(ss);
}

/* asgml-methods(7), TRAINING STEP, as libcommon/train.c runs it */
static asgml_status side_step(side *s, int t)
{
    asgml_backend *be = s->be;
    asgml_step st;
    memset(&st, 0, sizeof st);
    st.be = be;
    st.model = s->model;
    st.num_modalities = NMOD;
    st.num_classes = C;
    st.modality_names[0] = "audio";
    st.modality_names[1] = "visual";
    st.epoch = 0;
    st.num_epochs = 1;
    st.batch = t;
    st.batches_per_epoch = STEPS;
    st.step = t;
    st.batch_size = B;
    st.labels = labels;
    st.labels_dev = s->labels_dev;
    st.seed = 99;
    st.noise_offset = &s->noise_offset;
    st.log = s->log;
    for (int m = 0; m < NMOD; m++) {
        st.uni_weight[m] = 1.0f;
        st.encoder_active[m] = 1;
    }
    asgml_log_record_clear(s->log);
    TRY(asgml_model_zero_grad(s->model));
    if (t == 0)
        for (int k = 0; k < 2; k++) HOOK(k, epoch_begin);
    const float *inputs[NMOD] = {s->x_dev[0], s->x_dev[1]};
    TRY(asgml_model_forward(s->model, inputs, B, 1, NULL));
    for (int k = 0; k < 2; k++) HOOK(k, before_backward);

    double sum;
    TRY(be->ops->fill(be, B * C, 0.0f, s->dz));
    TRY(be->ops->softmax_ce(be, B, C, asgml_model_logits(s->model), s->labels_dev, 1.0f / B,
                            NULL, NULL, s->dz, &sum));
    double loss = sum / B;
    const float *duni[NMOD] = {NULL, NULL};
    for (int m = 0; m < NMOD; m++) {
        float w = st.uni_weight[m];
        TRY(be->ops->fill(be, B * C, 0.0f, s->du[m]));
        TRY(be->ops->softmax_ce(be, B, C, asgml_model_unimodal_logits(s->model, m),
                                s->labels_dev, w / B, NULL, NULL, s->du[m], &sum));
        duni[m] = s->du[m];
        loss += w * sum / B;
    }
    st.loss = loss;
    s->loss[t] = loss;
    TRY(asgml_model_backward(s->model, s->dz, duni, st.encoder_active));
    for (int m = 0; m < NMOD; m++) st.grad_norm_pre[m] = s->norm[t][m] = group_norm(s, m);
    for (int k = 0; k < 2; k++) HOOK(k, modulate);
    TRY(asgml_optim_step(s->opt, st.encoder_active));
    for (int k = 0; k < 2; k++) HOOK(k, after_step);
    return ASGML_OK;
}

/* ||a - b|| / ||b|| of two backend buffers of n floats */
static double rel_diff(side *dev, const float *a_dev, side *cpu, const float *b_cpu, int64_t n,
                       int64_t *worst)
{
    float *a = malloc((size_t)n * sizeof(float)), *b = malloc((size_t)n * sizeof(float));
    double num = 0, den = 0, big = -1;
    if (!a || !b || dev->be->ops->to_host(dev->be, a, a_dev, (size_t)n * sizeof(float)) != ASGML_OK ||
        cpu->be->ops->to_host(cpu->be, b, b_cpu, (size_t)n * sizeof(float)) != ASGML_OK) {
        free(a);
        free(b);
        return INFINITY;
    }
    for (int64_t i = 0; i < n; i++) {
        double d = (double)a[i] - b[i];
        num += d * d;
        den += (double)b[i] * b[i];
        if (fabs(d) > big) big = fabs(d), *worst = i;
    }
    free(a);
    free(b);
    return den > 0 ? sqrt(num / den) : sqrt(num);
}

static const char *view_of(side *s, int64_t idx, int buffers)
{
    int nv;
    const asgml_param_view *v = buffers ? asgml_model_buffer_views(s->model, &nv)
                                        : asgml_model_param_views(s->model, &nv);
    for (int i = 0; i < nv; i++)
        if (idx >= v[i].offset && idx < v[i].offset + v[i].numel) return v[i].name;
    return "?";
}

static void side_free(side *s)
{
    for (int k = 0; k < 2; k++)
        if (s->state[k] && s->meth[k] && s->meth[k]->destroy) s->meth[k]->destroy(s->state[k]);
    if (s->be) {
        for (int m = 0; m < NMOD; m++) {
            s->be->ops->free(s->be, s->x_dev[m]);
            s->be->ops->free(s->be, s->du[m]);
        }
        s->be->ops->free(s->be, s->dz);
        s->be->ops->free(s->be, s->labels_dev);
    }
    asgml_optim_free(s->opt);
    asgml_model_free(s->model);
    asgml_config_free(s->cfg);
    asgml_log_record_free(s->log);
    asgml_backend_destroy(s->be);
}

int main(void)
{
    asgml_backend_options dopt = {0, 1, 0, 0};   /* deterministic, strict fp32 */
    asgml_backend *dev_be = NULL, *cpu_be = NULL;
    asgml_status st = asgml_backend_create("cuda", &dopt, &dev_be);
    if (st != ASGML_OK) {
        char why[300];
        snprintf(why, sizeof why, "%s", asgml_last_error());
        tap_skip_all(why);
    }
    asgml_backend_options copt = {1, 1, 0, 0};
    if (asgml_backend_create("cpu", &copt, &cpu_be) != ASGML_OK) {
        tap_diag("cpu backend: %s", asgml_last_error());
        asgml_backend_destroy(dev_be);
        return 1;
    }

    asgml_model_config mc;
    model_config(&mc);
    uint64_t r = 42;
    for (int m = 0; m < NMOD; m++) {
        const asgml_encoder_config *e = &mc.enc[m];
        in_numel[m] = (int64_t)B * e->frames * e->in_channels * e->in_h * e->in_w;
        host_in[m] = malloc((size_t)in_numel[m] * sizeof(float));
        for (int64_t i = 0; i < in_numel[m]; i++) {
            r = r * 6364136223846793005ULL + 1442695040888963407ULL;
            host_in[m][i] = (float)((double)(r >> 11) / 9007199254740992.0 * 2.0 - 1.0);
        }
    }
    for (int i = 0; i < B; i++) labels[i] = i % C;

    side cpu = {.name = "cpu"}, dev = {.name = "cuda"};
    int ready = side_setup(&cpu, cpu_be) == ASGML_OK;
    ready = ready && side_setup(&dev, dev_be) == ASGML_OK;
    if (!ok(ready, "both sides set up (model, optimiser, ogm-ge asgml-ref + asgml-boost)")) {
        if (!cpu.be) asgml_backend_destroy(cpu_be);
        if (!dev.be) asgml_backend_destroy(dev_be);
        side_free(&cpu);
        side_free(&dev);
        return tap_done();
    }
    int64_t np = asgml_model_num_params(cpu.model), nb = asgml_model_num_buffers(cpu.model), w = 0;
    double e = rel_diff(&dev, asgml_model_params(dev.model), &cpu, asgml_model_params(cpu.model),
                        np, &w);
    ok(e == 0.0, "same seed, same initial parameters (%lld floats), rel diff %.1e", (long long)np, e);

    for (int t = 0; t < STEPS; t++) {
        int good = side_step(&cpu, t) == ASGML_OK;
        good = good && side_step(&dev, t) == ASGML_OK;
        if (!ok(good, "step %d runs on both backends", t)) break;
        double el = fabs(dev.loss[t] - cpu.loss[t]) / fabs(cpu.loss[t]);
        ok(el < 1e-5, "step %d: loss %.7f vs cpu %.7f (rel %.1e)", t, dev.loss[t], cpu.loss[t], el);
        for (int m = 0; m < NMOD; m++) {
            double en = fabs(dev.norm[t][m] - cpu.norm[t][m]) / cpu.norm[t][m];
            ok(en < 1e-4, "step %d: encoder %d gradient norm %.6g vs %.6g (rel %.1e)", t, m,
               dev.norm[t][m], cpu.norm[t][m], en);
        }
        e = rel_diff(&dev, asgml_model_params(dev.model), &cpu, asgml_model_params(cpu.model), np,
                     &w);
        ok(e < 1e-5, "step %d: parameters after the optimiser, rel diff %.2e (worst in %s)", t, e,
           view_of(&cpu, w, 0));
        e = rel_diff(&dev, asgml_model_buffers(dev.model), &cpu, asgml_model_buffers(cpu.model),
                     nb, &w);
        ok(e < 1e-5, "step %d: BN running statistics, rel diff %.2e (worst in %s)", t, e,
           view_of(&cpu, w, 1));
        ok(dev.noise_offset == cpu.noise_offset && dev.noise_offset > 0,
           "step %d: both drew the same amount of GE noise (offset %llu)", t,
           (unsigned long long)dev.noise_offset);
    }
    side_free(&cpu);
    side_free(&dev);
    for (int m = 0; m < NMOD; m++) free(host_in[m]);
    return tap_done();
}
