/* SPDX-License-Identifier: MIT */
/* test-ops-fd.c - finite-difference gradient checks of every backward op of
 * the CPU backend, direct-loop references for conv2d and gemm, and the
 * Philox4x32-10 known-answer vectors.
 *
 * Each gradient check uses a smooth scalar loss L = sum(y * r) with a fixed
 * random r (so dy = r), central differences in float32 with eps ~ 1e-2 to
 * 1e-3 at up to FD_POINTS sampled inputs, and the normwise relative error
 * |g_fd - g| / |g_fd| over those points.  Backward ops accumulate, so every
 * gradient buffer starts from random values that are subtracted afterwards
 * (this also checks the += contract). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "asgml/backend.h"
#include "cpu/cpu.h"
#include "tap.h"

#define FD_POINTS 48
#define FD_TOL 1e-2

static asgml_backend *be;
static uint64_t rng_state = 0x5eed1234abcdULL;

static double urand(void) /* [0, 1) */
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(rng_state >> 11) * (1.0 / 9007199254740992.0);
}

static float *rand_buf(size_t n, double lo, double hi)
{
    float *p = malloc((n ? n : 1) * sizeof(float));
    for (size_t i = 0; i < n; i++) p[i] = (float)(lo + (hi - lo) * urand());
    return p;
}

static float *dup_buf(const float *x, size_t n)
{
    float *p = malloc((n ? n : 1) * sizeof(float));
    memcpy(p, x, n * sizeof(float));
    return p;
}

