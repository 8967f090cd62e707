/* SPDX-License-Identifier: MIT */
/* cudnn_ops.c - convolution and batch normalisation through cuDNN (plain C,
 * cuDNN 9 legacy API), and the host-side logic around them: descriptor
 * shapes, the per-shape algorithm cache and the algorithm choice.  That
 * logic is pure C over plain structs, checked on the CPU by
 * tests/test-cuda-seam.c; the cuDNN calls are confined to the functions
 * below the "cuDNN" line.
 *
 * Convolution x (n, c_in, h, w) * w (c_out, c_in, k_h, k_w) -> y: one set of
 * descriptors owned by the backend is set for each call (cheap host calls).
 * Algorithms are chosen once per shape and direction and cached:
 *   - default: cudnnFind*AlgorithmEx benchmarks the candidates on the real
 *     operands (scratch outputs for the backward passes, which accumulate)
 *     with a workspace of at most half the free memory (capped at 1 GiB);
 *   - deterministic backends: cudnnGet*Algorithm_v7 heuristics (the choice
 *     itself is then reproducible) restricted to deterministic algorithms.
 * The chosen algorithm's math type is set on the descriptor (cuDNN needs
 * algorithm and math type together).  Precision: TF32 allowed means
 * CUDNN_TENSOR_OP_MATH, strict fp32 means CUDNN_FMA_MATH.
 * Backward passes accumulate with beta = 1 (dx += , dw += ).
 *
 * Batch norm: x as (n, c, hw, 1), per-channel parameters (1, c, 1, 1),
 * CUDNN_BATCHNORM_SPATIAL; cuDNN saves mean and 1/sqrt(var + eps), which is
 * the op table's save_invstd, and updates running_var with the unbiased
 * variance as PyTorch does.  Backward: betaDataDiff = 1 (dx +=) and
 * betaParamDiff = 1 (dgamma +=, dbeta +=), two separate blends in cuDNN. */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include "core/error.h"
#include "cuda/cuda_impl.h"
#include "cuda/kernels.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* ---- pure host logic ------------------------------------------------------ */

int asgml_conv_pick_algo(const asgml_conv_algo_perf *perf, int n, int require_deterministic,
                         int allow_tf32, size_t ws_limit)
{
    for (int i = 0; i < n; i++) {
        const asgml_conv_algo_perf *p = &perf[i];
        if (!p->ok || p->workspace > ws_limit) continue;
        if (require_deterministic && !p->deterministic) continue;
        if (!allow_tf32 && p->tensor_op) continue;
        return i;
    }
    return -1;
}

size_t asgml_conv_workspace_budget(size_t free_bytes, size_t cap)
{
    size_t half = free_bytes / 2;
    return half < cap ? half : cap;
}

void asgml_conv_algo_cache_init(asgml_conv_algo_cache *c) { memset(c, 0, sizeof *c); }

void asgml_conv_algo_cache_free(asgml_conv_algo_cache *c)
{
    free(c->entries);
    memset(c, 0, sizeof *c);
}

static int conv_desc_equal(const asgml_conv2d_desc *a, const asgml_conv2d_desc *b)
{
    return a->n == b->n && a->c_in == b->c_in && a->h_in == b->h_in && a->w_in == b->w_in &&
           a->c_out == b->c_out && a->k_h == b->k_h && a->k_w == b->k_w &&
           a->stride_h == b->stride_h && a->stride_w == b->stride_w && a->pad_h == b->pad_h &&
           a->pad_w == b->pad_w && a->h_out == b->h_out && a->w_out == b->w_out;
}

asgml_status asgml_conv_algo_cache_get(asgml_conv_algo_cache *c, const asgml_conv2d_desc *d,
                                       int tf32, int deterministic,
                                       asgml_conv_algo_entry **entry)
{
    tf32 = tf32 ? 1 : 0;
    deterministic = deterministic ? 1 : 0;
    for (size_t i = 0; i < c->count; i++) {
        asgml_conv_algo_entry *e = &c->entries[i];
        if (e->tf32 == tf32 && e->deterministic == deterministic && conv_desc_equal(&e->desc, d)) {
            *entry = e;
            return ASGML_OK;
        }
    }
    if (c->count == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 32;
        asgml_conv_algo_entry *ne = realloc(c->entries, cap * sizeof *ne);
        if (!ne)
            return ASGML_ERR(ASGML_ENOMEM, "out of memory for the algorithm cache");
        c->entries = ne;
        c->cap = cap;
    }
    asgml_conv_algo_entry *e = &c->entries[c->count++];
    memset(e, 0, sizeof *e);
    e->desc = *d;
    e->tf32 = tf32;
    e->deterministic = deterministic;
    *entry = e;
    return ASGML_OK;
}

