#include "s2s/nn/gru.h"

#include <math.h>
#include <string.h>

#include "s2s/nn/activ.h"
#include "s2s/nn/blas.h"

/* r and z of one step from their pre-activations in gates (B, 3H); aux
 * gets r * h. */
static void gru_rz(float *gates, float *rh, const float *hp, const float *mask, int B, int H)
{
    for (int b = 0; b < B; b++) {
        float *g = gates + (size_t)b * 3 * H;
        size_t o = (size_t)b * H;
        if (mask && mask[b] == 0.0f) {
            memset(rh + o, 0, sizeof(float) * H);
            continue;
        }
        act_sigmoid(g, g, 2 * H);
        for (int j = 0; j < H; j++)
            rh[o + j] = g[j] * hp[o + j];
    }
}

/* n and the new state; padded columns carry the old state. */
static void gru_state(float *gates, float *hn, const float *hp, const float *mask, int B, int H)
{
    for (int b = 0; b < B; b++) {
        float *g = gates + (size_t)b * 3 * H;
        size_t o = (size_t)b * H;
        if (mask && mask[b] == 0.0f) {
            memcpy(hn + o, hp + o, sizeof(float) * H);
            continue;
        }
        act_tanh(g + 2 * H, g + 2 * H, H);
        for (int j = 0; j < H; j++)
            hn[o + j] = g[H + j] * hp[o + j] + (1.0f - g[H + j]) * g[2 * H + j];
    }
}

/* Rows [r0, r0 + nr) of Wh times x (B, H) into columns [r0, r0 + nr) of
 * step t's gates: added, or (--layer-norm) normalised in lnh (rstd slot)
 * and added with their gains. */
static void gru_recurrent(CellActs *a, CellParams p, int t, const float *x, int r0, int nr,
                          int slot, int B, int H)
{
    size_t G = (size_t)3 * H;
    float *gt = a->gates + (size_t)t * B * G + r0;
    if (!p.ln) {
        cell_product(p.qh, p.Wh, r0, nr, x, B, H, gt, 3 * H, 1.0f, p.qbuf);
        return;
    }
    float *hat = a->lnh + (size_t)t * B * G + r0;
    cell_product(p.qh, p.Wh, r0, nr, x, B, H, hat, 3 * H, 0.0f, p.qbuf);
    cell_ln_add(gt, hat, a->rstd + (size_t)t * B * 3 + slot, p.ln + G + r0, B, 3 * H, nr);
}

void gru_forward(CellActs *a, const float *x, const float *mask, CellParams p, int T, int B,
                 int X, int H)
{
    size_t BH = (size_t)B * H, G = (size_t)3 * H;
    if (p.ln)
        cell_input_forward_ln(a->gates, a->lnx, a->rstd, x, p, T * B, X, 3 * H);
    else
        cell_input_forward(a->gates, x, p, T * B, X, 3 * H);
    for (int t = 0; t < T; t++) {
        float *gt = a->gates + (size_t)t * B * G, *hp = a->h + t * BH, *rh = a->aux + t * BH;
        const float *m = mask ? mask + (size_t)t * B : NULL;
        gru_recurrent(a, p, t, hp, 0, 2 * H, 1, B, H);
        gru_rz(gt, rh, hp, m, B, H);
        gru_recurrent(a, p, t, rh, 2 * H, H, 2, B, H);
        gru_state(gt, a->h + (t + 1) * BH, hp, m, B, H);
    }
}

/* First half of a step's backward: from dh (B, H), the gradients of the n
 * and z pre-activations into dg (B, 3H); dh keeps the direct part z * dh.
 * Padded columns pass dh through with dg zero. */
static void gru_back_nz(float *dg, float *dh, const float *gates, const float *hp,
                        const float *mask, int B, int H)
{
    for (int b = 0; b < B; b++) {
        float *d = dg + (size_t)b * 3 * H;
        const float *g = gates + (size_t)b * 3 * H;
        size_t o = (size_t)b * H;
        if (mask && mask[b] == 0.0f) {
            memset(d, 0, sizeof(float) * 3 * H);
            continue;
        }
        for (int j = 0; j < H; j++) {
            float z = g[H + j], n = g[2 * H + j], dht = dh[o + j];
            d[2 * H + j] = dht * (1.0f - z) * (1.0f - n * n);
            d[H + j] = dht * (hp[o + j] - n) * z * (1.0f - z);
            dh[o + j] = dht * z;
        }
    }
}

