#include "s2s/decode/translator.h"

#include <stdlib.h>
#include <string.h>

#include "s2s/nn/blas.h"

/* The threads split into parts side by side, each with member_threads for its members. */
static void split_threads(Translator *t, int threads)
{
    int mt = t->e.n < threads ? t->e.n : threads;
    t->member_threads = mt > 1 ? mt : 1;
    t->parts = threads / t->member_threads;
}

static int init_parts(Translator *t, const DecodeOptions *o, uint64_t seed, S2sErr *err)
{
    int beam = o->mode == DECODE_BEAM ? o->beam : 1;
    for (int p = 0; p < t->parts; p++) {
        decoder_zero(&t->d[p]);
        rng_seed(&t->rng[p], seed + (uint64_t)p);
        int T = t->max_src < TRANSLATOR_BATCH_TOKENS ? t->max_src : TRANSLATOR_BATCH_TOKENS;
        int rc = decoder_reserve(&t->d[p], &t->e, t->batch, beam, T, decode_max_out(o, T), err);
        if (!rc && o->attention)
            rc = decoder_reserve_attention(&t->d[p], err);
        if (!rc && o->shortlist)
            rc = decoder_reserve_shortlist(&t->d[p], &t->e, err);
        if (!rc && t->member_threads > 1 && !(rc = pool_init(&t->mpool[p], t->member_threads, err)))
            t->d[p].pool = &t->mpool[p];
        if (rc)
            return rc;
    }
    return 0;
}

int translator_init(Translator *t, const Ensemble *e, const DecodeOptions *o, int batch,
                    int threads, int max_src, int max_chunk, uint64_t seed, S2sErr *err)
{
    memset(t, 0, sizeof *t);
    t->e = *e, t->o = *o, t->batch = t->max_batch = batch, t->max_chunk = max_chunk;
    t->max_src = max_src < 1 ? 1 : max_src;
    split_threads(t, threads);
    size_t P = (size_t)t->parts, B = (size_t)batch, n = (size_t)max_chunk;
    t->d = calloc(P, sizeof(Decoder));
    t->rng = calloc(P, sizeof(Rng));
    t->mpool = calloc(P, sizeof(Pool));
    t->src = calloc(P * (size_t)e->n * B, sizeof(int32_t *));
    t->lens = calloc(P * B, sizeof(int));
    t->nsent = calloc(P, sizeof(int));
    t->first = calloc(P, sizeof(int));
    t->order = malloc(n * sizeof(int));
    t->sorted = malloc(2 * n * sizeof(int));
    t->done = malloc(n);
    t->logprob = malloc(n * sizeof(double));
    if (!t->d || !t->rng || !t->mpool || !t->src || !t->lens || !t->nsent || !t->first || !t->order ||
        !t->sorted || !t->done || !t->logprob)
        return s2s_fail(err, S2S_ENOMEM, "out of memory");
    int rc = init_parts(t, o, seed, err);
    return rc ? rc : pool_init(&t->pool, t->parts, err);
}

void translator_free(Translator *t)
{
    pool_free(&t->pool);
    for (int p = 0; t->d && p < t->parts; p++) {
        decoder_free(&t->d[p]);
        if (t->mpool)
            pool_free(&t->mpool[p]);
    }
    free(t->d);
    free(t->rng);
    free(t->mpool);
    free(t->src);
    free(t->lens);
    free(t->nsent);
    free(t->first);
    free(t->order);
    free(t->sorted);
    free(t->done);
    free(t->logprob);
    memset(t, 0, sizeof *t);
}

void translator_set_batch(Translator *t, int batch)
{
    t->batch = batch < 1 ? 1 : batch > t->max_batch ? t->max_batch : batch;
}

/* Longest first, then by index: a total order, so qsort is deterministic. */
static int by_length_desc(const void *x, const void *y)
{
    const int *a = x, *b = y;
    return a[0] != b[0] ? b[0] - a[0] : a[1] - b[1];
}

/* t->order gets the non-empty sentences, longest first; returns their count. */
static int sort_sentences(Translator *t, const int *len, int n)
{
    int m = 0;
    for (int i = 0; i < n; i++)
        if (len[i] > 0)
            t->sorted[2 * m] = len[i], t->sorted[2 * m + 1] = i, m++;
    if (!t->keep_order)
        qsort(t->sorted, (size_t)m, 2 * sizeof(int), by_length_desc);
    for (int i = 0; i < m; i++)
        t->order[i] = t->sorted[2 * i + 1];
    return m;
}

/* Pool job: part p decodes (or scores) its batch with its own decoder. */
static void decode_part(void *arg, int p)
{
    Translator *t = arg;
    size_t B = (size_t)t->batch;
    if (t->nsent[p] > 0)
        decode_batch(&t->d[p], &t->e, &t->o, t->src + p * t->e.n * B, t->lens + p * B,
                     t->nsent[p], &t->rng[p]);
}

/* How many of the sentences order[b ..) (avail of them) part p takes:
 * up to the batch, and no more than the token budget holds (sentences
 * times the longest), one at least. *longest gets their longest. */
static int take(const Translator *t, const int *len, int b, int avail, int *longest)
{
    long budget = (long)t->batch * TRANSLATOR_BATCH_TOKENS;
    int S = 0;
    *longest = 1;
    while (S < avail && S < t->batch) {
        int l = len[t->order[b + S]], L = l > *longest ? l : *longest;
        if (S > 0 && (long)(S + 1) * L > budget)
            break;
        *longest = L, S++;
    }
    return S;
}

/* Part p's decoder made to hold its batch (step_fit: grown, or replaced
 * when one long sentence comes after many short ones). */
