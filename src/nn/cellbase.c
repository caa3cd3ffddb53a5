#include "s2s/nn/cellbase.h"

#include <string.h>

#include "s2s/nn/blas.h"

CellParams cell_params(CellTensors w) { return (CellParams){.Wx = w.Wx, .Wh = w.Wh, .b = w.b}; }

void cell_product(const QMat *q, const float *w, int r0, int nr, const float *x, int M, int K,
                  float *y, int ldy, float beta, void *buf)
{
    if (q)
        qmat_mul(q, r0, nr, x, K, M, y, ldy, beta, buf);
    else
        blas_gemm(0, 1, M, nr, K, 1.0f, x, K, w + (size_t)r0 * K, K, beta, y, ldy);
}

void cell_input_forward(float *gates, const float *x, CellParams p, int N, int X, int GH)
{
    cell_product(p.qx, p.Wx, 0, GH, x, N, X, gates, GH, 0.0f, p.qbuf);
    for (size_t r = 0; r < (size_t)N; r++) {
        float *gr = gates + r * (size_t)GH;
        for (int j = 0; j < GH; j++)
            gr[j] += p.b[j];
    }
}

void cell_input_backward(float *dx, CellTensors g, const float *dgates, const float *x,
                         CellParams p, int N, int X, int GH)
{
    blas_gemm(1, 0, GH, X, N, 1.0f, dgates, GH, x, X, 1.0f, g.Wx, X);
    if (dx)
        blas_gemm(0, 0, N, X, GH, 1.0f, dgates, GH, p.Wx, X, 1.0f, dx, X);
    for (size_t r = 0; r < (size_t)N; r++) {
        const float *d = dgates + r * (size_t)GH;
        for (int j = 0; j < GH; j++)
            g.b[j] += d[j];
    }
}

static void copy_or_zero(float *dst, const float *src, int n)
{
    if (src)
        memcpy(dst, src, sizeof(float) * (size_t)n);
    else
        memset(dst, 0, sizeof(float) * (size_t)n);
}

void cell_backward_start(CellScratch s, const float *dhT, const float *dcT, int BH)
{
    copy_or_zero(s.dh, dhT, BH);
    copy_or_zero(s.dc, dcT, BH);
}
