/* SPDX-License-Identifier: MIT */
/* test-hooks.c - the method services of asgml/hooks.h, each proved by a
 * small test method (registered for this process only through
 * asgml_method_add_extra) on the tiny tests/probe-mkstore store (96
 * samples, 4 classes, train 72 / test 24, width-4 ResNets), against an
 * independent computation:
 *   extra input-zeroed pass   = a clone's forward on zero inputs; its
 *                               gradient = the clone's backward; the main
 *                               forward and BN statistics untouched
 *   fused_grad_scale 0.5      = half the gradient; feature_grad_scale[1]
 *                               halves encoder 1 only
 *   separate terms            sum to the joint backward; CE(u_audio) does
 *                               not reach the visual encoder
 *   2 sub-steps on one batch  = 2 epochs of 1 step
 *   snapshot/restore/blend/reinit on a model, host formulas
 *   group lr                  = the applied update and the logged lr.<group>
 *   feature mask              ones = identity, zeros = no gradient into the
 *                               fusion block or encoder of that modality
 *   validation hold-out       stratified, deterministic, disjoint
 *   trained copy              changes neither the main model nor its
 *                               random streams */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asgml/backend.h"
#include "asgml/config.h"
#include "asgml/hooks.h"
#include "asgml/train.h"
#include "tap.h"
#include "trainrun.h"

enum {
    M_PLAIN, M_EXTRA, M_FSCALE, M_FEATSCALE, M_TERMS, M_JOINT, M_SUB, M_LR, M_MASK1, M_MASK0,
    M_VAL, M_COPY, M_NOCOPY, M_FGRAD
};

/* M_FGRAD: asgml_step_feature_grad / asgml_step_train_features */
static int g_feat_same = -1, g_feat_main_same = -1, g_feat_batches;
static double g_feat_sum[2];


static int g_mode;
static char g_dir[256], g_store[320], g_out[400];
static int g_runs, g_resume;
static int64_t g_np, g_off[ASGML_GROUP_HEADS + 1], g_cnt[ASGML_GROUP_HEADS + 1];
static float *g_grad, *g_terms[3], *g_params_end, *g_p0, *g_g0, *g_p1;
static int64_t g_wfus_off, g_wfus_rows, g_wfus_cols;
/* extra pass results */
static double g_extra_logit_diff = -1, g_extra_grad_diff = -1, g_extra_enc1_norm = -1;
static int g_extra_main_same = 0, g_extra_bn_same = 0;
/* validation */
static int64_t g_seen[200];
static int g_nseen;
static double g_val_acc = NAN, g_val_loss = NAN;
/* copies */
static double g_loss_m0 = NAN, g_loss_c0 = NAN, g_loss_c1 = NAN, g_loss_m1 = NAN, g_train_loss = NAN;
static double g_copy_param_diff = -1;

static float *host(asgml_backend *be, const float *dev, int64_t n)
{
    float *h = malloc((size_t)(n > 0 ? n : 1) * sizeof *h);
    if (h && n > 0 && be->ops->to_host(be, h, dev, (size_t)n * sizeof *h) != ASGML_OK) {
        free(h);
        return NULL;
    }
    return h;
}

static double maxdiff(const float *a, const float *b, int64_t n, double scale_b)
{
    double d = 0;
    for (int64_t i = 0; i < n; i++) {
        double e = fabs((double)a[i] - scale_b * (double)b[i]);
        if (e > d) d = e;
    }
    return d;
}

static double maxabs(const float *a, int64_t n)
{
    double d = 0;
    for (int64_t i = 0; i < n; i++)
        if (fabs(a[i]) > d) d = fabs(a[i]);
    return d;
}

static void layout(asgml_step *s)
{
    int nv;
    const asgml_param_view *pv = asgml_model_param_views(s->model, &nv);
    g_np = asgml_model_num_params(s->model);
    for (int g = 0; g <= ASGML_GROUP_HEADS; g++)
        asgml_model_group_span(s->model, g, &g_off[g], &g_cnt[g]);
    for (int v = 0; v < nv; v++)
        if (strcmp(pv[v].name, "fusion_module.fc_out.weight") == 0) {
            g_wfus_off = pv[v].offset;
            g_wfus_rows = pv[v].shape[0];
            g_wfus_cols = pv[v].shape[1];
        }
}

/* ---- the test method ------------------------------------------------------------ */

static asgml_status t_create(asgml_config *cfg, const asgml_model_config *mc, void **state)
{
    (void)cfg; (void)mc;
    *state = NULL;
    return ASGML_OK;
}

static void t_destroy(void *state) { (void)state; }

