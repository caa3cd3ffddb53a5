/* lexicon.c: learning a lexical shortlist from a parallel corpus
 * (shortlist.h): IBM Model 1 by EM, or plain co-occurrence counts.
 *
 * Both keep one number per (source, target) pair of tokens that occur in
 * one sentence pair, in an open-addressing table keyed by the pair; the
 * empty source word of IBM Model 1 is source id vs (one past the
 * vocabulary). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "s2s/decode/shortlist.h"

typedef struct {
    uint64_t *key;  /* (cap) (source + 1) << 32 | target; 0: free */
    double *t, *n;  /* (cap) p(target | source) and its expected count */
    size_t cap, used;
} PairTable;

static uint64_t pair_key(int s, int t) { return (uint64_t)(s + 1) << 32 | (uint32_t)t; }

static size_t pair_hash(uint64_t k, size_t cap)
{
    k ^= k >> 33, k *= 0xff51afd7ed558ccdULL, k ^= k >> 33;
    return (size_t)k & (cap - 1);
}

/* The slot of key (a free one if absent). */
static size_t pair_slot(const PairTable *p, uint64_t k)
{
    size_t i = pair_hash(k, p->cap);
    while (p->key[i] && p->key[i] != k)
        i = (i + 1) & (p->cap - 1);
    return i;
}

static int pair_alloc(PairTable *p, size_t cap)
{
    p->cap = cap, p->used = 0;
    p->key = calloc(cap, sizeof *p->key);
    p->t = calloc(cap, sizeof *p->t);
    p->n = calloc(cap, sizeof *p->n);
    return p->key && p->t && p->n ? 0 : S2S_ENOMEM;
}

static void pair_free(PairTable *p)
{
    free(p->key);
    free(p->t);
    free(p->n);
    memset(p, 0, sizeof *p);
}

static int pair_grow(PairTable *p)
{
    PairTable g;
    if (pair_alloc(&g, p->cap * 2)) {
        pair_free(&g);
        return S2S_ENOMEM;
    }
    for (size_t i = 0; i < p->cap; i++)
        if (p->key[i])
            g.key[pair_slot(&g, p->key[i])] = p->key[i], g.used++;
    pair_free(p);
    *p = g;
    return 0;
}

static int pair_add(PairTable *p, int s, int t)
{
    uint64_t k = pair_key(s, t);
    size_t i = pair_slot(p, k);
    if (p->key[i])
        return 0;
    if (2 * (p->used + 1) > p->cap) {
        if (pair_grow(p))
            return S2S_ENOMEM;
        i = pair_slot(p, k);
    }
    p->key[i] = k, p->used++;
    return 0;
}

/* Every pair of tokens that meet in a sentence pair, and the empty word's. */
static int collect_pairs(PairTable *p, const Corpus *c, int vs, S2sErr *err)
{
    if (pair_alloc(p, 1 << 16))
        return s2s_fail(err, S2S_ENOMEM, "out of memory for the lexicon");
    for (int k = 0; k < c->npairs; k++) {
        const int32_t *e = c->src_ids + c->src_off[k], *f = c->tgt_ids + c->tgt_off[k];
        int Te = corpus_src_len(c, k), Tf = corpus_tgt_len(c, k);
        for (int j = 0; j < Tf; j++)
            for (int i = -1; i < Te; i++)
                if (pair_add(p, i < 0 ? vs : e[i], f[j]))
                    return s2s_fail(err, S2S_ENOMEM, "out of memory for the lexicon (%zu pairs)",
                                    p->used);
    }
    return 0;
}

/* One pass of expected counts into p->n: IBM Model 1's E-step, or (cooc)
 * plain counts without the empty word. Returns the corpus' log-likelihood
 * per target token under the current p->t (IBM Model 1). */
static double expect(PairTable *p, const Corpus *c, int vs, LexiconMethod m)
{
    double ll = 0;
    long tokens = 0;
    memset(p->n, 0, sizeof(double) * p->cap);
    for (int k = 0; k < c->npairs; k++) {
        const int32_t *e = c->src_ids + c->src_off[k], *f = c->tgt_ids + c->tgt_off[k];
        int Te = corpus_src_len(c, k), Tf = corpus_tgt_len(c, k);
        for (int j = 0; j < Tf; j++) {
            double z = 0;
            for (int i = m == LEXICON_IBM1 ? -1 : 0; i < Te; i++)
                z += m == LEXICON_IBM1 ? p->t[pair_slot(p, pair_key(i < 0 ? vs : e[i], f[j]))] : 1;
            for (int i = m == LEXICON_IBM1 ? -1 : 0; i < Te; i++) {
                size_t s = pair_slot(p, pair_key(i < 0 ? vs : e[i], f[j]));
                p->n[s] += m == LEXICON_IBM1 ? p->t[s] / z : 1;
            }
            ll += log(z / (Te + 1)), tokens++;
        }
    }
    return tokens ? ll / (double)tokens : 0;
}

