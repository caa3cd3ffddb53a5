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
static int has_avx512(void);

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

/* The packed layout (qmat.h): blocks of QMAT_NB rows; in a block, for each
 * group of g columns (int8: 4, bf16: 2), the block's rows side by side, g
 * weights each: one 64-byte vector per group. Element (r, k)'s index: */
static size_t packed(const QMat *q, int r, int k, int g)
{
    return (((size_t)(r / QMAT_NB) * (q->ld / g) + (size_t)(k / g)) * QMAT_NB + (size_t)(r % QMAT_NB)) * g +
           (size_t)(k % g);
}

int8_t qmat_q8(const QMat *q, int r, int k) { return q->i8[packed(q, r, k, 4)]; }

float qmat_weight(const QMat *q, int r, int k)
{
    if (q->prec == PREC_FP32)
        return q->f32p ? q->f32p[packed(q, r, k, 1)] : q->f32[(size_t)r * q->cols + k];
    if (q->prec == PREC_BF16)
        return from_bf16(q->bf16[packed(q, r, k, 2)]);
    return q->scale[r] * (float)qmat_q8(q, r, k);
}

static void quantize_rows(QMat *q, const float *w, int ldw, int transpose)
{
    for (int r = 0; r < q->rows; r++) {
        float mx = 0;
        for (int k = 0; k < q->cols; k++)
            mx = fmaxf(mx, fabsf(weight(w, ldw, transpose, r, k)));
        float s = mx > 0 ? mx / 127.0f : 1.0f;
        int32_t sum = 0;
        for (int k = 0; k < q->cols; k++) {
            long v = lrintf(weight(w, ldw, transpose, r, k) / s);
            int8_t b = (int8_t)(v > 127 ? 127 : v < -127 ? -127 : v);
            q->i8[packed(q, r, k, 4)] = b;
            sum += b;
        }
        q->scale[r] = s, q->qsum[r] = sum;
    }
}

static void *zalloc(size_t bytes)
{
    void *p = aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (p)
        memset(p, 0, bytes);
    return p;
}

int qmat_init(QMat *q, Precision p, const float *w, int rows, int cols, int ldw, int transpose,
              S2sErr *err)
{
    memset(q, 0, sizeof *q);
    q->prec = p, q->rows = rows, q->cols = cols;
    q->fast = (p == PREC_INT8 && has_vnni()) || (p == PREC_BF16 && has_bf16()) ||
              (p == PREC_FP32 && has_avx512());
    q->ld = (cols + QMAT_ALIGN - 1) / QMAT_ALIGN * QMAT_ALIGN;
    if (p == PREC_FP32 && !q->fast) {
        if (transpose || ldw != cols)
            return s2s_fail(err, S2S_EINVAL, "fp32 weights are used in place, untransposed");
        q->ld = cols, q->f32 = w;
        return 0;
    }
    if (p == PREC_FP32) { /* packed, one column a group: the kernel reads x as it is */
        q->ld = cols;
        if (!(q->f32p = zalloc(sizeof(float) * (size_t)(rows + QMAT_NB - 1) / QMAT_NB * QMAT_NB * cols)))
            return s2s_fail(err, S2S_ENOMEM, "out of memory for %d x %d fp32 weights", rows, cols);
        for (int r = 0; r < rows; r++)
            for (int k = 0; k < cols; k++)
                q->f32p[packed(q, r, k, 1)] = weight(w, ldw, transpose, r, k);
        return 0;
    }
    size_t n = (size_t)(rows + QMAT_NB - 1) / QMAT_NB * QMAT_NB * q->ld; /* whole blocks */
    if (p == PREC_BF16) {
        if (!(q->bf16 = zalloc(n * sizeof(uint16_t))))
            return s2s_fail(err, S2S_ENOMEM, "out of memory for %d x %d bf16 weights", rows, cols);
        for (int r = 0; r < rows; r++)
            for (int k = 0; k < cols; k++)
                q->bf16[packed(q, r, k, 2)] = to_bf16(weight(w, ldw, transpose, r, k));
        return 0;
    }
    q->i8 = zalloc(n);
    q->scale = malloc(sizeof(float) * (size_t)rows);
    q->qsum = malloc(sizeof(int32_t) * (size_t)rows);
    if (!q->i8 || !q->scale || !q->qsum) {
        qmat_free(q);
        return s2s_fail(err, S2S_ENOMEM, "out of memory for %d x %d int8 weights", rows, cols);
    }
    quantize_rows(q, w, ldw, transpose);
    return 0;
}

void qmat_free(QMat *q)
{
    free(q->f32own);
    free(q->f32p);
    free(q->bf16);
    free(q->i8);
    free(q->scale);
    free(q->qsum);
    memset(q, 0, sizeof *q);
}

