/* SPDX-License-Identifier: MIT */
/* test-cuda-seam.c - the CUDA backend's host-side logic, on the CPU: the
 * device-memory pool (over a malloc seam that can be told to fail), the
 * convolution algorithm choice and per-shape cache, descriptor shapes, the
 * row-major -> column-major GEMM mapping (checked numerically against a
 * host column-major GEMM), launch sizes, and the "no CUDA device" error of
 * backend creation.  Needs no GPU; built only with --with-cuda. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "asgml/backend.h"
#include "cuda/cuda_backend.h"
#include "cuda/kernels.h"
#include "tap.h"

/* ---- fake raw allocator ---- */
typedef struct {
    size_t limit;        /* bytes the fake device holds */
    size_t used;
    int allocs, frees;
    struct { void *p; size_t n; } live[256];
    int nlive;
} fake_dev;

static asgml_status fake_alloc(void *ctx, size_t bytes, void **ptr)
{
    fake_dev *f = ctx;
    if (f->used + bytes > f->limit || f->nlive == 256)
        return asgml_error(ASGML_ENOMEM, "fake: out of memory");
    *ptr = malloc(bytes);
    if (!*ptr) return asgml_error(ASGML_ENOMEM, "fake: malloc");
    f->live[f->nlive].p = *ptr;
    f->live[f->nlive].n = bytes;
    f->nlive++;
    f->used += bytes;
    f->allocs++;
    return ASGML_OK;
}

static void fake_free(void *ctx, void *ptr)
{
    fake_dev *f = ctx;
    for (int i = 0; i < f->nlive; i++)
        if (f->live[i].p == ptr) {
            f->used -= f->live[i].n;
            f->live[i] = f->live[--f->nlive];
            f->frees++;
            free(ptr);
            return;
        }
    f->frees += 1000;   /* freeing something never allocated: flagged below */
}

