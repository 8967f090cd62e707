/* SPDX-License-Identifier: MIT */
/* test-pmr-torch.c - PMR (asgml-methods(7), PMR) against PyTorch: the
 * prototype update (class means, EMA, an absent class keeps its prototype)
 * and three SGD steps of a reduced two-modality model with the PMR loss
 * (q_m, rho, beta_m, PCE_m and the parameters after every step) compared with
 * tests/fixtures/methods/pmr.h5 (tests/fixtures/make_pmr_fixtures.py).  The
 * reduced model (f_m = tanh(x_m W_m^T), z = [f_1, f_2] H^T + b) is written
 * out here; its PMR gradient dL/df_m comes from asgml_pmr_signals, the
 * function the method feeds into asgml_step_feature_grad. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "h5fixture.h"
#include "methods/method_pmr.h"
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
#define RDF(name, n) ((float *)rd(name, H5T_NATIVE_FLOAT, n))
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

static double rel_err_d(const double *a, const double *b, size_t n)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs(a[i] - b[i]);
        num = d > num ? d : num;
        den = fabs(b[i]) > den ? fabs(b[i]) : den;
    }
    return num / (den > 1e-12 ? den : 1e-12);
}

enum { B = 8, I1 = 6, I2 = 5, D = 4, C = 3, S = 3, NS = 9 };
#define TOL 1e-5

int main(void)
{
    const char *top = getenv("top_srcdir");
    char path[1024];
    size_t n;
    double worst = 0;

    tap_plan(11);
    snprintf(path, sizeof path, "%s/tests/fixtures/methods/pmr.h5", top ? top : ".");
    file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) {
        printf("Bail out! cannot open %s\n", path);
        return 1;
    }
    double alpha = attr("alpha"), mu = attr("mu"), lr = attr("lr");
    float *W[2] = { RDF("W1", &n), RDF("W2", &n) }, *Hm = RDF("H", &n), *bv = RDF("b", &n);
    float *x[2] = { RDF("x1", &n), RDF("x2", &n) };
    int32_t *y = rd("y", H5T_NATIVE_INT32, &n), *sub_y = rd("sub_y", H5T_NATIVE_INT32, &n);
    float *sub_f[2] = { RDF("sub_f1", &n), RDF("sub_f2", &n) };
    float *ref_proto[2] = { RDF("proto1", &n), RDF("proto2", &n) };
    double *ref_q = RDD("q", &n), *ref_rho = RDD("rho", &n), *ref_beta = RDD("beta", &n);
    double *ref_pce = RDD("pce", &n);
    float *ref_W[2] = { RDF("W1_s", &n), RDF("W2_s", &n) }, *ref_H = RDF("H_s", &n);
    float *ref_b = RDF("b_s", &n);
    int in[2] = { I1, I2 };

    /* ---- prototypes: two updates, the second without class C-1 ---- */
    float proto[2][C * D];
    float kept[D];
    int absent_ok = 1;
    memset(proto, 0, sizeof proto);
    for (int m = 0; m < 2; m++)
        for (int u = 0; u < 2; u++) {
            double sum[C * D] = { 0 };
            int64_t count[C] = { 0 };
            for (int i = 0; i < NS; i++) {
                int k = sub_y[u * NS + i];
                count[k]++;
                for (int j = 0; j < D; j++)
                    sum[k * D + j] += sub_f[m][((size_t)u * NS + i) * D + j];
            }
            if (u == 1) {
                memcpy(kept, proto[m] + (C - 1) * D, sizeof kept);
                if (count[C - 1] != 0)
                    absent_ok = 0;
            }
            asgml_pmr_update_prototypes(C, D, sum, count, mu, u == 0, proto[m]);
            if (u == 1 && memcmp(kept, proto[m] + (C - 1) * D, sizeof kept) != 0)
                absent_ok = 0;
        }
    ok(absent_ok, "a class absent from the prototype subset keeps its prototype exactly");
    double e1 = h5fix_rel_err(proto[0], ref_proto[0], C * D), e2 = h5fix_rel_err(proto[1], ref_proto[1], C * D);
    ok(e1 < TOL && e2 < TOL, "prototypes (class means + EMA) match PyTorch (rel %.2g, %.2g)",
           e1, e2);

    /* ---- three SGD steps of the reduced model with the PMR loss ---- */
    int beta_ok = 1;
    double eq = 0, erho = 0, epce = 0, ew = 0, eh = 0;
    for (int s = 0; s < S; s++) {
        const int32_t *ys = y + s * B;
        float f[2][B * D], a[2][B * D], df[2][B * D], z[B * C], dz[B * C];
        double q[2], pce[2], ent, beta[2], ub[2], rho;
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
            double mx = -INFINITY, zs = 0;
            for (int c = 0; c < C; c++) {
                double acc = bv[c];
                for (int m = 0; m < 2; m++)
                    for (int j = 0; j < D; j++)
                        acc += (double)f[m][i * D + j] * Hm[c * 2 * D + m * D + j];
                z[i * C + c] = (float)acc;
                mx = acc > mx ? acc : mx;
            }
            for (int c = 0; c < C; c++)
                zs += exp(z[i * C + c] - mx);
            for (int c = 0; c < C; c++)
                dz[i * C + c] = (float)((exp(z[i * C + c] - mx) / zs - (c == ys[i])) / B);
        }
        for (int m = 0; m < 2; m++)
            asgml_pmr_signals(B, C, D, f[m], proto[m], ys, 0, 0, &q[m], &pce[m], &ent, NULL);
        rho = q[0] / q[1];
        asgml_pmr_coefficients(0, alpha, rho, beta, ub);
        for (int m = 0; m < 2; m++) {
            memset(df[m], 0, sizeof df[m]);
            asgml_pmr_signals(B, C, D, f[m], proto[m], ys, beta[m], 0, &q[m], &pce[m], &ent,
                              df[m]);
            beta_ok &= beta[m] == ref_beta[s * 2 + m];
        }
        { double t = rel_err_d(q, ref_q + s * 2, 2); eq = t > eq ? t : eq; }
        { double t = fabs(rho - ref_rho[s]) / fabs(ref_rho[s]); erho = t > erho ? t : erho; }
        { double t = rel_err_d(pce, ref_pce + s * 2, 2); epce = t > epce ? t : epce; }
        /* backward: head, then dL/df_m (fusion part + PMR part) through tanh into W_m */
        float gH[C * 2 * D], gb[C], gW[2][D * I1];
        for (int c = 0; c < C; c++) {
            double sb = 0;
            for (int i = 0; i < B; i++)
                sb += dz[i * C + c];
            gb[c] = (float)sb;
            for (int m = 0; m < 2; m++)
                for (int j = 0; j < D; j++) {
                    double acc = 0;
                    for (int i = 0; i < B; i++)
                        acc += (double)dz[i * C + c] * f[m][i * D + j];
                    gH[c * 2 * D + m * D + j] = (float)acc;
                }
        }
        for (int m = 0; m < 2; m++) {
            for (int i = 0; i < B; i++)
                for (int j = 0; j < D; j++) {
                    double acc = 0;
                    for (int c = 0; c < C; c++)
                        acc += (double)dz[i * C + c] * Hm[c * 2 * D + m * D + j];
                    double t = tanh(a[m][i * D + j]);
                    df[m][i * D + j] = (float)((acc + df[m][i * D + j]) * (1 - t * t));
                }
            for (int j = 0; j < D; j++)
                for (int k = 0; k < in[m]; k++) {
                    double acc = 0;
                    for (int i = 0; i < B; i++)
                        acc += (double)df[m][i * D + j] * x[m][((size_t)s * B + i) * in[m] + k];
                    gW[m][j * in[m] + k] = (float)acc;
                }
        }
        for (int m = 0; m < 2; m++)
            for (int k = 0; k < D * in[m]; k++)
                W[m][k] -= (float)lr * gW[m][k];
        for (int k = 0; k < C * 2 * D; k++)
            Hm[k] -= (float)lr * gH[k];
        for (int c = 0; c < C; c++)
            bv[c] -= (float)lr * gb[c];
        for (int m = 0; m < 2; m++) {
            double t = h5fix_rel_err(W[m], ref_W[m] + (size_t)s * D * in[m], (size_t)D * in[m]);
            ew = t > ew ? t : ew;
        }
        { double t = h5fix_rel_err(Hm, ref_H + (size_t)s * C * 2 * D, C * 2 * D); eh = t > eh ? t : eh; }
        { double t = h5fix_rel_err(bv, ref_b + (size_t)s * C, C); eh = t > eh ? t : eh; }
    }
    ok(beta_ok, "beta_m of the code variant equal PyTorch's in all %d steps", S);
    ok(eq < TOL, "q_m (rel %.2g)", eq);
    ok(erho < TOL, "rho (rel %.2g)", erho);
    ok(epce < TOL, "PCE_m (rel %.2g)", epce);
    ok(ew < TOL, "encoder parameters after each step (rel %.2g)", ew);
    ok(eh < TOL, "fusion head after each step, untouched by PCE (rel %.2g)", eh);
    worst = eq > erho ? eq : erho;
    worst = epce > worst ? epce : worst;
    worst = ew > worst ? ew : worst;
    worst = eh > worst ? eh : worst;
    tap_diag("worst relative error %.3g", worst);

    /* ---- coefficients: code ties, paper clip ---- */
    double beta[2], ub[2];
    asgml_pmr_coefficients(0, 2.0, 1.0, beta, ub);
    ok(beta[0] == 0 && beta[1] == 0, "code: rho = 1 gives beta = (0, 0)");
    asgml_pmr_coefficients(1, 2.0, 1.5, beta, ub);
    ok(beta[0] == 0 && fabs(beta[1] - 1.0) < 1e-15, "paper: rho 1.5 gives (0, alpha 0.5)");
    asgml_pmr_coefficients(1, 2.0, 0.25, beta, ub);
    ok(beta[0] == 2.0 && beta[1] == 0 && ub[0] == 1.0, "paper: 1/rho - 1 = 3 is clipped to 1");
    H5Fclose(file);
    h5fix_release();
    return tap_done();
}
