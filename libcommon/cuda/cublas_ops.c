/* SPDX-License-Identifier: MIT */
/* cublas_ops.c - GEMM through cuBLAS (plain C).
 *
 * The op table's GEMM is row-major: C (m,n) = alpha op(A) op(B) + beta C
 * with leading dimensions lda, ldb, ldc counted in elements between rows.
 * A row-major matrix with leading dimension ld is, read column-major, its
 * transpose with the same leading dimension; so the row-major product is
 * the column-major product C^T (n,m) = op(B)^T op(A)^T, which cuBLAS
 * computes with the operands swapped:
 *     cublasSgemm(transb, transa, n, m, k, B, ldb, A, lda, C, ldc).
 * No data are transposed or copied.
 *
 * Precision: strict fp32 (CUBLAS_DEFAULT_MATH, PyTorch's default
 * torch.backends.cuda.matmul.allow_tf32 = False) unless TF32 was asked for
 * (CUBLAS_TF32_TENSOR_OP_MATH).  A bf16 path would call cublasGemmEx with
 * CUDA_R_16BF inputs and CUBLAS_COMPUTE_32F; the mapping is unchanged. */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include "core/error.h"
#include "cuda/cuda_impl.h"

asgml_status asgml_gemm_to_colmajor(int trans_a, int trans_b, int m, int n, int k, int lda,
                                    int ldb, int ldc, asgml_gemm_colmajor *out)
{
    if (m < 0 || n < 0 || k < 0)
        return ASGML_ERR(ASGML_EINVAL, "gemm with negative size (%d, %d, %d)", m, n, k);
    /* row-major: A is (m,k), or (k,m) stored when transposed; a row of the
     * stored matrix has lda >= its column count */
    int a_cols = trans_a ? m : k, b_cols = trans_b ? k : n;
    if (lda < (a_cols > 1 ? a_cols : 1) || ldb < (b_cols > 1 ? b_cols : 1) ||
        ldc < (n > 1 ? n : 1))
        return ASGML_ERR(ASGML_EINVAL,
                           "gemm leading dimensions (%d, %d, %d) below the row lengths "
                           "(%d, %d, %d)", lda, ldb, ldc, a_cols, b_cols, n);
    out->trans_first = trans_b ? 1 : 0;
    out->trans_second = trans_a ? 1 : 0;
    out->m = n;
    out->n = m;
    out->k = k;
    out->first_is_b = 1;
    out->ld_first = ldb;
    out->ld_second = lda;
    out->ldc = ldc;
    return ASGML_OK;
}

asgml_status asgml_cuda_set_gemm_math(asgml_backend *be)
{
    asgml_cuda_impl *c = asgml_cuda(be);
    CUBLAS_CHECK(cublasSetMathMode(c->cublas, c->gemm_tf32 ? CUBLAS_TF32_TENSOR_OP_MATH
                                                           : CUBLAS_DEFAULT_MATH));
    return ASGML_OK;
}

asgml_status asgml_cuda_gemm(asgml_backend *be, int trans_a, int trans_b, int m, int n, int k,
                             float alpha, const float *a, int lda, const float *b, int ldb,
                             float beta, float *c, int ldc)
{
    asgml_gemm_colmajor g;
    asgml_status st = asgml_gemm_to_colmajor(trans_a, trans_b, m, n, k, lda, ldb, ldc, &g);
    if (st != ASGML_OK) return st;
    if (m == 0 || n == 0) return ASGML_OK;
    asgml_cuda_impl *cu = asgml_cuda(be);
    /* k == 0 is passed on: cuBLAS then scales C by beta, as BLAS does */
    CUBLAS_CHECK(cublasSgemm(cu->cublas, g.trans_first ? CUBLAS_OP_T : CUBLAS_OP_N,
                             g.trans_second ? CUBLAS_OP_T : CUBLAS_OP_N, g.m, g.n, g.k, &alpha,
                             b, g.ld_first, a, g.ld_second, &beta, c, g.ldc));
    return ASGML_OK;
}