static double dot(const float *a, const float *b, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

/* |a - b| / |b| over n values, with b the reference */
static double rel_err(const float *a, const double *b, size_t n)
{
    double num = 0.0, den = 0.0;
    for (size_t i = 0; i < n; i++) {
        num += (a[i] - b[i]) * (a[i] - b[i]);
        den += b[i] * b[i];
    }
    return den > 0 ? sqrt(num / den) : sqrt(num);
}

/* The loss as a function of the current contents of the buffers in ctx */
typedef double (*loss_fn)(void *ctx);

/* Central differences of loss() w.r.t. x (n floats) at up to FD_POINTS
 * indices, compared with grad (n floats).  Returns the relative error. */
static double fd_check(loss_fn loss, void *ctx, float *x, size_t n, const float *grad,
                       float eps)
{
    size_t npts = n < FD_POINTS ? n : FD_POINTS;
    double *num = malloc(npts * sizeof(double));
    float *ana = malloc(npts * sizeof(float));
    for (size_t k = 0; k < npts; k++) {
        size_t i = n <= FD_POINTS ? k : (size_t)(urand() * n);
        float x0 = x[i], xp = x0 + eps, xm = x0 - eps;
        x[i] = xp;
        double lp = loss(ctx);
        x[i] = xm;
        double lm = loss(ctx);
        x[i] = x0;
        num[k] = (lp - lm) / ((double)xp - (double)xm);
        ana[k] = grad[i];
    }
    double e = rel_err(ana, num, npts);
    free(num);
    free(ana);
    return e;
}

/* grad - start, in place: the accumulated part of an accumulating backward */
static void sub_start(float *g, const float *start, size_t n)
{
    for (size_t i = 0; i < n; i++) g[i] -= start[i];
}

/* ---------------------------------------------------------------- conv2d */

typedef struct {
    asgml_conv2d_desc d;
    float *x, *w, *y, *r;
} conv_ctx;

static double conv_loss(void *p)
{
    conv_ctx *c = p;
    be->ops->conv2d_forward(be, &c->d, c->x, c->w, c->y);
    return dot(c->y, c->r, (size_t)c->d.n * c->d.c_out * c->d.h_out * c->d.w_out);
}

/* direct convolution in double: the reference for the forward */
static void conv_direct(const asgml_conv2d_desc *d, const float *x, const float *w, double *y)
{
    for (int i = 0; i < d->n; i++)
        for (int o = 0; o < d->c_out; o++)
            for (int oh = 0; oh < d->h_out; oh++)
                for (int ow = 0; ow < d->w_out; ow++) {
                    double s = 0.0;
                    for (int c = 0; c < d->c_in; c++)
                        for (int kh = 0; kh < d->k_h; kh++)
                            for (int kw = 0; kw < d->k_w; kw++) {
                                int ih = oh * d->stride_h - d->pad_h + kh;
                                int iw = ow * d->stride_w - d->pad_w + kw;
                                if (ih < 0 || ih >= d->h_in || iw < 0 || iw >= d->w_in) continue;
                                s += (double)x[((i * d->c_in + c) * d->h_in + ih) * d->w_in + iw] *
                                     w[((o * d->c_in + c) * d->k_h + kh) * d->k_w + kw];
                            }
                    y[((i * d->c_out + o) * d->h_out + oh) * d->w_out + ow] = s;
                }
}

static void test_conv(int n, int c_in, int h, int w, int c_out, int kh, int kw, int sh, int sw,
                      int ph, int pw, size_t budget)
{
    conv_ctx c;
    asgml_conv2d_desc *d = &c.d;
    asgml_conv2d_desc_init(d, n, c_in, h, w, c_out, kh, sh, ph);
    d->k_w = kw;
    d->stride_w = sw;
    d->pad_w = pw;
    d->w_out = (w + 2 * pw - kw) / sw + 1;
    ((asgml_cpu_impl *)be->impl)->conv_budget = budget;
    size_t nx = (size_t)n * c_in * h * w, nw = (size_t)c_out * c_in * kh * kw;
    size_t ny = (size_t)n * c_out * d->h_out * d->w_out;
    c.x = rand_buf(nx, -1, 1);
    c.w = rand_buf(nw, -1, 1);
    c.y = rand_buf(ny, -5, 5); /* forward must overwrite this */
    c.r = rand_buf(ny, -1, 1);
    char name[160];
    snprintf(name, sizeof name, "conv2d n%d c%d %dx%d -> c%d k%dx%d s%dx%d p%dx%d budget %zu", n,
             c_in, h, w, c_out, kh, kw, sh, sw, ph, pw, budget);

    double *ref = malloc(ny * sizeof(double));
    conv_direct(d, c.x, c.w, ref);
    asgml_status st = be->ops->conv2d_forward(be, d, c.x, c.w, c.y);
    double e = rel_err(c.y, ref, ny);
    ok(st == ASGML_OK && e < 1e-5, "%s: forward vs direct loop (rel err %.2e)", name, e);

    float *dx0 = rand_buf(nx, -1, 1), *dw0 = rand_buf(nw, -1, 1);
    float *dx = dup_buf(dx0, nx), *dw = dup_buf(dw0, nw);
    st = be->ops->conv2d_backward_data(be, d, c.r, c.w, dx);
    st |= be->ops->conv2d_backward_filter(be, d, c.x, c.r, dw);
    sub_start(dx, dx0, nx);
    sub_start(dw, dw0, nw);
    double ex = fd_check(conv_loss, &c, c.x, nx, dx, 1e-2f);
    double ew = fd_check(conv_loss, &c, c.w, nw, dw, 1e-2f);
    ok(st == ASGML_OK && ex < FD_TOL, "%s: backward data vs FD (rel err %.2e)", name, ex);
    ok(st == ASGML_OK && ew < FD_TOL, "%s: backward filter vs FD (rel err %.2e)", name, ew);
    ((asgml_cpu_impl *)be->impl)->conv_budget = ASGML_CPU_CONV_BUDGET;
    free(ref);
    free(dx0), free(dw0), free(dx), free(dw);
    free(c.x), free(c.w), free(c.y), free(c.r);
}

/* ------------------------------------------------------------- batchnorm */

typedef struct {
    asgml_bn_desc d;
    float *x, *gamma, *beta, *y, *r, *mean, *invstd;
} bn_ctx;

static double bn_loss(void *p)
{
    bn_ctx *c = p;
    be->ops->batchnorm_forward_train(be, &c->d, c->x, c->gamma, c->beta, c->y, c->mean, c->invstd,
                                     NULL, NULL);
    return dot(c->y, c->r, (size_t)c->d.n * c->d.c * c->d.hw);
}

static void test_batchnorm(int n, int ch, int hw)
{
    bn_ctx c = {.d = {n, ch, hw, 1e-5, 0.1}};
    size_t nx = (size_t)n * ch * hw;
    c.x = rand_buf(nx, -2, 3);
    c.gamma = rand_buf(ch, 0.5, 1.5);
    c.beta = rand_buf(ch, -0.5, 0.5);
    c.y = rand_buf(nx, 0, 1);
    c.r = rand_buf(nx, -1, 1);
    c.mean = rand_buf(ch, 0, 1);
    c.invstd = rand_buf(ch, 0, 1);
    asgml_status st = be->ops->batchnorm_forward_train(be, &c.d, c.x, c.gamma, c.beta, c.y,
                                                       c.mean, c.invstd, NULL, NULL);
    float *dx0 = rand_buf(nx, -1, 1), *dg0 = rand_buf(ch, -1, 1), *db0 = rand_buf(ch, -1, 1);
    float *dx = dup_buf(dx0, nx), *dg = dup_buf(dg0, ch), *db = dup_buf(db0, ch);
    st |= be->ops->batchnorm_backward(be, &c.d, c.x, c.r, c.gamma, c.mean, c.invstd, dx, dg, db);
    sub_start(dx, dx0, nx);
    sub_start(dg, dg0, ch);
    sub_start(db, db0, ch);
    double ex = fd_check(bn_loss, &c, c.x, nx, dx, 1e-2f);
    double eg = fd_check(bn_loss, &c, c.gamma, ch, dg, 1e-2f);
    double eb = fd_check(bn_loss, &c, c.beta, ch, db, 1e-2f);
    ok(st == ASGML_OK && ex < FD_TOL, "batchnorm n%d c%d hw%d: dx vs FD (rel err %.2e)", n, ch,
       hw, ex);
    ok(st == ASGML_OK && eg < FD_TOL, "batchnorm n%d c%d hw%d: dgamma vs FD (rel err %.2e)", n,
       ch, hw, eg);
    ok(st == ASGML_OK && eb < FD_TOL, "batchnorm n%d c%d hw%d: dbeta vs FD (rel err %.2e)", n,
       ch, hw, eb);
    free(dx0), free(dg0), free(db0), free(dx), free(dg), free(db);
    free(c.x), free(c.gamma), free(c.beta), free(c.y), free(c.r), free(c.mean), free(c.invstd);
}

/* --------------------------------------------------------------- pooling */

typedef struct {
    asgml_pool2d_desc d;
    float *x, *y, *r;
    int32_t *arg;
} pool_ctx;

static double maxpool_loss(void *p)
{
    pool_ctx *c = p;
    be->ops->maxpool_forward(be, &c->d, c->x, c->y, c->arg);
    return dot(c->y, c->r, (size_t)c->d.n * c->d.c * c->d.h_out * c->d.w_out);
}

static void test_maxpool(int n, int ch, int h, int w, int k, int s, int pad)
{
    pool_ctx c;
    asgml_pool2d_desc_init(&c.d, n, ch, h, w, k, s, pad);
    size_t nx = (size_t)n * ch * h * w, ny = (size_t)n * ch * c.d.h_out * c.d.w_out;
    /* distinct values 0.1 apart (a shuffled ramp): no ties within eps */
    c.x = malloc(nx * sizeof(float));
    for (size_t i = 0; i < nx; i++) c.x[i] = 0.1f * (float)i - 0.05f * (float)nx;
    for (size_t i = nx - 1; i > 0; i--) {
        size_t j = (size_t)(urand() * (i + 1));
        float t = c.x[i];
        c.x[i] = c.x[j], c.x[j] = t;
    }
    c.y = rand_buf(ny, 0, 1);
    c.r = rand_buf(ny, -1, 1);
    c.arg = malloc(ny * sizeof(int32_t));
    asgml_status st = be->ops->maxpool_forward(be, &c.d, c.x, c.y, c.arg);
    float *dx0 = rand_buf(nx, -1, 1), *dx = dup_buf(dx0, nx);
    st |= be->ops->maxpool_backward(be, &c.d, c.r, c.arg, dx);
    sub_start(dx, dx0, nx);
    double e = fd_check(maxpool_loss, &c, c.x, nx, dx, 1e-2f);
    /* the FD sample may miss every window maximum: check the full gradient too */
    double sum_dx = 0, sum_r = 0;
    for (size_t i = 0; i < nx; i++) sum_dx += dx[i];
    for (size_t i = 0; i < ny; i++) sum_r += c.r[i];
    ok(st == ASGML_OK && e < FD_TOL && fabs(sum_dx - sum_r) < 1e-4 * (1 + fabs(sum_r)),
       "maxpool n%d c%d %dx%d k%d s%d p%d: backward vs FD (rel err %.2e)", n, ch, h, w, k, s, pad,
       e);
    free(dx0), free(dx), free(c.x), free(c.y), free(c.r), free(c.arg);
}

typedef struct {
    int64_t nc, hw;
    float *x, *y, *r;
} avg_ctx;

static double avgpool_loss(void *p)
{
    avg_ctx *c = p;
    be->ops->avgpool_forward(be, c->nc, c->hw, c->x, c->y);
    return dot(c->y, c->r, (size_t)c->nc);
}

static void test_avgpool(int64_t nc, int64_t hw)
{
    avg_ctx c = {nc, hw, rand_buf(nc * hw, -1, 1), rand_buf(nc, 0, 1), rand_buf(nc, -1, 1)};
    float *dx0 = rand_buf(nc * hw, -1, 1), *dx = dup_buf(dx0, nc * hw);
    asgml_status st = be->ops->avgpool_forward(be, nc, hw, c.x, c.y);
    st |= be->ops->avgpool_backward(be, nc, hw, c.r, dx);
    sub_start(dx, dx0, nc * hw);
    double e = fd_check(avgpool_loss, &c, c.x, nc * hw, dx, 1e-2f);
    ok(st == ASGML_OK && e < FD_TOL, "avgpool nc%lld hw%lld: backward vs FD (rel err %.2e)",
       (long long)nc, (long long)hw, e);
    free(dx0), free(dx), free(c.x), free(c.y), free(c.r);
}

/* ------------------------------------------------------------------ gemm */

typedef struct {
    int ta, tb, m, n, k, lda, ldb;
    float *a, *b, *c, *r;
} gemm_ctx;

static double gemm_loss(void *p)
{
    gemm_ctx *g = p;
    be->ops->gemm(be, g->ta, g->tb, g->m, g->n, g->k, 1.0f, g->a, g->lda, g->b, g->ldb, 0.0f, g->c,
                  g->n);
    return dot(g->c, g->r, (size_t)g->m * g->n);
}

/* linear layer y = op(A) op(B) with the gradients written as the model
 * writes them, through gemm with the other transpose flags */
static void test_gemm(int ta, int tb, int m, int n, int k)
{
    gemm_ctx g = {.ta = ta, .tb = tb, .m = m, .n = n, .k = k, .lda = ta ? m + 3 : k + 3,
                  .ldb = tb ? k + 2 : n + 2};
    size_t na = (size_t)(ta ? k : m) * g.lda, nb = (size_t)(tb ? n : k) * g.ldb;
    g.a = rand_buf(na, -1, 1);
    g.b = rand_buf(nb, -1, 1);
    g.c = rand_buf((size_t)m * n, -1, 1);
    g.r = rand_buf((size_t)m * n, -1, 1);
    /* forward with alpha, beta and padded leading dimensions vs a direct loop */
    float *c0 = dup_buf(g.c, (size_t)m * n);
    double *ref = malloc((size_t)m * n * sizeof(double));
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int l = 0; l < k; l++)
                s += (double)(ta ? g.a[l * g.lda + i] : g.a[i * g.lda + l]) *
                     (tb ? g.b[j * g.ldb + l] : g.b[l * g.ldb + j]);
            ref[i * n + j] = 0.5 * s - 2.0 * c0[i * n + j];
        }
    asgml_status st =
        be->ops->gemm(be, ta, tb, m, n, k, 0.5f, g.a, g.lda, g.b, g.ldb, -2.0f, g.c, n);
    double e = rel_err(g.c, ref, (size_t)m * n);
    ok(st == ASGML_OK && e < 1e-5, "gemm ta%d tb%d %dx%dx%d: alpha/beta forward (rel err %.2e)",
       ta, tb, m, n, k, e);

    /* gradients of L = sum(C * R) (padding columns stay zero) */
    float *da = calloc(na, sizeof(float)), *db = calloc(nb, sizeof(float));
    if (!ta)
        st |= be->ops->gemm(be, 0, !tb, m, k, n, 1.0f, g.r, n, g.b, g.ldb, 0.0f, da, g.lda);
    else
        st |= be->ops->gemm(be, tb, 1, k, m, n, 1.0f, g.b, g.ldb, g.r, n, 0.0f, da, g.lda);
    if (!tb)
        st |= be->ops->gemm(be, !ta, 0, k, n, m, 1.0f, g.a, g.lda, g.r, n, 0.0f, db, g.ldb);
    else
        st |= be->ops->gemm(be, 1, ta, n, k, m, 1.0f, g.r, n, g.a, g.lda, 0.0f, db, g.ldb);
    double ea = fd_check(gemm_loss, &g, g.a, na, da, 1e-2f);
    double eb = fd_check(gemm_loss, &g, g.b, nb, db, 1e-2f);
    ok(st == ASGML_OK && ea < FD_TOL && eb < FD_TOL,
       "linear ta%d tb%d %dx%dx%d: dA, dB by gemm vs FD (rel err %.2e, %.2e)", ta, tb, m, n, k,
       ea, eb);
    free(c0), free(ref), free(da), free(db), free(g.a), free(g.b), free(g.c), free(g.r);
}

