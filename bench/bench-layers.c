/* SPDX-License-Identifier: MIT */
/* bench-layers.c - per-layer conv times of the CPU backend at the model's
 * shapes, every conv algorithm side by side (interleaved in one run).
 *
 * The layers are the distinct convs of the ResNet18 encoders (width 64) of
 * bench/bench-train's model: AV-Digits audio 1x129x64 and visual 3x32x32
 * (batch 64), CREMA-D audio 1x257x188 and visual 3x224x224 (batch 16).
 * For each layer: forward, backward data and backward filter in ms (best
 * of --reps after a warm-up round) for im2col and, for 3x3 stride-1 pad-1
 * convs, Winograd F(2x2), F(4x4) and F(6x6); each algorithm runs on its
 * own backend (asgml_backend_set_conv_algo) and the rounds interleave the
 * algorithms, so a machine shared with other work slows them alike.  The
 * "auto" column is the backend's rule (asgml_cpu_winograd_auto's choice as
 * listed by asgml_backend_conv_algo_entry).  Per encoder, the conv time of
 * one training step (each layer times its count) for im2col only, each
 * Winograd variant where eligible, auto, and the best per layer.
 *
 *     bench-layers [--shape avdigits|cremad|all] [--threads T] [--reps R]
 *                  [--clock wall|cpu]
 *
 * The load average is printed first and last (the numbers mean little on
 * a loaded machine); run it under `env -u OPENBLAS_CORETYPE` (bench.mk). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "asgml/backend.h"

enum { NA = 5 }; /* im2col, F2, F4, F6, auto */
static const char *const mode[NA] = {"im2col", "winograd2", "winograd4", "winograd6", "auto"};
static const char *const label[NA] = {"im2col", "F(2x2)", "F(4x4)", "F(6x6)", "auto"};

static int use_cpu_clock;

/* wall clock, or with --clock cpu the process CPU time (all threads; on a
 * loaded machine it leaves out the time other processes hold the cores,
 * and counts OpenMP threads that spin while they wait) */
