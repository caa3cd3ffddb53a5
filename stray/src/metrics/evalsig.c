/* evalsig.c: bootstrap and paired tests over segment statistics (evalsig.h). */
#include "s2s/metrics/evalsig.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "s2s/base/common.h"
#include "s2s/metrics/nprandom.h"

SigScorer sig_scorer(SigMetric m, const BleuOptions *b, const ChrfOptions *c)
{
    int k = m == SIG_BLEU ? 2 + 2 * BLEU_ORDER : m == SIG_CHRF ? 3 * (c->char_order + c->word_order) : 2;
    return (SigScorer){m, k, b, c};
}

void sig_row_bleu(const BleuStats *st, double *row)
{
    row[0] = (double)st->sys_len, row[1] = (double)st->ref_len;
    for (int i = 0; i < BLEU_ORDER; i++)
        row[2 + i] = (double)st->correct[i], row[2 + BLEU_ORDER + i] = (double)st->total[i];
}

void sig_row_chrf(const ChrfStats *st, int orders, double *row)
{
    for (int i = 0; i < orders; i++)
        row[3 * i] = (double)st->hyp[i], row[3 * i + 1] = (double)st->ref[i],
                row[3 * i + 2] = (double)st->match[i];
}

void sig_row_ter(const TerStats *st, double *row) { row[0] = st->edits, row[1] = st->ref_len; }

/* f32: the sums are a resample's, which sacreBLEU holds as float32. */
static double score_of(const SigScorer *s, const double *sum, int f32)
{
    if (s->metric == SIG_BLEU) {
        BleuStats st = {(long)sum[0], (long)sum[1], {0}, {0}};
        BleuScore sc;
        for (int i = 0; i < BLEU_ORDER; i++)
            st.correct[i] = (long)sum[2 + i], st.total[i] = (long)sum[2 + BLEU_ORDER + i];
        bleu_compute(&st, s->b, &sc);
        return sc.score;
    }
    if (s->metric == SIG_CHRF) {
        ChrfStats st;
        memset(&st, 0, sizeof st);
        for (int i = 0; i < s->k / 3; i++)
            st.hyp[i] = (long)sum[3 * i], st.ref[i] = (long)sum[3 * i + 1],
            st.match[i] = (long)sum[3 * i + 2];
        return chrf_compute_ex(&st, s->c, f32);
    }
    TerStats st = {sum[0], sum[1]};
    return ter_score_ex(&st, f32);
}

double sig_score(const SigScorer *s, const double *sum) { return score_of(s, sum, 0); }

double sig_corpus(const SigScorer *s, const double *rows, int n)
{
    double sum[3 * CHRF_MAX_ORDER] = {0};
    for (int i = 0; i < n; i++)
        for (int j = 0; j < s->k; j++)
            sum[j] += rows[(size_t)i * s->k + j];
    return sig_score(s, sum);
}

static uint64_t os_seed(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (uint64_t)t.tv_sec * 1000000007u ^ (uint64_t)t.tv_nsec;
}

int64_t *sig_resamples(uint64_t seed, int seeded, int n, int S)
{
    NpRng r;
    int64_t *idx = malloc(sizeof(int64_t) * (size_t)S * (size_t)n);
    if (!idx)
        return NULL;
    nprng_seed(&r, seeded ? seed : os_seed());
    nprng_integers(&r, n, idx, (size_t)S * (size_t)n);
    return idx;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* NumPy's pairwise summation of a float64 array (what .mean() uses). */
static double pairwise_sum(const double *a, int n)
{
    if (n < 8) {
        double s = 0.;
        for (int i = 0; i < n; i++)
            s += a[i];
        return s;
    }
    if (n <= 128) {
        double r[8], s;
        for (int j = 0; j < 8; j++)
            r[j] = a[j];
        int i;
        for (i = 8; i < n - (n % 8); i += 8)
            for (int j = 0; j < 8; j++)
                r[j] += a[i + j];
        s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++)
            s += a[i];
        return s;
    }
    int n2 = n / 2;
    n2 -= n2 % 8;
    return pairwise_sum(a, n2) + pairwise_sum(a + n2, n - n2);
}

static double mean_of(const double *a, int n) { return pairwise_sum(a, n) / n; }

void sig_estimate_ci(double *scores, int S, double *mean, double *ci)
{
    qsort(scores, (size_t)S, sizeof *scores, cmp_double);
    int lo = S / 40, hi = S - lo - 1;
    *ci = 0.5 * (scores[hi] - scores[lo]);
    *mean = mean_of(scores, S);
}

