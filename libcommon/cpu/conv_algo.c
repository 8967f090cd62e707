/* SPDX-License-Identifier: MIT */
/* cpu/conv_algo.c - which algorithm computes a convolution of the CPU
 * backend: im2col + SGEMM (conv2d.c) or Winograd F(m x m,3x3) (winograd.c).
 *
 * The algorithm changes the floating-point results, so it is fixed per
 * conv shape (c_in, c_out, H, W of an eligible 3x3 stride-1 pad-1 conv; not
 * the batch size) at the first use of the shape and kept for the life of
 * the backend: forward, backward data and backward filter of a layer, full
 * and partial batches, training and evaluation all use one algorithm.  The
 * choice comes from the mode (backend.conv-algo, asgml-train(1)): auto (the
 * rule asgml_cpu_winograd_auto, a function of the shape only, made from
 * measurements with bench/bench-layers), measure (each algorithm timed on
 * this machine at the shape's first use, the fastest kept: see measure()),
 * im2col, winograd (the rule's Winograd variant, never im2col) or one
 * variant.  A caller may pin the
 * choice of a shape before its first use (asgml_backend_conv_algo_pin: a
 * resumed run pins what the interrupted run recorded).  The table of
 * choices is listed by asgml_backend_conv_algo_entry in order of first use.
 * ASGML_CONV_ALGO in the environment (im2col, winograd = F(2x2,3x3),
 * winograd4, winograd6) overrides every choice and records nothing: for
 * tests and comparisons only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "cpu.h"

static const struct {
    const char *name;
    int algo;
} algos[] = {{"im2col", ASGML_CPU_IM2COL},
             {"winograd2", ASGML_CPU_WINO2},
             {"winograd4", ASGML_CPU_WINO4},
             {"winograd6", ASGML_CPU_WINO6}};
#define NALGOS ((int)(sizeof algos / sizeof algos[0]))

const char *asgml_cpu_conv_algo_name(int algo)
{
    for (int i = 0; i < NALGOS; i++)
        if (algos[i].algo == algo) return algos[i].name;
    return "?";
}

static int algo_by_name(const char *s)
{
    for (int i = 0; i < NALGOS; i++)
        if (strcmp(algos[i].name, s) == 0) return algos[i].algo;
    return -100;
}

static void shape_key(char *key, size_t n, int c_in, int c_out, int h, int w)
{
    snprintf(key, n, "%d>%d %dx%d k3s1p1", c_in, c_out, h, w);
}

static asgml_status add_choice(asgml_cpu_impl *impl, int c_in, int c_out, int h, int w,
                               int algo, asgml_cpu_conv_choice **out)
{
    if (impl->nchoices == impl->cap_choices) {
        int cap = impl->cap_choices ? 2 * impl->cap_choices : 16;
        asgml_cpu_conv_choice *p = realloc(impl->choices, (size_t)cap * sizeof *p);
        if (!p) return ASGML_ERR(ASGML_ENOMEM, "conv algorithm table: out of memory");
        impl->choices = p;
        impl->cap_choices = cap;
    }
    asgml_cpu_conv_choice *c = &impl->choices[impl->nchoices++];
    c->c_in = c_in, c->c_out = c_out, c->h = h, c->w = w, c->algo = algo;
    shape_key(c->key, sizeof c->key, c_in, c_out, h, w);
    if (out) *out = c;
    return ASGML_OK;
}

static asgml_cpu_conv_choice *find_choice(asgml_cpu_impl *impl, int c_in, int c_out, int h, int w)
{
    for (int i = 0; i < impl->nchoices; i++) {
        asgml_cpu_conv_choice *c = &impl->choices[i];
        if (c->c_in == c_in && c->c_out == c_out && c->h == h && c->w == w) return c;
    }
    return NULL;
}

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* Mode measure: the algorithm of d's shape that runs a training step's
 * three passes (forward, backward data, backward filter) fastest on this
 * backend, at d's batch size, on scratch data (a fixed pattern; the
 * caller's buffers are not touched).  Round 1 runs every algorithm once
 * (warm-up: workspace, caches); round 2 times each algorithm whose round-1
 * time was within 3x of the best (F(6x6) on a 7x7 plane takes 10x longer
 * than F(2x2): it is not run again) and keeps the fastest; a tie goes to
 * the earlier of im2col, F(2x2), F(4x4), F(6x6).  The scratch data and
 * the workspace the candidates grew are freed after; while measuring, the
 * process holds both (a transient peak: about 200 MiB at the CREMA-D shape,
 * bench/bench-train --conv-algo measure).  The choice is timing:
 * two runs may choose differently, which is why it is recorded and pinned
 * on resume like any other (asgml-train(1), backend.conv-algo). */