static asgml_status t_before_forward(void *state, asgml_step *s)
{
    (void)state;
    if (g_mode == M_MASK1 || g_mode == M_MASK0) {
        float *mk = asgml_step_feature_mask(s, 1);
        if (!mk)
            return ASGML_ENOMEM;
        if (g_mode == M_MASK0)
            return s->be->ops->fill(s->be, (int64_t)s->batch_size * asgml_model_feature_dim(s->model),
                                    0.0f, mk);
    }
    return ASGML_OK;
}

/* The extra pass with the visual input zeroed against a clone of the model
 * run on a zero visual input. */
static asgml_status check_extra(asgml_step *s)
{
    asgml_backend *be = s->be;
    const asgml_model_config *mc = asgml_model_get_config(s->model);
    int B = s->batch_size, C = s->num_classes, zero[2] = { 0, 1 };
    int64_t nb = asgml_model_num_buffers(s->model);
    int64_t nx = (int64_t)B * mc->enc[1].in_channels * mc->enc[1].in_h * mc->enc[1].in_w *
                 (mc->enc[1].frames > 1 ? mc->enc[1].frames : 1);
    const float *lg, *inputs[2];
    float *zx, *dl, *ones, *before, *bn_before, *extra, *g1, *g2, *after, *bn_after;
    asgml_model *cl;
    asgml_status st;
    before = host(be, asgml_model_logits(s->model), (int64_t)B * C);
    bn_before = host(be, asgml_model_buffers(s->model), nb);
    if ((st = asgml_step_forward_extra(s, 0, zero, 0, &lg)))
        return st;
    extra = host(be, lg, (int64_t)B * C);
    if ((st = asgml_model_clone(s->model, &cl)))
        return st;
    be->ops->alloc(be, (size_t)nx * sizeof(float), (void **)&zx);
    be->ops->fill(be, nx, 0.0f, zx);
    inputs[0] = s->x[0];
    inputs[1] = zx;
    if ((st = asgml_model_forward(cl, inputs, B, 0, NULL)))
        return st;
    after = host(be, asgml_model_logits(cl), (int64_t)B * C);
    g_extra_logit_diff = maxdiff(extra, after, (int64_t)B * C, 1.0);
    free(after);
    /* gradient of sum(z)/B through both */
    ones = malloc((size_t)B * C * sizeof *ones);
    for (int i = 0; i < B * C; i++) ones[i] = 1.0f / (float)B;
    be->ops->alloc(be, (size_t)B * C * sizeof(float), (void **)&dl);
    be->ops->to_device(be, dl, ones, (size_t)B * C * sizeof(float));
    if ((st = asgml_step_backward_extra(s, 0, dl, NULL)))
        return st;
    asgml_model_zero_grad(cl);
    if ((st = asgml_model_backward(cl, dl, NULL, NULL)))
        return st;
    g1 = host(be, asgml_model_grads(s->model), g_np);
    g2 = host(be, asgml_model_grads(cl), g_np);
    g_extra_grad_diff = maxdiff(g1, g2, g_np, 1.0) / (maxabs(g2, g_np) + 1e-30);
    g_extra_enc1_norm = maxabs(g1 + g_off[1], g_cnt[1]);
    after = host(be, asgml_model_logits(s->model), (int64_t)B * C);
    bn_after = host(be, asgml_model_buffers(s->model), nb);
    g_extra_main_same = maxdiff(before, after, (int64_t)B * C, 1.0) == 0.0;
    g_extra_bn_same = maxdiff(bn_before, bn_after, nb, 1.0) == 0.0;
    free(before); free(bn_before); free(extra); free(g1); free(g2); free(after); free(bn_after);
    free(ones);
    be->ops->free(be, zx);
    be->ops->free(be, dl);
    asgml_model_free(cl);
    return asgml_model_zero_grad(s->model);   /* the step goes on as usual */
}

static asgml_status feat_acc(void *ctx, int B, const int32_t *labels, const float *const *feat)
{
    int D = *(int *)ctx, k = g_feat_batches++ & 1;
    (void)labels;
    for (int64_t i = 0; i < (int64_t)B * D; i++)
        g_feat_sum[k] += feat[0][i] + 2.0 * feat[1][i];
    return ASGML_OK;
}

/* only an extra dL/df_0 = 1/B: the gradient reaches encoder 0 and nothing
 * else; two feature passes over the same stream and epoch agree, and the
 * main forward's features survive them */
