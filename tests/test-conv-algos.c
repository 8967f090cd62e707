/* SPDX-License-Identifier: MIT */
/* test-conv-algos.c - the conv algorithms of the CPU backend for 3x3
 * stride-1 pad-1 convolutions (cpu/conv_algo.c, cpu/winograd*.c).
 *
 * 1. Winograd F(4x4,3x3) and F(6x6,3x3) against im2col (as
 *    test-conv-winograd does for F(2x2,3x3)): forward, backward data and
 *    backward filter on odd sizes (H, W not multiples of the tile, odd
 *    channel counts), 1 and 2 threads, the default and a tiny scratch
 *    budget; backward outputs start from random values (+=); a second run
 *    gives the same bits.
 * 2. The error of every algorithm against a float64 direct loop at random
 *    shapes and at the 3x3 stride-1 shapes of the benchmark model (ResNet18
 *    width 64 at the AV-Digits and CREMA-D input sizes, batch 1; width 8 as
 *    in the grid): normwise relative error |got - ref|_2 / |ref|_2 and the
 *    largest error relative to the largest |ref|, printed, and bounded:
 *    F(2x2) and F(4x4) within 1e-5 (what test-ops-fd allows the forward
 *    pass against its direct loop), F(6x6) within 1e-4 (test-ops-torch's
 *    forward tolerance).
 *    A wide layer (512 channels, 2 threads) takes the larger chunks of
 *    winograd.c (2 ci*co/(ci+co) tiles): F(2x2) and F(4x4) there against
 *    im2col as well.
 * 3. The choice per shape: the rule auto applies at the model's shapes, the mode, the table of choices in order of first
 *    use, pins before the first use, a conflicting pin refused; mode
 *    measure chooses one algorithm per shape, leaves the caller's inputs
 *    alone and gives the bits of that algorithm (not how fast it is: speed
 *    belongs in bench/). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "asgml/backend.h"
#include "cpu/cpu.h"
#include "tap.h"
#define URAND_SEED 0x51a7e0f4c0de77ULL
#include "urand.h"

static const char *const algo_env[4] = {"im2col", "winograd", "winograd4", "winograd6"};
static const char *const algo_label[4] = {"im2col", "F(2x2)", "F(4x4)", "F(6x6)"};
static const double bound64[4] = {1e-5, 1e-5, 1e-5, 1e-4};
static const char *const pass_name[3] = {"forward", "backward data", "backward filter"};

static float *dup_buf(const float *x, size_t n)
{
    float *p = malloc((n ? n : 1) * sizeof(float));
    memcpy(p, x, n * sizeof(float));
    return p;
}

static asgml_status run(asgml_backend *be, const char *algo, int pass, const asgml_conv2d_desc *d,
                        const float *x, const float *w, const float *dy, float *out)
{
    setenv("ASGML_CONV_ALGO", algo, 1);
    asgml_status st;
    if (pass == 0)
        st = be->ops->conv2d_forward(be, d, x, w, out);
    else if (pass == 1)
        st = be->ops->conv2d_backward_data(be, d, dy, w, out);
    else
        st = be->ops->conv2d_backward_filter(be, d, x, dy, out);
    unsetenv("ASGML_CONV_ALGO");
    return st;
}

/* |a - b| / |b - base| (the accumulated part), base may be NULL */
static double rel_err(const float *a, const float *b, const float *base, size_t n)
{
    double num = 0.0, den = 0.0;
    for (size_t i = 0; i < n; i++) {
        double r = (double)b[i] - (base ? base[i] : 0.0);
        num += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        den += r * r;
    }
    return den > 0 ? sqrt(num / den) : sqrt(num);
}