static void test_pool(void)
{
    fake_dev f = {.limit = 8192};
    asgml_devpool_seam seam = {fake_alloc, fake_free, &f};
    asgml_devpool p;
    asgml_devpool_init(&p, &seam);
    void *a = NULL, *b = NULL, *c = NULL, *d = NULL;

    ok(asgml_devpool_round(1) == 512 && asgml_devpool_round(512) == 512 &&
           asgml_devpool_round(513) == 1024 && asgml_devpool_round(0) == 0 &&
           asgml_devpool_round(SIZE_MAX) == 0,
       "pool: sizes round up to 512 bytes, overflow gives 0");
    ok(asgml_devpool_alloc(&p, 0, &a) == ASGML_OK && a == NULL && f.allocs == 0,
       "pool: zero bytes gives NULL without a raw allocation");
    ok(asgml_devpool_alloc(&p, 1500, &a) == ASGML_OK && a && f.allocs == 1 &&
           p.bytes_in_use == 1536 && p.bytes_reserved == 1536,
       "pool: first allocation is raw and rounded (1500 -> 1536)");
    ok(asgml_devpool_free(&p, a) == ASGML_OK && p.bytes_in_use == 0 && p.bytes_reserved == 1536 &&
           f.frees == 0,
       "pool: free keeps the block cached");
    ok(asgml_devpool_alloc(&p, 600, &b) == ASGML_OK && b == a && f.allocs == 1,
       "pool: a cached block of at most twice the request is reused (1536 for 1024)");
    ok(asgml_devpool_free(&p, b) == ASGML_OK, "pool: free again");
    ok(asgml_devpool_alloc(&p, 100, &c) == ASGML_OK && c != a && f.allocs == 2,
       "pool: a block over twice the request is not handed out (1536 for 512)");
    asgml_clear_error();
    ok(asgml_devpool_free(&p, c) == ASGML_OK && asgml_devpool_free(&p, c) == ASGML_EINTERNAL,
       "pool: double free is ASGML_EINTERNAL");
    int x;
    ok(asgml_devpool_free(&p, &x) == ASGML_EINTERNAL && strstr(asgml_last_error(), "does not hold"),
       "pool: foreign pointer is ASGML_EINTERNAL: %s", asgml_last_error());
    ok(asgml_devpool_free(&p, NULL) == ASGML_OK, "pool: free(NULL) is a no-op");

    /* best fit: with 1536 in use a 1024 block is made; both cached, a
     * 900-byte request takes the 1024 one */
    void *e = NULL;
    ok(asgml_devpool_alloc(&p, 1536, &b) == ASGML_OK && b == a &&
           asgml_devpool_alloc(&p, 1024, &e) == ASGML_OK && f.allocs == 3,
       "pool: 1536 reused exactly, 1024 is new");
    asgml_devpool_free(&p, b);
    asgml_devpool_free(&p, e);
    ok(asgml_devpool_alloc(&p, 900, &d) == ASGML_OK && d == e, "pool: best fit picks the smaller block");
    asgml_devpool_free(&p, d);

    /* out of memory: 8192 limit, 3072 cached; 7000 bytes fits only after a trim */
    void *big = NULL;
    int frees_before = f.frees;
    asgml_status big_st = asgml_devpool_alloc(&p, 7000, &big);
    ok(big_st == ASGML_OK && big && f.frees == frees_before + 3 && p.bytes_reserved == 7168,
       "pool: ENOMEM trims the cache and retries (reserved %zu)", p.bytes_reserved);
    void *more = NULL;
    ok(asgml_devpool_alloc(&p, 2048, &more) == ASGML_ENOMEM && more == NULL,
       "pool: real exhaustion is ASGML_ENOMEM");
    ok(p.peak_in_use == 7168, "pool: peak in use %zu", p.peak_in_use);
    ok(asgml_devpool_release(&p, big) == ASGML_OK && p.bytes_reserved == 0 && f.used == 0,
       "pool: release returns the block to the raw allocator");

    /* many blocks: the table grows; trim returns only free ones */
    void *ptrs[100];
    int all = 1;
    fake_dev g = {.limit = 1u << 30};
    asgml_devpool q;
    asgml_devpool_seam seam2 = {fake_alloc, fake_free, &g};
    asgml_devpool_init(&q, &seam2);
    for (int i = 0; i < 100; i++) all &= asgml_devpool_alloc(&q, 512u * (i + 1), &ptrs[i]) == ASGML_OK;
    for (int i = 0; i < 100; i += 2) all &= asgml_devpool_free(&q, ptrs[i]) == ASGML_OK;
    asgml_devpool_trim(&q);
    ok(all && q.count == 50 && g.nlive == 50, "pool: 100 blocks, 50 freed, trim keeps 50 (%zu)",
       q.count);
    for (int i = 1; i < 100; i += 2) all &= asgml_devpool_free(&q, ptrs[i]) == ASGML_OK;
    ok(all && q.bytes_in_use == 0, "pool: all freed");
    asgml_devpool_destroy(&q);
    asgml_devpool_destroy(&p);
    ok(g.nlive == 0 && f.nlive == 0 && g.frees < 1000 && f.frees < 1000,
       "pool: destroy returns every raw block, never a foreign one");
}

static asgml_conv_algo_perf perf(int algo, int okk, size_t ws, int det, int tc)
{
    asgml_conv_algo_perf p = {algo, okk, 1.0f, ws, det, tc, 0};
    return p;
}

