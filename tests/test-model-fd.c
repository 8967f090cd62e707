/* SPDX-License-Identifier: MIT */
/* test-model-fd.c - finite-difference checks of asgml_model's backward
 * through the whole model (encoders, fusion, unimodal logits).
 *
 * Scalar probe loss L = sum(R .* z) + sum_m sum(S_m .* u_m) with fixed
 * random R, S_m (B, C); the analytic gradient comes from
 * asgml_model_backward(dlogits = R, duni = S), the numerical one from
 * central differences (step 4e-3, float32 forward, L summed in double)
 * at 6 elements spread over every parameter tensor.  Pass: normwise
 * relative error over all sampled elements < 2e-2 (float32 central
 * differences across ReLU/max-pool kinks are not more precise than that;
 * a wrong term is O(1)).  A sample whose differences at h and h/2 disagree
 * by more than 2 % sits at a kink and is skipped; at most 1 in 5 may be.
 * FD_VERBOSE=1 prints every sample.  Exactness of the ResNet gradients is
 * shown against PyTorch in test-model-torch.  Cases: concat/sum with split and zero providers,
 * the two-layer head, film and gated with heads, heads with and without
 * detach (detached: the encoders must match the FD of sum(R .* z) alone),
 * dropout (stream reset before every forward), a removed modality
 * (present = 0), an inactive encoder (exact zero gradient), and a tiny
 * ResNet (width 2, 1x16x16, 2 frames) next to an MLP, in training mode
 * (BN batch statistics) and in inference mode (BN running statistics).
 * model.feature-norm (ASGML v1 5.3 mitigation 4): l2 and layernorm cases
 * through the FD check, and norm_case: unit-norm / standardised rows that
 * feed fusion, the raw-norm accessor, and NONE leaving the logits unchanged. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgml/model.h"
#include "tap.h"

#define FD_STEP 4e-3
#define FD_TOL 2e-2
#define SAMPLES 6

static asgml_backend *be;

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static double urand(void)   /* SplitMix64 -> [0, 1) */
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1.0p-53;
}

static float *dev_random(size_t n, double scale)
{
    float *h = malloc(n * sizeof *h), *d = NULL;
    for (size_t i = 0; i < n; i++) h[i] = (float)(scale * (2 * urand() - 1));
    be->ops->alloc(be, n * sizeof *h, (void **)&d);
    be->ops->to_device(be, d, h, n * sizeof *h);
    free(h);
    return d;
}

typedef struct fd_case {
    asgml_model *m;
    int B, C, N, training;
    const float *inputs[ASGML_MAX_MODALITIES];
    float *r, *s[ASGML_MAX_MODALITIES];     /* backend (B, C) */
    float *rh, *sh[ASGML_MAX_MODALITIES];   /* host copies */
    const int *present, *active;
} fd_case;

/* L for the current parameters; z_only: sum(R .* z) only */
static double probe(fd_case *k, int z_only)
{
    asgml_model *m = k->m;
    uint64_t seed, off;
    asgml_model_dropout_state(m, &seed, &off);
    asgml_model_forward(m, k->inputs, k->B, k->training, k->present);
    asgml_model_set_dropout_state(m, seed, off);   /* same dropout mask next time */
    size_t n = (size_t)k->B * k->C;
    float *h = malloc(n * sizeof *h);
    double L = 0;
    be->ops->to_host(be, h, asgml_model_logits(m), n * sizeof *h);
    for (size_t i = 0; i < n; i++) L += (double)h[i] * k->rh[i];
    for (int j = 0; !z_only && j < k->N; j++) {
        const float *u = asgml_model_unimodal_logits(m, j);
        if (!u) continue;
        be->ops->to_host(be, h, u, n * sizeof *h);
        for (size_t i = 0; i < n; i++) L += (double)h[i] * k->sh[j][i];
    }
    free(h);
    return L;
}

/* (L(p_e + h) - L(p_e - h)) / 2h, restoring p_e */
static double central(fd_case *k, int64_t e, float orig, double h, int z_only)
{
    float *p = asgml_model_params(k->m) + e;
    float x = orig + (float)h;
    be->ops->to_device(be, p, &x, sizeof x);
    double lp = probe(k, z_only);
    x = orig - (float)h;
    be->ops->to_device(be, p, &x, sizeof x);
    double lm = probe(k, z_only);
    be->ops->to_device(be, p, &orig, sizeof orig);
    return (lp - lm) / (2 * h);
}

