/* SPDX-License-Identifier: MIT */
/* backend_cuda.c - the "cuda" backend: creation (device, stream, cuBLAS
 * and cuDNN handles), the device-memory pool, host<->device copies, error
 * reporting, the ops table, and the thin wrappers that check arguments and
 * queue the custom kernels of kernels_*.cu.  Convolution and batch norm
 * live in cudnn_ops.c, GEMM in cublas_ops.c.
 *
 * Execution model: every op is queued on one non-blocking stream and
 * returns without waiting, except to_host, synchronize and the ops that
 * return host values (sumsq, mean_std, nonfinite_count, softmax_ce), which
 * copy a few doubles back through pinned memory and wait for them.  Kernel
 * faults therefore surface at the next such call.  One backend must not be
 * used by two host threads at once; the device is made current in create
 * (cudaSetDevice is per host thread: a thread other than the creator
 * works on device 0 unless it is the same device). */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include "core/error.h"
#include "cuda/cuda_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cuda/kernels.h"

/* ---- error reporting --------------------------------------------------- */

asgml_status asgml_cuda_fail_rt(cudaError_t e, const char *file, int line, const char *call)
{
    asgml_status st = e == cudaErrorMemoryAllocation ? ASGML_ENOMEM : ASGML_EDEVICE;
    return asgml_error_at(file, line, st, "%s: %s (%s)", call, cudaGetErrorString(e),
                       cudaGetErrorName(e));
}

asgml_status asgml_cuda_fail_blas(cublasStatus_t s, const char *file, int line,
                                  const char *call)
{
    asgml_status st = s == CUBLAS_STATUS_ALLOC_FAILED ? ASGML_ENOMEM : ASGML_EDEVICE;
    return asgml_error_at(file, line, st, "%s: %s", call, cublasGetStatusString(s));
}

#ifdef ASGML_HAVE_CUDNN
asgml_status asgml_cuda_fail_dnn(cudnnStatus_t s, const char *file, int line, const char *call)
{
    asgml_status st = s == CUDNN_STATUS_ALLOC_FAILED ? ASGML_ENOMEM : ASGML_EDEVICE;
    return asgml_error_at(file, line, st, "%s: %s", call, cudnnGetErrorString(s));
}
#endif

#define ARG_CHECK(cond, ...)                                                     \
    do {                                                                         \
        if (!(cond)) return ASGML_ERR(ASGML_EINVAL, __VA_ARGS__);                \
    } while (0)
#define CHECK_N(n) ARG_CHECK((n) >= 0, "negative element count %lld", (long long)(n))

/* ---- device-memory pool (pure logic; the raw allocator is the seam) ---- */

size_t asgml_devpool_round(size_t bytes)
{
    if (bytes == 0 || bytes > SIZE_MAX - ASGML_DEVPOOL_ALIGN) return 0;
    return (bytes + ASGML_DEVPOOL_ALIGN - 1) / ASGML_DEVPOOL_ALIGN * ASGML_DEVPOOL_ALIGN;
}

void asgml_devpool_init(asgml_devpool *p, const asgml_devpool_seam *seam)
{
    memset(p, 0, sizeof *p);
    p->seam = *seam;
}

static void devpool_remove(asgml_devpool *p, size_t i)
{
    p->bytes_reserved -= p->blocks[i].bytes;
    p->blocks[i] = p->blocks[p->count - 1];
    p->count--;
}

void asgml_devpool_trim(asgml_devpool *p)
{
    size_t i = 0;
    while (i < p->count) {
        if (!p->blocks[i].in_use) {
            p->seam.raw_free(p->seam.ctx, p->blocks[i].ptr);
            devpool_remove(p, i);
        } else {
            i++;
        }
    }
}

