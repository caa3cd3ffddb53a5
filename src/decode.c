#include "s2s/decode.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "s2s/activ.h"
#include "s2s/blas.h"
#include "s2s/embedding.h"
#include "s2s/vocab.h"

/* ---- the state ---- */

void decoder_zero(Decoder *d) { memset(d, 0, sizeof *d); }

void decoder_free(Decoder *d)
{
    free(d->mem);
    decoder_zero(d);
}

static void *carve(unsigned char **cur, size_t bytes)
{
    void *p = *cur;
    *cur += (bytes + 63) / 64 * 64;
    return p;
}

/* Lays out (or, with base == NULL, measures) every array of d. */
static size_t decoder_layout(Decoder *d, const ModelConfig *c, unsigned char *base)
{
    size_t S = d->max_sents, R = d->rows, T = d->max_src, O = d->max_out, K = d->beam;
    size_t H = c->hidden, E = c->embed, F = sizeof(float), G = (size_t)cell_gates(c->cell);
    size_t X0 = (size_t)model_dec_input(c), FO = (size_t)model_out_input(c);
    unsigned char *cur = base;
    d->src = carve(&cur, T * S * sizeof(int32_t));
    d->src_mask = carve(&cur, T * S * F);
    d->enc_x = carve(&cur, T * S * E * F);
    for (int l = 0; l < c->layers; l++) {
        d->enc[l] = (CellActs){carve(&cur, T * S * G * H * F), carve(&cur, (T + 1) * S * H * F),
                               carve(&cur, (T + 1) * S * H * F), carve(&cur, T * S * H * F)};
        d->dec[l] = (CellActs){carve(&cur, R * G * H * F), carve(&cur, 2 * R * H * F),
                               carve(&cur, 2 * R * H * F), carve(&cur, R * H * F)};
    }
    d->x = carve(&cur, R * X0 * F);
    d->feats = carve(&cur, R * FO * F);
    d->ctx = carve(&cur, R * H * F);
    d->logp = carve(&cur, R * (size_t)c->tgt_vocab * F);
    d->prev = carve(&cur, R * sizeof(int32_t));
    d->score = carve(&cur, R * sizeof(double));
    d->hist = carve(&cur, O * R * sizeof(int32_t));
    d->back = carve(&cur, O * R * sizeof(int));
    d->parent = carve(&cur, R * sizeof(int));
    d->nfin = carve(&cur, S * sizeof(int));
    d->fin_len = carve(&cur, S * K * sizeof(int));
    d->fin_logprob = carve(&cur, S * K * sizeof(double));
    d->fin_score = carve(&cur, S * K * sizeof(double));
    d->fin_tok = carve(&cur, S * K * O * sizeof(int32_t));
    d->alive = carve(&cur, S * sizeof(int));
    d->limit = carve(&cur, S * sizeof(int));
    return (size_t)(cur - base);
}

int decoder_reserve(Decoder *d, const Model *m, int max_sents, int beam, int max_src,
                    int max_out, S2sErr *err)
{
    if (max_src < 1)
        max_src = 1;
    if (d->mem && max_sents <= d->max_sents && beam <= d->beam && max_src <= d->max_src &&
        max_out <= d->max_out)
        return 0;
    Decoder n;
    decoder_zero(&n);
    n.max_sents = max_sents > d->max_sents ? max_sents : d->max_sents;
    n.beam = beam > d->beam ? beam : d->beam;
    n.max_src = max_src > d->max_src ? max_src : d->max_src;
    n.max_out = max_out > d->max_out ? max_out : d->max_out;
    n.rows = n.max_sents * n.beam;
    size_t bytes = decoder_layout(&n, &m->cfg, NULL);
    n.mem = calloc(1, bytes);
    if (!n.mem)
        return s2s_fail(err, S2S_ENOMEM, "out of memory for the decoder (%zu MB)", bytes >> 20);
    decoder_layout(&n, &m->cfg, n.mem);
    decoder_free(d);
    *d = n;
    return 0;
}