int qmat_reserve_like(QMat *q, const QMat *src, int rows, S2sErr *err)
{
    if (q->cap >= rows && q->prec == src->prec && q->ld == src->ld && q->cols == src->cols)
        return 0;
    qmat_free(q);
    q->prec = src->prec, q->cols = src->cols, q->ld = src->ld, q->fast = src->fast;
    size_t n = (size_t)(rows + QMAT_NB - 1) / QMAT_NB * QMAT_NB * q->ld; /* whole blocks */
    int ok = 1;
    if (q->prec == PREC_FP32 && src->f32p)
        ok = (q->f32p = zalloc(sizeof(float) * n)) != NULL;
    else if (q->prec == PREC_FP32)
        ok = (q->f32 = q->f32own = malloc(sizeof(float) * (size_t)rows * q->cols)) != NULL;
    else if (q->prec == PREC_BF16)
        ok = (q->bf16 = zalloc(n * sizeof(uint16_t))) != NULL;
    else
        ok = (q->i8 = zalloc(n)) && (q->scale = malloc(sizeof(float) * (size_t)rows)) &&
             (q->qsum = malloc(sizeof(int32_t) * (size_t)rows));
    if (!ok) {
        qmat_free(q);
        return s2s_fail(err, S2S_ENOMEM, "out of memory for %d x %d gathered weights", rows,
                        src->cols);
    }
    q->cap = rows;
    return 0;
}

/* Row j of src's packed blocks into row i of q's: each group of g
 * columns of a row is 4 bytes (int8: 4 x 1, bf16: 2 x 2). */
static void gather_packed(unsigned char *dst, const unsigned char *src, int groups, int i, int j)
{
    size_t blk = (size_t)groups * QMAT_NB * 4;
    unsigned char *d = dst + (size_t)(i / QMAT_NB) * blk + (size_t)(i % QMAT_NB) * 4;
    const unsigned char *s = src + (size_t)(j / QMAT_NB) * blk + (size_t)(j % QMAT_NB) * 4;
    for (int g = 0; g < groups; g++)
        memcpy(d + (size_t)g * QMAT_NB * 4, s + (size_t)g * QMAT_NB * 4, 4);
}

void qmat_gather(QMat *q, const QMat *src, const int32_t *idx, int n)
{
    S2S_INVARIANT(n <= q->cap && q->prec == src->prec && q->ld == src->ld);
    int g = q->prec == PREC_INT8 ? 4 : q->prec == PREC_BF16 ? 2 : 1; /* 4 bytes a group */
    q->rows = n;
    if (q->f32p || q->prec != PREC_FP32) { /* the padding rows of the last block: zeros */
        size_t last = (size_t)n / QMAT_NB * QMAT_NB * q->ld, width = 4 / (size_t)g;
        unsigned char *base = q->f32p ? (void *)q->f32p : q->bf16 ? (void *)q->bf16 : (void *)q->i8;
        if (n % QMAT_NB)
            memset(base + last * width, 0, (size_t)QMAT_NB * q->ld * width);
    }
    for (int i = 0; i < n; i++) {
        if (q->f32p)
            gather_packed((unsigned char *)q->f32p, (const unsigned char *)src->f32p, q->ld, i, idx[i]);
        else if (q->prec == PREC_FP32)
            memcpy(q->f32own + (size_t)i * q->cols, src->f32 + (size_t)idx[i] * src->cols,
                   sizeof(float) * (size_t)q->cols);
        else if (q->prec == PREC_BF16)
            gather_packed((unsigned char *)q->bf16, (const unsigned char *)src->bf16, q->ld / g, i,
                          idx[i]);
        else {
            gather_packed((unsigned char *)q->i8, (const unsigned char *)src->i8, q->ld / g, i,
                          idx[i]);
            q->scale[i] = src->scale[idx[i]], q->qsum[i] = src->qsum[idx[i]];
        }
    }
}

size_t qmat_file_bytes(Precision p, int rows, int cols)
{
    size_t n = (size_t)rows * cols;
    return p == PREC_INT8 ? n + sizeof(float) * (size_t)rows : p == PREC_BF16 ? 2 * n : 4 * n;
}

void qmat_encode(const QMat *q, unsigned char *buf)
{
    for (int r = 0; r < q->rows; r++)
        for (int k = 0; k < q->cols; k++, buf += q->prec == PREC_BF16 ? 2 : 1)
            if (q->prec == PREC_BF16)
                memcpy(buf, &q->bf16[packed(q, r, k, 2)], 2);
            else
                *(int8_t *)buf = q->i8[packed(q, r, k, 4)];
    if (q->prec == PREC_INT8)
        memcpy(buf, q->scale, sizeof(float) * (size_t)q->rows);
}

/* Empty storage for a rows x cols matrix of precision p (bf16 or int8). */
static int qmat_alloc(QMat *q, Precision p, int rows, int cols, S2sErr *err)
{
    memset(q, 0, sizeof *q);
    QMat shape = {.prec = p, .cols = cols, .ld = (cols + QMAT_ALIGN - 1) / QMAT_ALIGN * QMAT_ALIGN,
                  .fast = (p == PREC_INT8 && has_vnni()) || (p == PREC_BF16 && has_bf16())};
    int rc = qmat_reserve_like(q, &shape, rows, err);
    q->rows = rows;
    return rc;
}

