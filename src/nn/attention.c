#include "s2s/nn/attention.h"

#include <math.h>
#include <string.h>

#include "s2s/nn/activ.h"
#include "s2s/nn/blas.h"

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
    if (p.qk)
        qmat_mul(p.qk, 0, H, mem, H, N, keys, H, 0.0f, p.qbuf);
    else
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

/* Softmax of a[0..n) in place, 0 from n to Ts. */
static void masked_softmax(float *a, int n, int Ts)
{
    float mx = -INFINITY;
    double sum = 0.0;
    for (int s = 0; s < n; s++)
        mx = a[s] > mx ? a[s] : mx;
    for (int s = 0; s < n; s++)
        sum += (a[s] = expf(a[s] - mx));
    for (int s = 0; s < Ts; s++)
        a[s] = s < n ? (float)(a[s] / sum) : 0.0f;
}

/* Scores of rows r0 .. r0 + kk (sentence j, n positions) into A (kk, Ts).
 * dot and general: one product with the sentence's memory, shared by its
 * rows; mlp: row by row. */
static void sentence_scores(AttnScore kind, float *A, const float *q, const AttnMemory *M,
                            AttnParams p, int j, int kk, int n, int H)
{
    if (kind != ATTN_MLP) {
        blas_gemm(0, 1, kk, n, H, 1.0f, q, H, M->mem + (size_t)j * H, M->S * H, 0.0f, A, M->Ts);
        return;
    }
    for (int k = 0; k < kk; k++)
        for (int s = 0; s < n; s++)
            A[(size_t)k * M->Ts + s] = score(kind, q + (size_t)k * H, M, p, s, j, H);
}

void attn_forward(AttnScore kind, AttnActs *x, const float *h, const AttnMemory *M,
                  AttnParams p, int R, int K, int H)
{
    size_t RH = (size_t)R * H;
    int Ts = M->Ts;
    if (kind != ATTN_DOT && p.qa)
        qmat_mul(p.qa, 0, H, h, H, R, x->q, H, 0.0f, p.qbuf);
    else if (kind != ATTN_DOT)
        blas_gemm(0, 0, R, H, H, 1.0f, h, H, p.Wa, H, 0.0f, x->q, H);
    else
        memcpy(x->q, h, RH * sizeof(float));
    for (int r0 = 0; r0 < R; r0 += K) { /* sentence j's rows r0 .. r0 + kk */
        int j = M->sent ? M->sent[r0 / K] : r0 / K, kk = R - r0 < K ? R - r0 : K, n = M->len[j];
        float *A = x->a + (size_t)r0 * Ts, *cat = x->cat + (size_t)r0 * 2 * H;
        if (n > 0)
            sentence_scores(kind, A, x->q + (size_t)r0 * H, M, p, j, kk, n, H);
        for (int k = 0; k < kk; k++)
            masked_softmax(A + (size_t)k * Ts, n, Ts);
        for (int k = 0; k < kk; k++)
            memset(cat + (size_t)k * 2 * H, 0, sizeof(float) * H);
        if (n > 0) /* ctx = a M_j, the sentence's rows together */
            blas_gemm(0, 0, kk, H, n, 1.0f, A, Ts, M->mem + (size_t)j * H, M->S * H, 0.0f, cat,
                      2 * H);
        for (int k = 0; k < kk; k++)
            memcpy(cat + (size_t)k * 2 * H + H, h + (size_t)(r0 + k) * H, sizeof(float) * H);
    }
    if (p.qc)
        qmat_mul(p.qc, 0, H, x->cat, 2 * H, R, x->ht, H, 0.0f, p.qbuf);
    else
        blas_gemm(0, 1, R, H, 2 * H, 1.0f, x->cat, 2 * H, p.Wc, 2 * H, 0.0f, x->ht, H);
    if (p.decoding)
        act_tanh(x->ht, x->ht, (int)RH);
    else
        for (size_t k = 0; k < RH; k++)
            x->ht[k] = tanhf(x->ht[k]);
}

