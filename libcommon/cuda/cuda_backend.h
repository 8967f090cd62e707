/* SPDX-License-Identifier: MIT */
/* cuda/cuda_backend.h - the CUDA backend's entry point for the registry
 * (backend.c), and the host-side logic of the backend that needs no GPU:
 * the device-memory pool, the per-shape convolution algorithm cache, the
 * algorithm choice, the row-major -> column-major GEMM mapping and the
 * launch-size arithmetic.  These pure parts sit behind a thin seam (raw
 * allocator callbacks, plain structs instead of cuDNN's perf structs) so
 * tests/test-cuda-seam.c checks them on a machine without a GPU.
 *
 * No CUDA type appears in this header: it is included by backend.c, which
 * is compiled without the CUDA include path. */
#ifndef ASGML_CUDA_BACKEND_H
#define ASGML_CUDA_BACKEND_H

#include "asgml/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Creates the "cuda" backend on opt->device_index.  No usable device:
 * ASGML_EDEVICE, "no CUDA device: <cudaGetErrorString>".  Built without
 * cuDNN (ASGML_HAVE_CUDNN undefined): ASGML_ENOTSUP - convolution, batch
 * norm and therefore every model need cuDNN, so the backend refuses to
 * start rather than fail on the first convolution.  opt->tf32: -1 =
 * PyTorch's defaults (cuDNN convolutions may use TF32, cuBLAS GEMMs are
 * strict fp32), 0 = strict fp32 everywhere, 1 = TF32 everywhere. */
asgml_status asgml_cuda_backend_create(const asgml_backend_options *opt, asgml_backend **out);

/* ---- device-memory pool (backend_cuda.c) ------------------------------
 * One caching pool over raw allocations (cudaMalloc in the backend,
 * malloc in the tests).  Requests are rounded up to ASGML_DEVPOOL_ALIGN
 * bytes; a freed block is kept and handed out again for a request of at
 * most its size and at least half of it (best fit).  When the raw
 * allocator reports ASGML_ENOMEM the pool returns every cached free block
 * and tries once more.  Blocks are few (parameters, gradients, arena,
 * optimiser state, workspace), so the lists are scanned linearly.
 * All work on one stream, so a block freed and reused is ordered after
 * every kernel that used it. */
#define ASGML_DEVPOOL_ALIGN ((size_t)512)

typedef struct asgml_devpool_seam {
    /* *ptr = new raw block of bytes; ASGML_ENOMEM when out of memory,
     * another status (with asgml_error set) for other failures */
    asgml_status (*raw_alloc)(void *ctx, size_t bytes, void **ptr);
    void (*raw_free)(void *ctx, void *ptr);
    void *ctx;
} asgml_devpool_seam;

typedef struct asgml_devpool_block {
    void *ptr;
    size_t bytes;        /* rounded size of the raw block */
    int in_use;
} asgml_devpool_block;

typedef struct asgml_devpool {
    asgml_devpool_seam seam;
    asgml_devpool_block *blocks;
    size_t count, cap;
    size_t bytes_reserved;   /* sum of raw blocks held */
    size_t bytes_in_use;
    size_t peak_in_use;
    uint64_t raw_allocs;     /* raw_alloc calls that succeeded (statistics) */
} asgml_devpool;

void asgml_devpool_init(asgml_devpool *p, const asgml_devpool_seam *seam);
/* bytes == 0 gives *ptr = NULL and ASGML_OK */
asgml_status asgml_devpool_alloc(asgml_devpool *p, size_t bytes, void **ptr);
/* Returns the block to the cache.  A pointer the pool did not hand out is
 * ASGML_EINTERNAL (a double free or a foreign pointer). */
asgml_status asgml_devpool_free(asgml_devpool *p, void *ptr);
/* Returns the block to the raw allocator at once (large one-off buffers). */
asgml_status asgml_devpool_release(asgml_devpool *p, void *ptr);
/* Returns every cached free block to the raw allocator. */
void asgml_devpool_trim(asgml_devpool *p);
/* Frees every block, used or not. */
void asgml_devpool_destroy(asgml_devpool *p);
size_t asgml_devpool_round(size_t bytes);

/* ---- convolution algorithm choice (cudnn_ops.c) ----------------------- */
enum { ASGML_CONV_FWD = 0, ASGML_CONV_BWD_DATA = 1, ASGML_CONV_BWD_FILTER = 2 };