/* ----------------------------------------------------- elementwise family */

enum { EW_BIAS, EW_RELU, EW_SIGMOID, EW_DROPOUT, EW_SEGMENT_MEAN };

typedef struct {
    int kind;
    int rows, cols, t; /* bias: (rows, cols); segment mean: (rows, t, cols) */
    float *x, *p, *y, *r, *mask;
} ew_ctx;

static size_t ew_out(const ew_ctx *c)
{
    return (size_t)c->rows * c->cols * (c->kind == EW_SEGMENT_MEAN ? 1 : c->t);
}

static double ew_loss(void *ctx)
{
    ew_ctx *c = ctx;
    size_t n = ew_out(c);
    switch (c->kind) {
    case EW_BIAS:
        memcpy(c->y, c->x, n * sizeof(float));
        be->ops->bias_forward(be, c->rows, (int64_t)c->cols * c->t, c->p, c->y);
        break;
    case EW_RELU: be->ops->relu_forward(be, n, c->x, c->y); break;
    case EW_SIGMOID: be->ops->sigmoid_forward(be, n, c->x, c->y); break;
    case EW_DROPOUT: be->ops->dropout_forward(be, n, 0.3f, 99, 7, c->x, c->y, c->mask); break;
    case EW_SEGMENT_MEAN:
        be->ops->segment_mean_forward(be, c->rows, c->t, c->cols, c->x, c->y);
        break;
    }
    return dot(c->y, c->r, n);
}