int qmat_decode(QMat *q, Precision p, int rows, int cols, const unsigned char *buf, S2sErr *err)
{
    int rc = qmat_alloc(q, p, rows, cols, err);
    if (rc)
        return rc;
    const unsigned char *sc = buf + (size_t)rows * cols;
    for (int r = 0; r < rows; r++) {
        int32_t sum = 0;
        for (int k = 0; k < cols; k++, buf += p == PREC_BF16 ? 2 : 1)
            if (p == PREC_BF16) {
                memcpy(&q->bf16[packed(q, r, k, 2)], buf, 2);
            } else {
                int8_t v = *(const int8_t *)buf;
                if (v == -128) {
                    qmat_free(q);
                    return s2s_fail(err, S2S_EFORMAT, "row %d, column %d holds -128 (int8 weights "
                                    "are -127..127)", r, k);
                }
                q->i8[packed(q, r, k, 4)] = v, sum += v;
            }
        if (p == PREC_INT8) {
            memcpy(&q->scale[r], sc + sizeof(float) * (size_t)r, sizeof(float));
            q->qsum[r] = sum;
            if (!(q->scale[r] > 0 && isfinite(q->scale[r]))) { /* a zero row's is 1 */
                qmat_free(q);
                return s2s_fail(err, S2S_EFORMAT, "row %d's scale is not a finite number > 0", r);
            }
        }
    }
    return 0;
}

size_t qmat_bytes(const QMat *q)
{
    size_t n = (size_t)(q->rows + QMAT_NB - 1) / QMAT_NB * QMAT_NB * q->ld;
    return q->prec == PREC_FP32 ? (size_t)q->rows * q->cols * sizeof(float)
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
        for (int k = 0; k < K; k++) { /* (no libm calls: this runs every product) */
            float a = xr[k] < 0 ? -xr[k] : xr[k];
            mx = a > mx ? a : mx;
        }
        float s = mx > 0 ? mx / 127.0f : 1.0f, inv = 1.0f / s;
        uint8_t *row = xq + (size_t)m * ld;
        for (int k = 0; k < K; k++) { /* |x / s| <= 127: round half away from zero */
            float v = xr[k] * inv;
            int q = (int)(v + (v < 0 ? -0.5f : 0.5f));
            row[k] = (uint8_t)((q > 127 ? 127 : q < -127 ? -127 : q) + 128);
        }
        memset(row + K, 128, (size_t)(ld - K));
        xs[m] = s;
    }
}

/* ---- kernels: y[m][n] = beta y + dot(x row m, W row r0 + n) ---- */

static float finish(float beta, float y, float v) { return beta == 0 ? v : beta * y + v; }

static void i8_portable(const QMat *W, int r0, int nr, const uint8_t *xq, const float *xs, int M,
                        float *y, int ldy, float beta)
{
    for (int m = 0; m < M; m++)
        for (int n = 0; n < nr; n++) {
            const uint8_t *a = xq + (size_t)m * W->ld;
            int32_t acc = 0;
            for (int k = 0; k < W->ld; k++)
                acc += (int32_t)a[k] * W->i8[packed(W, r0 + n, k, 4)];
            float v = (float)(acc - 128 * W->qsum[r0 + n]) * xs[m] * W->scale[r0 + n];
            y[(size_t)m * ldy + n] = finish(beta, y[(size_t)m * ldy + n], v);
        }
}

static void bf16_portable(const QMat *W, int r0, int nr, const uint16_t *xb, int M, float *y,
                          int ldy, float beta)
{
    for (int m = 0; m < M; m++)
        for (int n = 0; n < nr; n++) {
            const uint16_t *a = xb + (size_t)m * W->ld;
            float acc = 0;
            for (int k = 0; k < W->cols; k++)
                acc += from_bf16(a[k]) * from_bf16(W->bf16[packed(W, r0 + n, k, 2)]);
            y[(size_t)m * ldy + n] = finish(beta, y[(size_t)m * ldy + n], acc);
        }
}

/* Stores the 16 outputs of block row v (rows b0 .. b0 + 16 of W) that lie
 * in r0 .. r0 + nr, for activation row m. */
AVX512_TARGET static void store_block(float *y, int ldy, int m, int r0, int nr, int b0, __m512 v,
                                      float beta)
{
    int lo = b0 < r0 ? r0 - b0 : 0, hi = b0 + QMAT_NB > r0 + nr ? r0 + nr - b0 : QMAT_NB;
    if (lo > 0) { /* a block that starts before r0 (a row range not on a block) */
        float t[QMAT_NB];
        _mm512_storeu_ps(t, v);
        for (int j = lo; j < hi; j++) {
            float *d = y + (size_t)m * ldy + (b0 + j - r0);
            *d = finish(beta, *d, t[j]);
        }
        return;
    }
    __mmask16 mask = (__mmask16)((1u << hi) - 1);
    float *dst = y + (size_t)m * ldy + (b0 - r0); /* element j of the block at dst[j] */
    if (beta != 0) {
        __m512 old = _mm512_maskz_loadu_ps(mask, dst);
        v = _mm512_add_ps(_mm512_mul_ps(_mm512_set1_ps(beta), old), v);
    }
    _mm512_mask_storeu_ps(dst, mask, v);
}

/* The micro-kernels: MR activation rows (1 or 2) against NBLK blocks of 16
 * weight rows, two column groups a step, each with its own accumulators:
 * 2 x MR x NBLK independent chains, a broadcast group of a row against a
 * block's 64 bytes per instruction. Blocks past the matrix's last are
 * skipped by the caller (nb <= NBLK). */
#define NBLK 4

