/* cellbase.h: what the recurrent cells (lstm.h, gru.h, rnn.h) share: their
 * parameter, activation and scratch types and the input-projection
 * helpers. cell.h dispatches to the cells; the cells include only this, so
 * there is no include circle between the dispatch and the cells.
 *
 * A cell with G gate blocks of H has an input weight Wx (G*H, X), a
 * recurrent weight Wh (G*H, H) and a bias (G*H). Element (t, b, j) of a
 * (T, B, N) array is at [(t * B + b) * N + j].
 *
 * Layer normalisation (--layer-norm; Ba et al. 2016, as their LSTM): the
 * input product x Wx^T and the recurrent product h Wh^T are normalised
 * apart (layernorm.h), each scaled by a learned gain, before the bias:
 *   pre = gx * LN(x Wx^T) + gh * LN(h Wh^T) + b
 * The LSTM also normalises its cell state before the output tanh:
 *   h = o * tanh(gc * LN(c) + bc).
 * The GRU's recurrent part is two products, Wh_rz h (2H) and Wh_n (r * h)
 * (H), normalised apart. The gains ln: gx (G*H) | gh (G*H) | LSTM: gc (H) |
 * bc (H), cell_ln_floats(k, H) floats; gains start at 1, bc at 0.
 */
#ifndef S2S_CELLBASE_H
#define S2S_CELLBASE_H

#include "s2s/nn/qmat.h"

typedef struct {
    const float *Wx; /* (G*H, X) */
    const float *Wh; /* (G*H, H) */
    const float *b;  /* (G*H) */
    /* decoding in reduced precision (qmat.h): Wx and Wh as QMats, and the
     * products' scratch; NULL: the fp32 weights above, through BLAS */
    const QMat *qx, *qh;
    void *qbuf;
    const float *ln; /* --layer-norm's gains (above), or NULL: no normalisation */
} CellParams;

/* y (M, nr; row stride ldy) = beta y + x (M, K) W[r0 .. r0 + nr)^T, W the
 * fp32 weight w (rows of K) or, when q is set, q (qmat.h, scratch buf). */
void cell_product(const QMat *q, const float *w, int r0, int nr, const float *x, int M, int K,
                  float *y, int ldy, float beta, void *buf);

/* A cell's three tensors inside a parameter block, or inside the gradient
 * block that mirrors it (the same views serve both). */
typedef struct {
    float *Wx, *Wh, *b;
    float *ln; /* --layer-norm: the gains, else NULL */
} CellTensors;

/* The fp32 weights of a cell as its parameters. */
CellParams cell_params(CellTensors w);

/* What forward keeps for backward; arrays owned by the caller, sized for
 * capacity T, B. */
typedef struct {
    float *gates; /* (T, B, G*H) post-activation gates */
    float *h;     /* (T+1, B, H): h[0] initial state, h[t+1] output of step t */
    float *c;     /* (T+1, B, H): LSTM cell state, c[0] initial; unused otherwise */
    float *aux;   /* (T, B, H): LSTM tanh(c[t+1]); GRU r * h[t]; unused by RNN */
    /* --layer-norm only (else NULL): the normalised products and their rstd */
    float *lnx;   /* (T, B, G*H) LN(x Wx^T) */
    float *lnh;   /* (T, B, G*H) LN(h Wh^T); GRU: LN(Wh_rz h) | LN(Wh_n (r * h)) */
    float *lnc;   /* (T, B, H) LSTM: LN(c[t+1]) */
    float *rstd;  /* (T, B, 3) of lnx, lnh (GRU: its r,z part), lnc (GRU: lnh's n part) */
    /* --residual, a stack's layers from the second up (else NULL): the
     * layer's outputs h[1..T] + x, x its input (T, B, H) */
    float *out;
} CellActs;

/* A layer's outputs (T, B, H): a->out when set (--residual), else h[1..T]. */
const float *cell_output(const CellActs *a, int B, int H);
/* --residual: a->out = h[1..T] + x over T x B rows of H. */
void cell_residual_forward(CellActs *a, const float *x, int T, int B, int H);

/* Scratch for backward, owned by the caller. */
typedef struct {
    float *dgates; /* (T, B, G*H) */
    float *dh;     /* (B, H) */
    float *dc;     /* (B, H) LSTM: gradient w.r.t. c; GRU: scratch */
    float *dln;    /* (T, B, G*H) --layer-norm: gradients of the raw recurrent products */
} CellScratch;

/* Shared by the cells. gates (T*B, GH) = x Wx^T + b for all steps at once. */
void cell_input_forward(float *gates, const float *x, CellParams p, int N, int X, int GH);
/* From dgates (N, GH): ADDS dWx += dgates^T x, db += column sums, and
 * dx += dgates Wx (when dx is not NULL). */
void cell_input_backward(float *dx, CellTensors g, const float *dgates, const float *x,
                         CellParams p, int N, int X, int GH);
/* --layer-norm's versions. gates (N, GH) = gx * LN(x Wx^T) + b, with
 * LN(x Wx^T) in lnx and its rstd in rstd[3 n]. */
void cell_input_forward_ln(float *gates, float *lnx, float *rstd, const float *x, CellParams p,
                           int N, int X, int GH);
/* From dgates (N, GH), consumed: ADDS db, the gx gains' gradient and, through
 * the normalisation, dWx and dx. */
void cell_input_backward_ln(float *dx, CellTensors g, float *dgates, const float *x,
                            const float *lnx, const float *rstd, CellParams p, int N, int X,
                            int GH);
/* Columns [0, D) of B rows of stride ld: hat holds a raw product, which is
 * normalised in place (rstd[3 b]), and gates += gain * hat. */
void cell_ln_add(float *gates, float *hat, float *rstd, const float *gain, int B, int ld, int D);
/* Its backward: dgain += dg * hat, da = the gradient of the raw product. */
void cell_ln_back(float *da, float *dgain, const float *dg, const float *hat, const float *rstd,
                  const float *gain, int B, int ld, int D);
/* s.dh (and s.dc when c is not NULL) start as dhT / dcT, or zero. */
void cell_backward_start(CellScratch s, const float *dhT, const float *dcT, int BH);

#endif