asgml_status asgml_devpool_alloc(asgml_devpool *p, size_t bytes, void **ptr)
{
    *ptr = NULL;
    if (bytes == 0) return ASGML_OK;
    size_t want = asgml_devpool_round(bytes);
    if (want == 0)
        return ASGML_ERR(ASGML_ENOMEM, "device allocation of %zu bytes is too large", bytes);
    /* best fit among cached blocks of at most twice the request */
    size_t best = p->count;
    for (size_t i = 0; i < p->count; i++) {
        const asgml_devpool_block *b = &p->blocks[i];
        if (b->in_use || b->bytes < want || b->bytes / 2 > want) continue;
        if (best == p->count || b->bytes < p->blocks[best].bytes) best = i;
    }
    if (best == p->count) {
        if (p->count == p->cap) {
            size_t cap = p->cap ? 2 * p->cap : 64;
            asgml_devpool_block *nb = realloc(p->blocks, cap * sizeof *nb);
            if (!nb)
                return ASGML_ERR(ASGML_ENOMEM, "out of host memory for the pool table");
            p->blocks = nb;
            p->cap = cap;
        }
        void *raw = NULL;
        asgml_status st = p->seam.raw_alloc(p->seam.ctx, want, &raw);
        if (st == ASGML_ENOMEM && p->bytes_reserved > p->bytes_in_use) {
            asgml_devpool_trim(p);   /* give the cache back and try once more */
            st = p->seam.raw_alloc(p->seam.ctx, want, &raw);
        }
        if (st != ASGML_OK) return st;
        best = p->count++;
        p->blocks[best].ptr = raw;
        p->blocks[best].bytes = want;
        p->blocks[best].in_use = 0;
        p->bytes_reserved += want;
        p->raw_allocs++;
    }
    p->blocks[best].in_use = 1;
    p->bytes_in_use += p->blocks[best].bytes;
    if (p->bytes_in_use > p->peak_in_use) p->peak_in_use = p->bytes_in_use;
    *ptr = p->blocks[best].ptr;
    return ASGML_OK;
}

static size_t devpool_find(const asgml_devpool *p, const void *ptr)
{
    for (size_t i = 0; i < p->count; i++)
        if (p->blocks[i].ptr == ptr) return i;
    return p->count;
}

asgml_status asgml_devpool_free(asgml_devpool *p, void *ptr)
{
    if (!ptr) return ASGML_OK;
    size_t i = devpool_find(p, ptr);
    if (i == p->count || !p->blocks[i].in_use)
        return ASGML_ERR(ASGML_EINTERNAL, "freeing %p, which the device pool does not hold in use", ptr);
    p->blocks[i].in_use = 0;
    p->bytes_in_use -= p->blocks[i].bytes;
    return ASGML_OK;
}

asgml_status asgml_devpool_release(asgml_devpool *p, void *ptr)
{
    if (!ptr) return ASGML_OK;
    asgml_status st = asgml_devpool_free(p, ptr);
    if (st != ASGML_OK) return st;
    size_t i = devpool_find(p, ptr);
    p->seam.raw_free(p->seam.ctx, ptr);
    devpool_remove(p, i);
    return ASGML_OK;
}

void asgml_devpool_destroy(asgml_devpool *p)
{
    for (size_t i = 0; i < p->count; i++) p->seam.raw_free(p->seam.ctx, p->blocks[i].ptr);
    free(p->blocks);
    memset(p, 0, sizeof *p);
}

/* the real seam: cudaMalloc / cudaFree (never managed memory) */
static asgml_status raw_cuda_alloc(void *ctx, size_t bytes, void **ptr)
{
    (void)ctx;
    CUDA_CHECK(cudaMalloc(ptr, bytes));
    return ASGML_OK;
}

static void raw_cuda_free(void *ctx, void *ptr)
{
    (void)ctx;
    /* cudaFree waits for the device; a failure here (a sticky earlier
     * fault) has no caller to go to and was reported by that earlier op */
    (void)cudaFree(ptr);
}

/* ---- memory, copies, scratch -------------------------------------------- */

asgml_status asgml_cuda_alloc(asgml_backend *be, size_t bytes, void **ptr)
{
    ARG_CHECK(ptr, "NULL output pointer");
    return asgml_devpool_alloc(&asgml_cuda(be)->pool, bytes, ptr);
}

void asgml_cuda_free(asgml_backend *be, void *ptr)
{
    /* the op table's free cannot report; a foreign pointer is left alone */
    (void)asgml_devpool_free(&asgml_cuda(be)->pool, ptr);
}

static asgml_status cuda_to_device(asgml_backend *be, void *dst, const void *src, size_t bytes)
{
    if (bytes == 0) return ASGML_OK;
    ARG_CHECK(dst && src, "NULL buffer");
    /* from pageable memory the call returns once src has been staged, so
     * the caller may reuse src at once; the copy stays ordered on the stream */
    CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, asgml_cuda(be)->stream));
    return ASGML_OK;
}