int sig_bootstrap(const SigScorer *s, const double *rows, int n, const int64_t *idx, int S,
                  double *scores)
{
    for (int r = 0; r < S; r++) {
        double sum[3 * CHRF_MAX_ORDER] = {0};
        const int64_t *ix = idx + (size_t)r * n;
        for (int i = 0; i < n; i++) {
            const double *row = rows + (size_t)ix[i] * s->k;
            for (int j = 0; j < s->k; j++)
                sum[j] += row[j];
        }
        scores[r] = score_of(s, sum, 1);
    }
    return 0;
}

int sig_confidence(const SigScorer *s, const double *rows, int n, uint64_t seed, int seeded,
                   int S, SigResult *out)
{
    int64_t *idx = sig_resamples(seed, seeded, n, S);
    double *sc = malloc(sizeof(double) * (size_t)S);
    if (!idx || !sc) {
        free(idx);
        free(sc);
        return S2S_ENOMEM;
    }
    sig_bootstrap(s, rows, n, idx, S, sc);
    out->score = sig_corpus(s, rows, n);
    sig_estimate_ci(sc, S, &out->mean, &out->ci);
    out->has_ci = 1, out->has_p = 0;
    free(idx);
    free(sc);
    return 0;
}

/* sacreBLEU's _compute_p_value: (#{stats > diff} + 1) / (S + 1). */
static double p_value(const double *stats, int S, double diff)
{
    long c = 0;
    for (int i = 0; i < S; i++)
        c += stats[i] > diff;
    return (double)(c + 1) / (double)(S + 1);
}

int sig_paired_bs(const SigScorer *s, const double *bl, double bl_score, const double *sys, int n,
                  uint64_t seed, int seeded, int S, SigResult *out)
{
    int64_t *idx = sig_resamples(seed, seeded, n, S);
    double *a = malloc(sizeof(double) * (size_t)S), *b = malloc(sizeof(double) * (size_t)S);
    if (!idx || !a || !b) {
        free(idx), free(a), free(b);
        return S2S_ENOMEM;
    }
    sig_bootstrap(s, bl, n, idx, S, a);
    sig_bootstrap(s, sys, n, idx, S, b);
    out->score = sig_corpus(s, sys, n);
    double diff = fabs(bl_score - out->score);
    for (int i = 0; i < S; i++)
        a[i] = fabs(b[i] - a[i]);
    double m = mean_of(a, S);
    for (int i = 0; i < S; i++)
        a[i] -= m;
    out->p = p_value(a, S, diff), out->has_p = 1;
    sig_estimate_ci(b, S, &out->mean, &out->ci);
    out->has_ci = 1;
    free(idx), free(a), free(b);
    return 0;
}

int sig_paired_ar(const SigScorer *s, const double *bl, double bl_score, const double *sys, int n,
                  uint64_t seed, int seeded, int S, SigResult *out)
{
    NpRng r;
    unsigned char *pos = malloc((size_t)S * (size_t)n);
    double *d = malloc(sizeof(double) * (size_t)S);
    if (!pos || !d) {
        free(pos), free(d);
        return S2S_ENOMEM;
    }
    nprng_seed(&r, seeded ? seed : os_seed());
    nprng_bools(&r, pos, (size_t)S * (size_t)n);
    out->score = sig_corpus(s, sys, n);
    double diff = fabs(bl_score - out->score);
    for (int t = 0; t < S; t++) { /* pseudo-systems a (baseline where pos) and b (the other) */
        double sa[3 * CHRF_MAX_ORDER] = {0}, sb[3 * CHRF_MAX_ORDER] = {0};
        const unsigned char *p = pos + (size_t)t * n;
        for (int i = 0; i < n; i++) {
            const double *x = bl + (size_t)i * s->k, *y = sys + (size_t)i * s->k;
            const double *ra = p[i] ? x : y, *rb = p[i] ? y : x;
            for (int j = 0; j < s->k; j++)
                sa[j] += ra[j], sb[j] += rb[j];
        }
        d[t] = fabs(score_of(s, sa, 0) - score_of(s, sb, 0)); /* int64/float64 sums in sacreBLEU */
    }
    out->p = p_value(d, S, diff), out->has_p = 1, out->has_ci = 0;
    free(pos), free(d);
    return 0;
}
