/* SPDX-License-Identifier: MIT */
/* test-mla-torch.c - MLA (asgml-methods(7), MLA) against PyTorch
 * (tests/fixtures/methods/mla.h5, tests/fixtures/make_mla_fixtures.py):
 * three batches of two alternating unimodal sub-steps of a reduced model
 * (f_m = tanh(x_m W_m^T), shared head u_m = f_m G^T + g) with the
 * projection of the head-weight gradient (asgml_mla_project, alpha_t from
 * asgml_mla_alpha) in both denominators (paper, released code): each
 * sub-step's CE, parameters, ||P||_F and P are compared; then the fusion
 * weights and fused logits of every mla.fusion rule from given logits
 * (asgml_fusion_lambda, the function the model's fusion-none forward uses)
 * for two and three modalities. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "asgml/model.h"
#include "h5fixture.h"
#include "methods/method_mla.h"
#include "tap.h"

static hid_t file = -1;

static void *rd(const char *name, hid_t type, size_t *n)
{
    void *buf = h5fix_read(file, NULL, name, type, n);
    if (!buf) {
        printf("Bail out! %s missing from the fixture\n", name);
        exit(1);
    }
    return buf;
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

/* max |a - b| / max(max |b|, 1e-12), a and b float or double */
#define REL_ERR(name, T1, T2)                                                   \
    static double name(const T1 *a, const T2 *b, size_t n)                     \
    {                                                                          \
        double num = 0, den = 0;                                               \
        for (size_t i = 0; i < n; i++) {                                       \
            double d = fabs((double)a[i] - (double)b[i]);                      \
            num = d > num ? d : num;                                           \
            den = fabs((double)b[i]) > den ? fabs((double)b[i]) : den;         \
        }                                                                      \
        return num / (den > 1e-12 ? den : 1e-12);                              \
    }
REL_ERR(rel_f, float, float)
REL_ERR(rel_d, double, double)

enum { B = 8, I1 = 6, I2 = 5, D = 4, C = 3, S = 3, N = 2 };
#define TOL 1e-5

static double worst;
static void keep(double *acc, double e)
{
    *acc = e > *acc ? e : *acc;
    worst = e > worst ? e : worst;
}

