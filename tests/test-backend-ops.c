/* SPDX-License-Identifier: MIT */
/* test-backend-ops.c - every op of every non-CPU backend against the CPU
 * reference (in the manner of ggml's test-backend-ops).
 *
 * For each backend other than "cpu" that asgml_backend_create() can open,
 * every op of asgml_op (0 .. ASGML_OP_COUNT-1, so a new op without a case
 * here fails) runs on random shapes and inputs on both backends; outputs
 * are compared by normalised mean squared error, NMSE = sum (a-b)^2 /
 * sum b^2, against a per-op threshold.  Gradient buffers start from the
 * same random values on both sides, so the += contract is compared too.
 * Ops a backend does not support are skipped (callers fall back to CPU).
 * TF32 is disabled on the tested backend: the comparison is float32 math. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "asgml/backend.h"
#include "tap.h"

static asgml_backend *cpu, *dev;
static uint64_t rng = 0x0dd5eed5ULL;

static double urand(void)
{
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(rng >> 11) * (1.0 / 9007199254740992.0);
}

static int irand(int lo, int hi) { return lo + (int)(urand() * (hi - lo + 1)); }

/* A tensor held twice: h on the host (what the CPU backend computes on) and
 * d in the tested backend's memory. */
typedef struct {
    size_t bytes;
    void *h, *d;
} tens;

#define MAX_TENS 16
static tens pool[MAX_TENS];
static int npool;
static int setup_failed;

static tens *tens_bytes(const void *init, size_t bytes)
{
    tens *t = &pool[npool++];
    t->bytes = bytes;
    t->h = malloc(bytes ? bytes : 1);
    memcpy(t->h, init, bytes);
    t->d = NULL;
    if (dev->ops->alloc(dev, bytes ? bytes : 1, &t->d) != ASGML_OK ||
        dev->ops->to_device(dev, t->d, t->h, bytes) != ASGML_OK)
        setup_failed = 1;
    return t;
}

/* n floats uniform in [lo, hi) */
static tens *tens_rand(size_t n, double lo, double hi)
{
    float *tmp = malloc((n ? n : 1) * sizeof(float));
    for (size_t i = 0; i < n; i++) tmp[i] = (float)(lo + (hi - lo) * urand());
    tens *t = tens_bytes(tmp, n * sizeof(float));
    free(tmp);
    return t;
}

static void pool_free(void)
{
    for (int i = 0; i < npool; i++) {
        free(pool[i].h);
        if (pool[i].d) dev->ops->free(dev, pool[i].d);
    }
    npool = 0;
    setup_failed = 0;
}

/* the tensor's pointer on side 0 (cpu) or 1 (tested backend) */
#define F(t, side) ((float *)((side) ? (t)->d : (t)->h))
#define I(t, side) ((int32_t *)((side) ? (t)->d : (t)->h))

/* NMSE of the tested backend's copy of t against the CPU copy; -1 on a
 * transfer error */
static double nmse(const tens *t)
{
    size_t n = t->bytes / sizeof(float);
    float *got = malloc(t->bytes ? t->bytes : 1);
    if (dev->ops->synchronize(dev) != ASGML_OK ||
        dev->ops->to_host(dev, got, t->d, t->bytes) != ASGML_OK) {
        free(got);
        return -1;
    }
    const float *ref = t->h;
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)got[i] - ref[i];
        num += isnan(d) ? INFINITY : d * d;
        den += (double)ref[i] * ref[i];
    }
    free(got);
    return den > 0 ? num / den : num;
}

/* number of differing int32 elements, -1 on a transfer error */
static long mismatches_i32(const tens *t)
{
    size_t n = t->bytes / sizeof(int32_t);
    int32_t *got = malloc(t->bytes ? t->bytes : 1);
    if (dev->ops->to_host(dev, got, t->d, t->bytes) != ASGML_OK) {
        free(got);
        return -1;
    }
    long bad = 0;
    for (size_t i = 0; i < n; i++) bad += got[i] != ((int32_t *)t->h)[i];
    free(got);
    return bad;
}

/* a scalar's error on the NMSE scale: the squared relative error */
static double rel_scalar(double a, double b)
{
    double e = fabs(a - b) / (fabs(b) > 1e-30 ? fabs(b) : 1);
    return e * e;
}

