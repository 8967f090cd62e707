/* SPDX-License-Identifier: MIT */
/* test-miles-torch.c - MILES (asgml-methods(7), MILES) against PyTorch /
 * the official rule (tests/fixtures/make_miles_fixtures.py ->
 * tests/fixtures/methods/miles.h5):
 *   1. asgml_miles_decide on cases covering every branch of Alg. 1 (delta
 *      <= tau incl. the exact tie and M = 0, all u < 0, u_1 > 0 > u_2,
 *      u_1 < 0 < u_2, the larger u incl. u exactly 0, mu = 1, tau = 0,
 *      three modalities with a tie at the maximum): u, delta, multipliers,
 *      branch and the reduced modality;
 *   2. five SGD steps (momentum 0.9, weight decay 1e-4, PyTorch semantics)
 *      of a reduced two-modality model with separate heads,
 *      f_m = tanh(x_m W_m^T), z = [f_1, f_2] H^T + b, u_m = f_m G_m^T + c_m,
 *      L = CE(z) + CE(u_1) + CE(u_2), where the encoder lrs of step s + 1 are
 *      alpha_{s+1} * the multipliers decided from the accuracies after step
 *      s, and fusion + heads stay at alpha: the parameters after every step
 *      at fp32 tolerance. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "h5fixture.h"
#include "methods/method_miles.h"
#include "tap.h"

static hid_t file = -1;

static void *rd(const char *name, hid_t type, size_t *n)
{
    void *buf = h5fix_read(file, NULL, name, type, n);
    if (!buf) {
        printf("Bail out! %s missing from the fixture\n", name);
        exit(1);
    }
    return h5fix_keep(buf);   /* freed by h5fix_release */
}
#define RDF(name) ((float *)rd(name, H5T_NATIVE_FLOAT, NULL))
#define RDD(name, n) ((double *)rd(name, H5T_NATIVE_DOUBLE, n))

static double attr(const char *name)
{
    double v = 0;
    hid_t a = H5Aopen(file, name, H5P_DEFAULT);
    if (a < 0 || H5Aread(a, H5T_NATIVE_DOUBLE, &v) < 0) {
        printf("Bail out! attribute %s\n", name);
        exit(1);
    }
    H5Aclose(a);
    return v;
}

enum { B = 8, I1 = 6, I2 = 5, D = 4, C = 3, S = 5, NP = 8 };
#define TOL 1e-5

/* torch.optim.SGD(momentum 0.9, weight_decay 1e-4, dampening 0) on one tensor */
static void sgd(float *w, const float *g, float *v, int n, double lr, int first)
{
    for (int i = 0; i < n; i++) {
        float gi = g[i] + 1e-4f * w[i];
        v[i] = first ? gi : 0.9f * v[i] + gi;
        w[i] -= (float)lr * v[i];
    }
}

/* softmax(row) - onehot(y), / B, into d (C) */
static void ce_grad(const float *row, int y, float *d)
{
    double mx = row[0], zs = 0;
    for (int c = 1; c < C; c++)
        mx = row[c] > mx ? row[c] : mx;
    for (int c = 0; c < C; c++)
        zs += exp(row[c] - mx);
    for (int c = 0; c < C; c++)
        d[c] = (float)((exp(row[c] - mx) / zs - (c == y)) / B);
}

