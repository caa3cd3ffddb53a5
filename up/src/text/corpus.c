#include "s2s/text/corpus.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "s2s/base/fileio.h"
#include "s2s/base/rng.h"
#include "s2s/base/utf8.h"

/* ---- TextSide: one file's tokens ---- */

static void side_free(TextSide *s)
{
    free(s->text);
    free(s->tok_off);
    free(s->line_start);
    memset(s, 0, sizeof *s);
}

/* Makes room for one more line of at most ntoks tokens in nbytes bytes. */
static int side_reserve(TextSide *s, size_t ntoks, size_t nbytes)
{
    char *text = s2s_grow(s->text, &s->text_cap, s->text_len + nbytes, 1);
    if (!text)
        return S2S_ENOMEM;
    s->text = text;
    size_t *tok_off =
        s2s_grow(s->tok_off, &s->tok_cap, (size_t)s->ntoks + ntoks, sizeof *tok_off);
    if (!tok_off)
        return S2S_ENOMEM;
    s->tok_off = tok_off;
    long *line_start =
        s2s_grow(s->line_start, &s->line_cap, (size_t)s->nlines + 2, sizeof *line_start);
    if (!line_start)
        return S2S_ENOMEM;
    s->line_start = line_start;
    return 0;
}

/* Appends a line made of toks[0..n); side_reserve must have made room. */
static void side_append(TextSide *s, const char *const *toks, int n)
{
    if (s->nlines == 0)
        s->line_start[0] = 0;
    for (int i = 0; i < n; i++) {
        size_t len = strlen(toks[i]) + 1;
        memcpy(s->text + s->text_len, toks[i], len);
        s->tok_off[s->ntoks++] = s->text_len;
        s->text_len += len;
    }
    s->line_start[++s->nlines] = s->ntoks;
}

/* State of reading one file: where, the tokens of the line, pointers to them. */
typedef struct {
    const char *path;
    const Tokenizer *tk;
    long lineno;  /* 1-based number of the current line */
    TokBuf tb;
    const char **toks; /* (toks_cap) */
    size_t toks_cap;
} SideReader;

/* Strips the line ending, checks and tokenises line[0..len), and appends it. */
static int side_add_line(TextSide *s, SideReader *r, char *line, size_t len, S2sErr *err)
{
    if (len > 0 && line[len - 1] == '\n')
        line[--len] = '\0';
    if (len > 0 && line[len - 1] == '\r')
        line[--len] = '\0';
    if (memchr(line, '\0', len))
        return s2s_fail(err, S2S_EFORMAT, "%s:%ld: NUL byte in line", r->path, r->lineno);
    if (s->nlines == INT_MAX - 1)
        return s2s_fail(err, S2S_EINVAL, "%s:%ld: file too long", r->path, r->lineno);
    int n = tokenizer_encode(r->tk, &r->tb, line, len, err);
    if (n < 0) {
        char where[4200];
        snprintf(where, sizeof where, "%s:%ld", r->path, r->lineno);
        return s2s_wrap(err, n, where);
    }
    const char **toks = s2s_grow((void *)r->toks, &r->toks_cap, (size_t)n + 1, sizeof *toks);
    if (toks)
        r->toks = toks;
    if (!toks || side_reserve(s, (size_t)n, r->tb.len + 1))
        return s2s_fail(err, S2S_ENOMEM, "%s:%ld: out of memory", r->path, r->lineno);
    for (int i = 0; i < n; i++)
        toks[i] = tokbuf_token(&r->tb, i);
    side_append(s, toks, n);
    return 0;
}

static int side_read(TextSide *s, const char *path, const Tokenizer *tk, long max_line,
                     S2sErr *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return s2s_fail(err, S2S_EIO, "%s: cannot open: %s", path, strerror(errno));
    SideReader r = {.path = path, .tk = tk};
    char *line = NULL;
    size_t line_cap = 0, len = 0;
    int rc;
    while ((rc = fileio_getline(f, &line, &line_cap, &len, (size_t)max_line)) == 1) {
        r.lineno++;
        if ((rc = side_add_line(s, &r, line, len, err)))
            goto done;
    }
    if (rc == S2S_EFORMAT)
        rc = s2s_fail(err, rc, "%s:%ld: line longer than %ld bytes (see --max-line-bytes)", path,
                      r.lineno + 1, max_line);
    else if (rc == S2S_ENOMEM)
        rc = s2s_fail(err, rc, "%s:%ld: out of memory", path, r.lineno + 1);
    else if (rc)
        rc = s2s_fail(err, S2S_EIO, "%s: read error: %s", path, strerror(errno));
    else if (r.lineno == 0)
        rc = s2s_fail(err, S2S_EFORMAT, "%s: empty file", path);
done:
    free(line);
    free(r.toks);
    tokbuf_free(&r.tb);
    if (fclose(f) != 0 && rc == 0)
        rc = s2s_fail(err, S2S_EIO, "%s: cannot close: %s", path, strerror(errno));
    return rc;
}

