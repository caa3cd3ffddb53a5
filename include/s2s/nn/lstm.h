/* lstm.h: one LSTM layer over a whole padded batch and sequence.
 *
 * Fused gates: the 4H dimension holds the gates in the order
 *   i (input), f (forget), g (cell candidate, tanh), o (output).
 *   i = sigm(Wx_i x + Wh_i h + b_i), f, o likewise; g = tanh(...)
 *   c_t = f * c_{t-1} + i * g,  h_t = o * tanh(c_t)
 *
 * Padding: where mask[t, b] == 0 the step is skipped for that column: the
 * state is carried over unchanged (h_t = h_{t-1}, c_t = c_{t-1}), so the
 * state at the last step is the state after the column's last real token,
 * and padding changes neither the outputs that matter nor any gradient.
 * mask == NULL means every position is real.
 *
 * Element (t, b, j) of a (T, B, N) array is at [(t * B + b) * N + j].
 */
#ifndef S2S_LSTM_H
#define S2S_LSTM_H

#include "s2s/nn/cellbase.h"

/* x: (T, B, X)  mask: (T, B) or NULL. The caller sets a->h[0..B*H) and
 * a->c[0..B*H) to the initial state before the call. a->aux holds tanh(c). */
void lstm_forward(CellActs *a, const float *x, const float *mask,
                  CellParams p, int T, int B, int X, int H);

/* Backward through the whole sequence. ADDS into dx (T, B, X), dh0 and dc0
 * (B, H) (either may be NULL when the initial state needs no gradient) and
 * into g. dh: (T, B, H) gradient w.r.t. the outputs h[1..T], or NULL for
 * none; dhT, dcT: (B, H) gradient w.r.t. the final state, or NULL. */
void lstm_backward(float *dx, float *dh0, float *dc0, CellTensors g,
                   const float *dh, const float *dhT, const float *dcT,
                   const CellActs *a, const float *x, const float *mask,
                   CellParams p, CellScratch s, int T, int B, int X, int H);

#endif