/* Per-op outcome: worst NMSE of its outputs and whether both sides ran. */
typedef struct {
    double err;
    int failed;
    char what[200];
} result;

static void check(result *r, double e, const char *name)
{
    if (e < 0) r->failed = 1;
    if (e > r->err || isnan(e)) r->err = isnan(e) ? INFINITY : e;
    size_t len = strlen(r->what);
    snprintf(r->what + len, sizeof r->what - len, "%s%s %.1e", len ? ", " : "", name, e);
}

#define BOTH(call)                                                            \
    for (int side = 0; side < 2; side++) {                                    \
        asgml_backend *be = side ? dev : cpu;                                 \
        asgml_status st_ = (call);                                            \
        if (st_ != ASGML_OK) {                                                \
            r->failed = 1;                                                    \
            tap_diag("%s on %s: %s", asgml_op_name(op), be->ops->name,        \
                     asgml_last_error());                                     \
        }                                                                     \
    }

static void random_conv(asgml_conv2d_desc *d, int variant)
{
    static const int kcfg[][3] = {{3, 1, 1}, {3, 2, 1}, {7, 2, 3}, {1, 2, 0}, {1, 1, 0}};
    const int *k = kcfg[variant % 5];
    int hw = irand(k[0] > 3 ? 9 : 4, 14);
    asgml_conv2d_desc_init(d, irand(1, 4), irand(1, 9), hw, hw + irand(0, 3), irand(1, 12),
                           k[0], k[1], k[2]);
    d->w_out = (d->w_in + 2 * d->pad_w - d->k_w) / d->stride_w + 1;
}

/* Runs op once (variant picks a shape family) on both backends. */
/* One case per op of the ASGML_OPS list: long by design, the one place a
 * new op's parity case goes (HACKING, adding an op). */
