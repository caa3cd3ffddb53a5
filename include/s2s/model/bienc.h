/* bienc.h: the bidirectional encoder of --arch attention --bidirectional.
 * Every encoder layer l has a second cell stack (tensors encb.l.*) that
 * reads each sentence's real tokens in the opposite order; the layer's
 * output is the sum of both directions at each position (0 at padding),
 * which the next layer reads and, at the top, attention attends over. The
 * decoder starts from the first direction's final states, as without.
 *
 * Positions: element (t, b) of a (T, B, N) array is at [(t * B + b) * N];
 * sentence b's real tokens are t < len[b], reversed within that range.
 */
#ifndef S2S_BIENC_H
#define S2S_BIENC_H

#include <stddef.h>

#include "s2s/base/rng.h"
#include "s2s/nn/cell.h"

#define BIENC_MAX_LAYERS 8

typedef struct {
    CellActs acts[BIENC_MAX_LAYERS]; /* the reversed direction: gates (T, B, GH), h, c (T+1, B, H), aux */
    float *xr[BIENC_MAX_LAYERS];     /* (T, B, X_l) each layer's input, reversed per sentence */
    float *out[BIENC_MAX_LAYERS];    /* (T, B, H) both directions summed */
    float *dF, *dR;                  /* training: (T, B, H) */
    float *dxr;                      /* training: (T, B, max(E, H)) */
    int residual;                    /* --residual: out[l] (l >= 1) also adds the layer's input */
} BiEnc;

/* Floats a BiEnc needs for up to `slots` positions (T x B: T steps of B
 * sentences) of at most B sentences (layers, E, H, cell; ln: --layer-norm). */
size_t bienc_floats(int layers, int E, int H, CellKind cell, int ln, size_t slots, int B,
                    int training);
/* Lays bi out in base (bienc_floats of them, 64-byte aligned pieces). */
void bienc_place(BiEnc *bi, float *base, int layers, int E, int H, CellKind cell, int ln,
                 size_t slots, int B, int training);

/* Both directions of every layer. x0: layer 0's input (T, B, E); fwd[l]:
 * the first direction's activations (its initial state set by the caller).
 * Training passes in[l]/drop[l] for l > 0 (layer l's dropped-out input,
 * kept for backward); decoding passes in = NULL. */
void bienc_forward(BiEnc *bi, CellActs *fwd, const CellTensors *wf, const CellTensors *wr,
                   const float *x0, float **in, float **drop, const float *mask, const int *len,
                   int layers, CellKind cell, int T, int B, int E, int H, float dropout, Rng *rng);
/* From dtop (T, B, H), the gradient w.r.t. the top layer's summed output,
 * and dhT[l], dcT[l] w.r.t. the first direction's final states (entries
 * NULL: none): ADDS into the cells' gradients gf, gr and returns the
 * gradient w.r.t. layer 0's input (T, B, E), after drop[0]'s backward.
 * dbuf[0], dbuf[1]: (T, B, max(E, H)) scratch. */
const float *bienc_backward(BiEnc *bi, const CellActs *fwd, const CellTensors *wf,
                            const CellTensors *wr, const CellTensors *gf, const CellTensors *gr,
                            const float *x0, float **in, float **drop, const float *dtop,
                            float *const *dhT, float *const *dcT, const float *mask,
                            const int *len, int layers, CellKind cell, int T, int B, int E, int H,
                            CellScratch s, float **dbuf);

#endif