static asgml_status measure(asgml_backend *be, const asgml_conv2d_desc *d, int *out)
{
    const size_t nx = (size_t)d->n * d->c_in * d->h_in * d->w_in;
    const size_t ny = (size_t)d->n * d->c_out * d->h_out * d->w_out;
    const size_t nw = (size_t)d->c_out * d->c_in * 9;
    const size_t nbuf = 2 * nx + 2 * ny + 2 * nw;
    float *buf = malloc(nbuf * sizeof(float));
    if (!buf)
        return ASGML_ERR(ASGML_ENOMEM, "conv algorithm measurement: out of memory for %zu "
                         "floats", nbuf);
    float *x = buf, *dx = x + nx, *y = dx + nx, *dy = y + ny, *w = dy + ny, *dw = w + nw;
    for (size_t i = 0; i < nbuf; i += 4) { /* uniform in [-0.5, 0.5), four per draw */
        uint32_t r[4];
        asgml_philox4x32(0x5eed, i / 4, r);
        for (size_t k = 0; k < 4 && i + k < nbuf; k++)
            buf[i + k] = (float)(r[k] >> 8) * (1.0f / 16777216.0f) - 0.5f;
    }
    double t1[NALGOS], best1 = 1e300, best2 = 1e300;
    asgml_status st = ASGML_OK;
    *out = ASGML_CPU_IM2COL;
    for (int round = 0; round < 2 && st == ASGML_OK; round++)
        for (int i = 0; i < NALGOS && st == ASGML_OK; i++) {
            if (round == 1 && t1[i] > 3.0 * best1) continue;
            const int a = algos[i].algo;
            const double t0 = seconds();
            st = asgml_cpu_conv2d_algo_run(be, d, a, 0, x, w, y);
            if (st == ASGML_OK) st = asgml_cpu_conv2d_algo_run(be, d, a, 1, dy, w, dx);
            if (st == ASGML_OK) st = asgml_cpu_conv2d_algo_run(be, d, a, 2, x, dy, dw);
            const double t = seconds() - t0;
            if (round == 0) {
                t1[i] = t;
                if (t < best1) best1 = t;
            } else if (t < best2) {
                best2 = t;
                *out = a;
            }
        }
    free(buf);
    /* the workspace grew to the hungriest candidate's size (F(6x6) needs
     * the most): give it back, the chosen algorithm allocates its own */
    asgml_cpu_workspace_release(be);
    return st;
}

