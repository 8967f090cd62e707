/* SPDX-License-Identifier: MIT */
/* cpu/backend_cpu.c - the CPU reference backend: the op table, memory ops
 * and the elementwise, reduction and random ops.
 *
 * Memory is ordinary host memory (64-byte aligned).  Elementwise loops run
 * under OpenMP with a static schedule; host reductions (sumsq, mean_std)
 * sum fixed blocks of ASGML_CPU_BLOCK elements in double and then add the
 * block sums in order, so their result does not even depend on the thread
 * count. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "cpu.h"

#ifdef _OPENMP
#include <omp.h>
#endif

#define ASGML_CPU_BLOCK 8192
/* loops shorter than this stay on one thread */
#define ASGML_CPU_PAR_MIN 32768

#define CHECK_N(n)                                                                          \
    do {                                                                                    \
        if ((n) < 0)                                                                        \
            return ASGML_ERR(ASGML_EINVAL, "negative element count %lld", (long long)(n)); \
    } while (0)

/* BLAS thread control, present in OpenBLAS only: weak so that any BLAS links. */
extern void openblas_set_num_threads(int num_threads) __attribute__((weak));
extern int blas_thread_shutdown_(void) __attribute__((weak));

/* The backend splits GEMMs over its own OpenMP threads, so the BLAS runs
 * single-threaded.  OpenBLAS' idle pool thread (pthreads build) still
 * contends with the OpenMP workers: measured on Debian 12 / OpenBLAS 0.3.21
 * with 2 cores, conv2d ran 2-8x slower, in multiples of the 4 ms scheduler
 * tick, unless the pool is shut down.  With one thread OpenBLAS never
 * restarts it. */
void asgml_cpu_blas_threads(const asgml_backend *be)
{
    static int done;
    (void)be;
    if (done) return;
    if (openblas_set_num_threads) openblas_set_num_threads(1);
    if (blas_thread_shutdown_) blas_thread_shutdown_();
    done = 1;
}

asgml_status asgml_cpu_workspace(asgml_backend *be, size_t nfloats, float **ws)
{
    asgml_cpu_impl *impl = be->impl;
    if (nfloats > impl->work_floats) {
        void *p = NULL;
        size_t bytes = (nfloats * sizeof(float) + 63) & ~(size_t)63;
        if (posix_memalign(&p, 64, bytes) != 0)
            return ASGML_ERR(ASGML_ENOMEM, "cannot allocate %zu bytes of conv2d "
                               "workspace", bytes);
        free(impl->work);
        impl->work = p;
        impl->work_floats = nfloats;
    }
    *ws = impl->work;
    return ASGML_OK;
}

void asgml_cpu_workspace_release(asgml_backend *be)
{
    asgml_cpu_impl *impl = be->impl;
    free(impl->work);
    impl->work = NULL;
    impl->work_floats = 0;
}

/* ---- memory ---- */

static asgml_status cpu_alloc(asgml_backend *be, size_t bytes, void **ptr)
{
    (void)be;
    void *p = NULL;
    size_t rounded = ((bytes ? bytes : 1) + 63) & ~(size_t)63;
    if (posix_memalign(&p, 64, rounded) != 0) {
        *ptr = NULL;
        return ASGML_ERR(ASGML_ENOMEM, "cannot allocate %zu bytes",
                           bytes);
    }
    *ptr = p;
    return ASGML_OK;
}

static void cpu_free(asgml_backend *be, void *ptr)
{
    (void)be;
    free(ptr);
}

static asgml_status cpu_memcpy(asgml_backend *be, void *dst, const void *src, size_t bytes)
{
    (void)be;
    if (bytes && dst != src) memmove(dst, src, bytes);
    return ASGML_OK;
}

static asgml_status cpu_synchronize(asgml_backend *be)
{
    (void)be;
    return ASGML_OK;
}

/* ---- elementwise ---- */