static void parity(asgml_backend *be, int algo, int threads, int tiny, const int *s)
{
    const int n = s[0], ci = s[1], h = s[2], w = s[3], co = s[4];
    asgml_conv2d_desc d;
    asgml_conv2d_desc_init(&d, n, ci, h, w, co, 3, 1, 1);
    ((asgml_cpu_impl *)be->impl)->conv_budget = tiny ? 4096 : ASGML_CPU_CONV_BUDGET;
    const size_t nx = (size_t)n * ci * h * w, ny = (size_t)n * co * h * w, nw = (size_t)co * ci * 9;
    float *x = rand_buf(nx), *wt = rand_buf(nw), *dy = rand_buf(ny);
    const double tol = algo == 3 ? 1e-4 : 1e-5;
    for (int pass = 0; pass < 3; pass++) {
        const size_t no = pass == 0 ? ny : pass == 1 ? nx : nw;
        float *base = rand_buf(no);
        float *ref = dup_buf(base, no), *got = dup_buf(base, no), *again = dup_buf(base, no);
        asgml_status s1 = run(be, "im2col", pass, &d, x, wt, dy, ref);
        asgml_status s2 = run(be, algo_env[algo], pass, &d, x, wt, dy, got);
        asgml_status s3 = run(be, algo_env[algo], pass, &d, x, wt, dy, again);
        double e = rel_err(got, ref, pass == 0 ? NULL : base, no);
        ok(s1 == ASGML_OK && s2 == ASGML_OK && s3 == ASGML_OK && e < tol &&
               memcmp(got, again, no * sizeof(float)) == 0,
           "%s %s n %d c_in %d %dx%d c_out %d, %d thread(s)%s: rel err to im2col %.2e "
           "(< %.0e), deterministic",
           algo_label[algo], pass_name[pass], n, ci, h, w, co, threads,
           tiny ? ", tiny budget" : "", e, tol);
        free(base), free(ref), free(got), free(again);
    }
    free(x), free(wt), free(dy);
    ((asgml_cpu_impl *)be->impl)->conv_budget = ASGML_CPU_CONV_BUDGET;
}

/* float64 direct loops: y = conv(x, w), dx = conv^T(dy, w), dw = corr(x, dy) */
static void ref64(int pass, const asgml_conv2d_desc *d, const float *x, const float *w,
                  const float *dy, double *out)
{
    const int N = d->n, C = d->c_in, O = d->c_out, H = d->h_in, W = d->w_in;
    const size_t HW = (size_t)H * W;
    const size_t no = pass == 0 ? (size_t)N * O * HW : pass == 1 ? (size_t)N * C * HW
                                                                  : (size_t)O * C * 9;
    memset(out, 0, no * sizeof(double));
    for (int n = 0; n < N; n++)
        for (int o = 0; o < O; o++)
            for (int c = 0; c < C; c++) {
                const float *xc = x + ((size_t)n * C + c) * HW;
                const float *g = dy + ((size_t)n * O + o) * HW;
                const float *k = w + ((size_t)o * C + c) * 9;
                for (int kh = 0; kh < 3; kh++)
                    for (int kw = 0; kw < 3; kw++) {
                        const double kv = k[3 * kh + kw];
                        double acc = 0.0;
                        for (int i = 0; i < H; i++) {
                            const int ih = i + kh - 1;
                            if (ih < 0 || ih >= H) continue;
                            for (int j = 0; j < W; j++) {
                                const int iw = j + kw - 1;
                                if (iw < 0 || iw >= W) continue;
                                if (pass == 0)
                                    out[((size_t)n * O + o) * HW + (size_t)i * W + j] +=
                                        kv * xc[(size_t)ih * W + iw];
                                else if (pass == 1)
                                    out[((size_t)n * C + c) * HW + (size_t)ih * W + iw] +=
                                        kv * g[(size_t)i * W + j];
                                else
                                    acc += (double)g[(size_t)i * W + j] * xc[(size_t)ih * W + iw];
                            }
                        }
                        if (pass == 2) out[((size_t)o * C + c) * 9 + 3 * kh + kw] += acc;
                    }
            }
}

