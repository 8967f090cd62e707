/* SPDX-License-Identifier: MIT */
/* test-svc.c - feature passes (asgml_step_features), the shared unimodal
 * head (model.uni=shared), fusion none (z = sum_m lambda_m u_m) and
 * ASGML_NEEDS_UNI_ZERO, each against an independent computation:
 *   features of this epoch's first 2 batches = a clone's inference forward
 *     on the batches the loop then trains on (same samples, same order);
 *     val without a split and unknown parts fail; a 2-epoch run with
 *     dropout that calls it at every epoch_begin and epoch_end ends
 *     bit-identical to one that does not
 *   shared head: one "head_shared" view pair in ASGML_GROUP_HEADS, u_m = a
 *     host gemm with the shared weights, its gradient from CE(u_1)+CE(u_2)
 *     = the sum of the two separate backward passes = the host formula;
 *     fusion none: z = mean / set / entropy-gated sum of u_m, dL/dz reaches
 *     the head as lambda_m dL/dz; checkpoints save and load it; short runs
 *     train with model.uni=shared (fusion none and concat)
 *   a method with ASGML_NEEDS_UNI_ZERO gets the zero provider; an explicit
 *     model.uni=split is refused.
 * The finite-difference checks of fusion none / shared are in
 * test-model-fd.c.  Uses the tiny tests/probe-mkstore store (96 samples,
 * 4 classes, train 72 / test 24). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asgml/backend.h"
#include "asgml/checkpoint.h"
#include "asgml/config.h"
#include "asgml/hooks.h"
#include "asgml/train.h"
#include "tap.h"
#include "trainrun.h"

enum { F_NONE, F_CALL, F_ZERO };

static int g_mode;
static char g_dir[256], g_store[320], g_out[400];
static int g_runs;
static int64_t g_np;
static float *g_params_end, *g_buffers_end;
static int64_t g_nbuf;
/* feature pass checks */
static asgml_feature_set g_fs_store, *g_fs;
static asgml_model *g_clone;
static double g_fdiff0 = -1, g_fdiff1 = -1;
static int g_order_ok0 = -1, g_order_ok1 = -1, g_nfeat = -1, g_ntest = -1, g_ntrain = -1;
static int g_test_sorted = 0, g_val_err = 0, g_part_err = 0, g_end_ok = 1, g_end_calls = 0;
static int64_t g_first[64];
static int g_uni_seen = -1;

static float *host(asgml_backend *be, const float *dev, int64_t n)
{
    float *h = malloc((size_t)(n > 0 ? n : 1) * sizeof *h);
    if (h && n > 0 && be->ops->to_host(be, h, dev, (size_t)n * sizeof *h) != ASGML_OK) {
        free(h);
        return NULL;
    }
    return h;
}

static double maxdiff(const float *a, const float *b, int64_t n)
{
    double d = 0;
    for (int64_t i = 0; i < n; i++) {
        double e = fabs((double)a[i] - (double)b[i]);
        if (e > d) d = e;
    }
    return d;
}

/* the clone's inference features of the current batch vs rows [row0, row0 + B) of g_fs */
static double clone_vs_features(asgml_step *s, int64_t row0, int *order_ok)
{
    int D = asgml_model_feature_dim(s->model);
    double d = 0;
    *order_ok = g_fs && g_fs->n >= row0 + s->batch_size;
    for (int i = 0; i < s->batch_size && *order_ok; i++)
        *order_ok = g_fs->samples[row0 + i] == s->samples[i] &&
                    g_fs->labels[row0 + i] == s->labels[i];
    if (!*order_ok || asgml_model_forward(g_clone, s->x, s->batch_size, 0, NULL) != ASGML_OK)
        return -1;
    for (int m = 0; m < s->num_modalities; m++) {
        float *f = host(s->be, asgml_model_features(g_clone, m), (int64_t)s->batch_size * D);
        double e = f ? maxdiff(f, g_fs->x[m] + row0 * D, (int64_t)s->batch_size * D) : 1e30;
        if (e > d) d = e;
        free(f);
    }
    return d;
}

