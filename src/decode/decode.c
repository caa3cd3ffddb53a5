#include "s2s/decode/decode.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "s2s/nn/activ.h"
#include "s2s/text/vocab.h"

DecodeOptions decode_defaults(void)
{
    return (DecodeOptions){.mode = DECODE_BEAM, .beam = 5, .nbest = 1, .length_penalty = 0.6,
                           .max_len_ratio = 2.0, .temperature = 1.0};
}

/* ---- the state ---- */

void decoder_zero(Decoder *d) { memset(d, 0, sizeof *d); }

void decoder_free(Decoder *d)
{
    for (int k = 0; k < ENSEMBLE_MAX; k++)
        step_free(&d->net[k]);
    free(d->mem);
    free(d->att_hist);
    free(d->fin_att);
    free(d->cols);
    free(d->colof);
    decoder_zero(d);
}

int decoder_reserve_shortlist(Decoder *d, const Ensemble *e, S2sErr *err)
{
    if (!d->cols) {
        d->cols = malloc(sizeof(int32_t) * (size_t)d->V);
        d->colof = malloc(sizeof(int32_t) * (size_t)d->V);
        if (!d->cols || !d->colof)
            return s2s_fail(err, S2S_ENOMEM, "out of memory for the shortlist");
    }
    for (int k = 0; k < e->n; k++) {
        int rc = step_reserve_columns(&d->net[k], e->m[k], err);
        if (rc)
            return rc;
    }
    return 0;
}

int decoder_reserve_attention(Decoder *d, S2sErr *err)
{
    size_t per = (size_t)d->max_out * d->max_src;
    free(d->att_hist);
    free(d->fin_att);
    d->att_hist = calloc(per * (size_t)d->rows, sizeof(float));
    d->fin_att = calloc(per * (size_t)d->max_sents * d->beam, sizeof(float));
    if (!d->att_hist || !d->fin_att)
        return s2s_fail(err, S2S_ENOMEM, "out of memory for the alignments (%zu MB)",
                        per * (size_t)(d->rows + d->max_sents * d->beam) * sizeof(float) >> 20);
    return 0;
}

static void *carve(unsigned char **cur, size_t bytes)
{
    void *p = *cur;
    *cur += (bytes + 63) / 64 * 64;
    return p;
}

/* Lays out (or, with base == NULL, measures) the search's arrays. */
static size_t decoder_layout(Decoder *d, unsigned char *base)
{
    size_t S = d->max_sents, R = d->rows, O = d->max_out, K = d->beam;
    unsigned char *cur = base;
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
    d->blk_sent = carve(&cur, S * sizeof(int));
    d->sent_blk = carve(&cur, S * sizeof(int));
    d->cprev = carve(&cur, R * sizeof(int32_t));
    d->cparent = carve(&cur, R * sizeof(int));
    d->limit = carve(&cur, S * sizeof(int));
    d->mix = carve(&cur, (d->nm > 1) * R * (size_t)d->V * sizeof(float));
    return (size_t)(cur - base);
}

/* Each member's step state, sized for the capacity asked. */
static int reserve_members(Decoder *d, const Ensemble *e, int max_sents, int beam, int max_src,
                           S2sErr *err)
{
    for (int k = 0; k < e->n; k++) {
        int rc = step_reserve(&d->net[k], e->m[k], max_sents, beam, max_src, err);
        if (rc)
            return rc;
    }
    return 0;
}

int decoder_reserve(Decoder *d, const Ensemble *e, int max_sents, int beam, int max_src,
                    int max_out, S2sErr *err)
{
    if (max_src < 1)
        max_src = 1;
    int rc = reserve_members(d, e, max_sents, beam, max_src, err);
    if (rc || (d->mem && max_sents <= d->max_sents && beam <= d->beam && max_src <= d->max_src &&
               max_out <= d->max_out && e->n <= d->nm))
        return rc;
    Decoder n;
    decoder_zero(&n);
    n.max_sents = max_sents, n.max_src = max_src, n.max_out = max_out;
    if (d->mem) { /* grown, or replaced by what is asked (step_fit) */
        step_fit(d->max_sents, d->max_src, &n.max_sents, &n.max_src);
        if (n.max_sents >= d->max_sents && n.max_src >= d->max_src && d->max_out > max_out)
            n.max_out = d->max_out;
    }
    n.beam = beam > d->beam ? beam : d->beam;
    n.rows = n.max_sents * n.beam;
    n.nm = e->n > d->nm ? e->n : d->nm;
    n.V = e->m[0]->cfg.tgt_vocab;
    size_t bytes = decoder_layout(&n, NULL);
    n.mem = calloc(1, bytes);
    if (!n.mem)
        return s2s_fail(err, S2S_ENOMEM, "out of memory for the decoder (%zu MB)", bytes >> 20);
    decoder_layout(&n, n.mem);
    memcpy(n.net, d->net, sizeof n.net); /* kept: already reserved above */
    n.pool = d->pool;
    n.cols = d->cols, n.colof = d->colof, d->cols = d->colof = NULL; /* kept */
    free(d->mem);
    int att = d->att_hist != NULL;
    free(d->att_hist);
    free(d->fin_att);
    *d = n;
    if (att) /* grown with the rest */
        return decoder_reserve_attention(d, err);
    return 0;
}

