/* rnn.h: one plain (Elman) RNN layer, h' = tanh(Wx x + Wh h + b), over a
 * whole padded batch and sequence. Padding as in cell.h. */
#ifndef S2S_RNN_H
#define S2S_RNN_H

#include "s2s/nn/cellbase.h"

void rnn_forward(CellActs *a, const float *x, const float *mask, CellParams p, int T, int B,
                 int X, int H);
/* ADDS into dx, dh0 (may be NULL) and g; see cell_backward. */
void rnn_backward(float *dx, float *dh0, CellTensors g, const float *dh, const float *dhT,
                  const CellActs *a, const float *x, const float *mask, CellParams p,
                  CellScratch s, int T, int B, int X, int H);

#endif