static asgml_status cpu_relu_forward(asgml_backend *be, int64_t n, const float *x, float *y)
{
    CHECK_N(n);
    int nt = asgml_cpu_threads(be);
#pragma omp parallel for simd num_threads(nt) schedule(static) if (parallel: n > ASGML_CPU_PAR_MIN)
    for (int64_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
    return ASGML_OK;
}

static asgml_status cpu_relu_backward(asgml_backend *be, int64_t n, const float *y,
                                      const float *dy, float *dx)
{
    CHECK_N(n);
    int nt = asgml_cpu_threads(be);
#pragma omp parallel for simd num_threads(nt) schedule(static) if (parallel: n > ASGML_CPU_PAR_MIN)
    for (int64_t i = 0; i < n; i++) {
        /* both loads unconditional: the select vectorises as a blend */
        const float g = dy[i], v = y[i];
        dx[i] += v > 0.0f ? g : 0.0f;
    }
    return ASGML_OK;
}

static asgml_status cpu_sigmoid_forward(asgml_backend *be, int64_t n, const float *x, float *y)
{
    CHECK_N(n);
    int nt = asgml_cpu_threads(be);
#pragma omp parallel for simd num_threads(nt) schedule(static) if (parallel: n > ASGML_CPU_PAR_MIN)
    for (int64_t i = 0; i < n; i++) {
        /* stable for large |x|: exp of a non-positive number only */
        float v = x[i];
        if (v >= 0.0f) {
            y[i] = 1.0f / (1.0f + expf(-v));
        } else {
            float e = expf(v);
            y[i] = e / (1.0f + e);
        }
    }
    return ASGML_OK;
}

static asgml_status cpu_sigmoid_backward(asgml_backend *be, int64_t n, const float *y,
                                         const float *dy, float *dx)
{
    CHECK_N(n);
    int nt = asgml_cpu_threads(be);
#pragma omp parallel for simd num_threads(nt) schedule(static) if (parallel: n > ASGML_CPU_PAR_MIN)
    for (int64_t i = 0; i < n; i++) dx[i] += dy[i] * y[i] * (1.0f - y[i]);
    return ASGML_OK;
}

/* Element i uses word i % 4 of Philox block offset + i / 4. */
static asgml_status cpu_dropout_forward(asgml_backend *be, int64_t n, float p, uint64_t seed,
                                        uint64_t offset, const float *x, float *y, float *mask)
{
    CHECK_N(n);
    if (!(p >= 0.0f && p < 1.0f))
        return ASGML_ERR(ASGML_EINVAL, "dropout probability %g is not in [0, 1)", (double)p);
    const float keep = 1.0f / (1.0f - p);
    const int64_t nblocks = (n + 3) / 4;
    int nt = asgml_cpu_threads(be);
#pragma omp parallel for num_threads(nt) schedule(static) if (n > ASGML_CPU_PAR_MIN / 4)
    for (int64_t blk = 0; blk < nblocks; blk++) {
        uint32_t r[4];
        asgml_philox4x32(seed, offset + (uint64_t)blk, r);
        for (int j = 0; j < 4; j++) {
            int64_t i = blk * 4 + j;
            if (i >= n) break;
            float u = (float)(((double)r[j] + 1.0) * (1.0 / 4294967296.0));
            float m = u >= p ? keep : 0.0f;
            mask[i] = m;
            y[i] = x[i] * m;
        }
    }
    return ASGML_OK;
}

static asgml_status cpu_dropout_backward(asgml_backend *be, int64_t n, const float *mask,
                                         const float *dy, float *dx)
{
    CHECK_N(n);
    int nt = asgml_cpu_threads(be);
#pragma omp parallel for simd num_threads(nt) schedule(static) if (parallel: n > ASGML_CPU_PAR_MIN)
    for (int64_t i = 0; i < n; i++) dx[i] += dy[i] * mask[i];
    return ASGML_OK;
}

static asgml_status cpu_add(asgml_backend *be, int64_t n, const float *a, const float *b,
                            float *y)
{
    CHECK_N(n);
    int nt = asgml_cpu_threads(be);
#pragma omp parallel for simd num_threads(nt) schedule(static) if (parallel: n > ASGML_CPU_PAR_MIN)
    for (int64_t i = 0; i < n; i++) y[i] = a[i] + b[i];
    return ASGML_OK;
}

/* relu(a + b) as add then relu_forward compute it (v > 0 ? v : 0) */
static asgml_status cpu_add_relu(asgml_backend *be, int64_t n, const float *a, const float *b,
                                 float *y)
{
    CHECK_N(n);
    int nt = asgml_cpu_threads(be);
#pragma omp parallel for simd num_threads(nt) schedule(static) if (parallel: n > ASGML_CPU_PAR_MIN)
    for (int64_t i = 0; i < n; i++) {
        const float v = a[i] + b[i];
        y[i] = v > 0.0f ? v : 0.0f;
    }
    return ASGML_OK;
}

static asgml_status cpu_mul(asgml_backend *be, int64_t n, const float *a, const float *b,
                            float *y)
{
    CHECK_N(n);
    int nt = asgml_cpu_threads(be);
#pragma omp parallel for simd num_threads(nt) schedule(static) if (parallel: n > ASGML_CPU_PAR_MIN)
    for (int64_t i = 0; i < n; i++) y[i] = a[i] * b[i];
    return ASGML_OK;
}

static asgml_status cpu_axpy(asgml_backend *be, int64_t n, float alpha, const float *x,
                             float *y)
{
    CHECK_N(n);
    int nt = asgml_cpu_threads(be);
#pragma omp parallel for simd num_threads(nt) schedule(static) if (parallel: n > ASGML_CPU_PAR_MIN)
    for (int64_t i = 0; i < n; i++) y[i] += alpha * x[i];
    return ASGML_OK;
}

static asgml_status cpu_scale(asgml_backend *be, int64_t n, float alpha, float *x)
{
    CHECK_N(n);
    int nt = asgml_cpu_threads(be);
#pragma omp parallel for simd num_threads(nt) schedule(static) if (parallel: n > ASGML_CPU_PAR_MIN)
    for (int64_t i = 0; i < n; i++) x[i] *= alpha;
    return ASGML_OK;
}

static asgml_status cpu_fill(asgml_backend *be, int64_t n, float value, float *x)
{
    CHECK_N(n);
    int nt = asgml_cpu_threads(be);
    if (value == 0.0f && !signbit(value)) {
        /* one memset per thread over a contiguous block: a 64-MiB gradient
         * buffer is zeroed at memory speed, which one core does not reach */
#pragma omp parallel for num_threads(nt) schedule(static) if (parallel: n > 16 * ASGML_CPU_PAR_MIN)
        for (int t = 0; t < nt; t++) {
            const int64_t lo = n * t / nt, hi = n * (t + 1) / nt;
            memset(x + lo, 0, (size_t)(hi - lo) * sizeof(float));
        }
        return ASGML_OK;
    }
#pragma omp parallel for simd num_threads(nt) schedule(static) if (parallel: n > ASGML_CPU_PAR_MIN)
    for (int64_t i = 0; i < n; i++) x[i] = value;
    return ASGML_OK;
}

static asgml_status cpu_copy(asgml_backend *be, int64_t n, const float *x, float *y)
{
    CHECK_N(n);
    (void)be;
    if (n && x != y) memmove(y, x, (size_t)n * sizeof(float));
    return ASGML_OK;
}

/* bias: y (rows, cols) += bias (cols); dbias (cols) += column sums of dy */
static asgml_status cpu_bias_forward(asgml_backend *be, int64_t rows, int64_t cols,
                                     const float *bias, float *y)
{
    CHECK_N(rows);
    CHECK_N(cols);
    int nt = asgml_cpu_threads(be);
#pragma omp parallel for num_threads(nt) schedule(static) if (rows * cols > ASGML_CPU_PAR_MIN)
    for (int64_t r = 0; r < rows; r++)
        for (int64_t j = 0; j < cols; j++) y[r * cols + j] += bias[j];
    return ASGML_OK;
}

static asgml_status cpu_bias_backward(asgml_backend *be, int64_t rows, int64_t cols,
                                      const float *dy, float *dbias)
{
    CHECK_N(rows);
    CHECK_N(cols);
    int nt = asgml_cpu_threads(be);
    /* each column summed over rows in order, in double */
#pragma omp parallel for num_threads(nt) schedule(static) if (rows * cols > ASGML_CPU_PAR_MIN)
    for (int64_t j = 0; j < cols; j++) {
        double s = 0.0;
        for (int64_t r = 0; r < rows; r++) s += dy[r * cols + j];
        dbias[j] += (float)s;
    }
    return ASGML_OK;
}

/* x (b, t, c) -> y (b, c) mean over t; dx (b, t, c) += dy / t */
static asgml_status cpu_segment_mean_forward(asgml_backend *be, int b, int t, int c,
                                             const float *x, float *y)
{
    if (b < 0 || t <= 0 || c < 0)
        return ASGML_ERR(ASGML_EINVAL, "bad segment shape (%d, %d, %d)", b, t, c);
    int nt = asgml_cpu_threads(be);
#pragma omp parallel for num_threads(nt) schedule(static) if ((int64_t)b * t * c > ASGML_CPU_PAR_MIN)
    for (int i = 0; i < b; i++)
        for (int k = 0; k < c; k++) {
            double s = 0.0;
            for (int j = 0; j < t; j++) s += x[((int64_t)i * t + j) * c + k];
            y[(int64_t)i * c + k] = (float)(s / t);
        }
    return ASGML_OK;
}

static asgml_status cpu_segment_mean_backward(asgml_backend *be, int b, int t, int c,
                                              const float *dy, float *dx)
{
    if (b < 0 || t <= 0 || c < 0)
        return ASGML_ERR(ASGML_EINVAL, "bad segment shape (%d, %d, %d)", b, t, c);
    const float inv_t = 1.0f / (float)t;
    int nt = asgml_cpu_threads(be);
#pragma omp parallel for num_threads(nt) schedule(static) if ((int64_t)b * t * c > ASGML_CPU_PAR_MIN)
    for (int i = 0; i < b; i++)
        for (int j = 0; j < t; j++)
            for (int k = 0; k < c; k++)
                dx[((int64_t)i * t + j) * c + k] += dy[(int64_t)i * c + k] * inv_t;
    return ASGML_OK;
}

/* ---- host reductions (block sums in double, blocks added in order) ---- */

/* what = 0: sum x ; 1: sum x^2 ; 2: sum (x - center)^2 */
static asgml_status block_sum(const asgml_backend *be, int64_t n, const float *x, int what,
                              double center, double *out)
{
    const int64_t nblocks = (n + ASGML_CPU_BLOCK - 1) / ASGML_CPU_BLOCK;
    double stack[256];
    double *part = nblocks <= 256 ? stack : malloc((size_t)nblocks * sizeof(double));
    if (!part)
        return ASGML_ERR(ASGML_ENOMEM, "cannot allocate %lld partial sums", (long long)nblocks);
    int nt = asgml_cpu_threads(be);
#pragma omp parallel for num_threads(nt) schedule(static) if (nblocks > 4)
    for (int64_t blk = 0; blk < nblocks; blk++) {
        int64_t lo = blk * ASGML_CPU_BLOCK;
        int64_t hi = lo + ASGML_CPU_BLOCK < n ? lo + ASGML_CPU_BLOCK : n;
        double s = 0.0;
        if (what == 0)
            for (int64_t i = lo; i < hi; i++) s += x[i];
        else if (what == 1)
            for (int64_t i = lo; i < hi; i++) s += (double)x[i] * x[i];
        else
            for (int64_t i = lo; i < hi; i++) {
                double d = x[i] - center;
                s += d * d;
            }
        part[blk] = s;
    }
    double total = 0.0;
    for (int64_t blk = 0; blk < nblocks; blk++) total += part[blk];
    if (part != stack) free(part);
    *out = total;
    return ASGML_OK;
}

static asgml_status cpu_sumsq(asgml_backend *be, int64_t n, const float *x, double *out)
{
    CHECK_N(n);
    return block_sum(be, n, x, 1, 0.0, out);
}

/* mean and unbiased standard deviation (two passes); n == 1 gives std = NaN
 * like torch.std. */
static asgml_status cpu_mean_std(asgml_backend *be, int64_t n, const float *x, double *mean,
                                 double *std)
{
    if (n <= 0)
        return ASGML_ERR(ASGML_EINVAL, "mean_std of %lld elements", (long long)n);
    double s, ss;
    asgml_status st = block_sum(be, n, x, 0, 0.0, &s);
    if (st) return st;
    double m = s / (double)n;
    st = block_sum(be, n, x, 2, m, &ss);
    if (st) return st;
    if (mean) *mean = m;
    if (std) *std = n > 1 ? sqrt(ss / (double)(n - 1)) : NAN;
    return ASGML_OK;
}

static asgml_status cpu_nonfinite_count(asgml_backend *be, int64_t n, const float *x,
                                        int64_t *out)
{
    CHECK_N(n);
    int64_t count = 0;
    int nt = asgml_cpu_threads(be);
#pragma omp parallel for num_threads(nt) schedule(static) reduction(+ : count) if (n > ASGML_CPU_PAR_MIN)
    for (int64_t i = 0; i < n; i++) count += !isfinite(x[i]);
    *out = count;
    return ASGML_OK;
}

/* x += sigma * N(0,1): pair (2j, 2j+1) comes from Philox block offset + j by
 * Box-Muller (see asgml/backend.h and asgml_philox_gauss). */
static asgml_status cpu_gaussian_noise(asgml_backend *be, int64_t n, float sigma,
                                       uint64_t seed, uint64_t offset, float *x)
{
    CHECK_N(n);
    const int64_t npairs = (n + 1) / 2;
    int nt = asgml_cpu_threads(be);
#pragma omp parallel for num_threads(nt) schedule(static) if (n > ASGML_CPU_PAR_MIN / 8)
    for (int64_t j = 0; j < npairs; j++) {
        uint32_t r[4];
        asgml_philox4x32(seed, offset + (uint64_t)j, r);
        double rad = sqrt(-2.0 * log(((double)r[0] + 1.0) * (1.0 / 4294967296.0)));
        double ang = 2.0 * M_PI * (((double)r[1] + 1.0) * (1.0 / 4294967296.0));
        x[2 * j] += sigma * (float)(rad * cos(ang));
        if (2 * j + 1 < n) x[2 * j + 1] += sigma * (float)(rad * sin(ang));
    }
    return ASGML_OK;
}

/* ---- table ---- */

static void cpu_destroy(asgml_backend *be)
{
    if (!be) return;
    asgml_cpu_impl *impl = be->impl;
    if (impl) free(impl->work), free(impl->choices);
    free(impl);
    free(be);
}

static const asgml_backend_ops cpu_ops = {
    .name = "cpu",
    .destroy = cpu_destroy,
    .alloc = cpu_alloc,
    .free = cpu_free,
    .to_device = cpu_memcpy,
    .to_host = cpu_memcpy,
    .synchronize = cpu_synchronize,
    .conv_algo_mode = asgml_cpu_conv_algo_mode,
    .conv_algo_entry = asgml_cpu_conv_algo_entry,
    .conv_algo_pin = asgml_cpu_conv_algo_pin,
    .conv2d_forward = asgml_cpu_conv2d_forward,
    .conv2d_backward_data = asgml_cpu_conv2d_backward_data,
    .conv2d_backward_filter = asgml_cpu_conv2d_backward_filter,
    .batchnorm_forward_train = asgml_cpu_batchnorm_forward_train,
    .batchnorm_forward_infer = asgml_cpu_batchnorm_forward_infer,
    .batchnorm_backward = asgml_cpu_batchnorm_backward,
    .batchnorm_relu_forward_train = asgml_cpu_batchnorm_relu_forward_train,
    .batchnorm_relu_forward_infer = asgml_cpu_batchnorm_relu_forward_infer,
    .batchnorm_relu_backward = asgml_cpu_batchnorm_relu_backward,
    .maxpool_forward = asgml_cpu_maxpool_forward,
    .maxpool_backward = asgml_cpu_maxpool_backward,
    .avgpool_forward = asgml_cpu_avgpool_forward,
    .avgpool_backward = asgml_cpu_avgpool_backward,
    .gemm = asgml_cpu_gemm,
    .bias_forward = cpu_bias_forward,
    .bias_backward = cpu_bias_backward,
    .relu_forward = cpu_relu_forward,
    .relu_backward = cpu_relu_backward,
    .sigmoid_forward = cpu_sigmoid_forward,
    .sigmoid_backward = cpu_sigmoid_backward,
    .dropout_forward = cpu_dropout_forward,
    .dropout_backward = cpu_dropout_backward,
    .add = cpu_add,
    .add_relu = cpu_add_relu,
    .mul = cpu_mul,
    .axpy = cpu_axpy,
    .scale = cpu_scale,
    .fill = cpu_fill,
    .copy = cpu_copy,
    .segment_mean_forward = cpu_segment_mean_forward,
    .segment_mean_backward = cpu_segment_mean_backward,
    .softmax_ce = asgml_cpu_softmax_ce,
    .sumsq = cpu_sumsq,
    .mean_std = cpu_mean_std,
    .nonfinite_count = cpu_nonfinite_count,
    .sgd_update = asgml_cpu_sgd_update,
    .adam_update = asgml_cpu_adam_update,
    .gaussian_noise = cpu_gaussian_noise,
};

asgml_status asgml_cpu_backend_create(const asgml_backend_options *opt, asgml_backend **out)
{
    asgml_backend *be = calloc(1, sizeof *be);
    asgml_cpu_impl *impl = calloc(1, sizeof *impl);
    if (!be || !impl) {
        free(be);
        free(impl);
        return ASGML_ERR(ASGML_ENOMEM, "cannot allocate the cpu backend");
    }
    int nt = opt->num_threads;
#ifdef _OPENMP
    if (nt <= 0) nt = omp_get_max_threads();
#else
    nt = 1;
#endif
    impl->threads = nt > 0 ? nt : 1;
    impl->conv_budget = ASGML_CPU_CONV_BUDGET;
    impl->conv_mode = ASGML_CPU_CONV_AUTO;
    be->ops = &cpu_ops;
    be->num_threads = opt->num_threads;
    be->deterministic = opt->deterministic;
    be->tf32 = 0;
    be->impl = impl;
    *out = be;
    return ASGML_OK;
}
