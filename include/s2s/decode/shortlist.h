/* shortlist.h: a lexical shortlist (Marian's --shortlist, CTranslate2's
 * vocabulary map): decoding restricted, per batch, to the target tokens a
 * batch's sources make likely, so the output layer multiplies and
 * normalises over a few hundred rows instead of the whole vocabulary.
 *
 * The file is Marian's text lexicon (lex.s2t): one entry per line,
 *     TARGET_TOKEN SOURCE_TOKEN PROBABILITY
 * separated by single spaces or tabs, tokens as the model's vocabularies
 * spell them (after its tokenizer and BPE); lines whose source is NULL
 * (an aligner's empty word) and tokens a vocabulary lacks are skipped.
 * `s2s shortlist learn` writes one from a parallel corpus (lexicon below).
 *
 * A batch's columns are the union of the target vocabulary's FIRST entries
 * (the vocabulary is sorted by corpus frequency, so: the FIRST most
 * frequent tokens, the specials among them), each source token's BEST most
 * probable targets, and, when scoring, the target tokens scored. The
 * specials <pad> <unk> <s> </s> are always in and keep their ids as
 * columns 0..3; the other columns follow in token-id order, so a union of
 * the whole vocabulary is the identity and decodes exactly as without one.
 * Log-probabilities (scores, n-best, `s2s score`) are then normalised over
 * the batch's columns, not the whole vocabulary.
 */
#ifndef S2S_SHORTLIST_H
#define S2S_SHORTLIST_H

#include <stdint.h>
#include <stdio.h>

#include "s2s/base/common.h"
#include "s2s/model/checkpoint.h"
#include "s2s/text/corpus.h"
#include "s2s/text/vocab.h"

typedef struct {
    int src_vocab, tgt_vocab; /* the sizes of the vocabularies it was read for */
    int first, best;          /* FIRST and BEST (above) */
    int *off;                 /* (src_vocab + 1) source id s: entries off[s] .. off[s + 1] */
    int32_t *tgt;             /* (entries) the targets, most probable first */
    float *prob;              /* (entries) */
    long entries;             /* kept (at most best per source token) */
    long skipped;             /* lines skipped: a token not in the vocabularies, or NULL */
} Shortlist;

/* Marian's defaults: --shortlist FILE 100 100. */
enum { SHORTLIST_FIRST = 100, SHORTLIST_BEST = 100 };

/* Reads path for a model with vocabularies sv (source) and tv (target).
 * Errors name the file and line ("lex.s2t:12: expected 'TARGET SOURCE
 * PROBABILITY'", "...: probability 'x' is not a number >= 0"); a file
 * with no entry the vocabularies know is an error too. */
int shortlist_load(Shortlist *sl, const char *path, const Vocab *sv, const Vocab *tv, int first,
                   int best, S2sErr *err);
void shortlist_free(Shortlist *sl);

/* The columns of a batch: src[s][0..src_len[s]) for s < S, and (scoring)
 * tgt[s][0..tgt_len[s]) (tgt may be NULL). cols (tgt_vocab) gets the
 * column -> token map, colof (tgt_vocab) the token -> column map (-1: not
 * a column). Returns the number of columns. */
int shortlist_columns(const Shortlist *sl, const int32_t *const *src, const int *src_len, int S,
                      const int32_t *const *tgt, const int *tgt_len, int32_t *cols,
                      int32_t *colof);

/* ---- learning one ---- */

typedef enum { LEXICON_IBM1 = 0, LEXICON_COOC } LexiconMethod;

typedef struct {
    LexiconMethod method;
    int iterations; /* IBM Model 1: EM iterations */
    int best;       /* entries kept per source token */
    FILE *progress; /* NULL: quiet */
} LexiconOptions;

/* p(target | source) over the pairs of c (ids in vocabularies of sizes
 * vs and vt), the `best` most probable targets of each source token
 * written to out in the format above (tokens spelled by sv and tv):
 *   ibm1  IBM Model 1 (Brown et al. 1993) with an empty source word,
 *         t(f | e) from uniform by `iterations` rounds of EM;
 *   cooc  c(e, f) / c(e): how often target token f occurs in a pair
 *         with source token e, over all of e's pairings. */
int lexicon_learn(const Corpus *c, const Vocab *sv, const Vocab *tv, const LexiconOptions *o,
                  FILE *out, S2sErr *err);
/* The same from two aligned text files, cut by tm's own tokenizer and
 * BPE and read in its vocabularies (pairs longer than max_len tokens on a
 * side are left out; lines longer than max_line bytes are an error). */
int lexicon_learn_files(const TranslationModel *tm, const char *src, const char *tgt,
                        long max_line, int max_len, const LexiconOptions *o, FILE *out,
                        S2sErr *err);
const char *lexicon_method_name(LexiconMethod m);
int lexicon_method_from_name(const char *name, LexiconMethod *m);

#endif