static double now(void)
{
    struct timespec ts;
    clock_gettime(use_cpu_clock ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static void loadavg(const char *when)
{
    FILE *f = fopen("/proc/loadavg", "r");
    char buf[128] = "?";
    if (f) {
        if (!fgets(buf, sizeof buf, f)) strcpy(buf, "?\n");
        fclose(f);
    }
    printf("# load average %s: %s", when, buf);
    if (!strchr(buf, '\n')) printf("\n");
}

static float *buf(size_t n)
{
    float *p = malloc(n * sizeof(float));
    if (!p) {
        fprintf(stderr, "bench-layers: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < n; i++) p[i] = (float)((i * 2654435761u) % 1000) * 1e-3f - 0.5f;
    return p;
}

typedef struct {
    int c_in, c_out, k, stride, pad, count, h, w;
} layer;

/* the distinct convs of a ResNet18 encoder (width 64) on cin x h x w */
static int resnet_layers(int cin, int h, int w, layer *L)
{
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
    return nl;
}

static void encoder(asgml_backend **be, const char *name, int cin, int h, int w, int batch,
                    int reps)
{
    layer L[16];
    const int nl = resnet_layers(cin, h, w, L);
    double tot[NA + 1] = {0}; /* per algorithm (im2col where not eligible); best */
    printf("\n%s, batch %d: ms fwd / bwd-data / bwd-filter (sum)\n", name, batch);
    printf("%-26s", "layer (cin>cout hxw k/s xN)");
    for (int a = 0; a < NA; a++) printf(" %24s", label[a]);
    printf("\n");
    for (int i = 0; i < nl; i++) {
        asgml_conv2d_desc d;
        asgml_conv2d_desc_init(&d, batch, L[i].c_in, L[i].h, L[i].w, L[i].c_out, L[i].k,
                               L[i].stride, L[i].pad);
        const int elig = d.k_h == 3 && d.stride_h == 1 && d.pad_h == 1;
        const size_t nx = (size_t)batch * d.c_in * d.h_in * d.w_in;
        const size_t nw = (size_t)d.c_out * d.c_in * d.k_h * d.k_w;
        const size_t ny = (size_t)batch * d.c_out * d.h_out * d.w_out;
        float *x = buf(nx), *wt = buf(nw), *y = buf(ny), *dx = buf(nx), *dw = buf(nw);
        double t[NA][3];
        for (int a = 0; a < NA; a++) t[a][0] = t[a][1] = t[a][2] = 1e30;
        for (int r = 0; r < reps + 1; r++) /* round 0 warms up */
            for (int a = 0; a < NA; a++) {
                if (!elig && a > 0) continue;
                double t0 = now();
                asgml_status st = be[a]->ops->conv2d_forward(be[a], &d, x, wt, y);
                double t1 = now();
                st |= be[a]->ops->conv2d_backward_data(be[a], &d, y, wt, dx);
                double t2 = now();
                st |= be[a]->ops->conv2d_backward_filter(be[a], &d, x, y, dw);
                double t3 = now();
                if (st != ASGML_OK) {
                    fprintf(stderr, "bench-layers: %s\n", asgml_last_error());
                    exit(1);
                }
                if (!r) continue;
                if (t1 - t0 < t[a][0]) t[a][0] = t1 - t0;
                if (t2 - t1 < t[a][1]) t[a][1] = t2 - t1;
                if (t3 - t2 < t[a][2]) t[a][2] = t3 - t2;
            }
        char nm[64];
        snprintf(nm, sizeof nm, "%d>%d %dx%d %d/%d x%d", d.c_in, d.c_out, d.h_in, d.w_in, d.k_h,
                 d.stride_h, L[i].count);
        printf("%-26s", nm);
        double best = 1e30;
        for (int a = 0; a < NA; a++) {
            const int src = elig ? a : 0;
            const double s = t[src][0] + t[src][1] + t[src][2];
            if (elig || a == 0) {
                char cell[64];
                snprintf(cell, sizeof cell, "%.1f/%.1f/%.1f (%.1f)", 1e3 * t[src][0],
                         1e3 * t[src][1], 1e3 * t[src][2], 1e3 * s);
                printf(" %24s", cell);
            } else {
                printf(" %24s", "-");
            }
            tot[a] += L[i].count * s;
            if (a < NA - 1 && s < best) best = s;
        }
        tot[NA] += L[i].count * best;
        if (elig) {
            const char *key, *algo = "?";
            for (int k = 0; asgml_backend_conv_algo_entry(be[NA - 1], k, &key, &algo); k++) {
                char want[64];
                snprintf(want, sizeof want, "%d>%d %dx%d k3s1p1", d.c_in, d.c_out, d.h_in, d.w_in);
                if (!strcmp(key, want)) break;
                algo = "?";
            }
            printf("  auto=%s", algo);
        }
        printf("\n");
        free(x), free(wt), free(y), free(dx), free(dw);
    }
    printf("%-26s", "step conv total (ms)");
    for (int a = 0; a < NA; a++) printf(" %24.1f", 1e3 * tot[a]);
    printf("  best per layer %.1f\n", 1e3 * tot[NA]);
}

int main(int argc, char **argv)
{
    const char *shape = "all";
    int threads = 2, reps = 3;
    static const struct option lo[] = {{"shape", 1, 0, 's'}, {"threads", 1, 0, 't'},
                                       {"reps", 1, 0, 'r'}, {"clock", 1, 0, 'c'}, {"help", 0, 0, 'h'},
                                       {0, 0, 0, 0}};
    for (int c; (c = getopt_long(argc, argv, "s:t:r:c:h", lo, NULL)) != -1;) {
        switch (c) {
        case 's': shape = optarg; break;
        case 't': threads = atoi(optarg); break;
        case 'r': reps = atoi(optarg); break;
        case 'c':
            if (strcmp(optarg, "wall") && strcmp(optarg, "cpu")) {
                fprintf(stderr, "bench-layers: --clock wall|cpu\n");
                return 2;
            }
            use_cpu_clock = !strcmp(optarg, "cpu");
            break;
        case 'h':
            printf("usage: bench-layers [--shape avdigits|cremad|all] [--threads T] [--reps R] [--clock wall|cpu]\n");
            return 0;
        default:
            fprintf(stderr, "Try 'bench-layers --help' for more information.\n");
            return 2;
        }
    }
    if (strcmp(shape, "avdigits") && strcmp(shape, "cremad") && strcmp(shape, "all")) {
        fprintf(stderr, "bench-layers: unknown shape '%s' (avdigits, cremad, all)\n", shape);
        return 2;
    }
    if (threads < 1 || reps < 1) {
        fprintf(stderr, "bench-layers: bad --threads or --reps\n");
        return 2;
    }
    asgml_backend *be[NA];
    for (int a = 0; a < NA; a++) {
        asgml_backend_options opt = {threads, 1, -1, 0};
        if (asgml_backend_create("cpu", &opt, &be[a]) != ASGML_OK ||
            asgml_backend_set_conv_algo(be[a], mode[a]) != ASGML_OK) {
            fprintf(stderr, "bench-layers: %s\n", asgml_last_error());
            return 1;
        }
    }
    printf("# bench-layers: %d thread(s), best of %d (algorithms interleaved), %s time\n",
           threads, reps, use_cpu_clock ? "process CPU" : "wall");
    loadavg("at start");
    if (strcmp(shape, "cremad")) {
        encoder(be, "avdigits audio 1x129x64", 1, 129, 64, 64, reps);
        encoder(be, "avdigits visual 3x32x32", 3, 32, 32, 64, reps);
    }
    if (strcmp(shape, "avdigits")) {
        encoder(be, "cremad audio 1x257x188", 1, 257, 188, 16, reps);
        encoder(be, "cremad visual 3x224x224", 3, 224, 224, 16, reps);
    }
    loadavg("at end");
    for (int a = 0; a < NA; a++) asgml_backend_destroy(be[a]);
    return 0;
}
