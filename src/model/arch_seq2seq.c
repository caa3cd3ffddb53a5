/* seq2seq (Sutskever et al. 2014): decoder layer l starts from encoder
 * layer l's final state ([c, h] for the LSTM); nothing else links the two,
 * so the architecture adds no tensors, and its rows are the plain ones
 * (arch.c). */
#include "s2s/model/arch.h"

#include <string.h>

void seq2seq_start(const Model *m, float *const *h0, float *const *c0,
                   const float *const *enc_h, const float *const *enc_c, int rows, int K)
{
    size_t H = (size_t)m->cfg.hidden;
    for (int l = 0; l < m->cfg.layers; l++)
        for (int r = 0; r < rows; r++) {
            memcpy(h0[l] + r * H, enc_h[l] + (size_t)(r / K) * H, H * sizeof(float));
            memcpy(c0[l] + r * H, enc_c[l] + (size_t)(r / K) * H, H * sizeof(float));
        }
}
