/* blas_dnnl.c: blas.h on oneDNN's dnnl_sgemm (`make BLAS=dnnl`).
 *
 * dnnl_sgemm is row-major, as blas.h is, so the arguments pass straight
 * through; one-row products (greedy decoding of one sentence) go to it as
 * well: oneDNN's small-M kernels do not pack B (measured in bench.sh).
 *
 * Threads: Debian's oneDNN runs on OpenMP, whose thread count is a setting
 * of each calling thread, not of the process. blas_set_threads records the
 * count for the process; every call first brings the calling thread's
 * OpenMP setting to it (one integer compare when it already is), so the
 * shards' and decoders' worker threads run their products on one thread
 * each and the main thread (validation, one decoding stream) on n, as with
 * OpenBLAS's process-wide openblas_set_num_threads.
 */
#include "s2s/nn/blas.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#include <oneapi/dnnl/dnnl.h>

#include "s2s/base/common.h"

static int g_threads = 1;
static int g_set = 0; /* blas_set_threads has been called */

static void match_threads(void)
{
    if (g_set && omp_get_max_threads() != g_threads)
        omp_set_num_threads(g_threads);
}

void blas_gemm(int ta, int tb, int M, int N, int K, float alpha,
               const float *A, int lda, const float *B, int ldb,
               float beta, float *C, int ldc)
{
    if (M <= 0 || N <= 0)
        return;
    match_threads();
    dnnl_status_t st = dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, alpha, A, lda, B, ldb,
                                  beta, C, ldc);
    S2S_INVARIANT(st == dnnl_success); /* shapes come from the code, never from input */
}

void blas_set_threads(int n)
{
    g_threads = n < 1 ? 1 : n;
    g_set = 1;
    omp_set_num_threads(g_threads);
}

/* oneDNN's scratch is malloc'd per product: the C library's arena for the
 * thread, and room for the packed panels. */
size_t blas_thread_bytes(void) { return (size_t)(64 + 32) << 20; }

int blas_get_threads(void) { return g_set ? g_threads : omp_get_max_threads(); }

static const char *isa_name(dnnl_cpu_isa_t isa)
{
    switch (isa) {
    case dnnl_cpu_isa_sse41: return "SSE4.1";
    case dnnl_cpu_isa_avx: return "AVX";
    case dnnl_cpu_isa_avx2: return "AVX2";
    case dnnl_cpu_isa_avx2_vnni: return "AVX2-VNNI";
    case dnnl_cpu_isa_avx512_core: return "AVX-512";
    case dnnl_cpu_isa_avx512_core_vnni: return "AVX-512 VNNI";
    case dnnl_cpu_isa_avx512_core_bf16: return "AVX-512 BF16";
    case dnnl_cpu_isa_avx512_core_amx: return "AVX-512 AMX";
    default: return "other ISA";
    }
}

const char *blas_config(void)
{
    static char buf[128];
    const dnnl_version_t *v = dnnl_version();
    snprintf(buf, sizeof buf, "oneDNN %d.%d.%d dnnl_sgemm, OpenMP, %s", v->major, v->minor,
             v->patch, isa_name(dnnl_get_effective_cpu_isa()));
    return buf;
}