static void test_elementwise(int kind, const char *name)
{
    ew_ctx c = {.kind = kind, .rows = 5, .cols = 7, .t = kind == EW_SEGMENT_MEAN ? 4 : 1};
    size_t nx = (size_t)c.rows * c.t * c.cols, ny = ew_out(&c);
    c.x = rand_buf(nx, -2, 2);
    /* keep relu inputs away from the kink */
    for (size_t i = 0; kind == EW_RELU && i < nx; i++)
        c.x[i] += c.x[i] >= 0 ? 0.05f : -0.05f;
    c.p = rand_buf((size_t)c.cols * c.t, -1, 1);
    c.y = rand_buf(ny, 0, 1);
    c.r = rand_buf(ny, -1, 1);
    c.mask = rand_buf(ny, 0, 1);
    ew_loss(&c);
    float *dx0 = rand_buf(nx, -1, 1), *dx = dup_buf(dx0, nx);
    asgml_status st = ASGML_OK;
    float *wrt = c.x;
    size_t nwrt = nx;
    switch (kind) {
    case EW_BIAS: /* d/dbias; d/dx is the identity */
        memcpy(dx, dx0, (size_t)c.cols * sizeof(float));
        st = be->ops->bias_backward(be, c.rows, c.cols, c.r, dx);
        wrt = c.p;
        nwrt = (size_t)c.cols;
        break;
    case EW_RELU: st = be->ops->relu_backward(be, nx, c.y, c.r, dx); break;
    case EW_SIGMOID: st = be->ops->sigmoid_backward(be, nx, c.y, c.r, dx); break;
    case EW_DROPOUT: st = be->ops->dropout_backward(be, nx, c.mask, c.r, dx); break;
    case EW_SEGMENT_MEAN:
        st = be->ops->segment_mean_backward(be, c.rows, c.t, c.cols, c.r, dx);
        break;
    }
    sub_start(dx, dx0, nwrt);
    double e = fd_check(ew_loss, &c, wrt, nwrt, dx, kind == EW_RELU ? 1e-3f : 1e-2f);
    ok(st == ASGML_OK && e < FD_TOL, "%s: backward vs FD (rel err %.2e)", name, e);
    free(dx0), free(dx), free(c.x), free(c.p), free(c.y), free(c.r), free(c.mask);
}

