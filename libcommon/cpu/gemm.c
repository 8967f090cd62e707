/* cpu/gemm.c - row-major SGEMM through CBLAS.
 * C (m, n) = alpha * op(A) op(B) + beta * C; op(A) is (m, k), op(B) is (k, n);
 * A is stored (m, lda) or, transposed, (k, lda); likewise B. */
#include <cblas.h>

#include "cpu.h"

asgml_status asgml_cpu_gemm(asgml_backend *be, int trans_a, int trans_b, int m, int n, int k,
                            float alpha, const float *a, int lda, const float *b, int ldb,
                            float beta, float *c, int ldc)
{
    int need_a = trans_a ? m : k, need_b = trans_b ? k : n;
    if (m < 0 || n < 0 || k < 0 || lda < (need_a > 1 ? need_a : 1) ||
        ldb < (need_b > 1 ? need_b : 1) || ldc < (n > 1 ? n : 1))
        return asgml_error(ASGML_EINVAL,
                           "%s:%d: bad gemm arguments (m %d, n %d, k %d, lda %d, ldb %d, ldc %d, "
                           "trans %d%d)",
                           __FILE__, __LINE__, m, n, k, lda, ldb, ldc, trans_a, trans_b);
    if (m == 0 || n == 0) return ASGML_OK;
    asgml_cpu_blas_threads(be);
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return ASGML_OK;
}
