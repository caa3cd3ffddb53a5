#include "s2s/nn/cellbase.h"

#include <string.h>

#include "s2s/nn/blas.h"
#include "s2s/nn/layernorm.h"

CellParams cell_params(CellTensors w)
{
    return (CellParams){.Wx = w.Wx, .Wh = w.Wh, .b = w.b, .ln = w.ln};
}

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

static void bias_backward(float *db, const float *dgates, int N, int GH)
{
    for (size_t r = 0; r < (size_t)N; r++) {
        const float *d = dgates + r * (size_t)GH;
        for (int j = 0; j < GH; j++)
            db[j] += d[j];
    }
}

/* dWx += dgates^T x, dx += dgates Wx. */
static void input_weights_backward(float *dx, float *gWx, const float *dgates, const float *x,
                                   const float *Wx, int N, int X, int GH)
{
    blas_gemm(1, 0, GH, X, N, 1.0f, dgates, GH, x, X, 1.0f, gWx, X);
    if (dx)
        blas_gemm(0, 0, N, X, GH, 1.0f, dgates, GH, Wx, X, 1.0f, dx, X);
}

void cell_input_backward(float *dx, CellTensors g, const float *dgates, const float *x,
                         CellParams p, int N, int X, int GH)
{
    input_weights_backward(dx, g.Wx, dgates, x, p.Wx, N, X, GH);
    bias_backward(g.b, dgates, N, GH);
}

void cell_input_forward_ln(float *gates, float *lnx, float *rstd, const float *x, CellParams p,
                           int N, int X, int GH)
{
    cell_product(p.qx, p.Wx, 0, GH, x, N, X, lnx, GH, 0.0f, p.qbuf);
    ln_forward(lnx, GH, rstd, 3, N, GH);
    for (size_t r = 0; r < (size_t)N; r++) {
        float *gr = gates + r * (size_t)GH;
        const float *xr = lnx + r * (size_t)GH;
        for (int j = 0; j < GH; j++)
            gr[j] = p.ln[j] * xr[j] + p.b[j];
    }
}

void cell_input_backward_ln(float *dx, CellTensors g, float *dgates, const float *x,
                            const float *lnx, const float *rstd, CellParams p, int N, int X,
                            int GH)
{
    bias_backward(g.b, dgates, N, GH);
    cell_ln_back(dgates, g.ln, dgates, lnx, rstd, p.ln, N, GH, GH);
    input_weights_backward(dx, g.Wx, dgates, x, p.Wx, N, X, GH);
}

void cell_ln_add(float *gates, float *hat, float *rstd, const float *gain, int B, int ld, int D)
{
    ln_forward(hat, ld, rstd, 3, B, D);
    for (size_t b = 0; b < (size_t)B; b++)
        for (int j = 0; j < D; j++)
            gates[b * ld + j] += gain[j] * hat[b * ld + j];
}

void cell_ln_back(float *da, float *dgain, const float *dg, const float *hat, const float *rstd,
                  const float *gain, int B, int ld, int D)
{
    for (size_t b = 0; b < (size_t)B; b++)
        for (int j = 0; j < D; j++) {
            float d = dg[b * ld + j];
            dgain[j] += d * hat[b * ld + j];
            da[b * ld + j] = d * gain[j];
        }
    ln_backward(da, ld, hat, ld, rstd, 3, B, D);
}

const float *cell_output(const CellActs *a, int B, int H)
{
    return a->out ? a->out : a->h + (size_t)B * H;
}

void cell_residual_forward(CellActs *a, const float *x, int T, int B, int H)
{
    size_t n = (size_t)T * B * H, BH = (size_t)B * H;
    for (size_t k = 0; k < n; k++)
        a->out[k] = a->h[BH + k] + x[k];
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