static void run_op(asgml_op op, int variant, result *r)
{
    switch (op) {
    case ASGML_OP_CONV2D_FORWARD:
    case ASGML_OP_CONV2D_BACKWARD_DATA:
    case ASGML_OP_CONV2D_BACKWARD_FILTER: {
        asgml_conv2d_desc d;
        random_conv(&d, variant);
        size_t nx = (size_t)d.n * d.c_in * d.h_in * d.w_in;
        size_t nw = (size_t)d.c_out * d.c_in * d.k_h * d.k_w;
        size_t ny = (size_t)d.n * d.c_out * d.h_out * d.w_out;
        tens *x = tens_rand(nx, -1, 1), *w = tens_rand(nw, -1, 1), *y = tens_rand(ny, -1, 1);
        if (setup_failed) break;
        if (op == ASGML_OP_CONV2D_FORWARD) {
            BOTH(be->ops->conv2d_forward(be, &d, F(x, side), F(w, side), F(y, side)));
            check(r, nmse(y), "y");
        } else if (op == ASGML_OP_CONV2D_BACKWARD_DATA) {
            BOTH(be->ops->conv2d_backward_data(be, &d, F(y, side), F(w, side), F(x, side)));
            check(r, nmse(x), "dx");
        } else {
            BOTH(be->ops->conv2d_backward_filter(be, &d, F(x, side), F(y, side), F(w, side)));
            check(r, nmse(w), "dw");
        }
        break;
    }
    case ASGML_OP_BATCHNORM_FORWARD_TRAIN:
    case ASGML_OP_BATCHNORM_FORWARD_INFER:
    case ASGML_OP_BATCHNORM_BACKWARD:
    case ASGML_OP_BATCHNORM_RELU_FORWARD_TRAIN:
    case ASGML_OP_BATCHNORM_RELU_FORWARD_INFER:
    case ASGML_OP_BATCHNORM_RELU_BACKWARD: {
        asgml_bn_desc d = {irand(2, 6), irand(1, 16), variant ? irand(1, 60) : 1, 1e-5, 0.1};
        size_t nx = (size_t)d.n * d.c * d.hw;
        tens *x = tens_rand(nx, -2, 3), *y = tens_rand(nx, -1, 1), *g = tens_rand(d.c, 0.5, 1.5);
        tens *b = tens_rand(d.c, -1, 1), *rm = tens_rand(d.c, -0.3, 0.3);
        tens *rv = tens_rand(d.c, 0.5, 2), *m = tens_rand(d.c, -0.5, 0.5);
        tens *is = tens_rand(d.c, 0.5, 1.5), *dg = tens_rand(d.c, -1, 1);
        tens *db = tens_rand(d.c, -1, 1), *dx = tens_rand(nx, -1, 1);
        if (setup_failed) break;
        if (op == ASGML_OP_BATCHNORM_FORWARD_TRAIN) {
            BOTH(be->ops->batchnorm_forward_train(be, &d, F(x, side), F(g, side), F(b, side),
                                                  F(y, side), F(m, side), F(is, side),
                                                  F(rm, side), F(rv, side)));
            check(r, nmse(y), "y");
            check(r, nmse(m), "mean");
            check(r, nmse(is), "invstd");
            check(r, nmse(rm), "running_mean");
            check(r, nmse(rv), "running_var");
        } else if (op == ASGML_OP_BATCHNORM_FORWARD_INFER) {
            BOTH(be->ops->batchnorm_forward_infer(be, &d, F(x, side), F(g, side), F(b, side),
                                                  F(rm, side), F(rv, side), F(y, side)));
            check(r, nmse(y), "y");
        } else if (op == ASGML_OP_BATCHNORM_RELU_FORWARD_TRAIN) {
            BOTH(be->ops->batchnorm_relu_forward_train(be, &d, F(x, side), F(g, side),
                                                       F(b, side), F(y, side), F(m, side),
                                                       F(is, side), F(rm, side), F(rv, side)));
            check(r, nmse(y), "y");
            check(r, nmse(m), "mean");
            check(r, nmse(is), "invstd");
            check(r, nmse(rm), "running_mean");
            check(r, nmse(rv), "running_var");
        } else if (op == ASGML_OP_BATCHNORM_RELU_FORWARD_INFER) {
            BOTH(be->ops->batchnorm_relu_forward_infer(be, &d, F(x, side), F(g, side),
                                                       F(b, side), F(rm, side), F(rv, side),
                                                       F(y, side)));
            check(r, nmse(y), "y");
        } else if (op == ASGML_OP_BATCHNORM_RELU_BACKWARD) {
            /* saved statistics and y = relu(BN(x)) from the CPU forward, on both sides */
            cpu->ops->batchnorm_relu_forward_train(cpu, &d, F(x, 0), F(g, 0), F(b, 0), F(y, 0),
                                                   F(m, 0), F(is, 0), NULL, NULL);
            dev->ops->to_device(dev, m->d, m->h, m->bytes);
            dev->ops->to_device(dev, is->d, is->h, is->bytes);
            dev->ops->to_device(dev, y->d, y->h, y->bytes);
            tens *dy = tens_rand(nx, -1, 1);
            if (setup_failed) break;
            BOTH(be->ops->batchnorm_relu_backward(be, &d, F(x, side), F(y, side), F(dy, side),
                                                  F(g, side), F(m, side), F(is, side),
                                                  F(dx, side), F(dg, side), F(db, side)));
            check(r, nmse(dx), "dx");
            check(r, nmse(dg), "dgamma");
            check(r, nmse(db), "dbeta");
        } else {
            /* consistent saved statistics: run the CPU forward on both copies */
            float *yt = malloc(nx * sizeof(float));
            cpu->ops->batchnorm_forward_train(cpu, &d, F(x, 0), F(g, 0), F(b, 0), yt, F(m, 0),
                                              F(is, 0), NULL, NULL);
            free(yt);
            dev->ops->to_device(dev, m->d, m->h, m->bytes);
            dev->ops->to_device(dev, is->d, is->h, is->bytes);
            BOTH(be->ops->batchnorm_backward(be, &d, F(x, side), F(y, side), F(g, side),
                                             F(m, side), F(is, side), F(dx, side), F(dg, side),
                                             F(db, side)));
            check(r, nmse(dx), "dx");
            check(r, nmse(dg), "dgamma");
            check(r, nmse(db), "dbeta");
        }
        break;
    }
    case ASGML_OP_MAXPOOL_FORWARD:
    case ASGML_OP_MAXPOOL_BACKWARD: {
        asgml_pool2d_desc d;
        int k = variant ? 2 : 3;
        asgml_pool2d_desc_init(&d, irand(1, 3), irand(1, 8), irand(4, 15), irand(4, 15), k,
                               2, variant ? 0 : 1);
        size_t nx = (size_t)d.n * d.c * d.h_in * d.w_in, ny = (size_t)d.n * d.c * d.h_out * d.w_out;
        /* distinct inputs: the argmax is unique */
        float *v = malloc(nx * sizeof(float));
        for (size_t i = 0; i < nx; i++) v[i] = (float)i * 0.01f;
        for (size_t i = nx - 1; i > 0; i--) {
            size_t j = (size_t)(urand() * (i + 1));
            float t = v[i];
            v[i] = v[j], v[j] = t;
        }
        tens *x = tens_bytes(v, nx * sizeof(float)), *y = tens_rand(ny, -1, 1);
        tens *dx = tens_rand(nx, -1, 1);
        free(v);
        int32_t *a0 = malloc(ny * sizeof(int32_t));
        for (size_t i = 0; i < ny; i++) a0[i] = 0;
        tens *arg = tens_bytes(a0, ny * sizeof(int32_t));
        free(a0);
        if (setup_failed) break;
        if (op == ASGML_OP_MAXPOOL_FORWARD) {
            BOTH(be->ops->maxpool_forward(be, &d, F(x, side), F(y, side), I(arg, side)));
            check(r, nmse(y), "y");
            long bad = mismatches_i32(arg);
            check(r, bad < 0 ? -1 : (double)bad, "argmax mismatches");
        } else {
            float *yt = malloc(ny * sizeof(float));
            cpu->ops->maxpool_forward(cpu, &d, F(x, 0), yt, I(arg, 0));
            free(yt);
            dev->ops->to_device(dev, arg->d, arg->h, arg->bytes);
            BOTH(be->ops->maxpool_backward(be, &d, F(y, side), I(arg, side), F(dx, side)));
            check(r, nmse(dx), "dx");
        }
        break;
    }
    case ASGML_OP_AVGPOOL_FORWARD:
    case ASGML_OP_AVGPOOL_BACKWARD: {
        int64_t nc = irand(1, 300), hw = variant ? irand(1, 5) : irand(6, 200);
        tens *x = tens_rand((size_t)(nc * hw), -1, 1), *y = tens_rand((size_t)nc, -1, 1);
        if (setup_failed) break;
        if (op == ASGML_OP_AVGPOOL_FORWARD) {
            BOTH(be->ops->avgpool_forward(be, nc, hw, F(x, side), F(y, side)));
            check(r, nmse(y), "y");
        } else {
            BOTH(be->ops->avgpool_backward(be, nc, hw, F(y, side), F(x, side)));
            check(r, nmse(x), "dx");
        }
        break;
    }
    case ASGML_OP_GEMM: {
        int ta = variant & 1, tb = (variant >> 1) & 1;
        int m = irand(1, 70), n = irand(1, 70), k = irand(1, 90);
        int lda = (ta ? m : k) + irand(0, 3), ldb = (tb ? k : n) + irand(0, 3), ldc = n + irand(0, 2);
        tens *a = tens_rand((size_t)(ta ? k : m) * lda, -1, 1);
        tens *b = tens_rand((size_t)(tb ? n : k) * ldb, -1, 1);
        tens *c = tens_rand((size_t)m * ldc, -1, 1);
        if (setup_failed) break;
        BOTH(be->ops->gemm(be, ta, tb, m, n, k, 0.75f, F(a, side), lda, F(b, side), ldb,
                           variant >= 2 ? 0.5f : 0.0f, F(c, side), ldc));
        check(r, nmse(c), "c");
        break;
    }
    case ASGML_OP_BIAS_FORWARD:
    case ASGML_OP_BIAS_BACKWARD: {
        int64_t rows = irand(1, 300), cols = irand(1, 200);
        tens *y = tens_rand((size_t)(rows * cols), -1, 1), *b = tens_rand((size_t)cols, -1, 1);
        if (setup_failed) break;
        if (op == ASGML_OP_BIAS_FORWARD) {
            BOTH(be->ops->bias_forward(be, rows, cols, F(b, side), F(y, side)));
            check(r, nmse(y), "y");
        } else {
            BOTH(be->ops->bias_backward(be, rows, cols, F(y, side), F(b, side)));
            check(r, nmse(b), "dbias");
        }
        break;
    }
    case ASGML_OP_RELU_FORWARD:
    case ASGML_OP_RELU_BACKWARD:
    case ASGML_OP_SIGMOID_FORWARD:
    case ASGML_OP_SIGMOID_BACKWARD:
    case ASGML_OP_DROPOUT_FORWARD:
    case ASGML_OP_DROPOUT_BACKWARD:
    case ASGML_OP_ADD:
    case ASGML_OP_ADD_RELU:
    case ASGML_OP_MUL:
    case ASGML_OP_AXPY:
    case ASGML_OP_SCALE:
    case ASGML_OP_FILL:
    case ASGML_OP_COPY:
    case ASGML_OP_GAUSSIAN_NOISE: {
        int64_t n = variant ? irand(1, 9) : irand(1000, 300000);
        tens *x = tens_rand((size_t)n, -4, 4), *y = tens_rand((size_t)n, -4, 4);
        tens *z = tens_rand((size_t)n, 0, 1);
        uint64_t seed = (uint64_t)irand(0, 1 << 30) << 20, off = (uint64_t)irand(0, 1000);
        if (setup_failed) break;
        switch (op) {
        case ASGML_OP_RELU_FORWARD: BOTH(be->ops->relu_forward(be, n, F(x, side), F(y, side))); break;
        case ASGML_OP_RELU_BACKWARD:
            BOTH(be->ops->relu_backward(be, n, F(x, side), F(z, side), F(y, side)));
            break;
        case ASGML_OP_SIGMOID_FORWARD:
            BOTH(be->ops->sigmoid_forward(be, n, F(x, side), F(y, side)));
            break;
        case ASGML_OP_SIGMOID_BACKWARD:
            BOTH(be->ops->sigmoid_backward(be, n, F(z, side), F(x, side), F(y, side)));
            break;
        case ASGML_OP_DROPOUT_FORWARD:
            BOTH(be->ops->dropout_forward(be, n, 0.35f, seed, off, F(x, side), F(y, side),
                                          F(z, side)));
            check(r, nmse(z), "mask");
            break;
        case ASGML_OP_DROPOUT_BACKWARD:
            BOTH(be->ops->dropout_backward(be, n, F(z, side), F(x, side), F(y, side)));
            break;
        case ASGML_OP_ADD: BOTH(be->ops->add(be, n, F(x, side), F(z, side), F(y, side))); break;
        case ASGML_OP_ADD_RELU:
            BOTH(be->ops->add_relu(be, n, F(x, side), F(y, side), F(y, side)));
            break;
        case ASGML_OP_MUL: BOTH(be->ops->mul(be, n, F(x, side), F(z, side), F(y, side))); break;
        case ASGML_OP_AXPY: BOTH(be->ops->axpy(be, n, -1.5f, F(x, side), F(y, side))); break;
        case ASGML_OP_SCALE: BOTH(be->ops->scale(be, n, 0.3f, F(y, side))); break;
        case ASGML_OP_FILL: BOTH(be->ops->fill(be, n, 2.5f, F(y, side))); break;
        case ASGML_OP_COPY: BOTH(be->ops->copy(be, n, F(x, side), F(y, side))); break;
        default: /* ASGML_OP_GAUSSIAN_NOISE */
            BOTH(be->ops->gaussian_noise(be, n, 0.7f, seed, off, F(y, side)));
            break;
        }
        check(r, nmse(y), "y");
        break;
    }
    case ASGML_OP_SEGMENT_MEAN_FORWARD:
    case ASGML_OP_SEGMENT_MEAN_BACKWARD: {
        int b = irand(1, 16), t = variant ? 1 : irand(2, 12), c = irand(1, 600);
        tens *x = tens_rand((size_t)b * t * c, -1, 1), *y = tens_rand((size_t)b * c, -1, 1);
        if (setup_failed) break;
        if (op == ASGML_OP_SEGMENT_MEAN_FORWARD) {
            BOTH(be->ops->segment_mean_forward(be, b, t, c, F(x, side), F(y, side)));
            check(r, nmse(y), "y");
        } else {
            BOTH(be->ops->segment_mean_backward(be, b, t, c, F(y, side), F(x, side)));
            check(r, nmse(x), "dx");
        }
        break;
    }
    case ASGML_OP_SOFTMAX_CE: {
        int b = irand(1, 64), c = irand(2, 100);
        int32_t *lab = malloc((size_t)b * sizeof(int32_t));
        for (int i = 0; i < b; i++) lab[i] = irand(0, c - 1);
        tens *lg = tens_rand((size_t)b * c, -8, 8), *labels = tens_bytes(lab, b * sizeof(int32_t));
        tens *p = tens_rand((size_t)b * c, 0, 1), *l = tens_rand((size_t)b, 0, 1);
        tens *dl = tens_rand((size_t)b * c, -1, 1);
        free(lab);
        if (setup_failed) break;
        double sum[2] = {0, 0};
        /* variant 1: the optional outputs are NULL */
        BOTH(be->ops->softmax_ce(be, b, c, F(lg, side), I(labels, side), 1.0f / b,
                                 variant ? NULL : F(p, side), variant ? NULL : F(l, side),
                                 variant ? NULL : F(dl, side), &sum[side]));
        check(r, rel_scalar(sum[1], sum[0]), "loss_sum");
        if (!variant) {
            check(r, nmse(p), "probs");
            check(r, nmse(l), "losses");
            check(r, nmse(dl), "dlogits");
        }
        break;
    }
    case ASGML_OP_SUMSQ:
    case ASGML_OP_MEAN_STD:
    case ASGML_OP_NONFINITE_COUNT: {
        int64_t n = variant ? irand(2, 50) : irand(10000, 1000000);
        tens *x = tens_rand((size_t)n, -1, 3);
        if (op == ASGML_OP_NONFINITE_COUNT)
            for (int k = 0; k < 5; k++) {
                float bad[3] = {NAN, INFINITY, -INFINITY};
                int64_t at = irand(0, (int)n - 1);
                ((float *)x->h)[at] = bad[k % 3];
                dev->ops->to_device(dev, (float *)x->d + at, &bad[k % 3], sizeof(float));
            }
        if (setup_failed) break;
        double a[2] = {0, 0}, s[2] = {0, 0};
        int64_t cnt[2] = {0, 0};
        if (op == ASGML_OP_SUMSQ) {
            BOTH(be->ops->sumsq(be, n, F(x, side), &a[side]));
            check(r, rel_scalar(a[1], a[0]), "sumsq");
        } else if (op == ASGML_OP_MEAN_STD) {
            BOTH(be->ops->mean_std(be, n, F(x, side), &a[side], &s[side]));
            check(r, rel_scalar(a[1], a[0]), "mean");
            check(r, rel_scalar(s[1], s[0]), "std");
        } else {
            BOTH(be->ops->nonfinite_count(be, n, F(x, side), &cnt[side]));
            check(r, (double)llabs(cnt[1] - cnt[0]), "count difference");
        }
        break;
    }
    case ASGML_OP_SGD_UPDATE:
    case ASGML_OP_ADAM_UPDATE: {
        int64_t n = variant ? irand(1, 9) : irand(1000, 200000);
        tens *p = tens_rand((size_t)n, -1, 1), *g = tens_rand((size_t)n, -1, 1);
        tens *m = tens_rand((size_t)n, -0.1, 0.1), *v = tens_rand((size_t)n, 0, 0.01);
        if (setup_failed) break;
        if (op == ASGML_OP_SGD_UPDATE) {
            BOTH(be->ops->sgd_update(be, n, F(p, side), F(g, side), F(m, side), 0.1f, 0.9f,
                                     0.1f * variant, 5e-4f, variant, 0));
        } else {
            BOTH(be->ops->adam_update(be, n, F(p, side), F(g, side), F(m, side), F(v, side),
                                      1e-3f, 0.9f, 0.999f, 1e-8f, 1e-2f, variant, 7));
            check(r, nmse(v), "v");
        }
        check(r, nmse(p), "param");
        check(r, nmse(m), "m");
        break;
    }
    default:
        r->failed = 1;
        snprintf(r->what, sizeof r->what, "no parity case for op %d (%s)", (int)op,
                 asgml_op_name(op));
        break;
    }
    if (setup_failed) {
        r->failed = 1;
        tap_diag("%s: allocation or upload failed: %s", asgml_op_name(op), asgml_last_error());
    }
}

