/* SPDX-License-Identifier: MIT */
/* cuda/cuda_impl.h - private state of the CUDA backend and the checking
 * macros shared by backend_cuda.c, cublas_ops.c and cudnn_ops.c (plain C
 * compiled by the C compiler with the CUDA include path).
 *
 * Every CUDA, cuBLAS and cuDNN call goes through CUDA_CHECK / CUBLAS_CHECK /
 * CUDNN_CHECK, which return an asgml_status with a message naming the file,
 * the line, the call and the library's error string; the tools print it.
 *
 * Precision: data are fp32 (ASGML_CUDA_F32).  The data-type field and the
 * descriptor helpers take the type as an argument so bf16 storage can be
 * added later without changing the op table. */
#ifndef ASGML_CUDA_IMPL_H
#define ASGML_CUDA_IMPL_H

#include <cuda_runtime_api.h>
#include <cublas_v2.h>
#ifdef ASGML_HAVE_CUDNN
#include <cudnn.h>
#endif

#include "asgml/backend.h"
#include "cuda/cuda_backend.h"

typedef enum { ASGML_CUDA_F32 = 0 } asgml_cuda_dtype;

/* number of doubles in the device / pinned-host scalar scratch */
#define ASGML_CUDA_SCALARS 8

typedef struct asgml_cuda_impl {
    int device;
    asgml_cuda_dtype dtype;
    int conv_tf32;                /* cuDNN convolutions may use TF32 */
    int gemm_tf32;                /* cuBLAS GEMMs may use TF32 */
    cudaStream_t stream;          /* every op runs on this one stream */
    cublasHandle_t cublas;
#ifdef ASGML_HAVE_CUDNN
    cudnnHandle_t cudnn;
    cudnnTensorDescriptor_t t_a, t_b, t_c;   /* reused: set per call */
    cudnnFilterDescriptor_t f_w;
    cudnnConvolutionDescriptor_t conv;
#endif
    asgml_devpool pool;
    asgml_conv_algo_cache algos;
    void *workspace;              /* cuDNN workspace (pool block) */
    size_t workspace_bytes;
    size_t workspace_cap;         /* budget cap for algorithm search */
    double *partials;             /* device: per-block reduction partials */
    size_t partials_count;        /* doubles */
    double *scalars_dev;          /* device: ASGML_CUDA_SCALARS doubles */
    double *scalars_host;         /* pinned host mirror */
} asgml_cuda_impl;

static inline asgml_cuda_impl *asgml_cuda(asgml_backend *be)
{
    return (asgml_cuda_impl *)be->impl;
}

asgml_status asgml_cuda_fail_rt(cudaError_t e, const char *file, int line, const char *call);
asgml_status asgml_cuda_fail_blas(cublasStatus_t s, const char *file, int line,
                                  const char *call);
#ifdef ASGML_HAVE_CUDNN
asgml_status asgml_cuda_fail_dnn(cudnnStatus_t s, const char *file, int line, const char *call);
#endif

