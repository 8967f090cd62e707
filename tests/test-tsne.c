/* SPDX-License-Identifier: MIT */
/* test-tsne.c - exact t-SNE and trustworthiness (asgml/tsne.h) against
 * scikit-learn 1.2 on the first 200 digits images
 * (tests/fixtures/make_tsne_fixtures.py -> tests/fixtures/report/tsne.h5):
 *   - the joint probabilities P equal sklearn's _joint_probabilities
 *     (perplexity 30 and 10) to 1e-6 of the largest entry;
 *   - KL divergence and gradient of a fixed map equal _kl_divergence to 1e-9;
 *   - trustworthiness equals sklearn's trustworthiness on sklearn's map to 1e-12;
 *   - our map keeps neighbourhoods as well as sklearn's TSNE(method="exact",
 *     init="pca"): trustworthiness(k = 10) within 0.01 of sklearn's, k-NN
 *     preservation within 0.05, final KL within 10 %, and better than the
 *     PCA initialisation alone;
 *   - the same input and configuration give the same bits with 1 or more
 *     threads; a random initialisation depends on its seed only;
 *   - bad arguments are errors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "asgml/tsne.h"
#include "h5fixture.h"
#include "tap.h"

/* mean over points of |N_k(x) & N_k(y)| / k (Euclidean, ties by index) */
static double knn_preservation(const float *x, int n, int d, const double *y, int k)
{
    double total = 0.0;
    double *dx = malloc(sizeof *dx * n), *dy = malloc(sizeof *dy * n);
    int *nx = malloc(sizeof *nx * k), *ny = malloc(sizeof *ny * k);
    for (int i = 0; i < n; i++) {
        int common = 0;
        for (int j = 0; j < n; j++) {
            double a = 0.0;
            for (int c = 0; c < d; c++)
                a += ((double)x[i * d + c] - x[j * d + c]) * ((double)x[i * d + c] - x[j * d + c]);
            dx[j] = j == i ? INFINITY : a;
            dy[j] = j == i ? INFINITY : (y[2 * i] - y[2 * j]) * (y[2 * i] - y[2 * j]) +
                                        (y[2 * i + 1] - y[2 * j + 1]) * (y[2 * i + 1] - y[2 * j + 1]);
        }
        for (int q = 0; q < k; q++) {   /* k smallest by selection */
            int bx = -1, by = -1;
            for (int j = 0; j < n; j++) {
                if (dx[j] < INFINITY && (bx < 0 || dx[j] < dx[bx]))
                    bx = j;
                if (dy[j] < INFINITY && (by < 0 || dy[j] < dy[by]))
                    by = j;
            }
            nx[q] = bx;
            ny[q] = by;
            dx[bx] = INFINITY;
            dy[by] = INFINITY;
        }
        for (int a = 0; a < k; a++)
            for (int b = 0; b < k; b++)
                common += nx[a] == ny[b];
        total += (double)common / k;
    }
    free(dx); free(dy); free(nx); free(ny);
    return total / n;
}

static double scalar(hid_t f, const char *name)
{
    double *v = h5fix_need(f, name, H5T_NATIVE_DOUBLE, NULL), r = *v;
    free(v);
    return r;
}

/* max |P - ref| / max |ref| over the pairs i < j (ref condensed) */
static double p_error(const double *P, const double *ref, int n)
{
    double num = 0.0, den = 0.0;
    size_t c = 0;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++, c++) {
            num = fmax(num, fabs(P[(size_t)i * n + j] - ref[c]));
            den = fmax(den, fabs(ref[c]));
        }
    return num / den;
}