static void error64(asgml_backend *be, const char *what, int n, int ci, int h, int w, int co,
                    double worst[4])
{
    asgml_conv2d_desc d;
    asgml_conv2d_desc_init(&d, n, ci, h, w, co, 3, 1, 1);
    const size_t nx = (size_t)n * ci * h * w, ny = (size_t)n * co * h * w, nw = (size_t)co * ci * 9;
    float *x = rand_buf(nx), *wt = rand_buf(nw), *dy = rand_buf(ny);
    for (int pass = 0; pass < 3; pass++) {
        const size_t no = pass == 0 ? ny : pass == 1 ? nx : nw;
        double *ref = malloc(no * sizeof(double));
        ref64(pass, &d, x, wt, dy, ref);
        double rn = 0.0, rmax = 0.0;
        for (size_t i = 0; i < no; i++) {
            rn += ref[i] * ref[i];
            if (fabs(ref[i]) > rmax) rmax = fabs(ref[i]);
        }
        rn = sqrt(rn);
        double en[4], em[4];
        int all_ok = 1;
        for (int a = 0; a < 4; a++) {
            float *got = calloc(no ? no : 1, sizeof(float));
            asgml_status st = run(be, algo_env[a], pass, &d, x, wt, dy, got);
            double num = 0.0, mx = 0.0;
            for (size_t i = 0; i < no; i++) {
                const double e = fabs((double)got[i] - ref[i]);
                num += e * e;
                if (e > mx) mx = e;
            }
            en[a] = rn > 0 ? sqrt(num) / rn : sqrt(num);
            em[a] = rmax > 0 ? mx / rmax : mx;
            if (st != ASGML_OK || !(en[a] < bound64[a])) all_ok = 0;
            if (en[a] > worst[a]) worst[a] = en[a];
            free(got);
        }
        ok(all_ok,
           "%s %s n %d c_in %d %dx%d c_out %d: rel err to float64 (norm / max) im2col "
           "%.1e/%.1e, F(2x2) %.1e/%.1e, F(4x4) %.1e/%.1e, F(6x6) %.1e/%.1e",
           what, pass_name[pass], n, ci, h, w, co, en[0], em[0], en[1], em[1], en[2], em[2],
           en[3], em[3]);
        free(ref);
    }
    free(x), free(wt), free(dy);
}