/* ---- TextPairs ---- */

int textpairs_read(TextPairs *tp, const char *src_path, const char *tgt_path,
                   const Tokenizer *tk, long max_line, S2sErr *err)
{
    memset(tp, 0, sizeof *tp);
    int rc = side_read(&tp->side[TEXT_SRC], src_path, tk, max_line, err);
    if (!rc)
        rc = side_read(&tp->side[TEXT_TGT], tgt_path, tk, max_line, err);
    if (rc)
        goto fail;
    int ns = tp->side[TEXT_SRC].nlines, nt = tp->side[TEXT_TGT].nlines;
    if (ns != nt) {
        rc = s2s_fail(err, S2S_EFORMAT,
                      "%s has %d lines but %s has %d: the files must be aligned line by line",
                      src_path, ns, tgt_path, nt);
        goto fail;
    }
    tp->npairs = ns;
    return 0;
fail:
    textpairs_free(tp);
    return rc;
}

int textpairs_len(const TextPairs *tp, int side, int i)
{
    const TextSide *s = &tp->side[side];
    S2S_INVARIANT(i >= 0 && i < s->nlines);
    return (int)(s->line_start[i + 1] - s->line_start[i]);
}

const char *textpairs_token(const TextPairs *tp, int side, int i, int j)
{
    const TextSide *s = &tp->side[side];
    S2S_INVARIANT(j >= 0 && j < textpairs_len(tp, side, i));
    return s->text + s->tok_off[s->line_start[i] + j];
}

static int side_count(const TextSide *s, VocabCounter *vc, S2sErr *err)
{
    for (long j = 0; vc && j < s->ntoks; j++) {
        int rc = vocab_counter_add(vc, s->text + s->tok_off[j], err);
        if (rc)
            return rc;
    }
    return 0;
}

int textpairs_count(const TextPairs *tp, VocabCounter *src, VocabCounter *tgt, S2sErr *err)
{
    int rc = side_count(&tp->side[TEXT_SRC], src, err);
    return rc ? rc : side_count(&tp->side[TEXT_TGT], tgt, err);
}

void textpairs_free(TextPairs *tp)
{
    side_free(&tp->side[TEXT_SRC]);
    side_free(&tp->side[TEXT_TGT]);
    tp->npairs = 0;
}

/* ---- Corpus ---- */

enum { PAIR_KEEP, PAIR_EMPTY, PAIR_LONG };

static int pair_verdict(const TextPairs *tp, int i, int max_len)
{
    int ls = textpairs_len(tp, TEXT_SRC, i), lt = textpairs_len(tp, TEXT_TGT, i);
    if (ls == 0 || lt == 0)
        return PAIR_EMPTY;
    if (max_len > 0 && (ls > max_len || lt > max_len))
        return PAIR_LONG;
    return PAIR_KEEP;
}

/* Appends line i of s as ids to ids at *off; returns the length. */
static int side_to_ids(const TextSide *s, int i, const Vocab *v, int32_t *ids, int off)
{
    int n = (int)(s->line_start[i + 1] - s->line_start[i]);
    for (int j = 0; j < n; j++)
        ids[off + j] = vocab_lookup(v, s->text + s->tok_off[s->line_start[i] + j]);
    return n;
}

