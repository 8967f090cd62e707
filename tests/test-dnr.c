/* SPDX-License-Identifier: MIT */
/* test-dnr.c - D&R (asgml-methods(7), DNR) against scikit-learn / PyTorch
 * (tests/fixtures/methods/dnr.h5, tests/fixtures/make_dnr_fixtures.py):
 *   - Lloyd iterations from given centres vs sklearn KMeans(init=...,
 *     n_init=1, algorithm='lloyd'): labels, centres, inertia, n_iter, on
 *     separated blobs, overlapping data (tolerance stop), two equal initial
 *     centres (empty-cluster relocation) and max_iter 2 (final assignment);
 *   - k-means++ fed sklearn's recorded draws picks sklearn's centres;
 *   - purity and blend weight of the official reinit_score on fixed
 *     features (min-max scaling decides: a wide noise column, a constant
 *     column), with the run's k-means (10 k-means++ restarts, own seeds);
 *   - the blend theta <- w theta_init + (1 - w) theta of ours.py reinit
 *     through asgml_model_blend on a ResNet encoder (BN running statistics
 *     and the other groups untouched);
 *   - hand cases: purity, min-max scaling, restarts keep the lowest inertia,
 *     same seed -> same clustering. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "asgml/hooks.h"
#include "h5fixture.h"
#include "methods/kmeans.h"
#include "methods/method_dnr.h"
#include "tap.h"

static hid_t file = -1;
static double worst = 0.0;

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
#define RDI(name, n) ((int32_t *)rd(name, H5T_NATIVE_INT32, n))
#define RDL(name, n) ((int64_t *)rd(name, H5T_NATIVE_INT64, n))

static double attr(const char *obj, const char *name)
{
    double v = 0;
    hid_t a = H5Aopen_by_name(file, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0 || H5Aread(a, H5T_NATIVE_DOUBLE, &v) < 0) {
        printf("Bail out! attribute %s of %s\n", name, obj);
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

static void lloyd_case(const char *name)
{
    char p[128], g[64];
    size_t nx, nc, nl;
    snprintf(g, sizeof g, "/lloyd/%s", name);
    snprintf(p, sizeof p, "%s/X", g);
    double *X = RDD(p, &nx);
    snprintf(p, sizeof p, "%s/init", g);
    double *c = RDD(p, &nc);
    snprintf(p, sizeof p, "%s/centers", g);
    double *cref = RDD(p, NULL);
    snprintf(p, sizeof p, "%s/labels", g);
    int32_t *lref = RDI(p, &nl);
    int k = (int)attr(g, "k"), it = 0, d = (int)(nc / (size_t)k);
    int64_t n = (int64_t)nl;
    double tol_abs = 0, in = 0, e;
    int32_t *lab = malloc(nl * sizeof *lab);
    for (int j = 0; j < d; j++) {        /* sklearn _tolerance, written out */
        double m = 0, v = 0;
        for (int64_t i = 0; i < n; i++) m += X[i * d + j];
        m /= n;
        for (int64_t i = 0; i < n; i++) v += (X[i * d + j] - m) * (X[i * d + j] - m);
        tol_abs += v / n;
    }
    tol_abs = tol_abs / d * attr(g, "tol");
    ok(asgml_kmeans_lloyd(X, n, d, k, c, (int)attr(g, "max_iter"), tol_abs, lab, &in, &it) ==
       ASGML_OK, "lloyd %s runs", name);
    ok(memcmp(lab, lref, nl * sizeof *lab) == 0, "lloyd %s: labels equal sklearn's", name);
    e = rel_err_d(c, cref, nc);
    worst = e > worst ? e : worst;
    ok(e < 1e-9, "lloyd %s: centres (rel err %.2g)", name, e);
    e = fabs(in - attr(g, "inertia")) / attr(g, "inertia");
    worst = e > worst ? e : worst;
    ok(e < 1e-9, "lloyd %s: inertia %.10g vs %.10g", name, in, attr(g, "inertia"));
    ok(it == (int)attr(g, "n_iter"), "lloyd %s: %d iterations (sklearn %d)", name, it,
       (int)attr(g, "n_iter"));
    free(X);
    free(c);
    free(cref);
    free(lref);
    free(lab);
}

typedef struct { const double *u; size_t n, i; double first; } replay;
static double replay_u(void *ctx)
{
    replay *r = ctx;
    if (r->i == 0) {
        r->i++;
        return r->first;
    }
    return r->i - 1 < r->n ? r->u[r->i++ - 1] : 0.5;
}

