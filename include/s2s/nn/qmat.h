/* qmat.h: weight matrices for decoding in reduced precision, and their
 * products with fp32 activations.
 *
 * A QMat is a weight W (rows, cols), row-major, as the layers hold them
 * for y = x W^T. It is stored once, at load, in the layout the kernel
 * reads, packed: blocks of QMAT_NB rows, and in a block, for each group of
 * 4 (int8) or 2 (bf16) columns, the 16 rows' weights side by side, so that
 * one instruction multiplies a broadcast group of an activation row with a
 * whole block (columns padded to QMAT_ALIGN, rows to QMAT_NB, with zeros).
 * The precisions:
 *   fp32  where the CPU has AVX-512: packed as the others (a copy, one
 *         column a group) and multiplied by this file's kernel; else the
 *         model's own weights, not copied, through blas.h
 *   bf16  each weight rounded to bfloat16 (nearest even); products
 *         accumulate in fp32
 *   int8  symmetric per-row: w ~ scale[r] * q, q in [-127, 127],
 *         scale[r] = max|W[r]| / 127. Each activation row is quantized at
 *         run time the same way (per row, to [-127, 127], kept as u8 =
 *         q + 128 for the u8 x s8 instruction, the +128 taken back with the
 *         row's sum of q); products accumulate in int32 and are scaled
 *         back to fp32.
 * The kernels: AVX-512 VNNI (int8) and AVX-512 BF16 (bf16) where the CPU
 * has them, else portable C giving the same numbers up to the order of
 * float additions (int8: exactly the same). S2S_CPU=portable in the
 * environment forces the portable kernels (tests compare the two).
 */
#ifndef S2S_QMAT_H
#define S2S_QMAT_H

#include <stddef.h>
#include <stdint.h>

#include "s2s/base/common.h"

typedef enum { PREC_FP32 = 0, PREC_BF16, PREC_INT8 } Precision;

#define QMAT_ALIGN 64 /* columns are padded to a multiple of this */
#define QMAT_NB 16    /* rows per packed block: one 64-byte vector of outputs */

const char *precision_name(Precision p);
int precision_from_name(const char *name, Precision *p);

typedef struct {
    Precision prec;
    int rows, cols, ld;    /* ld: cols rounded up to QMAT_ALIGN (bf16, int8) */
    const float *f32;      /* fp32: (rows, cols), not owned (but see f32own) */
    float *f32own;         /* fp32 made by qmat_gather: f32's storage, owned */
    float *f32p;           /* fp32 packed (fast): owned; f32 is then NULL */
    int cap;               /* qmat_reserve_like: rows the storage holds */
    uint16_t *bf16;        /* bf16: packed, owned */
    int8_t *i8;            /* int8: packed, owned */
    float *scale;          /* int8: (rows), owned */
    int32_t *qsum;         /* int8: (rows) sum of the row's q, owned */
    int fast;              /* 1: the AVX-512 kernel (chosen at qmat_init) */
} QMat;

/* W (rows, cols) with row stride ldw, or, with transpose, W^T of a
 * (cols, rows) matrix stored with stride ldw (so that x W^T = x A for the
 * layers that multiply by A itself). fp32 without AVX-512 keeps the
 * pointer (transpose: not allowed there, S2S_EINVAL). */
int qmat_init(QMat *q, Precision p, const float *w, int rows, int cols, int ldw, int transpose,
              S2sErr *err);
void qmat_free(QMat *q);
/* Storage in q for up to rows rows of src's kind (precision, columns), for
 * qmat_gather; q must be zeroed or made by an earlier call. fp32 gets its
 * own copy (the rows gathered), the others their packed blocks. */
int qmat_reserve_like(QMat *q, const QMat *src, int rows, S2sErr *err);
/* q's rows become src's rows idx[0..n) (n <= q's capacity), packed as
 * qmat_init packs them: products with q give exactly the numbers src's
 * rows give. */
void qmat_gather(QMat *q, const QMat *src, const int32_t *idx, int n);

/* A bf16 or int8 matrix as a model file stores it (checkpoint.h), rows in
 * order, little-endian: int8: rows x cols q (int8, -127..127) then rows
 * scales (float32 > 0; an all-zero row's is 1); bf16: rows x cols weights
 * (bfloat16 bits, u16). */
size_t qmat_file_bytes(Precision p, int rows, int cols);
void qmat_encode(const QMat *q, unsigned char *buf);
/* q made from buf (as qmat_init makes it from the weights these encode);
 * a q of -128 or a scale that is 0, negative or not finite is S2S_EFORMAT
 * naming the row (bf16 values are checked by the caller, dequantized). */
int qmat_decode(QMat *q, Precision p, int rows, int cols, const unsigned char *buf, S2sErr *err);

/* Weight (r, k) as the product sees it (int8: scale times q), and int8's q. */
float qmat_weight(const QMat *q, int r, int k);
int8_t qmat_q8(const QMat *q, int r, int k);
/* Bytes the weights take. */
size_t qmat_bytes(const QMat *q);

/* Scratch a product with up to M rows of cols inputs needs (qmat_mul). */
size_t qmat_scratch_bytes(Precision p, int M, int cols);

/* y[m * ldy + n] = beta * y[...] + sum_k x[m * ldx + k] * W[r0 + n][k], for
 * m < M, n < nr: rows r0 .. r0 + nr of W. scratch: qmat_scratch_bytes(M,
 * cols) bytes (not used by fp32; may be NULL there). */
void qmat_mul(const QMat *W, int r0, int nr, const float *x, int ldx, int M, float *y, int ldy,
              float beta, void *scratch);

/* Which kernel a QMat of precision p made now would use: "avx512f" or
 * "blas" (fp32), "avx512-vnni", "avx512-bf16" or "portable". */
const char *qmat_kernel(Precision p);
/* 1 when a QMat of precision p made now holds its own packed copy (every
 * precision but fp32 without AVX-512, which BLAS reads in place). */
int qmat_packs(Precision p);

#endif