int decode_max_out(const DecodeOptions *o, int src_len)
{
    int n = (int)ceil(o->max_len_ratio * src_len) + 10;
    /* steps, </s> included: N tokens take N + 1 */
    return o->max_out_len > 0 && o->max_out_len + 1 < n ? o->max_out_len + 1 : n;
}

/* ---- the members' steps ---- */

typedef enum { JOB_START, JOB_FORWARD } JobKind;

typedef struct {
    JobKind kind;
    Decoder *d;
    const Ensemble *e;
    const int32_t *const *src; /* JOB_START: (members, S) */
    const int *src_len;
    const int32_t *prev;       /* JOB_FORWARD: (rows) */
    const int *sent;           /* JOB_FORWARD: (rows / K) or NULL */
    int S, K, rows, parts;
} StepJob;

/* Pool job: part p runs members p, p + parts, ... of weight > 0. */
static void member_job(void *arg, int p)
{
    const StepJob *j = arg;
    for (int k = p; k < j->e->n; k += j->parts) {
        if (!(j->e->w[k] > 0))
            continue;
        if (j->kind == JOB_START)
            step_start(&j->d->net[k], j->e->m[k], j->src + (size_t)k * j->S, j->src_len, j->S,
                       j->K);
        else
            step_forward(&j->d->net[k], j->e->m[k], j->prev, j->sent, j->rows);
    }
}

static void run_members(StepJob *j)
{
    Decoder *d = j->d;
    if (j->e->n > 1 && d->pool && d->pool->n > 1) {
        j->parts = d->pool->n;
        pool_run(d->pool, member_job, j);
    } else {
        j->parts = 1;
        member_job(j, 0);
    }
}

/* Every member's next-token log-probabilities for the rows, fed prev (block
 * b of rows: sentence sent[b], or b), mixed into d->logp. */
static void ens_forward(Decoder *d, const Ensemble *e, const int32_t *prev, const int *sent,
                        int rows)
{
    StepJob j = {.kind = JOB_FORWARD, .d = d, .e = e, .rows = rows, .prev = prev, .sent = sent};
    run_members(&j);
    if (e->n == 1) {
        d->logp = d->net[0].logp;
        return;
    }
    const float *lp[ENSEMBLE_MAX];
    for (int k = 0; k < e->n; k++)
        lp[k] = d->net[k].logp;
    ensemble_mix(e, lp, d->mix, (size_t)rows * d->nv);
    d->logp = d->mix;
}

static void ens_reorder(Decoder *d, const Ensemble *e, const int *parent, int rows)
{
    for (int k = 0; k < e->n; k++)
        if (e->w[k] > 0)
            step_reorder(&d->net[k], e->m[k], parent, rows);
}

/* The batch's columns: a shortlist's (sl; sources as member 0 reads them,
 * and the targets scored), or the whole vocabulary. */
static void set_columns(Decoder *d, const Ensemble *e, const Shortlist *sl,
                        const int32_t *const *src, const int *src_len, int S,
                        const int32_t *const *tgt, const int *tgt_len)
{
    S2S_INVARIANT(!sl || (d->cols && sl->tgt_vocab == d->V));
    d->nv = sl ? shortlist_columns(sl, src, src_len, S, tgt, tgt_len, d->cols, d->colof) : d->V;
    for (int k = 0; k < e->n; k++)
        if (e->w[k] > 0)
            step_columns(&d->net[k], e->m[k], d->cols, sl ? d->nv : 0);
}

/* The token of column v of the step's log-probabilities. */
static int32_t col_token(const Decoder *d, int v) { return d->nv < d->V ? d->cols[v] : v; }