static asgml_status cuda_to_host(asgml_backend *be, void *dst, const void *src, size_t bytes)
{
    if (bytes == 0) return ASGML_OK;
    ARG_CHECK(dst && src, "NULL buffer");
    asgml_cuda_impl *c = asgml_cuda(be);
    CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, c->stream));
    CUDA_CHECK(cudaStreamSynchronize(c->stream));
    return ASGML_OK;
}

static asgml_status cuda_synchronize(asgml_backend *be)
{
    CUDA_CHECK(cudaStreamSynchronize(asgml_cuda(be)->stream));
    return ASGML_OK;
}

asgml_status asgml_cuda_workspace(asgml_backend *be, size_t bytes, void **ws)
{
    asgml_cuda_impl *c = asgml_cuda(be);
    if (bytes > c->workspace_bytes) {
        /* grow in 1 MiB steps; the old block may still be read by queued work */
        size_t want = (bytes + ((size_t)1 << 20) - 1) & ~(((size_t)1 << 20) - 1);
        if (c->workspace) {
            CUDA_CHECK(cudaStreamSynchronize(c->stream));
            asgml_status st = asgml_devpool_release(&c->pool, c->workspace);
            c->workspace = NULL;
            c->workspace_bytes = 0;
            if (st != ASGML_OK) return st;
        }
        asgml_status st = asgml_devpool_alloc(&c->pool, want, &c->workspace);
        if (st != ASGML_OK)
            return asgml_error_prefix(st, "cuDNN workspace of %zu bytes", want);
        c->workspace_bytes = want;
    }
    *ws = c->workspace;
    return ASGML_OK;
}

asgml_status asgml_cuda_partials(asgml_backend *be, size_t count, double **partials)
{
    asgml_cuda_impl *c = asgml_cuda(be);
    if (count > c->partials_count) {
        size_t want = count < 1024 ? 1024 : count;
        if (c->partials) {
            CUDA_CHECK(cudaStreamSynchronize(c->stream));
            asgml_status st = asgml_devpool_free(&c->pool, c->partials);
            c->partials = NULL;
            c->partials_count = 0;
            if (st != ASGML_OK) return st;
        }
        void *p = NULL;
        asgml_status st = asgml_devpool_alloc(&c->pool, want * sizeof(double), &p);
        if (st != ASGML_OK) return st;
        c->partials = p;
        c->partials_count = want;
    }
    *partials = c->partials;
    return ASGML_OK;
}

asgml_status asgml_cuda_fetch_scalars(asgml_backend *be, int count)
{
    asgml_cuda_impl *c = asgml_cuda(be);
    CUDA_CHECK(cudaMemcpyAsync(c->scalars_host, c->scalars_dev, (size_t)count * sizeof(double),
                               cudaMemcpyDeviceToHost, c->stream));
    CUDA_CHECK(cudaStreamSynchronize(c->stream));
    return ASGML_OK;
}

/* ---- elementwise and small ops (kernels_elementwise.cu) ----------------- */

#define STREAM (asgml_cuda(be)->stream)

static asgml_status cuda_relu_forward(asgml_backend *be, int64_t n, const float *x, float *y)
{
    CHECK_N(n);
    CUDA_CHECK(asgml_k_relu_forward(STREAM, n, x, y));
    return ASGML_OK;
}

static asgml_status cuda_relu_backward(asgml_backend *be, int64_t n, const float *y,
                                       const float *dy, float *dx)
{
    CHECK_N(n);
    CUDA_CHECK(asgml_k_relu_backward(STREAM, n, y, dy, dx));
    return ASGML_OK;
}

static asgml_status cuda_sigmoid_forward(asgml_backend *be, int64_t n, const float *x, float *y)
{
    CHECK_N(n);
    CUDA_CHECK(asgml_k_sigmoid_forward(STREAM, n, x, y));
    return ASGML_OK;
}

static asgml_status cuda_sigmoid_backward(asgml_backend *be, int64_t n, const float *y,
                                          const float *dy, float *dx)
{
    CHECK_N(n);
    CUDA_CHECK(asgml_k_sigmoid_backward(STREAM, n, y, dy, dx));
    return ASGML_OK;
}