asgml_status asgml_conv_desc_check(const asgml_conv2d_desc *d)
{
    if (!d || d->n <= 0 || d->c_in <= 0 || d->h_in <= 0 || d->w_in <= 0 || d->c_out <= 0 ||
        d->k_h <= 0 || d->k_w <= 0 || d->stride_h <= 0 || d->stride_w <= 0 || d->pad_h < 0 ||
        d->pad_w < 0)
        return ASGML_ERR(ASGML_EINVAL, "bad convolution descriptor");
    int h = (d->h_in + 2 * d->pad_h - d->k_h) / d->stride_h + 1;
    int w = (d->w_in + 2 * d->pad_w - d->k_w) / d->stride_w + 1;
    if (d->h_in + 2 * d->pad_h < d->k_h || d->w_in + 2 * d->pad_w < d->k_w || d->h_out != h ||
        d->w_out != w)
        return ASGML_ERR(ASGML_EINVAL,
                           "convolution output %dx%d does not match input %dx%d, kernel "
                           "%dx%d, stride %d,%d, pad %d,%d", d->h_out, d->w_out, d->h_in, d->w_in, d->k_h,
                           d->k_w, d->stride_h, d->stride_w, d->pad_h, d->pad_w);
    int64_t x = (int64_t)d->n * d->c_in * d->h_in * d->w_in;
    int64_t y = (int64_t)d->n * d->c_out * d->h_out * d->w_out;
    int64_t wt = (int64_t)d->c_out * d->c_in * d->k_h * d->k_w;
    if (x > INT_MAX || y > INT_MAX || wt > INT_MAX)
        return ASGML_ERR(ASGML_ENOTSUP,
                           "convolution tensor of more than 2^31 elements (split the batch)");
    return ASGML_OK;
}

void asgml_conv_dims(const asgml_conv2d_desc *d, int x_dims[4], int w_dims[4], int y_dims[4])
{
    x_dims[0] = d->n, x_dims[1] = d->c_in, x_dims[2] = d->h_in, x_dims[3] = d->w_in;
    w_dims[0] = d->c_out, w_dims[1] = d->c_in, w_dims[2] = d->k_h, w_dims[3] = d->k_w;
    y_dims[0] = d->n, y_dims[1] = d->c_out, y_dims[2] = d->h_out, y_dims[3] = d->w_out;
}

void asgml_nchw_strides(const int dims[4], int strides[4])
{
    strides[3] = 1;
    strides[2] = dims[3];
    strides[1] = dims[2] * dims[3];
    strides[0] = dims[1] * dims[2] * dims[3];
}

asgml_status asgml_bn_desc_check(const asgml_bn_desc *d)
{
    if (!d || d->n <= 0 || d->c <= 0 || d->hw <= 0 || !(d->eps > 0.0) ||
        !(d->momentum >= 0.0 && d->momentum <= 1.0))
        return ASGML_ERR(ASGML_EINVAL, "bad batch-norm descriptor");
    if ((int64_t)d->n * d->c * d->hw > INT_MAX)
        return ASGML_ERR(ASGML_ENOTSUP, "batch-norm input of more than 2^31 elements");
    return ASGML_OK;
}

/* ---- cuDNN ------------------------------------------------------------------ */
#ifdef ASGML_HAVE_CUDNN

static cudnnDataType_t dnn_type(asgml_cuda_dtype t)
{
    (void)t;   /* only fp32 today; bf16 would map to CUDNN_DATA_BFLOAT16 */
    return CUDNN_DATA_FLOAT;
}

asgml_status asgml_cuda_dnn_init(asgml_backend *be)
{
    asgml_cuda_impl *c = asgml_cuda(be);
    CUDNN_CHECK(cudnnCreate(&c->cudnn));
    CUDNN_CHECK(cudnnSetStream(c->cudnn, c->stream));
    CUDNN_CHECK(cudnnCreateTensorDescriptor(&c->t_a));
    CUDNN_CHECK(cudnnCreateTensorDescriptor(&c->t_b));
    CUDNN_CHECK(cudnnCreateTensorDescriptor(&c->t_c));
    CUDNN_CHECK(cudnnCreateFilterDescriptor(&c->f_w));
    CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&c->conv));
    return ASGML_OK;
}

