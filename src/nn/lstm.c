#include "s2s/nn/lstm.h"

#include <math.h>
#include <string.h>

#include "s2s/nn/activ.h"
#include "s2s/nn/blas.h"
#include "s2s/nn/layernorm.h"

/* --layer-norm's cell-state normalisation of one step, or none (gain NULL). */
typedef struct {
    const float *gain; /* gc (H) | bc (H) */
    float *lnc;        /* (B, H) LN(c) */
    float *rstd;       /* its rstd at [3 b] */
} LnC;

/* Turns pre-activations gates (B, 4H) into activations and the new state.
 * hp, cp: (B, H) previous state; hn, cn, tc: (B, H) new state, tanh(cn). */
/* tc = tanh(gc * LN(c) + bc) of column b (--layer-norm). */
static void lnc_forward(float *tc, const float *c, LnC ln, int b, int H)
{
    float *y = ln.lnc + (size_t)b * H;
    memcpy(y, c, sizeof(float) * H);
    ln_forward(y, H, ln.rstd + 3 * (size_t)b, 3, 1, H);
    for (int j = 0; j < H; j++)
        tc[j] = ln.gain[j] * y[j] + ln.gain[H + j];
    act_tanh(tc, tc, H);
}

static void lstm_cell_forward(float *gates, float *hn, float *cn, float *tc,
                              const float *hp, const float *cp,
                              const float *mask, int B, int H, LnC ln)
{
    for (int b = 0; b < B; b++) {
        float *gt = gates + (size_t)b * 4 * H;
        size_t o = (size_t)b * H;
        if (mask && mask[b] == 0.0f) {
            memcpy(hn + o, hp + o, sizeof(float) * H);
            memcpy(cn + o, cp + o, sizeof(float) * H);
            memset(tc + o, 0, sizeof(float) * H);
            continue;
        }
        act_sigmoid(gt, gt, 2 * H); /* i, f */
        act_tanh(gt + 2 * H, gt + 2 * H, H); /* g */
        act_sigmoid(gt + 3 * H, gt + 3 * H, H); /* o */
        for (int j = 0; j < H; j++)
            cn[o + j] = gt[H + j] * cp[o + j] + gt[j] * gt[2 * H + j];
        if (ln.gain)
            lnc_forward(tc + o, cn + o, ln, b, H);
        else
            act_tanh(tc + o, cn + o, H);
        for (int j = 0; j < H; j++)
            hn[o + j] = gt[3 * H + j] * tc[o + j];
    }
}

/* Step t's recurrent product into gates: plain, or (--layer-norm)
 * normalised in lnh with its gain. */
static void recurrent_forward(CellActs *a, CellParams p, int t, int B, int H, int G)
{
    float *gt = a->gates + (size_t)t * B * G, *hp = a->h + (size_t)t * B * H;
    if (!p.ln) {
        cell_product(p.qh, p.Wh, 0, G, hp, B, H, gt, G, 1.0f, p.qbuf);
        return;
    }
    float *hat = a->lnh + (size_t)t * B * G;
    cell_product(p.qh, p.Wh, 0, G, hp, B, H, hat, G, 0.0f, p.qbuf);
    cell_ln_add(gt, hat, a->rstd + (size_t)t * B * 3 + 1, p.ln + G, B, G, G);
}

void lstm_forward(CellActs *a, const float *x, const float *mask,
                  CellParams p, int T, int B, int X, int H)
{
    size_t BH = (size_t)B * H, G = (size_t)4 * H;
    if (p.ln) /* all T steps in one product */
        cell_input_forward_ln(a->gates, a->lnx, a->rstd, x, p, T * B, X, 4 * H);
    else
        cell_input_forward(a->gates, x, p, T * B, X, 4 * H);
    for (int t = 0; t < T; t++) {
        float *gt = a->gates + (size_t)t * B * G;
        LnC ln = {0};
        if (p.ln)
            ln = (LnC){p.ln + 2 * G, a->lnc + t * BH, a->rstd + (size_t)t * B * 3 + 2};
        recurrent_forward(a, p, t, B, H, 4 * H);
        lstm_cell_forward(gt, a->h + (t + 1) * BH, a->c + (t + 1) * BH,
                          a->aux + t * BH, a->h + t * BH, a->c + t * BH,
                          mask ? mask + (size_t)t * B : NULL, B, H, ln);
    }
}

/* One step of the cell's backward for every column. dh: (B, H) total
 * gradient w.r.t. h_t (consumed); s.dc: running gradient w.r.t. c_t, turned
 * into that w.r.t. c_{t-1}; dg: (B, 4H) pre-activation gradients out. For a
 * padded column dh passes through to h_{t-1} (left in dh, dg zero);
 * otherwise dh is zeroed for the recurrent product to fill. */