static asgml_status t_create(asgml_config *cfg, const asgml_model_config *mc, void **state)
{
    (void)cfg; (void)mc;
    *state = NULL;
    return ASGML_OK;
}

static asgml_status t_epoch_begin(void *state, asgml_step *s)
{
    asgml_status st = ASGML_OK;
    asgml_feature_set fsv, *fs = &fsv;
    (void)state;
    g_np = asgml_model_num_params(s->model);
    g_nbuf = asgml_model_num_buffers(s->model);
    g_uni_seen = (int)asgml_model_get_config(s->model)->uni;
    for (int i = 0; i < s->batch_size && i < 64; i++)
        g_first[i] = s->samples[i];
    if (g_mode != F_CALL)
        return ASGML_OK;
    if (s->epoch == 0) {
        g_fs = &g_fs_store;
        st = asgml_step_features(s, "train", 2, g_fs);
        if (st == ASGML_OK)
            st = asgml_model_clone(s->model, &g_clone);
        if (st == ASGML_OK) {
            g_nfeat = (int)g_fs->n;
            g_fdiff0 = clone_vs_features(s, 0, &g_order_ok0);
        }
        if (st == ASGML_OK && (st = asgml_step_features(s, "test", 0, fs)) == ASGML_OK) {
            g_ntest = (int)fs->n;
            g_test_sorted = fs->dim == asgml_model_feature_dim(s->model) &&
                            fs->num_modalities == s->num_modalities;
            for (int64_t i = 1; i < fs->n; i++)
                g_test_sorted &= fs->samples[i] > fs->samples[i - 1];
            asgml_feature_set_free(fs);
        }
        if (st == ASGML_OK && (st = asgml_step_features(s, "train", 0, fs)) == ASGML_OK) {
            g_ntrain = (int)fs->n;
            asgml_feature_set_free(fs);
        }
        if (st == ASGML_OK) {
            g_val_err = asgml_step_features(s, "val", 0, fs) == ASGML_EINVAL && !fs->x[0];
            g_part_err = asgml_step_features(s, "bogus", 1, fs) == ASGML_EINVAL && !fs->x[0];
        }
    } else {
        st = asgml_step_features(s, "train", 1, fs);
        asgml_feature_set_free(fs);
    }
    return st;
}

static asgml_status t_before_backward(void *state, asgml_step *s)
{
    (void)state;
    if (g_mode == F_CALL && s->epoch == 0 && s->batch == 1 && g_clone) {
        g_fdiff1 = clone_vs_features(s, s->batch_size, &g_order_ok1);
        asgml_model_free(g_clone);     /* on the run's backend */
        g_clone = NULL;
    }
    return ASGML_OK;
}

static asgml_status t_epoch_end(void *state, asgml_step *s)
{
    asgml_status st = ASGML_OK;
    (void)state;
    if (g_mode == F_CALL) {
        asgml_feature_set fsv, *fs = &fsv;
        /* at epoch_end: still this epoch's order */
        st = asgml_step_features(s, "train", 1, fs);
        for (int i = 0; st == ASGML_OK && i < fs->n && i < 64; i++)
            g_end_ok &= fs->samples[i] == g_first[i];
        g_end_calls++;
        asgml_feature_set_free(fs);
    }
    free(g_params_end);
    free(g_buffers_end);
    g_params_end = host(s->be, asgml_model_params(s->model), g_np);
    g_buffers_end = host(s->be, asgml_model_buffers(s->model), g_nbuf);
    return st;
}

static const asgml_method_ops t_ops = {
    .name = "t-svc", .summary = "test method of the feature passes", .create = t_create,
    .epoch_begin = t_epoch_begin, .before_backward = t_before_backward,
    .epoch_end = t_epoch_end,
};
static const asgml_method_ops t_zero_ops = {
    .name = "t-zero", .summary = "test method that needs the zero provider",
    .needs = ASGML_NEEDS_UNI_ZERO, .create = t_create, .epoch_begin = t_epoch_begin,
};