static void corpus_fill(Corpus *c, const TextPairs *tp, const Vocab *sv, const Vocab *tv,
                        int max_len)
{
    int k = 0;
    c->src_off[0] = c->tgt_off[0] = 0;
    for (int i = 0; i < tp->npairs; i++) {
        if (pair_verdict(tp, i, max_len) != PAIR_KEEP)
            continue;
        int ls = side_to_ids(&tp->side[TEXT_SRC], i, sv, c->src_ids, c->src_off[k]);
        int lt = side_to_ids(&tp->side[TEXT_TGT], i, tv, c->tgt_ids, c->tgt_off[k]);
        c->src_off[k + 1] = c->src_off[k] + ls;
        c->tgt_off[k + 1] = c->tgt_off[k] + lt;
        c->line_index[k++] = i;
        if (ls > c->max_src_len) c->max_src_len = ls;
        if (lt > c->max_tgt_len) c->max_tgt_len = lt;
    }
}

int corpus_build(Corpus *c, const TextPairs *tp, const Vocab *sv, const Vocab *tv, int max_len,
                 S2sErr *err)
{
    memset(c, 0, sizeof *c);
    for (int i = 0; i < tp->npairs; i++) {
        int verdict = pair_verdict(tp, i, max_len);
        c->skipped_empty += verdict == PAIR_EMPTY;
        c->skipped_long += verdict == PAIR_LONG;
        if (verdict != PAIR_KEEP)
            continue;
        c->npairs++;
        c->src_tokens += textpairs_len(tp, TEXT_SRC, i);
        c->tgt_tokens += textpairs_len(tp, TEXT_TGT, i);
    }
    int rc = 0;
    if (c->npairs == 0) {
        rc = s2s_fail(err, S2S_EINVAL, "no usable sentence pairs (%d too long, %d empty)",
                      c->skipped_long, c->skipped_empty);
        goto fail;
    }
    if (c->src_tokens > INT_MAX || c->tgt_tokens > INT_MAX) {
        rc = s2s_fail(err, S2S_EINVAL, "corpus too large: %ld source and %ld target tokens "
                      "(at most %d each)", c->src_tokens, c->tgt_tokens, INT_MAX);
        goto fail;
    }
    size_t n = (size_t)c->npairs;
    c->src_off = s2s_malloc((n + 1) * sizeof *c->src_off);
    c->tgt_off = s2s_malloc((n + 1) * sizeof *c->tgt_off);
    c->src_ids = s2s_malloc((size_t)c->src_tokens * sizeof *c->src_ids);
    c->tgt_ids = s2s_malloc((size_t)c->tgt_tokens * sizeof *c->tgt_ids);
    c->line_index = s2s_malloc(n * sizeof *c->line_index);
    if (!c->src_off || !c->tgt_off || !c->src_ids || !c->tgt_ids || !c->line_index) {
        rc = s2s_fail(err, S2S_ENOMEM, "corpus: out of memory");
        goto fail;
    }
    corpus_fill(c, tp, sv, tv, max_len);
    return 0;
fail:
    corpus_free(c);
    return rc;
}

int corpus_src_len(const Corpus *c, int i) { return c->src_off[i + 1] - c->src_off[i]; }
int corpus_tgt_len(const Corpus *c, int i) { return c->tgt_off[i + 1] - c->tgt_off[i]; }

void corpus_free(Corpus *c)
{
    free(c->src_off);
    free(c->tgt_off);
    free(c->src_ids);
    free(c->tgt_ids);
    free(c->line_index);
    memset(c, 0, sizeof *c);
}

/* ---- Batcher ---- */

static long max_long(long a, long b) { return a > b ? a : b; }

/* Batches are the consecutive chunks of order, in order. */
static void batcher_cut(Batcher *b)
{
    memcpy(b->start, b->cut, ((size_t)b->nbatches + 1) * sizeof *b->start);
}

static int batcher_alloc(Batcher *b, S2sErr *err)
{
    size_t n = (size_t)b->npairs, nb = (size_t)b->nbatches;
    b->order = s2s_malloc(n * sizeof *b->order);
    b->scratch = s2s_malloc(n * sizeof *b->scratch);
    b->start = s2s_malloc((nb + 1) * sizeof *b->start);
    b->chunks = s2s_malloc(nb * sizeof *b->chunks);
    if (!b->cut)
        b->cut = s2s_malloc((nb + 1) * sizeof *b->cut);
    if (!b->order || !b->scratch || !b->start || !b->chunks || !b->cut) {
        batcher_free(b);
        return s2s_fail(err, S2S_ENOMEM, "batcher: out of memory");
    }
    for (int i = 0; i < b->npairs; i++)
        b->order[i] = i;
    return 0;
}

