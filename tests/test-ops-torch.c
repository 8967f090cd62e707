/* SPDX-License-Identifier: MIT */
/* test-ops-torch.c - the CPU backend against PyTorch.
 *
 * tests/fixtures/ops/ops.h5 (written by make_ops_fixtures.py with torch on
 * the CPU) holds inputs, the upstream gradient dy and PyTorch's outputs and
 * gradients for conv2d, batchnorm2d (training, running statistics, eval),
 * max pool, adaptive average pool, linear, cross-entropy and the SGD, Adam
 * and AdamW updates.  Normwise relative error: < 1e-4 for forward values
 * and parameter updates, < 1e-3 for gradients. */
#include <hdf5.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "asgml/backend.h"
#include "h5fixture.h"
#include "tap.h"

#define TOL_FWD 1e-4
#define TOL_GRAD 1e-3

static asgml_backend *be;
static hid_t file = -1;

static float *rd(const char *group, const char *name, size_t *n)
{
    float *p = h5fix_read(file, group, name, H5T_NATIVE_FLOAT, n);
    if (!p) {
        printf("Bail out! %s/%s missing from the fixture\n", group, name);
        exit(1);
    }
    return p;
}

static int read_shape(const char *group, int *shape, int count)
{
    hid_t g = H5Gopen2(file, group, H5P_DEFAULT);
    hid_t a = H5Aopen(g, "shape", H5P_DEFAULT);
    int ok_ = a >= 0 && H5Aread(a, H5T_NATIVE_INT, shape) >= 0;
    hid_t sp = a >= 0 ? H5Aget_space(a) : -1;
    ok_ = ok_ && H5Sget_simple_extent_npoints(sp) == count;
    if (sp >= 0) H5Sclose(sp);
    if (a >= 0) H5Aclose(a);
    H5Gclose(g);
    if (!ok_) {
        printf("Bail out! %s: bad shape attribute\n", group);
        exit(1);
    }
    return 1;
}

/* normwise |a - b| / |b| */
static double rel(const float *a, const float *b, size_t n)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        num += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        den += (double)b[i] * b[i];
    }
    return den > 0 ? sqrt(num / den) : sqrt(num);
}

static float *zeros(size_t n) { return calloc(n ? n : 1, sizeof(float)); }

static void test_conv(const char *name)
{
    int s[8];
    size_t nx, nw, ny;
    read_shape(name, s, 8);
    asgml_conv2d_desc d;
    asgml_conv2d_desc_init(&d, s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]);
    float *x = rd(name, "x", &nx), *w = rd(name, "w", &nw), *y_ref = rd(name, "y", &ny);
    float *dy = rd(name, "dy", NULL), *dx_ref = rd(name, "dx", NULL), *dw_ref = rd(name, "dw", NULL);
    float *y = zeros(ny), *dx = zeros(nx), *dw = zeros(nw);
    int shape_ok = ny == (size_t)d.n * d.c_out * d.h_out * d.w_out;
    asgml_status st = be->ops->conv2d_forward(be, &d, x, w, y);
    double e = rel(y, y_ref, ny);
    ok(shape_ok && st == ASGML_OK && e < TOL_FWD, "%s: forward (rel err %.2e)", name, e);
    st = be->ops->conv2d_backward_data(be, &d, dy, w, dx);
    e = rel(dx, dx_ref, nx);
    ok(st == ASGML_OK && e < TOL_GRAD, "%s: backward data (rel err %.2e)", name, e);
    st = be->ops->conv2d_backward_filter(be, &d, x, dy, dw);
    e = rel(dw, dw_ref, nw);
    ok(st == ASGML_OK && e < TOL_GRAD, "%s: backward filter (rel err %.2e)", name, e);
    free(x), free(w), free(y_ref), free(dy), free(dx_ref), free(dw_ref), free(y), free(dx),
        free(dw);
}

