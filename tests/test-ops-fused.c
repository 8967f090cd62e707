/* SPDX-License-Identifier: MIT */
/* test-ops-fused.c - the CPU backend's fused ops against the ops they fuse,
 * bit for bit (so they inherit those ops' finite-difference and PyTorch
 * checks, and a model gives the same weights with them or without):
 *   batchnorm_relu_forward_train  = batchnorm_forward_train; relu_forward
 *   batchnorm_relu_forward_infer  = batchnorm_forward_infer; relu_forward
 *   batchnorm_relu_backward       = fill 0; relu_backward; batchnorm_backward
 *   add_relu                      = add; relu_forward
 * on odd shapes (one value per plane, planes of 1..300), 1 and 2 threads,
 * with gradients that hold -0 and exact zeros (0 + -0 is +0 in the
 * composition; the fused backward must give the same bits), and
 * accumulating outputs (dx, dgamma, dbeta start from random values).
 * And batch norm's bits do not depend on the thread count (1 vs 2): on
 * tensors large enough to be split, by samples (n >= 4, n even and odd)
 * and by channels (n < 4). */
#include <stdlib.h>
#include <string.h>

#include "asgml/backend.h"
#include "tap.h"
#define URAND_SEED 0xf05edbadc0ffeeULL
#include "urand.h"

static float *dup_buf(const float *x, size_t n)
{
    float *p = malloc((n ? n : 1) * sizeof(float));
    memcpy(p, x, n * sizeof(float));
    return p;
}

static int same(const float *a, const float *b, size_t n)
{
    return memcmp(a, b, n * sizeof(float)) == 0;
}

static void bn_case(asgml_backend *be, int threads, int n, int c, int hw)
{
    const asgml_backend_ops *o = be->ops;
    asgml_bn_desc d = {n, c, hw, 1e-5, 0.1};
    const size_t nx = (size_t)n * c * hw;
    float *x = rand_buf(nx), *g = rand_buf(c), *b = rand_buf(c), *dy = rand_buf(nx);
    for (size_t i = 0; i < nx; i += 7) dy[i] = -0.0f; /* -0 and +0 gradients */
    for (size_t i = 3; i < nx; i += 11) dy[i] = 0.0f;
    float *rm1 = rand_buf(c), *rv1 = rand_buf(c);
    for (int i = 0; i < c; i++) rv1[i] = 0.5f + rv1[i] * rv1[i];
    float *rm2 = dup_buf(rm1, c), *rv2 = dup_buf(rv1, c);
    float *y1 = malloc(nx * sizeof(float)), *y2 = malloc(nx * sizeof(float));
    float *m1 = malloc(c * sizeof(float)), *m2 = malloc(c * sizeof(float));
    float *s1 = malloc(c * sizeof(float)), *s2 = malloc(c * sizeof(float));

    /* forward, training */
    asgml_status st = o->batchnorm_forward_train(be, &d, x, g, b, y1, m1, s1, rm1, rv1);
    if (!st) st = o->relu_forward(be, (int64_t)nx, y1, y1);
    if (!st) st = o->batchnorm_relu_forward_train(be, &d, x, g, b, y2, m2, s2, rm2, rv2);
    ok(!st && same(y1, y2, nx) && same(m1, m2, c) && same(s1, s2, c) && same(rm1, rm2, c) &&
           same(rv1, rv2, c),
       "batchnorm_relu_forward_train n %d c %d hw %d, %d thread(s): the bits of BN then ReLU",
       n, c, hw, threads);

    /* backward: dx, dgamma, dbeta accumulate into random values */
    float *dx1 = rand_buf(nx), *dg1 = rand_buf(c), *db1 = rand_buf(c);
    float *dx2 = dup_buf(dx1, nx), *dg2 = dup_buf(dg1, c), *db2 = dup_buf(db1, c);
    float *t = malloc(nx * sizeof(float));
    st = o->fill(be, (int64_t)nx, 0.0f, t);
    if (!st) st = o->relu_backward(be, (int64_t)nx, y1, dy, t);
    if (!st) st = o->batchnorm_backward(be, &d, x, t, g, m1, s1, dx1, dg1, db1);
    if (!st) st = o->batchnorm_relu_backward(be, &d, x, y2, dy, g, m2, s2, dx2, dg2, db2);
    ok(!st && same(dx1, dx2, nx) && same(dg1, dg2, c) && same(db1, db2, c),
       "batchnorm_relu_backward n %d c %d hw %d, %d thread(s): the bits of relu_backward "
       "then BN backward (+=)", n, c, hw, threads);

    /* forward, inference (running statistics) */
    st = o->batchnorm_forward_infer(be, &d, x, g, b, rm1, rv1, y1);
    if (!st) st = o->relu_forward(be, (int64_t)nx, y1, y1);
    if (!st) st = o->batchnorm_relu_forward_infer(be, &d, x, g, b, rm1, rv1, y2);
    ok(!st && same(y1, y2, nx),
       "batchnorm_relu_forward_infer n %d c %d hw %d, %d thread(s): the bits of BN then ReLU",
       n, c, hw, threads);

    free(x), free(g), free(b), free(dy), free(rm1), free(rv1), free(rm2), free(rv2);
    free(y1), free(y2), free(m1), free(m2), free(s1), free(s2), free(t);
    free(dx1), free(dg1), free(db1), free(dx2), free(dg2), free(db2);
}