int batcher_init(Batcher *b, const Corpus *c, int batch_size, S2sErr *err)
{
    memset(b, 0, sizeof *b);
    if (batch_size < 1)
        return s2s_fail(err, S2S_EINVAL, "batch size %d: must be at least 1", batch_size);
    b->npairs = c->npairs;
    b->batch_size = batch_size;
    b->nbatches = (int)(((long)c->npairs + batch_size - 1) / batch_size);
    int rc = batcher_alloc(b, err);
    if (rc)
        return rc;
    for (int k = 0; k < b->nbatches; k++)
        b->cut[k] = (int)((long)k * b->batch_size);
    b->cut[b->nbatches] = b->npairs;
    batcher_cut(b);
    return 0;
}

/* Whether pair a sorts strictly before pair b: by source, then target length. */
static int len_before(const Corpus *c, int a, int b)
{
    int sa = corpus_src_len(c, a), sb = corpus_src_len(c, b);
    if (sa != sb)
        return sa < sb;
    return corpus_tgt_len(c, a) < corpus_tgt_len(c, b);
}

static void merge_runs(const Corpus *c, const int *in, int *out, size_t lo, size_t mid,
                       size_t hi)
{
    size_t i = lo, j = mid, k = lo;
    while (i < mid && j < hi) /* ties take the left run first: stable */
        out[k++] = len_before(c, in[j], in[i]) ? in[j++] : in[i++];
    while (i < mid)
        out[k++] = in[i++];
    while (j < hi)
        out[k++] = in[j++];
}

/* Stable bottom-up merge sort of a[0..n) by length, using tmp[0..n). */
static void sort_by_length(const Corpus *c, int *a, int *tmp, size_t n)
{
    int *in = a, *out = tmp;
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n;
            size_t hi = lo + 2 * w < n ? lo + 2 * w : n;
            merge_runs(c, in, out, lo, mid, hi);
        }
        int *t = in;
        in = out;
        out = t;
    }
    if (in != a)
        memcpy(a, in, n * sizeof *a);
}

/* Cuts the sorted order a[0..n) into chunks of B x max(Ts, Tt) <= words
 * (a longer pair alone): cut (n + 1) gets their starts, then n; returns
 * their number. */
static int cut_by_words(const Corpus *c, const int *a, int n, long words, int *cut)
{
    int k = 0, lo = 0;
    long T = 0;
    cut[0] = 0;
    if (n == 0)
        return 0;
    for (int i = 0; i < n; i++) {
        long s = corpus_src_len(c, a[i]), t = corpus_tgt_len(c, a[i]) + 1;
        long need = s > t ? s : t, T2 = T > need ? T : need;
        if (i > lo && (long)(i - lo + 1) * T2 > words)
            cut[++k] = lo = i, T2 = need;
        T = T2;
    }
    cut[++k] = n;
    return k;
}

int batcher_init_words(Batcher *b, const Corpus *c, long words, S2sErr *err)
{
    memset(b, 0, sizeof *b);
    if (words < 1)
        return s2s_fail(err, S2S_EINVAL, "batch of %ld words: must be at least 1", words);
    b->npairs = c->npairs;
    b->words = words;
    int *sorted = s2s_malloc((size_t)c->npairs * sizeof *sorted);
    int *tmp = s2s_malloc((size_t)c->npairs * sizeof *tmp);
    b->cut = s2s_malloc(((size_t)c->npairs + 1) * sizeof *b->cut);
    int rc = 0;
    if (!sorted || !tmp || !b->cut) {
        rc = s2s_fail(err, S2S_ENOMEM, "batcher: out of memory");
        batcher_free(b);
    } else {
        for (int i = 0; i < c->npairs; i++)
            sorted[i] = i;
        sort_by_length(c, sorted, tmp, (size_t)c->npairs);
        b->nbatches = cut_by_words(c, sorted, c->npairs, words, b->cut);
        if (!(rc = batcher_alloc(b, err))) {
            memcpy(b->order, sorted, (size_t)c->npairs * sizeof *sorted);
            batcher_cut(b);
        }
    }
    free(sorted);
    free(tmp);
    return rc;
}

