/* shortlist.c: reading a lexical shortlist and a batch's columns
 * (shortlist.h); learning one is lexicon.c. */
#include "s2s/decode/shortlist.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "s2s/text/textio.h"

typedef struct {
    int32_t src, tgt;
    float prob;
} LexEntry;

/* By source, then target, then probability (highest first). */
static int by_pair(const void *x, const void *y)
{
    const LexEntry *a = x, *b = y;
    if (a->src != b->src)
        return a->src < b->src ? -1 : 1;
    if (a->tgt != b->tgt)
        return a->tgt < b->tgt ? -1 : 1;
    return a->prob > b->prob ? -1 : a->prob < b->prob;
}

/* By source, then probability (highest first), then target. */
static int by_prob(const void *x, const void *y)
{
    const LexEntry *a = x, *b = y;
    if (a->src != b->src)
        return a->src < b->src ? -1 : 1;
    if (a->prob != b->prob)
        return a->prob > b->prob ? -1 : 1;
    return (a->tgt > b->tgt) - (a->tgt < b->tgt);
}

/* The id of a token of a line, or -1 when the vocabulary lacks it. */
static int known(const Vocab *v, const char *word)
{
    int id = vocab_lookup(v, word);
    return id == VOCAB_UNK && strcmp(word, vocab_word(v, VOCAB_UNK)) ? -1 : id;
}

/* One line "TARGET SOURCE PROBABILITY" into *e: 1, 0 (skipped), or < 0. */
static int parse_line(LineReader *r, const Vocab *sv, const Vocab *tv, LexEntry *e, S2sErr *err)
{
    char *f[4], *save = NULL;
    int n = 0;
    for (char *t = strtok_r(r->line, " \t", &save); t && n < 4; t = strtok_r(NULL, " \t", &save))
        f[n++] = t;
    if (n != 3)
        return linereader_wrap(r, s2s_fail(err, S2S_EFORMAT,
                                           "expected 'TARGET SOURCE PROBABILITY', found %d fields",
                                           n), err);
    char *end = NULL;
    errno = 0;
    double p = strtod(f[2], &end);
    if (errno || *end || !isfinite(p) || p < 0)
        return linereader_wrap(r, s2s_fail(err, S2S_EFORMAT,
                                           "probability '%s' is not a number >= 0", f[2]), err);
    int t = known(tv, f[0]), s = known(sv, f[1]);
    if (t < 0 || s < 0 || !strcmp(f[1], "NULL"))
        return 0;
    *e = (LexEntry){s, t, (float)p};
    return 1;
}

static int read_entries(LineReader *r, const Vocab *sv, const Vocab *tv, LexEntry **out,
                        long *n, long *skipped, S2sErr *err)
{
    size_t cap = 0;
    int rc;
    *out = NULL, *n = 0, *skipped = 0;
    while ((rc = linereader_next(r, err)) > 0) {
        LexEntry e;
        if (r->len == 0)
            continue;
        if ((rc = parse_line(r, sv, tv, &e, err)) < 0)
            return rc;
        if (rc == 0) {
            (*skipped)++;
            continue;
        }
        LexEntry *g = s2s_grow(*out, &cap, (size_t)*n + 1, sizeof *g);
        if (!g)
            return s2s_fail(err, S2S_ENOMEM, "%s: out of memory", r->name);
        *out = g;
        (*out)[(*n)++] = e;
    }
    return rc;
}

/* Keeps one entry per (source, target), the most probable, then at most
 * `best` per source, most probable first. Returns how many are kept. */
static long prune(LexEntry *e, long n, int best)
{
    long m = 0;
    qsort(e, (size_t)n, sizeof *e, by_pair);
    for (long i = 0; i < n; i++)
        if (!m || e[i].src != e[m - 1].src || e[i].tgt != e[m - 1].tgt)
            e[m++] = e[i];
    qsort(e, (size_t)m, sizeof *e, by_prob);
    long k = 0;
    for (long i = 0, run = 0; i < m; i++) {
        run = i && e[i].src == e[i - 1].src ? run + 1 : 0;
        if (run < best)
            e[k++] = e[i];
    }
    return k;
}

static int fill(Shortlist *sl, const LexEntry *e, long n, S2sErr *err)
{
    sl->off = calloc((size_t)sl->src_vocab + 1, sizeof(int));
    sl->tgt = malloc(sizeof(int32_t) * (size_t)(n ? n : 1));
    sl->prob = malloc(sizeof(float) * (size_t)(n ? n : 1));
    if (!sl->off || !sl->tgt || !sl->prob)
        return s2s_fail(err, S2S_ENOMEM, "out of memory for a shortlist of %ld entries", n);
    for (long i = 0; i < n; i++) {
        sl->off[e[i].src + 1]++;
        sl->tgt[i] = e[i].tgt, sl->prob[i] = e[i].prob;
    }
    for (int s = 0; s < sl->src_vocab; s++)
        sl->off[s + 1] += sl->off[s];
    sl->entries = n;
    return 0;
}

int shortlist_load(Shortlist *sl, const char *path, const Vocab *sv, const Vocab *tv, int first,
                   int best, S2sErr *err)
{
    LineReader r;
    LexEntry *e = NULL;
    long n = 0;
    memset(sl, 0, sizeof *sl);
    sl->src_vocab = sv->size, sl->tgt_vocab = tv->size, sl->first = first, sl->best = best;
    int rc = linereader_open(&r, path, err);
    if (rc)
        return rc;
    rc = read_entries(&r, sv, tv, &e, &n, &sl->skipped, err);
    linereader_close(&r);
    if (!rc && n == 0)
        rc = s2s_fail(err, S2S_EFORMAT,
                      "%s: no entry whose tokens the model knows (%ld lines skipped): a "
                      "shortlist for another model's vocabularies?", path, sl->skipped);
    if (!rc)
        rc = fill(sl, e, prune(e, n, best), err);
    free(e);
    if (rc)
        shortlist_free(sl);
    return rc;
}

void shortlist_free(Shortlist *sl)
{
    free(sl->off);
    free(sl->tgt);
    free(sl->prob);
    memset(sl, 0, sizeof *sl);
}

int shortlist_columns(const Shortlist *sl, const int32_t *const *src, const int *src_len, int S,
                      const int32_t *const *tgt, const int *tgt_len, int32_t *cols,
                      int32_t *colof)
{
    int V = sl->tgt_vocab, n = 0;
    memset(colof, 0, sizeof(int32_t) * (size_t)V); /* 1: in */
    for (int v = 0; v < V && (v < sl->first || v < VOCAB_NSPECIAL); v++)
        colof[v] = 1;
    for (int s = 0; s < S; s++) {
        for (int i = 0; i < src_len[s]; i++) {
            int w = src[s][i];
            if (w < 0 || w >= sl->src_vocab)
                continue;
            for (int k = sl->off[w]; k < sl->off[w + 1]; k++)
                colof[sl->tgt[k]] = 1;
        }
        for (int i = 0; tgt && i < tgt_len[s]; i++)
            if (tgt[s][i] >= 0 && tgt[s][i] < V)
                colof[tgt[s][i]] = 1;
    }
    for (int v = 0; v < V; v++)
        if (colof[v])
            cols[n] = v, colof[v] = n++;
        else
            colof[v] = -1;
    return n;
}