int main(void)
{
    const char *top = getenv("top_srcdir");
    char path[1024];
    size_t K;

    tap_plan(9);
    snprintf(path, sizeof path, "%s/tests/fixtures/methods/miles.h5", top ? top : ".");
    file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) {
        printf("Bail out! cannot open %s\n", path);
        return 1;
    }

    /* ---- 1. the decision rule ---- */
    int32_t *cn = rd("case_n", H5T_NATIVE_INT32, &K);
    double *ctau = RDD("case_tau", NULL), *cmu = RDD("case_mu", NULL), *cM = RDD("case_M", NULL);
    double *cacc = RDD("case_acc", NULL), *ru = RDD("u", NULL), *rdelta = RDD("delta", NULL);
    double *rmult = RDD("mult", NULL);
    int32_t *rbranch = rd("branch", H5T_NATIVE_INT32, NULL);
    int32_t *rred = rd("reduced", H5T_NATIVE_INT32, NULL);
    int seen[5] = { 0 }, br_ok = 1, red_ok = 1, mult_ok = 1;
    double eu = 0;
    for (size_t k = 0; k < K; k++) {
        double u[3], delta, mult[3];
        asgml_miles_branch br;
        int n = cn[k];
        int red = asgml_miles_decide(n, cM[k], cacc + 3 * k, ctau[k], cmu[k], u, &delta, mult,
                                     &br);
        for (int m = 0; m < n; m++) {
            double e = fabs(u[m] - ru[3 * k + m]);
            eu = e > eu ? e : eu;
            if (mult[m] != rmult[3 * k + m])
                mult_ok = 0;
        }
        eu = fabs(delta - rdelta[k]) > eu ? fabs(delta - rdelta[k]) : eu;
        if ((int)br != rbranch[k]) {
            br_ok = 0;
            tap_diag("case %zu: branch %d, expected %d", k, (int)br, rbranch[k]);
        }
        if (red != rred[k]) {
            red_ok = 0;
            tap_diag("case %zu: reduced %d, expected %d", k, red, rred[k]);
        }
        if ((int)br >= 0 && (int)br < 5)
            seen[br]++;
    }
    ok(K >= 15 && seen[0] && seen[1] && seen[2] && seen[3] && seen[4],
       "%zu cases reach every branch (%d %d %d %d %d)", K, seen[0], seen[1], seen[2], seen[3],
       seen[4]);
    ok(br_ok, "branch of Alg. 1 as the official rule in every case");
    ok(red_ok, "reduced modality as the official rule (first argmax on ties)");
    ok(mult_ok, "lr multipliers equal (mu or 1) in every case");
    ok(eu < 1e-12, "u_m and delta (abs %.2g)", eu);

    /* ---- 2. steps with the resulting per-group lrs ---- */
    double tau = attr("tau"), mu = attr("mu");
    double *alpha = RDD("alpha", NULL), *sM = RDD("seq_M", NULL), *sacc = RDD("seq_acc", NULL);
    double *smult = RDD("seq_mult", NULL);
    static const char *const names[NP] = { "W1", "W2", "H", "b", "G1", "c1", "G2", "c2" };
    static const int sizes[NP] = { D * I1, D * I2, C * 2 * D, C, C * D, C, C * D, C };
    float *p[NP], *ref[NP], *g[NP], *v[NP];
    char nm[16];
    for (int i = 0; i < NP; i++) {
        p[i] = RDF(names[i]);
        snprintf(nm, sizeof nm, "%s_s", names[i]);
        ref[i] = RDF(nm);
        g[i] = calloc((size_t)sizes[i], sizeof(float));
        v[i] = calloc((size_t)sizes[i], sizeof(float));
    }
    float *x[2] = { RDF("x1"), RDF("x2") };
    int32_t *y = rd("y", H5T_NATIVE_INT32, NULL);
    int in[2] = { I1, I2 };
    double mult[2] = { 1.0, 1.0 }, eenc = 0, efus = 0;
    int seq_ok = 1, reduced_seen[2] = { 0, 0 };
    for (int s = 0; s < S; s++) {
        float *W[2] = { p[0], p[1] }, *Hm = p[2], *bv = p[3], *G[2] = { p[4], p[6] };
        float *cb[2] = { p[5], p[7] };
        float *gW[2] = { g[0], g[1] }, *gH = g[2], *gb = g[3], *gG[2] = { g[4], g[6] };
        float *gc[2] = { g[5], g[7] };
        float a[2][B * D], f[2][B * D], df[2][B * D], row[C], dz[C], du[C];
        for (int m = 0; m < 2; m++) {
            if (mult[m] != smult[2 * s + m])
                seq_ok = 0;
            reduced_seen[m] |= mult[m] != 1.0;
        }
        for (int i = 0; i < NP; i++)
            memset(g[i], 0, (size_t)sizes[i] * sizeof(float));
        memset(df, 0, sizeof df);
        for (int m = 0; m < 2; m++)
            for (int i = 0; i < B; i++)
                for (int j = 0; j < D; j++) {
                    double acc = 0;
                    for (int k = 0; k < in[m]; k++)
                        acc += (double)x[m][((size_t)s * B + i) * in[m] + k] * W[m][j * in[m] + k];
                    a[m][i * D + j] = (float)acc;
                    f[m][i * D + j] = tanhf((float)acc);
                }
        for (int i = 0; i < B; i++) {
            int yi = y[s * B + i];
            /* fused head */
            for (int c = 0; c < C; c++) {
                double acc = bv[c];
                for (int m = 0; m < 2; m++)
                    for (int j = 0; j < D; j++)
                        acc += (double)f[m][i * D + j] * Hm[c * 2 * D + m * D + j];
                row[c] = (float)acc;
            }
            ce_grad(row, yi, dz);
            for (int c = 0; c < C; c++) {
                gb[c] += dz[c];
                for (int m = 0; m < 2; m++)
                    for (int j = 0; j < D; j++) {
                        gH[c * 2 * D + m * D + j] += dz[c] * f[m][i * D + j];
                        df[m][i * D + j] += dz[c] * Hm[c * 2 * D + m * D + j];
                    }
            }
            /* unimodal heads */
            for (int m = 0; m < 2; m++) {
                for (int c = 0; c < C; c++) {
                    double acc = cb[m][c];
                    for (int j = 0; j < D; j++)
                        acc += (double)f[m][i * D + j] * G[m][c * D + j];
                    row[c] = (float)acc;
                }
                ce_grad(row, yi, du);
                for (int c = 0; c < C; c++) {
                    gc[m][c] += du[c];
                    for (int j = 0; j < D; j++) {
                        gG[m][c * D + j] += du[c] * f[m][i * D + j];
                        df[m][i * D + j] += du[c] * G[m][c * D + j];
                    }
                }
            }
        }
        for (int m = 0; m < 2; m++)
            for (int j = 0; j < D; j++)
                for (int k = 0; k < in[m]; k++) {
                    double acc = 0;
                    for (int i = 0; i < B; i++) {
                        double t = tanh(a[m][i * D + j]);
                        acc += (double)df[m][i * D + j] * (1 - t * t) *
                               x[m][((size_t)s * B + i) * in[m] + k];
                    }
                    gW[m][j * in[m] + k] = (float)acc;
                }
        /* per-group lrs: encoder m at alpha_s mult_m, fusion + heads at alpha_s */
        for (int i = 0; i < NP; i++)
            sgd(p[i], g[i], v[i], sizes[i], alpha[s] * (i < 2 ? mult[i] : 1.0), s == 0);
        for (int i = 0; i < NP; i++) {
            double e = h5fix_rel_err(p[i], ref[i] + (size_t)s * sizes[i], (size_t)sizes[i]);
            if (i < 2)
                eenc = e > eenc ? e : eenc;
            else
                efus = e > efus ? e : efus;
        }
        /* H5 epoch_end: the decision for the next step */
        double u[2], delta;
        asgml_miles_branch br;
        asgml_miles_decide(2, sM[s], sacc + 2 * s, tau, mu, u, &delta, mult, &br);
    }
    ok(seq_ok, "multipliers in force at each of %d steps as PyTorch's", S);
    ok(reduced_seen[0] && reduced_seen[1], "the sequence reduces each encoder at least once");
    ok(eenc < TOL, "encoder parameters after each step (rel %.2g)", eenc);
    ok(efus < TOL, "fusion and head parameters after each step (rel %.2g)", efus);
    tap_diag("worst relative error %.3g", eenc > efus ? eenc : efus);
    H5Fclose(file);
    for (int i = 0; i < NP; i++) {
        free(g[i]);
        free(v[i]);
    }
    h5fix_release();
    return tap_done();
}
