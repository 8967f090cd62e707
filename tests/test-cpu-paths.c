/* SPDX-License-Identifier: MIT */
/* test-cpu-paths.c - the CPU backend's fast paths against naive loops:
 *
 * conv2d (ASGML_CONV_ALGO=im2col) forward, backward data and backward
 * filter against a direct 7-loop convolution in double, on shapes that hit
 * each im2col variant: kernel taps that only ever read padding and are
 * pruned (a 3x3 pad-1 conv of a 1x1 plane uses its centre tap alone; a
 * stride-2 conv of a 2x2 plane four taps), the gather table of small
 * planes, and row bands of one large sample (tiny scratch budget); 1 and 2
 * threads.  Backward ops must accumulate (+=) and leave unused filter taps'
 * gradients as they were.
 *
 * max-pool forward against a row-major first-maximum scan: ties (values
 * from a set of four), -inf planes, and NaNs (the first NaN of a window is
 * its maximum and argmax, as in PyTorch).
 *
 * sgd_update (one vectorised loop per flag combination) against the
 * scalar torch.optim.SGD step, bit for bit: every combination of weight
 * decay, momentum, Nesterov and first step, on lengths that leave
 * remainders (7, and 100003 split over the threads). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "asgml/backend.h"
#include "cpu/cpu.h"
#include "tap.h"
#define URAND_SEED 0x51ed2701a3c9ULL
#include "urand.h"

#define TOL 1e-5

/* ||a - b|| / ||b - base||: the error of the accumulated part */
static double rel_err(const float *a, const double *b, const float *base, size_t n)
{
    double num = 0.0, den = 0.0;
    for (size_t i = 0; i < n; i++) {
        double r = b[i] - (base ? base[i] : 0.0);
        num += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        den += r * r;
    }
    return den > 0 ? sqrt(num / den) : sqrt(num);
}

/* naive: y += conv(x, w); dx += conv^T(dy, w); dw += x (*) dy, in double */
static void naive(const asgml_conv2d_desc *d, const float *x, const float *w, const float *dy,
                  double *y, double *dx, double *dw)
{
    for (int n = 0; n < d->n; n++)
        for (int o = 0; o < d->c_out; o++)
            for (int oh = 0; oh < d->h_out; oh++)
                for (int ow = 0; ow < d->w_out; ow++) {
                    const size_t yi = (((size_t)n * d->c_out + o) * d->h_out + oh) * d->w_out + ow;
                    for (int c = 0; c < d->c_in; c++)
                        for (int kh = 0; kh < d->k_h; kh++)
                            for (int kw = 0; kw < d->k_w; kw++) {
                                const int h = oh * d->stride_h - d->pad_h + kh;
                                const int wi = ow * d->stride_w - d->pad_w + kw;
                                if (h < 0 || h >= d->h_in || wi < 0 || wi >= d->w_in) continue;
                                const size_t xi =
                                    (((size_t)n * d->c_in + c) * d->h_in + h) * d->w_in + wi;
                                const size_t wj =
                                    (((size_t)o * d->c_in + c) * d->k_h + kh) * d->k_w + kw;
                                y[yi] += (double)w[wj] * x[xi];
                                dx[xi] += (double)w[wj] * dy[yi];
                                dw[wj] += (double)x[xi] * dy[yi];
                            }
                }
}

static void check_conv(asgml_backend *be, int threads, int tiny, const int *s)
{
    /* n, c_in, h, w, c_out, k, stride, pad */
    asgml_conv2d_desc d;
    asgml_conv2d_desc_init(&d, s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]);
    ((asgml_cpu_impl *)be->impl)->conv_budget = tiny ? 4096 : ASGML_CPU_CONV_BUDGET;
    const size_t nx = (size_t)d.n * d.c_in * d.h_in * d.w_in;
    const size_t ny = (size_t)d.n * d.c_out * d.h_out * d.w_out;
    const size_t nw = (size_t)d.c_out * d.c_in * d.k_h * d.k_w;
    float *x = rand_buf(nx), *w = rand_buf(nw), *dy = rand_buf(ny);
    float *bx = rand_buf(nx), *bw = rand_buf(nw);
    double *ry = calloc(ny, sizeof(double)), *rdx = calloc(nx, sizeof(double));
    double *rdw = calloc(nw, sizeof(double));
    for (size_t i = 0; i < nx; i++) rdx[i] = bx[i];
    for (size_t i = 0; i < nw; i++) rdw[i] = bw[i];
    naive(&d, x, w, dy, ry, rdx, rdw);
    float *y = malloc(ny * sizeof(float)), *gdx = malloc(nx * sizeof(float));
    float *gdw = malloc(nw * sizeof(float));
    memcpy(gdx, bx, nx * sizeof(float));
    memcpy(gdw, bw, nw * sizeof(float));
    setenv("ASGML_CONV_ALGO", "im2col", 1);
    asgml_status s0 = be->ops->conv2d_forward(be, &d, x, w, y);
    asgml_status s1 = be->ops->conv2d_backward_data(be, &d, dy, w, gdx);
    asgml_status s2 = be->ops->conv2d_backward_filter(be, &d, x, dy, gdw);
    const double e0 = rel_err(y, ry, NULL, ny), e1 = rel_err(gdx, rdx, bx, nx);
    const double e2 = rel_err(gdw, rdw, bw, nw);
    ok(s0 == ASGML_OK && s1 == ASGML_OK && s2 == ASGML_OK && e0 < TOL && e1 < TOL && e2 < TOL,
       "conv n %d c_in %d %dx%d -> c_out %d %dx%d, k %d s %d p %d, %d thread(s)%s: rel err "
       "fwd %.1e, bwd data %.1e, bwd filter %.1e",
       d.n, d.c_in, d.h_in, d.w_in, d.c_out, d.h_out, d.w_out, d.k_h, d.stride_h, d.pad_h,
       threads, tiny ? ", tiny budget" : "", e0, e1, e2);
    free(x), free(w), free(dy), free(bx), free(bw), free(ry), free(rdx), free(rdw);
    free(y), free(gdx), free(gdw);
}

