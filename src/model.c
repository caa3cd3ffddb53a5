#include "s2s/model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s2s/blas.h"
#include "s2s/dropout.h"
#include "s2s/embedding.h"
#include "s2s/output.h"

#define ALIGN_FLOATS 16 /* tensors start on 64-byte boundaries */
#define PROBS_MAX_FLOATS ((size_t)1 << 22)

static void add_tensor(Model *m, const char *name, int rows, int cols)
{
    TensorInfo *t = &m->tensors[m->ntensors++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->rows = rows;
    t->cols = cols;
    t->offset = m->nparams;
    size_t n = (size_t)rows * cols;
    m->nparams += (n + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
}

static int check_config(const ModelConfig *c, S2sErr *err)
{
    if (c->layers < 1 || c->layers > MODEL_MAX_LAYERS)
        return s2s_fail(err, S2S_EINVAL, "layers must be 1..%d, not %d", MODEL_MAX_LAYERS, c->layers);
    if (c->embed < 1 || c->hidden < 1 || c->embed > 65536 || c->hidden > 65536)
        return s2s_fail(err, S2S_EINVAL, "embed and hidden must be 1..65536 (got %d, %d)",
                        c->embed, c->hidden);
    if ((unsigned)c->cell > CELL_RNN || (unsigned)c->arch > ARCH_ENCDEC)
        return s2s_fail(err, S2S_EINVAL, "unknown cell or architecture");
    if (c->src_vocab < 5 || c->tgt_vocab < 5 || c->src_vocab > 10000000 || c->tgt_vocab > 10000000)
        return s2s_fail(err, S2S_EINVAL, "vocabulary sizes must be 5..10000000 (got %d, %d)",
                        c->src_vocab, c->tgt_vocab);
    return 0;
}

const char *model_arch_name(ModelArch a) { return a == ARCH_ENCDEC ? "encdec" : "seq2seq"; }

int model_arch_from_name(const char *name, ModelArch *a)
{
    if (name && strcmp(name, "seq2seq") == 0)
        *a = ARCH_SEQ2SEQ;
    else if (name && strcmp(name, "encdec") == 0)
        *a = ARCH_ENCDEC;
    else
        return -1;
    return 0;
}

int model_dec_input(const ModelConfig *c)
{
    return c->embed + (c->arch == ARCH_ENCDEC ? c->hidden : 0);
}

int model_out_input(const ModelConfig *c)
{
    return c->hidden + (c->arch == ARCH_ENCDEC ? c->embed + c->hidden : 0);
}

static void add_stack(Model *m, const char *side, int first_input)
{
    const ModelConfig *c = &m->cfg;
    int GH = cell_gates(c->cell) * c->hidden;
    char name[32];
    for (int l = 0; l < c->layers; l++) {
        snprintf(name, sizeof name, "%s.%d.Wx", side, l);
        add_tensor(m, name, GH, l ? c->hidden : first_input);
        snprintf(name, sizeof name, "%s.%d.Wh", side, l);
        add_tensor(m, name, GH, c->hidden);
        snprintf(name, sizeof name, "%s.%d.b", side, l);
        add_tensor(m, name, 1, GH);
    }
}

int model_plan(Model *m, const ModelConfig *cfg, S2sErr *err)
{
    memset(m, 0, sizeof *m);
    int rc = check_config(cfg, err);
    if (rc)
        return rc;
    m->cfg = *cfg;
    char name[32];
    add_tensor(m, "src_embed", cfg->src_vocab, cfg->embed);
    add_tensor(m, "tgt_embed", cfg->tgt_vocab, cfg->embed);
    add_stack(m, "enc", cfg->embed);
    add_stack(m, "dec", model_dec_input(cfg));
    for (int l = 0; cfg->arch == ARCH_ENCDEC && l < cfg->layers; l++) {
        snprintf(name, sizeof name, "init.%d.W", l);
        add_tensor(m, name, cfg->hidden, cfg->hidden);
        snprintf(name, sizeof name, "init.%d.b", l);
        add_tensor(m, name, 1, cfg->hidden);
    }
    add_tensor(m, "out.W", cfg->tgt_vocab, model_out_input(cfg));
    add_tensor(m, "out.b", 1, cfg->tgt_vocab);
    return 0;
}

int model_alloc(Model *m, S2sErr *err)
{
    m->params = s2s_calloc(m->nparams, sizeof(float));
    if (!m->params)
        return s2s_fail(err, S2S_ENOMEM, "out of memory for %zu parameters", m->nparams);
    model_tensors(m, m->params, &m->w);
    return 0;
}

int model_init(Model *m, const ModelConfig *cfg, S2sErr *err)
{
    int rc = model_plan(m, cfg, err);
    return rc ? rc : model_alloc(m, err);
}

void model_free(Model *m)
{
    free(m->params);
    memset(m, 0, sizeof *m);
}

void model_init_uniform(Model *m, float scale, Rng *rng)
{
    for (int i = 0; i < m->ntensors; i++) {
        const TensorInfo *t = &m->tensors[i];
        float *p = m->params + t->offset;
        for (size_t k = 0; k < (size_t)t->rows * t->cols; k++)
            p[k] = (2.0f * rng_uniform(rng) - 1.0f) * scale;
    }
}

void model_tensors(const Model *m, float *base, ModelTensors *t)
{
    int k = 0;
    memset(t, 0, sizeof *t);
    t->src_emb = base + m->tensors[k++].offset;
    t->tgt_emb = base + m->tensors[k++].offset;
    for (int side = 0; side < 2; side++)
        for (int l = 0; l < m->cfg.layers; l++) {
            CellTensors *w = side ? &t->dec[l] : &t->enc[l];
            w->Wx = base + m->tensors[k++].offset;
            w->Wh = base + m->tensors[k++].offset;
            w->b = base + m->tensors[k++].offset;
        }
    for (int l = 0; m->cfg.arch == ARCH_ENCDEC && l < m->cfg.layers; l++) {
        t->init_W[l] = base + m->tensors[k++].offset;
        t->init_b[l] = base + m->tensors[k++].offset;
    }
    t->out_W = base + m->tensors[k++].offset;
    t->out_b = base + m->tensors[k++].offset;
}

/* ---- workspace ---- */

static float *carve(float **cursor, size_t n)
{
    float *p = *cursor;
    *cursor += (n + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
    return p;
}

/* Lays out (or, with base == NULL, only measures) the workspace arrays. */
static size_t workspace_layout(Workspace *ws, const ModelConfig *c, float *base)
{
    size_t B = ws->max_B, Ts = ws->max_src, Tt = ws->max_tgt, H = c->hidden, E = c->embed;
    size_t G = (size_t)cell_gates(c->cell), F = (size_t)model_out_input(c);
    size_t X0 = (size_t)model_dec_input(c), T = Ts > Tt ? Ts : Tt, X = X0 > H ? X0 : H;
    float *cur = base;
    for (int side = 0; side < 2; side++)
        for (int l = 0; l < c->layers; l++) {
            size_t n = side ? Tt : Ts, x = l ? H : side ? X0 : E;
            CellActs *a = side ? &ws->dec[l] : &ws->enc[l];
            a->gates = carve(&cur, n * B * G * H);
            a->h = carve(&cur, (n + 1) * B * H);
            a->c = carve(&cur, (n + 1) * B * H);
            a->aux = carve(&cur, n * B * H);
            (side ? ws->dec_in : ws->enc_in)[l] = carve(&cur, n * B * x);
            (side ? ws->dec_drop : ws->enc_drop)[l] = carve(&cur, n * B * x);
            (side ? ws->dstate_c : ws->dstate_h)[l] = carve(&cur, B * H);
        }
    ws->top = carve(&cur, Tt * B * F);
    ws->top_drop = carve(&cur, Tt * B * F);
    ws->dtop = carve(&cur, Tt * B * F);
    ws->dh_top = carve(&cur, Tt * B * H);
    ws->ctx = carve(&cur, B * H);
    ws->dctx = carve(&cur, B * H);
    ws->probs = carve(&cur, (size_t)ws->chunk_rows * c->tgt_vocab);
    ws->dbuf[0] = carve(&cur, T * B * X);
    ws->dbuf[1] = carve(&cur, T * B * X);
    ws->scratch.dgates = carve(&cur, T * B * G * H);
    ws->scratch.dh = carve(&cur, B * H);
    ws->scratch.dc = carve(&cur, B * H);
    return (size_t)(cur - base);
}

int workspace_init(Workspace *ws, const Model *m, int max_B, int max_src, int max_tgt,
                   S2sErr *err)
{
    memset(ws, 0, sizeof *ws);
    if (max_B < 1 || max_src < 1 || max_tgt < 1)
        return s2s_fail(err, S2S_EINVAL, "workspace sizes must be positive");
    ws->max_B = max_B, ws->max_src = max_src, ws->max_tgt = max_tgt;
    size_t rows = PROBS_MAX_FLOATS / (size_t)m->cfg.tgt_vocab;
    size_t all = (size_t)max_tgt * max_B;
    ws->chunk_rows = (int)(rows < 1 ? 1 : rows > all ? all : rows);
    size_t n = workspace_layout(ws, &m->cfg, NULL);
    ws->arena = s2s_calloc(n, sizeof(float));
    ws->grads = s2s_calloc(m->nparams, sizeof(float));
    if (!ws->arena || !ws->grads) {
        workspace_free(ws);
        return s2s_fail(err, S2S_ENOMEM, "out of memory for the training workspace (%zu MB)",
                        (n + m->nparams) * sizeof(float) >> 20);
    }
    workspace_layout(ws, &m->cfg, ws->arena);
    model_tensors(m, ws->grads, &ws->g);
    return 0;
}

void workspace_free(Workspace *ws)
{
    free(ws->arena);
    free(ws->grads);
    memset(ws, 0, sizeof *ws);
}

/* ---- forward and backward ---- */

static CellParams cell_params(CellTensors w) { return (CellParams){w.Wx, w.Wh, w.b}; }

/* Runs a stack of layers; in[0] holds the (dropped-out) input of layer 0,
 * of width X0, and every layer's initial state is set. Layer l > 0 reads
 * layer l-1's outputs after dropout. */
static void stack_forward(const ModelConfig *c, CellActs *acts, float **in, float **drop,
                          const CellTensors *w, const float *mask, int T, int B, int X0,
                          float dropout, Rng *rng)
{
    size_t n = (size_t)T * B * c->hidden, BH = (size_t)B * c->hidden;
    for (int l = 0; l < c->layers; l++) {
        if (l > 0) {
            memcpy(in[l], acts[l - 1].h + BH, n * sizeof(float));
            dropout_forward(in[l], drop[l], (int)n, dropout, rng);
        }
        cell_forward(c->cell, &acts[l], in[l], mask, cell_params(w[l]), T, B, l ? c->hidden : X0,
                     c->hidden);
    }
}

/* seq2seq: decoder layer l starts from encoder layer l's final state. */
static void seq2seq_start(const Model *m, Workspace *ws, int B, int Ts)
{
    size_t BH = (size_t)B * m->cfg.hidden;
    for (int l = 0; l < m->cfg.layers; l++) {
        memcpy(ws->dec[l].h, ws->enc[l].h + Ts * BH, BH * sizeof(float));
        memcpy(ws->dec[l].c, ws->enc[l].c + Ts * BH, BH * sizeof(float));
    }
}

/* encdec: c = the top encoder layer's final h; decoder layer l starts
 * from tanh(V_l c + b_l), with a zero LSTM cell state. */
static void encdec_start(const Model *m, Workspace *ws, int B, int Ts)
{
    int H = m->cfg.hidden, L = m->cfg.layers;
    size_t BH = (size_t)B * H;
    memcpy(ws->ctx, ws->enc[L - 1].h + Ts * BH, BH * sizeof(float));
    for (int l = 0; l < L; l++) {
        float *h0 = ws->dec[l].h;
        blas_gemm(0, 1, B, H, H, 1.0f, ws->ctx, H, m->w.init_W[l], H, 0.0f, h0, H);
        for (size_t k = 0; k < BH; k++)
            h0[k] = tanhf(h0[k] + m->w.init_b[l][k % (size_t)H]);
        memset(ws->dec[l].c, 0, BH * sizeof(float));
    }
}

/* Row n of out (width E + extra) = [embed(ids[n]); ctx[n % B] (extra wide)]. */
static void rows_with_ctx(float *out, const int32_t *ids, const float *emb, const float *ctx,
                          int N, int B, int E, int extra)
{
    for (int n = 0; n < N; n++) {
        float *row = out + (size_t)n * (E + extra);
        memcpy(row, emb + (size_t)ids[n] * E, sizeof(float) * E);
        if (extra)
            memcpy(row + E, ctx + (size_t)(n % B) * extra, sizeof(float) * extra);
    }
}

/* The output layer's input: h of the top decoder layer, and for encdec
 * also embed(y_{t-1}) and c; then dropout. */
static void output_features(const Model *m, Workspace *ws, const Batch *bt, float dropout,
                            Rng *rng)
{
    const ModelConfig *c = &m->cfg;
    int N = bt->tgt_len * bt->B, H = c->hidden, F = model_out_input(c);
    const float *top = ws->dec[c->layers - 1].h + (size_t)bt->B * H;
    if (c->arch == ARCH_SEQ2SEQ) {
        memcpy(ws->top, top, (size_t)N * H * sizeof(float));
    } else {
        for (int n = 0; n < N; n++) {
            float *row = ws->top + (size_t)n * F;
            memcpy(row, top + (size_t)n * H, sizeof(float) * H);
            rows_with_ctx(row + H, bt->tgt_in + n, m->w.tgt_emb, ws->ctx + (size_t)(n % bt->B) * H,
                          1, 1, c->embed, H);
        }
    }
    dropout_forward(ws->top, ws->top_drop, N * F, dropout, rng);
}

static void forward_states(const Model *m, Workspace *ws, const Batch *bt, float dropout,
                           Rng *rng)
{
    const ModelConfig *c = &m->cfg;
    int B = bt->B, Ts = bt->src_len, Tt = bt->tgt_len, E = c->embed, X0 = model_dec_input(c);
    size_t BH = (size_t)B * c->hidden;
    S2S_INVARIANT(B <= ws->max_B && Ts <= ws->max_src && Tt <= ws->max_tgt);
    embedding_forward(ws->enc_in[0], bt->src, m->w.src_emb, Ts * B, E);
    dropout_forward(ws->enc_in[0], ws->enc_drop[0], Ts * B * E, dropout, rng);
    for (int l = 0; l < c->layers; l++) {
        memset(ws->enc[l].h, 0, BH * sizeof(float));
        memset(ws->enc[l].c, 0, BH * sizeof(float));
    }
    stack_forward(c, ws->enc, ws->enc_in, ws->enc_drop, m->w.enc, bt->src_mask, Ts, B, E,
                  dropout, rng);
    (c->arch == ARCH_ENCDEC ? encdec_start : seq2seq_start)(m, ws, B, Ts);
    rows_with_ctx(ws->dec_in[0], bt->tgt_in, m->w.tgt_emb, ws->ctx, Tt * B, B, E, X0 - E);
    dropout_forward(ws->dec_in[0], ws->dec_drop[0], Tt * B * X0, dropout, rng);
    stack_forward(c, ws->dec, ws->dec_in, ws->dec_drop, m->w.dec, bt->tgt_mask, Tt, B, X0,
                  dropout, rng);
    output_features(m, ws, bt, dropout, rng);
}

/* Output layer over all target positions in chunks; with train, also its
 * backward into ws->dtop and the output gradients. */
static double output_loss(const Model *m, Workspace *ws, const Batch *bt, int train)
{
    int N = bt->tgt_len * bt->B, F = model_out_input(&m->cfg), V = m->cfg.tgt_vocab;
    float scale = bt->tgt_tokens > 0 ? 1.0f / (float)bt->tgt_tokens : 0.0f;
    double nll = 0.0;
    if (train)
        memset(ws->dtop, 0, (size_t)N * F * sizeof(float));
    for (int r = 0; r < N; r += ws->chunk_rows) {
        int n = N - r < ws->chunk_rows ? N - r : ws->chunk_rows;
        const float *h = ws->top + (size_t)r * F;
        nll += output_forward(ws->probs, h, m->w.out_W, m->w.out_b, bt->tgt_out + r,
                              bt->tgt_mask + r, n, F, V);
        if (train)
            output_backward(ws->dtop + (size_t)r * F, ws->g.out_W, ws->g.out_b, ws->probs, h,
                            m->w.out_W, bt->tgt_out + r, bt->tgt_mask + r, scale, n, F, V);
    }
    return nll;
}

/* Backward through one stack, top layer first. dout: (T, B, H) gradient
 * w.r.t. the top layer's outputs, or NULL. dh0/dc0: per-layer gradients of
 * the initial state to add into, or NULL; dhT/dcT: of the final state, or
 * NULL. Returns the gradient w.r.t. layer 0's (dropped-out) input. */
static const float *stack_backward(const Model *m, Workspace *ws, int dec, const float *dout,
                                   float **dh0, float **dc0, float *const *dhT,
                                   float *const *dcT, const float *mask, int T, int B)
{
    const ModelConfig *c = &m->cfg;
    int lstm = cell_has_c(c->cell);
    for (int l = c->layers - 1; l >= 0; l--) {
        int X = l ? c->hidden : dec ? model_dec_input(c) : c->embed;
        float *dx = ws->dbuf[l & 1];
        memset(dx, 0, (size_t)T * B * X * sizeof(float));
        CellTensors g = dec ? ws->g.dec[l] : ws->g.enc[l];
        CellTensors w = dec ? m->w.dec[l] : m->w.enc[l];
        cell_backward(c->cell, dx, dh0 ? dh0[l] : NULL, dc0 && lstm ? dc0[l] : NULL, g, dout,
                      dhT ? dhT[l] : NULL, dcT && lstm ? dcT[l] : NULL,
                      dec ? &ws->dec[l] : &ws->enc[l], dec ? ws->dec_in[l] : ws->enc_in[l], mask,
                      cell_params(w), ws->scratch, T, B, X, c->hidden);
        dropout_backward(dx, dec ? ws->dec_drop[l] : ws->enc_drop[l], T * B * X);
        dout = dx;
    }
    return dout;
}

/* Splits rows of width E + extra: the embedding part into the embedding's
 * gradient, the ctx part summed into dctx per batch column. */
static void split_rows_back(float *demb_table, float *dctx, const float *d, const int32_t *ids,
                            int N, int B, int E, int extra)
{
    for (int n = 0; n < N; n++) {
        const float *row = d + (size_t)n * (E + extra);
        embedding_backward(demb_table, row, ids + n, 1, E);
        float *dc = dctx + (size_t)(n % B) * extra;
        for (int j = 0; j < extra; j++)
            dc[j] += row[E + j];
    }
}

/* encdec: the output features' gradient split into h, embedding and c. */
static const float *output_features_back(const Model *m, Workspace *ws, const Batch *bt)
{
    int N = bt->tgt_len * bt->B, H = m->cfg.hidden, F = model_out_input(&m->cfg);
    if (m->cfg.arch == ARCH_SEQ2SEQ)
        return ws->dtop;
    for (int n = 0; n < N; n++) {
        const float *row = ws->dtop + (size_t)n * F;
        memcpy(ws->dh_top + (size_t)n * H, row, sizeof(float) * H);
        split_rows_back(ws->g.tgt_emb, ws->dctx + (size_t)(n % bt->B) * H, row + H,
                        bt->tgt_in + n, 1, 1, m->cfg.embed, H);
    }
    return ws->dh_top;
}

/* encdec: backward through h0 = tanh(V c + b) of every decoder layer. */
static void encdec_start_back(const Model *m, Workspace *ws, int B)
{
    int H = m->cfg.hidden;
    size_t BH = (size_t)B * H;
    for (int l = 0; l < m->cfg.layers; l++) {
        float *d = ws->dstate_h[l];
        const float *h0 = ws->dec[l].h;
        for (size_t k = 0; k < BH; k++) {
            d[k] *= 1.0f - h0[k] * h0[k];
            ws->g.init_b[l][k % (size_t)H] += d[k];
        }
        blas_gemm(1, 0, H, H, B, 1.0f, d, H, ws->ctx, H, 1.0f, ws->g.init_W[l], H);
        blas_gemm(0, 0, B, H, H, 1.0f, d, H, m->w.init_W[l], H, 1.0f, ws->dctx, H);
    }
}

static void backward(const Model *m, Workspace *ws, const Batch *bt)
{
    const ModelConfig *c = &m->cfg;
    int B = bt->B, Ts = bt->src_len, Tt = bt->tgt_len, E = c->embed, L = c->layers;
    int encdec = c->arch == ARCH_ENCDEC, F = model_out_input(c);
    size_t BH = (size_t)B * c->hidden;
    float *dhT[MODEL_MAX_LAYERS] = {0};
    dropout_backward(ws->dtop, ws->top_drop, Tt * B * F);
    memset(ws->dctx, 0, BH * sizeof(float));
    for (int l = 0; l < L; l++) {
        memset(ws->dstate_h[l], 0, BH * sizeof(float));
        memset(ws->dstate_c[l], 0, BH * sizeof(float));
    }
    const float *dh = output_features_back(m, ws, bt);
    const float *demb = stack_backward(m, ws, 1, dh, ws->dstate_h, ws->dstate_c, NULL, NULL,
                                       bt->tgt_mask, Tt, B);
    split_rows_back(ws->g.tgt_emb, ws->dctx, demb, bt->tgt_in, Tt * B, B, E,
                    model_dec_input(c) - E);
    if (encdec) {
        encdec_start_back(m, ws, B);
        dhT[L - 1] = ws->dctx;
    }
    demb = stack_backward(m, ws, 0, NULL, NULL, NULL, encdec ? dhT : ws->dstate_h,
                          encdec ? NULL : ws->dstate_c, bt->src_mask, Ts, B);
    embedding_backward(ws->g.src_emb, demb, bt->src, Ts * B, E);
}

double model_forward(const Model *m, Workspace *ws, const Batch *bt, float dropout, Rng *rng)
{
    forward_states(m, ws, bt, dropout, rng);
    return output_loss(m, ws, bt, 0);
}

double model_forward_backward(const Model *m, Workspace *ws, const Batch *bt,
                              float dropout, Rng *rng)
{
    memset(ws->grads, 0, m->nparams * sizeof(float));
    forward_states(m, ws, bt, dropout, rng);
    double nll = output_loss(m, ws, bt, 1);
    backward(m, ws, bt);
    return nll;
}