/* --------------------------------------------------------- softmax + CE */

typedef struct {
    int b, c;
    float *logits;
    int32_t *labels;
} ce_ctx;

static double ce_loss(void *p)
{
    ce_ctx *c = p;
    double sum = 0;
    be->ops->softmax_ce(be, c->b, c->c, c->logits, c->labels, 0.0f, NULL, NULL, NULL, &sum);
    return sum / c->b;
}

static void test_softmax_ce(int b, int nc)
{
    ce_ctx c = {b, nc, rand_buf((size_t)b * nc, -3, 3), malloc(b * sizeof(int32_t))};
    for (int i = 0; i < b; i++) c.labels[i] = (int32_t)(urand() * nc);
    c.logits[0] += 80.0f; /* large logit: the stable path must not overflow */
    float *g0 = rand_buf((size_t)b * nc, -1, 1), *g = dup_buf(g0, (size_t)b * nc);
    float *probs = malloc((size_t)b * nc * sizeof(float)), *losses = malloc(b * sizeof(float));
    double sum = 0, lsum = 0, psum = 0;
    asgml_status st = be->ops->softmax_ce(be, b, nc, c.logits, c.labels, 1.0f / b, probs, losses,
                                          g, &sum);
    for (int i = 0; i < b; i++) lsum += losses[i];
    for (int j = 0; j < nc; j++) psum += probs[j];
    sub_start(g, g0, (size_t)b * nc);
    double e = fd_check(ce_loss, &c, c.logits, (size_t)b * nc, g, 1e-2f);
    ok(st == ASGML_OK && e < FD_TOL && isfinite(sum) && fabs(sum - lsum) < 1e-4 * fabs(sum) &&
           fabs(psum - 1.0) < 1e-5,
       "softmax_ce b%d c%d: dlogits vs FD (rel err %.2e), loss sum %.4f", b, nc, e, sum);
    free(c.logits), free(c.labels), free(g0), free(g), free(probs), free(losses);
}

