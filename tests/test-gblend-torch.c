/* SPDX-License-Identifier: MIT */
/* test-gblend-torch.c - G-Blending (asgml-methods(7), GBLEND) against
 * PyTorch (tests/fixtures/make_gblend_fixtures.py -> methods/gblend.h5):
 * (1) asgml_gblend_weights from given losses (G, O, OGR, w; a head with a
 * negative gain); (2) a trial on a reduced two-modality model with unimodal
 * heads (f_m = tanh(x_m W_m^T), z = [f_1, f_2] H^T + b, u_m = f_m U_m^T +
 * c_m; SGD with momentum and weight decay, PyTorch semantics): one warm-up
 * step, per head a copy of model and momentum trained two epochs on that
 * head's CE alone, the losses before/after, the weights, then three main
 * steps with L = w_0 CE(z) + w_1 CE(u_1) + w_2 CE(u_2) and the parameters
 * after each.  The reduced model and its SGD are written out here; the
 * weights come from the method's asgml_gblend_weights. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "h5fixture.h"
#include "methods/method_gblend.h"
#include "tap.h"

enum { B = 8, I1 = 6, I2 = 5, D = 4, C = 3, NTB = 2, NV = 8, NEP = 2, S = 3, NT = NTB * B };
enum { NP = 8 };   /* W1 W2 H b U1 c1 U2 c2 */
static const char *const pname[NP] = { "W1", "W2", "H", "b", "U1", "c1", "U2", "c2" };
static const int psize[NP] = { D * I1, D * I2, C * 2 * D, C, C * D, C, C * D, C };

static hid_t file = -1;

static void *rd(const char *name, hid_t type)
{
    size_t n;
    void *buf = h5fix_read(file, NULL, name, type, &n);
    if (!buf) {
        printf("Bail out! %s missing from the fixture\n", name);
        exit(1);
    }
    return h5fix_keep(buf);   /* freed by h5fix_release */
}
#define RDF(name) ((float *)rd(name, H5T_NATIVE_FLOAT))
#define RDD(name) ((double *)rd(name, H5T_NATIVE_DOUBLE))

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

/* ---- the reduced model and SGD (torch.optim.SGD, dampening 0) ---- */

typedef struct net {
    float p[NP][C * 2 * D > D * I1 ? C * 2 * D : D * I1];
    float g[NP][C * 2 * D > D * I1 ? C * 2 * D : D * I1];
    float buf[NP][C * 2 * D > D * I1 ? C * 2 * D : D * I1];
    int has_buf;
} net;

static double lr, mom, wd;

/* Forward of n samples; logits out[k] (n, C), features f[m] (n, D). */
static void forward(const net *nt, int n, const float *x1, const float *x2, float *f1, float *f2,
                    float *out0, float *out1, float *out2)
{
    const float *x[2] = { x1, x2 }, *W[2] = { nt->p[0], nt->p[1] };
    float *f[2] = { f1, f2 }, *u[2] = { out1, out2 };
    int in[2] = { I1, I2 };
    for (int m = 0; m < 2; m++)
        for (int i = 0; i < n; i++)
            for (int d = 0; d < D; d++) {
                float a = 0;
                for (int j = 0; j < in[m]; j++)
                    a += x[m][i * in[m] + j] * W[m][d * in[m] + j];
                f[m][i * D + d] = tanhf(a);
            }
    for (int i = 0; i < n; i++)
        for (int c = 0; c < C; c++) {
            float a = nt->p[3][c];
            for (int d = 0; d < D; d++)
                a += f1[i * D + d] * nt->p[2][c * 2 * D + d] +
                     f2[i * D + d] * nt->p[2][c * 2 * D + D + d];
            out0[i * C + c] = a;
            for (int m = 0; m < 2; m++) {
                float v = nt->p[5 + 2 * m][c];
                for (int d = 0; d < D; d++)
                    v += f[m][i * D + d] * nt->p[4 + 2 * m][c * D + d];
                u[m][i * C + c] = v;
            }
        }
}

/* mean CE of logits (n, C); dl (may be NULL) = scale (p - onehot) / n */
static double ce(int n, const float *lg, const int32_t *y, double scale, float *dl)
{
    double tot = 0;
    for (int i = 0; i < n; i++) {
        double mx = lg[i * C], z = 0;
        for (int c = 1; c < C; c++)
            mx = lg[i * C + c] > mx ? lg[i * C + c] : mx;
        for (int c = 0; c < C; c++)
            z += exp(lg[i * C + c] - mx);
        tot += log(z) + mx - lg[i * C + y[i]];
        for (int c = 0; dl && c < C; c++)
            dl[i * C + c] = (float)(scale * (exp(lg[i * C + c] - mx) / z - (c == y[i])) / n);
    }
    return tot / n;
}