static asgml_status cuda_dropout_forward(asgml_backend *be, int64_t n, float p, uint64_t seed,
                                         uint64_t offset, const float *x, float *y, float *mask)
{
    CHECK_N(n);
    ARG_CHECK(p >= 0.0f && p < 1.0f, "dropout probability %g is not in [0, 1)", (double)p);
    float scale = 1.0f / (1.0f - p);
    CUDA_CHECK(asgml_k_dropout_forward(STREAM, n, p, scale, seed, offset, x, y, mask));
    return ASGML_OK;
}

static asgml_status cuda_dropout_backward(asgml_backend *be, int64_t n, const float *mask,
                                          const float *dy, float *dx)
{
    CHECK_N(n);
    CUDA_CHECK(asgml_k_mask_backward(STREAM, n, mask, dy, dx));
    return ASGML_OK;
}

static asgml_status cuda_add(asgml_backend *be, int64_t n, const float *a, const float *b,
                             float *y)
{
    CHECK_N(n);
    CUDA_CHECK(asgml_k_add(STREAM, n, a, b, y));
    return ASGML_OK;
}

static asgml_status cuda_add_relu(asgml_backend *be, int64_t n, const float *a,
                                  const float *b, float *y)
{
    CHECK_N(n);
    CUDA_CHECK(asgml_k_add_relu(STREAM, n, a, b, y));
    return ASGML_OK;
}

static asgml_status cuda_mul(asgml_backend *be, int64_t n, const float *a, const float *b,
                             float *y)
{
    CHECK_N(n);
    CUDA_CHECK(asgml_k_mul(STREAM, n, a, b, y));
    return ASGML_OK;
}

static asgml_status cuda_axpy(asgml_backend *be, int64_t n, float alpha, const float *x,
                              float *y)
{
    CHECK_N(n);
    CUDA_CHECK(asgml_k_axpy(STREAM, n, alpha, x, y));
    return ASGML_OK;
}

static asgml_status cuda_scale(asgml_backend *be, int64_t n, float alpha, float *x)
{
    CHECK_N(n);
    CUDA_CHECK(asgml_k_scale(STREAM, n, alpha, x));
    return ASGML_OK;
}

static asgml_status cuda_fill(asgml_backend *be, int64_t n, float value, float *x)
{
    CHECK_N(n);
    if (n == 0) return ASGML_OK;
    if (value == 0.0f && !signbit(value))
        CUDA_CHECK(cudaMemsetAsync(x, 0, (size_t)n * sizeof(float), STREAM));
    else
        CUDA_CHECK(asgml_k_fill(STREAM, n, value, x));
    return ASGML_OK;
}

static asgml_status cuda_copy(asgml_backend *be, int64_t n, const float *x, float *y)
{
    CHECK_N(n);
    if (n == 0 || x == y) return ASGML_OK;
    CUDA_CHECK(cudaMemcpyAsync(y, x, (size_t)n * sizeof(float), cudaMemcpyDeviceToDevice,
                               STREAM));
    return ASGML_OK;
}

static asgml_status cuda_bias_forward(asgml_backend *be, int64_t rows, int64_t cols,
                                      const float *bias, float *y)
{
    CHECK_N(rows);
    CHECK_N(cols);
    CUDA_CHECK(asgml_k_bias_forward(STREAM, rows, cols, bias, y));
    return ASGML_OK;
}

static asgml_status cuda_bias_backward(asgml_backend *be, int64_t rows, int64_t cols,
                                       const float *dy, float *dbias)
{
    CHECK_N(rows);
    CHECK_N(cols);
    CUDA_CHECK(asgml_k_bias_backward(STREAM, rows, cols, dy, dbias));
    return ASGML_OK;
}

static asgml_status cuda_segment_mean_forward(asgml_backend *be, int b, int t, int c,
                                              const float *x, float *y)
{
    ARG_CHECK(b >= 0 && t > 0 && c >= 0, "bad segment shape (%d, %d, %d)", b, t, c);
    CUDA_CHECK(asgml_k_segment_mean_forward(STREAM, b, t, c, x, y));
    return ASGML_OK;
}

