/* SPDX-License-Identifier: MIT */
/* bench-ops.c - CPU backend conv2d throughput at ResNet18 shapes.
 *
 * Runs forward, backward data and backward filter of every distinct conv of
 * a ResNet18 (width 64) encoder for one input shape and prints, per layer
 * and in total, milliseconds and GFLOP/s (2*n*c_out*P*K flops per op):
 *
 *     bench-ops [--shape avdigits-audio|avdigits-visual|cremad-visual]
 *               [--batch B] [--threads T] [--reps R]
 *
 * Each layer is counted as often as it occurs in the network, so the total
 * is the conv time of one training step of one encoder. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "asgml/backend.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static float *buf(size_t n)
{
    float *p = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) p[i] = (float)((i * 2654435761u) % 1000) * 1e-3f - 0.5f;
    return p;
}

typedef struct {
    int c_in, c_out, k, stride, pad, count;
    int h, w; /* input size */
} layer;

int main(int argc, char **argv)
{
    const char *shape = "avdigits-visual";
    int batch = 64, threads = 2, reps = 3;
    static const struct option lo[] = {{"shape", 1, 0, 's'}, {"batch", 1, 0, 'b'},
                                       {"threads", 1, 0, 't'}, {"reps", 1, 0, 'r'},
                                       {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    for (int c; (c = getopt_long(argc, argv, "s:b:t:r:h", lo, NULL)) != -1;) {
        switch (c) {
        case 's': shape = optarg; break;
        case 'b': batch = atoi(optarg); break;
        case 't': threads = atoi(optarg); break;
        case 'r': reps = atoi(optarg); break;
        case 'h':
            printf("usage: bench-ops [--shape avdigits-audio|avdigits-visual|cremad-visual] "
                   "[--batch B] [--threads T] [--reps R]\n");
            return 0;
        default:
            fprintf(stderr, "Try 'bench-ops --help' for more information.\n");
            return 2;
        }
    }
    int cin, h, w;
    if (!strcmp(shape, "avdigits-audio")) cin = 1, h = 129, w = 64;
    else if (!strcmp(shape, "avdigits-visual")) cin = 3, h = 32, w = 32;
    else if (!strcmp(shape, "cremad-visual")) cin = 3, h = 224, w = 224;
    else {
        fprintf(stderr, "bench-ops: unknown shape '%s'\n", shape);
        return 2;
    }
    /* ResNet18 conv layers (distinct shapes with their multiplicity) */
    layer L[16];
    int nl = 0;
    L[nl++] = (layer){cin, 64, 7, 2, 3, 1, h, w};
    h = (h + 6 - 7) / 2 + 1, w = (w + 6 - 7) / 2 + 1;
    h = (h + 2 - 3) / 2 + 1, w = (w + 2 - 3) / 2 + 1; /* max pool */
    L[nl++] = (layer){64, 64, 3, 1, 1, 4, h, w};
    for (int c = 64; c < 512; c *= 2) {
        L[nl++] = (layer){c, 2 * c, 3, 2, 1, 1, h, w};
        L[nl++] = (layer){c, 2 * c, 1, 2, 0, 1, h, w};
        h = (h + 2 - 3) / 2 + 1, w = (w + 2 - 3) / 2 + 1;
        L[nl++] = (layer){2 * c, 2 * c, 3, 1, 1, 3, h, w};
    }
    asgml_backend_options opt = {threads, 1, -1, 0};
    asgml_backend *be;
    if (asgml_backend_create("cpu", &opt, &be) != ASGML_OK) {
        fprintf(stderr, "bench-ops: %s\n", asgml_last_error());
        return 1;
    }
    double tot[3] = {0, 0, 0}, flops_tot = 0;
    printf("%-28s %9s %9s %9s   GFLOP/s fwd/bwd-data/bwd-filter\n", "layer (batch, cin>cout, hw, k/s)", "fwd ms", "bdata ms", "bfilt ms");
    for (int i = 0; i < nl; i++) {
        asgml_conv2d_desc d;
        asgml_conv2d_desc_init(&d, batch, L[i].c_in, L[i].h, L[i].w, L[i].c_out, L[i].k,
                               L[i].stride, L[i].pad);
        size_t nx = (size_t)batch * d.c_in * d.h_in * d.w_in, nw = (size_t)d.c_out * d.c_in * d.k_h * d.k_w;
        size_t ny = (size_t)batch * d.c_out * d.h_out * d.w_out;
        float *x = buf(nx), *wt = buf(nw), *y = buf(ny), *dx = buf(nx), *dw = buf(nw);
        double flops = 2.0 * batch * d.c_out * d.h_out * d.w_out * (double)d.c_in * d.k_h * d.k_w;
        double t[3] = {1e30, 1e30, 1e30};
        for (int r = 0; r < reps + 1; r++) { /* first round warms up */
            double t0 = now();
            be->ops->conv2d_forward(be, &d, x, wt, y);
            double t1 = now();
            be->ops->conv2d_backward_data(be, &d, y, wt, dx);
            double t2 = now();
            be->ops->conv2d_backward_filter(be, &d, x, y, dw);
            double t3 = now();
            if (r) {
                t[0] = t1 - t0 < t[0] ? t1 - t0 : t[0];
                t[1] = t2 - t1 < t[1] ? t2 - t1 : t[1];
                t[2] = t3 - t2 < t[2] ? t3 - t2 : t[2];
            }
        }
        char name[64];
        snprintf(name, sizeof name, "%d, %d>%d, %dx%d, %d/%d x%d", batch, d.c_in, d.c_out, d.h_in,
                 d.w_in, d.k_h, d.stride_h, L[i].count);
        printf("%-28s %9.2f %9.2f %9.2f   %6.1f %6.1f %6.1f\n", name, 1e3 * t[0], 1e3 * t[1],
               1e3 * t[2], flops / t[0] * 1e-9, flops / t[1] * 1e-9, flops / t[2] * 1e-9);
        for (int k = 0; k < 3; k++) tot[k] += L[i].count * t[k];
        flops_tot += L[i].count * flops;
        free(x), free(wt), free(y), free(dx), free(dw);
    }
    printf("total per step (ms): fwd %.1f, bwd data %.1f, bwd filter %.1f, all %.1f "
           "(%.1f GFLOP/s)\n",
           1e3 * tot[0], 1e3 * tot[1], 1e3 * tot[2], 1e3 * (tot[0] + tot[1] + tot[2]),
           3 * flops_tot / (tot[0] + tot[1] + tot[2]) * 1e-9);
    asgml_backend_destroy(be);
    return 0;
}