/* Sets up S sentences of K rows: only row 0 of each sentence is live. */
static void start(Decoder *d, const Ensemble *e, const int32_t *const *src, const int *src_len,
                  int S, int K)
{
    S2S_INVARIANT(S <= d->max_sents && K <= d->beam && e->n <= d->nm);
    d->S = S, d->K = K;
    for (int r = 0; r < S * K; r++) {
        d->prev[r] = VOCAB_BOS;
        d->score[r] = r % K == 0 ? 0.0 : -INFINITY;
    }
    for (int s = 0; s < S; s++) {
        S2S_INVARIANT(src_len[s] <= d->max_src);
        d->nfin[s] = 0;
        d->alive[s] = 1;
        d->blk_sent[s] = d->sent_blk[s] = s;
    }
    d->nblk = S;
    memcpy(d->cprev, d->prev, sizeof(int32_t) * (size_t)S * K);
    StepJob j = {.kind = JOB_START, .d = d, .e = e, .src = src, .src_len = src_len, .S = S, .K = K};
    run_members(&j);
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
    int i = s * K + slot, R = d->S * K;
    int32_t *tok = d->fin_tok + (size_t)i * d->max_out;
    size_t T = (size_t)d->max_src;
    for (int u = t - 1, rr = r; u >= 0; u--) {
        tok[u] = d->hist[(size_t)u * R + rr];
        int p = d->back[(size_t)u * R + rr]; /* the row that computed step u */
        if (d->fin_att)
            memcpy(d->fin_att + ((size_t)i * d->max_out + u) * T,
                   d->att_hist + ((size_t)u * R + p) * T, T * sizeof(float));
        rr = p;
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
            size_t n = (size_t)d->max_out * d->max_src;
            for (size_t u = 0; d->fin_att && u < n; u++) {
                float *p = d->fin_att + (size_t)i * n + u, *q = p - n, v = *p;
                *p = *q, *q = v;
            }
        }
}

/* ---- choosing each sentence's next tokens ---- */

/* The step's log-probabilities of row r (s * K + k) of a live sentence s. */
static const float *row_logp(const Decoder *d, int r)
{
    int K = d->K, b = d->sent_blk[r / K];
    return d->logp + ((size_t)b * K + (size_t)(r % K)) * d->nv;
}

static void kill_row(Decoder *d, int r, int parent)
{
    d->parent[r] = parent;
    d->prev[r] = VOCAB_PAD;
    d->score[r] = -INFINITY;
}

/* Whether the decoder may emit token v: never <pad> nor <s>, whatever
 * the model says (a hostile model may favour them). */
static int emittable(int v) { return v != VOCAB_PAD && v != VOCAB_BOS; }

/* The most likely emittable token of lp[0..V) (V > VOCAB_EOS). */
static int best_token(const float *lp, int V)
{
    int v = act_argmax(lp, V);
    if (emittable(v))
        return v;
    v = VOCAB_UNK;
    for (int k = VOCAB_EOS; k < V; k++)
        if (lp[k] > lp[v])
            v = k;
    return v;
}

/* A token of lp[0..V) drawn at temperature temp, never <pad> nor <s>. */
static int sample_token(const float *lp, int V, double temp, Rng *rng)
{
    double mx = -INFINITY, sum = 0, u;
    for (int k = 0; k < V; k++)
        if (emittable(k))
            mx = fmax(mx, lp[k] / temp);
    for (int k = 0; k < V; k++)
        sum += emittable(k) ? exp(lp[k] / temp - mx) : 0;
    u = rng_uniform(rng) * sum;
    int v = VOCAB_UNK; /* the last emittable token when rounding leaves u > 0 */
    for (int k = 0; k < V; k++) {
        if (!emittable(k))
            continue;
        v = k;
        if ((u -= exp(lp[k] / temp - mx)) <= 0)
            break;
    }
    return v;
}