/* The 16 outputs of block b0 .. b0 + 16 for row m: int8's scaling. */
AVX512_TARGET static __m512 i8_scale(const QMat *W, int b0, __m512i acc, float xs)
{
    int left = W->rows - b0;
    __mmask16 k = (__mmask16)(left >= QMAT_NB ? 0xFFFF : (1u << left) - 1);
    __m512i off = _mm512_mullo_epi32(_mm512_maskz_loadu_epi32(k, W->qsum + b0), _mm512_set1_epi32(128));
    __m512 v = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc, off));
    return _mm512_mul_ps(_mm512_mul_ps(v, _mm512_set1_ps(xs)), _mm512_maskz_loadu_ps(k, W->scale + b0));
}

/* One group (4 columns) of rows a0 and a1 against blocks w0..w3 (bs bytes
 * apart), into accumulators c0..c7: written out so that they stay in
 * registers. */
#define I8_STEP(a0, a1, w, bs, c0, c1, c2, c3, c4, c5, c6, c7)                      \
    do {                                                                              \
        int32_t g0_, g1_;                                                             \
        memcpy(&g0_, (a0), 4);                                                        \
        memcpy(&g1_, (a1), 4);                                                        \
        __m512i x0_ = _mm512_set1_epi32(g0_), x1_ = _mm512_set1_epi32(g1_);           \
        __m512i w0_ = _mm512_loadu_si512((w)), w1_ = _mm512_loadu_si512((w) + (bs));  \
        __m512i w2_ = _mm512_loadu_si512((w) + 2 * (bs));                            \
        __m512i w3_ = _mm512_loadu_si512((w) + 3 * (bs));                            \
        c0 = _mm512_dpbusd_epi32(c0, x0_, w0_), c1 = _mm512_dpbusd_epi32(c1, x0_, w1_); \
        c2 = _mm512_dpbusd_epi32(c2, x0_, w2_), c3 = _mm512_dpbusd_epi32(c3, x0_, w3_); \
        c4 = _mm512_dpbusd_epi32(c4, x1_, w0_), c5 = _mm512_dpbusd_epi32(c5, x1_, w1_); \
        c6 = _mm512_dpbusd_epi32(c6, x1_, w2_), c7 = _mm512_dpbusd_epi32(c7, x1_, w3_); \
    } while (0)

/* Rows m0 and m0 + 1 (m0 + 1 only when two) against four whole blocks
 * from b: 16 chains (two column groups a step). */
AVX512_TARGET static void i8_micro4(const QMat *W, int b, const uint8_t *xq, const float *xs,
                                    int m0, int two, float *y, int ldy, int r0, int nr, float beta)
{
    size_t ld = (size_t)W->ld, bs = ld * QMAT_NB;
    const int8_t *w = W->i8 + (size_t)b * bs;
    const uint8_t *a0 = xq + (size_t)m0 * ld, *a1 = two ? a0 + ld : a0;
    __m512i z = _mm512_setzero_si512();
    __m512i p0 = z, p1 = z, p2 = z, p3 = z, p4 = z, p5 = z, p6 = z, p7 = z;
    __m512i q0 = z, q1 = z, q2 = z, q3 = z, q4 = z, q5 = z, q6 = z, q7 = z;
    for (size_t k = 0; k < ld; k += 8) {
        I8_STEP(a0 + k, a1 + k, w + k * QMAT_NB, bs, p0, p1, p2, p3, p4, p5, p6, p7);
        I8_STEP(a0 + k + 4, a1 + k + 4, w + (k + 4) * QMAT_NB, bs, q0, q1, q2, q3, q4, q5, q6, q7);
    }
    __m512i acc[2][4] = {{_mm512_add_epi32(p0, q0), _mm512_add_epi32(p1, q1),
                          _mm512_add_epi32(p2, q2), _mm512_add_epi32(p3, q3)},
                         {_mm512_add_epi32(p4, q4), _mm512_add_epi32(p5, q5),
                          _mm512_add_epi32(p6, q6), _mm512_add_epi32(p7, q7)}};
    for (int i = 0; i < 1 + two; i++)
        for (int j = 0; j < 4; j++) {
            int b0 = (b + j) * QMAT_NB;
            store_block(y, ldy, m0 + i, r0, nr, b0, i8_scale(W, b0, acc[i][j], xs[m0 + i]), beta);
        }
}

/* One row against one block: the matrix's last blocks. */
AVX512_TARGET static void i8_micro1(const QMat *W, int b, const uint8_t *xq, const float *xs,
                                    int m, float *y, int ldy, int r0, int nr, float beta)
{
    size_t ld = (size_t)W->ld;
    const int8_t *w = W->i8 + (size_t)b * ld * QMAT_NB;
    const uint8_t *a = xq + (size_t)m * ld;
    __m512i c = _mm512_setzero_si512();
    for (size_t k = 0; k < ld; k += 4) {
        int32_t g;
        memcpy(&g, a + k, 4);
        c = _mm512_dpbusd_epi32(c, _mm512_set1_epi32(g), _mm512_loadu_si512(w + k * QMAT_NB));
    }
    int b0 = b * QMAT_NB;
    store_block(y, ldy, m, r0, nr, b0, i8_scale(W, b0, c, xs[m]), beta);
}

/* Six rows from m0 against four whole blocks from b: 24 accumulators, a
 * block's weights loaded once for six rows (many rows: batched decoding).
 * Written out so that the accumulators stay in registers. */