static void test_batchnorm(void)
{
    const char *g = "batchnorm";
    int s[3];
    size_t nx, c;
    read_shape(g, s, 3);
    asgml_bn_desc d = {s[0], s[1], s[2], 1e-5, 0.1};
    float *x = rd(g, "x", &nx), *gamma = rd(g, "gamma", &c), *beta = rd(g, "beta", NULL);
    float *rm = rd(g, "running_mean_in", NULL), *rv = rd(g, "running_var_in", NULL);
    float *y_ref = rd(g, "y", NULL), *rm_ref = rd(g, "running_mean", NULL);
    float *rv_ref = rd(g, "running_var", NULL), *dy = rd(g, "dy", NULL);
    float *dx_ref = rd(g, "dx", NULL), *dg_ref = rd(g, "dgamma", NULL);
    float *db_ref = rd(g, "dbeta", NULL), *xe = rd(g, "x_eval", NULL);
    float *ye_ref = rd(g, "y_eval", NULL);
    float *y = zeros(nx), *mean = zeros(c), *invstd = zeros(c), *dx = zeros(nx);
    float *dg = zeros(c), *db = zeros(c), *ye = zeros(nx);
    asgml_status st = be->ops->batchnorm_forward_train(be, &d, x, gamma, beta, y, mean, invstd,
                                                       rm, rv);
    double e = rel(y, y_ref, nx), em = rel(rm, rm_ref, c), ev = rel(rv, rv_ref, c);
    ok(st == ASGML_OK && e < TOL_FWD, "batchnorm train: forward (rel err %.2e)", e);
    ok(st == ASGML_OK && em < TOL_FWD && ev < TOL_FWD,
       "batchnorm train: running mean, unbiased running var (rel err %.2e, %.2e)", em, ev);
    st = be->ops->batchnorm_backward(be, &d, x, dy, gamma, mean, invstd, dx, dg, db);
    double ex = rel(dx, dx_ref, nx), eg = rel(dg, dg_ref, c), eb = rel(db, db_ref, c);
    ok(st == ASGML_OK && ex < TOL_GRAD && eg < TOL_GRAD && eb < TOL_GRAD,
       "batchnorm backward: dx, dgamma, dbeta (rel err %.2e, %.2e, %.2e)", ex, eg, eb);
    st = be->ops->batchnorm_forward_infer(be, &d, xe, gamma, beta, rm_ref, rv_ref, ye);
    e = rel(ye, ye_ref, nx);
    ok(st == ASGML_OK && e < TOL_FWD, "batchnorm eval: forward (rel err %.2e)", e);
    free(x), free(gamma), free(beta), free(rm), free(rv), free(y_ref), free(rm_ref), free(rv_ref);
    free(dy), free(dx_ref), free(dg_ref), free(db_ref), free(xe), free(ye_ref), free(y);
    free(mean), free(invstd), free(dx), free(dg), free(db), free(ye);
}

static void test_pools(void)
{
    int s[7];
    size_t nx, ny;
    read_shape("maxpool", s, 7);
    asgml_pool2d_desc d;
    asgml_pool2d_desc_init(&d, s[0], s[1], s[2], s[3], s[4], s[5], s[6]);
    float *x = rd("maxpool", "x", &nx), *y_ref = rd("maxpool", "y", &ny);
    float *dy = rd("maxpool", "dy", NULL), *dx_ref = rd("maxpool", "dx", NULL);
    float *y = zeros(ny), *dx = zeros(nx);
    int32_t *arg = malloc(ny * sizeof(int32_t));
    asgml_status st = be->ops->maxpool_forward(be, &d, x, y, arg);
    double e = rel(y, y_ref, ny);
    ok(st == ASGML_OK && ny == (size_t)d.n * d.c * d.h_out * d.w_out && e < TOL_FWD,
       "maxpool 3x3/2 pad 1: forward (rel err %.2e)", e);
    st = be->ops->maxpool_backward(be, &d, dy, arg, dx);
    e = rel(dx, dx_ref, nx);
    ok(st == ASGML_OK && e < TOL_GRAD, "maxpool 3x3/2 pad 1: backward (rel err %.2e)", e);
    free(x), free(y_ref), free(dy), free(dx_ref), free(y), free(dx), free(arg);

    read_shape("avgpool", s, 2);
    x = rd("avgpool", "x", &nx), y_ref = rd("avgpool", "y", &ny);
    dy = rd("avgpool", "dy", NULL), dx_ref = rd("avgpool", "dx", NULL);
    y = zeros(ny), dx = zeros(nx);
    st = be->ops->avgpool_forward(be, s[0], s[1], x, y);
    e = rel(y, y_ref, ny);
    ok(st == ASGML_OK && e < TOL_FWD, "adaptive avg pool: forward (rel err %.2e)", e);
    st = be->ops->avgpool_backward(be, s[0], s[1], dy, dx);
    e = rel(dx, dx_ref, nx);
    ok(st == ASGML_OK && e < TOL_GRAD, "adaptive avg pool: backward (rel err %.2e)", e);
    free(x), free(y_ref), free(dy), free(dx_ref), free(y), free(dx);
}