void asgml_cuda_dnn_destroy(asgml_backend *be)
{
    asgml_cuda_impl *c = asgml_cuda(be);
    if (!c) return;
    /* teardown: nothing to report to; statuses are deliberately dropped */
    if (c->conv) (void)cudnnDestroyConvolutionDescriptor(c->conv);
    if (c->f_w) (void)cudnnDestroyFilterDescriptor(c->f_w);
    if (c->t_c) (void)cudnnDestroyTensorDescriptor(c->t_c);
    if (c->t_b) (void)cudnnDestroyTensorDescriptor(c->t_b);
    if (c->t_a) (void)cudnnDestroyTensorDescriptor(c->t_a);
    if (c->cudnn) (void)cudnnDestroy(c->cudnn);
    c->conv = NULL;
    c->f_w = NULL;
    c->t_a = c->t_b = c->t_c = NULL;
    c->cudnn = NULL;
}

static asgml_status set_tensor(cudnnTensorDescriptor_t t, cudnnDataType_t type, const int dims[4])
{
    int strides[4];
    asgml_nchw_strides(dims, strides);
    CUDNN_CHECK(cudnnSetTensor4dDescriptorEx(t, type, dims[0], dims[1], dims[2], dims[3],
                                             strides[0], strides[1], strides[2], strides[3]));
    return ASGML_OK;
}

/* x -> t_a, y -> t_b, w -> f_w, conv; math type for the algorithm search */
static asgml_status set_conv(asgml_backend *be, const asgml_conv2d_desc *d)
{
    asgml_cuda_impl *c = asgml_cuda(be);
    asgml_status st = asgml_conv_desc_check(d);
    if (st != ASGML_OK) return st;
    cudnnDataType_t type = dnn_type(c->dtype);
    int xd[4], wd[4], yd[4];
    asgml_conv_dims(d, xd, wd, yd);
    if ((st = set_tensor(c->t_a, type, xd)) != ASGML_OK) return st;
    if ((st = set_tensor(c->t_b, type, yd)) != ASGML_OK) return st;
    CUDNN_CHECK(cudnnSetFilter4dDescriptor(c->f_w, type, CUDNN_TENSOR_NCHW, wd[0], wd[1], wd[2],
                                           wd[3]));
    CUDNN_CHECK(cudnnSetConvolution2dDescriptor(c->conv, d->pad_h, d->pad_w, d->stride_h,
                                                d->stride_w, 1, 1, CUDNN_CROSS_CORRELATION,
                                                CUDNN_DATA_FLOAT));
    CUDNN_CHECK(cudnnSetConvolutionMathType(c->conv, c->conv_tf32 ? CUDNN_TENSOR_OP_MATH
                                                                  : CUDNN_FMA_MATH));
    int on, oc, oh, ow;
    CUDNN_CHECK(cudnnGetConvolution2dForwardOutputDim(c->conv, c->t_a, c->f_w, &on, &oc, &oh, &ow));
    if (on != yd[0] || oc != yd[1] || oh != yd[2] || ow != yd[3])
        return ASGML_ERR(ASGML_EINTERNAL, "cuDNN computes output %dx%dx%dx%d, the descriptor says %dx%dx%dx%d", on, oc, oh, ow, yd[0], yd[1], yd[2], yd[3]);
    return ASGML_OK;
}

static asgml_conv_algo_perf perf_row(int algo, cudnnStatus_t status, float time, size_t memory,
                                     cudnnDeterminism_t det, cudnnMathType_t math, int allow_tf32)
{
    asgml_conv_algo_perf p;
    p.algo = algo;
    p.ok = status == CUDNN_STATUS_SUCCESS;
    p.time_ms = time;
    p.workspace = memory;
    p.deterministic = det == CUDNN_DETERMINISTIC;
    p.tensor_op = math == CUDNN_TENSOR_OP_MATH || math == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
    /* strict fp32: DEFAULT_MATH could still pick TF32 on Ampere and later */
    if (!allow_tf32 && math == CUDNN_DEFAULT_MATH) math = CUDNN_FMA_MATH;
    p.math_type = (int)math;
    return p;
}