/* mlp: the score's backward at (row, s), de its gradient: ADDS into dq,
 * dkeys and g.v. */
static void score_backward(AttnScore kind, float *dq, float *dm, float *dk, AttnGrads g,
                           float de, const float *q, const AttnMemory *M, AttnParams p, int s,
                           int j, int H)
{
    (void)kind, (void)dm; /* mlp: the memory's gradient goes through the keys */
    const float *k = mem_at(M->keys, s, j, M->S, H);
    for (int i = 0; i < H; i++) {
        float t = tanhf(q[i] + k[i]), d = de * p.v[i] * (1.0f - t * t);
        g.v[i] += de * t;
        dq[i] += d;
        dk[i] += d;
    }
}

/* Sentence j's rows r0 .. r0 + kk: backward through ctx = a M_j and the
 * softmax, then through the scores (shared products for dot and general,
 * row by row for mlp). dctx: the rows' gradients, stride 2H; DA: (kk, n)
 * scratch, turned into the scores' gradient. */
static void sentence_backward(AttnScore kind, float *dq, float *dmem, float *dkeys, AttnGrads g,
                              float *DA, const float *dctx, const float *A, const float *q,
                              const AttnMemory *M, AttnParams p, int j, int kk, int n, int H)
{
    const float *Mj = M->mem + (size_t)j * H;
    float *dMj = dmem + (size_t)j * H;
    int ld = M->S * H, Ts = M->Ts;
    blas_gemm(0, 1, kk, n, H, 1.0f, dctx, 2 * H, Mj, ld, 0.0f, DA, n);
    blas_gemm(1, 0, n, H, kk, 1.0f, A, Ts, dctx, 2 * H, 1.0f, dMj, ld);
    for (int k = 0; k < kk; k++) { /* softmax backward: de = a (da - sum a da) */
        const float *a = A + (size_t)k * Ts;
        float *d = DA + (size_t)k * n;
        double mean = 0.0;
        for (int s = 0; s < n; s++)
            mean += (double)a[s] * d[s];
        for (int s = 0; s < n; s++)
            d[s] = a[s] * (d[s] - (float)mean);
    }
    if (kind != ATTN_MLP) {
        blas_gemm(0, 0, kk, H, n, 1.0f, DA, n, Mj, ld, 1.0f, dq, H);
        blas_gemm(1, 0, n, H, kk, 1.0f, DA, n, q, H, 1.0f, dMj, ld);
        return;
    }
    for (int k = 0; k < kk; k++)
        for (int s = 0; s < n; s++) {
            size_t at = ((size_t)s * M->S + (size_t)j) * H;
            score_backward(kind, dq + (size_t)k * H, dmem + at, dkeys + at, g,
                           DA[(size_t)k * n + s], q + (size_t)k * H, M, p, s, j, H);
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
    for (int r = 0; r < R; r++)
        for (int i = 0; i < H; i++)
            dh[(size_t)r * H + i] += s.dcat[(size_t)r * 2 * H + H + i];
    for (int r0 = 0; r0 < R; r0 += K) {
        int j = r0 / K, kk = R - r0 < K ? R - r0 : K, n = M->len[j];
        if (n > 0)
            sentence_backward(kind, s.dq + (size_t)r0 * H, dmem, dkeys, g, s.da,
                              s.dcat + (size_t)r0 * 2 * H, x->a + (size_t)r0 * M->Ts,
                              x->q + (size_t)r0 * H, M, p, j, kk, n, H);
    }
    if (kind != ATTN_DOT) {
        blas_gemm(0, 1, R, H, H, 1.0f, s.dq, H, p.Wa, H, 1.0f, dh, H);
        blas_gemm(1, 0, H, H, R, 1.0f, h, H, s.dq, H, 1.0f, g.Wa, H);
    } else {
        for (size_t k = 0; k < RH; k++)
            dh[k] += s.dq[k];
    }
}
