/* gemm_bench: cblas_sgemm GFLOP/s (row-major, as s2s calls it through
 * blas_gemm) for the shapes given as "M N K [ta tb]" arguments, best of 3
 * runs of about 0.3 s each, at the thread count given first.
 *   gemm_bench THREADS M N K [ta tb] [M N K ...] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "s2s/nn/blas.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static double bench(int M, int N, int K, int ta, int tb)
{
    float *A = malloc(sizeof(float) * (size_t)M * K), *B = malloc(sizeof(float) * (size_t)K * N);
    float *C = calloc((size_t)M * N, sizeof(float));
    for (size_t i = 0; i < (size_t)M * K; i++)
        A[i] = (float)(i % 7) * 0.01f;
    for (size_t i = 0; i < (size_t)K * N; i++)
        B[i] = (float)(i % 5) * 0.01f;
    double best = 0, flop = 2.0 * M * N * K;
    for (int rep = 0; rep < 3; rep++) {
        long n = 0;
        double t0 = now(), dt;
        do {
            blas_gemm(ta, tb, M, N, K, 1.0f, A, ta ? M : K, B, tb ? K : N, 0.0f, C, N);
            n++;
        } while ((dt = now() - t0) < 0.3);
        if (flop * n / dt > best)
            best = flop * n / dt;
    }
    free(A), free(B), free(C);
    return best / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 5)
        return fprintf(stderr, "usage: gemm_bench THREADS M N K [ta tb] ...\n"), 2;
    blas_set_threads(atoi(argv[1]));
    for (int i = 2; i + 2 < argc;) {
        int M = atoi(argv[i]), N = atoi(argv[i + 1]), K = atoi(argv[i + 2]), ta = 0, tb = 0;
        i += 3;
        if (i + 1 < argc && argv[i][0] <= '1' && argv[i][1] == '\0' && argv[i + 1][1] == '\0') {
            ta = atoi(argv[i]), tb = atoi(argv[i + 1]);
            i += 2;
        }
        printf("%d %d %d %d %d %.1f\n", M, N, K, ta, tb, bench(M, N, K, ta, tb));
    }
    printf("# %s\n", blas_config());
    return 0;
}