static asgml_status train(const char *method, int mode, const char *const *sets)
{
    g_mode = mode;
    snprintf(g_out, sizeof g_out, "%s/run%d", g_dir, g_runs++);
    return trainrun(g_store, g_out, 0, method, sets);
}

/* ---- the shared head, fusion none (model only) ------------------------------------ */

static asgml_backend *g_be;

static void mlp_config(asgml_model_config *c, asgml_fusion_kind fusion, asgml_uni_kind uni)
{
    asgml_model_config_defaults(c);
    c->num_modalities = 2;
    for (int j = 0; j < 2; j++) {
        c->enc[j].kind = ASGML_ENC_MLP;
        c->enc[j].in_dim = j ? 5 : 7;
        c->enc[j].hidden = 9;
    }
    c->feature_dim = 6;
    c->num_classes = 4;
    c->fusion = fusion;
    c->uni = uni;
    c->max_batch = 5;
}

static float *dev_copy(const float *h, int64_t n)
{
    float *d = NULL;
    if (g_be->ops->alloc(g_be, (size_t)n * sizeof *d, (void **)&d) != ASGML_OK) return NULL;
    g_be->ops->to_device(g_be, d, h, (size_t)n * sizeof *d);
    return d;
}

/* CE gradient (softmax(u) - onehot) / B of (B, C) logits, host */
static void ce_grad(const float *u, const int *y, int B, int C, float *g)
{
    for (int b = 0; b < B; b++) {
        double mx = u[b * C], z = 0;
        for (int k = 1; k < C; k++) mx = u[b * C + k] > mx ? u[b * C + k] : mx;
        for (int k = 0; k < C; k++) z += exp(u[b * C + k] - mx);
        for (int k = 0; k < C; k++)
            g[b * C + k] = (float)((exp(u[b * C + k] - mx) / z - (k == y[b])) / B);
    }
}

static double entropy_row(const float *u, int C)
{
    double mx = u[0], z = 0, e = 0;
    for (int k = 1; k < C; k++) mx = u[k] > mx ? u[k] : mx;
    for (int k = 0; k < C; k++) z += exp(u[k] - mx);
    for (int k = 0; k < C; k++) {
        double p = exp(u[k] - mx) / z;
        e -= p * log(p);
    }
    return e;
}

