/* SPDX-License-Identifier: MIT */
/* test-conv-winograd.c - the Winograd F(2x2,3x3) path of the CPU backend
 * (cpu/winograd.c) against the im2col path (ASGML_CONV_ALGO=im2col) for
 * 3x3 stride-1 pad-1 convolutions: forward, backward data and backward
 * filter on odd sizes (H, W not multiples of the 2x2 tile, odd channel
 * counts, batch 1 and 3), 1 and 2 threads, the default and a tiny scratch
 * budget (many small tile chunks); small images and the filter gradient
 * take the channel-last transforms (cpu/winograd_cl.c) unless the budget
 * is too small for a whole sample.  Backward ops must accumulate (+=): their
 * outputs start from random values.  A second Winograd run must give the
 * same bits (determinism for a fixed thread count). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "asgml/backend.h"
#include "cpu/cpu.h"
#include "tap.h"
#define URAND_SEED 0x3a7c0ffee123ULL
#include "urand.h"

#define TOL 2e-5

static float *dup_buf(const float *x, size_t n)
{
    float *p = malloc((n ? n : 1) * sizeof(float));
    memcpy(p, x, n * sizeof(float));
    return p;
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

/* pass 0 forward, 1 backward data, 2 backward filter; algo via the env */
static asgml_status run(asgml_backend *be, const char *algo, int pass, const asgml_conv2d_desc *d,
                        const float *x, const float *w, const float *dy, float *out)
{
    setenv("ASGML_CONV_ALGO", algo, 1);
    if (pass == 0) return be->ops->conv2d_forward(be, d, x, w, out);
    if (pass == 1) return be->ops->conv2d_backward_data(be, d, dy, w, out);
    return be->ops->conv2d_backward_filter(be, d, x, dy, out);
}

static const char *pass_name[3] = {"forward", "backward data", "backward filter"};

static void check(asgml_backend *be, int threads, int tiny, int n, int ci, int h, int w, int co)
{
    asgml_conv2d_desc d;
    asgml_conv2d_desc_init(&d, n, ci, h, w, co, 3, 1, 1);
    ((asgml_cpu_impl *)be->impl)->conv_budget = tiny ? 4096 : ASGML_CPU_CONV_BUDGET;
    const size_t nx = (size_t)n * ci * h * w, ny = (size_t)n * co * h * w,
                 nw = (size_t)co * ci * 9;
    float *x = rand_buf(nx), *wt = rand_buf(nw), *dy = rand_buf(ny);
    for (int pass = 0; pass < 3; pass++) {
        const size_t no = pass == 0 ? ny : pass == 1 ? nx : nw;
        float *base = rand_buf(no);
        float *ref = dup_buf(base, no), *got = dup_buf(base, no), *again = dup_buf(base, no);
        asgml_status s1 = run(be, "im2col", pass, &d, x, wt, dy, ref);
        asgml_status s2 = run(be, "winograd", pass, &d, x, wt, dy, got);
        asgml_status s3 = run(be, "winograd", pass, &d, x, wt, dy, again);
        double e = rel_err(got, ref, pass == 0 ? NULL : base, no);
        ok(s1 == ASGML_OK && s2 == ASGML_OK && s3 == ASGML_OK && e < TOL &&
               memcmp(got, again, no * sizeof(float)) == 0,
           "%s n %d c_in %d %dx%d c_out %d, %d thread(s)%s: rel err %.2e, deterministic",
           pass_name[pass], n, ci, h, w, co, threads, tiny ? ", tiny budget" : "", e);
        free(base);
        free(ref);
        free(got);
        free(again);
    }
    free(x);
    free(wt);
    free(dy);
}

int main(void)
{
    static const int shapes[][5] = {/* n, c_in, h, w, c_out */
                                    {1, 3, 5, 7, 2},   {3, 5, 9, 6, 7},   {3, 17, 33, 16, 19},
                                    {1, 1, 1, 1, 1},   {3, 2, 2, 3, 4},   {2, 33, 8, 8, 31},
                                    {5, 13, 11, 4, 9}, {3, 20, 5, 2, 21}, {1, 7, 13, 1, 5},
                                    /* channel-last (winograd_cl.c) in chunks of 10 samples,
                                     * the last one partial */
                                    {25, 256, 5, 2, 256}, {4, 40, 7, 7, 24}};
    const int nshapes = (int)(sizeof shapes / sizeof shapes[0]);
    tap_plan(nshapes * 3 * 2 * 2);
    for (int threads = 1; threads <= 2; threads++) {
        asgml_backend *be;
        asgml_backend_options opt = {threads, 1, -1, 0};
        if (asgml_backend_create("cpu", &opt, &be) != ASGML_OK) {
            printf("Bail out! cannot create the CPU backend\n");
            return 1;
        }
        for (int tiny = 0; tiny <= 1; tiny++)
            for (int i = 0; i < nshapes; i++)
                check(be, threads, tiny, shapes[i][0], shapes[i][1], shapes[i][2], shapes[i][3],
                      shapes[i][4]);
        asgml_backend_destroy(be);
    }
    unsetenv("ASGML_CONV_ALGO");
    return tap_done();
}