static asgml_status cuda_segment_mean_backward(asgml_backend *be, int b, int t, int c,
                                               const float *dy, float *dx)
{
    ARG_CHECK(b >= 0 && t > 0 && c >= 0, "bad segment shape (%d, %d, %d)", b, t, c);
    CUDA_CHECK(asgml_k_segment_mean_backward(STREAM, b, t, c, dy, dx));
    return ASGML_OK;
}

/* ---- pooling (custom kernels: the op table's max pool routes its
 * gradient through an argmax, which cuDNN's pooling does not expose) ---- */

static asgml_status pool_check(const asgml_pool2d_desc *d)
{
    ARG_CHECK(d && d->n >= 0 && d->c >= 0 && d->h_in > 0 && d->w_in > 0 && d->k > 0 &&
                  d->stride > 0 && d->pad >= 0 && 2 * d->pad <= d->k,
              "bad max-pool descriptor");
    ARG_CHECK(d->h_out == (d->h_in + 2 * d->pad - d->k) / d->stride + 1 &&
                  d->w_out == (d->w_in + 2 * d->pad - d->k) / d->stride + 1 && d->h_out > 0 &&
                  d->w_out > 0,
              "max-pool output %dx%d does not match the input",
              d->h_out, d->w_out);
    ARG_CHECK((int64_t)d->n * d->c <= INT32_MAX, "max pool over too many planes");
    return ASGML_OK;
}

static asgml_status cuda_maxpool_forward(asgml_backend *be, const asgml_pool2d_desc *d,
                                         const float *x, float *y, int32_t *argmax)
{
    asgml_status st = pool_check(d);
    if (st != ASGML_OK) return st;
    CUDA_CHECK(asgml_k_maxpool_forward(STREAM, d->n * d->c, d->h_in, d->w_in, d->k, d->stride,
                                       d->pad, d->h_out, d->w_out, x, y, argmax));
    return ASGML_OK;
}

static asgml_status cuda_maxpool_backward(asgml_backend *be, const asgml_pool2d_desc *d,
                                          const float *dy, const int32_t *argmax, float *dx)
{
    asgml_status st = pool_check(d);
    if (st != ASGML_OK) return st;
    CUDA_CHECK(asgml_k_maxpool_backward(STREAM, d->n * d->c, d->h_in, d->w_in, d->k, d->stride,
                                        d->pad, d->h_out, d->w_out, dy, argmax, dx));
    return ASGML_OK;
}

static asgml_status cuda_avgpool_forward(asgml_backend *be, int64_t nc, int64_t hw,
                                         const float *x, float *y)
{
    CHECK_N(nc);
    ARG_CHECK(hw > 0, "average pool over %lld positions",
              (long long)hw);
    CUDA_CHECK(asgml_k_avgpool_forward(STREAM, nc, hw, x, y));
    return ASGML_OK;
}

static asgml_status cuda_avgpool_backward(asgml_backend *be, int64_t nc, int64_t hw,
                                          const float *dy, float *dx)
{
    CHECK_N(nc);
    ARG_CHECK(hw > 0, "average pool over %lld positions",
              (long long)hw);
    CUDA_CHECK(asgml_k_avgpool_backward(STREAM, nc, hw, dy, dx));
    return ASGML_OK;
}

/* ---- loss and host-valued reductions ------------------------------------- */

static asgml_status cuda_softmax_ce(asgml_backend *be, int b, int c, const float *logits,
                                    const int32_t *labels, float grad_scale, float *probs,
                                    float *losses, float *dlogits, double *loss_sum)
{
    ARG_CHECK(b >= 0 && c > 0, "bad logits shape (%d, %d)", b, c);
    asgml_cuda_impl *cu = asgml_cuda(be);
    double *rows = NULL;
    asgml_status st = asgml_cuda_partials(be, 2 * (size_t)b, &rows);
    if (st != ASGML_OK) return st;
    CUDA_CHECK(asgml_k_softmax_ce(cu->stream, b, c, logits, labels, grad_scale, probs, losses,
                                  dlogits, rows, cu->scalars_dev));
    st = asgml_cuda_fetch_scalars(be, 3);
    if (st != ASGML_OK) return st;
    if (cu->scalars_host[1] != 0.0)
        return ASGML_ERR(ASGML_EINVAL, "softmax_ce: %.0f label(s) outside [0, %d), the first in row %.0f", cu->scalars_host[1], c, cu->scalars_host[2]);
    if (loss_sum) *loss_sum = cu->scalars_host[0];
    return ASGML_OK;
}

