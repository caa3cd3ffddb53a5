/* evalsig.h: sacreBLEU 2.6.0's statistics over systems: bootstrap
 * confidence intervals (--confidence), paired bootstrap resampling
 * (--paired-bs) and paired approximate randomization (--paired-ar), drawing
 * the resamples NumPy's default_rng(seed) draws (nprandom.h).
 *
 * Each segment's sufficient statistics are a row of k numbers (BLEU: sys
 * and ref length, then matches and totals per order; chrF: hypothesis,
 * reference and matching n-grams per order; TER: edits and average
 * reference length); a score is computed from a sum of rows. Resampling
 * sums rows, once per resample, so the statistics are computed once.
 */
#ifndef S2S_EVALSIG_H
#define S2S_EVALSIG_H

#include <stdint.h>

#include "s2s/metrics/bleu.h"
#include "s2s/metrics/chrf.h"
#include "s2s/metrics/ter.h"

typedef enum { SIG_BLEU = 0, SIG_CHRF, SIG_TER } SigMetric;

typedef struct {
    SigMetric metric;
    int k;                 /* numbers per segment */
    const BleuOptions *b;  /* the metric's options */
    const ChrfOptions *c;
} SigScorer;

/* The scorer of a metric; k from its options. */
SigScorer sig_scorer(SigMetric m, const BleuOptions *b, const ChrfOptions *c);
/* A segment's statistics as a row (k numbers). */
void sig_row_bleu(const BleuStats *st, double *row);
void sig_row_chrf(const ChrfStats *st, int orders, double *row);
void sig_row_ter(const TerStats *st, double *row);
/* The corpus score of summed rows. */
double sig_score(const SigScorer *s, const double *sum);
/* The score of all n rows. */
double sig_corpus(const SigScorer *s, const double *rows, int n);

/* A test's result, as sacreBLEU's Result: the score; the p-value against
 * the baseline (has_p); the bootstrap mean and half the 95% interval (has_ci). */
typedef struct {
    double score, p, mean, ci;
    int has_p, has_ci;
} SigResult;

/* The resamples of n segments: S rows of n indices, as
 * default_rng(seed).choice(n, size=(S, n)) draws them (seeded 0: from the OS). */
int64_t *sig_resamples(uint64_t seed, int seeded, int n, int S);
/* Mean and half the 95% interval of S scores (sorted in place), as
 * sacreBLEU's estimate_ci. */
void sig_estimate_ci(double *scores, int S, double *mean, double *ci);
/* Bootstrap: the score of each resample of rows. 0 or S2S_ENOMEM. */
int sig_bootstrap(const SigScorer *s, const double *rows, int n, const int64_t *idx, int S,
                  double *scores);
/* --confidence for one system (and the baseline of --paired-bs). */
int sig_confidence(const SigScorer *s, const double *rows, int n, uint64_t seed, int seeded,
                   int S, SigResult *out);
/* --paired-bs: system rows sys against the baseline's bl (its score bl_score). */
int sig_paired_bs(const SigScorer *s, const double *bl, double bl_score, const double *sys, int n,
                  uint64_t seed, int seeded, int S, SigResult *out);
/* --paired-ar: approximate randomization with S trials. */
int sig_paired_ar(const SigScorer *s, const double *bl, double bl_score, const double *sys, int n,
                  uint64_t seed, int seeded, int S, SigResult *out);

#endif