/* Greedy or sampling: sentence s has one row. */
static void select_one(Decoder *d, const DecodeOptions *o, int s, int t, Rng *rng)
{
    int V = d->nv, v = 0;
    const float *lp = row_logp(d, s);
    if (t == d->limit[s] - 1)
        v = VOCAB_EOS;
    else if (o->mode == DECODE_SAMPLE)
        v = sample_token(lp, V, o->temperature, rng);
    else
        v = best_token(lp, V);
    double logprob = d->score[s] + lp[v];
    d->parent[s] = s;
    if (v == VOCAB_EOS) {
        finish(d, o, s, s, t, logprob);
        d->alive[s] = 0;
        kill_row(d, s, s);
        return;
    }
    d->prev[s] = col_token(d, v);
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
static void select_beam(Decoder *d, const DecodeOptions *o, int s, int t)
{
    int K = d->K, V = d->nv, n = 0, ncont = 0;
    Cand best[2 * 64];
    int last = t == d->limit[s] - 1;
    for (int k = 0; k < K; k++) {
        int r = s * K + k;
        if (d->score[r] == -INFINITY)
            continue;
        const float *lp = row_logp(d, r);
        if (last) { /* the length bound: every live row ends here */
            finish(d, o, s, r, t, d->score[r] + lp[VOCAB_EOS]);
            continue;
        }
        for (int v = 0; v < V; v++)
            if (emittable(v))
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
        d->prev[r] = col_token(d, best[i].token);
        d->score[r] = best[i].score;
    }
    for (int k = ncont; k < K; k++)
        kill_row(d, s * K + k, s * K);
    if (last || d->nfin[s] >= K || ncont == 0)
        d->alive[s] = 0;
}

/* ---- the loops ---- */

/* Step t's attention of every row of a live sentence, into att_hist (rows
 * of max_src; a finished sentence's rows are never read again). */
static void keep_attention(Decoder *d, const StepState *net, int t, int rows)
{
    size_t T = (size_t)d->max_src, Ts = (size_t)net->Ts;
    for (int r = 0; r < rows; r++) {
        int b = d->sent_blk[r / d->K];
        if (b < 0)
            continue;
        float *dst = d->att_hist + ((size_t)t * rows + r) * T;
        memcpy(dst, net->att.a + ((size_t)b * d->K + (size_t)(r % d->K)) * Ts, Ts * sizeof(float));
        memset(dst + Ts, 0, (T - Ts) * sizeof(float));
    }
}

/* Records the step's choices and moves the chosen states into place: the
 * blocks of the sentences still live, in order (finished ones dropped). */
static void commit_step(Decoder *d, const Ensemble *e, int t, int rows)
{
    int K = d->K, nb = 0;
    memcpy(d->hist + (size_t)t * rows, d->prev, rows * sizeof(int32_t));
    memcpy(d->back + (size_t)t * rows, d->parent, rows * sizeof(int));
    for (int b = 0; b < d->nblk; b++) {
        int s = d->blk_sent[b];
        if (!d->alive[s]) {
            d->sent_blk[s] = -1;
            continue;
        }
        for (int k = 0; k < K; k++) {
            d->cparent[nb * K + k] = b * K + (d->parent[s * K + k] - s * K);
            d->cprev[nb * K + k] = d->prev[s * K + k];
        }
        d->blk_sent[nb] = s, d->sent_blk[s] = nb++;
    }
    d->nblk = nb;
    ens_reorder(d, e, d->cparent, nb * K);
}

void decode_batch(Decoder *d, const Ensemble *e, const DecodeOptions *o,
                  const int32_t *const *src, const int *src_len, int S, Rng *rng)
{
    int K = o->mode == DECODE_BEAM ? o->beam : 1, rows = S * K, steps = 0;
    S2S_INVARIANT(!(d->att_hist && o->attention) || e->align >= 0);
    start(d, e, src, src_len, S, K);
    set_columns(d, e, o->shortlist, src, src_len, S, NULL, NULL);
    for (int s = 0; s < S; s++) {
        int lim = decode_max_out(o, src_len[s]);
        d->limit[s] = lim < d->max_out ? lim : d->max_out;
        if (d->limit[s] > steps)
            steps = d->limit[s];
    }
    for (int t = 0, live = S; t < steps && live > 0; t++) {
        ens_forward(d, e, d->cprev, d->blk_sent, d->nblk * K);
        if (d->att_hist && o->attention)
            keep_attention(d, &d->net[e->align], t, rows);
        live = 0;
        for (int s = 0; s < S; s++) {
            if (!d->alive[s]) {
                for (int k = 0; k < K; k++)
                    kill_row(d, s * K + k, s * K + k);
            } else if (K == 1 && o->mode != DECODE_BEAM) {
                select_one(d, o, s, t, rng);
            } else {
                select_beam(d, o, s, t);
            }
            live += d->alive[s];
        }
        commit_step(d, e, t, rows);
    }
    for (int s = 0; s < S; s++)
        sort_finished(d, s);
}

const float *decode_hyp_attention(const Decoder *d, int s, int j)
{
    return d->fin_att + (size_t)(s * d->K + j) * d->max_out * d->max_src;
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

void decode_score(Decoder *d, const Ensemble *e, const Shortlist *sl, const int32_t *const *src,
                  const int *src_len, const int32_t *const *tgt, const int *tgt_len, int S,
                  double *logprob)
{
    int T = 0;
    start(d, e, src, src_len, S, 1);
    set_columns(d, e, sl, src, src_len, S, tgt, tgt_len);
    for (int s = 0; s < S; s++) {
        logprob[s] = 0;
        d->parent[s] = s;
        if (tgt_len[s] + 1 > T)
            T = tgt_len[s] + 1;
    }
    for (int t = 0; t < T; t++) {
        ens_forward(d, e, d->prev, NULL, S);
        for (int s = 0; s < S; s++) {
            int y = t < tgt_len[s] ? tgt[s][t] : t == tgt_len[s] ? VOCAB_EOS : -1;
            if (y >= 0)
                logprob[s] += d->logp[(size_t)s * d->nv + (sl ? d->colof[y] : y)];
            d->prev[s] = y >= 0 ? y : VOCAB_PAD;
        }
        ens_reorder(d, e, d->parent, S);
    }
}