#define MAX_ALGOS 16

/* Largest workspace any algorithm of the direction needs within budget. */
static size_t search_workspace(asgml_backend *be, int dir, size_t budget)
{
    asgml_cuda_impl *c = asgml_cuda(be);
    size_t best = 0;
    int count = dir == ASGML_CONV_FWD        ? CUDNN_CONVOLUTION_FWD_ALGO_COUNT
                : dir == ASGML_CONV_BWD_DATA ? CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT
                                             : CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT;
    for (int a = 0; a < count; a++) {
        size_t sz = 0;
        cudnnStatus_t s;
        if (dir == ASGML_CONV_FWD)
            s = cudnnGetConvolutionForwardWorkspaceSize(c->cudnn, c->t_a, c->f_w, c->conv, c->t_b,
                                                        (cudnnConvolutionFwdAlgo_t)a, &sz);
        else if (dir == ASGML_CONV_BWD_DATA)
            s = cudnnGetConvolutionBackwardDataWorkspaceSize(c->cudnn, c->f_w, c->t_b, c->conv,
                                                             c->t_a,
                                                             (cudnnConvolutionBwdDataAlgo_t)a, &sz);
        else
            s = cudnnGetConvolutionBackwardFilterWorkspaceSize(
                c->cudnn, c->t_a, c->t_b, c->conv, c->f_w, (cudnnConvolutionBwdFilterAlgo_t)a, &sz);
        /* an algorithm that does not support this shape is simply no candidate */
        if (s == CUDNN_STATUS_SUCCESS && sz <= budget && sz > best) best = sz;
    }
    return best;
}

/* Runs cuDNN's search for one direction into perf[]; *n = rows returned.
 * x, w, dy are the real operands; out is a buffer the search may clobber. */
static asgml_status run_search(asgml_backend *be, int dir, int exhaustive, const void *x,
                               const void *w, const void *dy, void *out, void *ws,
                               size_t ws_bytes, asgml_conv_algo_perf *perf, int *n)
{
    asgml_cuda_impl *c = asgml_cuda(be);
    int got = 0, tf32 = c->conv_tf32;
    if (dir == ASGML_CONV_FWD) {
        cudnnConvolutionFwdAlgoPerf_t r[MAX_ALGOS];
        if (exhaustive)
            CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithmEx(c->cudnn, c->t_a, x, c->f_w, w,
                                                               c->conv, c->t_b, out, MAX_ALGOS,
                                                               &got, r, ws, ws_bytes));
        else
            CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(c->cudnn, c->t_a, c->f_w, c->conv,
                                                               c->t_b, MAX_ALGOS, &got, r));
        for (int i = 0; i < got; i++)
            perf[i] = perf_row((int)r[i].algo, r[i].status, exhaustive ? r[i].time : -1.0f,
                               r[i].memory, r[i].determinism, r[i].mathType, tf32);
    } else if (dir == ASGML_CONV_BWD_DATA) {
        cudnnConvolutionBwdDataAlgoPerf_t r[MAX_ALGOS];
        if (exhaustive)
            CUDNN_CHECK(cudnnFindConvolutionBackwardDataAlgorithmEx(
                c->cudnn, c->f_w, w, c->t_b, dy, c->conv, c->t_a, out, MAX_ALGOS, &got, r, ws,
                ws_bytes));
        else
            CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(
                c->cudnn, c->f_w, c->t_b, c->conv, c->t_a, MAX_ALGOS, &got, r));
        for (int i = 0; i < got; i++)
            perf[i] = perf_row((int)r[i].algo, r[i].status, exhaustive ? r[i].time : -1.0f,
                               r[i].memory, r[i].determinism, r[i].mathType, tf32);
    } else {
        cudnnConvolutionBwdFilterAlgoPerf_t r[MAX_ALGOS];
        if (exhaustive)
            CUDNN_CHECK(cudnnFindConvolutionBackwardFilterAlgorithmEx(
                c->cudnn, c->t_a, x, c->t_b, dy, c->conv, c->f_w, out, MAX_ALGOS, &got, r, ws,
                ws_bytes));
        else
            CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(
                c->cudnn, c->t_a, c->t_b, c->conv, c->f_w, MAX_ALGOS, &got, r));
        for (int i = 0; i < got; i++)
            perf[i] = perf_row((int)r[i].algo, r[i].status, exhaustive ? r[i].time : -1.0f,
                               r[i].memory, r[i].determinism, r[i].mathType, tf32);
    }
    *n = got;
    return ASGML_OK;
}