int main(void)
{
    char path[4096];
    const char *top = getenv("top_srcdir");
    size_t nx, nl;
    hid_t f;
    float *x;
    int32_t *labels;
    int n, d;
    double *P, *ref, *y0, *g0, *ysk, *y, *y1, *g, kl, kl_ours, t;
    asgml_tsne_config c;
    int iters;

    snprintf(path, sizeof path, "%s/tests/fixtures/report/tsne.h5", top ? top : ".");
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        printf("Bail out! cannot open %s\n", path);
        return 1;
    }
    x = h5fix_need(f, "x", H5T_NATIVE_FLOAT, &nx);
    labels = h5fix_need(f, "labels", H5T_NATIVE_INT32, &nl);
    n = (int)nl;
    d = (int)(nx / nl);
    tap_plan(19);
    P = malloc(sizeof *P * n * n);
    g = malloc(sizeof *g * n * 2);
    y = malloc(sizeof *y * n * 2);
    y1 = malloc(sizeof *y1 * n * 2);

    /* 1-3: joint probabilities */
    ref = h5fix_need(f, "p30", H5T_NATIVE_DOUBLE, NULL);
    ok(asgml_tsne_joint_p(x, n, d, 30.0, P) == ASGML_OK, "joint P, perplexity 30");
    t = p_error(P, ref, n);
    ok(t < 1e-6, "P (perplexity 30) = sklearn _joint_probabilities (rel. error %.2e < 1e-6)", t);
    {
        double sum = 0.0, asym = 0.0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                sum += P[(size_t)i * n + j];
                asym = fmax(asym, fabs(P[(size_t)i * n + j] - P[(size_t)j * n + i]));
            }
        ok(fabs(sum - 1.0) < 1e-9 && asym == 0.0 && P[0] == 0.0,
           "P symmetric, zero diagonal, sums to 1 (%.15g)", sum);
    }
    free(ref);
    ref = h5fix_need(f, "p10", H5T_NATIVE_DOUBLE, NULL);
    ok(asgml_tsne_joint_p(x, n, d, 10.0, P) == ASGML_OK, "joint P, perplexity 10");
    t = p_error(P, ref, n);
    ok(t < 1e-6, "P (perplexity 10) = sklearn _joint_probabilities (rel. error %.2e < 1e-6)", t);
    free(ref);

    /* 6-7: objective */
    ref = h5fix_need(f, "p30", H5T_NATIVE_DOUBLE, NULL);
    {   /* sklearn's own P (condensed -> full), so only the objective is compared */
        size_t q = 0;
        for (int i = 0; i < n; i++) {
            P[(size_t)i * n + i] = 0.0;
            for (int j = i + 1; j < n; j++, q++)
                P[(size_t)i * n + j] = P[(size_t)j * n + i] = ref[q];
        }
    }
    y0 = h5fix_need(f, "y0", H5T_NATIVE_DOUBLE, NULL);
    g0 = h5fix_need(f, "grad0", H5T_NATIVE_DOUBLE, NULL);
    ok(asgml_tsne_kl_grad(P, y0, n, &kl, g) == ASGML_OK, "KL and gradient of a fixed map");
    {
        double ge = 0.0, gs = 0.0, kl0 = scalar(f, "kl0");
        for (int k = 0; k < 2 * n; k++) {
            ge = fmax(ge, fabs(g[k] - g0[k]));
            gs = fmax(gs, fabs(g0[k]));
        }
        ok(fabs(kl - kl0) <= 1e-9 * fabs(kl0) && ge <= 1e-9 * gs,
           "KL %.12g = sklearn %.12g, gradient rel. error %.2e (<= 1e-9)", kl, kl0, ge / gs);
    }
    free(ref);

    /* 8: trustworthiness = sklearn's on sklearn's map (jittered x: no tied
     * distances, whose order numpy's unstable argsort leaves arbitrary) */
    ysk = h5fix_need(f, "y_sklearn", H5T_NATIVE_DOUBLE, NULL);
    {
        double ts = scalar(f, "trust_jit");
        float *xj = h5fix_need(f, "x_jit", H5T_NATIVE_FLOAT, NULL);
        asgml_status st = asgml_trustworthiness(xj, n, d, ysk, 2, 10, &t);
        free(xj);
        ok(st == ASGML_OK && fabs(t - ts) < 1e-12,
           "trustworthiness(k = 10) of sklearn's map %.12f = sklearn's %.12f", t, ts);
    }

    /* 9-13: our map against sklearn's */
    asgml_tsne_defaults(&c);
    iters = -1;
    {
        asgml_status st = asgml_tsne_run(x, n, d, &c, y, &kl_ours, &iters);
        ok(st == ASGML_OK, "t-SNE, PCA init (%d iterations)", iters + 1);
    }
    {
        double ts = scalar(f, "trust_sklearn"), ks = scalar(f, "knn_sklearn");
        double kls = scalar(f, "kl_sklearn"), tp = scalar(f, "trust_pca"), kn;
        asgml_trustworthiness(x, n, d, y, 2, 10, &t);
        ok(t >= ts - 0.01, "trustworthiness(10) %.4f >= sklearn's %.4f - 0.01", t, ts);
        kn = knn_preservation(x, n, d, y, 10);
        ok(kn >= ks - 0.05, "10-NN preservation %.4f >= sklearn's %.4f - 0.05", kn, ks);
        ok(kl_ours <= 1.10 * kls, "final KL %.4f <= 1.1 x sklearn's %.4f", kl_ours, kls);
        ok(t > tp + 0.05, "the map (%.4f) beats its PCA initialisation (%.4f) by > 0.05", t, tp);
        /* the classes stay apart: 10-NN label agreement in the map */
        {
            int agree = 0;
            for (int i = 0; i < n; i++) {
                int best = -1;
                double bd = INFINITY;
                for (int j = 0; j < n; j++) {
                    double dd = (y[2 * i] - y[2 * j]) * (y[2 * i] - y[2 * j]) +
                                (y[2 * i + 1] - y[2 * j + 1]) * (y[2 * i + 1] - y[2 * j + 1]);
                    if (j != i && dd < bd) {
                        bd = dd;
                        best = j;
                    }
                }
                agree += labels[best] == labels[i];
            }
            ok(agree >= 0.9 * n, "1-NN class agreement in the map %d / %d >= 90 %%", agree, n);
        }
    }

    /* 15-17: determinism */