/* NMSE allowed per op (for host scalars: squared relative error; for
 * counts and argmax: number of mismatches) */
static double threshold(asgml_op op)
{
    switch (op) {
    case ASGML_OP_CONV2D_FORWARD: /* cuDNN may pick Winograd or FFT algorithms */
    case ASGML_OP_CONV2D_BACKWARD_DATA:
    case ASGML_OP_CONV2D_BACKWARD_FILTER: return 1e-7;
    case ASGML_OP_GEMM: return 1e-9;
    case ASGML_OP_BATCHNORM_FORWARD_TRAIN:
    case ASGML_OP_BATCHNORM_BACKWARD:
    case ASGML_OP_BATCHNORM_RELU_FORWARD_TRAIN:
    case ASGML_OP_BATCHNORM_RELU_BACKWARD:
    case ASGML_OP_SOFTMAX_CE:
    case ASGML_OP_GAUSSIAN_NOISE: return 1e-9;
    case ASGML_OP_SUMSQ: /* double accumulation on both sides */
    case ASGML_OP_MEAN_STD: return 1e-20;
    case ASGML_OP_MAXPOOL_BACKWARD: return 1e-12; /* overlapping windows: summation order */
    case ASGML_OP_NONFINITE_COUNT:
    case ASGML_OP_FILL:
    case ASGML_OP_COPY:
    case ASGML_OP_MAXPOOL_FORWARD: return 0; /* exact */
    default: return 1e-10;
    }
}

