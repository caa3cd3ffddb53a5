/* Reduced-precision weights (qmat.h): quantization round trip, products
 * against a double-precision reference on shapes with one row, odd sizes,
 * sub-ranges of rows, transposed weights and accumulation, each within the
 * error its rounding allows; fp32's packed kernel against BLAS; and the
 * portable kernels (S2S_CPU=portable)
 * against the AVX-512 ones: int8 exactly equal, bf16 within float
 * summation order. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "s2s/base/rng.h"
#include "s2s/nn/qmat.h"

static float uniform(Rng *r, float a) { return (2.0f * rng_uniform(r) - 1.0f) * a; }

static void fill(float *x, size_t n, float a, Rng *r)
{
    for (size_t i = 0; i < n; i++)
        x[i] = uniform(r, a);
}

static void test_round_trip(Rng *r)
{
    enum { R = 5, C = 77 };
    float w[R * C];
    fill(w, R * C, 3.0f, r);
    w[3] = 0, w[C] = 2.9999f; /* a zero, and a row's maximum */
    QMat q8, qb;
    S2sErr err;
    CHECK(qmat_init(&q8, PREC_INT8, w, R, C, C, 0, &err) == 0);
    CHECK(qmat_init(&qb, PREC_BF16, w, R, C, C, 0, &err) == 0);
    CHECK(q8.ld == 128 && qb.ld == 128);
    int bad8 = 0, badb = 0;
    for (int i = 0; i < R; i++)
        for (int k = 0; k < q8.ld; k++) {
            float v = k < C ? w[i * C + k] : 0;
            float d8 = qmat_weight(&q8, i, k), db = qmat_weight(&qb, i, k);
            bad8 += fabsf(d8 - v) > q8.scale[i] * 0.5001f;
            badb += fabsf(db - v) > fabsf(v) * (1.0f / 256);
        }
    CHECK_MSG(bad8 == 0, "%d int8 weights off by more than half a step", bad8);
    CHECK_MSG(badb == 0, "%d bf16 weights off by more than 2^-8", badb);
    int32_t sum = 0;
    for (int k = 0; k < C; k++)
        sum += qmat_q8(&q8, 0, k);
    CHECK(sum == q8.qsum[0]);
    CHECK(qmat_bytes(&q8) == (size_t)16 * 128 + R * 8); /* one block of 16 rows */
    qmat_free(&q8);
    qmat_free(&qb);
    QMat qf; /* fp32: transposed packing where it packs, else refused (BLAS reads w as it is) */
    if (strcmp(qmat_kernel(PREC_FP32), "blas") == 0) {
        CHECK(qmat_init(&qf, PREC_FP32, w, R, C, C, 1, &err) == S2S_EINVAL);
    } else {
        CHECK(qmat_init(&qf, PREC_FP32, w, C, R, C, 1, &err) == 0);
        int bad = 0;
        for (int i = 0; i < C; i++)
            for (int k = 0; k < R; k++)
                bad += qmat_weight(&qf, i, k) != w[k * C + i];
        CHECK(bad == 0);
        qmat_free(&qf);
    }
}

/* The bound on |y - exact| for output (m, n) of a product in precision p. */
static double bound(Precision p, const QMat *q, const float *x, int ldx, const float *wrow,
                    int m, int n, int K)
{
    double sxw = 0, mx = 0;
    for (int k = 0; k < K; k++) {
        sxw += fabs((double)x[(size_t)m * ldx + k] * wrow[k]);
        mx = fmax(mx, fabs(x[(size_t)m * ldx + k]));
    }
    if (p == PREC_BF16)
        return sxw * (2.0 / 256 + 1.0 / 65536) + 1e-5 * sxw + 1e-6;
    double sw = q->scale[n], sx = mx / 127, mw = 127 * sw;
    return K * (mx * sw / 2 + mw * sx / 2 + sx * sw / 4) * 1.0001 + 1e-5 * sxw + 1e-6;
}

/* W (N, K) or, transposed, A (K, N) with W = A^T; y (M, N) = x W^T over
 * rows r0 .. r0 + nr, beta 0 or 1. */