#define I8_MR 6
#define I8_ROW(p, c0, c1, c2, c3)                                                     \
    do {                                                                              \
        int32_t g_;                                                                   \
        memcpy(&g_, (p), 4);                                                          \
        __m512i x_ = _mm512_set1_epi32(g_);                                           \
        c0 = _mm512_dpbusd_epi32(c0, x_, w0), c1 = _mm512_dpbusd_epi32(c1, x_, w1);   \
        c2 = _mm512_dpbusd_epi32(c2, x_, w2), c3 = _mm512_dpbusd_epi32(c3, x_, w3);   \
    } while (0)
AVX512_TARGET static void i8_micro6(const QMat *W, int b, const uint8_t *xq, const float *xs,
                                    int m0, float *y, int ldy, int r0, int nr, float beta)
{
    size_t ld = (size_t)W->ld, bs = ld * QMAT_NB;
    const int8_t *w = W->i8 + (size_t)b * bs;
    const uint8_t *a = xq + (size_t)m0 * ld;
    __m512i z = _mm512_setzero_si512();
    __m512i a0 = z, a1 = z, a2 = z, a3 = z, b0 = z, b1 = z, b2 = z, b3 = z, c0 = z, c1 = z, c2 = z,
            c3 = z, d0 = z, d1 = z, d2 = z, d3 = z, e0 = z, e1 = z, e2 = z, e3 = z, f0 = z, f1 = z,
            f2 = z, f3 = z;
    for (size_t k = 0; k < ld; k += 4) {
        const int8_t *wk = w + k * QMAT_NB;
        __m512i w0 = _mm512_loadu_si512(wk), w1 = _mm512_loadu_si512(wk + bs);
        __m512i w2 = _mm512_loadu_si512(wk + 2 * bs), w3 = _mm512_loadu_si512(wk + 3 * bs);
        I8_ROW(a + k, a0, a1, a2, a3);
        I8_ROW(a + ld + k, b0, b1, b2, b3);
        I8_ROW(a + 2 * ld + k, c0, c1, c2, c3);
        I8_ROW(a + 3 * ld + k, d0, d1, d2, d3);
        I8_ROW(a + 4 * ld + k, e0, e1, e2, e3);
        I8_ROW(a + 5 * ld + k, f0, f1, f2, f3);
    }
    __m512i acc[I8_MR][4] = {{a0, a1, a2, a3}, {b0, b1, b2, b3}, {c0, c1, c2, c3},
                             {d0, d1, d2, d3}, {e0, e1, e2, e3}, {f0, f1, f2, f3}};
    for (int i = 0; i < I8_MR; i++)
        for (int j = 0; j < 4; j++) {
            int o = (b + j) * QMAT_NB;
            store_block(y, ldy, m0 + i, r0, nr, o, i8_scale(W, o, acc[i][j], xs[m0 + i]), beta);
        }
}

AVX512_TARGET static void i8_avx512(const QMat *W, int r0, int nr, const uint8_t *xq,
                                    const float *xs, int M, float *y, int ldy, float beta)
{
    int bend = (r0 + nr + QMAT_NB - 1) / QMAT_NB, b = r0 / QMAT_NB;
    for (; b + NBLK <= bend; b += NBLK) {
        int m = 0;
        for (; m + I8_MR <= M; m += I8_MR)
            i8_micro6(W, b, xq, xs, m, y, ldy, r0, nr, beta);
        for (; m < M; m += 2)
            i8_micro4(W, b, xq, xs, m, M - m >= 2, y, ldy, r0, nr, beta);
    }
    for (; b < bend; b++)
        for (int m = 0; m < M; m++)
            i8_micro1(W, b, xq, xs, m, y, ldy, r0, nr, beta);
}

/* The same for bf16: 2 columns a group, fp32 accumulation. */
#define BF_STEP(a0, a1, w, bs, c0, c1, c2, c3, c4, c5, c6, c7)                          \
    do {                                                                              \
        int32_t g0_, g1_;                                                             \
        memcpy(&g0_, (a0), 4);                                                        \
        memcpy(&g1_, (a1), 4);                                                        \
        __m512bh x0_ = (__m512bh)_mm512_set1_epi32(g0_);                              \
        __m512bh x1_ = (__m512bh)_mm512_set1_epi32(g1_);                              \
        __m512bh w0_ = (__m512bh)_mm512_loadu_si512((w));                             \
        __m512bh w1_ = (__m512bh)_mm512_loadu_si512((w) + (bs));                      \
        __m512bh w2_ = (__m512bh)_mm512_loadu_si512((w) + 2 * (bs));                  \
        __m512bh w3_ = (__m512bh)_mm512_loadu_si512((w) + 3 * (bs));                  \
        c0 = _mm512_dpbf16_ps(c0, x0_, w0_), c1 = _mm512_dpbf16_ps(c1, x0_, w1_);      \
        c2 = _mm512_dpbf16_ps(c2, x0_, w2_), c3 = _mm512_dpbf16_ps(c3, x0_, w3_);      \
        c4 = _mm512_dpbf16_ps(c4, x1_, w0_), c5 = _mm512_dpbf16_ps(c5, x1_, w1_);      \
        c6 = _mm512_dpbf16_ps(c6, x1_, w2_), c7 = _mm512_dpbf16_ps(c7, x1_, w3_);      \
    } while (0)