/* Runs the check; returns the normwise error, fills *zero_ok (inactive /
 * absent encoders have exactly zero gradient) and the sample counts. */
static double check(fd_case *k, int detach, int *zero_ok, int *sampled_out, int *kinks_out)
{
    int sampled = 0, kinks = 0;
    asgml_model *m = k->m;
    size_t n = (size_t)k->B * k->C;
    const asgml_model_config *cfg = asgml_model_get_config(m);
    int use_uni = cfg->uni != ASGML_UNI_NONE;
    for (int j = 0; j < k->N; j++) {
        k->sh[j] = malloc(n * sizeof(float));
        be->ops->to_host(be, k->sh[j], k->s[j], n * sizeof(float));
    }
    k->rh = malloc(n * sizeof(float));
    be->ops->to_host(be, k->rh, k->r, n * sizeof(float));

    asgml_model_zero_grad(m);
    probe(k, 0);
    const float *duni[ASGML_MAX_MODALITIES] = { 0 };
    for (int j = 0; j < k->N; j++) duni[j] = k->s[j];
    asgml_model_backward(m, k->r, use_uni ? duni : NULL, k->active);

    int nv;
    const asgml_param_view *v = asgml_model_param_views(m, &nv);
    int64_t np = asgml_model_num_params(m);
    float *g = malloc((size_t)np * sizeof *g), *p = malloc((size_t)np * sizeof *p);
    be->ops->to_host(be, g, asgml_model_grads(m), (size_t)np * sizeof *g);
    be->ops->to_host(be, p, asgml_model_params(m), (size_t)np * sizeof *p);
    double num = 0, den = 0;
    *zero_ok = 1;
    for (int i = 0; i < nv; i++) {
        int grp = v[i].group;
        int off_enc = grp < k->N && ((k->active && !k->active[grp]) ||
                                     (k->present && !k->present[grp]));
        if (off_enc) {
            for (int64_t e = 0; e < v[i].numel; e++)
                if (g[v[i].offset + e] != 0.0f) *zero_ok = 0;
            continue;
        }
        int z_only = detach && grp < k->N;
        for (int t = 0; t < SAMPLES && t < v[i].numel; t++) {
            /* spread over the tensor; odd samples shifted by one element */
            int64_t e = v[i].numel <= SAMPLES ? v[i].offset + t
                        : v[i].offset + (t * v[i].numel) / SAMPLES + t % 2;
            /* central differences at h and h/2: where they disagree the step
             * crossed a ReLU / max-pool kink and the sample says nothing */
            double fd_h = central(k, e, p[e], FD_STEP, z_only);
            double fd = central(k, e, p[e], FD_STEP / 2, z_only);
            sampled++;
            if (fabs(fd_h - fd) > 0.02 * fmax(fmax(fabs(fd_h), fabs(fd)), 0.05)) {
                kinks++;
                continue;
            }
            if (getenv("FD_VERBOSE"))
                tap_diag("%s[%lld]: analytic %.6g fd %.6g", v[i].name,
                         (long long)(e - v[i].offset), g[e], fd);
            num += (fd - g[e]) * (fd - g[e]);
            den += fd * fd;
        }
    }
    free(g);
    free(p);
    free(k->rh);
    *sampled_out = sampled;
    *kinks_out = kinks;
    for (int j = 0; j < k->N; j++) free(k->sh[j]);
    return sqrt(num) / (den > 0 ? sqrt(den) : 1e-30);
}

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

