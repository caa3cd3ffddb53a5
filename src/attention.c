#include "s2s/attention.h"

#include <math.h>
#include <string.h>

#include "s2s/blas.h"

static const char *const names[] = {"dot", "general"};

const char *attn_score_name(AttnScore k) { return names[k]; }

int attn_score_from_name(const char *name, AttnScore *k)
{
    for (int i = 0; i < 2; i++)
        if (name && strcmp(name, names[i]) == 0) {
            *k = (AttnScore)i;
            return 0;
        }
    return -1;
}

static const float *mem_at(const float *mem, int s, int j, int S, int H)
{
    return mem + ((size_t)s * S + (size_t)j) * H;
}

static float dot(const float *x, const float *y, int n)
{
    float acc = 0.0f;
    for (int i = 0; i < n; i++)
        acc += x[i] * y[i];
    return acc;
}

/* Row r's weights a (Ts) from its query q over the first n positions of
 * sentence j: a masked softmax, 0 beyond n. */
static void row_weights(float *a, const float *q, const float *mem, int j, int n, int S, int Ts,
                        int H)
{
    float mx = -INFINITY;
    double sum = 0.0;
    for (int s = 0; s < n; s++) {
        a[s] = dot(q, mem_at(mem, s, j, S, H), H);
        mx = a[s] > mx ? a[s] : mx;
    }
    for (int s = 0; s < n; s++)
        sum += (a[s] = expf(a[s] - mx));
    for (int s = 0; s < Ts; s++)
        a[s] = s < n ? (float)(a[s] / sum) : 0.0f;
}

void attn_forward(AttnScore kind, AttnActs *x, const float *h, const float *mem, const int *len,
                  const float *Wa, const float *Wc, int R, int K, int S, int Ts, int H)
{
    size_t RH = (size_t)R * H;
    if (kind == ATTN_GENERAL)
        blas_gemm(0, 0, R, H, H, 1.0f, h, H, Wa, H, 0.0f, x->q, H);
    else
        memcpy(x->q, h, RH * sizeof(float));
    for (int r = 0; r < R; r++) {
        int j = r / K;
        float *a = x->a + (size_t)r * Ts, *ctx = x->cat + (size_t)r * 2 * H;
        row_weights(a, x->q + (size_t)r * H, mem, j, len[j], S, Ts, H);
        memset(ctx, 0, sizeof(float) * H);
        for (int s = 0; s < len[j]; s++) {
            const float *m = mem_at(mem, s, j, S, H);
            for (int i = 0; i < H; i++)
                ctx[i] += a[s] * m[i];
        }
        memcpy(ctx + H, h + (size_t)r * H, sizeof(float) * H);
    }
    blas_gemm(0, 1, R, H, 2 * H, 1.0f, x->cat, 2 * H, Wc, 2 * H, 0.0f, x->ht, H);
    for (size_t k = 0; k < RH; k++)
        x->ht[k] = tanhf(x->ht[k]);
}

/* Row r's backward through ctx = sum a m and the softmax: ADDS a_s dctx
 * into dmem and de_s m_s into dq (de = the scores' gradient), and de_s q
 * into dmem (both sides of the score are memory and query). */
static void row_backward(float *dq, float *dmem, float *da, const float *dctx, const float *a,
                         const float *q, const float *mem, int j, int n, int S, int H)
{
    double mean = 0.0;
    for (int s = 0; s < n; s++) {
        da[s] = dot(dctx, mem_at(mem, s, j, S, H), H);
        mean += (double)a[s] * da[s];
    }
    for (int s = 0; s < n; s++) {
        float de = a[s] * (da[s] - (float)mean);
        const float *m = mem_at(mem, s, j, S, H);
        float *dm = dmem + ((size_t)s * S + (size_t)j) * H;
        for (int i = 0; i < H; i++) {
            dm[i] += a[s] * dctx[i] + de * q[i];
            dq[i] += de * m[i];
        }
    }
}

void attn_backward(AttnScore kind, float *dh, float *dmem, float *dWa, float *dWc, float *dht,
                   const AttnActs *x, AttnScratch s, const float *h, const float *mem,
                   const int *len, const float *Wa, const float *Wc, int R, int K, int S, int Ts,
                   int H)
{
    size_t RH = (size_t)R * H;
    for (size_t k = 0; k < RH; k++)
        dht[k] *= 1.0f - x->ht[k] * x->ht[k];
    blas_gemm(1, 0, H, 2 * H, R, 1.0f, dht, H, x->cat, 2 * H, 1.0f, dWc, 2 * H);
    blas_gemm(0, 0, R, 2 * H, H, 1.0f, dht, H, Wc, 2 * H, 0.0f, s.dcat, 2 * H);
    memset(s.dq, 0, RH * sizeof(float));
    for (int r = 0; r < R; r++) {
        const float *dcat = s.dcat + (size_t)r * 2 * H;
        for (int i = 0; i < H; i++)
            dh[(size_t)r * H + i] += dcat[H + i];
        row_backward(s.dq + (size_t)r * H, dmem, s.da, dcat, x->a + (size_t)r * Ts,
                     x->q + (size_t)r * H, mem, r / K, len[r / K], S, H);
    }
    if (kind == ATTN_GENERAL) {
        blas_gemm(0, 1, R, H, H, 1.0f, s.dq, H, Wa, H, 1.0f, dh, H);
        blas_gemm(1, 0, H, H, R, 1.0f, h, H, s.dq, H, 1.0f, dWa, H);
    } else {
        for (size_t k = 0; k < RH; k++)
            dh[k] += s.dq[k];
    }
}