BatchCap batcher_shard_cap(const Batcher *b, const Corpus *c, int parts)
{
    if (b->words == 0) /* any pairs may share a batch */
        return batch_cap((b->batch_size + parts - 1) / parts, c->max_src_len, c->max_tgt_len);
    BatchCap cap = {0};
    for (int k = 0; k < b->nbatches; k++) { /* every epoch has the same shapes */
        int s = 0, t = 0, n = b->start[k + 1] - b->start[k], per = (n + parts - 1) / parts;
        for (int i = b->start[k]; i < b->start[k + 1]; i++) {
            int ls = corpus_src_len(c, b->order[i]), lt = corpus_tgt_len(c, b->order[i]);
            s = ls > s ? ls : s, t = lt > t ? lt : t;
        }
        BatchCap one = {per, s, t, (long)per * s, (long)per * (t + 1)};
        cap = batch_cap_max(cap, one);
    }
    return cap;
}

void batcher_epoch(Batcher *b, const Corpus *c, uint64_t seed, int epoch)
{
    S2S_INVARIANT(b->npairs == c->npairs);
    Rng r;
    rng_seed(&r, seed * 1000003u + (uint64_t)epoch);
    for (int i = 0; i < b->npairs; i++)
        b->order[i] = i;
    rng_shuffle_int(&r, b->order, b->npairs);
    sort_by_length(c, b->order, b->scratch, (size_t)b->npairs);
    for (int k = 0; k < b->nbatches; k++)
        b->chunks[k] = k;
    rng_shuffle_int(&r, b->chunks, b->nbatches);
    int pos = 0;
    for (int k = 0; k < b->nbatches; k++) {
        long lo = b->cut[b->chunks[k]], hi = b->cut[b->chunks[k] + 1];
        b->start[k] = pos;
        memcpy(b->scratch + pos, b->order + lo, (size_t)(hi - lo) * sizeof *b->order);
        pos += (int)(hi - lo);
    }
    b->start[b->nbatches] = pos;
    int *t = b->order;
    b->order = b->scratch;
    b->scratch = t;
}

void batcher_free(Batcher *b)
{
    free(b->order);
    free(b->scratch);
    free(b->start);
    free(b->chunks);
    free(b->cut);
    memset(b, 0, sizeof *b);
}

/* ---- Batch ---- */

BatchCap batch_cap(int pairs, int src_len, int tgt_len)
{
    return (BatchCap){pairs, src_len, tgt_len, (long)pairs * src_len,
                      (long)pairs * ((long)tgt_len + 1)};
}

BatchCap batch_cap_max(BatchCap a, BatchCap b)
{
    return (BatchCap){(int)max_long(a.pairs, b.pairs), (int)max_long(a.src_len, b.src_len),
                      (int)max_long(a.tgt_len, b.tgt_len), max_long(a.src_slots, b.src_slots),
                      max_long(a.tgt_slots, b.tgt_slots)};
}

int batch_init(Batch *bt, int max_B, int max_src, int max_tgt, S2sErr *err)
{
    BatchCap cap = batch_cap(max_B, max_src, max_tgt);
    return batch_init_cap(bt, &cap, err);
}

int batch_init_cap(Batch *bt, const BatchCap *cap, S2sErr *err)
{
    memset(bt, 0, sizeof *bt);
    if (cap->pairs < 1 || cap->src_len < 1 || cap->tgt_len < 1)
        return s2s_fail(err, S2S_EINVAL, "batch of %d pairs, %d source and %d target tokens: "
                        "all must be at least 1", cap->pairs, cap->src_len, cap->tgt_len);
    /* (t, b) indices are ints. */
    long ns = cap->src_slots, nt = cap->tgt_slots;
    if (ns > INT_MAX || nt > INT_MAX || ns < 1 || nt < 1)
        return s2s_fail(err, S2S_EINVAL, "batch of %d pairs, %d source and %d target tokens: "
                        "more than %d elements", cap->pairs, cap->src_len, cap->tgt_len, INT_MAX);
    bt->max_B = cap->pairs;
    bt->max_src = cap->src_len;
    bt->max_tgt = cap->tgt_len;
    bt->src_slots = ns, bt->tgt_slots = nt;
    int max_B = cap->pairs;
    bt->src = s2s_malloc((size_t)ns * sizeof *bt->src);
    bt->src_mask = s2s_malloc((size_t)ns * sizeof *bt->src_mask);
    bt->tgt_in = s2s_malloc((size_t)nt * sizeof *bt->tgt_in);
    bt->tgt_out = s2s_malloc((size_t)nt * sizeof *bt->tgt_out);
    bt->tgt_mask = s2s_malloc((size_t)nt * sizeof *bt->tgt_mask);
    bt->src_lens = s2s_malloc((size_t)max_B * sizeof *bt->src_lens);
    bt->tgt_lens = s2s_malloc((size_t)max_B * sizeof *bt->tgt_lens);
    bt->pair_index = s2s_malloc((size_t)max_B * sizeof *bt->pair_index);
    if (!bt->src || !bt->src_mask || !bt->tgt_in || !bt->tgt_out || !bt->tgt_mask ||
        !bt->src_lens || !bt->tgt_lens || !bt->pair_index) {
        batch_free(bt);
        return s2s_fail(err, S2S_ENOMEM, "batch: out of memory");
    }
    return 0;
}