/* ----------------------------------------------------------------- philox */

static void test_philox(void)
{
    const uint32_t c0[4] = {0, 0, 0, 0}, k0[2] = {0, 0};
    const uint32_t c1[4] = {0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu};
    const uint32_t k1[2] = {0xffffffffu, 0xffffffffu};
    const uint32_t e0[4] = {0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u};
    const uint32_t e1[4] = {0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu};
    uint32_t out[4];
    asgml_philox4x32_raw(c0, k0, out);
    ok(memcmp(out, e0, sizeof out) == 0, "philox4x32-10 KAT zero: %08x %08x %08x %08x", out[0],
       out[1], out[2], out[3]);
    asgml_philox4x32_raw(c1, k1, out);
    ok(memcmp(out, e1, sizeof out) == 0, "philox4x32-10 KAT ones: %08x %08x %08x %08x", out[0],
       out[1], out[2], out[3]);
    uint32_t viaseed[4];
    asgml_philox4x32(0, 0, viaseed);
    ok(memcmp(viaseed, e0, sizeof viaseed) == 0, "asgml_philox4x32(seed 0, counter 0) = KAT");

    /* streams: moments, and the ops reproduce the host functions exactly */
    const int64_t n = 200001;
    float *z = calloc(n, sizeof(float)), *u = malloc(n * sizeof(float));
    float *mask = malloc(n * sizeof(float)), *ones = malloc(n * sizeof(float));
    for (int64_t i = 0; i < n; i++) ones[i] = 1.0f;
    asgml_status st = be->ops->gaussian_noise(be, n, 2.0f, 1234, 77, z);
    st |= be->ops->dropout_forward(be, n, 0.25f, 1234, 77, ones, u, mask);
    double s = 0, ss = 0, kept = 0;
    int same_g = 1, same_u = 1;
    for (int64_t i = 0; i < n; i++) {
        s += z[i];
        ss += (double)z[i] * z[i];
        kept += mask[i] != 0.0f;
        if (z[i] != 2.0f * asgml_philox_gauss(1234, 77, i)) same_g = 0;
        float expect = asgml_philox_uniform(1234, 77, i) >= 0.25f ? 1.0f / 0.75f : 0.0f;
        if (mask[i] != expect || u[i] != expect) same_u = 0;
    }
    double mean = s / n, sd = sqrt(ss / n - mean * mean) / 2.0;
    ok(st == ASGML_OK && same_g && fabs(mean) < 0.03 && fabs(sd - 1.0) < 0.01,
       "gaussian_noise = 2 * asgml_philox_gauss; mean %.4f, std %.4f", mean / 2, sd);
    ok(st == ASGML_OK && same_u && fabs(kept / n - 0.75) < 0.005,
       "dropout mask = (philox_uniform >= p) / (1 - p); kept %.4f", kept / n);
    free(z), free(u), free(mask), free(ones);
}

