/* Reduced-precision weights and their products (qmat.h): quantization at
 * load, the activations' quantization per product, the portable kernels
 * and the AVX-512 ones (compiled for that target alone, chosen at run
 * time). */
#include "s2s/nn/qmat.h"

#include <immintrin.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "s2s/nn/blas.h"

#define AVX512_TARGET __attribute__((target("avx512f,avx512bw,avx512vnni,avx512bf16")))

const char *precision_name(Precision p)
{
    return p == PREC_BF16 ? "bf16" : p == PREC_INT8 ? "int8" : "fp32";
}

int precision_from_name(const char *name, Precision *p)
{
    static const Precision all[] = {PREC_FP32, PREC_BF16, PREC_INT8};
    for (size_t i = 0; name && i < sizeof all / sizeof all[0]; i++)
        if (strcmp(name, precision_name(all[i])) == 0) {
            *p = all[i];
            return 0;
        }
    return -1;
}

static int has_vnni(void);
static int has_bf16(void);

/* ---- conversions ---- */

/* fp32 to bfloat16, rounding to nearest even (the values are finite). */
static uint16_t to_bf16(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    u += 0x7FFFu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

static float from_bf16(uint16_t b)
{
    uint32_t u = (uint32_t)b << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* Row r of W (or of A^T) as a contiguous read: element k. */
static float weight(const float *w, int ldw, int transpose, int r, int k)
{
    return transpose ? w[(size_t)k * ldw + r] : w[(size_t)r * ldw + k];
}

static int quantize_rows(QMat *q, const float *w, int ldw, int transpose)
{
    for (int r = 0; r < q->rows; r++) {
        float mx = 0;
        for (int k = 0; k < q->cols; k++)
            mx = fmaxf(mx, fabsf(weight(w, ldw, transpose, r, k)));
        float s = mx > 0 ? mx / 127.0f : 1.0f;
        int32_t sum = 0;
        int8_t *row = q->i8 + (size_t)r * q->ld;
        for (int k = 0; k < q->cols; k++) {
            long v = lrintf(weight(w, ldw, transpose, r, k) / s);
            row[k] = (int8_t)(v > 127 ? 127 : v < -127 ? -127 : v);
            sum += row[k];
        }
        q->scale[r] = s, q->qsum[r] = sum;
    }
    return 0;
}

int qmat_init(QMat *q, Precision p, const float *w, int rows, int cols, int ldw, int transpose,
              S2sErr *err)
{
    memset(q, 0, sizeof *q);
    q->prec = p, q->rows = rows, q->cols = cols;
    q->fast = (p == PREC_INT8 && has_vnni()) || (p == PREC_BF16 && has_bf16());
    q->ld = (cols + QMAT_ALIGN - 1) / QMAT_ALIGN * QMAT_ALIGN;
    if (p == PREC_FP32) {
        if (transpose || ldw != cols)
            return s2s_fail(err, S2S_EINVAL, "fp32 weights are used in place, untransposed");
        q->ld = cols, q->f32 = w;
        return 0;
    }
    size_t n = (size_t)rows * q->ld;
    if (p == PREC_BF16) {
        q->bf16 = aligned_alloc(64, (n * sizeof(uint16_t) + 63) / 64 * 64);
        if (!q->bf16)
            return s2s_fail(err, S2S_ENOMEM, "out of memory for %d x %d bf16 weights", rows, cols);
        memset(q->bf16, 0, n * sizeof(uint16_t));
        for (int r = 0; r < rows; r++)
            for (int k = 0; k < cols; k++)
                q->bf16[(size_t)r * q->ld + k] = to_bf16(weight(w, ldw, transpose, r, k));
        return 0;
    }
    q->i8 = aligned_alloc(64, (n + 63) / 64 * 64);
    q->scale = malloc(sizeof(float) * (size_t)rows);
    q->qsum = malloc(sizeof(int32_t) * (size_t)rows);
    if (!q->i8 || !q->scale || !q->qsum) {
        qmat_free(q);
        return s2s_fail(err, S2S_ENOMEM, "out of memory for %d x %d int8 weights", rows, cols);
    }
    memset(q->i8, 0, n);
    return quantize_rows(q, w, ldw, transpose);
}

void qmat_free(QMat *q)
{
    free(q->bf16);
    free(q->i8);
    free(q->scale);
    free(q->qsum);
    memset(q, 0, sizeof *q);
}

size_t qmat_bytes(const QMat *q)
{
    size_t n = (size_t)q->rows * q->ld;
    return q->prec == PREC_FP32 ? n * sizeof(float)
           : q->prec == PREC_BF16 ? n * sizeof(uint16_t)
                                  : n + (size_t)q->rows * (sizeof(float) + sizeof(int32_t));
}

size_t qmat_scratch_bytes(Precision p, int M, int cols)
{
    size_t ld = (size_t)(cols + QMAT_ALIGN - 1) / QMAT_ALIGN * QMAT_ALIGN;
    return p == PREC_FP32 ? 0
           : p == PREC_BF16 ? (size_t)M * ld * sizeof(uint16_t)
                            : (size_t)M * ld + (size_t)M * sizeof(float) + 64;
}

/* ---- the activations, per product ---- */

static void x_to_bf16(uint16_t *xb, int ld, const float *x, int ldx, int M, int K)
{
    for (int m = 0; m < M; m++) {
        uint16_t *row = xb + (size_t)m * ld;
        for (int k = 0; k < K; k++)
            row[k] = to_bf16(x[(size_t)m * ldx + k]);
        memset(row + K, 0, sizeof(uint16_t) * (size_t)(ld - K));
    }
}

/* Row m to u8 = round(x / s) + 128 with s = max|x| / 127 (xs[m]); the
 * padding is 128, a zero. */
static void x_to_u8(uint8_t *xq, float *xs, int ld, const float *x, int ldx, int M, int K)
{
    for (int m = 0; m < M; m++) {
        const float *xr = x + (size_t)m * ldx;
        float mx = 0;
        for (int k = 0; k < K; k++)
            mx = fmaxf(mx, fabsf(xr[k]));
        float s = mx > 0 ? mx / 127.0f : 1.0f, inv = 1.0f / s;
        uint8_t *row = xq + (size_t)m * ld;
        for (int k = 0; k < K; k++) {
            long v = lrintf(xr[k] * inv);
            row[k] = (uint8_t)((v > 127 ? 127 : v < -127 ? -127 : v) + 128);
        }
        memset(row + K, 128, (size_t)(ld - K));
        xs[m] = s;
    }
}

/* ---- kernels: y[m][n] = beta y + dot(x row m, W row r0 + n) ---- */

static void store(float *y, float beta, float v) { *y = beta == 0 ? v : beta * *y + v; }

static void i8_portable(const QMat *W, int r0, int nr, const uint8_t *xq, const float *xs, int M,
                        float *y, int ldy, float beta)
{
    for (int m = 0; m < M; m++)
        for (int n = 0; n < nr; n++) {
            const int8_t *w = W->i8 + (size_t)(r0 + n) * W->ld;
            const uint8_t *a = xq + (size_t)m * W->ld;
            int32_t acc = 0;
            for (int k = 0; k < W->ld; k++)
                acc += (int32_t)a[k] * w[k];
            acc -= 128 * W->qsum[r0 + n];
            store(&y[(size_t)m * ldy + n], beta, (float)acc * xs[m] * W->scale[r0 + n]);
        }
}

static void bf16_portable(const QMat *W, int r0, int nr, const uint16_t *xb, int M, float *y,
                          int ldy, float beta)
{
    for (int m = 0; m < M; m++)
        for (int n = 0; n < nr; n++) {
            const uint16_t *w = W->bf16 + (size_t)(r0 + n) * W->ld, *a = xb + (size_t)m * W->ld;
            float acc = 0;
            for (int k = 0; k < W->cols; k++)
                acc += from_bf16(a[k]) * from_bf16(w[k]);
            store(&y[(size_t)m * ldy + n], beta, acc);
        }
}

/* Four rows of W against one row of x, 64 columns a step. */
AVX512_TARGET static void i8_avx512(const QMat *W, int r0, int nr, const uint8_t *xq,
                                    const float *xs, int M, float *y, int ldy, float beta)
{
    int n = 0;
    for (; n + 4 <= nr; n += 4) {
        const int8_t *w = W->i8 + (size_t)(r0 + n) * W->ld;
        size_t ld = (size_t)W->ld;
        for (int m = 0; m < M; m++) {
            const uint8_t *a = xq + (size_t)m * ld;
            __m512i c0 = _mm512_setzero_si512(), c1 = c0, c2 = c0, c3 = c0;
            for (size_t k = 0; k < ld; k += 64) {
                __m512i av = _mm512_loadu_si512(a + k);
                c0 = _mm512_dpbusd_epi32(c0, av, _mm512_loadu_si512(w + k));
                c1 = _mm512_dpbusd_epi32(c1, av, _mm512_loadu_si512(w + ld + k));
                c2 = _mm512_dpbusd_epi32(c2, av, _mm512_loadu_si512(w + 2 * ld + k));
                c3 = _mm512_dpbusd_epi32(c3, av, _mm512_loadu_si512(w + 3 * ld + k));
            }
            int32_t acc[4] = {_mm512_reduce_add_epi32(c0), _mm512_reduce_add_epi32(c1),
                              _mm512_reduce_add_epi32(c2), _mm512_reduce_add_epi32(c3)};
            for (int j = 0; j < 4; j++)
                store(&y[(size_t)m * ldy + n + j], beta,
                      (float)(acc[j] - 128 * W->qsum[r0 + n + j]) * xs[m] * W->scale[r0 + n + j]);
        }
    }
    if (n < nr)
        i8_portable(W, r0 + n, nr - n, xq, xs, M, y + n, ldy, beta);
}

AVX512_TARGET static void bf16_avx512(const QMat *W, int r0, int nr, const uint16_t *xb, int M,
                                      float *y, int ldy, float beta)
{
    size_t ld = (size_t)W->ld;
    for (int n = 0; n < nr; n++) {
        const uint16_t *w = W->bf16 + (size_t)(r0 + n) * ld;
        for (int m = 0; m < M; m++) {
            const uint16_t *a = xb + (size_t)m * ld;
            __m512 c = _mm512_setzero_ps();
            for (size_t k = 0; k < ld; k += 32)
                c = _mm512_dpbf16_ps(c, (__m512bh)_mm512_loadu_si512(a + k),
                                     (__m512bh)_mm512_loadu_si512(w + k));
            store(&y[(size_t)m * ldy + n], beta, _mm512_reduce_add_ps(c));
        }
    }
}

/* ---- dispatch ---- */

static int forced_portable(void)
{
    const char *e = getenv("S2S_CPU");
    return e && strcmp(e, "portable") == 0;
}

static int has_vnni(void) { return !forced_portable() && __builtin_cpu_supports("avx512vnni"); }
static int has_bf16(void) { return !forced_portable() && __builtin_cpu_supports("avx512bf16"); }

const char *qmat_kernel(Precision p)
{
    if (p == PREC_INT8)
        return has_vnni() ? "avx512-vnni" : "portable";
    if (p == PREC_BF16)
        return has_bf16() ? "avx512-bf16" : "portable";
    return "blas";
}

void qmat_mul(const QMat *W, int r0, int nr, const float *x, int ldx, int M, float *y, int ldy,
              float beta, void *scratch)
{
    if (W->prec == PREC_FP32) {
        blas_gemm(0, 1, M, nr, W->cols, 1.0f, x, ldx, W->f32 + (size_t)r0 * W->cols, W->cols,
                  beta, y, ldy);
    } else if (W->prec == PREC_BF16) {
        x_to_bf16(scratch, W->ld, x, ldx, M, W->cols);
        (W->fast ? bf16_avx512 : bf16_portable)(W, r0, nr, scratch, M, y, ldy, beta);
    } else {
        uint8_t *xq = scratch;
        float *xs = (float *)(xq + ((size_t)M * W->ld + 63) / 64 * 64);
        x_to_u8(xq, xs, W->ld, x, ldx, M, W->cols);
        (W->fast ? i8_avx512 : i8_portable)(W, r0, nr, xq, xs, M, y, ldy, beta);
    }
}