static void test_pick(void)
{
    asgml_conv_algo_perf r[5] = {perf(6, 0, 0, 1, 0), perf(1, 1, 1u << 30, 1, 0),
                                 perf(0, 1, 1000, 0, 1), perf(2, 1, 1000, 1, 1),
                                 perf(3, 1, 10, 1, 0)};
    ok(asgml_conv_pick_algo(r, 5, 0, 1, (size_t)1 << 31) == 1,
       "pick: first successful row within the workspace");
    ok(asgml_conv_pick_algo(r, 5, 0, 1, 1u << 20) == 2, "pick: skips a row over the workspace");
    ok(asgml_conv_pick_algo(r, 5, 1, 1, 1u << 20) == 3, "pick: deterministic skips row 2");
    ok(asgml_conv_pick_algo(r, 5, 1, 0, 1u << 20) == 4, "pick: strict fp32 skips tensor-op rows");
    ok(asgml_conv_pick_algo(r, 5, 1, 0, 5) == -1, "pick: nothing fits: -1");
    ok(asgml_conv_pick_algo(r, 0, 0, 1, 100) == -1, "pick: empty list: -1");
    ok(asgml_conv_workspace_budget((size_t)10 << 30, (size_t)1 << 30) == (size_t)1 << 30 &&
           asgml_conv_workspace_budget(1000, (size_t)1 << 30) == 500,
       "workspace budget: half the free memory, capped");
}

static void test_cache_and_desc(void)
{
    asgml_conv2d_desc stem, l1, bad;
    asgml_conv2d_desc_init(&stem, 64, 3, 224, 224, 64, 7, 2, 3);
    asgml_conv2d_desc_init(&l1, 64, 64, 56, 56, 64, 3, 1, 1);
    ok(asgml_conv_desc_check(&stem) == ASGML_OK && stem.h_out == 112,
       "desc: ResNet stem 224 -> 112 is valid");
    bad = stem;
    bad.h_out = 111;
    ok(asgml_conv_desc_check(&bad) == ASGML_EINVAL, "desc: wrong h_out is EINVAL");
    bad = stem;
    bad.c_in = 0;
    ok(asgml_conv_desc_check(&bad) == ASGML_EINVAL, "desc: zero channels is EINVAL");
    asgml_conv2d_desc huge;
    asgml_conv2d_desc_init(&huge, 4096, 64, 224, 224, 64, 3, 1, 1);
    ok(asgml_conv_desc_check(&huge) == ASGML_ENOTSUP, "desc: > 2^31 elements is ENOTSUP");

    int xd[4], wd[4], yd[4], st[4];
    asgml_conv_dims(&stem, xd, wd, yd);
    ok(xd[0] == 64 && xd[1] == 3 && xd[2] == 224 && xd[3] == 224 && wd[0] == 64 && wd[1] == 3 &&
           wd[2] == 7 && wd[3] == 7 && yd[1] == 64 && yd[2] == 112 && yd[3] == 112,
       "desc: NCHW / OIHW dims");
    asgml_nchw_strides(yd, st);
    ok(st[0] == 64 * 112 * 112 && st[1] == 112 * 112 && st[2] == 112 && st[3] == 1,
       "desc: packed NCHW strides");

    asgml_bn_desc bn = {64, 64, 56 * 56, 1e-5, 0.1};
    ok(asgml_bn_desc_check(&bn) == ASGML_OK, "bn desc: valid");
    bn.eps = 0.0;
    ok(asgml_bn_desc_check(&bn) == ASGML_EINVAL, "bn desc: eps 0 is EINVAL");
    bn.eps = 1e-5;
    bn.momentum = 1.5;
    ok(asgml_bn_desc_check(&bn) == ASGML_EINVAL, "bn desc: momentum 1.5 is EINVAL");

    asgml_conv_algo_cache c;
    asgml_conv_algo_cache_init(&c);
    asgml_conv_algo_entry *e1 = NULL, *e2 = NULL, *e3 = NULL;
    ok(asgml_conv_algo_cache_get(&c, &stem, 1, 0, &e1) == ASGML_OK && e1 && !e1->have[0] &&
           c.count == 1,
       "cache: new shape gives an empty entry");
    e1->have[ASGML_CONV_BWD_FILTER] = 1;
    e1->choice[ASGML_CONV_BWD_FILTER] = perf(3, 1, 4096, 1, 0);
    ok(asgml_conv_algo_cache_get(&c, &stem, 1, 0, &e2) == ASGML_OK && e2 == e1 && c.count == 1,
       "cache: same shape and settings hit");
    ok(asgml_conv_algo_cache_get(&c, &stem, 0, 0, &e3) == ASGML_OK && e3 != e1 && c.count == 2,
       "cache: a different precision is a different entry");
    ok(asgml_conv_algo_cache_get(&c, &stem, 1, 1, &e3) == ASGML_OK && c.count == 3,
       "cache: deterministic is a different entry");
    /* grow past the first capacity; the contents survive the move */
    int all = 1;
    for (int i = 0; i < 100; i++) {
        asgml_conv2d_desc d;
        asgml_conv2d_desc_init(&d, 1 + i, 64, 56, 56, 64, 3, 1, 1);
        all &= asgml_conv_algo_cache_get(&c, &d, 1, 0, &e3) == ASGML_OK;
    }
    ok(all && c.count == 103 && asgml_conv_algo_cache_get(&c, &stem, 1, 0, &e2) == ASGML_OK &&
           e2->have[ASGML_CONV_BWD_FILTER] && e2->choice[ASGML_CONV_BWD_FILTER].algo == 3 &&
           e2->choice[ASGML_CONV_BWD_FILTER].workspace == 4096 && c.count == 103,
       "cache: 103 entries, the first choice kept");
    asgml_conv_algo_cache_free(&c);
    ok(c.count == 0 && c.entries == NULL, "cache: freed");
}