/* first maximum in row-major window order; a NaN wins and stops the scan */
static void naive_pool(const asgml_pool2d_desc *d, const float *x, float *y, int32_t *arg)
{
    for (int q = 0; q < d->n * d->c; q++)
        for (int oh = 0; oh < d->h_out; oh++)
            for (int ow = 0; ow < d->w_out; ow++) {
                float m = -INFINITY;
                int best = -1;
                for (int kh = 0; kh < d->k && !(best >= 0 && m != m); kh++)
                    for (int kw = 0; kw < d->k; kw++) {
                        const int h = oh * d->stride - d->pad + kh, w = ow * d->stride - d->pad + kw;
                        if (h < 0 || h >= d->h_in || w < 0 || w >= d->w_in) continue;
                        const float v = x[(size_t)q * d->h_in * d->w_in + h * d->w_in + w];
                        if (best < 0 || v > m || v != v) {
                            m = v;
                            best = h * d->w_in + w;
                            if (v != v) break;
                        }
                    }
                y[((size_t)q * d->h_out + oh) * d->w_out + ow] = m;
                arg[((size_t)q * d->h_out + oh) * d->w_out + ow] = best;
            }
}

static void check_pool(asgml_backend *be, int threads, const int *s, int kind)
{
    /* n, c, h, w, k, stride, pad; kind 0 ties, 1 ties + NaNs, 2 -inf */
    asgml_pool2d_desc d;
    asgml_pool2d_desc_init(&d, s[0], s[1], s[2], s[3], s[4], s[5], s[6]);
    const size_t nx = (size_t)d.n * d.c * d.h_in * d.w_in, ny = (size_t)d.n * d.c * d.h_out * d.w_out;
    float *x = malloc(nx * sizeof(float));
    static const float vals[4] = {0.0f, 0.0f, 0.5f, 1.0f};
    for (size_t i = 0; i < nx; i++) {
        x[i] = kind == 2 ? -INFINITY : vals[(int)((urand() + 1.0f) * 2.0f) & 3];
        if (kind == 1 && urand() > 0.8f) x[i] = NAN;
    }
    float *y = malloc(ny * sizeof(float)), *ry = malloc(ny * sizeof(float));
    int32_t *a = malloc(ny * sizeof(int32_t)), *ra = malloc(ny * sizeof(int32_t));
    naive_pool(&d, x, ry, ra);
    asgml_status st = be->ops->maxpool_forward(be, &d, x, y, a);
    int same = 1;
    for (size_t i = 0; i < ny && same; i++)
        same = a[i] == ra[i] && (y[i] == ry[i] || (y[i] != y[i] && ry[i] != ry[i]));
    static const char *what[3] = {"ties", "ties and NaNs", "all -inf"};
    ok(st == ASGML_OK && same, "maxpool n %d c %d %dx%d k %d s %d p %d, %s, %d thread(s): "
       "values and argmax equal the row-major scan", d.n, d.c, d.h_in, d.w_in, d.k, d.stride,
       d.pad, what[kind], threads);
    free(x), free(y), free(ry), free(a), free(ra);
}

/* one SGD step in plain scalar code: the same operations as the backend */
static void sgd_ref(int64_t n, float *p, const float *g0, float *m, float lr, float mom,
                    float damp1, float wd, int nesterov, int first)
{
    for (int64_t i = 0; i < n; i++) {
        volatile float g = g0[i]; /* volatile: keep it a plain scalar loop */
        if (wd != 0.0f) g = g + wd * p[i];
        if (mom != 0.0f) {
            float v = first ? g : mom * m[i] + damp1 * g;
            m[i] = v;
            g = nesterov ? g + mom * v : v;
        }
        p[i] -= lr * g;
    }
}