/* one SGD step on L = sum_k a[k] CE(head k) of batch (x1, x2, y) */
static void step(net *nt, const float *x1, const float *x2, const int32_t *y, const double *a)
{
    float f1[B * D], f2[B * D], o[3][B * C], dl[3][B * C];
    const float *x[2] = { x1, x2 }, *f[2] = { f1, f2 };
    int in[2] = { I1, I2 };
    forward(nt, B, x1, x2, f1, f2, o[0], o[1], o[2]);
    for (int k = 0; k < 3; k++)
        ce(B, o[k], y, a[k], dl[k]);
    memset(nt->g, 0, sizeof nt->g);
    for (int i = 0; i < B; i++)
        for (int c = 0; c < C; c++) {
            nt->g[3][c] += dl[0][i * C + c];
            for (int d = 0; d < D; d++) {
                nt->g[2][c * 2 * D + d] += dl[0][i * C + c] * f1[i * D + d];
                nt->g[2][c * 2 * D + D + d] += dl[0][i * C + c] * f2[i * D + d];
            }
            for (int m = 0; m < 2; m++) {
                nt->g[5 + 2 * m][c] += dl[1 + m][i * C + c];
                for (int d = 0; d < D; d++)
                    nt->g[4 + 2 * m][c * D + d] += dl[1 + m][i * C + c] * f[m][i * D + d];
            }
        }
    for (int m = 0; m < 2; m++)
        for (int i = 0; i < B; i++)
            for (int d = 0; d < D; d++) {
                float df = 0, da;
                for (int c = 0; c < C; c++)
                    df += dl[0][i * C + c] * nt->p[2][c * 2 * D + m * D + d] +
                          dl[1 + m][i * C + c] * nt->p[4 + 2 * m][c * D + d];
                da = df * (1.0f - f[m][i * D + d] * f[m][i * D + d]);
                for (int j = 0; j < in[m]; j++)
                    nt->g[m][d * in[m] + j] += da * x[m][i * in[m] + j];
            }
    for (int q = 0; q < NP; q++)
        for (int i = 0; i < psize[q]; i++) {
            float gr = nt->g[q][i] + (float)wd * nt->p[q][i];
            nt->buf[q][i] = nt->has_buf ? (float)mom * nt->buf[q][i] + gr : gr;
            nt->p[q][i] -= (float)lr * nt->buf[q][i];
        }
    nt->has_buf = 1;
}

static void mean_ce(const net *nt, int n, const float *x1, const float *x2, const int32_t *y,
                    double *out)
{
    float f1[NT * D], f2[NT * D], o[3][NT * C];
    forward(nt, n, x1, x2, f1, f2, o[0], o[1], o[2]);
    for (int k = 0; k < 3; k++)
        out[k] = ce(n, o[k], y, 0, NULL);
}

#define TOL 1e-5
#define TOL_W 1e-4    /* weights: O is a difference of loss differences, squared */

