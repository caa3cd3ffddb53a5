/* fixtures.h: small in-memory corpora and models for the tests. */
#ifndef S2S_TEST_FIXTURES_H
#define S2S_TEST_FIXTURES_H

#include <stdlib.h>
#include <string.h>

#include "s2s/model/model.h"
#include "s2s/text/corpus.h"

/* A corpus of n pairs; sentence i is src[i][0..src_len[i]) etc. Token ids
 * must be >= VOCAB_NSPECIAL. Aborts on allocation failure (tests only). */
static inline void fixture_corpus(Corpus *c, int n, const int *const *src, const int *src_len,
                                  const int *const *tgt, const int *tgt_len)
{
    memset(c, 0, sizeof *c);
    c->npairs = n;
    c->src_off = calloc((size_t)n + 1, sizeof(int));
    c->tgt_off = calloc((size_t)n + 1, sizeof(int));
    c->line_index = calloc((size_t)n + 1, sizeof(int));
    for (int i = 0; i < n; i++) {
        c->src_off[i + 1] = c->src_off[i] + src_len[i];
        c->tgt_off[i + 1] = c->tgt_off[i] + tgt_len[i];
        c->line_index[i] = i;
        if (src_len[i] > c->max_src_len)
            c->max_src_len = src_len[i];
        if (tgt_len[i] > c->max_tgt_len)
            c->max_tgt_len = tgt_len[i];
    }
    c->src_ids = calloc((size_t)c->src_off[n] + 1, sizeof(int32_t));
    c->tgt_ids = calloc((size_t)c->tgt_off[n] + 1, sizeof(int32_t));
    if (!c->src_off || !c->tgt_off || !c->line_index || !c->src_ids || !c->tgt_ids)
        abort();
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < src_len[i]; j++)
            c->src_ids[c->src_off[i] + j] = src[i][j];
        for (int j = 0; j < tgt_len[i]; j++)
            c->tgt_ids[c->tgt_off[i] + j] = tgt[i][j];
    }
    c->src_tokens = c->src_off[n];
    c->tgt_tokens = c->tgt_off[n];
}

/* Three pairs of different lengths over vocabularies of 9 and 10 words,
 * so that a batch of all three has padding on both sides. */
static inline void fixture_small_corpus(Corpus *c)
{
    static const int s0[] = {4, 5, 6, 7}, s1[] = {8, 4}, s2[] = {5, 6, 8};
    static const int t0[] = {4, 5}, t1[] = {6, 7, 8, 9}, t2[] = {9, 4, 5};
    const int *src[] = {s0, s1, s2}, *tgt[] = {t0, t1, t2};
    int sl[] = {4, 2, 3}, tl[] = {2, 4, 3};
    fixture_corpus(c, 3, src, sl, tgt, tl);
}

#endif