/* Rows m0 and m0 + 1 (m0 + 1 only when two) against four whole blocks
 * from b, one chain per output: the same order of sums as bf16_micro6, so
 * a row's result does not depend on the rows decoded beside it. */
AVX512_TARGET static void bf16_micro4(const QMat *W, int b, const uint16_t *xb, int m0, int two,
                                      float *y, int ldy, int r0, int nr, float beta)
{
    size_t ld = (size_t)W->ld, bs = ld * QMAT_NB;
    const uint16_t *w = W->bf16 + (size_t)b * bs;
    const uint16_t *a0 = xb + (size_t)m0 * ld, *a1 = two ? a0 + ld : a0;
    __m512 z = _mm512_setzero_ps();
    __m512 p0 = z, p1 = z, p2 = z, p3 = z, p4 = z, p5 = z, p6 = z, p7 = z;
    for (size_t k = 0; k < ld; k += 2)
        BF_STEP(a0 + k, a1 + k, w + k * QMAT_NB, bs, p0, p1, p2, p3, p4, p5, p6, p7);
    __m512 acc[2][4] = {{p0, p1, p2, p3}, {p4, p5, p6, p7}};
    for (int i = 0; i < 1 + two; i++)
        for (int j = 0; j < 4; j++)
            store_block(y, ldy, m0 + i, r0, nr, (b + j) * QMAT_NB, acc[i][j], beta);
}

AVX512_TARGET static void bf16_micro1(const QMat *W, int b, const uint16_t *xb, int m, float *y,
                                      int ldy, int r0, int nr, float beta)
{
    size_t ld = (size_t)W->ld;
    const uint16_t *w = W->bf16 + (size_t)b * ld * QMAT_NB, *a = xb + (size_t)m * ld;
    __m512 c = _mm512_setzero_ps();
    for (size_t k = 0; k < ld; k += 2) {
        int32_t g;
        memcpy(&g, a + k, 4);
        c = _mm512_dpbf16_ps(c, (__m512bh)_mm512_set1_epi32(g),
                             (__m512bh)_mm512_loadu_si512(w + k * QMAT_NB));
    }
    store_block(y, ldy, m, r0, nr, b * QMAT_NB, c, beta);
}

/* The float outputs of six rows against four blocks from b. */
AVX512_TARGET static void store_rows6(float *y, int ldy, int m0, int r0, int nr, int b,
                                      __m512 acc[I8_MR][4], float beta)
{
    for (int i = 0; i < I8_MR; i++)
        for (int j = 0; j < 4; j++)
            store_block(y, ldy, m0 + i, r0, nr, (b + j) * QMAT_NB, acc[i][j], beta);
}

/* bf16's i8_micro6: six rows against four blocks, a column pair a step. */
#define BF_ROW(p, c0, c1, c2, c3)                                                     \
    do {                                                                              \
        int32_t g_;                                                                   \
        memcpy(&g_, (p), 4);                                                          \
        __m512bh x_ = (__m512bh)_mm512_set1_epi32(g_);                                \
        c0 = _mm512_dpbf16_ps(c0, x_, w0), c1 = _mm512_dpbf16_ps(c1, x_, w1);          \
        c2 = _mm512_dpbf16_ps(c2, x_, w2), c3 = _mm512_dpbf16_ps(c3, x_, w3);          \
    } while (0)
AVX512_TARGET static void bf16_micro6(const QMat *W, int b, const uint16_t *xb, int m0, float *y,
                                      int ldy, int r0, int nr, float beta)
{
    size_t ld = (size_t)W->ld, bs = ld * QMAT_NB;
    const uint16_t *w = W->bf16 + (size_t)b * bs, *a = xb + (size_t)m0 * ld;
    __m512 z = _mm512_setzero_ps();
    __m512 a0 = z, a1 = z, a2 = z, a3 = z, b0 = z, b1 = z, b2 = z, b3 = z, c0 = z, c1 = z, c2 = z,
           c3 = z, d0 = z, d1 = z, d2 = z, d3 = z, e0 = z, e1 = z, e2 = z, e3 = z, f0 = z, f1 = z,
           f2 = z, f3 = z;
    for (size_t k = 0; k < ld; k += 2) {
        const uint16_t *wk = w + k * QMAT_NB;
        __m512bh w0 = (__m512bh)_mm512_loadu_si512(wk), w1 = (__m512bh)_mm512_loadu_si512(wk + bs);
        __m512bh w2 = (__m512bh)_mm512_loadu_si512(wk + 2 * bs);
        __m512bh w3 = (__m512bh)_mm512_loadu_si512(wk + 3 * bs);
        BF_ROW(a + k, a0, a1, a2, a3);
        BF_ROW(a + ld + k, b0, b1, b2, b3);
        BF_ROW(a + 2 * ld + k, c0, c1, c2, c3);
        BF_ROW(a + 3 * ld + k, d0, d1, d2, d3);
        BF_ROW(a + 4 * ld + k, e0, e1, e2, e3);
        BF_ROW(a + 5 * ld + k, f0, f1, f2, f3);
    }
    __m512 acc[I8_MR][4] = {{a0, a1, a2, a3}, {b0, b1, b2, b3}, {c0, c1, c2, c3},
                            {d0, d1, d2, d3}, {e0, e1, e2, e3}, {f0, f1, f2, f3}};
    store_rows6(y, ldy, m0, r0, nr, b, acc, beta);
}