#define CUDA_CHECK(call)                                                         \
    do {                                                                         \
        cudaError_t cuda_e_ = (call);                                            \
        if (cuda_e_ != cudaSuccess)                                              \
            return asgml_cuda_fail_rt(cuda_e_, __FILE__, __LINE__, #call);       \
    } while (0)
#define CUBLAS_CHECK(call)                                                       \
    do {                                                                         \
        cublasStatus_t blas_s_ = (call);                                         \
        if (blas_s_ != CUBLAS_STATUS_SUCCESS)                                    \
            return asgml_cuda_fail_blas(blas_s_, __FILE__, __LINE__, #call);     \
    } while (0)
#define CUDNN_CHECK(call)                                                        \
    do {                                                                         \
        cudnnStatus_t dnn_s_ = (call);                                           \
        if (dnn_s_ != CUDNN_STATUS_SUCCESS)                                      \
            return asgml_cuda_fail_dnn(dnn_s_, __FILE__, __LINE__, #call);       \
    } while (0)
/* variants that store the status and jump to cleanup */
#define CUDA_TRY(call, st, label)                                                \
    do {                                                                         \
        cudaError_t cuda_e_ = (call);                                            \
        if (cuda_e_ != cudaSuccess) {                                            \
            (st) = asgml_cuda_fail_rt(cuda_e_, __FILE__, __LINE__, #call);       \
            goto label;                                                          \
        }                                                                        \
    } while (0)
#define CUDNN_TRY(call, st, label)                                               \
    do {                                                                         \
        cudnnStatus_t dnn_s_ = (call);                                           \
        if (dnn_s_ != CUDNN_STATUS_SUCCESS) {                                    \
            (st) = asgml_cuda_fail_dnn(dnn_s_, __FILE__, __LINE__, #call);       \
            goto label;                                                          \
        }                                                                        \
    } while (0)

/* backend_cuda.c */
asgml_status asgml_cuda_alloc(asgml_backend *be, size_t bytes, void **ptr);
void asgml_cuda_free(asgml_backend *be, void *ptr);
/* Grows the cuDNN workspace to at least bytes. */
asgml_status asgml_cuda_workspace(asgml_backend *be, size_t bytes, void **ws);
/* Grows the reduction partials to at least count doubles. */
asgml_status asgml_cuda_partials(asgml_backend *be, size_t count, double **partials);
/* Copies count scalars_dev doubles to scalars_host and waits for them. */
asgml_status asgml_cuda_fetch_scalars(asgml_backend *be, int count);

/* cublas_ops.c */
asgml_status asgml_cuda_gemm(asgml_backend *be, int trans_a, int trans_b, int m, int n, int k,
                             float alpha, const float *a, int lda, const float *b, int ldb,
                             float beta, float *c, int ldc);
asgml_status asgml_cuda_set_gemm_math(asgml_backend *be);

#ifdef ASGML_HAVE_CUDNN
/* cudnn_ops.c */
asgml_status asgml_cuda_dnn_init(asgml_backend *be);
void asgml_cuda_dnn_destroy(asgml_backend *be);
asgml_status asgml_cuda_conv2d_forward(asgml_backend *be, const asgml_conv2d_desc *d,
                                       const float *x, const float *w, float *y);
asgml_status asgml_cuda_conv2d_backward_data(asgml_backend *be, const asgml_conv2d_desc *d,
                                             const float *dy, const float *w, float *dx);
asgml_status asgml_cuda_conv2d_backward_filter(asgml_backend *be, const asgml_conv2d_desc *d,
                                               const float *x, const float *dy, float *dw);
asgml_status asgml_cuda_batchnorm_forward_train(asgml_backend *be, const asgml_bn_desc *d,
                                                const float *x, const float *gamma,
                                                const float *beta, float *y, float *save_mean,
                                                float *save_invstd, float *running_mean,
                                                float *running_var);
asgml_status asgml_cuda_batchnorm_forward_infer(asgml_backend *be, const asgml_bn_desc *d,
                                                const float *x, const float *gamma,
                                                const float *beta, const float *running_mean,
                                                const float *running_var, float *y);
asgml_status asgml_cuda_batchnorm_backward(asgml_backend *be, const asgml_bn_desc *d,
                                           const float *x, const float *dy, const float *gamma,
                                           const float *save_mean, const float *save_invstd,
                                           float *dx, float *dgamma, float *dbeta);
asgml_status asgml_cuda_batchnorm_relu_forward_train(asgml_backend *be, const asgml_bn_desc *d,
                                                     const float *x, const float *gamma,
                                                     const float *beta, float *y,
                                                     float *save_mean, float *save_invstd,
                                                     float *running_mean, float *running_var);
asgml_status asgml_cuda_batchnorm_relu_forward_infer(asgml_backend *be, const asgml_bn_desc *d,
                                                     const float *x, const float *gamma,
                                                     const float *beta,
                                                     const float *running_mean,
                                                     const float *running_var, float *y);
asgml_status asgml_cuda_batchnorm_relu_backward(asgml_backend *be, const asgml_bn_desc *d,
                                                const float *x, const float *y, const float *dy,
                                                const float *gamma, const float *save_mean,
                                                const float *save_invstd, float *dx,
                                                float *dgamma, float *dbeta);
#endif

#endif
