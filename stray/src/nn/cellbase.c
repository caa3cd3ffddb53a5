#include "s2s/nn/cellbase.h"

#include <string.h>

#include "s2s/nn/blas.h"

void cell_input_forward(float *gates, const float *x, CellParams p, int N, int X, int GH)
{
    blas_gemm(0, 1, N, GH, X, 1.0f, x, X, p.Wx, X, 0.0f, gates, GH);
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