#define TRY(x) do { asgml_status st_ = (x); if (st_ != ASGML_OK) return st_; } while (0)
static asgml_status check_fgrad(asgml_step *s)
{
    int D = asgml_model_feature_dim(s->model), B = s->batch_size;
    float *before = host(s->be, asgml_model_features(s->model, 0), (int64_t)B * D), *after;
    float *g = asgml_step_feature_grad(s, 0), *ones = malloc((size_t)B * D * sizeof *ones);
    for (int64_t i = 0; i < (int64_t)B * D; i++)
        ones[i] = 1.0f / (float)B;
    TRY(s->be->ops->to_device(s->be, g, ones, (size_t)B * D * sizeof(float)));
    free(ones);
    s->fused_weight = 0.0f;
    for (int m = 0; m < s->num_modalities; m++)
        s->uni_weight[m] = 0.0f;
    g_feat_sum[0] = g_feat_sum[1] = 0;
    g_feat_batches = 0;
    TRY(asgml_step_train_features(s, 7, 3, 2, feat_acc, &D));
    g_feat_batches = 1;
    TRY(asgml_step_train_features(s, 7, 3, 2, feat_acc, &D));
    g_feat_same = g_feat_batches == 3 && g_feat_sum[0] == g_feat_sum[1] && g_feat_sum[0] != 0;
    after = host(s->be, asgml_model_features(s->model, 0), (int64_t)B * D);
    g_feat_main_same = maxdiff(before, after, (int64_t)B * D, 1.0) == 0.0;
    free(before);
    free(after);
    return ASGML_OK;
}

static asgml_status t_before_backward(void *state, asgml_step *s)
{
    (void)state;
    if (s->step == 0)
        layout(s);
    switch (g_mode) {
    case M_EXTRA:
        if (s->step == 0)
            return check_extra(s);
        break;
    case M_FSCALE: s->fused_grad_scale = 0.5f; break;
    case M_FEATSCALE: s->feature_grad_scale[1] = 0.5f; break;
    case M_TERMS: s->separate_terms = 1; /* fall through */
    case M_JOINT: s->uni_weight[0] = s->uni_weight[1] = 1.0f; break;
    case M_FGRAD:
        if (s->step == 0)
            return check_fgrad(s);
        break;
    case M_VAL:
        for (int i = 0; i < s->batch_size && g_nseen < 200; i++)
            g_seen[g_nseen++] = s->samples[i];
        break;
    default: break;
    }
    return ASGML_OK;
}

static asgml_status t_modulate(void *state, asgml_step *s)
{
    (void)state;
    if (s->step == 0 && s->substep == 0) {
        free(g_grad);
        g_grad = host(s->be, asgml_model_grads(s->model), g_np);
        if (g_mode == M_TERMS)
            for (int k = 0; k < 3; k++) {
                free(g_terms[k]);
                g_terms[k] = s->term_grads[k] ? host(s->be, s->term_grads[k], g_np) : NULL;
            }
    }
    if (g_mode == M_LR && s->epoch == 1 && s->batch == 0) {
        free(g_p0);
        free(g_g0);
        g_p0 = host(s->be, asgml_model_params(s->model), g_np);
        g_g0 = host(s->be, asgml_model_grads(s->model), g_np);
    }
    return ASGML_OK;
}

static asgml_status t_after_step(void *state, asgml_step *s)
{
    (void)state;
    if (g_mode == M_LR && s->epoch == 1 && s->batch == 0 && (free(g_p1), 1))
        g_p1 = host(s->be, asgml_model_params(s->model), g_np);
    return ASGML_OK;
}

static asgml_status t_epoch_end(void *state, asgml_step *s)
{
    asgml_status st = ASGML_OK;
    (void)state;
    if (g_mode == M_LR && s->epoch == 0)
        st = asgml_step_set_group_lr_mult(s, 0, 0.5);
    if (g_mode == M_VAL) {
        g_val_acc = s->val_acc;
        g_val_loss = s->val_loss;
    }
    if ((g_mode == M_COPY || g_mode == M_NOCOPY) && s->epoch == 0) {
        double acc;
        st = asgml_step_evaluate(s, NULL, "test", &g_loss_m0, &acc);
        if (st == ASGML_OK && g_mode == M_COPY) {
            asgml_copy *c = NULL;
            float w[2] = { 1.0f, 1.0f };
            float *pm, *pc;
            if (!st) st = asgml_step_copy_create(s, 0, &c);
            if (!st) st = asgml_step_evaluate(s, c, "test", &g_loss_c0, &acc);
            if (!st) st = asgml_copy_train_epochs(c, 1, 1.0f, w);
            if (!st) st = asgml_step_evaluate(s, c, "test", &g_loss_c1, &acc);
            if (!st) st = asgml_step_evaluate(s, NULL, "test", &g_loss_m1, &acc);
            if (!st) st = asgml_step_evaluate(s, NULL, "train", &g_train_loss, &acc);
            if (!st) {
                pm = host(s->be, asgml_model_params(s->model), g_np);
                pc = host(s->be, asgml_model_params(asgml_copy_model(c)), g_np);
                g_copy_param_diff = maxdiff(pm, pc, g_np, 1.0);
                free(pm);
                free(pc);
            }
            asgml_copy_free(c);
        }
    }
    free(g_params_end);
    g_params_end = host(s->be, asgml_model_params(s->model), g_np);
    return st;
}