#ifdef _OPENMP
    omp_set_num_threads(1);
#endif
    asgml_tsne_run(x, n, d, &c, y1, NULL, NULL);
#ifdef _OPENMP
    omp_set_num_threads(3);
#endif
    ok(memcmp(y, y1, sizeof *y * 2 * n) == 0, "same bits with 1 and 3 threads");
    c.init = ASGML_TSNE_INIT_RANDOM;
    c.seed = 5;
    asgml_tsne_run(x, n, d, &c, y, NULL, NULL);
    asgml_tsne_run(x, n, d, &c, y1, NULL, NULL);
    ok(memcmp(y, y1, sizeof *y * 2 * n) == 0, "random init: same seed, same bits");
    asgml_trustworthiness(x, n, d, y, 2, 10, &t);
    c.seed = 6;
    asgml_tsne_run(x, n, d, &c, y1, NULL, NULL);
    ok(memcmp(y, y1, sizeof *y * 2 * n) != 0 && t >= scalar(f, "trust_sklearn") - 0.02,
       "random init: another seed, another map; trustworthiness %.4f", t);

    /* 18-19: errors */
    asgml_tsne_defaults(&c);
    c.perplexity = n - 1;
    ok(asgml_tsne_run(x, n, d, &c, y, NULL, NULL) == ASGML_EINVAL &&
       asgml_trustworthiness(x, n, d, ysk, 2, n / 2, &t) == ASGML_EINVAL,
       "perplexity >= n - 1 and k >= n / 2 are EINVAL");
    asgml_tsne_defaults(&c);
    x[7] = NAN;
    ok(asgml_tsne_run(x, n, d, &c, y, NULL, NULL) == ASGML_ENUMERIC,
       "a non-finite feature is ASGML_ENUMERIC");

    free(x); free(labels); free(P); free(g); free(y); free(y1); free(y0); free(g0); free(ysk);
    H5Fclose(f);
    return tap_done();
}
