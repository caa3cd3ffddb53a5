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

void gru_forward(CellActs *a, const float *x, const float *mask, CellParams p, int T, int B,
                 int X, int H)
{
    size_t BH = (size_t)B * H, G = (size_t)3 * H;
    cell_input_forward(a->gates, x, p, T * B, X, 3 * H);
    for (int t = 0; t < T; t++) {
        float *gt = a->gates + (size_t)t * B * G, *hp = a->h + t * BH, *rh = a->aux + t * BH;
        const float *m = mask ? mask + (size_t)t * B : NULL;
        cell_product(p.qh, p.Wh, 0, 2 * H, hp, B, H, gt, 3 * H, 1.0f, p.qbuf);
        gru_rz(gt, rh, hp, m, B, H);
        cell_product(p.qh, p.Wh, 2 * H, H, rh, B, H, gt + 2 * H, 3 * H, 1.0f, p.qbuf);
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
        blas_gemm(0, 0, B, H, H, 1.0f, dgt + 2 * H, 3 * H, Whn, H, 0.0f, s.dc, H);
        gru_back_r(dgt, s.dh, s.dc, gt, hp, m, B, H);
        blas_gemm(0, 0, B, H, 2 * H, 1.0f, dgt, 3 * H, p.Wh, H, 1.0f, s.dh, H);
    }
    if (dh0)
        for (size_t k = 0; k < BH; k++)
            dh0[k] += s.dh[k];
    /* Recurrent weights of all steps at once: r,z rows against h[t], n rows against r*h[t]. */
    blas_gemm(1, 0, 2 * H, H, (int)N, 1.0f, s.dgates, 3 * H, a->h, H, 1.0f, g.Wh, H);
    blas_gemm(1, 0, H, H, (int)N, 1.0f, s.dgates + 2 * H, 3 * H, a->aux, H, 1.0f,
              g.Wh + 2 * (size_t)H * H, H);
    cell_input_backward(dx, g, s.dgates, x, p, (int)N, X, 3 * H);
}