static int reserve_part(Translator *t, int p, int beam, int longest, int max_out)
{
    int rc = decoder_reserve(&t->d[p], &t->e, t->nsent[p], beam, longest, max_out, &t->err);
    if (!rc && t->o.attention && !t->d[p].att_hist)
        rc = decoder_reserve_attention(&t->d[p], &t->err);
    if (!rc && t->o.shortlist)
        rc = decoder_reserve_shortlist(&t->d[p], &t->e, &t->err);
    return rc;
}

/* Part p of the round takes the next sentences of order[] (of the m
 * non-empty ones among the n of the chunk), from order[*next] on. */
static int plan_round(Translator *t, const int32_t *const *src, const int *len, int n, int m,
                      int *next)
{
    int B = t->batch, M = t->e.n, beam = t->o.mode == DECODE_BEAM ? t->o.beam : 1, rc = 0;
    for (int p = 0; p < t->parts && !rc; p++) {
        int b = *next, longest, S = take(t, len, b, m - b, &longest);
        t->nsent[p] = S, t->first[p] = b;
        *next += S;
        for (int s = 0; s < S; s++) {
            int i = t->order[b + s];
            for (int k = 0; k < M; k++)
                t->src[((size_t)p * M) * B + (size_t)k * S + s] = src[(size_t)k * n + i];
            t->lens[(size_t)p * B + s] = len[i];
        }
        if (S > 0)
            rc = reserve_part(t, p, beam, longest, decode_max_out(&t->o, longest));
    }
    return rc;
}

/* Passes on the prefix of done sentences that follows *next. */
static int advance(Translator *t, int n, int *next, TranslatorReady ready, void *ctx)
{
    int from = *next;
    while (*next < n && t->done[*next])
        ++*next;
    return *next > from && ready ? ready(ctx, from, *next) : 0;
}

int translator_run(Translator *t, const int32_t *const *src, const int *len, int n,
                   TranslatorResult result, TranslatorReady ready, void *ctx)
{
    S2S_INVARIANT(n >= 0 && n <= t->max_chunk);
    int m = sort_sentences(t, len, n), next = 0, rc = 0;
    memset(t->done, 0, (size_t)(n > 0 ? n : 0));
    for (int i = 0; i < n && !rc; i++)
        if (len[i] == 0) {
            rc = result(ctx, NULL, 0, i);
            t->done[i] = 1;
        }
    if (t->parts * t->member_threads > 1)
        blas_set_threads(1); /* the parts share the cores */
    for (int round = 0; round < m && !rc;) {
        if ((rc = plan_round(t, src, len, n, m, &round)))
            break;
        pool_run(&t->pool, decode_part, t);
        for (int p = 0; p < t->parts && !rc; p++)
            for (int s = 0, b = t->first[p]; s < t->nsent[p] && !rc; s++) {
                rc = result(ctx, &t->d[p], s, t->order[b + s]);
                t->done[t->order[b + s]] = 1;
            }
        if (!rc)
            rc = advance(t, n, &next, ready, ctx);
    }
    return rc ? rc : advance(t, n, &next, ready, ctx);
}

/* Pool job: part p scores its batch of consecutive pairs. */
static void score_part(void *arg, int p)
{
    Translator *t = arg;
    size_t B = (size_t)t->batch;
    int first = t->first[p];
    if (t->nsent[p] > 0)
        decode_score(&t->d[p], &t->e, t->o.shortlist, t->src + p * t->e.n * B, t->lens + p * B, t->tgt + first,
                     t->tgt_len + first, t->nsent[p], t->logprob + first);
}

/* Part p of the round takes the next pairs in input order, from *next
 * on (as many as take() allows); its decoder holds them. */
static int plan_score_round(Translator *t, const int32_t *const *src, const int *src_len, int n,
                            int *next)
{
    int B = t->batch, M = t->e.n, rc = 0;
    for (int p = 0; p < t->parts && !rc; p++) {
        int b = *next, longest, S = take(t, src_len, b, n - b, &longest);
        t->nsent[p] = S, t->first[p] = b;
        *next += S;
        for (int s = 0; s < S; s++) {
            for (int k = 0; k < M; k++)
                t->src[((size_t)p * M) * B + (size_t)k * S + s] = src[(size_t)k * n + b + s];
            t->lens[(size_t)p * B + s] = src_len[b + s];
        }
        if (S > 0)
            rc = decoder_reserve(&t->d[p], &t->e, S, 1, longest, 1, &t->err);
        if (S > 0 && !rc && t->o.shortlist)
            rc = decoder_reserve_shortlist(&t->d[p], &t->e, &t->err);
    }
    return rc;
}

int translator_score(Translator *t, const int32_t *const *src, const int *src_len,
                     const int32_t *const *tgt, const int *tgt_len, int n, double *logprob,
                     S2sErr *err)
{
    int rc = 0;
    S2S_INVARIANT(n >= 0 && n <= t->max_chunk);
    t->tgt = tgt, t->tgt_len = tgt_len;
    if (t->parts * t->member_threads > 1)
        blas_set_threads(1);
    for (int i = 0; i < n; i++) /* take() reads the lengths through order[], as for decoding */
        t->order[i] = i;
    for (int round = 0; round < n && !rc;)
        if (!(rc = plan_score_round(t, src, src_len, n, &round)))
            pool_run(&t->pool, score_part, t);
    if (rc)
        *err = t->err;
    if (!rc)
        memcpy(logprob, t->logprob, sizeof(double) * (size_t)n);
    t->tgt = NULL, t->tgt_len = NULL;
    return rc;
}