/* Writes pair p into column b of the already padded arrays. */
static void batch_put_pair(Batch *bt, const Corpus *c, int b, int p, int reverse)
{
    int B = bt->B, ls = corpus_src_len(c, p), lt = corpus_tgt_len(c, p);
    const int32_t *x = c->src_ids + c->src_off[p], *y = c->tgt_ids + c->tgt_off[p];
    for (int t = 0; t < ls; t++) {
        bt->src[t * B + b] = reverse ? x[ls - 1 - t] : x[t];
        bt->src_mask[t * B + b] = 1.0f;
    }
    bt->tgt_in[b] = VOCAB_BOS;
    for (int t = 0; t < lt; t++) {
        bt->tgt_in[(t + 1) * B + b] = y[t];
        bt->tgt_out[t * B + b] = y[t];
    }
    bt->tgt_out[lt * B + b] = VOCAB_EOS;
    for (int t = 0; t <= lt; t++)
        bt->tgt_mask[t * B + b] = 1.0f;
    bt->src_lens[b] = ls;
    bt->tgt_lens[b] = lt;
    bt->pair_index[b] = p;
    bt->src_tokens += ls;
    bt->tgt_tokens += lt + 1;
}

void batch_fill_pairs(Batch *bt, const Corpus *c, const int *pairs, int n, int reverse)
{
    S2S_INVARIANT(n >= 0 && n <= bt->max_B);
    int Ts = 0, Tt = 0;
    for (int b = 0; b < n; b++) {
        S2S_INVARIANT(pairs[b] >= 0 && pairs[b] < c->npairs);
        int ls = corpus_src_len(c, pairs[b]), lt = corpus_tgt_len(c, pairs[b]) + 1;
        Ts = ls > Ts ? ls : Ts;
        Tt = lt > Tt ? lt : Tt;
    }
    S2S_INVARIANT(Ts <= bt->max_src && Tt <= bt->max_tgt + 1);
    S2S_INVARIANT((long)Ts * n <= bt->src_slots && (long)Tt * n <= bt->tgt_slots);
    bt->B = n;
    bt->src_len = Ts;
    bt->tgt_len = Tt;
    bt->src_tokens = bt->tgt_tokens = 0;
    for (int i = 0; i < Ts * n; i++) {
        bt->src[i] = VOCAB_PAD;
        bt->src_mask[i] = 0.0f;
    }
    for (int i = 0; i < Tt * n; i++) {
        bt->tgt_in[i] = bt->tgt_out[i] = VOCAB_PAD;
        bt->tgt_mask[i] = 0.0f;
    }
    for (int b = 0; b < n; b++)
        batch_put_pair(bt, c, b, pairs[b], reverse);
}

void batch_fill(Batch *bt, const Corpus *c, const Batcher *b, int k, int reverse)
{
    S2S_INVARIANT(k >= 0 && k < b->nbatches && b->npairs == c->npairs);
    batch_fill_pairs(bt, c, b->order + b->start[k], b->start[k + 1] - b->start[k], reverse);
}

void batch_free(Batch *bt)
{
    free(bt->src);
    free(bt->src_mask);
    free(bt->tgt_in);
    free(bt->tgt_out);
    free(bt->tgt_mask);
    free(bt->src_lens);
    free(bt->tgt_lens);
    free(bt->pair_index);
    memset(bt, 0, sizeof *bt);
}
