/* cell.h: the recurrent cells, RNN (tanh), GRU (Cho et al. 2014) and LSTM,
 * behind one interface: paired forward/backward over a whole padded batch
 * and sequence (see lstm.h, gru.h, rnn.h for each cell's equations).
 *
 * A cell of kind k has G = cell_gates(k) gate blocks of H: its input weight
 * Wx is (G*H, X), its recurrent weight Wh (G*H, H), its bias (G*H).
 * Padding: where mask[t, b] == 0 the step is skipped for that column and
 * the state carried over unchanged; mask == NULL means no padding.
 * Element (t, b, j) of a (T, B, N) array is at [(t * B + b) * N + j].
 */
#ifndef S2S_CELL_H
#define S2S_CELL_H

typedef enum { CELL_LSTM = 0, CELL_GRU, CELL_RNN } CellKind;

typedef struct {
    const float *Wx; /* (G*H, X) */
    const float *Wh; /* (G*H, H) */
    const float *b;  /* (G*H) */
} CellParams;

typedef struct {
    float *Wx, *Wh, *b;
} CellGrads;

/* What forward keeps for backward; arrays owned by the caller, sized for
 * capacity T, B. */
typedef struct {
    float *gates; /* (T, B, G*H) post-activation gates */
    float *h;     /* (T+1, B, H): h[0] initial state, h[t+1] output of step t */
    float *c;     /* (T+1, B, H): LSTM cell state, c[0] initial; unused otherwise */
    float *aux;   /* (T, B, H): LSTM tanh(c[t+1]); GRU r * h[t]; unused by RNN */
} CellActs;

/* Scratch for backward, owned by the caller. */
typedef struct {
    float *dgates; /* (T, B, G*H) */
    float *dh;     /* (B, H) */
    float *dc;     /* (B, H) LSTM: gradient w.r.t. c; GRU: scratch */
} CellScratch;

int cell_gates(CellKind k);
int cell_has_c(CellKind k); /* the LSTM alone has a cell state beside h */
const char *cell_name(CellKind k);
int cell_from_name(const char *name, CellKind *k);

/* x: (T, B, X). The caller sets a->h[0..B*H) (and a->c for the LSTM). */
void cell_forward(CellKind k, CellActs *a, const float *x, const float *mask, CellParams p,
                  int T, int B, int X, int H);
/* ADDS into dx (T, B, X), dh0/dc0 (B, H) (NULL: not wanted; dc0 LSTM only)
 * and g. dh: (T, B, H) gradient w.r.t. outputs h[1..T] or NULL; dhT/dcT:
 * w.r.t. the final state, or NULL. */
void cell_backward(CellKind k, float *dx, float *dh0, float *dc0, CellGrads g, const float *dh,
                   const float *dhT, const float *dcT, const CellActs *a, const float *x,
                   const float *mask, CellParams p, CellScratch s, int T, int B, int X, int H);

/* Shared by the cells. gates (T*B, GH) = x Wx^T + b for all steps at once. */
void cell_input_forward(float *gates, const float *x, CellParams p, int N, int X, int GH);
/* From dgates (N, GH): ADDS dWx += dgates^T x, db += column sums, and
 * dx += dgates Wx (when dx is not NULL). */
void cell_input_backward(float *dx, CellGrads g, const float *dgates, const float *x,
                         CellParams p, int N, int X, int GH);
/* s.dh (and s.dc when c is not NULL) start as dhT / dcT, or zero. */
void cell_backward_start(CellScratch s, const float *dhT, const float *dcT, int BH);

#endif
