#include "s2s/attention.h"

#include <math.h>
#include <string.h>

#include "s2s/blas.h"

static const char *const names[] = {"dot", "general", "mlp"};

const char *attn_score_name(AttnScore k) { return names[k]; }

int attn_score_from_name(const char *name, AttnScore *k)
{
    for (int i = 0; i < 3; i++)
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

void attn_keys(float *keys, const float *mem, AttnParams p, int N, int H)
{
    blas_gemm(0, 0, N, H, H, 1.0f, mem, H, p.Wk, H, 0.0f, keys, H);
}

void attn_keys_backward(float *dmem, AttnGrads g, const float *dkeys, const float *mem,
                        AttnParams p, int N, int H)
{
    blas_gemm(1, 0, H, H, N, 1.0f, mem, H, dkeys, H, 1.0f, g.Wk, H);
    blas_gemm(0, 1, N, H, H, 1.0f, dkeys, H, p.Wk, H, 1.0f, dmem, H);
}

/* Row r's score of position s of sentence j. */
static float score(AttnScore kind, const float *q, const AttnMemory *M, AttnParams p, int s,
                   int j, int H)
{
    if (kind != ATTN_MLP)
        return dot(q, mem_at(M->mem, s, j, M->S, H), H);
    const float *k = mem_at(M->keys, s, j, M->S, H);
    float e = 0.0f;
    for (int i = 0; i < H; i++)
        e += p.v[i] * tanhf(q[i] + k[i]);
    return e;
}

/* Row r's weights a (Ts) from its query q over the first n positions of
 * sentence j: a masked softmax, 0 beyond n. */
static void row_weights(AttnScore kind, float *a, const float *q, const AttnMemory *M,
                        AttnParams p, int j, int H)
{
    int n = M->len[j];
    float mx = -INFINITY;
    double sum = 0.0;
    for (int s = 0; s < n; s++) {
        a[s] = score(kind, q, M, p, s, j, H);
        mx = a[s] > mx ? a[s] : mx;
    }
    for (int s = 0; s < n; s++)
        sum += (a[s] = expf(a[s] - mx));
    for (int s = 0; s < M->Ts; s++)
        a[s] = s < n ? (float)(a[s] / sum) : 0.0f;
}

void attn_forward(AttnScore kind, AttnActs *x, const float *h, const AttnMemory *M,
                  AttnParams p, int R, int K, int H)
{
    size_t RH = (size_t)R * H;
    if (kind != ATTN_DOT)
        blas_gemm(0, 0, R, H, H, 1.0f, h, H, p.Wa, H, 0.0f, x->q, H);
    else
        memcpy(x->q, h, RH * sizeof(float));
    for (int r = 0; r < R; r++) {
        int j = r / K;
        float *a = x->a + (size_t)r * M->Ts, *ctx = x->cat + (size_t)r * 2 * H;
        row_weights(kind, a, x->q + (size_t)r * H, M, p, j, H);
        memset(ctx, 0, sizeof(float) * H);
        for (int s = 0; s < M->len[j]; s++) {
            const float *m = mem_at(M->mem, s, j, M->S, H);
            for (int i = 0; i < H; i++)
                ctx[i] += a[s] * m[i];
        }
        memcpy(ctx + H, h + (size_t)r * H, sizeof(float) * H);
    }
    blas_gemm(0, 1, R, H, 2 * H, 1.0f, x->cat, 2 * H, p.Wc, 2 * H, 0.0f, x->ht, H);
    for (size_t k = 0; k < RH; k++)
        x->ht[k] = tanhf(x->ht[k]);
}

/* The score's backward at (row, s), de its gradient: ADDS into dq, and into
 * dmem (dot, general) or dkeys and g.v (mlp). */
static void score_backward(AttnScore kind, float *dq, float *dm, float *dk, AttnGrads g,
                           float de, const float *q, const AttnMemory *M, AttnParams p, int s,
                           int j, int H)
{
    const float *m = mem_at(M->mem, s, j, M->S, H);
    if (kind != ATTN_MLP) {
        for (int i = 0; i < H; i++) {
            dm[i] += de * q[i];
            dq[i] += de * m[i];
        }
        return;
    }
    const float *k = mem_at(M->keys, s, j, M->S, H);
    for (int i = 0; i < H; i++) {
        float t = tanhf(q[i] + k[i]), d = de * p.v[i] * (1.0f - t * t);
        g.v[i] += de * t;
        dq[i] += d;
        dk[i] += d;
    }
}

/* Row r's backward through ctx = sum a m and the softmax: ADDS a_s dctx
 * into dmem and the scores' gradients through score_backward. */
static void row_backward(AttnScore kind, float *dq, float *dmem, float *dkeys, AttnGrads g,
                         float *da, const float *dctx, const float *a, const float *q,
                         const AttnMemory *M, AttnParams p, int j, int H)
{
    int n = M->len[j];
    double mean = 0.0;
    for (int s = 0; s < n; s++) {
        da[s] = dot(dctx, mem_at(M->mem, s, j, M->S, H), H);
        mean += (double)a[s] * da[s];
    }
    for (int s = 0; s < n; s++) {
        size_t at = ((size_t)s * M->S + (size_t)j) * H;
        float de = a[s] * (da[s] - (float)mean), *dm = dmem + at;
        for (int i = 0; i < H; i++)
            dm[i] += a[s] * dctx[i];
        score_backward(kind, dq, dm, dkeys ? dkeys + at : NULL, g, de, q, M, p, s, j, H);
    }
}

void attn_backward(AttnScore kind, float *dh, float *dmem, float *dkeys, AttnGrads g, float *dht,
                   const AttnActs *x, AttnScratch s, const float *h, const AttnMemory *M,
                   AttnParams p, int R, int K, int H)
{
    size_t RH = (size_t)R * H;
    for (size_t k = 0; k < RH; k++)
        dht[k] *= 1.0f - x->ht[k] * x->ht[k];
    blas_gemm(1, 0, H, 2 * H, R, 1.0f, dht, H, x->cat, 2 * H, 1.0f, g.Wc, 2 * H);
    blas_gemm(0, 0, R, 2 * H, H, 1.0f, dht, H, p.Wc, 2 * H, 0.0f, s.dcat, 2 * H);
    memset(s.dq, 0, RH * sizeof(float));
    for (int r = 0; r < R; r++) {
        const float *dcat = s.dcat + (size_t)r * 2 * H;
        for (int i = 0; i < H; i++)
            dh[(size_t)r * H + i] += dcat[H + i];
        row_backward(kind, s.dq + (size_t)r * H, dmem, dkeys, g, s.da, dcat,
                     x->a + (size_t)r * M->Ts, x->q + (size_t)r * H, M, p, r / K, H);
    }
    if (kind != ATTN_DOT) {
        blas_gemm(0, 1, R, H, H, 1.0f, s.dq, H, p.Wa, H, 1.0f, dh, H);
        blas_gemm(1, 0, H, H, R, 1.0f, h, H, s.dq, H, 1.0f, g.Wa, H);
    } else {
        for (size_t k = 0; k < RH; k++)
            dh[k] += s.dq[k];
    }
}