/* column-major reference: C (m,n) = alpha op(A) op(B) + beta C, ld in rows */
static void colmajor_gemm(int ta, int tb, int m, int n, int k, float alpha, const float *a,
                          int lda, const float *b, int ldb, float beta, float *c, int ldc)
{
    for (int j = 0; j < n; j++)
        for (int i = 0; i < m; i++) {
            double s = 0.0;
            for (int l = 0; l < k; l++) {
                double av = ta ? a[l + (size_t)i * lda] : a[i + (size_t)l * lda];
                double bv = tb ? b[j + (size_t)l * ldb] : b[l + (size_t)j * ldb];
                s += av * bv;
            }
            c[i + (size_t)j * ldc] = (float)(alpha * s + beta * c[i + (size_t)j * ldc]);
        }
}

/* row-major reference, the op table's definition */
static void rowmajor_gemm(int ta, int tb, int m, int n, int k, float alpha, const float *a,
                          int lda, const float *b, int ldb, float beta, float *c, int ldc)
{
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double s = 0.0;
            for (int l = 0; l < k; l++) {
                double av = ta ? a[(size_t)l * lda + i] : a[(size_t)i * lda + l];
                double bv = tb ? b[(size_t)j * ldb + l] : b[(size_t)l * ldb + j];
                s += av * bv;
            }
            c[(size_t)i * ldc + j] = (float)(alpha * s + beta * c[(size_t)i * ldc + j]);
        }
}

