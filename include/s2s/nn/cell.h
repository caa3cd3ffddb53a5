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

#include "s2s/nn/cellbase.h"

typedef enum { CELL_LSTM = 0, CELL_GRU, CELL_RNN } CellKind;

int cell_gates(CellKind k);
int cell_has_c(CellKind k); /* the LSTM alone has a cell state beside h */
/* --layer-norm's gains and biases of one cell of H (cellbase.h). */
int cell_ln_floats(CellKind k, int H);
const char *cell_name(CellKind k);
int cell_from_name(const char *name, CellKind *k);

/* x: (T, B, X). The caller sets a->h[0..B*H) (and a->c for the LSTM). */
void cell_forward(CellKind k, CellActs *a, const float *x, const float *mask, CellParams p,
                  int T, int B, int X, int H);
/* ADDS into dx (T, B, X), dh0/dc0 (B, H) (NULL: not wanted; dc0 LSTM only)
 * and g. dh: (T, B, H) gradient w.r.t. outputs h[1..T] or NULL; dhT/dcT:
 * w.r.t. the final state, or NULL. */
void cell_backward(CellKind k, float *dx, float *dh0, float *dc0, CellTensors g, const float *dh,
                   const float *dhT, const float *dcT, const CellActs *a, const float *x,
                   const float *mask, CellParams p, CellScratch s, int T, int B, int X, int H);

#endif