int decode_max_out(const DecodeOptions *o, int src_len)
{
    return (int)ceil(o->max_len_ratio * src_len) + 10;
}

/* ---- one step of every row ---- */

static CellParams cell_params(CellTensors w) { return (CellParams){w.Wx, w.Wh, w.b}; }

/* Row r of out (width E + extra) = [embed(ids[r]); ctx row r (extra wide)]. */
static void embed_with_ctx(float *out, const int32_t *ids, const float *emb, const float *ctx,
                           int rows, int E, int extra)
{
    for (int r = 0; r < rows; r++) {
        float *row = out + (size_t)r * (E + extra);
        memcpy(row, emb + (size_t)ids[r] * E, sizeof(float) * E);
        if (extra)
            memcpy(row + E, ctx + (size_t)r * extra, sizeof(float) * extra);
    }
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

/* Feeds d->prev to every row; d->logp gets the next-token log-probabilities
 * and each layer's new state lands in slot 1 of dec[l].h / .c. */
static void decoder_step(Decoder *d, const Model *m, int rows)
{
    const ModelConfig *c = &m->cfg;
    int H = c->hidden, E = c->embed, X0 = model_dec_input(c), F = model_out_input(c);
    embed_with_ctx(d->x, d->prev, m->w.tgt_emb, d->ctx, rows, E, X0 - E);
    const float *in = d->x;
    for (int l = 0; l < c->layers; l++) {
        cell_forward(c->cell, &d->dec[l], in, NULL, cell_params(m->w.dec[l]), 1, rows,
                     l ? H : X0, H);
        in = d->dec[l].h + (size_t)rows * H;
    }
    if (c->arch == ARCH_ENCDEC) { /* the output also sees embed(y_{t-1}) and c */
        for (int r = 0; r < rows; r++) {
            memcpy(d->feats + (size_t)r * F, in + (size_t)r * H, sizeof(float) * H);
            memcpy(d->feats + (size_t)r * F + H, d->x + (size_t)r * X0, sizeof(float) * X0);
        }
        in = d->feats;
    }
    blas_gemm(0, 1, rows, c->tgt_vocab, F, 1.0f, in, F, m->w.out_W, F, 0.0f, d->logp, c->tgt_vocab);
    log_softmax_rows(d->logp, m->w.out_b, rows, c->tgt_vocab);
}

/* Slot 0 of row r takes the new state (slot 1) of row parent[r]. */
static void reorder(Decoder *d, const Model *m, const int *parent, int rows)
{
    size_t H = m->cfg.hidden, n = (size_t)rows * H;
    for (int l = 0; l < m->cfg.layers; l++)
        for (int r = 0; r < rows; r++) {
            memcpy(d->dec[l].h + r * H, d->dec[l].h + n + parent[r] * H, H * sizeof(float));
            memcpy(d->dec[l].c + r * H, d->dec[l].c + n + parent[r] * H, H * sizeof(float));
        }
}

/* ---- encoder and start state ---- */

/* seq2seq: row s * K + k starts from sentence s's final encoder state. */
static void seq2seq_rows(Decoder *d, const Model *m, int S, int Ts)
{
    size_t H = m->cfg.hidden;
    for (int l = 0; l < m->cfg.layers; l++)
        for (int r = 0; r < S * d->K; r++) {
            size_t from = ((size_t)Ts * S + (size_t)(r / d->K)) * H;
            memcpy(d->dec[l].h + r * H, d->enc[l].h + from, H * sizeof(float));
            memcpy(d->dec[l].c + r * H, d->enc[l].c + from, H * sizeof(float));
        }
}

/* encdec: every row gets its sentence's c, and starts from tanh(V_l c + b_l). */
static void encdec_rows(Decoder *d, const Model *m, int S, int Ts)
{
    int H = m->cfg.hidden, R = S * d->K, L = m->cfg.layers;
    for (int r = 0; r < R; r++)
        memcpy(d->ctx + (size_t)r * H, d->enc[L - 1].h + ((size_t)Ts * S + (size_t)(r / d->K)) * H,
               sizeof(float) * H);
    for (int l = 0; l < L; l++) {
        float *h0 = d->dec[l].h;
        blas_gemm(0, 1, R, H, H, 1.0f, d->ctx, H, m->w.init_W[l], H, 0.0f, h0, H);
        for (size_t k = 0; k < (size_t)R * H; k++)
            h0[k] = tanhf(h0[k] + m->w.init_b[l][k % (size_t)H]);
        memset(d->dec[l].c, 0, sizeof(float) * (size_t)R * H);
    }
}

static void encode(Decoder *d, const Model *m, const int32_t *const *src, const int *src_len,
                   int S)
{
    const ModelConfig *c = &m->cfg;
    int Ts = 0;
    for (int s = 0; s < S; s++)
        if (src_len[s] > Ts)
            Ts = src_len[s];
    for (int t = 0; t < Ts; t++)
        for (int s = 0; s < S; s++) {
            int real = t < src_len[s];
            d->src[t * S + s] = real ? src[s][c->reverse ? src_len[s] - 1 - t : t] : VOCAB_PAD;
            d->src_mask[t * S + s] = real ? 1.0f : 0.0f;
        }
    embedding_forward(d->enc_x, d->src, m->w.src_emb, Ts * S, c->embed);
    const float *in = d->enc_x;
    size_t SH = (size_t)S * c->hidden;
    for (int l = 0; l < c->layers; l++) {
        memset(d->enc[l].h, 0, SH * sizeof(float));
        memset(d->enc[l].c, 0, SH * sizeof(float));
        cell_forward(c->cell, &d->enc[l], in, d->src_mask, cell_params(m->w.enc[l]), Ts, S,
                     l ? c->hidden : c->embed, c->hidden);
        in = d->enc[l].h + SH;
    }
    (c->arch == ARCH_ENCDEC ? encdec_rows : seq2seq_rows)(d, m, S, Ts);
}

/* Sets up S sentences of K rows: only row 0 of each sentence is live. */
static void start(Decoder *d, const Model *m, const int32_t *const *src, const int *src_len,
                  int S, int K)
{
    S2S_INVARIANT(S <= d->max_sents && K <= d->beam);
    d->S = S, d->K = K;
    for (int r = 0; r < S * K; r++) {
        d->prev[r] = VOCAB_BOS;
        d->score[r] = r % K == 0 ? 0.0 : -INFINITY;
    }
    for (int s = 0; s < S; s++) {
        S2S_INVARIANT(src_len[s] <= d->max_src);
        d->nfin[s] = 0;
        d->alive[s] = 1;
    }
    encode(d, m, src, src_len, S);
}

/* ---- finished hypotheses ---- */

static double length_penalty(double alpha, int len)
{
    return alpha > 0 ? pow((5.0 + len) / 6.0, alpha) : 1.0;
}

/* Row r, extended at step t by </s> with total log-probability logprob,
 * becomes a finished hypothesis of sentence s (kept if among the K best). */
static void finish(Decoder *d, const DecodeOptions *o, int s, int r, int t, double logprob)
{
    int K = d->K, slot = d->nfin[s];
    double score = logprob / length_penalty(o->length_penalty, t + 1);
    if (slot == K) { /* full: replace the worst, if this is better */
        int worst = 0;
        for (int j = 1; j < K; j++)
            if (d->fin_score[s * K + j] < d->fin_score[s * K + worst])
                worst = j;
        if (!(score > d->fin_score[s * K + worst]))
            return;
        slot = worst;
    } else {
        d->nfin[s]++;
    }
    int i = s * K + slot;
    int32_t *tok = d->fin_tok + (size_t)i * d->max_out;
    for (int u = t - 1, rr = r; u >= 0; u--) {
        tok[u] = d->hist[(size_t)u * d->S * K + rr];
        rr = d->back[(size_t)u * d->S * K + rr];
    }
    d->fin_len[i] = t;
    d->fin_logprob[i] = logprob;
    d->fin_score[i] = score;
}

/* Best first; insertion sort keeps the earlier of equal scores first. */
static void sort_finished(Decoder *d, int s)
{
    int K = d->K;
    for (int a = 1; a < d->nfin[s]; a++)
        for (int b = a; b > 0 && d->fin_score[s * K + b] > d->fin_score[s * K + b - 1]; b--) {
            int i = s * K + b, j = i - 1;
            double ts = d->fin_score[i], tl = d->fin_logprob[i];
            int tn = d->fin_len[i];
            d->fin_score[i] = d->fin_score[j], d->fin_logprob[i] = d->fin_logprob[j];
            d->fin_len[i] = d->fin_len[j];
            d->fin_score[j] = ts, d->fin_logprob[j] = tl, d->fin_len[j] = tn;
            int32_t *x = d->fin_tok + (size_t)i * d->max_out, *y = x - d->max_out;
            for (int u = 0; u < d->max_out; u++) {
                int32_t v = x[u];
                x[u] = y[u], y[u] = v;
            }
        }
}

/* ---- choosing each sentence's next tokens ---- */

static void kill_row(Decoder *d, int r, int parent)
{
    d->parent[r] = parent;
    d->prev[r] = VOCAB_PAD;
    d->score[r] = -INFINITY;
}

/* Greedy or sampling: sentence s has one row. */
static void select_one(Decoder *d, const Model *m, const DecodeOptions *o, int s, int t,
                       Rng *rng)
{
    int V = m->cfg.tgt_vocab, v = 0;
    const float *lp = d->logp + (size_t)s * V;
    if (t == d->limit[s] - 1) {
        v = VOCAB_EOS;
    } else if (o->mode == DECODE_SAMPLE) {
        double mx = -INFINITY, sum = 0, u;
        for (int k = 0; k < V; k++)
            mx = fmax(mx, lp[k] / o->temperature);
        for (int k = 0; k < V; k++)
            sum += exp(lp[k] / o->temperature - mx);
        u = rng_uniform(rng) * sum;
        for (v = 0; v < V - 1 && (u -= exp(lp[v] / o->temperature - mx)) > 0; v++)
            ;
    } else {
        for (int k = 1; k < V; k++)
            if (lp[k] > lp[v])
                v = k;
    }
    double logprob = d->score[s] + lp[v];
    d->parent[s] = s;
    if (v == VOCAB_EOS) {
        finish(d, o, s, s, t, logprob);
        d->alive[s] = 0;
        kill_row(d, s, s);
        return;
    }
    d->prev[s] = v;
    d->score[s] = logprob;
}

typedef struct {
    double score;
    int row, token;
} Cand;

/* Inserts (score, row, token) into best[0..*n), sorted descending, at most cap. */
static void cand_insert(Cand *best, int *n, int cap, double score, int row, int token)
{
    if (*n == cap && !(score > best[cap - 1].score))
        return;
    int i = *n < cap ? (*n)++ : cap - 1;
    for (; i > 0 && score > best[i - 1].score; i--)
        best[i] = best[i - 1];
    best[i] = (Cand){score, row, token};
}

/* Beam search: the 2K best extensions of sentence s's live rows; those
 * ending in </s> among the first K finish, the first K others continue. */
static void select_beam(Decoder *d, const Model *m, const DecodeOptions *o, int s, int t)
{
    int K = d->K, V = m->cfg.tgt_vocab, n = 0, ncont = 0;
    Cand best[2 * 64];
    int last = t == d->limit[s] - 1;
    for (int k = 0; k < K; k++) {
        int r = s * K + k;
        if (d->score[r] == -INFINITY)
            continue;
        const float *lp = d->logp + (size_t)r * V;
        if (last) { /* the length bound: every live row ends here */
            finish(d, o, s, r, t, d->score[r] + lp[VOCAB_EOS]);
            continue;
        }
        for (int v = 0; v < V; v++)
            cand_insert(best, &n, 2 * K, d->score[r] + lp[v], r, v);
    }
    for (int i = 0; i < n && ncont < K; i++) {
        if (best[i].token == VOCAB_EOS) {
            if (i < K)
                finish(d, o, s, best[i].row, t, best[i].score);
            continue;
        }
        int r = s * K + ncont++;
        d->parent[r] = best[i].row;
        d->prev[r] = best[i].token;
        d->score[r] = best[i].score;
    }
    for (int k = ncont; k < K; k++)
        kill_row(d, s * K + k, s * K);
    if (last || d->nfin[s] >= K || ncont == 0)
        d->alive[s] = 0;
}

/* ---- the loops ---- */

/* Records the step's choices and moves the chosen states into place. */
static void commit_step(Decoder *d, const Model *m, int t, int rows)
{
    memcpy(d->hist + (size_t)t * rows, d->prev, rows * sizeof(int32_t));
    memcpy(d->back + (size_t)t * rows, d->parent, rows * sizeof(int));
    reorder(d, m, d->parent, rows);
}

void decode_batch(Decoder *d, const Model *m, const DecodeOptions *o,
                  const int32_t *const *src, const int *src_len, int S, Rng *rng)
{
    int K = o->mode == DECODE_BEAM ? o->beam : 1, rows = S * K, steps = 0;
    start(d, m, src, src_len, S, K);
    for (int s = 0; s < S; s++) {
        int lim = decode_max_out(o, src_len[s]);
        d->limit[s] = lim < d->max_out ? lim : d->max_out;
        if (d->limit[s] > steps)
            steps = d->limit[s];
    }
    for (int t = 0, live = S; t < steps && live > 0; t++) {
        decoder_step(d, m, rows);
        live = 0;
        for (int s = 0; s < S; s++) {
            if (!d->alive[s]) {
                for (int k = 0; k < K; k++)
                    kill_row(d, s * K + k, s * K + k);
            } else if (K == 1 && o->mode != DECODE_BEAM) {
                select_one(d, m, o, s, t, rng);
            } else {
                select_beam(d, m, o, s, t);
            }
            live += d->alive[s];
        }
        commit_step(d, m, t, rows);
    }
    for (int s = 0; s < S; s++)
        sort_finished(d, s);
}

int decode_hyp(const Decoder *d, int s, int j, const int32_t **tokens, int *len,
               double *score, double *logprob)
{
    if (j >= d->nfin[s])
        return d->nfin[s];
    int i = s * d->K + j;
    *tokens = d->fin_tok + (size_t)i * d->max_out;
    *len = d->fin_len[i];
    *score = d->fin_score[i];
    *logprob = d->fin_logprob[i];
    return d->nfin[s];
}

void decode_score(Decoder *d, const Model *m, const int32_t *const *src, const int *src_len,
                  const int32_t *const *tgt, const int *tgt_len, int S, double *logprob)
{
    int T = 0, V = m->cfg.tgt_vocab;
    start(d, m, src, src_len, S, 1);
    for (int s = 0; s < S; s++) {
        logprob[s] = 0;
        d->parent[s] = s;
        if (tgt_len[s] + 1 > T)
            T = tgt_len[s] + 1;
    }
    for (int t = 0; t < T; t++) {
        decoder_step(d, m, S);
        for (int s = 0; s < S; s++) {
            int y = t < tgt_len[s] ? tgt[s][t] : t == tgt_len[s] ? VOCAB_EOS : -1;
            if (y >= 0)
                logprob[s] += d->logp[(size_t)s * V + y];
            d->prev[s] = y >= 0 ? y : VOCAB_PAD;
        }
        reorder(d, m, d->parent, S);
    }
}