static asgml_status cuda_sumsq(asgml_backend *be, int64_t n, const float *x, double *out)
{
    CHECK_N(n);
    asgml_cuda_impl *c = asgml_cuda(be);
    double *partials = NULL;
    asgml_status st = asgml_cuda_partials(be, asgml_k_reduce_blocks(n), &partials);
    if (st != ASGML_OK) return st;
    CUDA_CHECK(asgml_k_sumsq(c->stream, n, x, partials, c->scalars_dev));
    st = asgml_cuda_fetch_scalars(be, 1);
    if (st != ASGML_OK) return st;
    *out = c->scalars_host[0];
    return ASGML_OK;
}

static asgml_status cuda_mean_std(asgml_backend *be, int64_t n, const float *x, double *mean,
                                  double *std)
{
    ARG_CHECK(n > 0, "mean_std of %lld elements", (long long)n);
    asgml_cuda_impl *c = asgml_cuda(be);
    double *partials = NULL;
    asgml_status st = asgml_cuda_partials(be, asgml_k_reduce_blocks(n), &partials);
    if (st != ASGML_OK) return st;
    CUDA_CHECK(asgml_k_mean_ssd(c->stream, n, x, partials, c->scalars_dev));
    st = asgml_cuda_fetch_scalars(be, 2);
    if (st != ASGML_OK) return st;
    if (mean) *mean = c->scalars_host[0];
    /* unbiased; n == 1 gives NaN like torch.std and the CPU backend */
    if (std) *std = n > 1 ? sqrt(c->scalars_host[1] / (double)(n - 1)) : NAN;
    return ASGML_OK;
}

static asgml_status cuda_nonfinite_count(asgml_backend *be, int64_t n, const float *x,
                                         int64_t *out)
{
    CHECK_N(n);
    asgml_cuda_impl *c = asgml_cuda(be);
    double *partials = NULL;
    asgml_status st = asgml_cuda_partials(be, asgml_k_reduce_blocks(n), &partials);
    if (st != ASGML_OK) return st;
    CUDA_CHECK(asgml_k_nonfinite(c->stream, n, x, partials, c->scalars_dev));
    st = asgml_cuda_fetch_scalars(be, 1);
    if (st != ASGML_OK) return st;
    *out = (int64_t)c->scalars_host[0];
    return ASGML_OK;
}

/* ---- optimisers and noise ------------------------------------------------ */

static asgml_status cuda_sgd_update(asgml_backend *be, int64_t n, float *param,
                                    const float *grad, float *mom, float lr, float momentum,
                                    float dampening, float weight_decay, int nesterov,
                                    int first_step)
{
    CHECK_N(n);
    ARG_CHECK(momentum == 0.0f || mom, "SGD with momentum needs a momentum buffer");
    CUDA_CHECK(asgml_k_sgd_update(STREAM, n, param, grad, mom, lr, momentum, dampening,
                                  weight_decay, nesterov, first_step));
    return ASGML_OK;
}

static asgml_status cuda_adam_update(asgml_backend *be, int64_t n, float *param,
                                     const float *grad, float *m, float *v, float lr,
                                     float beta1, float beta2, float eps, float weight_decay,
                                     int decoupled, int64_t step)
{
    CHECK_N(n);
    ARG_CHECK(step >= 1, "Adam step %lld (1-based count expected)",
              (long long)step);
    ARG_CHECK(m && v, "Adam needs its moment buffers");
    /* bias corrections in double on the host, as torch.optim.Adam does */
    double bc1 = 1.0 - pow((double)beta1, (double)step);
    double bc2 = 1.0 - pow((double)beta2, (double)step);
    ARG_CHECK(bc1 > 0.0 && bc2 > 0.0, "Adam betas (%g, %g) must be below 1", (double)beta1, (double)beta2);
    float step_size = (float)((double)lr / bc1), bc2_sqrt = (float)sqrt(bc2);
    CUDA_CHECK(asgml_k_adam_update(STREAM, n, param, grad, m, v, lr, beta1, beta2, eps,
                                   weight_decay, decoupled, step_size, bc2_sqrt));
    return ASGML_OK;
}