static const char *const dir_names[3] = {"forward", "backward-data", "backward-filter"};

/* The cached choice for (shape, direction), searched on first use.
 * Descriptors must be set (set_conv). */
static asgml_status choose_algo(asgml_backend *be, const asgml_conv2d_desc *d, int dir,
                                const void *x, const void *w, const void *dy, void *y,
                                const asgml_conv_algo_perf **choice)
{
    asgml_cuda_impl *c = asgml_cuda(be);
    asgml_conv_algo_entry *e = NULL;
    asgml_status st = asgml_conv_algo_cache_get(&c->algos, d, c->conv_tf32, be->deterministic, &e);
    if (st != ASGML_OK) return st;
    if (e->have[dir]) {
        *choice = &e->choice[dir];
        return ASGML_OK;
    }
    size_t free_b = 0, total_b = 0;
    CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
    size_t budget = asgml_conv_workspace_budget(free_b, c->workspace_cap);
    int exhaustive = !be->deterministic;
    asgml_conv_algo_perf perf[MAX_ALGOS];
    int n = 0;
    if (!exhaustive) {
        st = run_search(be, dir, 0, NULL, NULL, NULL, NULL, NULL, 0, perf, &n);
    } else {
        /* scratch: the search writes its output; backward outputs accumulate */
        size_t ws_bytes = search_workspace(be, dir, budget);
        size_t out_bytes = sizeof(float) * (dir == ASGML_CONV_BWD_DATA
                                                ? (size_t)d->n * d->c_in * d->h_in * d->w_in
                                                : (size_t)d->c_out * d->c_in * d->k_h * d->k_w);
        void *ws = NULL, *scratch = NULL;
        st = asgml_devpool_alloc(&c->pool, ws_bytes, &ws);
        if (st == ASGML_OK && dir != ASGML_CONV_FWD)
            st = asgml_devpool_alloc(&c->pool, out_bytes, &scratch);
        if (st == ASGML_OK)
            st = run_search(be, dir, 1, x, w, dy, dir == ASGML_CONV_FWD ? y : scratch, ws,
                            ws_bytes, perf, &n);
        /* the search has finished on the stream before it returns */
        asgml_status st2 = asgml_devpool_release(&c->pool, scratch);
        asgml_status st3 = asgml_devpool_release(&c->pool, ws);
        if (st == ASGML_OK) st = st2 != ASGML_OK ? st2 : st3;
    }
    if (st != ASGML_OK)
        return asgml_error_prefix(st, "choosing the convolution %s algorithm", dir_names[dir]);
    int pick = asgml_conv_pick_algo(perf, n, be->deterministic, c->conv_tf32, budget);
    if (pick < 0)
        return ASGML_ERR(ASGML_ENOTSUP,
                           "no %scuDNN convolution %s algorithm for x %dx%dx%dx%d, w "
                           "%dx%dx%dx%d within a %zu-byte workspace", be->deterministic ? "deterministic " : "",
                           dir_names[dir], d->n, d->c_in, d->h_in, d->w_in, d->c_out, d->c_in,
                           d->k_h, d->k_w, budget);
    e->choice[dir] = perf[pick];
    e->have[dir] = 1;
    *choice = &e->choice[dir];
    return ASGML_OK;
}

/* Sets descriptors, picks the algorithm, applies its math type and sizes
 * the workspace. */
static asgml_status conv_prepare(asgml_backend *be, const asgml_conv2d_desc *d, int dir,
                                 const void *x, const void *w, const void *dy, void *y,
                                 const asgml_conv_algo_perf **choice, void **ws)
{
    asgml_status st = set_conv(be, d);
    if (st != ASGML_OK) return st;
    st = choose_algo(be, d, dir, x, w, dy, y, choice);
    if (st != ASGML_OK) return st;
    CUDNN_CHECK(cudnnSetConvolutionMathType(asgml_cuda(be)->conv, (cudnnMathType_t)(*choice)->math_type));
    *ws = NULL;
    if ((*choice)->workspace == 0) return ASGML_OK;
    return asgml_cuda_workspace(be, (*choice)->workspace, ws);
}

static const float one = 1.0f, zero = 0.0f;

