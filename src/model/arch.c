/* The architectures' table, and the pieces they share: seq2seq's start
 * state (attention starts the same way), the embedding-and-context rows
 * every first decoder layer reads, output rows that are h alone, and the
 * decoder step of an architecture without attention. */
#include "s2s/model/arch.h"

#include <string.h>

#include "s2s/nn/embedding.h"

/* Indexed by ModelArch. */
static const ArchOps *const table[] = {&arch_seq2seq, &arch_encdec, &arch_attention};

const ArchOps *arch_ops(ModelArch a)
{
    return (unsigned)a < sizeof table / sizeof table[0] ? table[a] : NULL;
}

int arch_width_embed(const ModelConfig *c) { return c->embed; }
int arch_width_embed_hidden(const ModelConfig *c) { return c->embed + c->hidden; }
int arch_width_hidden(const ModelConfig *c) { return c->hidden; }

void arch_start_copy(const Model *m, float *const *h0, float *const *c0, float *ctx,
                     const float *const *enc_h, const float *const *enc_c, int rows, int K)
{
    (void)ctx;
    size_t H = (size_t)m->cfg.hidden;
    for (int l = 0; l < m->cfg.layers; l++)
        for (int r = 0; r < rows; r++) {
            memcpy(h0[l] + r * H, enc_h[l] + (size_t)(r / K) * H, H * sizeof(float));
            memcpy(c0[l] + r * H, enc_c[l] + (size_t)(r / K) * H, H * sizeof(float));
        }
}

void arch_start_copy_backward(const Model *m, ModelTensors *g, float *const *dh0,
                              float *const *dc0, float *dctx, const float *const *h0,
                              const float *ctx, int rows, float **dencT_h, float **dencT_c)
{
    (void)g, (void)dctx, (void)h0, (void)ctx, (void)rows;
    for (int l = 0; l < m->cfg.layers; l++) /* the start state is the encoder's final state */
        dencT_h[l] = dh0[l], dencT_c[l] = dc0[l];
}

void arch_rows_embed_ctx(const Model *m, float *out, const int32_t *ids, const float *ctx, int N,
                         int B)
{
    int E = m->cfg.embed, extra = model_dec_input(&m->cfg) - E;
    for (int n = 0; n < N; n++) {
        float *row = out + (size_t)n * (E + extra);
        memcpy(row, m->w.tgt_emb + (size_t)ids[n] * E, sizeof(float) * E);
        if (extra)
            memcpy(row + E, ctx + (size_t)(n % B) * extra, sizeof(float) * extra);
    }
}

void arch_rows_embed_ctx_backward(const Model *m, ModelTensors *g, float *dctx, const float *d,
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

void arch_rows_h(const Model *m, float *out, const float *h, const int32_t *ids,
                 const float *ctx, int N, int B)
{
    (void)ids, (void)ctx, (void)B;
    memcpy(out, h, sizeof(float) * (size_t)N * m->cfg.hidden);
}

const float *arch_rows_h_backward(const Model *m, ModelTensors *g, float *dh, float *dctx,
                                  const float *d, const int32_t *ids, int N, int B)
{
    (void)m, (void)g, (void)dh, (void)dctx, (void)ids, (void)N, (void)B;
    return d;
}

void arch_step_plain(StepState *st, const Model *m, const int32_t *prev, const int *sent,
                     int rows)
{
    (void)sent; /* the rows carry everything of their sentence */
    const ArchOps *a = arch_ops(m->cfg.arch);
    a->dec_rows(m, st->x, prev, st->ctx, rows, rows);
    const float *h = step_stack(st, m, rows);
    a->out_rows(m, st->feats, h, prev, st->ctx, rows, rows);
    step_output(st, m, rows);
}
