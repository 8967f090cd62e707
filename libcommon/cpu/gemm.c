/* SPDX-License-Identifier: MIT */
/* cpu/gemm.c - row-major SGEMM through CBLAS, parallelised by OpenMP.
 *
 * C (m, n) = alpha * op(A) op(B) + beta * C; op(A) is (m, k), op(B) is
 * (k, n); A is stored (m, lda) or, transposed, (k, lda); likewise B.
 *
 * The BLAS library runs single-threaded (OpenBLAS' own thread pool and
 * OpenMP's spinning workers would fight over the cores) and the product is
 * split over the backend's OpenMP threads by blocks of C columns (or rows,
 * when C is tall).  Each element of C is computed by one thread with the
 * whole k-sum in one BLAS call, so the result depends only on the shapes
 * and the thread count. */
#include <cblas.h>

#include "core/error.h"
#include "cpu.h"

/* below this many multiply-adds one thread does the whole product */
#define GEMM_PAR_MIN (1 << 18)

void asgml_cpu_sgemm(const asgml_backend *be, int trans_a, int trans_b, int m, int n, int k,
                     float alpha, const float *a, int lda, const float *b, int ldb, float beta,
                     float *c, int ldc)
{
    asgml_cpu_blas_threads(be);
    const enum CBLAS_TRANSPOSE ta = trans_a ? CblasTrans : CblasNoTrans;
    const enum CBLAS_TRANSPOSE tb = trans_b ? CblasTrans : CblasNoTrans;
    int nt = asgml_cpu_threads(be);
    const int split_cols = n >= m;
    const int len = split_cols ? n : m;
    if (nt > 1 && (double)m * n * k < GEMM_PAR_MIN) nt = 1;
    /* blocks of a multiple of 16 columns/rows, at most one per thread */
    int block = (len + nt - 1) / nt;
    block = (block + 15) / 16 * 16;
    int nblocks = (len + block - 1) / block;
    if (nblocks <= 1) {
        cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
#pragma omp parallel for num_threads(nblocks) schedule(static, 1)
    for (int t = 0; t < nblocks; t++) {
        int lo = t * block, cnt = len - lo < block ? len - lo : block;
        if (split_cols) /* columns [lo, lo+cnt) of op(B) and C */
            cblas_sgemm(CblasRowMajor, ta, tb, m, cnt, k, alpha, a, lda,
                        trans_b ? b + (size_t)lo * ldb : b + lo, ldb, beta, c + lo, ldc);
        else /* rows [lo, lo+cnt) of op(A) and C */
            cblas_sgemm(CblasRowMajor, ta, tb, cnt, n, k, alpha,
                        trans_a ? a + lo : a + (size_t)lo * lda, lda, b, ldb, beta,
                        c + (size_t)lo * ldc, ldc);
    }
}

asgml_status asgml_cpu_gemm(asgml_backend *be, int trans_a, int trans_b, int m, int n, int k,
                            float alpha, const float *a, int lda, const float *b, int ldb,
                            float beta, float *c, int ldc)
{
    int need_a = trans_a ? m : k, need_b = trans_b ? k : n;
    if (m < 0 || n < 0 || k < 0 || lda < (need_a > 1 ? need_a : 1) ||
        ldb < (need_b > 1 ? need_b : 1) || ldc < (n > 1 ? n : 1))
        return ASGML_ERR(ASGML_EINVAL,
                           "bad gemm arguments (m %d, n %d, k %d, lda %d, ldb %d, ldc %d, "
                           "trans %d%d)", m, n, k, lda, ldb, ldc, trans_a, trans_b);
    if (m == 0 || n == 0) return ASGML_OK;
    asgml_cpu_sgemm(be, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return ASGML_OK;
}
