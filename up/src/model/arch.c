/* The architecture dispatch, and the row builders the two RNN
 * encoder-decoders share (seq2seq's rows are encdec's without c). */
#include "s2s/model/arch.h"

#include <string.h>

#include "s2s/nn/embedding.h"

void arch_plan(Model *m)
{
    if (m->cfg.arch == ARCH_ENCDEC)
        encdec_plan(m);
    else if (m->cfg.arch == ARCH_ATTENTION)
        attention_plan(m);
}

void arch_tensors(const Model *m, float *base, ModelTensors *t, int *k)
{
    if (m->cfg.arch == ARCH_ENCDEC)
        encdec_tensors(m, base, t, k);
    else if (m->cfg.arch == ARCH_ATTENTION)
        attention_tensors(m, base, t, k);
}

void arch_start(const Model *m, float *const *h0, float *const *c0, float *ctx,
                const float *const *enc_h, const float *const *enc_c, int rows, int K)
{
    if (m->cfg.arch == ARCH_ENCDEC)
        encdec_start(m, h0, c0, ctx, enc_h, rows, K);
    else
        seq2seq_start(m, h0, c0, enc_h, enc_c, rows, K);
}

void arch_start_backward(const Model *m, ModelTensors *g, float *const *dh0,
                         float *const *dc0, float *dctx, const float *const *h0,
                         const float *ctx, int rows, float **dencT_h, float **dencT_c)
{
    int L = m->cfg.layers;
    for (int l = 0; l < L; l++) { /* seq2seq: the start state is the encoder's final state */
        dencT_h[l] = m->cfg.arch == ARCH_ENCDEC ? NULL : dh0[l];
        dencT_c[l] = m->cfg.arch == ARCH_ENCDEC ? NULL : dc0[l];
    }
    if (m->cfg.arch == ARCH_ENCDEC) {
        encdec_start_backward(m, g, dh0, dctx, h0, ctx, rows);
        dencT_h[L - 1] = dctx; /* c is the top layer's final h */
    }
}

void arch_dec_rows(const Model *m, float *out, const int32_t *ids, const float *ctx, int N, int B)
{
    int E = m->cfg.embed, extra = model_dec_input(&m->cfg) - E;
    for (int n = 0; n < N; n++) {
        float *row = out + (size_t)n * (E + extra);
        memcpy(row, m->w.tgt_emb + (size_t)ids[n] * E, sizeof(float) * E);
        if (extra)
            memcpy(row + E, ctx + (size_t)(n % B) * extra, sizeof(float) * extra);
    }
}

void arch_dec_rows_backward(const Model *m, ModelTensors *g, float *dctx, const float *d,
                            const int32_t *ids, int N, int B)
{
    int E = m->cfg.embed, extra = model_dec_input(&m->cfg) - E;
    for (int n = 0; n < N; n++) {
        const float *row = d + (size_t)n * (E + extra);
        embedding_backward(g->tgt_emb, row, ids + n, 1, E);
        float *dc = dctx + (size_t)(n % B) * extra;
        for (int j = 0; j < extra; j++)
            dc[j] += row[E + j];
    }
}

void arch_out_rows(const Model *m, float *out, const float *h, const int32_t *ids,
                   const float *ctx, int N, int B)
{
    if (m->cfg.arch == ARCH_ENCDEC)
        encdec_out_rows(m, out, h, ids, ctx, N, B);
    else
        memcpy(out, h, sizeof(float) * (size_t)N * m->cfg.hidden);
}

const float *arch_out_rows_backward(const Model *m, ModelTensors *g, float *dh, float *dctx,
                                    const float *d, const int32_t *ids, int N, int B)
{
    if (m->cfg.arch == ARCH_ENCDEC)
        return encdec_out_rows_backward(m, g, dh, dctx, d, ids, N, B);
    return d; /* seq2seq: the output layer reads h alone */
}
