#include "s2s/nn/blas.h"

#include <cblas.h>

void blas_gemm(int ta, int tb, int M, int N, int K, float alpha,
               const float *A, int lda, const float *B, int ldb,
               float beta, float *C, int ldc)
{
    if (M <= 0 || N <= 0)
        return;
    if (M == 1) { /* one row (greedy decoding of one sentence): sgemv, which does not pack B */
        cblas_sgemv(CblasRowMajor, tb ? CblasNoTrans : CblasTrans, tb ? N : K, tb ? K : N, alpha,
                    B, ldb, A, ta ? lda : 1, beta, C, 1);
        return;
    }
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
                tb ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B, ldb,
                beta, C, ldc);
}

void blas_set_threads(int n) { openblas_set_num_threads(n < 1 ? 1 : n); }

int blas_get_threads(void) { return openblas_get_num_threads(); }

const char *blas_config(void) { return openblas_get_config(); }

size_t blas_thread_bytes(void) { return (size_t)(128 + 64) << 20; }
