#include "s2s/model/bienc.h"

#include <string.h>

#include "s2s/model/model.h"
#include "s2s/nn/dropout.h"

#define ALIGN 16 /* floats */

static float *take(float **cur, size_t n)
{
    float *p = *cur;
    *cur += (n + ALIGN - 1) / ALIGN * ALIGN;
    return p;
}

/* Lays out (base != NULL) or measures the arrays; returns the floats used. */
static size_t layout(BiEnc *bi, float *base, int layers, int E, int H, CellKind cell, int ln,
                     size_t slots, int B, int training)
{
    size_t G = (size_t)cell_gates(cell), n = slots, X = (size_t)(E > H ? E : H);
    ModelConfig lc = {.hidden = H, .cell = cell, .layer_norm = ln}; /* --layer-norm's arrays */
    float *cur = base;
    for (int l = 0; l < layers; l++) {
        size_t x = l ? (size_t)H : (size_t)E;
        CellActs a = {take(&cur, n * G * H), take(&cur, (n + B) * H), take(&cur, (n + B) * H),
                      take(&cur, n * H), NULL, NULL, NULL, NULL, NULL};
        float *lnb = take(&cur, model_ln_act_floats(&lc, n));
        if (bi)
            cell_ln_place(&a, &lnb, &lc, n);
        float *xr = take(&cur, n * x), *out = take(&cur, n * H);
        if (bi)
            bi->acts[l] = a, bi->xr[l] = xr, bi->out[l] = out;
    }
    float *dF = take(&cur, training ? n * H : 0), *dR = take(&cur, training ? n * H : 0);
    float *dxr = take(&cur, training ? n * X : 0);
    if (bi)
        bi->dF = dF, bi->dR = dR, bi->dxr = dxr;
    return (size_t)(cur - base);
}

size_t bienc_floats(int layers, int E, int H, CellKind cell, int ln, size_t slots, int B,
                    int training)
{
    return layout(NULL, NULL, layers, E, H, cell, ln, slots, B, training);
}

void bienc_place(BiEnc *bi, float *base, int layers, int E, int H, CellKind cell, int ln,
                 size_t slots, int B, int training)
{
    memset(bi, 0, sizeof *bi);
    layout(bi, base, layers, E, H, cell, ln, slots, B, training);
}

/* Row (t, b) of x (T, B, X) at its place in sentence b read backwards. */
static size_t rev(int t, int b, const int *len, int B)
{
    int u = t < len[b] ? len[b] - 1 - t : t;
    return (size_t)u * B + (size_t)b;
}

/* dst (T, B, X) = src with each sentence's real rows reversed; with add,
 * ADDS instead of copying. */
static void reverse_rows(float *dst, const float *src, const int *len, int T, int B, int X,
                         int add)
{
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++) {
            float *d = dst + ((size_t)t * B + b) * X;
            const float *s = src + rev(t, b, len, B) * X;
            for (int i = 0; i < X; i++)
                d[i] = add ? d[i] + s[i] : s[i];
        }
}


/* y (T, B, H) += x at the real positions (--residual). */
static void add_real(float *y, const float *x, const int *len, int T, int B, int H)
{
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++)
            for (int i = 0; t < len[b] && i < H; i++)
                y[((size_t)t * B + b) * H + i] += x[((size_t)t * B + b) * H + i];
}

/* out (T, B, H) = h_fwd + the reversed direction put back in order; 0 at padding. */
static void sum_directions(float *out, const CellActs *f, const CellActs *r, const int *len,
                           int T, int B, int H)
{
    size_t BH = (size_t)B * H;
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++) {
            float *o = out + ((size_t)t * B + b) * H;
            const float *hf = f->h + BH + ((size_t)t * B + b) * H;
            const float *hr = r->h + BH + rev(t, b, len, B) * H;
            for (int i = 0; i < H; i++)
                o[i] = t < len[b] ? hf[i] + hr[i] : 0.0f;
        }
}

void bienc_forward(BiEnc *bi, CellActs *fwd, const CellTensors *wf, const CellTensors *wr,
                   const float *x0, float **in, float **drop, const float *mask, const int *len,
                   int layers, CellKind cell, int T, int B, int E, int H, float dropout, Rng *rng)
{
    size_t BH = (size_t)B * H, n = (size_t)T * BH;
    const float *x = x0;
    for (int l = 0; l < layers; l++) {
        int X = l ? H : E;
        if (l > 0 && in) {
            memcpy(in[l], bi->out[l - 1], n * sizeof(float));
            dropout_forward(in[l], drop[l], (int)n, dropout, rng);
            x = in[l];
        } else if (l > 0) {
            x = bi->out[l - 1];
        }
        cell_forward(cell, &fwd[l], x, mask, cell_params(wf[l]), T, B, X, H);
        reverse_rows(bi->xr[l], x, len, T, B, X, 0);
        memset(bi->acts[l].h, 0, BH * sizeof(float));
        memset(bi->acts[l].c, 0, BH * sizeof(float));
        cell_forward(cell, &bi->acts[l], bi->xr[l], mask, cell_params(wr[l]), T, B, X, H);
        sum_directions(bi->out[l], &fwd[l], &bi->acts[l], len, T, B, H);
        if (bi->residual && l)
            add_real(bi->out[l], x, len, T, B, H);
    }
}

const float *bienc_backward(BiEnc *bi, const CellActs *fwd, const CellTensors *wf,
                            const CellTensors *wr, const CellTensors *gf, const CellTensors *gr,
                            const float *x0, float **in, float **drop, const float *dtop,
                            float *const *dhT, float *const *dcT, const float *mask,
                            const int *len, int layers, CellKind cell, int T, int B, int E, int H,
                            CellScratch s, float **dbuf)
{
    int lstm = cell_has_c(cell);
    const float *dout = dtop;
    for (int l = layers - 1; l >= 0; l--) {
        int X = l ? H : E;
        size_t nx = (size_t)T * B * X;
        const float *x = l ? in[l] : x0;
        float *dx = dbuf[l & 1];
        for (int t = 0; t < T; t++) /* the sum's gradient, real positions only */
            for (int b = 0; b < B; b++) {
                size_t at = ((size_t)t * B + b) * H;
                for (int i = 0; i < H; i++)
                    bi->dF[at + i] = t < len[b] ? dout[at + i] : 0.0f;
            }
        reverse_rows(bi->dR, bi->dF, len, T, B, H, 0);
        memset(dx, 0, nx * sizeof(float));
        memset(bi->dxr, 0, nx * sizeof(float));
        cell_backward(cell, dx, NULL, NULL, gf[l], bi->dF, dhT ? dhT[l] : NULL,
                      dcT && lstm ? dcT[l] : NULL, &fwd[l], x, mask, cell_params(wf[l]), s, T, B, X, H);
        cell_backward(cell, bi->dxr, NULL, NULL, gr[l], bi->dR, NULL, NULL, &bi->acts[l],
                      bi->xr[l], mask, cell_params(wr[l]), s, T, B, X, H);
        reverse_rows(dx, bi->dxr, len, T, B, X, 1);
        if (bi->residual && l)
            add_real(dx, dout, len, T, B, H);
        dropout_backward(dx, drop[l], T * B * X);
        dout = dx;
    }
    return dout;
}