static void test_product(Precision p, int M, int N, int K, int transpose, int r0, int nr,
                         float beta, Rng *r)
{
    float *w = malloc(sizeof(float) * (size_t)N * K), *x = malloc(sizeof(float) * (size_t)M * (K + 3));
    float *y = malloc(sizeof(float) * (size_t)M * nr), *y0 = malloc(sizeof(float) * (size_t)M * nr);
    float *wrow = malloc(sizeof(float) * (size_t)K);
    fill(w, (size_t)N * K, 0.5f, r);
    fill(x, (size_t)M * (K + 3), 2.0f, r); /* ldx = K + 3: rows not contiguous */
    fill(y0, (size_t)M * nr, 1.0f, r);
    memcpy(y, y0, sizeof(float) * (size_t)M * nr);
    QMat q;
    S2sErr err;
    CHECK(qmat_init(&q, p, w, N, K, transpose ? N : K, transpose, &err) == 0);
    void *scratch = aligned_alloc(64, (qmat_scratch_bytes(p, M, K) + 64) / 64 * 64);
    qmat_mul(&q, r0, nr, x, K + 3, M, y, nr, beta, scratch);
    int bad = 0;
    for (int n = 0; n < nr; n++) {
        for (int k = 0; k < K; k++)
            wrow[k] = transpose ? w[(size_t)k * N + r0 + n] : w[(size_t)(r0 + n) * K + k];
        for (int m = 0; m < M; m++) {
            double exact = beta * (double)y0[m * nr + n];
            for (int k = 0; k < K; k++)
                exact += (double)x[(size_t)m * (K + 3) + k] * wrow[k];
            double b = p == PREC_FP32 ? 1e-4 * (1 + fabs(exact)) : bound(p, &q, x, K + 3, wrow, m, r0 + n, K);
            if (fabs(y[m * nr + n] - exact) > b && bad++ < 3)
                fprintf(stderr, "%s M%d N%d K%d t%d: y[%d][%d] = %g, exact %g, bound %g\n",
                        precision_name(p), M, N, K, transpose, m, n, y[m * nr + n], exact, b);
        }
    }
    CHECK_MSG(bad == 0, "%s %dx%dx%d: %d outputs outside the bound", precision_name(p), M, N, K, bad);
    qmat_free(&q);
    free(scratch), free(w), free(x), free(y), free(y0), free(wrow);
}

/* The same product through the fast kernel and the portable one. */
static double fast_vs_portable(Precision p, int M, int N, int K, Rng *r)
{
    float *w = malloc(sizeof(float) * (size_t)N * K), *x = malloc(sizeof(float) * (size_t)M * K);
    float *y1 = malloc(sizeof(float) * (size_t)M * N), *y2 = malloc(sizeof(float) * (size_t)M * N);
    fill(w, (size_t)N * K, 0.5f, r);
    fill(x, (size_t)M * K, 2.0f, r);
    QMat fast, slow;
    S2sErr err;
    unsetenv("S2S_CPU");
    CHECK(qmat_init(&fast, p, w, N, K, K, 0, &err) == 0);
    setenv("S2S_CPU", "portable", 1);
    CHECK(qmat_init(&slow, p, w, N, K, K, 0, &err) == 0);
    CHECK(!slow.fast && strcmp(qmat_kernel(p), p == PREC_FP32 ? "blas" : "portable") == 0);
    unsetenv("S2S_CPU");
    void *scratch = aligned_alloc(64, (qmat_scratch_bytes(p, M, K) + 64) / 64 * 64);
    qmat_mul(&fast, 0, N, x, K, M, y1, N, 0.0f, scratch);
    qmat_mul(&slow, 0, N, x, K, M, y2, N, 0.0f, scratch);
    double worst = 0;
    for (size_t i = 0; i < (size_t)M * N; i++)
        worst = fmax(worst, fabs((double)y1[i] - y2[i]) / (1 + fabs(y2[i])));
    qmat_free(&fast), qmat_free(&slow);
    free(scratch), free(w), free(x), free(y1), free(y2);
    return worst;
}

int main(void)
{
    Rng r;
    rng_seed(&r, 7);
    test_round_trip(&r);
    static const Precision all[] = {PREC_FP32, PREC_BF16, PREC_INT8};
    static const int shapes[][3] = {{1, 1, 1}, {1, 7, 33}, {3, 13, 64}, {1, 100, 512},
                                    {5, 31, 130}, {64, 9, 257}, {2, 1, 1000},
                                    {13, 70, 130}, {160, 64, 256}};
    for (int pi = 0; pi < 3; pi++)
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
            test_product(all[pi], M, N, K, 0, 0, N, 0.0f, &r);
            test_product(all[pi], M, N, K, 0, N / 3, N - N / 3, 1.0f, &r); /* rows r0.., accumulate */
            if (all[pi] != PREC_FP32)
                test_product(all[pi], M, N, K, 1, 0, N, 0.0f, &r);
        }
    for (int pi = 0; pi < 3; pi++) {
        printf("test_qmat: %s kernel %s\n", precision_name(all[pi]), qmat_kernel(all[pi]));
        double d1 = fast_vs_portable(all[pi], 1, 37, 300, &r), d2 = fast_vs_portable(all[pi], 9, 64, 512, &r);
        if (all[pi] == PREC_INT8)
            CHECK_MSG(d1 == 0 && d2 == 0, "int8: the kernels differ (%g, %g)", d1, d2);
        else
            CHECK_MSG(d1 < 1e-5 && d2 < 1e-5, "%s: the kernels differ by %g, %g",
                      precision_name(all[pi]), d1, d2);
    }
    return check_exit_code("test_qmat");
}