/* The M-step: t(f | e) = n(e, f) / sum_f n(e, f). */
static int normalise(PairTable *p, int vs, S2sErr *err)
{
    double *tot = calloc((size_t)vs + 1, sizeof *tot);
    if (!tot)
        return s2s_fail(err, S2S_ENOMEM, "out of memory for the lexicon");
    for (size_t i = 0; i < p->cap; i++)
        if (p->key[i])
            tot[(p->key[i] >> 32) - 1] += p->n[i];
    for (size_t i = 0; i < p->cap; i++)
        if (p->key[i]) {
            double z = tot[(p->key[i] >> 32) - 1];
            p->t[i] = z > 0 ? p->n[i] / z : 0;
        }
    free(tot);
    return 0;
}

typedef struct {
    int32_t src, tgt;
    double prob;
} Learned;

static int by_source_prob(const void *x, const void *y)
{
    const Learned *a = x, *b = y;
    if (a->src != b->src)
        return a->src < b->src ? -1 : 1;
    if (a->prob != b->prob)
        return a->prob > b->prob ? -1 : 1;
    return (a->tgt > b->tgt) - (a->tgt < b->tgt);
}

/* The best entries of each source token (the empty word left out), in
 * Marian's lex.s2t format. */
static int write_best(const PairTable *p, const Vocab *sv, const Vocab *tv, int best, FILE *out,
                      S2sErr *err)
{
    Learned *l = malloc(sizeof *l * (p->used ? p->used : 1));
    size_t n = 0;
    if (!l)
        return s2s_fail(err, S2S_ENOMEM, "out of memory for the lexicon");
    for (size_t i = 0; i < p->cap; i++)
        if (p->key[i] && (int)(p->key[i] >> 32) - 1 < sv->size && p->t[i] > 0)
            l[n++] = (Learned){(int32_t)((p->key[i] >> 32) - 1), (int32_t)(p->key[i] & 0xffffffffu),
                               p->t[i]};
    qsort(l, n, sizeof *l, by_source_prob);
    for (size_t i = 0, run = 0; i < n; i++) {
        run = i && l[i].src == l[i - 1].src ? run + 1 : 0;
        if ((int)run < best)
            fprintf(out, "%s %s %.6g\n", vocab_word(tv, l[i].tgt), vocab_word(sv, l[i].src),
                    l[i].prob);
    }
    free(l);
    return ferror(out) ? s2s_fail(err, S2S_EIO, "write error") : 0;
}

int lexicon_learn(const Corpus *c, const Vocab *sv, const Vocab *tv, const LexiconOptions *o,
                  FILE *out, S2sErr *err)
{
    PairTable p = {0};
    int vs = sv->size, rounds = o->method == LEXICON_IBM1 ? o->iterations : 1;
    int rc = collect_pairs(&p, c, vs, err);
    if (!rc && o->progress)
        fprintf(o->progress, "s2s shortlist: %d sentence pairs, %zu token pairs that meet\n",
                c->npairs, p.used);
    for (size_t i = 0; i < p.cap; i++)
        p.t[i] = 1.0 / tv->size; /* uniform */
    for (int it = 0; !rc && it < rounds; it++) {
        double ll = expect(&p, c, vs, o->method);
        rc = normalise(&p, vs, err);
        if (o->progress && o->method == LEXICON_IBM1)
            fprintf(o->progress, "s2s shortlist: EM iteration %d/%d, log-likelihood per target "
                                 "token %.4f\n", it + 1, rounds, ll);
    }
    if (!rc)
        rc = write_best(&p, sv, tv, o->best, out, err);
    pair_free(&p);
    return rc;
}

int lexicon_learn_files(const TranslationModel *tm, const char *src, const char *tgt,
                        long max_line, int max_len, const LexiconOptions *o, FILE *out,
                        S2sErr *err)
{
    TextPairs tp = {0};
    Corpus c = {0};
    int rc = textpairs_read(&tp, src, tgt, &tm->tokenizer, max_line, err);
    if (!rc)
        rc = corpus_build(&c, &tp, &tm->src_vocab, &tm->tgt_vocab, max_len, err);
    textpairs_free(&tp);
    if (!rc && o->progress && c.skipped_long)
        fprintf(o->progress, "s2s shortlist: %d pairs longer than %d tokens left out\n",
                c.skipped_long, max_len);
    if (!rc)
        rc = lexicon_learn(&c, &tm->src_vocab, &tm->tgt_vocab, o, out, err);
    corpus_free(&c);
    return rc;
}

const char *lexicon_method_name(LexiconMethod m) { return m == LEXICON_COOC ? "cooc" : "ibm1"; }

int lexicon_method_from_name(const char *name, LexiconMethod *m)
{
    if (!strcmp(name, "ibm1"))
        *m = LEXICON_IBM1;
    else if (!strcmp(name, "cooc"))
        *m = LEXICON_COOC;
    else
        return S2S_EINVAL;
    return 0;
}