/* the sub-step sequence of one denominator variant (suffix "" or "_code") */
static void substeps(const char *suf, int outer)
{
    char k1[32], k2[32], k3[32], k4[32], k5[32], k6[32], k7[32];
    size_t n;
    double lr = attr("lr");
    int NB = (int)attr("NB");
    float *W[2] = { RDF("W1", &n), RDF("W2", &n) }, *G = RDF("G", &n), *g = RDF("g", &n);
    float *x[2] = { RDF("x1", &n), RDF("x2", &n) };
    int32_t *y = rd("y", H5T_NATIVE_INT32, &n);
    int in[2] = { I1, I2 };
    snprintf(k1, sizeof k1, "W1_s%s", suf);
    snprintf(k2, sizeof k2, "W2_s%s", suf);
    snprintf(k3, sizeof k3, "G_s%s", suf);
    snprintf(k4, sizeof k4, "g_s%s", suf);
    snprintf(k5, sizeof k5, "P_s%s", suf);
    snprintf(k6, sizeof k6, "pnorm_s%s", suf);
    snprintf(k7, sizeof k7, "ce_s%s", suf);
    float *rW[2] = { RDF(k1, &n), RDF(k2, &n) }, *rG = RDF(k3, &n), *rg = RDF(k4, &n);
    double *rP = RDD(k5, &n), *rpn = RDD(k6, &n), *rce = RDD(k7, &n);
    double P[D * D] = { 0 }, ece = 0, ew = 0, eh = 0, ep = 0, epn = 0;
    int first_ok = 1;

    for (int i = 0; i < D; i++)
        P[i * D + i] = 1.0;
    for (int s = 0; s < S; s++) {
        const int32_t *ys = y + s * B;
        float f[2][B * D];
        /* one forward of both encoders per batch (encoder m changes only in sub-step m) */
        for (int m = 0; m < N; m++)
            for (int i = 0; i < B; i++)
                for (int j = 0; j < D; j++) {
                    double acc = 0;
                    for (int k = 0; k < in[m]; k++)
                        acc += (double)x[m][((size_t)s * B + i) * in[m] + k] * W[m][j * in[m] + k];
                    f[m][i * D + j] = tanhf((float)acc);
                }
        for (int m = 0; m < N; m++) {
            int t = s * N + m;
            float du[B * C], gG[C * D], gg[C], gW[D * I1];
            double ce = 0, pnorm = 0;
            for (int i = 0; i < B; i++) {           /* u = f G^T + g, CE, dL/du */
                double u[C], mx = -INFINITY, zs = 0;
                for (int c = 0; c < C; c++) {
                    double acc = g[c];
                    for (int j = 0; j < D; j++)
                        acc += (double)f[m][i * D + j] * G[c * D + j];
                    u[c] = (float)acc;
                    mx = u[c] > mx ? u[c] : mx;
                }
                for (int c = 0; c < C; c++)
                    zs += exp(u[c] - mx);
                ce += -(u[ys[i]] - mx - log(zs)) / B;
                for (int c = 0; c < C; c++)
                    du[i * C + c] = (float)((exp(u[c] - mx) / zs - (c == ys[i])) / B);
            }
            for (int c = 0; c < C; c++) {
                double sb = 0;
                for (int i = 0; i < B; i++)
                    sb += du[i * C + c];
                gg[c] = (float)sb;
                for (int j = 0; j < D; j++) {
                    double acc = 0;
                    for (int i = 0; i < B; i++)
                        acc += (double)du[i * C + c] * f[m][i * D + j];
                    gG[c * D + j] = (float)acc;
                }
            }
            for (int j = 0; j < D; j++)
                for (int k = 0; k < in[m]; k++) {
                    double acc = 0;
                    for (int i = 0; i < B; i++) {
                        double df = 0;
                        for (int c = 0; c < C; c++)
                            df += (double)du[i * C + c] * G[c * D + j];
                        acc += df * (1.0 - (double)f[m][i * D + j] * f[m][i * D + j]) *
                               x[m][((size_t)s * B + i) * in[m] + k];
                    }
                    gW[j * in[m] + k] = (float)acc;
                }
            if (t > 0)   /* not the very first sub-step of the run */
                asgml_mla_project(B, D, C, f[m], asgml_mla_alpha(s, NB), outer, P, gG, &pnorm);
            for (int k = 0; k < D * in[m]; k++)
                W[m][k] -= (float)lr * gW[k];
            for (int k = 0; k < C * D; k++)
                G[k] -= (float)lr * gG[k];
            for (int c = 0; c < C; c++)
                g[c] -= (float)lr * gg[c];
            keep(&ece, fabs(ce - rce[t]) / fabs(rce[t]));
            for (int mm = 0; mm < N; mm++)
                keep(&ew, rel_f(W[mm], rW[mm] + (size_t)t * D * in[mm], (size_t)D * in[mm]));
            keep(&eh, rel_f(G, rG + (size_t)t * C * D, C * D));
            keep(&eh, rel_f(g, rg + (size_t)t * C, C));
            keep(&ep, rel_d(P, rP + (size_t)t * D * D, D * D));
            for (int i = 0; i < D * D && t == 0; i++)   /* P is still exactly I */
                first_ok &= P[i] == (i % (D + 1) == 0 ? 1.0 : 0.0) && rP[i] == P[i];
            if (t > 0)
                keep(&epn, fabs(pnorm - rpn[t]) / fabs(rpn[t]));
        }
    }
    ok(first_ok, "%s: the first sub-step of the run is not projected (P stays I)",
       outer ? "code" : "paper");
    ok(ece < TOL, "%s: CE(u_m) of every sub-step (rel %.2g)", outer ? "code" : "paper", ece);
    ok(ew < TOL, "%s: encoders after every sub-step, only the sub-step's one moves (rel %.2g)",
       outer ? "code" : "paper", ew);
    ok(eh < TOL, "%s: shared head (projected weight gradient, plain bias) after every "
       "sub-step (rel %.2g)", outer ? "code" : "paper", eh);
    ok(ep < TOL, "%s: projection matrix P after every sub-step (rel %.2g)",
       outer ? "code" : "paper", ep);
    ok(epn < TOL, "%s: ||P||_F before normalisation (rel %.2g)", outer ? "code" : "paper", epn);
    free(W[0]); free(W[1]); free(G); free(g); free(x[0]); free(x[1]); free(y);
    free(rW[0]); free(rW[1]); free(rG); free(rg); free(rP); free(rpn); free(rce);
}

