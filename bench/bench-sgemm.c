/* SPDX-License-Identifier: MIT */
/* bench-sgemm.c - this machine's OpenBLAS SGEMM rate, the yardstick of
 * bench/bench-train.sh: effective training rates (the model's dense FLOPs
 * per second) are printed as a share of it.
 *
 * A square row-major C = A.B of size N (default 2048) in single precision,
 * on T OpenBLAS threads (openblas_set_num_threads), best of R calls after
 * one untimed call.  Prints one line:
 *
 *     sgemm n=N threads=T gflops=X
 *
 * Usage: bench-sgemm [--n N] [--threads T] [--reps R]
 * Run it under `env -u OPENBLAS_CORETYPE` (bench.mk does): a forced core
 * type disables OpenBLAS' AVX-512 kernels. */
#include <cblas.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* OpenBLAS' thread count (absent from other BLAS builds: then the BLAS's
 * own default applies and the line says threads=0) */
extern void openblas_set_num_threads(int num_threads) __attribute__((weak));

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

int main(int argc, char **argv)
{
    int n = 2048, threads = 2, reps = 5;
    static const struct option lo[] = {{"n", 1, 0, 'n'}, {"threads", 1, 0, 't'},
                                       {"reps", 1, 0, 'r'}, {"help", 0, 0, 'h'},
                                       {0, 0, 0, 0}};
    for (int c; (c = getopt_long(argc, argv, "n:t:r:h", lo, NULL)) != -1;) {
        switch (c) {
        case 'n': n = atoi(optarg); break;
        case 't': threads = atoi(optarg); break;
        case 'r': reps = atoi(optarg); break;
        case 'h': printf("usage: bench-sgemm [--n N] [--threads T] [--reps R]\n"); return 0;
        default:
            fprintf(stderr, "Try 'bench-sgemm --help' for more information.\n");
            return 2;
        }
    }
    if (optind < argc || n < 16 || n > 16384 || threads < 1 || reps < 1) {
        fprintf(stderr, "bench-sgemm: bad arguments (16 <= N <= 16384, T >= 1, R >= 1)\n"
                        "Try 'bench-sgemm --help' for more information.\n");
        return 2;
    }
    if (openblas_set_num_threads) openblas_set_num_threads(threads);
    const size_t nn = (size_t)n * n;
    float *a = malloc(nn * sizeof *a), *b = malloc(nn * sizeof *b), *c = malloc(nn * sizeof *c);
    if (!a || !b || !c) {
        fprintf(stderr, "bench-sgemm: out of memory for N = %d\n", n);
        return 1;
    }
    for (size_t i = 0; i < nn; i++) {
        a[i] = (float)(i % 13) * 0.01f - 0.06f;
        b[i] = (float)(i % 7) * 0.02f - 0.06f;
    }
    double best = 1e30;
    for (int r = 0; r <= reps; r++) { /* r = 0 warms up */
        const double t0 = now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f,
                    c, n);
        const double dt = now() - t0;
        if (r && dt < best) best = dt;
    }
    printf("sgemm n=%d threads=%d gflops=%.1f\n", n, openblas_set_num_threads ? threads : 0,
           2.0 * n * (double)n * n / best * 1e-9);
    free(a), free(b), free(c);
    return 0;
}
