/* chrf.h: chrF and chrF++ (Popović 2015, 2017) exactly as sacreBLEU 2.x
 * computes them: character n-grams over code points with whitespace
 * removed (unless whitespace is set), optional word n-grams over words with
 * one leading or trailing ASCII punctuation character split off, the best
 * reference per segment, statistics summed over the corpus. */
#ifndef S2S_CHRF_H
#define S2S_CHRF_H

#include <stddef.h>

#include "s2s/metrics/ngram.h"
#include "s2s/base/text.h"

#define CHRF_MAX_ORDER 16

typedef struct {
    int char_order;  /* default 6 */
    int word_order;  /* default 0; 2 = chrF++ */
    int beta;        /* default 2 */
    int lowercase, whitespace, eps_smoothing;
} ChrfOptions;

/* Per order (characters 1..char_order, then words 1..word_order):
 * hypothesis n-grams (0 when the reference has none of that order),
 * reference n-grams, matches. */
typedef struct {
    long hyp[CHRF_MAX_ORDER], ref[CHRF_MAX_ORDER], match[CHRF_MAX_ORDER];
} ChrfStats;

typedef struct {
    U32Buf line, low;  /* one side's code points, lowercased */
    U32Buf chars;      /* every side's kept characters, back to back */
    U32Buf wtext;      /* every side's words' code points, back to back */
    U32Buf wspan;      /* (start, length) pairs of the words in wtext */
    U32Buf words;      /* word ids of every side, back to back */
    NgramTable vocab, hc, hw, rc, rw; /* words; hypothesis and reference n-grams */
} ChrfScratch;

void chrf_scratch_free(ChrfScratch *s);
int chrf_segment(ChrfScratch *s, const ChrfOptions *o, const char *hyp, size_t hyp_len,
                 const char *const *refs, const size_t *ref_lens, int nrefs, ChrfStats *st);
void chrf_stats_add(ChrfStats *sum, const ChrfStats *x, int orders);
double chrf_compute(const ChrfStats *st, const ChrfOptions *o);
/* The same from statistics NumPy holds as float32 (sacreBLEU's resamples):
 * precisions and recalls divided in single precision when f32. */
double chrf_compute_ex(const ChrfStats *st, const ChrfOptions *o, int f32);

#endif