static void fusion_rules(int nm)
{
    static const char *const names[] = { "dynamic", "ref", "fixed" };
    static const asgml_fuse_weights rules[] = { ASGML_FUSE_ENTROPY, ASGML_FUSE_ENTROPY_BATCH,
                                                ASGML_FUSE_MEAN };
    const float fixed2[] = { 0.55f, 0.45f }, fixed3[] = { 0.35f, 0.25f, 0.4f };
    char key[32];
    size_t n;
    snprintf(key, sizeof key, "u%d", nm);
    float *u = RDF(key, &n);
    for (int r = 0; r < 3; r++) {
        double lam[B * 3];
        float z[B * C];
        snprintf(key, sizeof key, "lam_%s_%d", names[r], nm);
        double *rl = RDD(key, &n);
        snprintf(key, sizeof key, "z_%s_%d", names[r], nm);
        float *rz = RDF(key, &n);
        asgml_fusion_lambda(rules[r], nm, B, C, u, nm == 2 ? fixed2 : fixed3, lam);
        for (int i = 0; i < B; i++)
            for (int c = 0; c < C; c++) {
                double acc = 0;
                for (int m = 0; m < nm; m++)
                    acc += lam[i * nm + m] * u[((size_t)m * B + i) * C + c];
                z[i * C + c] = (float)acc;
            }
        double el = rel_d(lam, rl, (size_t)B * nm), ez = rel_f(z, rz, (size_t)B * C);
        worst = el > worst ? el : worst;
        worst = ez > worst ? ez : worst;
        ok(el < TOL && ez < TOL, "mla.fusion %s, %d modalities: lambda (rel %.2g) and z "
           "(rel %.2g) match PyTorch", names[r], nm, el, ez);
        free(rl);
        free(rz);
    }
    free(u);
}

int main(void)
{
    const char *top = getenv("top_srcdir");
    char path[1024];

    tap_plan(21);
    snprintf(path, sizeof path, "%s/tests/fixtures/methods/mla.h5", top ? top : ".");
    file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) {
        printf("Bail out! cannot open %s\n", path);
        return 1;
    }
    substeps("", 0);
    substeps("_code", 1);
    fusion_rules(2);
    fusion_rules(3);
    tap_diag("worst relative error %.3g", worst);

    ok(fabs(asgml_mla_alpha(0, 10) - 0.1) < 1e-15 &&
       fabs(asgml_mla_alpha(5, 10) - pow(0.1, 1.5)) < 1e-15,
       "alpha_t = 0.1^(1 + b/n_b)");
    {   /* the gating sums to 1, and the more certain modality gets the larger weight */
        float u[2 * 1 * 3] = { 5, 0, 0, 1, 1, 1 };
        double lam[2];
        asgml_fusion_lambda(ASGML_FUSE_ENTROPY, 2, 1, 3, u, NULL, lam);
        ok(lam[0] > lam[1] && fabs(lam[0] + lam[1] - 1) < 1e-15,
           "dynamic: a confident modality outweighs a uniform one (%.3f, %.3f)", lam[0], lam[1]);
        asgml_fusion_lambda(ASGML_FUSE_MEAN, 2, 1, 3, u, NULL, lam);
        ok(lam[0] == 0.5 && lam[1] == 0.5, "mean without fixed weights is 1/N");
    }
    H5Fclose(file);
    return tap_done();
}
