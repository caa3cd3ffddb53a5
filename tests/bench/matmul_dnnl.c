/* matmul_dnnl: one product of decoding, y = x W^T with W (N, K) packed once,
 * timed per call on one thread through OpenBLAS's sgemm (which packs W
 * in every call), s2s's own kernels (qmat.h: fp32, bf16, int8) and through oneDNN's matmul primitive with
 * its weights reordered once into the layout it prefers (format "any"):
 * f32, bf16 (x converted per call) and int8 (x quantized per call by a
 * reorder with a scale: per tensor, where s2s scales each row; weights s8
 * with per-output scales). Prints microseconds per product and GFLOP/s.
 *   matmul_dnnl [M N K]...   (default: the shapes of the recipe's decoder)
 * Build: make build/bench/matmul_dnnl (needs libdnnl-dev); run with
 * OMP_NUM_THREADS=1. */
#include <dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "s2s/nn/blas.h"
#include "s2s/nn/qmat.h"

#define CHECK_DNNL(x)                                                              \
    do {                                                                           \
        dnnl_status_t s_ = (x);                                                    \
        if (s_ != dnnl_success) {                                                  \
            fprintf(stderr, "matmul_dnnl: %s failed (%d)\n", #x, (int)s_);         \
            exit(1);                                                               \
        }                                                                          \
    } while (0)

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef void (*Fn)(void *ctx);

/* Microseconds per call of fn, over at least 0.3 s after a warm-up. */
static double per_call(Fn fn, void *ctx)
{
    for (int i = 0; i < 3; i++)
        fn(ctx);
    long n = 0;
    double t0 = now(), t;
    do {
        fn(ctx);
        n++;
    } while ((t = now() - t0) < 0.3);
    return 1e6 * t / (double)n;
}

typedef struct {
    const QMat *w;
    const float *x;
    float *y;
    void *scratch;
    int M;
} S2sCall;

static void s2s_call(void *p)
{
    S2sCall *c = p;
    qmat_mul(c->w, 0, c->w->rows, c->x, c->w->cols, c->M, c->y, c->w->rows, 0.0f, c->scratch);
}

typedef struct {
    dnnl_stream_t stream;
    dnnl_primitive_t conv, mm; /* conv: x f32 -> the source type (NULL for f32) */
    dnnl_memory_t x, xs, w, y;
} DnnlCall;

static void dnnl_call(void *p)
{
    DnnlCall *c = p;
    if (c->conv) {
        dnnl_exec_arg_t a[] = {{DNNL_ARG_FROM, c->x}, {DNNL_ARG_TO, c->xs}};
        CHECK_DNNL(dnnl_primitive_execute(c->conv, c->stream, 2, a));
    }
    dnnl_exec_arg_t a[] = {{DNNL_ARG_SRC, c->conv ? c->xs : c->x}, {DNNL_ARG_WEIGHTS, c->w},
                           {DNNL_ARG_DST, c->y}};
    CHECK_DNNL(dnnl_primitive_execute(c->mm, c->stream, 3, a));
    CHECK_DNNL(dnnl_stream_wait(c->stream));
}

static dnnl_memory_t mem(dnnl_engine_t eng, const dnnl_memory_desc_t *d, void *h)
{
    dnnl_memory_t m;
    CHECK_DNNL(dnnl_memory_create(&m, d, eng, h ? h : DNNL_MEMORY_ALLOCATE));
    return m;
}

/* oneDNN's product of type t (f32, bf16 or s8) for x (M, K) f32 and W (N, K) f32. */
static double dnnl_time(dnnl_engine_t eng, dnnl_stream_t st, dnnl_data_type_t t, const float *x,
                        const float *w, int M, int N, int K)
{
    dnnl_dims_t xd = {M, K}, wd = {K, N}, yd = {M, N};
    dnnl_memory_desc_t xf, xq, wf, wq, wany, yf;
    dnnl_data_type_t wt = t == dnnl_s8 ? dnnl_s8 : t;
    CHECK_DNNL(dnnl_memory_desc_init_by_tag(&xf, 2, xd, dnnl_f32, dnnl_ab));
    CHECK_DNNL(dnnl_memory_desc_init_by_tag(&xq, 2, xd, t, dnnl_ab));
    CHECK_DNNL(dnnl_memory_desc_init_by_tag(&wf, 2, wd, dnnl_f32, dnnl_ba)); /* W^T: (N, K) rows */
    CHECK_DNNL(dnnl_memory_desc_init_by_tag(&wq, 2, wd, wt, dnnl_ba));
    CHECK_DNNL(dnnl_memory_desc_init_by_tag(&wany, 2, wd, wt, dnnl_format_tag_any));
    CHECK_DNNL(dnnl_memory_desc_init_by_tag(&yf, 2, yd, dnnl_f32, dnnl_ab));
    dnnl_primitive_attr_t attr;
    CHECK_DNNL(dnnl_primitive_attr_create(&attr));
    float *scales = malloc(sizeof(float) * (size_t)N);
    for (int n = 0; n < N; n++)
        scales[n] = 1e-4f;
    if (t == dnnl_s8)
        CHECK_DNNL(dnnl_primitive_attr_set_output_scales(attr, N, 1 << 1, scales));
    dnnl_matmul_desc_t md;
    CHECK_DNNL(dnnl_matmul_desc_init(&md, &xq, &wany, NULL, &yf));
    dnnl_primitive_desc_t pd;
    CHECK_DNNL(dnnl_primitive_desc_create(&pd, &md, attr, eng, NULL));
    const dnnl_memory_desc_t *wpacked = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    DnnlCall c = {.stream = st};
    CHECK_DNNL(dnnl_primitive_create(&c.mm, pd));
    /* the weights: f32 -> (scaled) type -> packed, once */
    dnnl_memory_t wuser = mem(eng, &wf, (void *)w), wtyped = mem(eng, &wq, NULL);
    c.w = mem(eng, wpacked, NULL);
    dnnl_primitive_desc_t rpd;
    dnnl_primitive_t r;
    dnnl_primitive_attr_t rattr;
    CHECK_DNNL(dnnl_primitive_attr_create(&rattr));
    float ws = t == dnnl_s8 ? 100.0f : 1.0f;
    CHECK_DNNL(dnnl_primitive_attr_set_output_scales(rattr, 1, 0, &ws));
    dnnl_memory_t from[2] = {wuser, wtyped}, to[2] = {wtyped, c.w};
    for (int i = 0; i < 2; i++) {
        const dnnl_memory_desc_t *fd, *td;
        CHECK_DNNL(dnnl_memory_get_memory_desc(from[i], &fd));
        CHECK_DNNL(dnnl_memory_get_memory_desc(to[i], &td));
        CHECK_DNNL(dnnl_reorder_primitive_desc_create(&rpd, fd, eng, td, eng, i ? NULL : rattr));
        CHECK_DNNL(dnnl_primitive_create(&r, rpd));
        dnnl_exec_arg_t a[] = {{DNNL_ARG_FROM, from[i]}, {DNNL_ARG_TO, to[i]}};
        CHECK_DNNL(dnnl_primitive_execute(r, st, 2, a));
        CHECK_DNNL(dnnl_stream_wait(st));
        dnnl_primitive_destroy(r);
        dnnl_primitive_desc_destroy(rpd);
    }
    c.x = mem(eng, &xf, (void *)x);
    c.y = mem(eng, &yf, NULL);
    if (t != dnnl_f32) { /* x converted (quantized) each call */
        c.xs = mem(eng, &xq, NULL);
        float xsc = 20.0f;
        dnnl_primitive_attr_t xattr;
        CHECK_DNNL(dnnl_primitive_attr_create(&xattr));
        if (t == dnnl_s8)
            CHECK_DNNL(dnnl_primitive_attr_set_output_scales(xattr, 1, 0, &xsc));
        CHECK_DNNL(dnnl_reorder_primitive_desc_create(&rpd, &xf, eng, &xq, eng, xattr));
        CHECK_DNNL(dnnl_primitive_create(&c.conv, rpd));
        dnnl_primitive_desc_destroy(rpd);
        dnnl_primitive_attr_destroy(xattr);
    }
    double us = per_call(dnnl_call, &c);
    dnnl_primitive_destroy(c.mm);
    if (c.conv)
        dnnl_primitive_destroy(c.conv);
    dnnl_memory_t all[] = {wuser, wtyped, c.w, c.x, c.y, c.xs};
    for (int i = 0; i < 6; i++)
        if (all[i])
            dnnl_memory_destroy(all[i]);
    dnnl_primitive_desc_destroy(pd);
    dnnl_primitive_attr_destroy(attr);
    dnnl_primitive_attr_destroy(rattr);
    free(scales);
    return us;
}

typedef struct {
    const float *x, *w;
    float *y;
    int M, N, K;
} BlasCall;

static void blas_call(void *p)
{
    BlasCall *c = p;
    blas_gemm(0, 1, c->M, c->N, c->K, 1.0f, c->x, c->K, c->w, c->K, 0.0f, c->y, c->N);
}

static double blas_time(const float *x, const float *w, int M, int N, int K)
{
    float *y = malloc(sizeof(float) * (size_t)M * N);
    BlasCall c = {x, w, y, M, N, K};
    double us = per_call(blas_call, &c);
    free(y);
    return us;
}

static double s2s_time(Precision p, const float *x, const float *w, int M, int N, int K)
{
    QMat q;
    S2sErr err;
    if (qmat_init(&q, p, w, N, K, K, 0, &err))
        return -1;
    float *y = malloc(sizeof(float) * (size_t)M * N);
    void *scratch = malloc(qmat_scratch_bytes(p, M, K) + 64);
    S2sCall c = {&q, x, y, scratch, M};
    double us = per_call(s2s_call, &c);
    free(y), free(scratch);
    qmat_free(&q);
    return us;
}

int main(int argc, char **argv)
{
    static const int dflt[][3] = {{1, 8000, 512}, {32, 8000, 512}, {160, 8000, 512},
                                  {1, 2048, 512}, {160, 2048, 512}, {160, 2048, 768}};
    int nshape = argc > 1 ? (argc - 1) / 3 : (int)(sizeof dflt / sizeof dflt[0]);
    dnnl_engine_t eng;
    dnnl_stream_t st;
    CHECK_DNNL(dnnl_engine_create(&eng, dnnl_cpu, 0));
    CHECK_DNNL(dnnl_stream_create(&st, eng, dnnl_stream_default_flags));
    blas_set_threads(1);
    printf("| M x N x K | OpenBLAS fp32 | s2s fp32 (%s) | oneDNN f32 | s2s bf16 (%s) | oneDNN bf16 | s2s int8 (%s) | oneDNN int8 |\n",
           qmat_kernel(PREC_FP32), qmat_kernel(PREC_BF16), qmat_kernel(PREC_INT8));
    printf("|---|---|---|---|---|---|---|---|\n");
    for (int s = 0; s < nshape; s++) {
        int M = argc > 1 ? atoi(argv[1 + 3 * s]) : dflt[s][0];
        int N = argc > 1 ? atoi(argv[2 + 3 * s]) : dflt[s][1];
        int K = argc > 1 ? atoi(argv[3 + 3 * s]) : dflt[s][2];
        float *x = malloc(sizeof(float) * (size_t)M * K), *w = malloc(sizeof(float) * (size_t)N * K);
        for (size_t i = 0; i < (size_t)M * K; i++)
            x[i] = (float)((i * 2654435761u) % 2001) / 1000.0f - 1.0f;
        for (size_t i = 0; i < (size_t)N * K; i++)
            w[i] = (float)((i * 2246822519u) % 2001) / 20000.0f - 0.05f;
        double t[7] = {blas_time(x, w, M, N, K), s2s_time(PREC_FP32, x, w, M, N, K), dnnl_time(eng, st, dnnl_f32, x, w, M, N, K),
                       s2s_time(PREC_BF16, x, w, M, N, K), dnnl_time(eng, st, dnnl_bf16, x, w, M, N, K),
                       s2s_time(PREC_INT8, x, w, M, N, K), dnnl_time(eng, st, dnnl_s8, x, w, M, N, K)};
        double flop = 2.0 * M * N * K;
        printf("| %d x %d x %d", M, N, K);
        for (int i = 0; i < 7; i++)
            printf(" | %.1f us (%.0f GFLOP/s)", t[i], flop / t[i] / 1e3);
        printf(" |\n");
        free(x), free(w);
    }
    dnnl_stream_destroy(st);
    dnnl_engine_destroy(eng);
    return 0;
}
