#include "s2s/model/step.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "s2s/model/arch.h"
#include "s2s/model/quant.h"
#include "s2s/nn/activ.h"
#include "s2s/nn/blas.h"
#include "s2s/text/vocab.h"

void step_zero(StepState *st) { memset(st, 0, sizeof *st); }

void step_free(StepState *st)
{
    free(st->mem);
    qmat_free(&st->out_sl);
    free(st->b_sl);
    step_zero(st);
}

/* The output layer's weights as decoding reads them: m->quant's, else a
 * view of the fp32 parameters. */
static QMat out_weights(const Model *m)
{
    QMat q;
    if (m->quant)
        return m->quant->out;
    qmat_init(&q, PREC_FP32, m->w.out_W, m->cfg.tgt_vocab, model_out_input(&m->cfg),
              model_out_input(&m->cfg), 0, NULL);
    return q;
}

int step_reserve_columns(StepState *st, const Model *m, S2sErr *err)
{
    QMat w = out_weights(m);
    if (st->b_sl && st->out_sl.cap >= w.rows && st->out_sl.prec == w.prec)
        return 0;
    free(st->b_sl);
    st->b_sl = malloc(sizeof(float) * (size_t)w.rows);
    if (!st->b_sl)
        return s2s_fail(err, S2S_ENOMEM, "out of memory for the shortlist's biases");
    return qmat_reserve_like(&st->out_sl, &w, w.rows, err);
}

void step_columns(StepState *st, const Model *m, const int32_t *cols, int n)
{
    st->ncols = n;
    if (!n)
        return;
    QMat w = out_weights(m);
    qmat_gather(&st->out_sl, &w, cols, n);
    for (int i = 0; i < n; i++)
        st->b_sl[i] = m->w.out_b[cols[i]];
}

static void *carve(unsigned char **cur, size_t bytes)
{
    void *p = *cur;
    *cur += (bytes + 63) / 64 * 64;
    return p;
}

/* Lays out (or, with base == NULL, measures) every array of st. */
static size_t step_layout(StepState *st, const Model *m, unsigned char *base)
{
    const ModelConfig *c = &m->cfg;
    size_t S = st->max_sents, R = st->rows, T = st->max_src;
    size_t H = c->hidden, E = c->embed, F = sizeof(float), G = (size_t)cell_gates(c->cell);
    size_t X0 = (size_t)model_dec_input(c), FO = (size_t)model_out_input(c);
    unsigned char *cur = base;
    st->src = carve(&cur, T * S * sizeof(int32_t));
    st->src_mask = carve(&cur, T * S * F);
    st->enc_x = carve(&cur, T * S * E * F);
    for (int l = 0; l < c->layers; l++) {
        size_t res = c->residual && l; /* --residual's outputs, from the second layer */
        st->enc[l] = (CellActs){carve(&cur, T * S * G * H * F), carve(&cur, (T + 1) * S * H * F),
                                carve(&cur, (T + 1) * S * H * F), carve(&cur, T * S * H * F),
                                NULL, NULL, NULL, NULL, carve(&cur, res * T * S * H * F)};
        st->dec[l] = (CellActs){carve(&cur, R * G * H * F), carve(&cur, 2 * R * H * F),
                                carve(&cur, 2 * R * H * F), carve(&cur, R * H * F),
                                NULL, NULL, NULL, NULL, carve(&cur, res * R * H * F)};
        if (!res)
            st->enc[l].out = st->dec[l].out = NULL;
        float *le = carve(&cur, model_ln_act_floats(c, T * S) * F); /* --layer-norm's */
        float *ld = carve(&cur, model_ln_act_floats(c, R) * F);
        if (base)
            cell_ln_place(&st->enc[l], &le, c, T * S), cell_ln_place(&st->dec[l], &ld, c, R);
    }
    st->x = carve(&cur, R * X0 * F);
    st->feats = carve(&cur, R * FO * F);
    st->ctx = carve(&cur, R * H * F);
    st->logp = carve(&cur, R * (size_t)c->tgt_vocab * F);
    size_t A = model_attends(c); /* empty otherwise */
    st->src_len = carve(&cur, S * sizeof(int));
    st->feed = carve(&cur, A * 2 * R * H * F);
    st->keys = carve(&cur, (c->attn == ATTN_MLP) * A * T * S * H * F);
    if (c->bidir) {
        size_t n = bienc_floats(c->layers, c->embed, c->hidden, c->cell, c->layer_norm,
                                (size_t)T * S, (int)S, 0);
        float *bi = carve(&cur, n * F);
        if (base)
            bienc_place(&st->bi, bi, c->layers, c->embed, c->hidden, c->cell, c->layer_norm,
                        (size_t)T * S, (int)S, 0);
        st->bi.residual = c->residual;
    }
    st->att = (AttnActs){carve(&cur, A * R * H * F), carve(&cur, A * R * T * F),
                         carve(&cur, A * R * 2 * H * F), carve(&cur, A * R * H * F)};
    st->qbuf = carve(&cur, model_quant_scratch(m, (int)R, (int)(T * S)));
    return (size_t)(cur - base);
}