static int t_substeps(void *state, const asgml_step *s)
{
    (void)state; (void)s;
    return g_mode == M_SUB ? 2 : 1;
}

static const asgml_method_ops t_ops = {
    .name = "t-hooks", .summary = "test method", .create = t_create, .destroy = t_destroy,
    .before_backward = t_before_backward, .modulate = t_modulate, .after_step = t_after_step,
    .epoch_end = t_epoch_end, .before_forward = t_before_forward, .num_substeps = t_substeps,
};
static const asgml_method_ops t_val_ops = {
    .name = "t-val", .summary = "test method with a validation split", .needs = ASGML_NEEDS_VAL,
    .create = t_create, .destroy = t_destroy, .before_backward = t_before_backward,
    .epoch_end = t_epoch_end,
};

/* ---- running ---------------------------------------------------------------------- */

static asgml_status train(const char *method, int mode, const char *const *sets)
{
    g_mode = mode;
    if (!g_resume)
        snprintf(g_out, sizeof g_out, "%s/run%d", g_dir, g_runs++);
    return trainrun(g_store, g_out, g_resume, method, sets);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = calloc((size_t)n + 1, 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) buf[0] = 0;
    fclose(f);
    return buf;
}

/* summary.json val_holdout.indices of the last run */
static int holdout(int64_t *ix, int max)
{
    char path[450], *txt, *p;
    int n = 0;
    snprintf(path, sizeof path, "%s/summary.json", g_out);
    txt = slurp(path);
    p = txt ? strstr(txt, "\"indices\"") : NULL;
    if (p && (p = strchr(p, '['))) {
        p++;
        while (n < max) {
            char *end;
            long v = strtol(p, &end, 10);
            if (end == p) break;
            ix[n++] = v;
            p = end;
            while (*p == ',' || *p == ' ' || *p == '\n') p++;
        }
    }
    free(txt);
    return n;
}

static double lr_ratio(int g)
{
    double num = 0, den = 0;
    for (int64_t i = g_off[g]; i < g_off[g] + g_cnt[g]; i++) {
        num += ((double)g_p0[i] - g_p1[i]) * g_g0[i];
        den += (double)g_g0[i] * g_g0[i];
    }
    return den > 0 ? num / den : NAN;
}

/* ---- model operations without a run ----------------------------------------------- */