static void test_pp(void)
{
    size_t nx, nu, nk;
    double *X = RDD("/pp/X", &nx), *u = RDD("/pp/u", &nu), *cref = RDD("/pp/centers", NULL);
    int64_t *ids = RDL("/pp/ids", &nk), got[64];
    int k = (int)attr("/pp", "k"), d = (int)(nx / 500);
    int64_t n = (int64_t)(nx / (size_t)d);
    double *c = malloc((size_t)k * d * sizeof *c);
    /* sklearn 1.2 draws the first index with randint(n); the uniform u with
     * (first + 0.5) / n selects the same index through the cdf of 1/n */
    replay r = { u, nu, 0, (attr("/pp", "first") + 0.5) / (double)n };
    ok(asgml_kmeans_plusplus(X, n, d, k, replay_u, &r, c, got) == ASGML_OK, "k-means++ runs");
    ok(r.i == nu + 1, "k-means++ draws 1 + (k-1)(2 + floor(ln k)) = %zu numbers (%zu)", nu + 1,
       r.i);
    ok(memcmp(got, ids, nk * sizeof *ids) == 0, "k-means++ picks sklearn's samples "
       "(%lld %lld %lld ...)", (long long)got[0], (long long)got[1], (long long)got[2]);
    ok(rel_err_d(c, cref, (size_t)k * d) == 0.0, "k-means++ centres are those samples");
    free(X);
    free(u);
    free(cref);
    free(ids);
    free(c);
}

static void test_purity(void)
{
    double *pt = RDD("/purity/purity_train", NULL), *pv = RDD("/purity/purity_val", NULL);
    double *w = RDD("/purity/w", NULL), lam = attr("/purity", "lambda");
    int C = (int)attr("/purity", "C");
    for (int m = 0; m < 2; m++) {
        char p[64];
        size_t ntr, nva;
        snprintf(p, sizeof p, "/purity/ftr%d", m);
        float *ftr = RDF(p, NULL);
        snprintf(p, sizeof p, "/purity/fva%d", m);
        float *fva = RDF(p, NULL);
        snprintf(p, sizeof p, "/purity/ytr%d", m);
        int32_t *ytr = RDI(p, &ntr);
        snprintf(p, sizeof p, "/purity/yva%d", m);
        int32_t *yva = RDI(p, &nva);
        int D = 8, same = 1;
        double a = NAN, b = NAN, ww, e;
        for (uint64_t seed = 0; seed < 3; seed++) {
            asgml_kmeans_opts o = { C, 10, 300, 1e-4, seed * 977 + 1 };
            double a2, b2;
            if (asgml_dnr_purity(ftr, (int64_t)ntr, D, ytr, C, &o, &a2, NULL) != ASGML_OK ||
                asgml_dnr_purity(fva, (int64_t)nva, D, yva, C, &o, &b2, NULL) != ASGML_OK)
                same = 0;
            if (seed == 0) {
                a = a2;
                b = b2;
            } else if (a2 != a || b2 != b) {
                same = 0;
            }
        }
        ok(same, "modality %d: purities do not depend on the k-means seed", m);
        ok(fabs(a - pt[m]) < 1e-12, "modality %d: train purity %.6f (official %.6f)", m, a, pt[m]);
        ok(fabs(b - pv[m]) < 1e-12, "modality %d: val purity %.6f (official %.6f)", m, b, pv[m]);
        ww = asgml_dnr_weight(lam, a, b);
        e = fabs(ww - w[m]) / w[m];
        worst = e > worst ? e : worst;
        ok(e < 1e-6, "modality %d: w = tanh(lambda gap) %.8f (official %.8f)", m, ww, w[m]);
        free(ftr);
        free(fva);
        free(ytr);
        free(yva);
    }
    free(pt);
    free(pv);
    free(w);
}