/* Second half: drh (B, H) = dn_pre Wh_n gives dr_pre and adds r * drh to dh. */
static void gru_back_r(float *dg, float *dh, const float *drh, const float *gates,
                       const float *hp, const float *mask, int B, int H)
{
    for (int b = 0; b < B; b++) {
        float *d = dg + (size_t)b * 3 * H;
        const float *g = gates + (size_t)b * 3 * H;
        size_t o = (size_t)b * H;
        if (mask && mask[b] == 0.0f)
            continue;
        for (int j = 0; j < H; j++) {
            float r = g[j];
            d[j] = drh[o + j] * hp[o + j] * r * (1.0f - r);
            dh[o + j] += drh[o + j] * r;
        }
    }
}

void gru_backward(float *dx, float *dh0, CellTensors g, const float *dh, const float *dhT,
                  const CellActs *a, const float *x, const float *mask, CellParams p,
                  CellScratch s, int T, int B, int X, int H)
{
    size_t BH = (size_t)B * H, G = (size_t)3 * H, N = (size_t)T * B;
    const float *Whn = p.Wh + 2 * (size_t)H * H;
    cell_backward_start(s, dhT, NULL, (int)BH);
    for (int t = T - 1; t >= 0; t--) {
        float *dgt = s.dgates + (size_t)t * B * G;
        const float *gt = a->gates + (size_t)t * B * G, *hp = a->h + t * BH;
        const float *m = mask ? mask + (size_t)t * B : NULL;
        if (dh)
            for (size_t k = 0; k < BH; k++)
                s.dh[k] += dh[t * BH + k];
        gru_back_nz(dgt, s.dh, gt, hp, m, B, H);
        /* --layer-norm: the raw products' gradients go to dln, through the normalisations */
        float *da = p.ln ? s.dln + (size_t)t * B * G : dgt;
        const float *hat = p.ln ? a->lnh + (size_t)t * B * G : NULL;
        const float *rs = p.ln ? a->rstd + (size_t)t * B * 3 : NULL;
        if (p.ln)
            cell_ln_back(da + 2 * H, g.ln + G + 2 * H, dgt + 2 * H, hat + 2 * H, rs + 2,
                         p.ln + G + 2 * H, B, 3 * H, H);
        blas_gemm(0, 0, B, H, H, 1.0f, da + 2 * H, 3 * H, Whn, H, 0.0f, s.dc, H);
        gru_back_r(dgt, s.dh, s.dc, gt, hp, m, B, H);
        if (p.ln)
            cell_ln_back(da, g.ln + G, dgt, hat, rs + 1, p.ln + G, B, 3 * H, 2 * H);
        blas_gemm(0, 0, B, H, 2 * H, 1.0f, da, 3 * H, p.Wh, H, 1.0f, s.dh, H);
    }
    if (dh0)
        for (size_t k = 0; k < BH; k++)
            dh0[k] += s.dh[k];
    /* Recurrent weights of all steps at once: r,z rows against h[t], n rows against r*h[t]. */
    const float *dr = p.ln ? s.dln : s.dgates;
    blas_gemm(1, 0, 2 * H, H, (int)N, 1.0f, dr, 3 * H, a->h, H, 1.0f, g.Wh, H);
    blas_gemm(1, 0, H, H, (int)N, 1.0f, dr + 2 * H, 3 * H, a->aux, H, 1.0f,
              g.Wh + 2 * (size_t)H * H, H);
    if (p.ln)
        cell_input_backward_ln(dx, g, s.dgates, x, a->lnx, a->rstd, p, (int)N, X, 3 * H);
    else
        cell_input_backward(dx, g, s.dgates, x, p, (int)N, X, 3 * H);
}
