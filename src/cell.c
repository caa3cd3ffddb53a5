#include "s2s/cell.h"

#include <string.h>

#include "s2s/blas.h"
#include "s2s/gru.h"
#include "s2s/lstm.h"
#include "s2s/rnn.h"

static const char *const names[] = {"lstm", "gru", "rnn"};

int cell_gates(CellKind k) { return k == CELL_LSTM ? 4 : k == CELL_GRU ? 3 : 1; }
int cell_has_c(CellKind k) { return k == CELL_LSTM; }
const char *cell_name(CellKind k) { return names[k]; }

int cell_from_name(const char *name, CellKind *k)
{
    for (int i = 0; i < 3; i++)
        if (name && strcmp(name, names[i]) == 0) {
            *k = (CellKind)i;
            return 0;
        }
    return -1;
}

void cell_forward(CellKind k, CellActs *a, const float *x, const float *mask, CellParams p,
                  int T, int B, int X, int H)
{
    if (k == CELL_LSTM)
        lstm_forward(a, x, mask, p, T, B, X, H);
    else if (k == CELL_GRU)
        gru_forward(a, x, mask, p, T, B, X, H);
    else
        rnn_forward(a, x, mask, p, T, B, X, H);
}

void cell_backward(CellKind k, float *dx, float *dh0, float *dc0, CellGrads g, const float *dh,
                   const float *dhT, const float *dcT, const CellActs *a, const float *x,
                   const float *mask, CellParams p, CellScratch s, int T, int B, int X, int H)
{
    if (k == CELL_LSTM)
        lstm_backward(dx, dh0, dc0, g, dh, dhT, dcT, a, x, mask, p, s, T, B, X, H);
    else if (k == CELL_GRU)
        gru_backward(dx, dh0, g, dh, dhT, a, x, mask, p, s, T, B, X, H);
    else
        rnn_backward(dx, dh0, g, dh, dhT, a, x, mask, p, s, T, B, X, H);
}

void cell_input_forward(float *gates, const float *x, CellParams p, int N, int X, int GH)
{
    blas_gemm(0, 1, N, GH, X, 1.0f, x, X, p.Wx, X, 0.0f, gates, GH);
    for (size_t r = 0; r < (size_t)N; r++) {
        float *gr = gates + r * (size_t)GH;
        for (int j = 0; j < GH; j++)
            gr[j] += p.b[j];
    }
}

void cell_input_backward(float *dx, CellGrads g, const float *dgates, const float *x,
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