/* --layer-norm: into tmp (H) the gradient w.r.t. c of column b through
 * tanh(gc * LN(c) + bc); ADDS the gradients of gc, bc into dgain. */
static void lnc_backward(float *tmp, float *dgain, const float *dh, const float *og,
                         const float *tc, LnC ln, int b, int H)
{
    const float *y = ln.lnc + (size_t)b * H;
    for (int j = 0; j < H; j++) {
        float d = dh[j] * og[j] * (1.0f - tc[j] * tc[j]);
        dgain[j] += d * y[j];
        dgain[H + j] += d;
        tmp[j] = d * ln.gain[j];
    }
    ln_backward(tmp, H, y, H, ln.rstd + 3 * (size_t)b, 3, 1, H);
}

/* ln.gain set: dgain (gc, bc gradients) and tmp (B, 4H) scratch. */
static void lstm_cell_backward(float *dg, float *dh, float *dc,
                               const float *gates, const float *tc,
                               const float *cp, const float *mask, int B, int H, LnC ln,
                               float *dgain, float *tmp)
{
    for (int b = 0; b < B; b++) {
        size_t o = (size_t)b * H;
        float *d = dg + (size_t)b * 4 * H, *dcn = tmp + (size_t)b * 4 * H;
        const float *gt = gates + (size_t)b * 4 * H;
        if (mask && mask[b] == 0.0f) {
            memset(d, 0, sizeof(float) * 4 * H);
            continue;
        }
        if (ln.gain)
            lnc_backward(dcn, dgain, dh + o, gt + 3 * H, tc + o, ln, b, H);
        for (int j = 0; j < H; j++) {
            float i = gt[j], f = gt[H + j], g = gt[2 * H + j], og = gt[3 * H + j];
            float t = tc[o + j], dht = dh[o + j];
            float dcj = dc[o + j] + (ln.gain ? dcn[j] : dht * og * (1.0f - t * t));
            d[j] = dcj * g * i * (1.0f - i);
            d[H + j] = dcj * cp[o + j] * f * (1.0f - f);
            d[2 * H + j] = dcj * i * (1.0f - g * g);
            d[3 * H + j] = dht * t * og * (1.0f - og);
            dc[o + j] = dcj * f;
            dh[o + j] = 0.0f;
        }
    }
}

void lstm_backward(float *dx, float *dh0, float *dc0, CellTensors g,
                   const float *dh, const float *dhT, const float *dcT,
                   const CellActs *a, const float *x, const float *mask,
                   CellParams p, CellScratch s, int T, int B, int X, int H)
{
    size_t BH = (size_t)B * H, G = (size_t)4 * H, N = (size_t)T * B;
    cell_backward_start(s, dhT, dcT, (int)BH);
    for (int t = T - 1; t >= 0; t--) {
        float *dgt = s.dgates + (size_t)t * B * G;
        if (dh)
            for (size_t k = 0; k < BH; k++)
                s.dh[k] += dh[t * BH + k];
        LnC ln = {0};
        float *dln = p.ln ? s.dln + (size_t)t * B * G : NULL;
        if (p.ln)
            ln = (LnC){p.ln + 2 * G, a->lnc + t * BH, a->rstd + (size_t)t * B * 3 + 2};
        lstm_cell_backward(dgt, s.dh, s.dc, a->gates + (size_t)t * B * G,
                           a->aux + t * BH, a->c + t * BH,
                           mask ? mask + (size_t)t * B : NULL, B, H, ln,
                           p.ln ? g.ln + 2 * G : NULL, dln);
        if (p.ln) /* the raw recurrent product's gradient, in dln */
            cell_ln_back(dln, g.ln + G, dgt, a->lnh + (size_t)t * B * G,
                         a->rstd + (size_t)t * B * 3 + 1, p.ln + G, B, 4 * H, 4 * H);
        blas_gemm(0, 0, B, H, 4 * H, 1.0f, p.ln ? dln : dgt, 4 * H, p.Wh, H, 1.0f, s.dh, H);
    }
    if (dh0)
        for (size_t k = 0; k < BH; k++)
            dh0[k] += s.dh[k];
    if (dc0)
        for (size_t k = 0; k < BH; k++)
            dc0[k] += s.dc[k];
    /* Weight gradients of all steps at once: h[0..T-1] are the h_{t-1}. */
    blas_gemm(1, 0, 4 * H, H, (int)N, 1.0f, p.ln ? s.dln : s.dgates, 4 * H, a->h, H, 1.0f,
              g.Wh, H);
    if (p.ln)
        cell_input_backward_ln(dx, g, s.dgates, x, a->lnx, a->rstd, p, (int)N, X, 4 * H);
    else
        cell_input_backward(dx, g, s.dgates, x, p, (int)N, X, 4 * H);
}