static void test_shared_head(void)
{
    enum { B = 5, C = 4, D = 6 };
    asgml_model_config c;
    asgml_model *m = NULL, *m2 = NULL;
    const asgml_param_view *pv;
    int nv, wv = -1, bv = -1, others = 0;
    float xin0[B * 7], xin1[B * 5], *x[2], *W = NULL, *bias, *f[2] = { 0 }, *u[2] = { 0 }, *z;
    float gu[2][B * C], gz[B * C];
    float *G = NULL, *G1 = NULL, *G2 = NULL, *Gz = NULL;
    const int y[B] = { 0, 1, 2, 3, 1 };
    int64_t off, cnt, np;
    double e;

    mlp_config(&c, ASGML_FUSION_NONE, ASGML_UNI_SPLIT);
    ok(asgml_model_create(g_be, &c, &m) == ASGML_EINVAL, "fusion none without unimodal heads "
       "is refused");
    mlp_config(&c, ASGML_FUSION_NONE, ASGML_UNI_SHARED);
    c.uni_detach = 1;
    ok(asgml_model_create(g_be, &c, &m) == ASGML_EINVAL, "the shared head with uni_detach is "
       "refused");
    mlp_config(&c, ASGML_FUSION_CONCAT, ASGML_UNI_SPLIT);
    c.fuse_weights = ASGML_FUSE_ENTROPY;
    ok(asgml_model_create(g_be, &c, &m) == ASGML_EINVAL, "entropy fusion weights need fusion "
       "none");
    if (m) asgml_model_free(m);
    m = NULL;

    mlp_config(&c, ASGML_FUSION_NONE, ASGML_UNI_SHARED);
    if (!ok(asgml_model_create(g_be, &c, &m) == ASGML_OK, "fusion none + shared head: create")) {
        tap_diag("%s", asgml_last_error());
        return;
    }
    asgml_model_init_params(m, 3);
    pv = asgml_model_param_views(m, &nv);
    for (int v = 0; v < nv; v++) {
        if (!strcmp(pv[v].name, "head_shared.weight")) wv = v;
        else if (!strcmp(pv[v].name, "head_shared.bias")) bv = v;
        else if (pv[v].group >= ASGML_GROUP_FUSION) others++;
    }
    asgml_model_group_span(m, ASGML_GROUP_FUSION, &off, &cnt);
    ok(wv >= 0 && bv >= 0 && others == 0 && cnt == 0 && pv[wv].group == ASGML_GROUP_HEADS &&
       pv[wv].shape[0] == C && pv[wv].shape[1] == D && pv[wv].head_of == -1,
       "one head_shared.{weight,bias} (C, D) in the heads group; no fusion parameters");
    if (wv < 0 || bv < 0) {
        asgml_model_free(m);
        return;
    }
    np = asgml_model_num_params(m);
    for (int i = 0; i < B * 7; i++) xin0[i] = (float)sin(0.7 * i + 0.1);
    for (int i = 0; i < B * 5; i++) xin1[i] = (float)cos(1.3 * i);
    x[0] = dev_copy(xin0, B * 7);
    x[1] = dev_copy(xin1, B * 5);
    asgml_model_forward(m, (const float *const *)x, B, 1, NULL);
    W = host(g_be, asgml_model_params(m) + pv[wv].offset, C * D);
    bias = host(g_be, asgml_model_params(m) + pv[bv].offset, C);
    e = 0;
    for (int j = 0; j < 2; j++) {
        f[j] = host(g_be, asgml_model_features(m, j), B * D);
        u[j] = host(g_be, asgml_model_unimodal_logits(m, j), B * C);
        for (int b = 0; b < B; b++)
            for (int k = 0; k < C; k++) {
                double v = bias[k];
                for (int d = 0; d < D; d++) v += (double)f[j][b * D + d] * W[k * D + d];
                if (fabs(v - u[j][b * C + k]) > e) e = fabs(v - u[j][b * C + k]);
            }
    }
    ok(e < 1e-5, "u_m = f_m W^T + b with the one shared (W, b) for both modalities (max err %.2g)",
       e);
    z = host(g_be, asgml_model_logits(m), B * C);
    e = 0;
    for (int i = 0; i < B * C; i++)
        if (fabs(z[i] - 0.5 * ((double)u[0][i] + u[1][i])) > e)
            e = fabs(z[i] - 0.5 * ((double)u[0][i] + u[1][i]));
    ok(e < 1e-6, "fusion none, mean weights: z = (u_1 + u_2) / 2 (max err %.2g)", e);
    free(z);

    /* gradients: CE(u_1) + CE(u_2) jointly = each separately, = the host formula */
    ce_grad(u[0], y, B, C, gu[0]);
    ce_grad(u[1], y, B, C, gu[1]);
    {
        float *d0 = dev_copy(gu[0], B * C), *d1 = dev_copy(gu[1], B * C);
        const float *both[2] = { d0, d1 }, *one0[2] = { d0, NULL }, *one1[2] = { NULL, d1 };
        asgml_model_zero_grad(m);
        asgml_model_backward(m, NULL, both, NULL);
        G = host(g_be, asgml_model_grads(m), np);
        asgml_model_zero_grad(m);
        asgml_model_backward(m, NULL, one0, NULL);
        G1 = host(g_be, asgml_model_grads(m), np);
        asgml_model_zero_grad(m);
        asgml_model_backward(m, NULL, one1, NULL);
        G2 = host(g_be, asgml_model_grads(m), np);
        /* dL/dz = gz with no unimodal term: the head gets sum_m lambda_m gz^T f_m */
        for (int i = 0; i < B * C; i++) gz[i] = (float)(0.1 * ((i * 7) % 5) - 0.2);
        float *dz = dev_copy(gz, B * C);
        asgml_model_zero_grad(m);
        asgml_model_backward(m, dz, NULL, NULL);
        Gz = host(g_be, asgml_model_grads(m), np);
        g_be->ops->free(g_be, d0);
        g_be->ops->free(g_be, d1);
        g_be->ops->free(g_be, dz);
    }
    {
        double es = 0, eh = 0, ez = 0, scale = 0;
        for (int i = 0; i < C * D + C; i++) {
            int64_t o = pv[wv].offset + i;   /* weight then bias: adjacent */
            double sep = (double)G1[o] + G2[o], h = 0, hz = 0;
            int k = i < C * D ? i / D : i - C * D, d = i < C * D ? i % D : -1;
            for (int j = 0; j < 2; j++)
                for (int b = 0; b < B; b++) {
                    double fv = d >= 0 ? f[j][b * D + d] : 1.0;
                    h += (double)gu[j][b * C + k] * fv;
                    hz += 0.5 * gz[b * C + k] * fv;
                }
            if (fabs(G[o] - sep) > es) es = fabs(G[o] - sep);
            if (fabs(G[o] - h) > eh) eh = fabs(G[o] - h);
            if (fabs(Gz[o] - hz) > ez) ez = fabs(Gz[o] - hz);
            if (fabs(h) > scale) scale = fabs(h);
        }
        ok(pv[bv].offset == pv[wv].offset + C * D && es <= 1e-6 * scale && scale > 0,
           "shared head gradient of CE(u_1)+CE(u_2) = the sum of the two separate gradients "
           "(max err %.2g of %.2g)", es, scale);
        ok(eh <= 1e-5 * scale, "... = sum_m du_m^T [f_m, 1] on the host (max err %.2g)", eh);
        ok(ez <= 1e-5 * scale, "dL/dz reaches the head as lambda_m dL/dz, lambda = 1/2 "
           "(max err %.2g)", ez);
        e = 0;
        for (int64_t i = 0; i < np; i++)
            if (fabs((double)G[i] - ((double)G1[i] + G2[i])) > e)
                e = fabs((double)G[i] - ((double)G1[i] + G2[i]));
        ok(e <= 1e-6 * scale, "... and so do the encoder gradients (max err %.2g)", e);
    }

    /* set weights */
    {
        const float lam[2] = { 0.25f, 0.75f };
        float *zz;
        double ez = 0;
        ok(asgml_model_set_fusion_weights(m, lam) == ASGML_OK, "asgml_model_set_fusion_weights");
        asgml_model_forward(m, (const float *const *)x, B, 0, NULL);
        zz = host(g_be, asgml_model_logits(m), B * C);
        float *ua = host(g_be, asgml_model_unimodal_logits(m, 0), B * C);
        float *ub = host(g_be, asgml_model_unimodal_logits(m, 1), B * C);
        for (int i = 0; i < B * C; i++) {
            double want = 0.25 * ua[i] + 0.75 * ub[i];
            if (fabs(zz[i] - want) > ez) ez = fabs(zz[i] - want);
        }
        ok(ez < 1e-6, "z = 0.25 u_1 + 0.75 u_2 after setting the weights (max err %.2g)", ez);
        /* a clone keeps them */
        if (asgml_model_clone(m, &m2) == ASGML_OK) {
            float *zc;
            asgml_model_forward(m2, (const float *const *)x, B, 0, NULL);
            zc = host(g_be, asgml_model_logits(m2), B * C);
            ok(zc && maxdiff(zc, zz, B * C) == 0.0, "a clone fuses with the same weights");
            free(zc);
            asgml_model_free(m2);
            m2 = NULL;
        } else
            ok(0, "a clone fuses with the same weights");
        asgml_model_set_fusion_weights(m, NULL);
        free(zz);
        free(ua);
        free(ub);
        mlp_config(&c, ASGML_FUSION_CONCAT, ASGML_UNI_SHARED);
        if (asgml_model_create(g_be, &c, &m2) == ASGML_OK) {
            ok(asgml_model_set_fusion_weights(m2, lam) == ASGML_EINVAL,
               "fusion weights on a model with a fusion head: EINVAL");
            asgml_model_free(m2);
            m2 = NULL;
        } else
            ok(0, "concat + shared head: create");
    }

    /* checkpoint round trip */
    {
        char path[400];
        asgml_checkpoint_info info;
        float *p1, *p2;
        memset(&info, 0, sizeof info);
        info.method = "baseline";
        info.store_checksum = "";
        info.config_json = "{}";
        info.train_state_json = "{}";
        snprintf(path, sizeof path, "%s/shared.ckpt", g_dir);
        mlp_config(&c, ASGML_FUSION_NONE, ASGML_UNI_SHARED);
        asgml_status s1 = asgml_checkpoint_save(path, g_be, m, NULL, NULL, &info);
        asgml_status s2 = asgml_model_create(g_be, &c, &m2);
        if (s2 == ASGML_OK) {
            asgml_model_init_params(m2, 99);
            s2 = asgml_checkpoint_load(path, g_be, m2, NULL, NULL, NULL);
        }
        p1 = host(g_be, asgml_model_params(m), np);
        p2 = s2 == ASGML_OK ? host(g_be, asgml_model_params(m2), np) : NULL;
        ok(s1 == ASGML_OK && s2 == ASGML_OK && p1 && p2 && maxdiff(p1, p2, np) == 0.0,
           "a checkpoint saves and loads the shared head (%s)",
           s1 || s2 ? asgml_last_error() : "ok");
        free(p1);
        free(p2);
        asgml_model_free(m2);
        m2 = NULL;
    }

    /* entropy-gated weights (MLA's inference fusion) */
    mlp_config(&c, ASGML_FUSION_NONE, ASGML_UNI_SHARED);
    c.fuse_weights = ASGML_FUSE_ENTROPY;
    if (asgml_model_create(g_be, &c, &m2) == ASGML_OK) {
        float *zz, *ua, *ub;
        double ez = 0, spread = 0;
        asgml_model_init_params(m2, 5);
        asgml_model_forward(m2, (const float *const *)x, B, 0, NULL);
        zz = host(g_be, asgml_model_logits(m2), B * C);
        ua = host(g_be, asgml_model_unimodal_logits(m2, 0), B * C);
        ub = host(g_be, asgml_model_unimodal_logits(m2, 1), B * C);
        for (int b = 0; b < B; b++) {
            double ha = entropy_row(ua + b * C, C), hb = entropy_row(ub + b * C, C);
            double hm = ha > hb ? ha : hb, wa = exp(hm - ha), wb = exp(hm - hb);
            double la = wa / (wa + wb), lb = wb / (wa + wb);
            if (fabs(la - 0.5) > spread) spread = fabs(la - 0.5);
            for (int k = 0; k < C; k++) {
                double want = la * ua[b * C + k] + lb * ub[b * C + k];
                if (fabs(zz[b * C + k] - want) > ez) ez = fabs(zz[b * C + k] - want);
            }
        }
        ok(ez < 1e-5 && spread > 1e-4, "entropy weights: z_b = sum_m softmax_m(-H(u_m,b)) u_m,b "
           "per sample (max err %.2g; weights differ from 1/2 by up to %.2g)", ez, spread);
        free(zz);
        free(ua);
        free(ub);
        asgml_model_free(m2);
    } else
        ok(0, "entropy weights: create");

    for (int j = 0; j < 2; j++) {
        free(f[j]);
        free(u[j]);
        g_be->ops->free(g_be, x[j]);
    }
    free(W);
    free(bias);
    free(G);
    free(G1);
    free(G2);
    free(Gz);
    asgml_model_free(m);
}