static void test_gemm_map(void)
{
    const int m = 5, n = 7, k = 3;
    int cases_ok = 1;
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            int lda = (ta ? m : k) + 2, ldb = (tb ? k : n) + 1, ldc = n + 3;
            int arows = ta ? k : m, brows = tb ? n : k;
            float a[64], b[64], c1[64], c2[64];
            for (int i = 0; i < 64; i++) {
                a[i] = (float)((i * 7) % 11) - 5.0f;
                b[i] = (float)((i * 5) % 13) - 6.0f;
                c1[i] = c2[i] = (float)(i % 3);
            }
            (void)arows;
            (void)brows;
            asgml_gemm_colmajor g;
            if (asgml_gemm_to_colmajor(ta, tb, m, n, k, lda, ldb, ldc, &g) != ASGML_OK) {
                cases_ok = 0;
                continue;
            }
            rowmajor_gemm(ta, tb, m, n, k, 0.5f, a, lda, b, ldb, 2.0f, c1, ldc);
            /* what cuBLAS would compute, with the mapped arguments */
            colmajor_gemm(g.trans_first, g.trans_second, g.m, g.n, g.k, 0.5f, b, g.ld_first, a,
                          g.ld_second, 2.0f, c2, g.ldc);
            for (int i = 0; i < 64; i++)
                if (c1[i] != c2[i]) cases_ok = 0;
            ok(cases_ok, "gemm map: trans_a=%d trans_b=%d with padded leading dimensions", ta, tb);
        }
    asgml_gemm_colmajor g;
    ok(asgml_gemm_to_colmajor(0, 0, 4, 6, 5, 4, 6, 6, &g) == ASGML_EINVAL,
       "gemm map: lda below k is EINVAL");
    ok(asgml_gemm_to_colmajor(1, 0, 4, 6, 5, 4, 6, 6, &g) == ASGML_OK && g.m == 6 && g.n == 4 &&
           g.trans_first == 0 && g.trans_second == 1,
       "gemm map: transposed A with lda = m is fine; cuBLAS m,n swapped");
    ok(asgml_gemm_to_colmajor(0, 1, 4, 6, 5, 5, 4, 6, &g) == ASGML_EINVAL,
       "gemm map: transposed B needs ldb >= k");
    ok(asgml_gemm_to_colmajor(0, 0, -1, 6, 5, 5, 6, 6, &g) == ASGML_EINVAL,
       "gemm map: negative size is EINVAL");
}

static void test_grid(void)
{
    ok(asgml_k_grid(0, 1) == 0 && asgml_k_grid(-5, 1) == 0, "grid: empty gives 0 blocks");
    ok(asgml_k_grid(1, 1) == 1 && asgml_k_grid(ASGML_K_BLOCK, 1) == 1 &&
           asgml_k_grid(ASGML_K_BLOCK + 1, 1) == 2,
       "grid: one block per %d items", ASGML_K_BLOCK);
    ok(asgml_k_grid((int64_t)1 << 40, 1) == ASGML_K_MAX_BLOCKS, "grid: capped");
    ok(asgml_k_grid(4 * ASGML_K_BLOCK, 4) == 1, "grid: items per thread");
    ok(asgml_k_reduce_blocks(0) == 0 && asgml_k_reduce_blocks(1) == 1 &&
           asgml_k_reduce_blocks((int64_t)1 << 40) == 1024,
       "grid: reductions use 1..1024 partials");
}

static void test_create(void)
{
    asgml_backend *be = NULL;
    asgml_clear_error();
    asgml_status st = asgml_backend_create("cuda", NULL, &be);
    if (st == ASGML_OK) {
        ok(be && be->ops && strcmp(be->ops->name, "cuda") == 0 &&
               asgml_backend_supports(be, ASGML_OP_CONV2D_FORWARD),
           "create: a device is present and the backend opens");
        asgml_backend_destroy(be);
    } else if (st == ASGML_EDEVICE) {
        ok(be == NULL && strncmp(asgml_last_error(), "no CUDA device: ", 16) == 0 &&
               !strchr(asgml_last_error(), '\n'),
           "create without a device: one line, \"%s\"", asgml_last_error());
    } else {
        ok(st == ASGML_ENOTSUP && strstr(asgml_last_error(), "cuDNN"),
           "create without cuDNN: ENOTSUP naming cuDNN: %s", asgml_last_error());
    }
    asgml_backend_options opt = {0, 0, -1, 99};
    st = asgml_backend_create("cuda", &opt, &be);
    ok(st != ASGML_OK && be == NULL, "create: device index 99 fails (%s)", asgml_last_error());
}

int main(void)
{
    test_pool();
    test_pick();
    test_cache_and_desc();
    test_gemm_map();
    test_grid();
    test_create();
    return tap_done();
}