/* y (b, out) = x (b, in) w^T (in, out) + bias, as the model computes it */
static void test_linear(void)
{
    int s[3];
    read_shape("linear", s, 3);
    int b = s[0], in = s[1], out = s[2];
    float *x = rd("linear", "x", NULL), *w = rd("linear", "w", NULL), *bias = rd("linear", "b", NULL);
    float *y_ref = rd("linear", "y", NULL), *dy = rd("linear", "dy", NULL);
    float *dx_ref = rd("linear", "dx", NULL), *dw_ref = rd("linear", "dw", NULL);
    float *db_ref = rd("linear", "db", NULL);
    float *y = zeros((size_t)b * out), *dx = zeros((size_t)b * in), *dw = zeros((size_t)out * in);
    float *db = zeros(out);
    asgml_status st = be->ops->gemm(be, 0, 1, b, out, in, 1.0f, x, in, w, in, 0.0f, y, out);
    st |= be->ops->bias_forward(be, b, out, bias, y);
    double e = rel(y, y_ref, (size_t)b * out);
    ok(st == ASGML_OK && e < TOL_FWD, "linear: forward (rel err %.2e)", e);
    /* dx (b, in) = dy (b, out) w (out, in); dw (out, in) = dy^T x; db = column sums */
    st = be->ops->gemm(be, 0, 0, b, in, out, 1.0f, dy, out, w, in, 1.0f, dx, in);
    st |= be->ops->gemm(be, 1, 0, out, in, b, 1.0f, dy, out, x, in, 1.0f, dw, in);
    st |= be->ops->bias_backward(be, b, out, dy, db);
    double ex = rel(dx, dx_ref, (size_t)b * in), ew = rel(dw, dw_ref, (size_t)out * in);
    double eb = rel(db, db_ref, out);
    ok(st == ASGML_OK && ex < TOL_GRAD && ew < TOL_GRAD && eb < TOL_GRAD,
       "linear: dx, dw, db (rel err %.2e, %.2e, %.2e)", ex, ew, eb);
    free(x), free(w), free(bias), free(y_ref), free(dy), free(dx_ref), free(dw_ref), free(db_ref);
    free(y), free(dx), free(dw), free(db);
}

static void test_cross_entropy(void)
{
    size_t n, nl;
    float *logits = rd("cross_entropy", "logits", &n);
    float *dl_ref = rd("cross_entropy", "dlogits", NULL), *p_ref = rd("cross_entropy", "probs", NULL);
    int32_t *labels = h5fix_read(file, "cross_entropy", "labels", H5T_NATIVE_INT32, &nl);
    double *loss_ref = h5fix_read(file, "cross_entropy", "loss", H5T_NATIVE_DOUBLE, NULL);
    if (!labels || !loss_ref || nl == 0) {
        printf("Bail out! cross_entropy fixture incomplete\n");
        exit(1);
    }
    int b = (int)nl, c = (int)(n / nl);
    float *dl = zeros(n), *probs = zeros(n);
    double sum = 0;
    asgml_status st = be->ops->softmax_ce(be, b, c, logits, labels, 1.0f / b, probs, NULL, dl, &sum);
    double el = fabs(sum / b - loss_ref[0]) / fabs(loss_ref[0]);
    double ep = rel(probs, p_ref, n), eg = rel(dl, dl_ref, n);
    ok(st == ASGML_OK && el < TOL_FWD && ep < TOL_FWD,
       "cross-entropy: mean loss %.6f vs %.6f, probs (rel err %.2e, %.2e)", sum / b, loss_ref[0],
       el, ep);
    ok(st == ASGML_OK && eg < TOL_GRAD, "cross-entropy: dlogits (rel err %.2e)", eg);
    free(logits), free(dl_ref), free(p_ref), free(labels), free(loss_ref), free(dl), free(probs);
}

