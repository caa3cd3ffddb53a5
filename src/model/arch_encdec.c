/* encdec (Cho et al. 2014, RNN Encoder-Decoder): c = the top encoder
 * layer's final h summarises the source; decoder layer l starts from
 * h0 = tanh(V_l c + bv_l) (LSTM cell state 0), the first decoder layer
 * reads [embed(y_{t-1}); c] at every step (arch.c's rows), and the output
 * layer reads [h_t; embed(y_{t-1}); c]. Its decoder state: ctx, each row's c. */
#include "s2s/model/arch.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "s2s/nn/blas.h"
#include "s2s/nn/embedding.h"

static int out_input(const ModelConfig *c) { return c->hidden + c->embed + c->hidden; }

/* init.l.W (H, H) and init.l.b (H) for every decoder layer. */
static void plan(Model *m)
{
    char name[32];
    for (int l = 0; l < m->cfg.layers; l++) {
        snprintf(name, sizeof name, "init.%d.W", l);
        model_add_tensor(m, name, m->cfg.hidden, m->cfg.hidden);
        snprintf(name, sizeof name, "init.%d.b", l);
        model_add_tensor(m, name, 1, m->cfg.hidden);
    }
}

static void tensors(const Model *m, float *base, ModelTensors *t, int *k)
{
    for (int l = 0; l < m->cfg.layers; l++) {
        t->init_W[l] = base + m->tensors[(*k)++].offset;
        t->init_b[l] = base + m->tensors[(*k)++].offset;
    }
}

/* ctx row r = sentence r / K's c; h0[l] = tanh(ctx V_l^T + b_l); c0 = 0. */
static void start(const Model *m, float *const *h0, float *const *c0, float *ctx,
                  const float *const *enc_h, const float *const *enc_c, int rows, int K)
{
    (void)enc_c;
    int H = m->cfg.hidden, L = m->cfg.layers;
    for (int r = 0; r < rows; r++)
        memcpy(ctx + (size_t)r * H, enc_h[L - 1] + (size_t)(r / K) * H, sizeof(float) * H);
    for (int l = 0; l < L; l++) {
        blas_gemm(0, 1, rows, H, H, 1.0f, ctx, H, m->w.init_W[l], H, 0.0f, h0[l], H);
        for (size_t k = 0; k < (size_t)rows * H; k++)
            h0[l][k] = tanhf(h0[l][k] + m->w.init_b[l][k % (size_t)H]);
        memset(c0[l], 0, sizeof(float) * (size_t)rows * H);
    }
}

/* Backward through h0 = tanh(V c + b) of every decoder layer; c is the
 * top encoder layer's final h, so its gradient is the encoder's only one. */
static void start_backward(const Model *m, ModelTensors *g, float *const *dh0,
                           float *const *dc0, float *dctx, const float *const *h0,
                           const float *ctx, int rows, float **dencT_h, float **dencT_c)
{
    (void)dc0;
    int H = m->cfg.hidden, L = m->cfg.layers;
    for (int l = 0; l < L; l++)
        dencT_h[l] = NULL, dencT_c[l] = NULL;
    size_t n = (size_t)rows * H;
    for (int l = 0; l < m->cfg.layers; l++) {
        float *d = dh0[l];
        for (size_t k = 0; k < n; k++) {
            d[k] *= 1.0f - h0[l][k] * h0[l][k];
            g->init_b[l][k % (size_t)H] += d[k];
        }
        blas_gemm(1, 0, H, H, rows, 1.0f, d, H, ctx, H, 1.0f, g->init_W[l], H);
        blas_gemm(0, 0, rows, H, H, 1.0f, d, H, m->w.init_W[l], H, 1.0f, dctx, H);
    }
    dencT_h[L - 1] = dctx;
}

static void out_rows(const Model *m, float *out, const float *h, const int32_t *ids,
                     const float *ctx, int N, int B)
{
    int H = m->cfg.hidden, E = m->cfg.embed, F = model_out_input(&m->cfg);
    for (int n = 0; n < N; n++) {
        float *row = out + (size_t)n * F;
        memcpy(row, h + (size_t)n * H, sizeof(float) * H);
        memcpy(row + H, m->w.tgt_emb + (size_t)ids[n] * E, sizeof(float) * E);
        memcpy(row + H + E, ctx + (size_t)(n % B) * H, sizeof(float) * H);
    }
}

static const float *out_rows_backward(const Model *m, ModelTensors *g, float *dh, float *dctx,
                                      const float *d, const int32_t *ids, int N, int B)
{
    int H = m->cfg.hidden, E = m->cfg.embed, F = model_out_input(&m->cfg);
    for (int n = 0; n < N; n++) {
        const float *row = d + (size_t)n * F;
        memcpy(dh + (size_t)n * H, row, sizeof(float) * H);
        embedding_backward(g->tgt_emb, row + H, ids + n, 1, E);
        float *dc = dctx + (size_t)(n % B) * H;
        for (int j = 0; j < H; j++)
            dc[j] += row[H + E + j];
    }
    return dh;
}

/* c, the same in all of a sentence's rows, has one slot per row: a row
 * moves down to its block's place (parent[r] >= r's block start). */
static void ctx_reorder(StepState *st, const Model *m, const int *parent, int rows)
{
    size_t H = m->cfg.hidden;
    for (int r = 0; r < rows; r++)
        if (parent[r] != r)
            memmove(st->ctx + r * H, st->ctx + parent[r] * H, H * sizeof(float));
}

const ArchOps arch_encdec = {
    .name = "encdec",
    .dec_input = arch_width_embed_hidden, /* [y; c] */
    .out_input = out_input,
    .plan = plan,
    .tensors = tensors,
    .start = start,
    .start_backward = start_backward,
    .dec_rows = arch_rows_embed_ctx,
    .dec_rows_backward = arch_rows_embed_ctx_backward,
    .out_rows = out_rows,
    .out_rows_backward = out_rows_backward,
    .step_forward = arch_step_plain,
    .step_reorder = ctx_reorder,
};