/* batchnorm(_relu) forward_train, backward and forward_infer on 1 and on 2
 * threads: the same bits */
static void bn_threads_case(asgml_backend *be1, asgml_backend *be2, int n, int c, int hw)
{
    asgml_bn_desc d = {n, c, hw, 1e-5, 0.1};
    const size_t nx = (size_t)n * c * hw;
    float *x = rand_buf(nx), *g = rand_buf(c), *b = rand_buf(c), *dy = rand_buf(nx);
    for (size_t i = 0; i < nx; i++) x[i] = 3.0f * x[i] + 0.5f; /* a mean far from 0 */
    float *r[2][8];
    int st = 0;
    for (int k = 0; k < 2; k++) {
        asgml_backend *be = k ? be2 : be1;
        const asgml_backend_ops *o = be->ops;
        float *y = malloc(nx * sizeof(float)), *m = malloc(c * sizeof(float));
        float *s = malloc(c * sizeof(float)), *rm = dup_buf(g, c), *rv = dup_buf(b, c);
        for (int i = 0; i < c; i++) rv[i] = 0.5f + rv[i] * rv[i];
        float *dx = dup_buf(dy, nx), *dg = dup_buf(g, c), *db = dup_buf(b, c);
        float *yi = malloc(nx * sizeof(float));
        st |= o->batchnorm_relu_forward_train(be, &d, x, g, b, y, m, s, rm, rv);
        st |= o->batchnorm_relu_backward(be, &d, x, y, dy, g, m, s, dx, dg, db);
        st |= o->batchnorm_forward_train(be, &d, x, g, b, yi, m, s, rm, rv);
        st |= o->batchnorm_backward(be, &d, x, dy, g, m, s, dx, dg, db);
        st |= o->batchnorm_forward_infer(be, &d, x, g, b, rm, rv, yi);
        float *keep[8] = {y, m, s, rm, rv, dx, dg, yi};
        for (int i = 0; i < 8; i++) r[k][i] = keep[i];
        free(db);
    }
    int eq = !st;
    for (int i = 0; i < 8; i++) {
        const size_t len = i == 0 || i == 5 || i == 7 ? nx : (size_t)c;
        eq = eq && same(r[0][i], r[1][i], len);
        free(r[0][i]), free(r[1][i]);
    }
    ok(eq, "batchnorm n %d c %d hw %d: 1 and 2 threads give the same bits (forward, backward, "
           "inference; split by %s)", n, c, hw, n >= 4 ? "samples" : "channels");
    free(x), free(g), free(b), free(dy);
}

static void add_case(asgml_backend *be, int threads, int64_t n)
{
    float *a = rand_buf((size_t)n), *b = rand_buf((size_t)n);
    for (int64_t i = 0; i < n; i += 5) b[i] = -a[i]; /* exact zeros, +0 and -0 sums */
    float *y1 = malloc((size_t)n * sizeof(float)), *y2 = dup_buf(b, (size_t)n);
    asgml_status st = be->ops->add(be, n, a, b, y1);
    if (!st) st = be->ops->relu_forward(be, n, y1, y1);
    if (!st) st = be->ops->add_relu(be, n, a, y2, y2); /* in place, as the model calls it */
    ok(!st && same(y1, y2, (size_t)n),
       "add_relu n %lld, %d thread(s), in place: the bits of add then relu_forward",
       (long long)n, threads);
    free(a), free(b), free(y1), free(y2);
}

int main(void)
{
    static const int shapes[][3] = {{2, 3, 1}, {3, 5, 7}, {4, 16, 64}, {2, 9, 300}, {16, 4, 49}};
    const int ns = (int)(sizeof shapes / sizeof shapes[0]);
    static const int64_t lens[] = {1, 17, 100000};
    const int nl = (int)(sizeof lens / sizeof lens[0]);
    static const int big[][3] = {{8, 24, 200}, {5, 7, 1000}, {3, 40, 300}};
    const int nbig = (int)(sizeof big / sizeof big[0]);
    tap_plan(2 * (3 * ns + nl) + nbig);
    for (int threads = 1; threads <= 2; threads++) {
        asgml_backend *be;
        asgml_backend_options opt = {threads, 1, -1, 0};
        if (asgml_backend_create("cpu", &opt, &be) != ASGML_OK) {
            printf("Bail out! cannot create the CPU backend\n");
            return 1;
        }
        for (int i = 0; i < ns; i++) bn_case(be, threads, shapes[i][0], shapes[i][1], shapes[i][2]);
        for (int i = 0; i < nl; i++) add_case(be, threads, lens[i]);
        asgml_backend_destroy(be);
    }
    asgml_backend *be1, *be2;
    asgml_backend_options o1 = {1, 1, -1, 0}, o2 = {2, 1, -1, 0};
    if (asgml_backend_create("cpu", &o1, &be1) != ASGML_OK ||
        asgml_backend_create("cpu", &o2, &be2) != ASGML_OK) {
        printf("Bail out! cannot create the CPU backend\n");
        return 1;
    }
    for (int i = 0; i < nbig; i++) bn_threads_case(be1, be2, big[i][0], big[i][1], big[i][2]);
    asgml_backend_destroy(be1);
    asgml_backend_destroy(be2);
    return tap_done();
}