static void check_sgd(asgml_backend *be, int threads, int64_t n)
{
    float *p0 = rand_buf((size_t)n), *g = rand_buf((size_t)n), *m0 = rand_buf((size_t)n);
    float *p1 = malloc((size_t)n * sizeof(float)), *p2 = malloc((size_t)n * sizeof(float));
    float *m1 = malloc((size_t)n * sizeof(float)), *m2 = malloc((size_t)n * sizeof(float));
    int bad = 0;
    for (int f = 0; f < 16; f++) {
        const float wd = f & 1 ? 1e-2f : 0.0f, mom = f & 2 ? 0.9f : 0.0f;
        const int nesterov = (f >> 2) & 1, first = (f >> 3) & 1;
        memcpy(p1, p0, (size_t)n * sizeof(float)), memcpy(p2, p0, (size_t)n * sizeof(float));
        memcpy(m1, m0, (size_t)n * sizeof(float)), memcpy(m2, m0, (size_t)n * sizeof(float));
        asgml_status st = be->ops->sgd_update(be, n, p1, g, m1, 0.05f, mom, 0.1f, wd, nesterov,
                                              first);
        sgd_ref(n, p2, g, m2, 0.05f, mom, 0.9f, wd, nesterov, first);
        if (st != ASGML_OK || memcmp(p1, p2, (size_t)n * sizeof(float)) ||
            (mom != 0.0f && memcmp(m1, m2, (size_t)n * sizeof(float))))
            bad |= 1 << f;
    }
    ok(!bad, "sgd_update n %lld, %d thread(s): the scalar step's bits for all 16 flag "
       "combinations (failing: 0x%x)", (long long)n, threads, bad);
    free(p0), free(g), free(m0), free(p1), free(p2), free(m1), free(m2);
}

int main(void)
{
    static const int convs[][8] = {
        /* n, c_in, h, w, c_out, k, stride, pad */
        {3, 5, 1, 1, 4, 3, 1, 1},   /* centre tap only */
        {2, 4, 2, 2, 3, 3, 2, 1},   /* 2x2 -> 1x1: four taps */
        {3, 6, 5, 2, 5, 3, 1, 1},   /* a small plane: gather table */
        {2, 3, 9, 4, 7, 3, 2, 1},   /* stride 2, table */
        {2, 2, 3, 3, 3, 7, 2, 3},   /* 7x7 on 3x3: pruned to the middle */
        {1, 3, 1, 5, 2, 3, 1, 1},   /* one row: rows pruned, columns not */
        {2, 3, 40, 36, 4, 3, 1, 1}, /* large plane: row copies */
        {2, 2, 33, 30, 3, 7, 2, 3}, /* 7x7 stride 2, large */
        {2, 3, 37, 41, 4, 7, 2, 3}, /* the same, odd width: de-interleaved rows */
        {2, 3, 35, 33, 5, 3, 2, 1}, /* 3x3 stride 2, odd width */
    };
    static const int pools[][7] = {
        {2, 3, 9, 8, 3, 2, 1}, {1, 2, 7, 7, 3, 2, 1}, {2, 2, 6, 5, 2, 2, 0}, {1, 3, 4, 9, 3, 1, 1},
        /* stride 2 de-interleaves rows: a tap two columns left (k 5, pad
         * 2); a row too long for that (strided loads) */
        {2, 2, 11, 13, 5, 2, 2}, {1, 2, 5, 2100, 3, 2, 1},
    };
    const int nconv = (int)(sizeof convs / sizeof convs[0]);
    const int npool = (int)(sizeof pools / sizeof pools[0]);
    tap_plan(2 * (nconv * 2 + npool * 3 + 2));
    for (int threads = 1; threads <= 2; threads++) {
        asgml_backend *be;
        asgml_backend_options opt = {threads, 1, -1, 0};
        if (asgml_backend_create("cpu", &opt, &be) != ASGML_OK) {
            printf("Bail out! cannot create the CPU backend\n");
            return 1;
        }
        for (int tiny = 0; tiny <= 1; tiny++)
            for (int i = 0; i < nconv; i++) check_conv(be, threads, tiny, convs[i]);
        for (int i = 0; i < npool; i++)
            for (int kind = 0; kind < 3; kind++) check_pool(be, threads, pools[i], kind);
        check_sgd(be, threads, 7);
        check_sgd(be, threads, 100003);
        asgml_backend_destroy(be);
    }
    unsetenv("ASGML_CONV_ALGO");
    return tap_done();
}