static void run(const char *label, const asgml_model_config *c, int training,
                const int *present, const int *active)
{
    asgml_model *m = NULL;
    asgml_status st = asgml_model_create(be, c, &m);
    if (!ok(st == ASGML_OK, "%s: create", label)) {
        tap_diag("%s", asgml_last_error());
        return;
    }
    asgml_model_init_params(m, 7);
    fd_case k;
    memset(&k, 0, sizeof k);
    k.m = m;
    k.B = c->max_batch;
    k.C = c->num_classes;
    k.N = c->num_modalities;
    k.training = training;
    k.present = present;
    k.active = active;
    float *in[ASGML_MAX_MODALITIES] = { 0 };
    for (int j = 0; j < k.N; j++) {
        const asgml_encoder_config *e = &c->enc[j];
        size_t n = e->kind == ASGML_ENC_MLP
                       ? (size_t)k.B * e->in_dim
                       : (size_t)k.B * e->frames * e->in_channels * e->in_h * e->in_w;
        in[j] = dev_random(n, 1.0);
        k.inputs[j] = in[j];
        k.s[j] = dev_random((size_t)k.B * k.C, 1.0);
    }
    k.r = dev_random((size_t)k.B * k.C, 1.0);
    if (!training) {
        /* give the BN running statistics non-trivial values */
        for (int t = 0; t < 3; t++) asgml_model_forward(m, k.inputs, k.B, 1, NULL);
    }
    int zero_ok, sampled, kinks;
    double err = check(&k, c->uni == ASGML_UNI_HEADS && c->uni_detach, &zero_ok, &sampled, &kinks);
    ok(err < FD_TOL && kinks * 5 <= sampled, "%s: gradient vs central differences, normwise rel "
       "err %.2e (%d samples, %d at kinks skipped)", label, err, sampled, kinks);
    if (present || active)
        ok(zero_ok, "%s: encoder without a path gets exactly zero gradient", label);
    for (int j = 0; j < k.N; j++) {
        be->ops->free(be, in[j]);
        be->ops->free(be, k.s[j]);
    }
    be->ops->free(be, k.r);
    asgml_model_free(m);
}

/* model.feature-norm: rows of f_m after forward; same params, none vs kind */
static void norm_case(asgml_feature_norm kind, const char *label)
{
    asgml_model_config c;
    asgml_model *m0 = NULL, *m1 = NULL;
    mlp_config(&c, ASGML_FUSION_CONCAT, ASGML_UNI_SPLIT);
    asgml_model_create(be, &c, &m0);
    c.feature_norm = kind;
    if (!ok(asgml_model_create(be, &c, &m1) == ASGML_OK && m0, "%s: create", label)) return;
    asgml_model_init_params(m0, 7);
    asgml_model_init_params(m1, 7);
    float *in[2] = { dev_random((size_t)5 * 7, 3.0), dev_random((size_t)5 * 5, 3.0) };
    const float *inputs[2] = { in[0], in[1] };
    asgml_model_forward(m0, inputs, 5, 1, NULL);
    asgml_model_forward(m1, inputs, 5, 1, NULL);
    float f0[30], f1[30], z0[20], z1[20];
    double worst = 0, raw_err = 0;
    for (int j = 0; j < 2; j++) {
        be->ops->to_host(be, f0, asgml_model_features(m0, j), sizeof f0);
        be->ops->to_host(be, f1, asgml_model_features(m1, j), sizeof f1);
        double raw = 0;
        for (int b = 0; b < 5; b++) {
            double n0 = 0, mu = 0, v = 0, n1 = 0;
            for (int d = 0; d < 6; d++) n0 += (double)f0[b * 6 + d] * f0[b * 6 + d];
            for (int d = 0; d < 6; d++) mu += f0[b * 6 + d] / 6.0;
            for (int d = 0; d < 6; d++) v += (f0[b * 6 + d] - mu) * (f0[b * 6 + d] - mu) / 6.0;
            raw += sqrt(n0) / 5;
            for (int d = 0; d < 6; d++) {
                double want = kind == ASGML_FEATURE_NORM_L2 ? f0[b * 6 + d] / sqrt(n0)
                                                            : (f0[b * 6 + d] - mu) / sqrt(v + 1e-5);
                worst = fmax(worst, fabs(f1[b * 6 + d] - want));
                n1 += (double)f1[b * 6 + d] * f1[b * 6 + d];
            }
            if (kind == ASGML_FEATURE_NORM_L2) worst = fmax(worst, fabs(sqrt(n1) - 1));
        }
        raw_err = fmax(raw_err, fabs(asgml_model_feature_raw_norm(m1, j) - raw) / raw);
    }
    ok(worst < 1e-5, "%s: rows are the normalised features of the unnormalised model "
       "(worst %.2e)", label, worst);
    ok(raw_err < 1e-6, "%s: feature_raw_norm is the mean ||f_m|| before normalising", label);
    ok(isnan(asgml_model_feature_raw_norm(m0, 0)), "%s: none reports no raw norm", label);
    be->ops->to_host(be, z0, asgml_model_logits(m0), sizeof z0);
    be->ops->to_host(be, z1, asgml_model_logits(m1), sizeof z1);
    ok(memcmp(z0, z1, sizeof z0) != 0, "%s: the fused logits change", label);
    be->ops->free(be, in[0]);
    be->ops->free(be, in[1]);
    asgml_model_free(m0);
    asgml_model_free(m1);
}

