/* ter.h: translation edit rate (TER) exactly as sacreBLEU 2.6.0 computes it:
 * its tercom-compatible tokenizer, then per reference the fewest edits
 * (insertions, deletions, substitutions, and shifts of word blocks found by
 * tercom's greedy search), the best reference's edits over the average
 * reference length.
 *
 * The edit distance is Levenshtein restricted to a band around the
 * length-ratio diagonal (sacreBLEU's "beam", 25 cells either side, wider
 * for very unequal lengths; the last row is full), with sacreBLEU's
 * tie-breaking between substitution, deletion and insertion, so the
 * alignments and therefore the shifts tried are sacreBLEU's. Shifts:
 * blocks of up to 10 words moved at most 50 positions, at most 1,000
 * candidates per segment, ranked by (edits saved, length, earliest start,
 * earliest target). The band is stored row by row, so memory is linear in
 * the segment's words.
 */
#ifndef S2S_TER_H
#define S2S_TER_H

#include <stddef.h>
#include <stdint.h>

#include "s2s/base/text.h"

typedef struct {
    int normalized;     /* --ter-normalized: tercom's punctuation and XML-entity normalisation */
    int no_punct;       /* --ter-no-punct: drop . , ? : ; ! " ( ) */
    int asian;          /* --ter-asian-support: CJK characters split, CJK punctuation too */
    int case_sensitive; /* --ter-case-sensitive: no lowercasing */
} TerOptions;

/* Sufficient statistics: summed over segments they give the corpus score. */
typedef struct {
    double edits;   /* the best reference's edits */
    double ref_len; /* the references' average length in words */
} TerStats;

/* Reusable buffers; zero-initialise, free with ter_scratch_free. */
typedef struct {
    U32Buf cp, low, tmp; /* the tokenizer's */
    U32Buf store, tok;   /* the segment's words, one side's tokenisation */
    int32_t *words; /* word ids: the hypothesis, then each reference */
    size_t words_cap;
    int32_t *seen;  /* hash table of word ids (the first occurrence's word index) */
    size_t seen_cap;
    size_t *wpos;   /* each word's first code point in store, and its length */
    int32_t *wlen;
    size_t wcap;
    int64_t *cost;  /* the band of the edit distance matrix, row by row */
    char *op;
    size_t band_cap;
    int32_t *lo, *hi; /* (rows) each row's band [lo, hi) */
    size_t *off;
    size_t rows_cap;
    int64_t *roll;  /* two rolling rows for the candidates' distances */
    size_t roll_cap;
    int32_t side[65]; /* the first word of each side (hypothesis, references) and the end */
    int32_t *cur, *cand, *best; /* the hypothesis as shifted so far, a candidate, the best */
    int32_t *align, *herr, *rerr;
    char *trace;
    size_t seq_cap;
} TerScratch;

void ter_scratch_free(TerScratch *s);

/* The statistics of one segment: hypothesis hyp[0..hn) and nr references
 * (valid UTF-8, already right-stripped as sacreBLEU does). 0 or S2S_ENOMEM. */
int ter_segment(TerScratch *s, const TerOptions *o, const char *hyp, size_t hn,
                const char *const *refs, const size_t *rn, int nr, TerStats *out);
/* Edits between two word-id sequences (TER's numerator for one reference):
 * shifts + the banded edit distance after them; < 0 out of memory. */
long ter_edits(TerScratch *s, const int32_t *hyp, int nh, const int32_t *ref, int nr);
/* The tercom tokenisation of text[0..n) as sacreBLEU gives it: words
 * separated by single spaces, into out (replacing its content). */
int ter_tokenize(TerScratch *s, const TerOptions *o, const char *text, size_t n, U32Buf *out);

/* 100 x edits / reference length (100 when the references are empty and
 * the hypothesis is not, 0 when both are). */
double ter_score(const TerStats *st);
/* The same from float32 statistics (sacreBLEU's resamples): the ratio in
 * single precision when f32. */
double ter_score_ex(const TerStats *st, int f32);

#endif