asgml_status asgml_cuda_conv2d_forward(asgml_backend *be, const asgml_conv2d_desc *d,
                                       const float *x, const float *w, float *y)
{
    const asgml_conv_algo_perf *ch = NULL;
    void *ws = NULL;
    asgml_status st = conv_prepare(be, d, ASGML_CONV_FWD, x, w, NULL, y, &ch, &ws);
    if (st != ASGML_OK) return st;
    asgml_cuda_impl *c = asgml_cuda(be);
    CUDNN_CHECK(cudnnConvolutionForward(c->cudnn, &one, c->t_a, x, c->f_w, w, c->conv,
                                        (cudnnConvolutionFwdAlgo_t)ch->algo, ws, ch->workspace,
                                        &zero, c->t_b, y));
    return ASGML_OK;
}

asgml_status asgml_cuda_conv2d_backward_data(asgml_backend *be, const asgml_conv2d_desc *d,
                                             const float *dy, const float *w, float *dx)
{
    const asgml_conv_algo_perf *ch = NULL;
    void *ws = NULL;
    asgml_status st = conv_prepare(be, d, ASGML_CONV_BWD_DATA, NULL, w, dy, NULL, &ch, &ws);
    if (st != ASGML_OK) return st;
    asgml_cuda_impl *c = asgml_cuda(be);
    CUDNN_CHECK(cudnnConvolutionBackwardData(c->cudnn, &one, c->f_w, w, c->t_b, dy, c->conv,
                                             (cudnnConvolutionBwdDataAlgo_t)ch->algo, ws,
                                             ch->workspace, &one, c->t_a, dx));
    return ASGML_OK;
}

asgml_status asgml_cuda_conv2d_backward_filter(asgml_backend *be, const asgml_conv2d_desc *d,
                                               const float *x, const float *dy, float *dw)
{
    const asgml_conv_algo_perf *ch = NULL;
    void *ws = NULL;
    asgml_status st = conv_prepare(be, d, ASGML_CONV_BWD_FILTER, x, NULL, dy, NULL, &ch, &ws);
    if (st != ASGML_OK) return st;
    asgml_cuda_impl *c = asgml_cuda(be);
    CUDNN_CHECK(cudnnConvolutionBackwardFilter(c->cudnn, &one, c->t_a, x, c->t_b, dy, c->conv,
                                               (cudnnConvolutionBwdFilterAlgo_t)ch->algo, ws,
                                               ch->workspace, &one, c->f_w, dw));
    return ASGML_OK;
}

/* x (n, c, hw, 1) -> t_a, parameters (1, c, 1, 1) -> t_c */
static asgml_status set_bn(asgml_backend *be, const asgml_bn_desc *d)
{
    asgml_cuda_impl *c = asgml_cuda(be);
    asgml_status st = asgml_bn_desc_check(d);
    if (st != ASGML_OK) return st;
    const int xd[4] = {d->n, d->c, d->hw, 1}, pd[4] = {1, d->c, 1, 1};
    if ((st = set_tensor(c->t_a, dnn_type(c->dtype), xd)) != ASGML_OK) return st;
    return set_tensor(c->t_c, CUDNN_DATA_FLOAT, pd);
}

asgml_status asgml_cuda_batchnorm_forward_train(asgml_backend *be, const asgml_bn_desc *d,
                                                const float *x, const float *gamma,
                                                const float *beta, float *y, float *save_mean,
                                                float *save_invstd, float *running_mean,
                                                float *running_var)
{
    asgml_status st = set_bn(be, d);
    if (st != ASGML_OK) return st;
    if ((int64_t)d->n * d->hw < 2)
        return ASGML_ERR(ASGML_EINVAL, "batch-norm training over a single value per channel");
    if (!running_mean != !running_var || !save_mean != !save_invstd)
        return ASGML_ERR(ASGML_EINVAL, "batch norm needs both running (or both saved) statistics");
    asgml_cuda_impl *c = asgml_cuda(be);
    CUDNN_CHECK(cudnnBatchNormalizationForwardTraining(
        c->cudnn, CUDNN_BATCHNORM_SPATIAL, &one, &zero, c->t_a, x, c->t_a, y, c->t_c, gamma, beta,
        d->momentum, running_mean, running_var, d->eps, save_mean, save_invstd));
    return ASGML_OK;
}