void step_fit(int cs, int ct, int *S, int *T)
{
    int s = cs > *S ? cs : *S, t = ct > *T ? ct : *T;
    if ((double)s * t <= 2.0 * (double)*S * *T)
        *S = s, *T = t;
}

int step_reserve(StepState *st, const Model *m, int max_sents, int beam, int max_src,
                 S2sErr *err)
{
    if (max_src < 1)
        max_src = 1;
    if (st->mem && max_sents <= st->max_sents && beam <= st->beam && max_src <= st->max_src)
        return 0;
    StepState n;
    step_zero(&n);
    if (st->mem)
        step_fit(st->max_sents, st->max_src, &max_sents, &max_src);
    n.max_sents = max_sents;
    n.beam = beam > st->beam ? beam : st->beam;
    n.max_src = max_src;
    n.rows = n.max_sents * n.beam;
    size_t bytes = step_layout(&n, m, NULL);
    n.mem = calloc(1, bytes);
    if (!n.mem)
        return s2s_fail(err, S2S_ENOMEM, "out of memory for the decoder (%zu MB)", bytes >> 20);
    step_layout(&n, m, n.mem);
    n.ncols = st->ncols, n.out_sl = st->out_sl, n.b_sl = st->b_sl; /* kept */
    st->out_sl = (QMat){0}, st->b_sl = NULL;
    step_free(st);
    *st = n;
    return 0;
}

void step_start(StepState *st, const Model *m, const int32_t *const *src, const int *src_len,
                int S, int K)
{
    const ModelConfig *c = &m->cfg;
    const float *enc_h[MODEL_MAX_LAYERS], *enc_c[MODEL_MAX_LAYERS];
    float *h0[MODEL_MAX_LAYERS], *c0[MODEL_MAX_LAYERS], *in[1] = {st->enc_x};
    int Ts = 0;
    S2S_INVARIANT(S <= st->max_sents && K <= st->beam);
    for (int s = 0; s < S; s++) {
        S2S_INVARIANT(src_len[s] <= st->max_src);
        if (src_len[s] > Ts)
            Ts = src_len[s];
    }
    for (int t = 0; t < Ts; t++)
        for (int s = 0; s < S; s++) {
            int real = t < src_len[s];
            st->src[t * S + s] = real ? src[s][c->reverse ? src_len[s] - 1 - t : t] : VOCAB_PAD;
            st->src_mask[t * S + s] = real ? 1.0f : 0.0f;
        }
    model_encode(m, st->enc, &st->bi, in, NULL, st->src, st->src_mask, src_len, Ts, S, 0.0f, NULL,
                 m->quant ? st->qbuf : NULL);
    model_final_states(m, st->enc, Ts, S, enc_h, enc_c);
    for (int l = 0; l < c->layers; l++)
        h0[l] = st->dec[l].h, c0[l] = st->dec[l].c;
    const ArchOps *a = arch_ops(c->arch);
    a->start(m, h0, c0, st->ctx, enc_h, enc_c, S * K, K);
    st->S = S, st->K = K, st->Ts = Ts;
    memcpy(st->src_len, src_len, sizeof(int) * (size_t)S);
    if (a->step_begin)
        a->step_begin(st, m);
}