static asgml_status cuda_gaussian_noise(asgml_backend *be, int64_t n, float sigma,
                                        uint64_t seed, uint64_t offset, float *x)
{
    CHECK_N(n);
    CUDA_CHECK(asgml_k_gaussian_noise(STREAM, n, sigma, seed, offset, x));
    return ASGML_OK;
}

/* ---- table, creation ------------------------------------------------------ */

static void cuda_destroy(asgml_backend *be);

static const asgml_backend_ops cuda_ops = {
    .name = "cuda",
    .destroy = cuda_destroy,
    .alloc = asgml_cuda_alloc,
    .free = asgml_cuda_free,
    .to_device = cuda_to_device,
    .to_host = cuda_to_host,
    .synchronize = cuda_synchronize,
#ifdef ASGML_HAVE_CUDNN
    .conv2d_forward = asgml_cuda_conv2d_forward,
    .conv2d_backward_data = asgml_cuda_conv2d_backward_data,
    .conv2d_backward_filter = asgml_cuda_conv2d_backward_filter,
    .batchnorm_forward_train = asgml_cuda_batchnorm_forward_train,
    .batchnorm_forward_infer = asgml_cuda_batchnorm_forward_infer,
    .batchnorm_backward = asgml_cuda_batchnorm_backward,
    .batchnorm_relu_forward_train = asgml_cuda_batchnorm_relu_forward_train,
    .batchnorm_relu_forward_infer = asgml_cuda_batchnorm_relu_forward_infer,
    .batchnorm_relu_backward = asgml_cuda_batchnorm_relu_backward,
#endif
    .maxpool_forward = cuda_maxpool_forward,
    .maxpool_backward = cuda_maxpool_backward,
    .avgpool_forward = cuda_avgpool_forward,
    .avgpool_backward = cuda_avgpool_backward,
    .gemm = asgml_cuda_gemm,
    .bias_forward = cuda_bias_forward,
    .bias_backward = cuda_bias_backward,
    .relu_forward = cuda_relu_forward,
    .relu_backward = cuda_relu_backward,
    .sigmoid_forward = cuda_sigmoid_forward,
    .sigmoid_backward = cuda_sigmoid_backward,
    .dropout_forward = cuda_dropout_forward,
    .dropout_backward = cuda_dropout_backward,
    .add = cuda_add,
    .add_relu = cuda_add_relu,
    .mul = cuda_mul,
    .axpy = cuda_axpy,
    .scale = cuda_scale,
    .fill = cuda_fill,
    .copy = cuda_copy,
    .segment_mean_forward = cuda_segment_mean_forward,
    .segment_mean_backward = cuda_segment_mean_backward,
    .softmax_ce = cuda_softmax_ce,
    .sumsq = cuda_sumsq,
    .mean_std = cuda_mean_std,
    .nonfinite_count = cuda_nonfinite_count,
    .sgd_update = cuda_sgd_update,
    .adam_update = cuda_adam_update,
    .gaussian_noise = cuda_gaussian_noise,
};

/* Releases whatever part of the state exists; used by destroy and by a
 * failed create.  Teardown failures have no caller to report to. */
static void cuda_impl_free(asgml_cuda_impl *c)
{
    if (!c) return;
    if (c->stream) (void)cudaStreamSynchronize(c->stream);
    asgml_conv_algo_cache_free(&c->algos);
    if (c->pool.seam.raw_free) asgml_devpool_destroy(&c->pool);
    if (c->scalars_host) (void)cudaFreeHost(c->scalars_host);
    if (c->cublas) (void)cublasDestroy(c->cublas);
    if (c->stream) (void)cudaStreamDestroy(c->stream);
    free(c);
}

static void cuda_destroy(asgml_backend *be)
{
    if (!be) return;
    asgml_cuda_impl *c = be->impl;
    /* queued work ends before any handle or buffer goes */
    if (c && c->stream) (void)cudaStreamSynchronize(c->stream);
#ifdef ASGML_HAVE_CUDNN
    if (c) asgml_cuda_dnn_destroy(be);
#endif
    cuda_impl_free(c);
    free(be);
}