/* ------------------------------------------------------ host reductions */

static void test_reductions(void)
{
    const int64_t n = 100003;
    float *x = rand_buf(n, -1, 3);
    double s = 0, ss = 0;
    for (int64_t i = 0; i < n; i++) s += x[i], ss += (double)x[i] * x[i];
    double m = s / n, v = 0;
    for (int64_t i = 0; i < n; i++) v += (x[i] - m) * (x[i] - m);
    double sd = sqrt(v / (n - 1)), got_ss = 0, got_m = 0, got_sd = 0;
    int64_t bad = -1;
    asgml_status st = be->ops->sumsq(be, n, x, &got_ss);
    st |= be->ops->mean_std(be, n, x, &got_m, &got_sd);
    ok(st == ASGML_OK && fabs(got_ss - ss) < 1e-12 * ss && fabs(got_m - m) < 1e-12 &&
           fabs(got_sd - sd) < 1e-12 * sd,
       "sumsq %.6f, mean %.6f, std %.6f in double", got_ss, got_m, got_sd);
    x[5] = NAN, x[n - 1] = INFINITY, x[777] = -INFINITY;
    st = be->ops->nonfinite_count(be, n, x, &bad);
    ok(st == ASGML_OK && bad == 3, "nonfinite_count = %lld (3)", (long long)bad);
    free(x);
}

int main(void)
{
    asgml_backend_options opt = {2, 1, -1, 0};
    if (asgml_backend_create("cpu", &opt, &be) != ASGML_OK) {
        printf("Bail out! cpu backend: %s\n", asgml_last_error());
        return 1;
    }
    test_philox();
    test_reductions();

    /* n, c_in, h, w, c_out, k_h, k_w, s_h, s_w, p_h, p_w, scratch budget */
    test_conv(2, 3, 7, 6, 4, 3, 3, 1, 1, 1, 1, ASGML_CPU_CONV_BUDGET);
    test_conv(3, 2, 8, 8, 3, 3, 3, 2, 2, 1, 1, 1);          /* one sample per GEMM */
    test_conv(5, 2, 8, 9, 3, 3, 3, 2, 2, 1, 1, 2 * 26 * 20); /* chunks of 2, 2, 1 */
    test_conv(2, 4, 5, 5, 3, 1, 1, 1, 1, 0, 0, ASGML_CPU_CONV_BUDGET);
    test_conv(3, 4, 5, 5, 3, 1, 1, 1, 1, 0, 0, 1);
    test_conv(2, 4, 7, 7, 3, 1, 1, 2, 2, 0, 0, ASGML_CPU_CONV_BUDGET);
    test_conv(2, 3, 13, 11, 2, 7, 7, 2, 2, 3, 3, ASGML_CPU_CONV_BUDGET);
    test_conv(2, 2, 6, 9, 3, 3, 1, 1, 2, 0, 1, ASGML_CPU_CONV_BUDGET);
    test_conv(1, 2, 9, 9, 2, 5, 5, 3, 3, 2, 2, ASGML_CPU_CONV_BUDGET);

    test_batchnorm(4, 3, 5);
    test_batchnorm(6, 2, 1); /* BatchNorm1d-like: hw = 1 */

    test_maxpool(2, 2, 7, 7, 3, 2, 1);
    test_maxpool(1, 3, 6, 5, 2, 2, 0);
    test_avgpool(6, 9);

    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) test_gemm(ta, tb, 5, 4, 6);

    test_elementwise(EW_BIAS, "bias");
    test_elementwise(EW_RELU, "relu");
    test_elementwise(EW_SIGMOID, "sigmoid");
    test_elementwise(EW_DROPOUT, "dropout");
    test_elementwise(EW_SEGMENT_MEAN, "segment_mean");
    test_softmax_ce(6, 5);

    asgml_backend_destroy(be);
    return tap_done();
}
