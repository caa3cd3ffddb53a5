#include "s2s/model/model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s2s/model/arch.h"
#include "s2s/model/quant.h"
#include "s2s/nn/blas.h"
#include "s2s/nn/dropout.h"
#include "s2s/nn/embedding.h"
#include "s2s/nn/output.h"

#define ALIGN_FLOATS 16 /* tensors start on 64-byte boundaries */
#define PROBS_MAX_FLOATS ((size_t)1 << 22)

void model_add_tensor(Model *m, const char *name, int rows, int cols)
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
    if ((unsigned)c->cell > CELL_RNN || !arch_ops(c->arch) || (unsigned)c->attn > ATTN_MLP)
        return s2s_fail(err, S2S_EINVAL, "unknown cell or architecture");
    if (c->bidir && !model_attends(c))
        return s2s_fail(err, S2S_EINVAL, "a bidirectional encoder is for the attention architecture");
    if (c->tied && model_out_input(c) != c->embed)
        return s2s_fail(err, S2S_EINVAL, "tied embeddings need the output layer's input (%d wide "
                        "for %s) as wide as the embeddings (%d)", model_out_input(c),
                        model_arch_name(c->arch), c->embed);
    if (c->src_vocab < 5 || c->tgt_vocab < 5 || c->src_vocab > 10000000 || c->tgt_vocab > 10000000)
        return s2s_fail(err, S2S_EINVAL, "vocabulary sizes must be 5..10000000 (got %d, %d)",
                        c->src_vocab, c->tgt_vocab);
    return 0;
}

const char *model_arch_name(ModelArch a)
{
    const ArchOps *o = arch_ops(a);
    return o ? o->name : "?";
}

int model_arch_from_name(const char *name, ModelArch *a)
{
    for (int k = 0; name && arch_ops((ModelArch)k); k++)
        if (strcmp(name, arch_ops((ModelArch)k)->name) == 0) {
            *a = (ModelArch)k;
            return 0;
        }
    return -1;
}

int model_attends(const ModelConfig *c) { return arch_ops(c->arch)->attends; }
int model_dec_input(const ModelConfig *c) { return arch_ops(c->arch)->dec_input(c); }
int model_out_input(const ModelConfig *c) { return arch_ops(c->arch)->out_input(c); }

void model_add_stack(Model *m, const char *side, int first_input)
{
    const ModelConfig *c = &m->cfg;
    int GH = cell_gates(c->cell) * c->hidden;
    char name[32];
    for (int l = 0; l < c->layers; l++) {
        snprintf(name, sizeof name, "%s.%d.Wx", side, l);
        model_add_tensor(m, name, GH, l ? c->hidden : first_input);
        snprintf(name, sizeof name, "%s.%d.Wh", side, l);
        model_add_tensor(m, name, GH, c->hidden);
        snprintf(name, sizeof name, "%s.%d.b", side, l);
        model_add_tensor(m, name, 1, GH);
        if (c->layer_norm) {
            snprintf(name, sizeof name, "%s.%d.ln", side, l);
            model_add_tensor(m, name, 1, cell_ln_floats(c->cell, c->hidden));
        }
    }
}

void model_stack_tensors(const Model *m, float *base, CellTensors *w, int *k)
{
    for (int l = 0; l < m->cfg.layers; l++) {
        w[l].Wx = base + m->tensors[(*k)++].offset;
        w[l].Wh = base + m->tensors[(*k)++].offset;
        w[l].b = base + m->tensors[(*k)++].offset;
        w[l].ln = m->cfg.layer_norm ? base + m->tensors[(*k)++].offset : NULL;
    }
}