int main(void)
{
    static const char *const names[] = {"cuda"};
    asgml_backend_options cpu_opt = {2, 1, -1, 0};
    if (asgml_backend_create("cpu", &cpu_opt, &cpu) != ASGML_OK) {
        printf("Bail out! cpu backend: %s\n", asgml_last_error());
        return 1;
    }
    int tested = 0;
    for (size_t bi = 0; bi < sizeof names / sizeof names[0]; bi++) {
        asgml_backend_options opt = {0, 1, 0 /* no TF32 */, 0};
        if (asgml_backend_create(names[bi], &opt, &dev) != ASGML_OK) {
            if (!tested && bi + 1 == sizeof names / sizeof names[0]) {
                char why[600];
                /* the backend's message already starts with "no CUDA device:"
                 * when a CUDA build finds no GPU; without CUDA it says so */
                snprintf(why, sizeof why, "%s", asgml_last_error());
                asgml_backend_destroy(cpu);
                tap_skip_all(why);
            }
            continue;
        }
        tested++;
        for (int opi = 0; opi < ASGML_OP_COUNT; opi++) {
            asgml_op op = (asgml_op)opi;
            if (!asgml_backend_supports(dev, op)) {
                char why[160];
                snprintf(why, sizeof why, "%s: %s not supported (model creation refuses it)",
                         names[bi], asgml_op_name(op));
                tap_skip(1, why);
                continue;
            }
            double worst = 0;
            int failed = 0;
            char what[200] = "";
            for (int variant = 0; variant < 4; variant++) {
                result r = {0, 0, ""};
                run_op(op, variant, &r);
                pool_free();
                if (r.failed || r.err > threshold(op)) {
                    failed = 1;
                    snprintf(what, sizeof what, "variant %d: %s", variant, r.what);
                }
                if (r.err > worst) worst = r.err;
                if (!failed) snprintf(what, sizeof what, "%s", r.what);
            }
            ok(!failed, "%s %s vs cpu: worst error %.2e <= %.0e (%s)", names[bi],
               asgml_op_name(op), worst, threshold(op), what);
        }
        asgml_backend_destroy(dev);
    }
    asgml_backend_destroy(cpu);
    return tap_done();
}