AVX512_TARGET static void bf16_avx512(const QMat *W, int r0, int nr, const uint16_t *xb, int M,
                                      float *y, int ldy, float beta)
{
    int bend = (r0 + nr + QMAT_NB - 1) / QMAT_NB, b = r0 / QMAT_NB;
    for (; b + NBLK <= bend; b += NBLK) {
        int m = 0;
        for (; m + I8_MR <= M; m += I8_MR)
            bf16_micro6(W, b, xb, m, y, ldy, r0, nr, beta);
        for (; m < M; m += 2)
            bf16_micro4(W, b, xb, m, M - m >= 2, y, ldy, r0, nr, beta);
    }
    for (; b < bend; b++)
        for (int m = 0; m < M; m++)
            bf16_micro1(W, b, xb, m, y, ldy, r0, nr, beta);
}

/* x_to_u8 in AVX-512, giving the same bytes: the same product, sum and
 * truncation per element (fp-contract off: no fused multiply-add). */
__attribute__((target("avx512f,avx512bw,avx512vl"), optimize("fp-contract=off"))) static void
x_to_u8_avx512(uint8_t *xq, float *xs, int ld, const float *x, int ldx, int M, int K)
{
    const __m512 half = _mm512_set1_ps(0.5f), mhalf = _mm512_set1_ps(-0.5f);
    const __m512i lo = _mm512_set1_epi32(-127), hi = _mm512_set1_epi32(127), off = _mm512_set1_epi32(128);
    for (int m = 0; m < M; m++) {
        const float *xr = x + (size_t)m * ldx;
        __m512 mx = _mm512_setzero_ps();
        for (int k = 0; k < K; k += 16) {
            __mmask16 t = (__mmask16)(K - k >= 16 ? 0xFFFF : (1u << (K - k)) - 1);
            mx = _mm512_max_ps(mx, _mm512_abs_ps(_mm512_maskz_loadu_ps(t, xr + k)));
        }
        float mxs = _mm512_reduce_max_ps(mx), s = mxs > 0 ? mxs / 127.0f : 1.0f;
        __m512 inv = _mm512_set1_ps(1.0f / s);
        uint8_t *row = xq + (size_t)m * ld;
        for (int k = 0; k < K; k += 16) {
            __mmask16 t = (__mmask16)(K - k >= 16 ? 0xFFFF : (1u << (K - k)) - 1);
            __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(t, xr + k), inv);
            __mmask16 neg = _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_LT_OQ);
            v = _mm512_add_ps(v, _mm512_mask_blend_ps(neg, half, mhalf));
            __m512i q = _mm512_min_epi32(_mm512_max_epi32(_mm512_cvttps_epi32(v), lo), hi);
            _mm_mask_storeu_epi8(row + k, t, _mm512_cvtepi32_epi8(_mm512_add_epi32(q, off)));
        }
        memset(row + K, 128, (size_t)(ld - K));
        xs[m] = s;
    }
}

/* fp32, packed one column a group: an FMA of a broadcast x[m][k] with a
 * block's 16 weights of column k. One chain per output, the same order of
 * sums in every micro-kernel (a row's result does not depend on the rows
 * decoded beside it). */
#define F32_ROW(p, c0, c1, c2, c3)                                                    \
    do {                                                                              \
        __m512 x_ = _mm512_set1_ps(*(p));                                             \
        c0 = _mm512_fmadd_ps(x_, w0, c0), c1 = _mm512_fmadd_ps(x_, w1, c1);            \
        c2 = _mm512_fmadd_ps(x_, w2, c2), c3 = _mm512_fmadd_ps(x_, w3, c3);            \
    } while (0)
#define F32_LOAD4(wk, bs)                                                             \
    __m512 w0 = _mm512_loadu_ps(wk), w1 = _mm512_loadu_ps((wk) + (bs));               \
    __m512 w2 = _mm512_loadu_ps((wk) + 2 * (bs)), w3 = _mm512_loadu_ps((wk) + 3 * (bs))

AVX512_TARGET static void f32_micro6(const QMat *W, int b, const float *x, int ldx, int m0,
                                     float *y, int ldy, int r0, int nr, float beta)
{
    size_t bs = (size_t)W->ld * QMAT_NB, lx = (size_t)ldx;
    const float *w = W->f32p + (size_t)b * bs, *a = x + (size_t)m0 * lx;
    __m512 z = _mm512_setzero_ps();
    __m512 a0 = z, a1 = z, a2 = z, a3 = z, b0 = z, b1 = z, b2 = z, b3 = z, c0 = z, c1 = z, c2 = z,
           c3 = z, d0 = z, d1 = z, d2 = z, d3 = z, e0 = z, e1 = z, e2 = z, e3 = z, f0 = z, f1 = z,
           f2 = z, f3 = z;
    for (int k = 0; k < W->cols; k++) {
        F32_LOAD4(w + (size_t)k * QMAT_NB, bs);
        F32_ROW(a + k, a0, a1, a2, a3);
        F32_ROW(a + lx + k, b0, b1, b2, b3);
        F32_ROW(a + 2 * lx + k, c0, c1, c2, c3);
        F32_ROW(a + 3 * lx + k, d0, d1, d2, d3);
        F32_ROW(a + 4 * lx + k, e0, e1, e2, e3);
        F32_ROW(a + 5 * lx + k, f0, f1, f2, f3);
    }
    __m512 acc[I8_MR][4] = {{a0, a1, a2, a3}, {b0, b1, b2, b3}, {c0, c1, c2, c3},
                            {d0, d1, d2, d3}, {e0, e1, e2, e3}, {f0, f1, f2, f3}};
    store_rows6(y, ldy, m0, r0, nr, b, acc, beta);
}