int main(void)
{
    if (asgml_backend_create("cpu", NULL, &be) != ASGML_OK) {
        printf("Bail out! %s\n", asgml_last_error());
        return 1;
    }
    asgml_model_config c;
    mlp_config(&c, ASGML_FUSION_CONCAT, ASGML_UNI_SPLIT);
    run("concat+split", &c, 1, NULL, NULL);
    mlp_config(&c, ASGML_FUSION_CONCAT, ASGML_UNI_ZERO);
    run("concat+zero", &c, 1, NULL, NULL);
    mlp_config(&c, ASGML_FUSION_CONCAT, ASGML_UNI_SPLIT);
    c.head_two_layer = 1;
    run("concat two-layer+split", &c, 1, NULL, NULL);
    mlp_config(&c, ASGML_FUSION_CONCAT, ASGML_UNI_ZERO);
    c.head_two_layer = 1;
    c.head_init_uniform = 1;
    run("concat two-layer+zero, uniform head init", &c, 1, NULL, NULL);
    mlp_config(&c, ASGML_FUSION_SUM, ASGML_UNI_SPLIT);
    run("sum+split", &c, 1, NULL, NULL);
    mlp_config(&c, ASGML_FUSION_SUM, ASGML_UNI_ZERO);
    run("sum+zero", &c, 1, NULL, NULL);
    mlp_config(&c, ASGML_FUSION_FILM, ASGML_UNI_HEADS);
    run("film+heads", &c, 1, NULL, NULL);
    mlp_config(&c, ASGML_FUSION_GATED, ASGML_UNI_HEADS);
    run("gated+heads", &c, 1, NULL, NULL);
    mlp_config(&c, ASGML_FUSION_CONCAT, ASGML_UNI_HEADS);
    c.head_two_layer = 1;
    run("concat two-layer+heads", &c, 1, NULL, NULL);
    c.uni_detach = 1;
    run("concat two-layer+heads detached", &c, 1, NULL, NULL);
    mlp_config(&c, ASGML_FUSION_NONE, ASGML_UNI_SHARED);
    run("none+shared head (z = mean of u_m)", &c, 1, NULL, NULL);
    mlp_config(&c, ASGML_FUSION_CONCAT, ASGML_UNI_SHARED);
    run("concat+shared head", &c, 1, NULL, NULL);
    mlp_config(&c, ASGML_FUSION_NONE, ASGML_UNI_HEADS);
    c.dropout = 0.3f;
    run("none+heads, dropout 0.3", &c, 1, NULL, NULL);
    mlp_config(&c, ASGML_FUSION_CONCAT, ASGML_UNI_SPLIT);
    c.dropout = 0.3f;
    run("concat+split, dropout 0.3", &c, 1, NULL, NULL);
    run("concat+split, dropout configured, inference", &c, 0, NULL, NULL);
    static const int present[2] = { 1, 0 }, active[2] = { 0, 1 };
    mlp_config(&c, ASGML_FUSION_GATED, ASGML_UNI_HEADS);
    run("gated+heads, visual removed (present 0)", &c, 1, present, NULL);
    mlp_config(&c, ASGML_FUSION_CONCAT, ASGML_UNI_HEADS);
    run("concat+heads, audio encoder inactive", &c, 1, NULL, active);

    mlp_config(&c, ASGML_FUSION_CONCAT, ASGML_UNI_HEADS);
    c.feature_norm = ASGML_FEATURE_NORM_L2;
    run("concat+heads, feature-norm l2", &c, 1, NULL, NULL);
    c.feature_norm = ASGML_FEATURE_NORM_LAYERNORM;
    c.dropout = 0.3f;
    run("concat+heads, feature-norm layernorm, dropout 0.3", &c, 1, NULL, NULL);
    mlp_config(&c, ASGML_FUSION_GATED, ASGML_UNI_HEADS);
    c.feature_norm = ASGML_FEATURE_NORM_L2;
    run("gated+heads, feature-norm l2, visual removed", &c, 1, present, NULL);
    norm_case(ASGML_FEATURE_NORM_L2, "feature-norm l2");
    norm_case(ASGML_FEATURE_NORM_LAYERNORM, "feature-norm layernorm");

    /* tiny ResNet (width 2, blocks 1,1,1,1 and 2,1,1,1) next to an MLP */
    mlp_config(&c, ASGML_FUSION_CONCAT, ASGML_UNI_SPLIT);
    c.enc[0].kind = ASGML_ENC_RESNET18;
    c.enc[0].in_channels = 1;
    c.enc[0].in_h = c.enc[0].in_w = 16;
    c.enc[0].frames = 2;
    c.width = 2;
    c.feature_dim = 16;
    c.max_batch = 3;
    for (int s = 0; s < 4; s++) c.blocks[s] = 1;
    c.blocks[0] = 2;
    run("resnet(w2, 1x16x16, T=2)+mlp concat+split, training", &c, 1, NULL, NULL);
    run("resnet(w2, 1x16x16, T=2)+mlp concat+split, inference BN", &c, 0, NULL, NULL);

    /* init statistics (asgml-methods(7), MODEL (Initialisation)): Kaiming fan-out conv, Xavier linear, BN 1/0 */
    asgml_model_config r;
    asgml_model_config_defaults(&r);
    r.width = 8;
    r.feature_dim = 64;
    r.enc[0].in_h = r.enc[0].in_w = r.enc[1].in_h = r.enc[1].in_w = 32;
    r.max_batch = 1;
    asgml_model *m = NULL;
    if (asgml_model_create(be, &r, &m) == ASGML_OK) {
        int nv;
        const asgml_param_view *v = asgml_model_param_views(m, &nv);
        float *p = malloc((size_t)asgml_model_num_params(m) * sizeof *p);
        be->ops->to_host(be, p, asgml_model_params(m), (size_t)asgml_model_num_params(m) * sizeof *p);
        double worst = 0;
        int bn_ok = 1;
        for (int i = 0; i < nv; i++) {
            const float *x = p + v[i].offset;
            if (v[i].ndim == 1) {
                int is_w = strstr(v[i].name, "bn") || strstr(v[i].name, "downsample.1")
                               ? !!strstr(v[i].name, ".weight") : 0;
                for (int64_t e = 0; e < v[i].numel; e++)
                    if (x[e] != (is_w ? 1.0f : 0.0f)) bn_ok = 0;
                continue;
            }
            if (v[i].numel < 2000) continue;
            double want = v[i].ndim == 4
                              ? 2.0 / (double)(v[i].shape[0] * v[i].shape[2] * v[i].shape[3])
                              : 2.0 / (double)(v[i].shape[0] + v[i].shape[1]);
            double ss = 0;
            for (int64_t e = 0; e < v[i].numel; e++) ss += (double)x[e] * x[e];
            double ratio = ss / v[i].numel / want;
            if (fabs(ratio - 1) > worst) worst = fabs(ratio - 1);
        }
        ok(worst < 0.1, "init: variance / (2/fan) within 10%% on every tensor >= 2000 elements "
           "(worst %.3f)", worst);
        ok(bn_ok, "init: BN weight 1, bias 0; linear biases 0");
        float *q = malloc((size_t)asgml_model_num_params(m) * sizeof *q);
        asgml_model_init_params(m, 0);
        be->ops->to_host(be, q, asgml_model_params(m), (size_t)asgml_model_num_params(m) * sizeof *q);
        int same = !memcmp(p, q, (size_t)asgml_model_num_params(m) * sizeof *q);
        asgml_model_init_params(m, 1);
        be->ops->to_host(be, q, asgml_model_params(m), (size_t)asgml_model_num_params(m) * sizeof *q);
        ok(same && memcmp(p, q, (size_t)asgml_model_num_params(m) * sizeof *q),
           "init: same seed same parameters, other seed other parameters");
        int64_t off0, n0, off1, n1, offf, nf;
        asgml_model_group_span(m, 0, &off0, &n0);
        asgml_model_group_span(m, 1, &off1, &n1);
        asgml_model_group_span(m, ASGML_GROUP_FUSION, &offf, &nf);
        ok(off0 == 0 && off1 == n0 && offf == n0 + n1 && offf + nf == asgml_model_num_params(m),
           "group spans are contiguous and ordered (%lld, %lld, %lld floats)", (long long)n0,
           (long long)n1, (long long)nf);
        free(p);
        free(q);
        asgml_model_free(m);
    } else {
        ok(0, "init: ResNet18 width 8 created: %s", asgml_last_error());
    }
    asgml_backend_destroy(be);
    return tap_done();
}
