/* blas.h: the one interface to the matrix products: src/blas.c runs it on
 * OpenBLAS (cblas_sgemm, the default build), src/blas_dnnl.c on oneDNN
 * (dnnl_sgemm, `make BLAS=dnnl`).
 *
 * Row-major C = alpha * op(A) * op(B) + beta * C, with op(A) (M x K),
 * op(B) (K x N), C (M x N). ta/tb non-zero mean "transpose". Leading
 * dimensions are those of the arrays as stored (row-major).
 */
#ifndef S2S_BLAS_H
#define S2S_BLAS_H

void blas_gemm(int ta, int tb, int M, int N, int K, float alpha,
               const float *A, int lda, const float *B, int ldb,
               float beta, float *C, int ldc);

/* Number of threads the library's products use (n >= 1), for the process. */
void blas_set_threads(int n);
int blas_get_threads(void);
/* Name of the BLAS library and kernel, e.g. "OpenBLAS 0.3.21 ... Cooperlake". */
const char *blas_config(void);

#endif