/* Row m0 (and m0 + 1 when two) against four blocks. */
AVX512_TARGET static void f32_micro2(const QMat *W, int b, const float *x, int ldx, int m0, int two,
                                     float *y, int ldy, int r0, int nr, float beta)
{
    size_t bs = (size_t)W->ld * QMAT_NB;
    const float *w = W->f32p + (size_t)b * bs, *a0 = x + (size_t)m0 * ldx, *a1 = two ? a0 + ldx : a0;
    __m512 z = _mm512_setzero_ps();
    __m512 p0 = z, p1 = z, p2 = z, p3 = z, q0 = z, q1 = z, q2 = z, q3 = z;
    for (int k = 0; k < W->cols; k++) {
        F32_LOAD4(w + (size_t)k * QMAT_NB, bs);
        F32_ROW(a0 + k, p0, p1, p2, p3);
        F32_ROW(a1 + k, q0, q1, q2, q3);
    }
    __m512 acc[2][4] = {{p0, p1, p2, p3}, {q0, q1, q2, q3}};
    for (int i = 0; i < 1 + two; i++)
        for (int j = 0; j < 4; j++)
            store_block(y, ldy, m0 + i, r0, nr, (b + j) * QMAT_NB, acc[i][j], beta);
}

AVX512_TARGET static void f32_micro1(const QMat *W, int b, const float *x, int ldx, int m, float *y,
                                     int ldy, int r0, int nr, float beta)
{
    const float *w = W->f32p + (size_t)b * W->ld * QMAT_NB, *a = x + (size_t)m * ldx;
    __m512 c = _mm512_setzero_ps();
    for (int k = 0; k < W->cols; k++)
        c = _mm512_fmadd_ps(_mm512_set1_ps(a[k]), _mm512_loadu_ps(w + (size_t)k * QMAT_NB), c);
    store_block(y, ldy, m, r0, nr, b * QMAT_NB, c, beta);
}

AVX512_TARGET static void f32_avx512(const QMat *W, int r0, int nr, const float *x, int ldx, int M,
                                     float *y, int ldy, float beta)
{
    int bend = (r0 + nr + QMAT_NB - 1) / QMAT_NB, b = r0 / QMAT_NB;
    for (; b + NBLK <= bend; b += NBLK) {
        int m = 0;
        for (; m + I8_MR <= M; m += I8_MR)
            f32_micro6(W, b, x, ldx, m, y, ldy, r0, nr, beta);
        for (; m < M; m += 2)
            f32_micro2(W, b, x, ldx, m, M - m >= 2, y, ldy, r0, nr, beta);
    }
    for (; b < bend; b++)
        for (int m = 0; m < M; m++)
            f32_micro1(W, b, x, ldx, m, y, ldy, r0, nr, beta);
}

/* ---- dispatch ---- */

static int forced_portable(void)
{
    const char *e = getenv("S2S_CPU");
    return e && strcmp(e, "portable") == 0;
}

static int has_vnni(void) { return !forced_portable() && __builtin_cpu_supports("avx512vnni"); }
static int has_bf16(void) { return !forced_portable() && __builtin_cpu_supports("avx512bf16"); }
static int has_avx512(void) { return !forced_portable() && __builtin_cpu_supports("avx512f"); }

int qmat_packs(Precision p) { return p != PREC_FP32 || has_avx512(); }

const char *qmat_kernel(Precision p)
{
    if (p == PREC_INT8)
        return has_vnni() ? "avx512-vnni" : "portable";
    if (p == PREC_BF16)
        return has_bf16() ? "avx512-bf16" : "portable";
    return has_avx512() ? "avx512f" : "blas";
}

void qmat_mul(const QMat *W, int r0, int nr, const float *x, int ldx, int M, float *y, int ldy,
              float beta, void *scratch)
{
    if (W->f32p) {
        f32_avx512(W, r0, nr, x, ldx, M, y, ldy, beta);
    } else if (W->prec == PREC_FP32) {
        blas_gemm(0, 1, M, nr, W->cols, 1.0f, x, ldx, W->f32 + (size_t)r0 * W->cols, W->cols,
                  beta, y, ldy);
    } else if (W->prec == PREC_BF16) {
        x_to_bf16(scratch, W->ld, x, ldx, M, W->cols);
        (W->fast ? bf16_avx512 : bf16_portable)(W, r0, nr, scratch, M, y, ldy, beta);
    } else {
        uint8_t *xq = scratch;
        float *xs = (float *)(xq + ((size_t)M * W->ld + 63) / 64 * 64);
        (W->fast ? x_to_u8_avx512 : x_to_u8)(xq, xs, W->ld, x, ldx, M, W->cols);
        (W->fast ? i8_avx512 : i8_portable)(W, r0, nr, xq, xs, M, y, ldy, beta);
    }
}
