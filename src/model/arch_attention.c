/* attention (Luong et al. 2015, global attention with input feeding): a
 * stacked encoder; a stacked decoder started from the encoder's final
 * state (as seq2seq); at each step t the top decoder state h_t attends over
 * the top encoder layer's outputs (attention.h) and the attentional state
 * ht_t = tanh(Wc [ctx_t; h_t]) goes to the output layer and, concatenated
 * with the next target embedding, into the first decoder layer at step t+1
 * (input feeding; ht_0 = 0). Because of that feed, training runs the
 * decoder one step at a time here, not the whole sequence per layer. */
#include "s2s/model/arch.h"

#include <string.h>

#include "s2s/nn/dropout.h"
#include "s2s/nn/embedding.h"

static void plan(Model *m)
{
    int H = m->cfg.hidden;
    if (m->cfg.bidir)
        model_add_stack(m, "encb", m->cfg.embed);
    if (m->cfg.attn != ATTN_DOT)
        model_add_tensor(m, "attn.Wa", H, H);
    if (m->cfg.attn == ATTN_MLP) {
        model_add_tensor(m, "attn.Wk", H, H);
        model_add_tensor(m, "attn.v", 1, H);
    }
    model_add_tensor(m, "attn.Wc", H, 2 * H);
}

static void tensors(const Model *m, float *base, ModelTensors *t, int *k)
{
    if (m->cfg.bidir)
        model_stack_tensors(m, base, t->encb, k);
    if (m->cfg.attn != ATTN_DOT)
        t->attn_Wa = base + m->tensors[(*k)++].offset;
    if (m->cfg.attn == ATTN_MLP) {
        t->attn_Wk = base + m->tensors[(*k)++].offset;
        t->attn_v = base + m->tensors[(*k)++].offset;
    }
    t->attn_Wc = base + m->tensors[(*k)++].offset;
}

static AttnParams attention_params(const ModelTensors *w)
{
    return (AttnParams){.Wa = w->attn_Wa, .Wk = w->attn_Wk, .v = w->attn_v, .Wc = w->attn_Wc};
}

/* The memory of a training batch: the top encoder layer's outputs. */
static AttnMemory batch_memory(const Model *m, const Workspace *ws, const Batch *bt)
{
    return (AttnMemory){model_enc_top(m, ws->enc, &ws->bi, bt->B),
                        m->cfg.attn == ATTN_MLP ? ws->keys : NULL, bt->src_lens, bt->B,
                        bt->src_len, NULL};
}

/* Step t of a layer's activations, as a one-step CellActs. */
static CellActs step_view(const CellActs *a, int t, int B, int H, int G)
{
    size_t bh = (size_t)t * B * H, b3 = (size_t)t * B * 3;
    CellActs v = {a->gates + bh * G, a->h + bh, a->c + bh, a->aux + bh, NULL, NULL, NULL, NULL,
                  a->out ? a->out + bh : NULL};
    if (a->lnx) /* --layer-norm */
        v.lnx = a->lnx + bh * G, v.lnh = a->lnh + bh * G, v.lnc = a->lnc + bh, v.rstd = a->rstd + b3;
    return v;
}

static AttnActs att_view(const AttnActs *a, int t, int B, int Ts, int H)
{
    size_t bh = (size_t)t * B * H;
    return (AttnActs){a->q + bh, a->a + (size_t)t * B * Ts, a->cat + 2 * bh, a->ht + bh};
}

/* Step t's first-layer input rows [embed(y_{t-1}); ht_{t-1}], dropped out. */
static float *step_input(const Model *m, Workspace *ws, const Batch *bt, int t, float dropout,
                         Rng *rng)
{
    int B = bt->B, H = m->cfg.hidden, E = m->cfg.embed, X0 = E + H;
    float *x = ws->dec_in[0] + (size_t)t * B * X0;
    for (int b = 0; b < B; b++) {
        float *row = x + (size_t)b * X0;
        memcpy(row, m->w.tgt_emb + (size_t)bt->tgt_in[t * B + b] * E, sizeof(float) * E);
        if (t > 0)
            memcpy(row + E, ws->att.ht + ((size_t)(t - 1) * B + b) * H, sizeof(float) * H);
        else
            memset(row + E, 0, sizeof(float) * H);
    }
    dropout_forward(x, ws->dec_drop[0] + (size_t)t * B * X0, B * X0, dropout, rng);
    return x;
}