static void choices(void)
{
    asgml_backend *be;
    asgml_backend_options opt = {1, 1, -1, 0};
    if (asgml_backend_create("cpu", &opt, &be) != ASGML_OK) {
        printf("Bail out! cannot create the CPU backend\n");
        exit(1);
    }
    unsetenv("ASGML_CONV_ALGO");
    asgml_conv2d_desc a, b, c;
    asgml_conv2d_desc_init(&a, 2, 16, 8, 8, 16, 3, 1, 1);
    asgml_conv2d_desc_init(&b, 2, 16, 8, 8, 32, 3, 2, 1); /* not eligible */
    asgml_conv2d_desc_init(&c, 2, 32, 4, 4, 32, 3, 1, 1);
    float *x = rand_buf(2 * 32 * 64), *w = rand_buf(32 * 32 * 9), *y = rand_buf(2 * 32 * 64);
    const char *key, *algo;
    ok(asgml_backend_set_conv_algo(be, "fastest") != ASGML_OK, "an unknown mode is refused");
    ok(asgml_backend_set_conv_algo(be, "winograd4") == ASGML_OK, "mode winograd4 before the first conv");
    ok(asgml_backend_conv_algo_pin(be, "32>32 4x4 k3s1p1", "im2col") == ASGML_OK,
       "a pin before the first use");
    ok(asgml_backend_conv_algo_pin(be, "32>32 4x4", "im2col") != ASGML_OK &&
           asgml_backend_conv_algo_pin(be, "8>8 4x4 k3s1p1", "fft") != ASGML_OK &&
           asgml_backend_conv_algo_pin(be, "08>8 4x4 k3s1p1", "im2col") != ASGML_OK,
       "malformed keys and unknown algorithms are refused");
    asgml_status st = be->ops->conv2d_forward(be, &a, x, w, y);
    st |= be->ops->conv2d_forward(be, &b, x, w, y);
    st |= be->ops->conv2d_forward(be, &c, x, w, y);
    st |= be->ops->conv2d_backward_data(be, &a, y, w, x);
    int n = 0;
    while (asgml_backend_conv_algo_entry(be, n, &key, &algo)) n++;
    int good = st == ASGML_OK && n == 2;
    if (good) {
        asgml_backend_conv_algo_entry(be, 0, &key, &algo);
        good = !strcmp(key, "32>32 4x4 k3s1p1") && !strcmp(algo, "im2col");
        asgml_backend_conv_algo_entry(be, 1, &key, &algo);
        good = good && !strcmp(key, "16>16 8x8 k3s1p1") && !strcmp(algo, "winograd4");
    }
    ok(good, "the table: the pinned shape, then the mode's choice; the stride-2 conv is not in it");
    ok(asgml_backend_conv_algo_pin(be, "16>16 8x8 k3s1p1", "winograd4") == ASGML_OK &&
           asgml_backend_conv_algo_pin(be, "16>16 8x8 k3s1p1", "im2col") != ASGML_OK,
       "pinning a used shape: the same algorithm is accepted, another refused");
    ok(asgml_backend_set_conv_algo(be, "im2col") != ASGML_OK,
       "changing the mode after shapes were chosen is refused");
    free(x), free(w), free(y);
    asgml_backend_destroy(be);
    /* auto: the rule, a function of the shape alone */
    asgml_backend_create("cpu", &opt, &be);
    x = rand_buf(2 * 64 * 64), w = rand_buf(64 * 64 * 9), y = rand_buf(2 * 64 * 64);
    asgml_conv2d_desc_init(&a, 2, 64, 8, 8, 64, 3, 1, 1);
    st = be->ops->conv2d_forward(be, &a, x, w, y);
    ok(st == ASGML_OK && asgml_backend_conv_algo_entry(be, 0, &key, &algo) &&
           asgml_cpu_winograd_auto(&a, 0) != ASGML_CPU_IM2COL &&
           !strcmp(algo, asgml_cpu_conv_algo_name(asgml_cpu_winograd_auto(&a, 0))),
       "auto: 64>64 8x8 by the rule (%s)", st == ASGML_OK ? algo : "error");
    free(x), free(w), free(y);
    asgml_backend_destroy(be);
    /* the rule at the model's shapes: F(4x4) from 24x24 outputs, and below
     * from 128 outputs with sides of 8 up to 256 channels; F(2x2) on
     * smaller images and on 512-channel layers under 24x24; im2col under
     * 16 channels or 8 outputs, or where F(2x2)'s tiles take more than 60%
     * of im2col's multiplies, unless Winograd is asked for */
    static const struct {
        int c, h, w, only, algo;
    } rule[] = {{64, 56, 56, 0, ASGML_CPU_WINO4},  {64, 65, 47, 0, ASGML_CPU_WINO4},
                {128, 28, 28, 0, ASGML_CPU_WINO4}, {128, 33, 24, 0, ASGML_CPU_WINO4},
                {64, 33, 16, 0, ASGML_CPU_WINO4},  {64, 24, 23, 0, ASGML_CPU_WINO4},
                {128, 17, 8, 0, ASGML_CPU_WINO4},  {256, 17, 12, 0, ASGML_CPU_WINO4},
                {256, 14, 14, 0, ASGML_CPU_WINO4}, {256, 9, 4, 0, ASGML_CPU_WINO2},
                {64, 8, 8, 0, ASGML_CPU_WINO2},    {128, 4, 4, 0, ASGML_CPU_WINO2},
                {512, 7, 7, 0, ASGML_CPU_WINO2},   {512, 9, 6, 0, ASGML_CPU_WINO2},
                {512, 5, 2, 0, ASGML_CPU_WINO2},   {256, 2, 2, 0, ASGML_CPU_IM2COL},
                {64, 16, 1, 0, ASGML_CPU_IM2COL},  {64, 5, 5, 0, ASGML_CPU_IM2COL},
                {512, 1, 1, 0, ASGML_CPU_IM2COL},  {8, 56, 56, 0, ASGML_CPU_IM2COL},
                {8, 56, 56, 1, ASGML_CPU_WINO4},   {512, 1, 1, 1, ASGML_CPU_WINO2}};
    int rule_bad = -1;
    for (int i = 0; i < (int)(sizeof rule / sizeof rule[0]) && rule_bad < 0; i++) {
        asgml_conv2d_desc_init(&a, 16, rule[i].c, rule[i].h, rule[i].w, rule[i].c, 3, 1, 1);
        if (asgml_cpu_winograd_auto(&a, rule[i].only) != rule[i].algo) rule_bad = i;
    }
    ok(rule_bad < 0, "auto rule at the model's shapes%s",
       rule_bad < 0 ? "" : ": a shape chose otherwise");
    if (rule_bad >= 0)
        tap_diag("rule: %d>%d %dx%d (winograd only %d)", rule[rule_bad].c, rule[rule_bad].c,
             rule[rule_bad].h, rule[rule_bad].w, rule[rule_bad].only);
    /* measure: timed at the first use, then fixed like any other choice */
    asgml_backend_options two = {2, 1, -1, 0};
    asgml_backend *pinned;
    asgml_backend_create("cpu", &two, &be);
    asgml_backend_create("cpu", &two, &pinned);
    const size_t nx = 3 * 24 * 10 * 9, nw = 24 * 24 * 9;
    x = rand_buf(nx), w = rand_buf(nw), y = rand_buf(nx);
    float *x0 = dup_buf(x, nx), *w0 = dup_buf(w, nw), *y2 = rand_buf(nx);
    float *dx = rand_buf(nx), *dx2 = dup_buf(dx, nx), *dw = rand_buf(nw), *dw2 = dup_buf(dw, nw);
    asgml_conv2d_desc_init(&a, 3, 24, 10, 9, 24, 3, 1, 1);
    st = asgml_backend_set_conv_algo(be, "measure");
    if (st == ASGML_OK) st = be->ops->conv2d_forward(be, &a, x, w, y);
    n = 0;
    while (asgml_backend_conv_algo_entry(be, n, &key, &algo)) n++;
    ok(st == ASGML_OK && n == 1 && asgml_backend_conv_algo_entry(be, 0, &key, &algo) &&
           !strcmp(key, "24>24 10x9 k3s1p1") &&
           (!strcmp(algo, "im2col") || !strcmp(algo, "winograd2") ||
            !strcmp(algo, "winograd4") || !strcmp(algo, "winograd6")) &&
           !memcmp(x, x0, nx * sizeof(float)) && !memcmp(w, w0, nw * sizeof(float)),
       "measure: one entry for the shape, an algorithm name (%s), the inputs untouched",
       st == ASGML_OK && n == 1 ? algo : "error");
    st = be->ops->conv2d_backward_data(be, &a, y, w, dx);
    if (st == ASGML_OK) st = be->ops->conv2d_backward_filter(be, &a, x, y, dw);
    n = 0;
    while (asgml_backend_conv_algo_entry(be, n, &key, &algo)) n++;
    ok(st == ASGML_OK && n == 1, "measure: the backward passes use the choice (no new entry)");
    asgml_backend_conv_algo_entry(be, 0, &key, &algo);
    st = asgml_backend_conv_algo_pin(pinned, key, algo);
    if (st == ASGML_OK) st = pinned->ops->conv2d_forward(pinned, &a, x, w, y2);
    if (st == ASGML_OK) st = pinned->ops->conv2d_backward_data(pinned, &a, y2, w, dx2);
    if (st == ASGML_OK) st = pinned->ops->conv2d_backward_filter(pinned, &a, x, y2, dw2);
    ok(st == ASGML_OK && !memcmp(y, y2, nx * sizeof(float)) &&
           !memcmp(dx, dx2, nx * sizeof(float)) && !memcmp(dw, dw2, nw * sizeof(float)),
       "measure: the three passes equal, bit for bit, a backend pinned to %s", algo);
    free(x), free(w), free(y), free(x0), free(w0), free(y2), free(dx), free(dx2), free(dw),
        free(dw2);
    asgml_backend_destroy(be);
    asgml_backend_destroy(pinned);
}