asgml_status asgml_cuda_backend_create(const asgml_backend_options *opt, asgml_backend **out)
{
    static const asgml_backend_options defaults = {0, 0, -1, 0};
    if (!out) return ASGML_ERR(ASGML_EINVAL, "NULL output pointer");
    *out = NULL;
    if (!opt) opt = &defaults;
#ifndef ASGML_HAVE_CUDNN
    (void)cuda_ops;
    return ASGML_ERR(ASGML_ENOTSUP,
                       "the cuda backend needs cuDNN, and asgml was built without it "
                       "(configure --with-cuda --with-cudnn)");
#else
    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess) {
        int driver = 0;
        /* cudart says "driver version is insufficient" also when there is
         * no driver at all; say so plainly in that case */
        if (e == cudaErrorInsufficientDriver && cudaDriverGetVersion(&driver) == cudaSuccess &&
            driver == 0)
            return asgml_error(ASGML_EDEVICE, "no CUDA device: no NVIDIA driver is loaded (%s)",
                               cudaGetErrorString(e));
        return asgml_error(ASGML_EDEVICE, "no CUDA device: %s", cudaGetErrorString(e));
    }
    if (count <= 0)
        return asgml_error(ASGML_EDEVICE, "no CUDA device: %s", cudaGetErrorString(cudaErrorNoDevice));
    if (opt->device_index < 0 || opt->device_index >= count)
        return asgml_error(ASGML_EDEVICE, "no CUDA device: device index %d requested, %d present",
                           opt->device_index, count);
    if (opt->tf32 < -1 || opt->tf32 > 1)
        return ASGML_ERR(ASGML_EINVAL, "tf32 setting %d (expected -1, 0 or 1)", opt->tf32);

    asgml_backend *be = calloc(1, sizeof *be);
    asgml_cuda_impl *c = calloc(1, sizeof *c);
    if (!be || !c) {
        free(be);
        free(c);
        return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    }
    be->ops = &cuda_ops;
    be->impl = c;
    be->num_threads = 0;
    be->deterministic = opt->deterministic ? 1 : 0;
    be->tf32 = opt->tf32;
    c->device = opt->device_index;
    c->dtype = ASGML_CUDA_F32;
    /* PyTorch defaults: torch.backends.cudnn.allow_tf32 = True,
     * torch.backends.cuda.matmul.allow_tf32 = False */
    c->conv_tf32 = opt->tf32 != 0;
    c->gemm_tf32 = opt->tf32 == 1;
    c->workspace_cap = (size_t)1 << 30;
    asgml_conv_algo_cache_init(&c->algos);
    const asgml_devpool_seam seam = {raw_cuda_alloc, raw_cuda_free, NULL};

    asgml_status st = ASGML_OK;
    CUDA_TRY(cudaSetDevice(c->device), st, fail);
    CUDA_TRY(cudaStreamCreateWithFlags(&c->stream, cudaStreamNonBlocking), st, fail);
    asgml_devpool_init(&c->pool, &seam);
    {
        cublasStatus_t bs = cublasCreate(&c->cublas);
        if (bs != CUBLAS_STATUS_SUCCESS) {
            c->cublas = NULL;
            st = asgml_cuda_fail_blas(bs, __FILE__, __LINE__, "cublasCreate");
            goto fail;
        }
        bs = cublasSetStream(c->cublas, c->stream);
        if (bs != CUBLAS_STATUS_SUCCESS) {
            st = asgml_cuda_fail_blas(bs, __FILE__, __LINE__, "cublasSetStream");
            goto fail;
        }
    }
    st = asgml_cuda_set_gemm_math(be);
    if (st != ASGML_OK) goto fail;
    st = asgml_cuda_dnn_init(be);
    if (st != ASGML_OK) goto fail;
    {
        void *p = NULL;
        st = asgml_devpool_alloc(&c->pool, ASGML_CUDA_SCALARS * sizeof(double), &p);
        if (st != ASGML_OK) goto fail;
        c->scalars_dev = p;
        CUDA_TRY(cudaMallocHost(&p, ASGML_CUDA_SCALARS * sizeof(double)), st, fail);
        c->scalars_host = p;
    }
    *out = be;
    return ASGML_OK;

fail:
    asgml_cuda_dnn_destroy(be);
    cuda_impl_free(c);
    free(be);
    return st;
#endif
}