asgml_status asgml_cpu_conv_algo(asgml_backend *be, const asgml_conv2d_desc *d, int *algo)
{
    asgml_cpu_impl *impl = be->impl;
    *algo = ASGML_CPU_IM2COL;
    if (!asgml_cpu_winograd_eligible(d)) return ASGML_OK;
    const char *env = getenv("ASGML_CONV_ALGO");
    if (env && *env && strcmp(env, "auto") != 0) {
        if (strcmp(env, "winograd") == 0) {
            *algo = ASGML_CPU_WINO2;
            return ASGML_OK;
        }
        const int a = algo_by_name(env);
        if (a < 0)
            return ASGML_ERR(ASGML_EINVAL, "ASGML_CONV_ALGO=%s: expected auto, im2col, "
                             "winograd, winograd2, winograd4 or winograd6", env);
        *algo = a;
        return ASGML_OK;
    }
    asgml_cpu_conv_choice *c = find_choice(impl, d->c_in, d->c_out, d->h_in, d->w_in);
    if (!c) {
        int a = ASGML_CPU_IM2COL;
        if (impl->conv_mode == ASGML_CPU_CONV_AUTO) {
            a = asgml_cpu_winograd_auto(d, 0);
        } else if (impl->conv_mode == ASGML_CPU_CONV_MEASURE) {
            asgml_status st = measure(be, d, &a);
            if (st) return asgml_error_prefix(st, "measuring the conv algorithms of %d>%d %dx%d",
                                              d->c_in, d->c_out, d->h_in, d->w_in);
        } else if (impl->conv_mode == ASGML_CPU_CONV_WINOGRAD) {
            a = asgml_cpu_winograd_auto(d, 1);
        } else {
            a = impl->conv_mode;
        }
        asgml_status st = add_choice(impl, d->c_in, d->c_out, d->h_in, d->w_in, a, &c);
        if (st) return st;
    }
    *algo = c->algo;
    return ASGML_OK;
}

asgml_status asgml_cpu_conv_algo_mode(asgml_backend *be, const char *mode)
{
    asgml_cpu_impl *impl = be->impl;
    int m;
    if (strcmp(mode, "auto") == 0)
        m = ASGML_CPU_CONV_AUTO;
    else if (strcmp(mode, "winograd") == 0)
        m = ASGML_CPU_CONV_WINOGRAD;
    else if (strcmp(mode, "measure") == 0)
        m = ASGML_CPU_CONV_MEASURE;
    else if ((m = algo_by_name(mode)) < 0)
        return ASGML_ERR(ASGML_EINVAL, "conv algorithm '%s': expected auto, measure, im2col, "
                         "winograd, winograd2, winograd4 or winograd6", mode);
    if (impl->nchoices > 0 && m != impl->conv_mode)
        return ASGML_ERR(ASGML_EINVAL, "conv algorithm mode '%s' set after %d convolution "
                         "shapes were chosen", mode, impl->nchoices);
    impl->conv_mode = m;
    return ASGML_OK;
}

int asgml_cpu_conv_algo_entry(asgml_backend *be, int i, const char **key, const char **algo)
{
    asgml_cpu_impl *impl = be->impl;
    if (i < 0 || i >= impl->nchoices) return 0;
    *key = impl->choices[i].key;
    *algo = asgml_cpu_conv_algo_name(impl->choices[i].algo);
    return 1;
}

asgml_status asgml_cpu_conv_algo_pin(asgml_backend *be, const char *key, const char *algo)
{
    asgml_cpu_impl *impl = be->impl;
    int c_in, c_out, h, w, n = 0;
    char canon[64];
    if (sscanf(key, "%d>%d %dx%d k3s1p1%n", &c_in, &c_out, &h, &w, &n) != 4 || key[n] ||
        c_in <= 0 || c_out <= 0 || h <= 0 || w <= 0)
        return ASGML_ERR(ASGML_EINVAL, "conv shape '%s': expected 'C_IN>C_OUT HxW k3s1p1'", key);
    shape_key(canon, sizeof canon, c_in, c_out, h, w);
    if (strcmp(canon, key) != 0)
        return ASGML_ERR(ASGML_EINVAL, "conv shape '%s': expected '%s'", key, canon);
    const int a = algo_by_name(algo);
    if (a < 0)
        return ASGML_ERR(ASGML_EINVAL, "conv shape '%s': unknown algorithm '%s' (im2col, "
                         "winograd2, winograd4, winograd6)", key, algo);
    asgml_cpu_conv_choice *c = find_choice(impl, c_in, c_out, h, w);
    if (c) {
        if (c->algo != a)
            return ASGML_ERR(ASGML_EINVAL, "conv shape '%s': already computed with %s, "
                             "cannot pin %s", key, asgml_cpu_conv_algo_name(c->algo), algo);
        return ASGML_OK;
    }
    return add_choice(impl, c_in, c_out, h, w, a, NULL);
}