int main(void)
{
    static const int odd[][5] = {/* n, c_in, h, w, c_out */
                                 {1, 3, 5, 7, 2},  {3, 5, 9, 6, 7},  {2, 17, 33, 16, 19},
                                 {1, 1, 1, 1, 1},  {3, 2, 2, 3, 4},  {2, 33, 8, 8, 31},
                                 {5, 13, 11, 4, 9}, {3, 20, 5, 2, 21}, {1, 7, 13, 1, 5},
                                 {2, 9, 14, 25, 6}};
    const int nodd = (int)(sizeof odd / sizeof odd[0]);
    /* the 3x3 stride-1 convs of ResNet18 (width 64 and 8) at the model's sizes */
    static const struct {
        const char *what;
        int n, ci, h, w;
    } model[] = {
        {"avdigits visual", 1, 64, 8, 8},    {"avdigits visual", 1, 128, 4, 4},
        {"avdigits visual", 1, 256, 2, 2},   {"avdigits visual", 1, 512, 1, 1},
        {"avdigits audio", 1, 64, 33, 16},   {"avdigits audio", 1, 128, 17, 8},
        {"avdigits audio", 1, 256, 9, 4},    {"avdigits audio", 1, 512, 5, 2},
        {"cremad visual", 1, 64, 56, 56},    {"cremad visual", 1, 512, 7, 7},
        {"cremad audio", 1, 64, 65, 47},     {"cremad audio", 1, 256, 17, 12},
        {"grid (width 8)", 4, 8, 33, 16},    {"grid (width 8)", 4, 32, 9, 4},
    };
    const int nmodel = (int)(sizeof model / sizeof model[0]);
    static const int rnd[][5] = {{2, 3, 17, 23, 5}, {1, 24, 31, 9, 40}, {3, 11, 6, 29, 13}};
    const int nrnd = (int)(sizeof rnd / sizeof rnd[0]);
    tap_plan(2 * 2 * 2 * nodd * 3 + 2 * 3 + (nmodel + nrnd) * 3 + 4 + 1 + 8 + 3 + 2 * 3);
    for (int threads = 1; threads <= 2; threads++) {
        asgml_backend *be;
        asgml_backend_options opt = {threads, 1, -1, 0};
        if (asgml_backend_create("cpu", &opt, &be) != ASGML_OK) {
            printf("Bail out! cannot create the CPU backend\n");
            return 1;
        }
        for (int algo = 2; algo <= 3; algo++)
            for (int tiny = 0; tiny <= 1; tiny++)
                for (int i = 0; i < nodd; i++) parity(be, algo, threads, tiny, odd[i]);
        asgml_backend_destroy(be);
    }
    asgml_backend *be;
    asgml_backend_options opt = {2, 1, -1, 0};
    if (asgml_backend_create("cpu", &opt, &be) != ASGML_OK) {
        printf("Bail out! cannot create the CPU backend\n");
        return 1;
    }
    /* wide: one sample per thread, 64 F(2x2) tiles each (the L2 target
     * alone would give 32 per chunk), 36 F(4x4) tiles */
    static const int wide[][5] = {{2, 512, 16, 16, 512}, {2, 512, 24, 24, 512}};
    parity(be, 1, 2, 0, wide[0]);
    parity(be, 2, 2, 0, wide[1]);
    /* from 256 channels F(4x4)/F(6x6) forward and backward data go
     * channel-last at any size: odd sizes, 12 tiles a sample, 3 and 2
     * samples on the two threads, c_out != c_in */
    static const int wide_cl[5] = {5, 256, 11, 13, 264};
    parity(be, 2, 2, 0, wide_cl);
    parity(be, 3, 2, 0, wide_cl);
    double worst[4] = {0, 0, 0, 0};
    for (int i = 0; i < nmodel; i++)
        error64(be, model[i].what, model[i].n, model[i].ci, model[i].h, model[i].w, model[i].ci,
                worst);
    for (int i = 0; i < nrnd; i++)
        error64(be, "random", rnd[i][0], rnd[i][1], rnd[i][2], rnd[i][3], rnd[i][4], worst);
    for (int a = 0; a < 4; a++)
        ok(worst[a] < bound64[a], "%s: largest normwise error to float64 %.2e (< %.0e)",
           algo_label[a], worst[a], bound64[a]);
    asgml_backend_destroy(be);
    choices();
    return tap_done();
}