int main(void)
{
    const char *top = getenv("top_srcdir");
    char path[1024];
    double worst = 0, e;
    net nt;

    tap_plan(13);
    snprintf(path, sizeof path, "%s/tests/fixtures/methods/gblend.h5", top ? top : ".");
    if ((file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT)) < 0) {
        printf("Bail out! cannot open %s\n", path);
        return 1;
    }
    lr = attr("lr");
    mom = attr("momentum");
    wd = attr("wd");
    double eps = attr("eps");

    /* ---- (1) weights from given losses ---- */
    {
        double G[3], O[3], ogr[3], w[3];
        int rc = asgml_gblend_weights(3, RDD("g_lt0"), RDD("g_lv0"), RDD("g_lt1"),
                                      RDD("g_lv1"), eps, G, O, ogr, w);
        double eg = rel_err_d(G, RDD("g_G"), 3), eo = rel_err_d(O, RDD("g_O"), 3);
        double er = rel_err_d(ogr, RDD("g_OGR"), 3), ew = rel_err_d(w, RDD("g_w"), 3);
        ok(rc == 0 && G[1] < 0, "given losses: weights defined, head 1 has G < 0 (|G| used)");
        ok(eg < 1e-12 && eo < 1e-12 && er < 1e-12,
               "given losses: G, O, OGR (rel. err %.2g %.2g %.2g)", eg, eo, er);
        ok(ew < 1e-12 && fabs(w[0] + w[1] + w[2] - 1) < 1e-12,
               "given losses: w, sum 1 (rel. err %.2g)", ew);
        double z[3] = { 1, 1, 1 }, G2[3], O2[3], r2[3], w2[3] = { -7, -7, -7 };
        ok(asgml_gblend_weights(3, z, z, z, z, eps, G2, O2, r2, w2) == -1 && w2[0] == -7,
               "no gain anywhere: no weights (error), w untouched");
    }

    /* ---- (2) warm-up step, trial, three main steps ---- */
    float *xt1 = RDF("xt1"), *xt2 = RDF("xt2"), *xv1 = RDF("xv1"), *xv2 = RDF("xv2");
    int32_t *yt = rd("yt", H5T_NATIVE_INT32), *yv = rd("yv", H5T_NATIVE_INT32);
    char name[32];
    memset(&nt, 0, sizeof nt);
    for (int q = 0; q < NP; q++)
        memcpy(nt.p[q], RDF(pname[q]), (size_t)psize[q] * sizeof(float));
    {
        double a[3] = { 1.0 / 3, 1.0 / 3, 1.0 / 3 };
        step(&nt, xt1, xt2, yt, a);
        double ew = 0;
        for (int q = 0; q < NP; q++) {
            snprintf(name, sizeof name, "%s_warm", pname[q]);
            e = h5fix_rel_err(nt.p[q], RDF(name), (size_t)psize[q]);
            ew = e > ew ? e : ew;
        }
        worst = ew > worst ? ew : worst;
        ok(ew < TOL, "warm-up step (rel. err %.2g)", ew);
    }
    double lt0[3], lv0[3], lt1[3], lv1[3], G[3], O[3], ogr[3], w[3];
    mean_ce(&nt, NT, xt1, xt2, yt, lt0);
    mean_ce(&nt, NV, xv1, xv2, yv, lv0);
    for (int k = 0; k < 3; k++) {
        net cp = nt;                     /* model + momentum buffers */
        double a[3] = { 0, 0, 0 }, l[3];
        a[k] = 1;
        for (int ep = 0; ep < NEP; ep++)
            for (int i = 0; i < NTB; i++)
                step(&cp, xt1 + (size_t)i * B * I1, xt2 + (size_t)i * B * I2, yt + i * B, a);
        mean_ce(&cp, NT, xt1, xt2, yt, l);
        lt1[k] = l[k];
        mean_ce(&cp, NV, xv1, xv2, yv, l);
        lv1[k] = l[k];
    }
    e = rel_err_d(lt0, RDD("lt0"), 3);
    worst = e > worst ? e : worst;
    ok(e < TOL, "L^T before, per head (rel. err %.2g)", e);
    e = rel_err_d(lv0, RDD("lv0"), 3);
    worst = e > worst ? e : worst;
    ok(e < TOL, "L^V before (rel. err %.2g)", e);
    e = rel_err_d(lt1, RDD("lt1"), 3);
    worst = e > worst ? e : worst;
    ok(e < TOL, "L^T after the trained copies (rel. err %.2g)", e);
    e = rel_err_d(lv1, RDD("lv1"), 3);
    worst = e > worst ? e : worst;
    ok(e < TOL, "L^V after the trained copies (rel. err %.2g)", e);
    ok(asgml_gblend_weights(3, lt0, lv0, lt1, lv1, eps, G, O, ogr, w) == 0,
           "trial: weights defined");
    {
        double eg = rel_err_d(G, RDD("G"), 3), eo = rel_err_d(O, RDD("O"), 3);
        double er = rel_err_d(ogr, RDD("OGR"), 3), ew = rel_err_d(w, RDD("w"), 3);
        double m = eg > eo ? eg : eo;
        m = er > m ? er : m;
        ok(m < TOL_W, "trial: G, O, OGR (rel. err %.2g %.2g %.2g)", eg, eo, er);
        ok(ew < TOL_W, "trial: weights %.4f %.4f %.4f (rel. err %.2g)", w[0], w[1], w[2],
               ew);
        worst = m > worst ? m : worst;
        worst = ew > worst ? ew : worst;
    }
    {
        double es = 0;
        for (int s = 0; s < S; s++) {
            int i = s % NTB;
            step(&nt, xt1 + (size_t)i * B * I1, xt2 + (size_t)i * B * I2, yt + i * B, w);
            for (int q = 0; q < NP; q++) {
                float *ref;
                snprintf(name, sizeof name, "%s_s", pname[q]);
                ref = RDF(name);
                e = h5fix_rel_err(nt.p[q], ref + (size_t)s * psize[q], (size_t)psize[q]);
                es = e > es ? e : es;
            }
        }
        worst = es > worst ? es : worst;
        ok(es < TOL, "three main steps with the blended loss: parameters (rel. err %.2g)",
               es);
    }
    tap_diag("worst relative error %.3g", worst);
    H5Fclose(file);
    h5fix_release();
    return tap_done();
}