/* One decoder step of every layer at time t, then attention on the top. */
static void decoder_step(const Model *m, Workspace *ws, const Batch *bt, int t, float dropout,
                         Rng *rng)
{
    const ModelConfig *c = &m->cfg;
    int B = bt->B, H = c->hidden, G = cell_gates(c->cell), L = c->layers;
    size_t BH = (size_t)B * H;
    const float *in = step_input(m, ws, bt, t, dropout, rng);
    for (int l = 0; l < L; l++) {
        if (l > 0) {
            float *x = ws->dec_in[l] + t * BH;
            memcpy(x, cell_output(&ws->dec[l - 1], B, H) + t * BH, BH * sizeof(float));
            dropout_forward(x, ws->dec_drop[l] + t * BH, (int)BH, dropout, rng);
            in = x;
        }
        CellActs a = step_view(&ws->dec[l], t, B, H, G);
        cell_forward(c->cell, &a, in, bt->tgt_mask + t * B, cell_params(m->w.dec[l]), 1, B,
                     l ? H : c->embed + H, H);
        if (a.out)
            cell_residual_forward(&a, in, 1, B, H);
    }
    AttnActs at = att_view(&ws->att, t, B, bt->src_len, H);
    AttnMemory M = batch_memory(m, ws, bt);
    attn_forward(c->attn, &at, cell_output(&ws->dec[L - 1], B, H) + t * BH, &M, attention_params(&m->w), B,
                 1, H);
}

/* Training runs the decoder a step at a time (input feeding). */
static void train_forward(const Model *m, Workspace *ws, const Batch *bt, float dropout,
                          Rng *rng)
{
    const ModelConfig *c = &m->cfg;
    int B = bt->B, Ts = bt->src_len, Tt = bt->tgt_len, H = c->hidden;
    const float *enc_h[MODEL_MAX_LAYERS], *enc_c[MODEL_MAX_LAYERS];
    float *h0[MODEL_MAX_LAYERS], *c0[MODEL_MAX_LAYERS];
    S2S_INVARIANT(B <= ws->max_B && Ts <= ws->max_src && Tt <= ws->max_tgt &&
                  (long)Ts * B <= ws->src_slots && (long)Tt * B <= ws->tgt_slots);
    model_encode(m, ws->enc, &ws->bi, ws->enc_in, ws->enc_drop, bt->src, bt->src_mask,
                 bt->src_lens, Ts, B, dropout, rng, NULL);
    model_final_states(m, ws->enc, Ts, B, enc_h, enc_c);
    for (int l = 0; l < c->layers; l++)
        h0[l] = ws->dec[l].h, c0[l] = ws->dec[l].c;
    arch_start_copy(m, h0, c0, NULL, enc_h, enc_c, B, 1);
    if (c->attn == ATTN_MLP) /* the memory's keys, once per batch */
        attn_keys(ws->keys, model_enc_top(m, ws->enc, &ws->bi, B), attention_params(&m->w),
                  Ts * B, H);
    for (int t = 0; t < Tt; t++)
        decoder_step(m, ws, bt, t, dropout, rng);
    size_t n = (size_t)Tt * B * H;
    memcpy(ws->top, ws->att.ht, n * sizeof(float));
    dropout_forward(ws->top, ws->top_drop, (int)n, dropout, rng);
}

/* Backward through step t's decoder layers, top first, from dh (B, H) at
 * the top; carries the state gradients in ws->dstate_h/c and leaves the
 * previous attentional state's gradient in ws->dfeed. */
static void decoder_step_backward(const Model *m, Workspace *ws, const Batch *bt, int t,
                                  const float *dh)
{
    const ModelConfig *c = &m->cfg;
    int B = bt->B, H = c->hidden, E = c->embed, X0 = E + H, G = cell_gates(c->cell);
    int lstm = cell_has_c(c->cell);
    size_t BH = (size_t)B * H;
    const float *dout = dh;
    for (int l = c->layers - 1; l >= 0; l--) {
        int X = l ? H : X0;
        float *dx = ws->dbuf[l & 1];
        memset(dx, 0, sizeof(float) * (size_t)B * X);
        memset(ws->dh0, 0, BH * sizeof(float));
        memset(ws->dc0, 0, BH * sizeof(float));
        CellActs a = step_view(&ws->dec[l], t, B, H, G);
        const float *x = ws->dec_in[l] + (size_t)t * B * X;
        cell_backward(c->cell, dx, ws->dh0, lstm ? ws->dc0 : NULL, ws->g.dec[l], dout,
                      ws->dstate_h[l], lstm ? ws->dstate_c[l] : NULL, &a, x, bt->tgt_mask + t * B,
                      cell_params(m->w.dec[l]), ws->scratch, 1, B, X, H);
        memcpy(ws->dstate_h[l], ws->dh0, BH * sizeof(float));
        memcpy(ws->dstate_c[l], ws->dc0, BH * sizeof(float));
        model_residual_backward(c, l, dx, dout, (size_t)B * X);
        dropout_backward(dx, ws->dec_drop[l] + (size_t)t * B * X, B * X);
        dout = dx;
    }
    for (int b = 0; b < B; b++) { /* layer 0's input: the embedding and the fed-in state */
        const float *row = dout + (size_t)b * X0;
        embedding_backward(ws->g.tgt_emb, row, bt->tgt_in + t * B + b, 1, E);
        memcpy(ws->dfeed + (size_t)b * H, row + E, sizeof(float) * H);
    }
}