asgml_status asgml_cuda_batchnorm_forward_infer(asgml_backend *be, const asgml_bn_desc *d,
                                                const float *x, const float *gamma,
                                                const float *beta, const float *running_mean,
                                                const float *running_var, float *y)
{
    asgml_status st = set_bn(be, d);
    if (st != ASGML_OK) return st;
    asgml_cuda_impl *c = asgml_cuda(be);
    CUDNN_CHECK(cudnnBatchNormalizationForwardInference(
        c->cudnn, CUDNN_BATCHNORM_SPATIAL, &one, &zero, c->t_a, x, c->t_a, y, c->t_c, gamma, beta,
        running_mean, running_var, d->eps));
    return ASGML_OK;
}

asgml_status asgml_cuda_batchnorm_backward(asgml_backend *be, const asgml_bn_desc *d,
                                           const float *x, const float *dy, const float *gamma,
                                           const float *save_mean, const float *save_invstd,
                                           float *dx, float *dgamma, float *dbeta)
{
    asgml_status st = set_bn(be, d);
    if (st != ASGML_OK) return st;
    if (!dx || !dgamma || !dbeta)
        return ASGML_ERR(ASGML_EINVAL, "batch-norm backward needs dx, dgamma and dbeta");
    asgml_cuda_impl *c = asgml_cuda(be);
    /* betaDataDiff = 1: dx +=; betaParamDiff = 1: dgamma +=, dbeta += */
    CUDNN_CHECK(cudnnBatchNormalizationBackward(
        c->cudnn, CUDNN_BATCHNORM_SPATIAL, &one, &one, &one, &one, c->t_a, x, c->t_a, dy, c->t_a,
        dx, c->t_c, gamma, dgamma, dbeta, d->eps, save_mean, save_invstd));
    return ASGML_OK;
}

/* batch norm + ReLU: cuDNN's batch norm, then the ReLU kernel in place
 * (forward) or the ReLU's gradient into the workspace first (backward);
 * the CPU backend fuses them in one pass (cpu/batchnorm.c), the results
 * are the same ops in the same order */
asgml_status asgml_cuda_batchnorm_relu_forward_train(asgml_backend *be, const asgml_bn_desc *d,
                                                     const float *x, const float *gamma,
                                                     const float *beta, float *y,
                                                     float *save_mean, float *save_invstd,
                                                     float *running_mean, float *running_var)
{
    asgml_status st = asgml_cuda_batchnorm_forward_train(be, d, x, gamma, beta, y, save_mean,
                                                         save_invstd, running_mean, running_var);
    if (st != ASGML_OK) return st;
    CUDA_CHECK(asgml_k_relu_forward(asgml_cuda(be)->stream, (int64_t)d->n * d->c * d->hw, y, y));
    return ASGML_OK;
}

asgml_status asgml_cuda_batchnorm_relu_forward_infer(asgml_backend *be, const asgml_bn_desc *d,
                                                     const float *x, const float *gamma,
                                                     const float *beta,
                                                     const float *running_mean,
                                                     const float *running_var, float *y)
{
    asgml_status st = asgml_cuda_batchnorm_forward_infer(be, d, x, gamma, beta, running_mean,
                                                         running_var, y);
    if (st != ASGML_OK) return st;
    CUDA_CHECK(asgml_k_relu_forward(asgml_cuda(be)->stream, (int64_t)d->n * d->c * d->hw, y, y));
    return ASGML_OK;
}

asgml_status asgml_cuda_batchnorm_relu_backward(asgml_backend *be, const asgml_bn_desc *d,
                                                const float *x, const float *y, const float *dy,
                                                const float *gamma, const float *save_mean,
                                                const float *save_invstd, float *dx,
                                                float *dgamma, float *dbeta)
{
    asgml_status st = set_bn(be, d);
    if (st != ASGML_OK) return st;
    const int64_t n = (int64_t)d->n * d->c * d->hw;
    void *g;
    if ((st = asgml_cuda_workspace(be, (size_t)n * sizeof(float), &g)) != ASGML_OK) return st;
    CUDA_CHECK(asgml_k_relu_grad(asgml_cuda(be)->stream, n, y, dy, (float *)g));
    return asgml_cuda_batchnorm_backward(be, d, x, (const float *)g, gamma, save_mean,
                                         save_invstd, dx, dgamma, dbeta);
}

#endif /* ASGML_HAVE_CUDNN */
