/* gru.h: one GRU layer (Cho et al. 2014, "gated recurrent unit") over a
 * whole padded batch and sequence.
 *
 * Fused gates, order r (reset), z (update), n (candidate):
 *   r = sigm(Wx_r x + Wh_r h + b_r),  z = sigm(Wx_z x + Wh_z h + b_z)
 *   n = tanh(Wx_n x + b_n + Wh_n (r * h))
 *   h' = z * h + (1 - z) * n
 * Per step: one sgemm for the r and z rows of Wh, one for the n rows on
 * r * h. Padding as in cell.h. acts->aux keeps r * h of each step.
 */
#ifndef S2S_GRU_H
#define S2S_GRU_H

#include "s2s/nn/cellbase.h"

void gru_forward(CellActs *a, const float *x, const float *mask, CellParams p, int T, int B,
                 int X, int H);
/* ADDS into dx, dh0 (may be NULL) and g; see cell_backward. */
void gru_backward(float *dx, float *dh0, CellTensors g, const float *dh, const float *dhT,
                  const CellActs *a, const float *x, const float *mask, CellParams p,
                  CellScratch s, int T, int B, int X, int H);

#endif
