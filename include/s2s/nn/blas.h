/* blas.h: the one interface to the matrix products: src/nn/blas.c runs it on
 * OpenBLAS (cblas_sgemm, the default build), src/nn/blas_dnnl.c on oneDNN
 * (dnnl_sgemm, `make BLAS=dnnl`).
 *
 * Row-major C = alpha * op(A) * op(B) + beta * C, with op(A) (M x K),
 * op(B) (K x N), C (M x N). ta/tb non-zero mean "transpose". Leading
 * dimensions are those of the arrays as stored (row-major).
 */
#ifndef S2S_BLAS_H
#define S2S_BLAS_H

#include <stddef.h>

#include "s2s/base/common.h"

void blas_gemm(int ta, int tb, int M, int N, int K, float alpha,
               const float *A, int lda, const float *B, int ldb,
               float beta, float *C, int ldc);

/* Number of threads the library's products use (n >= 1), for the process. */
void blas_set_threads(int n);
int blas_get_threads(void);
/* Name of the BLAS library and kernel, e.g. "OpenBLAS 0.3.21 ... Cooperlake". */
const char *blas_config(void);

/* Address space the library maps, once, for each thread that runs
 * products (OpenBLAS: a 128 MiB buffer, which it allocates in a loop that
 * never gives up when the address space is exhausted), with the C
 * library's arena for that thread. */
size_t blas_thread_bytes(void);
/* Before the first product, with up to `threads` threads running
 * products: S2S_ENOMEM, saying so, when the address-space limit
 * (RLIMIT_AS, `ulimit -v`) does not leave blas_thread_bytes() for each and
 * for the calling thread; 0 otherwise (and always without a limit). */
int blas_check_memory(int threads, S2sErr *err);
/* 1 after blas_check_memory failed, or when the address space left would
 * not hold one thread's buffer: OpenBLAS's own threads, started when the
 * library loaded, may then be looping on a buffer they cannot map, and its
 * exit-time shutdown would wait for them forever, so the process must
 * leave with _exit (main.c). */
int blas_short_of_memory(void);

#endif