static void test_blend(void)
{
    asgml_backend *be = NULL;
    asgml_model_config c;
    asgml_model *m = NULL;
    size_t L;
    float *init = RDF("/blend/init", &L), *cur = RDF("/blend/cur", NULL);
    double *w = RDD("/blend/w", NULL);
    if (asgml_backend_create("cpu", NULL, &be) != ASGML_OK) {
        tap_skip(5, "no cpu backend");
        return;
    }
    asgml_model_config_defaults(&c);
    c.width = 2;
    c.feature_dim = 16;
    c.enc[0].in_h = c.enc[0].in_w = c.enc[1].in_h = c.enc[1].in_w = 16;
    c.max_batch = 2;
    if (!ok(asgml_model_create(be, &c, &m) == ASGML_OK && asgml_model_init_params(m, 3) ==
            ASGML_OK, "width-2 ResNet model")) {
        tap_skip(4, "no model");
        return;
    }
    int64_t total = asgml_model_num_params(m), nb = asgml_model_num_buffers(m), off, cnt;
    float *p0 = malloc((size_t)total * sizeof *p0), *b0 = malloc((size_t)nb * sizeof *b0);
    for (int g = 0; g < 2; g++) {
        char name[32];
        double e;
        float *a = NULL, *after;
        asgml_model_group_span(m, g, &off, &cnt);
        if (cnt > (int64_t)L) {
            ok(0, "encoder %d: %lld parameters exceed the fixture's %zu", g, (long long)cnt, L);
            continue;
        }
        asgml_model_restore(m, g, cur);
        memcpy(p0, asgml_model_params(m), (size_t)total * sizeof *p0);
        memcpy(b0, asgml_model_buffers(m), (size_t)nb * sizeof *b0);
        be->ops->alloc(be, (size_t)cnt * sizeof(float), (void **)&a);
        be->ops->to_device(be, a, init, (size_t)cnt * sizeof(float));
        asgml_model_blend(m, g, (float)w[g], a, NULL);   /* as method_dnr.c blend_encoder */
        be->ops->free(be, a);
        snprintf(name, sizeof name, "/blend/new%d", g);
        float *ref = RDF(name, NULL);
        after = asgml_model_params(m);
        double num = 0, den = 0;
        for (int64_t i = 0; i < cnt; i++) {
            num = fmax(num, fabs((double)after[off + i] - ref[i]));
            den = fmax(den, fabs((double)ref[i]));
        }
        e = num / den;
        worst = e > worst ? e : worst;
        int others = memcmp(p0, after, (size_t)off * sizeof *p0) == 0 &&
                     memcmp(p0 + off + cnt, after + off + cnt,
                            (size_t)(total - off - cnt) * sizeof *p0) == 0 &&
                     memcmp(b0, asgml_model_buffers(m), (size_t)nb * sizeof *b0) == 0;
        ok(e < 1e-6, "encoder %d (%lld parameters): blend with w %.4f equals ours.py reinit "
           "(rel err %.2g)", g, (long long)cnt, w[g], e);
        ok(others, "encoder %d blend: other groups and BN running statistics untouched", g);
        free(ref);
    }
    free(p0);
    free(b0);
    free(init);
    free(cur);
    free(w);
    asgml_model_free(m);
    asgml_backend_destroy(be);
}

static void test_hand(void)
{
    int32_t y[8] = { 0, 0, 1, 1, 2, 2, 2, 0 }, cl[8] = { 0, 0, 0, 1, 1, 1, 1, 2 };
    /* cluster 0: {0,0,1} -> 2; cluster 1: {1,2,2,2} -> 3; cluster 2: {0} -> 1 */
    ok(asgml_cluster_purity(y, cl, 8, 3, 3) == 6.0 / 8.0, "purity of a hand case 6/8");
    y[0] = 3;
    ok(isnan(asgml_cluster_purity(y, cl, 8, 3, 3)), "a label >= C gives NaN");
    float x[6] = { 1, 7, 3, 7, 2, 7 };    /* column 0: 1..3, column 1 constant */
    double s[6];
    asgml_minmax_scale(x, 3, 2, s);
    ok(s[0] == -1 && s[2] == 1 && s[4] == 0 && s[1] == -1 && s[3] == -1,
       "min-max to [-1, 1]; a constant column maps to -1 (MinMaxScaler)");

    /* restarts: 10 keep an inertia <= the first restart's; same seed, same */
    enum { N = 300, Dm = 3 };
    static double X[N * Dm];
    int32_t l1[N], l10[N], l10b[N];
    double i1, i10, i10b;
    uint64_t z = 12345;
    for (int i = 0; i < N * Dm; i++) {
        z = z * 6364136223846793005ull + 1442695040888963407ull;
        X[i] = (double)(z >> 11) / 9007199254740992.0 + (i / Dm) % 5 * 0.3;
    }
    asgml_kmeans_opts o1 = { 8, 1, 300, 1e-4, 42 }, o10 = { 8, 10, 300, 1e-4, 42 };
    asgml_kmeans_fit(X, N, Dm, &o1, l1, NULL, &i1, NULL);
    asgml_kmeans_fit(X, N, Dm, &o10, l10, NULL, &i10, NULL);
    asgml_kmeans_fit(X, N, Dm, &o10, l10b, NULL, &i10b, NULL);
    ok(i10 <= i1, "10 restarts: inertia %.6f <= first restart's %.6f", i10, i1);
    ok(i10 == i10b && memcmp(l10, l10b, sizeof l10) == 0, "same seed, same clustering");
    ok(asgml_kmeans_fit(X, 5, Dm, &o10, l10, NULL, &i10, NULL) != ASGML_OK,
       "fewer samples than clusters is an error");
}

int main(void)
{
    const char *src = getenv("top_srcdir");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fixtures/methods/dnr.h5", src ? src : ".");
    file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0)
        tap_skip_all("fixture tests/fixtures/methods/dnr.h5 missing");
    tap_plan(4 * 5 + 4 + 2 * 4 + 5 + 6);
    lloyd_case("blobs");
    lloyd_case("overlap");
    lloyd_case("dup");
    lloyd_case("short");
    test_pp();
    test_purity();
    test_blend();
    test_hand();
    tap_diag("worst relative error against the fixture: %.3g", worst);
    H5Fclose(file);
    return tap_done();
}