int model_plan(Model *m, const ModelConfig *cfg, S2sErr *err)
{
    memset(m, 0, sizeof *m);
    int rc = check_config(cfg, err);
    if (rc)
        return rc;
    m->cfg = *cfg;
    model_add_tensor(m, "src_embed", cfg->src_vocab, cfg->embed);
    model_add_tensor(m, "tgt_embed", cfg->tgt_vocab, cfg->embed);
    model_add_stack(m, "enc", cfg->embed);
    model_add_stack(m, "dec", model_dec_input(cfg));
    if (arch_ops(cfg->arch)->plan)
        arch_ops(cfg->arch)->plan(m);
    if (!cfg->tied)
        model_add_tensor(m, "out.W", cfg->tgt_vocab, model_out_input(cfg));
    model_add_tensor(m, "out.b", 1, cfg->tgt_vocab);
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

/* --layer-norm's tensor: gains 1, the LSTM's cell-state bias 0. */
static void init_layer_norm(const ModelConfig *c, float *p)
{
    int H = c->hidden, gains = 2 * cell_gates(c->cell) * H + (cell_has_c(c->cell) ? H : 0);
    for (int j = 0; j < cell_ln_floats(c->cell, H); j++)
        p[j] = j < gains ? 1.0f : 0.0f;
}

void model_init_uniform(Model *m, float scale, Rng *rng)
{
    for (int i = 0; i < m->ntensors; i++) {
        const TensorInfo *t = &m->tensors[i];
        float *p = m->params + t->offset;
        size_t n = strlen(t->name);
        if (n > 3 && strcmp(t->name + n - 3, ".ln") == 0) {
            init_layer_norm(&m->cfg, p);
            continue;
        }
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
    model_stack_tensors(m, base, t->enc, &k);
    model_stack_tensors(m, base, t->dec, &k);
    if (arch_ops(m->cfg.arch)->tensors)
        arch_ops(m->cfg.arch)->tensors(m, base, t, &k);
    t->out_W = m->cfg.tied ? t->tgt_emb : base + m->tensors[k++].offset;
    t->out_b = base + m->tensors[k++].offset;
}

/* ---- sparse embedding gradients ---- */

int model_sparse_rows(const Model *m)
{
    return m->cfg.src_vocab + (m->cfg.tied ? 0 : m->cfg.tgt_vocab);
}

size_t model_sparse_end(const Model *m)
{
    return m->tensors[m->cfg.tied ? 1 : 2].offset; /* tensors 0, 1: src_embed, tgt_embed */
}

size_t model_row_offset(const Model *m, int r)
{
    int Vs = m->cfg.src_vocab;
    size_t E = (size_t)m->cfg.embed;
    return r < Vs ? (size_t)r * E : m->tensors[1].offset + (size_t)(r - Vs) * E;
}

/* ---- workspace ---- */

static float *carve(float **cursor, size_t n)
{
    float *p = *cursor;
    *cursor += (n + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
    return p;
}

void model_residual_backward(const ModelConfig *c, int l, float *dx, const float *d, size_t n)
{
    if (!c->residual || l == 0 || !d)
        return;
    for (size_t k = 0; k < n; k++)
        dx[k] += d[k];
}

size_t model_ln_act_floats(const ModelConfig *c, size_t n)
{
    if (!c->layer_norm)
        return 0;
    size_t GH = (size_t)cell_gates(c->cell) * c->hidden, A = ALIGN_FLOATS;
    return 2 * ((n * GH + A - 1) / A * A) + (n * c->hidden + A - 1) / A * A +
           (3 * n + A - 1) / A * A;
}

void cell_ln_place(CellActs *a, float **cursor, const ModelConfig *c, size_t n)
{
    if (!c->layer_norm) {
        a->lnx = a->lnh = a->lnc = a->rstd = NULL;
        return;
    }
    size_t GH = (size_t)cell_gates(c->cell) * c->hidden;
    a->lnx = carve(cursor, n * GH);
    a->lnh = carve(cursor, n * GH);
    a->lnc = carve(cursor, n * c->hidden);
    a->rstd = carve(cursor, 3 * n);
}

/* Lays out (or, with base == NULL, only measures) the workspace arrays:
 * a (T, B, X) array of side s holds its slots (B x T) rows. */
static size_t workspace_layout(Workspace *ws, const ModelConfig *c, float *base)
{
    size_t B = ws->max_B, Ts = ws->max_src, H = c->hidden, E = c->embed;
    size_t SB = ws->src_slots, TB = ws->tgt_slots, MB = SB > TB ? SB : TB;
    size_t G = (size_t)cell_gates(c->cell), F = (size_t)model_out_input(c);
    size_t X0 = (size_t)model_dec_input(c), X = X0 > H ? X0 : H;
    float *cur = base;
    for (int side = 0; side < 2; side++)
        for (int l = 0; l < c->layers; l++) {
            size_t n = side ? TB : SB, x = l ? H : side ? X0 : E;
            CellActs *a = side ? &ws->dec[l] : &ws->enc[l];
            a->gates = carve(&cur, n * G * H);
            a->h = carve(&cur, (n + B) * H);
            a->c = carve(&cur, (n + B) * H);
            a->aux = carve(&cur, n * H);
            cell_ln_place(a, &cur, c, n);
            a->out = c->residual && l ? carve(&cur, n * H) : NULL;
            (side ? ws->dec_in : ws->enc_in)[l] = carve(&cur, n * x);
            (side ? ws->dec_drop : ws->enc_drop)[l] = carve(&cur, n * x);
            (side ? ws->dstate_c : ws->dstate_h)[l] = carve(&cur, B * H);
        }
    ws->top = carve(&cur, TB * F);
    ws->top_drop = carve(&cur, TB * F);
    ws->dtop = carve(&cur, TB * F);
    ws->dh_top = carve(&cur, TB * H);
    ws->ctx = carve(&cur, B * H);
    ws->dctx = carve(&cur, B * H);
    ws->probs = carve(&cur, (size_t)ws->chunk_rows * c->tgt_vocab);
    ws->dbuf[0] = carve(&cur, MB * X);
    ws->dbuf[1] = carve(&cur, MB * X);
    ws->scratch.dgates = carve(&cur, MB * G * H);
    ws->scratch.dh = carve(&cur, B * H);
    ws->scratch.dc = carve(&cur, B * H);
    ws->scratch.dln = c->layer_norm ? carve(&cur, MB * G * H) : NULL;
    size_t A = model_attends(c); /* the attention arrays, empty otherwise */
    ws->att = (AttnActs){carve(&cur, A * TB * H), carve(&cur, A * TB * Ts),
                         carve(&cur, A * TB * 2 * H), carve(&cur, A * TB * H)};
    ws->att_s = (AttnScratch){carve(&cur, A * B * 2 * H), carve(&cur, A * B * H),
                              carve(&cur, A * Ts)};
    ws->dmem = carve(&cur, A * SB * H);
    ws->keys = carve(&cur, A * SB * H);
    ws->dkeys = carve(&cur, A * SB * H);
    ws->dfeed = carve(&cur, A * B * H);
    ws->dstep = carve(&cur, A * B * H);
    ws->dh0 = carve(&cur, A * B * H);
    ws->dc0 = carve(&cur, A * B * H);
    ws->dxstep = carve(&cur, A * B * X);
    if (c->bidir) {
        size_t n = bienc_floats(c->layers, c->embed, c->hidden, c->cell, c->layer_norm, SB,
                                (int)B, 1);
        float *bi = carve(&cur, n);
        if (base)
            bienc_place(&ws->bi, bi, c->layers, c->embed, c->hidden, c->cell, c->layer_norm, SB,
                        (int)B, 1);
        ws->bi.residual = c->residual;
    }
    return (size_t)(cur - base);
}

int workspace_init(Workspace *ws, const Model *m, int max_B, int max_src, int max_tgt,
                   S2sErr *err)
{
    BatchCap cap = batch_cap(max_B, max_src, max_tgt - 1);
    return workspace_init_cap(ws, m, &cap, err);
}

int workspace_init_cap(Workspace *ws, const Model *m, const BatchCap *cap, S2sErr *err)
{
    memset(ws, 0, sizeof *ws);
    if (cap->pairs < 1 || cap->src_len < 1 || cap->tgt_len < 0 || cap->src_slots < 1 ||
        cap->tgt_slots < 1)
        return s2s_fail(err, S2S_EINVAL, "workspace sizes must be positive");
    ws->max_B = cap->pairs, ws->max_src = cap->src_len, ws->max_tgt = cap->tgt_len + 1;
    ws->src_slots = cap->src_slots, ws->tgt_slots = cap->tgt_slots;
    size_t rows = PROBS_MAX_FLOATS / (size_t)m->cfg.tgt_vocab;
    size_t all = (size_t)cap->tgt_slots;
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
    ws->arena_floats = n;
    model_tensors(m, ws->grads, &ws->g);
    ws->sparse = 1;
    int rc = rowset_init(&ws->rows, model_sparse_rows(m), cap->src_slots + cap->tgt_slots, err);
    if (rc)
        workspace_free(ws);
    return rc;
}

void workspace_free(Workspace *ws)
{
    rowset_free(&ws->rows);
    free(ws->arena);
    free(ws->grads);
    memset(ws, 0, sizeof *ws);
}

/* ---- forward and backward ---- */

/* Runs a stack of layers over T steps; x0 is layer 0's input, of width X0,
 * and every layer's initial state is set. With in/drop (training), layer
 * l > 0 reads a copy of layer l-1's outputs in in[l] after dropout (mask
 * in drop[l]); without (in == NULL: decoding), it reads them directly. */
/* q: decoding's reduced-precision encoder weights (and qbuf their scratch), or NULL. */
static void stack_forward(const ModelConfig *c, CellActs *acts, const CellTensors *w,
                          const float *x0, float **in, float **drop, const float *mask, int T,
                          int B, int X0, float dropout, Rng *rng, const ModelQuant *q, void *qbuf)
{
    size_t n = (size_t)T * B * c->hidden;
    const float *x = x0;
    for (int l = 0; l < c->layers; l++) {
        if (l > 0 && in) {
            memcpy(in[l], cell_output(&acts[l - 1], B, c->hidden), n * sizeof(float));
            dropout_forward(in[l], drop[l], (int)n, dropout, rng);
            x = in[l];
        } else if (l > 0) {
            x = cell_output(&acts[l - 1], B, c->hidden);
        }
        CellParams p = cell_params(w[l]);
        if (q)
            p.qx = &q->enc_x[l], p.qh = &q->enc_h[l], p.qbuf = qbuf;
        cell_forward(c->cell, &acts[l], x, mask, p, T, B, l ? c->hidden : X0, c->hidden);
        if (acts[l].out)
            cell_residual_forward(&acts[l], x, T, B, c->hidden);
    }
}

const float *model_enc_top(const Model *m, const CellActs *acts, const BiEnc *bi, int B)
{
    int L = m->cfg.layers;
    return m->cfg.bidir ? bi->out[L - 1] : cell_output(&acts[L - 1], B, m->cfg.hidden);
}

void model_encode(const Model *m, CellActs *acts, BiEnc *bi, float **in, float **drop,
                  const int32_t *src, const float *mask, const int *len, int Ts, int B,
                  float dropout, Rng *rng, void *qbuf)
{
    const ModelConfig *c = &m->cfg;
    size_t BH = (size_t)B * c->hidden;
    embedding_forward(in[0], src, m->w.src_emb, Ts * B, c->embed);
    if (drop)
        dropout_forward(in[0], drop[0], Ts * B * c->embed, dropout, rng);
    for (int l = 0; l < c->layers; l++) {
        memset(acts[l].h, 0, BH * sizeof(float));
        memset(acts[l].c, 0, BH * sizeof(float));
    }
    if (c->bidir)
        bienc_forward(bi, acts, m->w.enc, m->w.encb, in[0], drop ? in : NULL, drop, mask, len,
                      c->layers, c->cell, Ts, B, c->embed, c->hidden, dropout, rng);
    else
        stack_forward(c, acts, m->w.enc, in[0], drop ? in : NULL, drop, mask, Ts, B, c->embed,
                      dropout, rng, qbuf ? m->quant : NULL, qbuf);
}

void model_final_states(const Model *m, const CellActs *acts, int T, int B, const float **h,
                        const float **cs)
{
    size_t BH = (size_t)B * m->cfg.hidden;
    for (int l = 0; l < m->cfg.layers; l++) {
        h[l] = acts[l].h + (size_t)T * BH;
        cs[l] = acts[l].c + (size_t)T * BH;
    }
}

static void forward_states(const Model *m, Workspace *ws, const Batch *bt, float dropout,
                           Rng *rng)
{
    const ArchOps *a = arch_ops(m->cfg.arch);
    if (a->train_forward) {
        a->train_forward(m, ws, bt, dropout, rng);
        return;
    }
    const ModelConfig *c = &m->cfg;
    int B = bt->B, Ts = bt->src_len, Tt = bt->tgt_len, L = c->layers, X0 = model_dec_input(c);
    int N = Tt * B, H = c->hidden, F = model_out_input(c);
    const float *enc_h[MODEL_MAX_LAYERS], *enc_c[MODEL_MAX_LAYERS];
    float *h0[MODEL_MAX_LAYERS], *c0[MODEL_MAX_LAYERS];
    S2S_INVARIANT(B <= ws->max_B && Ts <= ws->max_src && Tt <= ws->max_tgt &&
                  (long)Ts * B <= ws->src_slots && (long)Tt * B <= ws->tgt_slots);
    model_encode(m, ws->enc, NULL, ws->enc_in, ws->enc_drop, bt->src, bt->src_mask, bt->src_lens,
                 Ts, B, dropout, rng, NULL);
    model_final_states(m, ws->enc, Ts, B, enc_h, enc_c);
    for (int l = 0; l < L; l++)
        h0[l] = ws->dec[l].h, c0[l] = ws->dec[l].c;
    a->start(m, h0, c0, ws->ctx, enc_h, enc_c, B, 1);
    a->dec_rows(m, ws->dec_in[0], bt->tgt_in, ws->ctx, N, B);
    dropout_forward(ws->dec_in[0], ws->dec_drop[0], N * X0, dropout, rng);
    stack_forward(c, ws->dec, m->w.dec, ws->dec_in[0], ws->dec_in, ws->dec_drop, bt->tgt_mask,
                  Tt, B, X0, dropout, rng, NULL, NULL);
    a->out_rows(m, ws->top, cell_output(&ws->dec[L - 1], B, H), bt->tgt_in, ws->ctx, N, B);
    dropout_forward(ws->top, ws->top_drop, N * F, dropout, rng);
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
                            m->w.out_W, bt->tgt_out + r, bt->tgt_mask + r, scale,
                            ws->label_smoothing, n, F, V);
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
        model_residual_backward(c, l, dx, dout, (size_t)T * B * X);
        dropout_backward(dx, dec ? ws->dec_drop[l] : ws->enc_drop[l], T * B * X);
        dout = dx;
    }
    return dout;
}

void model_encoder_backward(const Model *m, Workspace *ws, const Batch *bt, const float *dout,
                            float *const *dhT, float *const *dcT)
{
    const ModelConfig *c = &m->cfg;
    const float *demb = c->bidir
        ? bienc_backward(&ws->bi, ws->enc, m->w.enc, m->w.encb, ws->g.enc, ws->g.encb, ws->enc_in[0],
                         ws->enc_in, ws->enc_drop, dout, dhT, dcT, bt->src_mask, bt->src_lens,
                         c->layers, c->cell, bt->src_len, bt->B, c->embed, c->hidden, ws->scratch,
                         ws->dbuf)
        : stack_backward(m, ws, 0, dout, NULL, NULL, dhT, dcT, bt->src_mask, bt->src_len, bt->B);
    embedding_backward(ws->g.src_emb, demb, bt->src, bt->src_len * bt->B, m->cfg.embed);
}

static void backward(const Model *m, Workspace *ws, const Batch *bt)
{
    const ArchOps *a = arch_ops(m->cfg.arch);
    if (a->train_backward) {
        a->train_backward(m, ws, bt);
        return;
    }
    const ModelConfig *c = &m->cfg;
    int B = bt->B, Tt = bt->tgt_len, L = c->layers;
    int F = model_out_input(c), N = Tt * B;
    size_t BH = (size_t)B * c->hidden;
    float *dencT_h[MODEL_MAX_LAYERS], *dencT_c[MODEL_MAX_LAYERS];
    const float *h0[MODEL_MAX_LAYERS];
    dropout_backward(ws->dtop, ws->top_drop, N * F);
    memset(ws->dctx, 0, BH * sizeof(float));
    for (int l = 0; l < L; l++) {
        memset(ws->dstate_h[l], 0, BH * sizeof(float));
        memset(ws->dstate_c[l], 0, BH * sizeof(float));
        h0[l] = ws->dec[l].h;
    }
    const float *dh = a->out_rows_backward(m, &ws->g, ws->dh_top, ws->dctx, ws->dtop,
                                             bt->tgt_in, N, B);
    const float *demb = stack_backward(m, ws, 1, dh, ws->dstate_h, ws->dstate_c, NULL, NULL,
                                       bt->tgt_mask, Tt, B);
    a->dec_rows_backward(m, &ws->g, ws->dctx, demb, bt->tgt_in, N, B);
    a->start_backward(m, &ws->g, ws->dstate_h, ws->dstate_c, ws->dctx, h0, ws->ctx, B,
                        dencT_h, dencT_c);
    model_encoder_backward(m, ws, bt, NULL, dencT_h, dencT_c);
}

double model_forward(const Model *m, Workspace *ws, const Batch *bt, float dropout, Rng *rng)
{
    forward_states(m, ws, bt, dropout, rng);
    return output_loss(m, ws, bt, 0);
}

/* Zeroes the gradient block (the dense part, and of the embedding tables
 * the rows the last batch listed) and lists this batch's rows. */
static void zero_grads(const Model *m, Workspace *ws, const Batch *bt)
{
    RowSet *r = &ws->rows;
    size_t end = model_sparse_end(m), E = (size_t)m->cfg.embed;
    if (!ws->sparse || ws->all_rows) {
        memset(ws->grads, 0, m->nparams * sizeof(float));
    } else {
        memset(ws->grads + end, 0, (m->nparams - end) * sizeof(float));
        for (int i = 0; i < r->n; i++)
            memset(ws->grads + model_row_offset(m, r->rows[i]), 0, E * sizeof(float));
    }
    ws->all_rows = 0;
    rowset_clear(r);
    if (!ws->sparse)
        return;
    rowset_add_ids(r, bt->src, (long)bt->src_len * bt->B, 0);
    if (!m->cfg.tied)
        rowset_add_ids(r, bt->tgt_in, (long)bt->tgt_len * bt->B, m->cfg.src_vocab);
    rowset_sort(r);
}

double model_forward_backward(const Model *m, Workspace *ws, const Batch *bt,
                              float dropout, Rng *rng)
{
    zero_grads(m, ws, bt);
    forward_states(m, ws, bt, dropout, rng);
    double nll = output_loss(m, ws, bt, 1);
    backward(m, ws, bt);
    return nll;
}