/* Backward from ws->dtop, through the output dropout first. */
static void train_backward(const Model *m, Workspace *ws, const Batch *bt)
{
    const ModelConfig *c = &m->cfg;
    int B = bt->B, Ts = bt->src_len, H = c->hidden, L = c->layers;
    size_t BH = (size_t)B * H;
    dropout_backward(ws->dtop, ws->top_drop, bt->tgt_len * B * H);
    memset(ws->dmem, 0, (size_t)Ts * BH * sizeof(float));
    memset(ws->dkeys, 0, (size_t)Ts * BH * sizeof(float) * (c->attn == ATTN_MLP));
    AttnMemory M = batch_memory(m, ws, bt);
    AttnGrads g = {ws->g.attn_Wa, ws->g.attn_Wk, ws->g.attn_v, ws->g.attn_Wc};
    memset(ws->dfeed, 0, BH * sizeof(float));
    for (int l = 0; l < L; l++) {
        memset(ws->dstate_h[l], 0, BH * sizeof(float));
        memset(ws->dstate_c[l], 0, BH * sizeof(float));
    }
    for (int t = bt->tgt_len - 1; t >= 0; t--) {
        float *dht = ws->dstep, *dh = ws->dh_top + t * BH;
        for (size_t k = 0; k < BH; k++)
            dht[k] = ws->dtop[t * BH + k] + ws->dfeed[k];
        memset(dh, 0, BH * sizeof(float));
        AttnActs at = att_view(&ws->att, t, B, Ts, H);
        attn_backward(c->attn, dh, ws->dmem, c->attn == ATTN_MLP ? ws->dkeys : NULL, g, dht, &at,
                      ws->att_s, cell_output(&ws->dec[L - 1], B, H) + t * BH, &M, attention_params(&m->w),
                      B, 1, H);
        decoder_step_backward(m, ws, bt, t, dh);
    }
    if (c->attn == ATTN_MLP)
        attn_keys_backward(ws->dmem, g, ws->dkeys, M.mem, attention_params(&m->w), Ts * B, H);
    model_encoder_backward(m, ws, bt, ws->dmem, ws->dstate_h, ws->dstate_c);
}

/* No attentional state before the first step; the mlp score's keys, once
 * per batch. */
static void feed_begin(StepState *st, const Model *m)
{
    const ModelConfig *c = &m->cfg;
    memset(st->feed, 0, sizeof(float) * (size_t)st->S * st->K * c->hidden);
    if (c->attn == ATTN_MLP)
        attn_keys(st->keys, model_enc_top(m, st->enc, &st->bi, st->S), step_attn_params(st, m),
                  st->Ts * st->S, c->hidden);
}

/* The rows read the previous attentional state; the top state attends
 * over its sentence's encoder outputs, and the new attentional state goes
 * to the output layer and to the next step. */
static void attend_step(StepState *st, const Model *m, const int32_t *prev, const int *sent,
                         int rows)
{
    const ModelConfig *c = &m->cfg;
    int H = c->hidden;
    arch_rows_embed_ctx(m, st->x, prev, st->feed, rows, rows);
    const float *h = step_stack(st, m, rows);
    AttnMemory M = {model_enc_top(m, st->enc, &st->bi, st->S),
                    c->attn == ATTN_MLP ? st->keys : NULL, st->src_len, st->S, st->Ts, sent};
    attn_forward(c->attn, &st->att, h, &M, step_attn_params(st, m), rows, st->K, H);
    memcpy(st->feed + (size_t)rows * H, st->att.ht, sizeof(float) * (size_t)rows * H);
    arch_rows_h(m, st->feats, st->att.ht, prev, st->ctx, rows, rows);
    step_output(st, m, rows);
}

static void feed_reorder(StepState *st, const Model *m, const int *parent, int rows)
{
    size_t H = m->cfg.hidden, n = (size_t)st->fwd_rows * H; /* slot 1: the forward's rows */
    for (int r = 0; r < rows; r++)
        memcpy(st->feed + r * H, st->feed + n + parent[r] * H, H * sizeof(float));
}

const ArchOps arch_attention = {
    .name = "attention",
    .attends = 1,
    .dec_input = arch_width_embed_hidden, /* [y; ht of the previous step] */
    .out_input = arch_width_hidden,       /* ht */
    .plan = plan,
    .tensors = tensors,
    .start = arch_start_copy,
    .start_backward = arch_start_copy_backward, /* unused: its own training pass */
    .dec_rows = arch_rows_embed_ctx,
    .dec_rows_backward = arch_rows_embed_ctx_backward,
    .out_rows = arch_rows_h,
    .out_rows_backward = arch_rows_h_backward,
    .train_forward = train_forward,
    .train_backward = train_backward,
    .step_begin = feed_begin,
    .step_forward = attend_step,
    .step_reorder = feed_reorder,
};
