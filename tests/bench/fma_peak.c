/* fma_peak: the machine's fp32 FMA peak, measured with a register-only loop
 * of independent AVX-512 (or AVX2) fused multiply-adds on 1..N threads.
 * Prints "threads GFLOP/s" lines. Built by `make bench` with -march=native. */
#define _POSIX_C_SOURCE 200809L
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#if defined(__AVX512F__)
typedef __m512 vec;
#define VSET(x) _mm512_set1_ps(x)
#define VFMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define VADD(a, b) _mm512_add_ps(a, b)
#define VSUM(a) _mm512_reduce_add_ps(a)
#define LANES 16
#else
typedef __m256 vec;
#define VSET(x) _mm256_set1_ps(x)
#define VFMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define VADD(a, b) _mm256_add_ps(a, b)
static float VSUM(__m256 a)
{
    float t[8];
    _mm256_storeu_ps(t, a);
    return t[0] + t[1] + t[2] + t[3] + t[4] + t[5] + t[6] + t[7];
}
#define LANES 8
#endif

enum { CHAINS = 12, ITERS = 100000000 / CHAINS };

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* Twelve accumulators in named registers: an array here is kept in memory
 * at -O2 (a load-FMA-store loop that measures the caches, not the FMA
 * units), so the chains are spelled out. */
#define CHAIN12(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
static void *run(void *out)
{
    vec a = VSET(0.999999f), b = VSET(1e-7f);
#define DECL(k) vec acc##k = VSET((float)k);
#define STEP(k) acc##k = VFMA(acc##k, a, b);
#define ADD(k) s = VADD(s, acc##k);
    CHAIN12(DECL)
    for (long i = 0; i < ITERS; i++) {
        CHAIN12(STEP) /* 12 independent chains hide the FMA latency */
    }
    vec s = VSET(0.0f);
    CHAIN12(ADD)
    *(float *)out = VSUM(s);
    return NULL;
}

int main(int argc, char **argv)
{
    int max = argc > 1 ? atoi(argv[1]) : 2;
    printf("# %d-lane FMA, %d chains\n", LANES, CHAINS);
    for (int n = 1; n <= max; n++) {
        pthread_t th[64];
        float sink[64];
        double t0 = now();
        for (int i = 0; i < n; i++)
            pthread_create(&th[i], NULL, run, &sink[i]);
        for (int i = 0; i < n; i++)
            pthread_join(th[i], NULL);
        double dt = now() - t0;
        double flops = 2.0 * LANES * CHAINS * (double)ITERS * n;
        printf("%d %.1f\n", n, flops / dt / 1e9);
    }
    return 0;
}
