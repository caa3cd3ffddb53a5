#include "s2s/nn/rnn.h"

#include <math.h>
#include <string.h>

#include "s2s/nn/activ.h"
#include "s2s/nn/blas.h"

void rnn_forward(CellActs *a, const float *x, const float *mask, CellParams p, int T, int B,
                 int X, int H)
{
    size_t BH = (size_t)B * H;
    if (p.ln)
        cell_input_forward_ln(a->gates, a->lnx, a->rstd, x, p, T * B, X, H);
    else
        cell_input_forward(a->gates, x, p, T * B, X, H);
    for (int t = 0; t < T; t++) {
        float *gt = a->gates + t * BH, *hp = a->h + t * BH, *hn = a->h + (t + 1) * BH;
        if (p.ln) { /* --layer-norm: gh * LN(h Wh^T) */
            cell_product(p.qh, p.Wh, 0, H, hp, B, H, a->lnh + t * BH, H, 0.0f, p.qbuf);
            cell_ln_add(gt, a->lnh + t * BH, a->rstd + (size_t)t * B * 3 + 1, p.ln + H, B, H, H);
        } else {
            cell_product(p.qh, p.Wh, 0, H, hp, B, H, gt, H, 1.0f, p.qbuf);
        }
        for (int b = 0; b < B; b++) {
            size_t o = (size_t)b * H;
            if (mask && mask[(size_t)t * B + b] == 0.0f) {
                memcpy(hn + o, hp + o, sizeof(float) * H);
                continue;
            }
            act_tanh(gt + o, gt + o, H);
            memcpy(hn + o, gt + o, sizeof(float) * H);
        }
    }
}

void rnn_backward(float *dx, float *dh0, CellTensors g, const float *dh, const float *dhT,
                  const CellActs *a, const float *x, const float *mask, CellParams p,
                  CellScratch s, int T, int B, int X, int H)
{
    size_t BH = (size_t)B * H, N = (size_t)T * B;
    cell_backward_start(s, dhT, NULL, (int)BH);
    for (int t = T - 1; t >= 0; t--) {
        float *dgt = s.dgates + t * BH;
        const float *ht = a->gates + t * BH;
        for (size_t k = 0; k < BH; k++) {
            float d = s.dh[k] + (dh ? dh[t * BH + k] : 0.0f);
            int pad = mask && mask[(size_t)t * B + k / (size_t)H] == 0.0f;
            dgt[k] = pad ? 0.0f : d * (1.0f - ht[k] * ht[k]);
            s.dh[k] = pad ? d : 0.0f;
        }
        float *da = p.ln ? s.dln + t * BH : dgt;
        if (p.ln)
            cell_ln_back(da, g.ln + H, dgt, a->lnh + t * BH, a->rstd + (size_t)t * B * 3 + 1,
                         p.ln + H, B, H, H);
        blas_gemm(0, 0, B, H, H, 1.0f, da, H, p.Wh, H, 1.0f, s.dh, H);
    }
    if (dh0)
        for (size_t k = 0; k < BH; k++)
            dh0[k] += s.dh[k];
    blas_gemm(1, 0, H, H, (int)N, 1.0f, p.ln ? s.dln : s.dgates, H, a->h, H, 1.0f, g.Wh, H);
    if (p.ln)
        cell_input_backward_ln(dx, g, s.dgates, x, a->lnx, a->rstd, p, (int)N, X, H);
    else
        cell_input_backward(dx, g, s.dgates, x, p, (int)N, X, H);
}