static void test_model_ops(void)
{
    asgml_backend *be;
    asgml_backend_options bo;
    asgml_model_config mc;
    asgml_model *m, *fresh;
    float *snap = NULL, *snap2 = NULL;
    int64_t off, cnt, np, nb, off1, cnt1, offf, cntf;
    float *p1, *p2, *p3, *b1, *bf, *pf;
    int ok_buf = 1;
    memset(&bo, 0, sizeof bo);
    bo.num_threads = 2;
    bo.deterministic = 1;
    bo.tf32 = -1;
    asgml_backend_create("cpu", &bo, &be);
    asgml_model_config_defaults(&mc);
    mc.num_modalities = 2;
    mc.width = 4;
    mc.feature_dim = 32;
    mc.num_classes = 4;
    mc.max_batch = 4;
    for (int i = 0; i < 2; i++) {
        snprintf(mc.enc[i].name, sizeof mc.enc[i].name, "%s", i ? "visual" : "audio");
        mc.enc[i].kind = ASGML_ENC_RESNET18;
        mc.enc[i].in_channels = 1;
        mc.enc[i].in_h = mc.enc[i].in_w = 8;
        mc.enc[i].frames = 1;
    }
    asgml_model_create(be, &mc, &m);
    asgml_model_init_params(m, 1);
    np = asgml_model_num_params(m);
    nb = asgml_model_num_buffers(m);
    asgml_model_group_span(m, 0, &off, &cnt);
    asgml_model_group_span(m, 1, &off1, &cnt1);
    asgml_model_group_span(m, ASGML_GROUP_FUSION, &offf, &cntf);
    p1 = host(be, asgml_model_params(m), np);
    ok(asgml_model_snapshot(m, 0, &snap) == ASGML_OK, "snapshot of encoder 0 (%lld floats)",
       (long long)cnt);
    asgml_model_init_params(m, 2);      /* every parameter changes */
    p2 = host(be, asgml_model_params(m), np);
    asgml_model_restore(m, 0, snap);
    p3 = host(be, asgml_model_params(m), np);
    ok(maxdiff(p3 + off, p1 + off, cnt, 1.0) == 0.0 && maxdiff(p3 + off1, p2 + off1, cnt1, 1.0) == 0.0 &&
       maxdiff(p1 + off, p2 + off, cnt, 1.0) > 0,
       "restore gives encoder 0 its snapshot back bit for bit, encoder 1 keeps its values");
    free(p3);
    /* blend: theta = 0.25 * snap(seed 1) + 0.75 * current(seed 2 values of encoder 0) */
    asgml_model_snapshot(m, 0, &snap2);          /* = seed 1 values (just restored) */
    asgml_model_init_params(m, 2);
    asgml_model_blend(m, 0, 0.25f, snap2, NULL);
    p3 = host(be, asgml_model_params(m), np);
    {
        double d = 0;
        for (int64_t i = off; i < off + cnt; i++) {
            double e = fabs(p3[i] - (0.25 * p1[i] + 0.75 * p2[i]));
            if (e > d) d = e;
        }
        ok(d < 1e-6 && maxdiff(p3 + offf, p2 + offf, cntf, 1.0) == 0.0,
           "blend 0.25 a + 0.75 b on encoder 0 (max error %.2g), fusion untouched", d);
    }
    free(p3);
    /* reinit encoder 1 with seed 3 = a fresh seed-3 model there, nothing else changes */
    asgml_model_set_dropout_state(m, 11, 22);
    {
        float *bb = host(be, asgml_model_buffers(m), nb);
        asgml_model_scale_group_grad(m, 0, 2.0f);   /* exercised; grads are zero */
        /* dirty the BN statistics so a reset is visible */
        be->ops->fill(be, nb, 0.5f, asgml_model_buffers(m));
        free(bb);
    }
    p2 = (free(p2), host(be, asgml_model_params(m), np));
    asgml_model_reinit_group(m, 1, 3);
    p3 = host(be, asgml_model_params(m), np);
    b1 = host(be, asgml_model_buffers(m), nb);
    asgml_model_create(be, &mc, &fresh);
    asgml_model_init_params(fresh, 3);
    pf = host(be, asgml_model_params(fresh), np);
    bf = host(be, asgml_model_buffers(fresh), nb);
    {
        int nbv;
        const asgml_param_view *bv = asgml_model_buffer_views(m, &nbv);
        for (int v = 0; v < nbv; v++)
            for (int64_t i = bv[v].offset; i < bv[v].offset + bv[v].numel; i++)
                if (bv[v].group == 1 ? b1[i] != bf[i] : b1[i] != 0.5f)
                    ok_buf = 0;
    }
    {
        uint64_t ds, dof;
        asgml_model_dropout_state(m, &ds, &dof);
        ok(maxdiff(p3 + off1, pf + off1, cnt1, 1.0) == 0.0 &&
           maxdiff(p3 + off, p2 + off, cnt, 1.0) == 0.0 &&
           maxdiff(p3 + offf, p2 + offf, cntf, 1.0) == 0.0 && maxdiff(p2 + off1, pf + off1, cnt1, 1.0) > 0,
           "reinit encoder 1 (seed 3) = a fresh seed-3 model there; encoder 0 and fusion unchanged");
        ok(ok_buf && ds == 11 && dof == 22,
           "reinit resets encoder 1's BN statistics only; the dropout stream is untouched");
    }
    {   /* global norm clipping, as torch.nn.utils.clip_grad_norm_ */
        double norm = 0, want = 0.5 * sqrt((double)np), maxd = 0;
        int fired = -1;
        be->ops->fill(be, np, 0.5f, asgml_model_grads(m));
        asgml_status cst = asgml_model_clip_grad_norm(m, 10 * want, &norm, &fired);
        ok(cst == ASGML_OK && fired == 0 && fabs(norm - want) < 1e-9 * want, "clip: norm %g (want %g) under the limit: not fired",
           norm, want);
        asgml_model_clip_grad_norm(m, want / 4, &norm, &fired);
        float *g = host(be, asgml_model_grads(m), np);
        double coef = (want / 4) / (want + 1e-6);
        for (int64_t i = 0; i < np; i++)
            if (fabs(g[i] - 0.5 * coef) > maxd) maxd = fabs(g[i] - 0.5 * coef);
        ok(fired == 1 && maxd < 1e-7, "clip to a quarter: fired, grad * max/(norm+1e-6) "
           "(max error %.2g)", maxd);
        ok(asgml_model_clip_grad_norm(m, 0.0, NULL, NULL) == ASGML_EINVAL,
           "clip: max_norm 0 is an error");
        free(g);
        be->ops->fill(be, np, 0.0f, asgml_model_grads(m));
    }
    asgml_model_snapshot_free(m, snap);
    asgml_model_snapshot_free(m, snap2);
    free(p1); free(p2); free(p3); free(b1); free(bf); free(pf);
    asgml_model_free(fresh);
    asgml_model_free(m);
    asgml_backend_destroy(be);
}