int main(void)
{
    const char *bd = getenv("top_builddir");
    char cmd[800];
    asgml_status st;
    snprintf(g_dir, sizeof g_dir, "/tmp/test-svc.XXXXXX");
    if (!mkdtemp(g_dir))
        tap_skip_all("no temporary directory");
    if (asgml_backend_create("cpu", NULL, &g_be) != ASGML_OK)
        tap_skip_all("no cpu backend");
    test_shared_head();

    snprintf(g_store, sizeof g_store, "%s/tiny.h5", g_dir);
    snprintf(cmd, sizeof cmd, "'%s/tests/probe-mkstore' '%s' 96 >/dev/null 2>&1", bd ? bd : ".",
             g_store);
    if (system(cmd) != 0) {
        tap_diag("tests/probe-mkstore failed");
        ok(0, "tiny store");
        return tap_done();
    }
    asgml_method_add_extra(&t_ops);
    asgml_method_add_extra(&t_zero_ops);

    /* feature passes */
    {
        static const char *const sets[] = { "train.epochs=2", "model.dropout=0.2", NULL };
        float *with, *without, *bwith, *bwithout;
        st = train("t-svc", F_CALL, sets);
        with = g_params_end;
        bwith = g_buffers_end;
        g_params_end = g_buffers_end = NULL;
        ok(st == ASGML_OK && g_nfeat == 32 && g_order_ok0 == 1 && g_fdiff0 == 0.0,
           "features of this epoch's first 2 batches (%d samples): batch 0 = the batch the loop "
           "serves, f_m = a clone's inference forward (max diff %g)", g_nfeat, g_fdiff0);
        ok(g_order_ok1 == 1 && g_fdiff1 == 0.0, "rows 16..31 = the loop's batch 1, f_m = the "
           "clone's forward of it (max diff %g)", g_fdiff1);
        ok(g_ntest == 24 && g_test_sorted && g_ntrain == 72, "test: 24 samples in ascending "
           "store index; train, all batches: 72");
        ok(g_val_err && g_part_err, "part val without a validation split and an unknown part: "
           "EINVAL");
        ok(g_end_calls == 2 && g_end_ok, "at epoch_end the first batch is still this epoch's");
        train("t-svc", F_NONE, sets);
        without = g_params_end;
        bwithout = g_buffers_end;
        g_params_end = g_buffers_end = NULL;
        ok(with && without && bwith && bwithout && maxdiff(with, without, g_np) == 0.0 &&
           maxdiff(bwith, bwithout, g_nbuf) == 0.0,
           "a 2-epoch run with dropout calling it at epoch_begin and epoch_end ends "
           "bit-identical (parameters and BN statistics) to one that does not");
        free(with); free(without); free(bwith); free(bwithout);
        asgml_feature_set_free(g_fs);
        g_fs = NULL;
    }

    /* shared head in a run */
    {
        static const char *const none[] = { "model.uni=shared", "model.fusion=none",
                                            "train.epochs=2", NULL };
        static const char *const ent[] = { "model.fusion=none", "model.fusion-weights=entropy",
                                           NULL };
        static const char *const cat[] = { "model.uni=shared", NULL };
        static const char *const bad[] = { "model.fusion=none", "model.uni=split", NULL };
        float *p0;
        st = train("t-svc", F_NONE, none);
        p0 = g_params_end;
        g_params_end = NULL;
        ok(st == ASGML_OK && g_uni_seen == ASGML_UNI_SHARED && p0,
           "a 2-epoch run with model.uni=shared model.fusion=none trains");
        free(p0);
        st = train("t-svc", F_NONE, ent);
        ok(st == ASGML_OK && g_uni_seen == ASGML_UNI_SHARED,
           "model.fusion=none (uni auto -> shared) with model.fusion-weights=entropy trains");
        ok(train("t-svc", F_NONE, cat) == ASGML_OK, "model.uni=shared next to the concat head "
           "trains");
        ok(train("t-svc", F_NONE, bad) != ASGML_OK, "model.fusion=none with model.uni=split is "
           "refused");
    }

    /* ASGML_NEEDS_UNI_ZERO */
    {
        static const char *const split[] = { "model.uni=split", NULL };
        g_uni_seen = -1;
        st = train("t-zero", F_ZERO, NULL);
        ok(st == ASGML_OK && g_uni_seen == ASGML_UNI_ZERO,
           "ASGML_NEEDS_UNI_ZERO: model.uni=auto resolves to the zero provider (%d)", g_uni_seen);
        ok(train("t-zero", F_ZERO, split) == ASGML_EINVAL, "... and model.uni=split is refused");
    }

    free(g_params_end);
    free(g_buffers_end);
    asgml_backend_destroy(g_be);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0)
        tap_diag("could not remove %s", g_dir);
    return tap_done();
}