static void log_softmax_rows(float *x, const float *bias, int rows, int V)
{
    for (int r = 0; r < rows; r++) {
        float *row = x + (size_t)r * V;
        for (int v = 0; v < V; v++)
            row[v] += bias[v];
        float mx = act_max(row, V);
        double sum = act_sum_exp_shift(row, V, mx);
        float shift = mx + (float)log(sum);
        for (int v = 0; v < V; v++)
            row[v] -= shift;
    }
}

/* Decoder layer l's weights: fp32, or m->quant's. */
static CellParams dec_params(const StepState *st, const Model *m, int l)
{
    CellParams p = cell_params(m->w.dec[l]);
    if (m->quant)
        p.qx = &m->quant->dec_x[l], p.qh = &m->quant->dec_h[l], p.qbuf = st->qbuf;
    return p;
}

AttnParams step_attn_params(const StepState *st, const Model *m)
{
    const ModelTensors *w = &m->w;
    AttnParams p = {.Wa = w->attn_Wa, .Wk = w->attn_Wk, .v = w->attn_v, .Wc = w->attn_Wc,
                    .decoding = 1};
    const ModelQuant *q = m->quant;
    if (q) {
        p.qa = q->attn_a.rows ? &q->attn_a : NULL, p.qk = q->attn_k.rows ? &q->attn_k : NULL;
        p.qc = &q->attn_c, p.qbuf = st->qbuf;
    }
    return p;
}

const float *step_stack(StepState *st, const Model *m, int rows)
{
    const ModelConfig *c = &m->cfg;
    int H = c->hidden, X0 = model_dec_input(c);
    const float *in = st->x;
    for (int l = 0; l < c->layers; l++) {
        cell_forward(c->cell, &st->dec[l], in, NULL, dec_params(st, m, l), 1, rows, l ? H : X0, H);
        if (st->dec[l].out)
            cell_residual_forward(&st->dec[l], in, 1, rows, H);
        in = cell_output(&st->dec[l], rows, H);
    }
    return in;
}

void step_output(StepState *st, const Model *m, int rows)
{
    const ModelConfig *c = &m->cfg;
    int F = model_out_input(c);
    if (st->ncols) {
        qmat_mul(&st->out_sl, 0, st->ncols, st->feats, F, rows, st->logp, st->ncols, 0.0f,
                 st->qbuf);
        log_softmax_rows(st->logp, st->b_sl, rows, st->ncols);
        return;
    }
    if (m->quant)
        qmat_mul(&m->quant->out, 0, c->tgt_vocab, st->feats, F, rows, st->logp, c->tgt_vocab, 0.0f,
                 st->qbuf);
    else
        blas_gemm(0, 1, rows, c->tgt_vocab, F, 1.0f, st->feats, F, m->w.out_W, F, 0.0f,
                  st->logp, c->tgt_vocab);
    log_softmax_rows(st->logp, m->w.out_b, rows, c->tgt_vocab);
}

void step_forward(StepState *st, const Model *m, const int32_t *prev, const int *sent, int rows)
{
    st->fwd_rows = rows;
    arch_ops(m->cfg.arch)->step_forward(st, m, prev, sent, rows);
}

void step_reorder(StepState *st, const Model *m, const int *parent, int rows)
{
    size_t H = m->cfg.hidden, n = (size_t)st->fwd_rows * H; /* slot 1: the forward's rows */
    S2S_INVARIANT(rows <= st->fwd_rows);
    for (int l = 0; l < m->cfg.layers; l++)
        for (int r = 0; r < rows; r++) {
            memcpy(st->dec[l].h + r * H, st->dec[l].h + n + parent[r] * H, H * sizeof(float));
            memcpy(st->dec[l].c + r * H, st->dec[l].c + n + parent[r] * H, H * sizeof(float));
        }
    const ArchOps *a = arch_ops(m->cfg.arch);
    if (a->step_reorder)
        a->step_reorder(st, m, parent, rows);
}