int main(void)
{
    const char *bd = getenv("top_builddir");
    char cmd[800];
    float *plain, *plain1;
    asgml_status st;
    snprintf(g_dir, sizeof g_dir, "/tmp/test-hooks.XXXXXX");
    if (!mkdtemp(g_dir))
        tap_skip_all("no temporary directory");
    snprintf(g_store, sizeof g_store, "%s/tiny.h5", g_dir);
    snprintf(cmd, sizeof cmd, "'%s/tests/probe-mkstore' '%s' 96 >/dev/null 2>&1", bd ? bd : ".",
             g_store);
    if (system(cmd) != 0)
        tap_skip_all("tests/probe-mkstore failed");
    asgml_method_add_extra(&t_ops);
    asgml_method_add_extra(&t_val_ops);

    test_model_ops();

    /* reference: the plain step 0 gradient */
    ok(train("t-hooks", M_PLAIN, NULL) == ASGML_OK, "a method outside the registry trains");
    plain = g_grad;
    g_grad = NULL;
    plain1 = g_params_end;
    g_params_end = NULL;

    /* extra passes */
    st = train("t-hooks", M_EXTRA, NULL);
    ok(st == ASGML_OK && g_extra_logit_diff == 0.0,
       "extra pass with the visual input zeroed = a clone's inference forward on zeros (diff %g)",
       g_extra_logit_diff);
    ok(g_extra_grad_diff >= 0 && g_extra_grad_diff < 1e-6 && g_extra_enc1_norm > 0,
       "its gradient is kept: = the clone's backward (rel diff %g), the zero-input encoder "
       "gets gradient (%g)", g_extra_grad_diff, g_extra_enc1_norm);
    ok(g_extra_main_same && g_extra_bn_same,
       "the main forward's logits and the BN running statistics are untouched");

    /* gradient scales */
    train("t-hooks", M_FSCALE, NULL);
    ok(g_grad && maxdiff(g_grad, plain, g_np, 0.5) <= 1e-6 * maxabs(plain, g_np) &&
       maxabs(plain, g_np) > 0, "fused_grad_scale 0.5 halves the whole gradient");
    train("t-hooks", M_FEATSCALE, NULL);
    ok(g_grad && maxdiff(g_grad + g_off[1], plain + g_off[1], g_cnt[1], 0.5) <=
                 1e-6 * maxabs(plain + g_off[1], g_cnt[1]) &&
       maxdiff(g_grad + g_off[0], plain + g_off[0], g_cnt[0], 1.0) == 0.0 &&
       maxdiff(g_grad + g_off[ASGML_GROUP_FUSION], plain + g_off[ASGML_GROUP_FUSION],
               g_cnt[ASGML_GROUP_FUSION], 1.0) == 0.0,
       "feature_grad_scale[visual] 0.5 halves encoder 1's gradient only");

    /* separate terms */
    {
        float *joint;
        train("t-hooks", M_JOINT, NULL);
        joint = g_grad;
        g_grad = NULL;
        train("t-hooks", M_TERMS, NULL);
        ok(g_terms[0] && g_terms[1] && g_terms[2], "three term buffers (CE(z), CE(u_audio), CE(u_visual))");
        if (g_terms[0] && g_terms[1] && g_terms[2]) {
            double d = 0, scale = maxabs(joint, g_np);
            for (int64_t i = 0; i < g_np; i++) {
                double e = fabs((double)g_terms[0][i] + g_terms[1][i] + g_terms[2][i] - joint[i]);
                if (e > d) d = e;
            }
            ok(d <= 1e-5 * scale && maxdiff(g_grad, joint, g_np, 1.0) <= 1e-5 * scale,
               "the terms sum to the joint backward (max error %.2g of %.2g); so does the model "
               "gradient", d, scale);
            ok(maxabs(g_terms[1] + g_off[1], g_cnt[1]) == 0.0 &&
               maxabs(g_terms[1] + g_off[0], g_cnt[0]) > 0 && maxabs(g_terms[0] + g_off[1], g_cnt[1]) > 0,
               "CE(u_audio) reaches the audio encoder only; CE(z) reaches both");
        } else {
            ok(0, "the terms sum to the joint backward");
            ok(0, "CE(u_audio) reaches the audio encoder only");
        }
        free(joint);
    }

    /* sub-steps: one batch of the whole training split */
    {
        static const char *const one_batch[] = { "data.batch-size=72", NULL };
        static const char *const one_batch2[] = { "data.batch-size=72", "train.epochs=2", NULL };
        float *sub, *two, *one;
        int64_t n;
        double d2, d1, scale;
        train("t-hooks", M_SUB, one_batch);
        sub = g_params_end;
        g_params_end = NULL;
        train("t-hooks", M_PLAIN, one_batch2);
        two = g_params_end;
        g_params_end = NULL;
        train("t-hooks", M_PLAIN, one_batch);
        one = g_params_end;
        g_params_end = NULL;
        n = g_np;
        scale = maxabs(two, n);
        d2 = maxdiff(sub, two, n, 1.0);
        d1 = maxdiff(sub, one, n, 1.0);
        ok(sub && two && d2 <= 1e-4 * scale && d1 > 100 * d2,
           "2 sub-steps on one batch = 2 epochs of that batch (max diff %.2g; 1 epoch differs by "
           "%.2g)", d2, d1);
        free(sub); free(two); free(one);
    }

    /* per-group learning rate */
    {
        static const char *const sets[] = { "train.epochs=2", "optim.momentum=0",
                                            "optim.weight-decay=0", NULL };
        char path[450], *log;
        double r0, r1, rf;
        train("t-hooks", M_LR, sets);
        r0 = g_p0 && g_p1 ? lr_ratio(0) : NAN;
        r1 = g_p0 && g_p1 ? lr_ratio(1) : NAN;
        rf = g_p0 && g_p1 ? lr_ratio(ASGML_GROUP_FUSION) : NAN;
        ok(fabs(r0 - 0.025) < 1e-5 && fabs(r1 - 0.05) < 1e-5 && fabs(rf - 0.05) < 1e-5,
           "lr multiplier 0.5 on audio from epoch 1: applied lr audio %.6g, visual %.6g, "
           "fusion %.6g", r0, r1, rf);
        snprintf(path, sizeof path, "%s/log.jsonl", g_out);
        log = slurp(path);
        ok(log && strstr(log, "\"lr.audio\":0.025") && strstr(log, "\"lr.visual\":0.05") &&
           strstr(log, "\"lr.fusion\":0.05"),
           "log.jsonl carries lr.<group> once a method sets one");
        free(log);
    }
    {
        static const char *const full[] = { "train.epochs=3", "optim.momentum=0",
                                            "optim.weight-decay=0", "train.checkpoint-every=1", NULL };
        static const char *const part[] = { "train.epochs=3", "optim.momentum=0",
                                            "optim.weight-decay=0", "train.checkpoint-every=1",
                                            "train.interrupt-after-epochs=2", NULL };
        float *a, *b = NULL;
        asgml_status s1, s2 = ASGML_EINVAL;
        train("t-hooks", M_LR, full);
        a = g_params_end;
        g_params_end = NULL;
        s1 = train("t-hooks", M_LR, part);
        if (s1 == ASGML_OK) {
            g_resume = 1;
            s2 = train("t-hooks", M_PLAIN, full);   /* M_PLAIN: the multiplier must come back */
            g_resume = 0;
            b = g_params_end;
            g_params_end = NULL;
        }
        ok(s2 == ASGML_OK && a && b && maxdiff(a, b, g_np, 1.0) == 0.0,
           "the multiplier survives an interrupt and resume (bit-identical end)");
        free(a);
        free(b);
    }

    /* feature mask */
    train("t-hooks", M_MASK1, NULL);
    ok(g_grad && maxdiff(g_grad, plain, g_np, 1.0) == 0.0, "a feature mask of ones is the identity");
    train("t-hooks", M_MASK0, NULL);
    if (g_grad && g_wfus_cols > 0) {
        double blk1 = 0, blk0 = 0;
        int64_t D = g_wfus_cols / 2;
        for (int64_t r = 0; r < g_wfus_rows; r++)
            for (int64_t j = 0; j < g_wfus_cols; j++) {
                double v = fabs(g_grad[g_wfus_off + r * g_wfus_cols + j]);
                if (j >= D) blk1 = v > blk1 ? v : blk1; else blk0 = v > blk0 ? v : blk0;
            }
        ok(blk1 == 0.0 && blk0 > 0, "a zero mask on visual: no gradient into its fusion block "
           "(max %g), the audio block has some (%g)", blk1, blk0);
        ok(maxabs(g_grad + g_off[1], g_cnt[1]) == 0.0 && maxabs(g_grad + g_off[0], g_cnt[0]) > 0,
           "... nor into the visual encoder; the audio encoder still learns");
    } else {
        ok(0, "a zero mask on visual: no gradient into its fusion block");
        ok(0, "... nor into the visual encoder");
    }

    /* validation hold-out */
    {
        int64_t ix[64], ix2[64], ix3[64];
        int n, n2, n3, per[4] = { 0 }, disjoint = 1, same = 1, differ = 0;
        static const char *const seed2[] = { "seed=2", NULL };
        static const char *const vseed[] = { "data.val-seed=1", NULL };
        g_nseen = 0;
        st = train("t-val", M_VAL, NULL);
        n = holdout(ix, 64);
        for (int i = 0; i < n; i++) {
            per[ix[i] % 4]++;
            for (int j = 0; j < g_nseen; j++)
                if (g_seen[j] == ix[i]) disjoint = 0;
            if (ix[i] >= 72) disjoint = 0;
        }
        ok(st == ASGML_OK && n == 8 && per[0] == 2 && per[1] == 2 && per[2] == 2 && per[3] == 2,
           "hold-out of 0.1: 2 of the 18 training samples of each class (%d held out)", n);
        ok(disjoint && g_nseen == 64, "training serves the other 64 samples (%d seen), none held out",
           g_nseen);
        ok(isfinite(g_val_acc) && g_val_acc >= 0 && g_val_acc <= 1 && isfinite(g_val_loss) &&
           g_val_loss > 0, "epoch_end sees val_acc %.3f, val_loss %.3f", g_val_acc, g_val_loss);
        train("t-val", M_VAL, seed2);
        n2 = holdout(ix2, 64);
        train("t-val", M_VAL, vseed);
        n3 = holdout(ix3, 64);
        for (int i = 0; i < n && i < n2; i++) same &= ix[i] == ix2[i];
        for (int i = 0; i < n && i < n3; i++) differ |= ix[i] != ix3[i];
        ok(n2 == n && same, "the same hold-out for another run seed");
        ok(n3 == n && differ, "another hold-out for data.val-seed=1");
    }

    /* trained copies */
    {
        static const char *const sets[] = { "train.epochs=2", "model.dropout=0.2", NULL };
        float *with, *without;
        st = train("t-hooks", M_COPY, sets);
        with = g_params_end;
        g_params_end = NULL;
        ok(st == ASGML_OK && g_loss_c0 == g_loss_m0 && isfinite(g_loss_m0),
           "a copy starts as the model (test loss %.6f)", g_loss_m0);
        ok(g_loss_c1 != g_loss_c0 && g_copy_param_diff > 0,
           "training the copy one epoch changes it (test loss %.6f)", g_loss_c1);
        ok(g_loss_m1 == g_loss_m0 && isfinite(g_train_loss),
           "the main model is untouched (test loss %.6f); train-split evaluation %.4f",
           g_loss_m1, g_train_loss);
        train("t-hooks", M_NOCOPY, sets);
        without = g_params_end;
        g_params_end = NULL;
        ok(with && without && maxdiff(with, without, g_np, 1.0) == 0.0,
           "the run ends bit-identical to one without the copy (loader and dropout streams "
           "untouched)");
        free(with);
        free(without);
    }

    /* extra feature gradient and inference-mode training features (pmr) */
    train("t-hooks", M_FGRAD, NULL);
    if (g_grad) {
        double n[ASGML_GROUP_HEADS + 1] = { 0 };
        for (int k = 0; k <= ASGML_GROUP_HEADS; k++)
            for (int64_t i = 0; i < g_cnt[k]; i++)
                n[k] += fabs(g_grad[g_off[k] + i]);
        ok(n[0] > 0 && n[1] == 0 && n[ASGML_GROUP_FUSION] == 0 && n[ASGML_GROUP_HEADS] == 0,
           "asgml_step_feature_grad: an extra dL/df_0 reaches encoder 0 only (%g, %g, %g)",
           n[0], n[1], n[ASGML_GROUP_FUSION]);
    } else {
        ok(0, "asgml_step_feature_grad: an extra dL/df_0 reaches encoder 0 only");
    }
    ok(g_feat_same == 1, "asgml_step_train_features: 2 batches, the same stream and epoch give "
       "the same features");
    ok(g_feat_main_same == 1, "asgml_step_train_features leaves the main forward's features");

    free(plain);
    free(plain1);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0)
        tap_diag("could not remove %s", g_dir);
    return tap_done();
}