/* One row of cuDNN's perf results, in plain C. */
typedef struct asgml_conv_algo_perf {
    int algo;            /* cudnnConvolution{Fwd,BwdData,BwdFilter}Algo_t */
    int ok;              /* status == CUDNN_STATUS_SUCCESS */
    float time_ms;       /* < 0 when not measured (heuristics) */
    size_t workspace;    /* bytes */
    int deterministic;   /* determinism == CUDNN_DETERMINISTIC */
    int tensor_op;       /* mathType uses tensor cores (TF32 for fp32 data) */
    int math_type;       /* cudnnMathType_t, to set on the descriptor */
} asgml_conv_algo_perf;

/* Index of the algorithm to use among perf[0..n) (cuDNN orders them best
 * first): the first that succeeded, fits ws_limit bytes, is deterministic
 * when require_deterministic, and uses no tensor-op math unless allow_tf32.
 * -1 when none qualifies. */
int asgml_conv_pick_algo(const asgml_conv_algo_perf *perf, int n, int require_deterministic,
                         int allow_tf32, size_t ws_limit);

/* Workspace budget for algorithm search: half the free device memory,
 * at most cap bytes, at least what the smallest candidate needs is the
 * caller's concern (candidates over budget are simply not chosen). */
size_t asgml_conv_workspace_budget(size_t free_bytes, size_t cap);

/* Per-shape cache: the chosen algorithm of each direction for one conv
 * descriptor (and math setting). */
typedef struct asgml_conv_algo_entry {
    asgml_conv2d_desc desc;
    int tf32;                  /* math setting the choice was made for */
    int deterministic;
    int have[3];               /* indexed by ASGML_CONV_* */
    asgml_conv_algo_perf choice[3];
} asgml_conv_algo_entry;

typedef struct asgml_conv_algo_cache {
    asgml_conv_algo_entry *entries;
    size_t count, cap;
} asgml_conv_algo_cache;

void asgml_conv_algo_cache_init(asgml_conv_algo_cache *c);
void asgml_conv_algo_cache_free(asgml_conv_algo_cache *c);
/* Entry for (desc, tf32, deterministic), created empty if absent (ENOMEM). */
asgml_status asgml_conv_algo_cache_get(asgml_conv_algo_cache *c, const asgml_conv2d_desc *d,
                                       int tf32, int deterministic,
                                       asgml_conv_algo_entry **entry);

/* Checks a conv descriptor: positive sizes, output size consistent with
 * the formula of asgml/backend.h, every tensor below 2^31 elements (the
 * limit of cuDNN's 4-D descriptors).  ASGML_EINVAL / ASGML_ENOTSUP. */
asgml_status asgml_conv_desc_check(const asgml_conv2d_desc *d);
/* NCHW dims and packed strides of the x, w, y tensors. */
void asgml_conv_dims(const asgml_conv2d_desc *d, int x_dims[4], int w_dims[4], int y_dims[4]);
void asgml_nchw_strides(const int dims[4], int strides[4]);
/* Batch norm as cuDNN sees it: x (n, c, hw, 1), parameters (1, c, 1, 1). */
asgml_status asgml_bn_desc_check(const asgml_bn_desc *d);

/* ---- GEMM mapping (cublas_ops.c) --------------------------------------
 * Row-major C (m,n) = op(A) op(B) is column-major C^T = op(B)^T op(A)^T:
 * cuBLAS gets (transb, transa, n, m, k, B, ldb, A, lda, C, ldc). */
typedef struct asgml_gemm_colmajor {
    int trans_first, trans_second;     /* 0 = N, 1 = T for cuBLAS's A and B */
    int m, n, k;                       /* cuBLAS's m, n, k */
    int first_is_b;                    /* always 1: cuBLAS's A is our B */
    int ld_first, ld_second, ldc;
} asgml_gemm_colmajor;

/* Validates the row-major call (leading dimensions at least the row
 * lengths, non-negative sizes) and fills the column-major one. */
asgml_status asgml_gemm_to_colmajor(int trans_a, int trans_b, int m, int n, int k, int lda,
                                    int ldb, int ldc, asgml_gemm_colmajor *out);

#ifdef __cplusplus
}
#endif
#endif