enum { OPT_SGD, OPT_ADAM };

/* Runs the fixture's steps; each step's update p_k - p_{k-1} is compared
 * with PyTorch's (a normwise check of p itself would hide small updates). */
static void test_optimiser(const char *name, int kind, int steps, float lr, float a, float b,
                           float eps, float wd, int flag)
{
    size_t n;
    float *p = rd(name, "p0", &n), *prev = zeros(n);
    float *m1 = zeros(n), *m2 = zeros(n), *du = zeros(n), *du_ref = zeros(n);
    float *ref_prev = rd(name, "p0", NULL);
    for (int k = 1; k <= steps; k++) {
        char gn[8], pn[8];
        snprintf(gn, sizeof gn, "g%d", k);
        snprintf(pn, sizeof pn, "p%d", k);
        float *g = rd(name, gn, NULL), *ref = rd(name, pn, NULL);
        memcpy(prev, p, n * sizeof(float));
        asgml_status st =
            kind == OPT_SGD
                ? be->ops->sgd_update(be, n, p, g, m1, lr, a, 0.0f, wd, flag, k == 1)
                : be->ops->adam_update(be, n, p, g, m1, m2, lr, a, b, eps, wd, flag, k);
        for (size_t i = 0; i < n; i++) {
            du[i] = p[i] - prev[i];
            du_ref[i] = ref[i] - ref_prev[i];
        }
        double e = rel(du, du_ref, n), ep = rel(p, ref, n);
        ok(st == ASGML_OK && e < TOL_FWD && ep < 1e-6, "%s step %d: update (rel err %.2e), "
           "params (rel err %.2e)", name, k, e, ep);
        memcpy(ref_prev, ref, n * sizeof(float));
        free(g), free(ref);
    }
    free(p), free(prev), free(m1), free(m2), free(du), free(du_ref), free(ref_prev);
}

int main(void)
{
    const char *top = getenv("top_srcdir");
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/fixtures/ops/ops.h5", top ? top : ".");
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) {
        printf("Bail out! cannot open %s\n", path);
        return 1;
    }
    asgml_backend_options opt = {2, 1, -1, 0};
    if (asgml_backend_create("cpu", &opt, &be) != ASGML_OK) {
        printf("Bail out! cpu backend: %s\n", asgml_last_error());
        return 1;
    }
    test_conv("conv7x7s2p3");
    test_conv("conv3x3s1p1");
    test_conv("conv3x3s2p1");
    test_conv("conv1x1s2p0");
    test_batchnorm();
    test_pools();
    test_linear();
    test_cross_entropy();
    test_optimiser("sgd", OPT_SGD, 2, 0.1f, 0.9f, 0, 0, 1e-2f, 0);
    test_optimiser("sgd_nesterov", OPT_SGD, 2, 0.05f, 0.9f, 0, 0, 1e-3f, 1);
    test_optimiser("adam", OPT_ADAM, 3, 1e-2f, 0.9f, 0.999f, 1e-8f, 1e-2f, 0);
    test_optimiser("adamw", OPT_ADAM, 3, 1e-2f, 0.8f, 0.99f, 1e-6f, 0.1f, 1);
    asgml_backend_destroy(be);
    H5Fclose(file);
    return tap_done();
}
