/* The statistics of s2s bleu's tests on hand-worked cases: the 95%
 * interval and mean of sacreBLEU's estimate_ci, a corpus score from summed
 * rows, a bootstrap over one segment (every resample is the corpus), the
 * p-value of two identical systems ((0 + 1) / (S + 1): no trial differs by
 * more than the real difference, 0), and the paired bootstrap of a system
 * against itself. The shared vectors (cli_bleu.sh) check the rest against
 * sacreBLEU. */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "s2s/metrics/evalsig.h"

int main(void)
{
    double sc[40];
    for (int i = 0; i < 40; i++)
        sc[i] = 40 - i; /* 40 .. 1, unsorted */
    double mean, ci;
    sig_estimate_ci(sc, 40, &mean, &ci);
    /* sorted 1..40: lower index 40 // 40 = 1 (value 2), upper 40 - 1 - 1 = 38 (value 39) */
    CHECK(mean == 20.5 && ci == 0.5 * (39 - 2));

    BleuOptions b = {0};
    ChrfOptions c = {.char_order = 6, .beta = 2};
    SigScorer ter = sig_scorer(SIG_TER, &b, &c);
    CHECK(ter.k == 2);
    double rows[] = {1, 4, 2, 6, 0, 5};         /* edits, reference length */
    CHECK(fabs(sig_corpus(&ter, rows, 3) - 100.0 * 3 / 15) < 1e-12);

    double boot[10];
    int64_t *idx = sig_resamples(12345, 1, 1, 10);
    CHECK(idx != NULL);
    sig_bootstrap(&ter, rows, 1, idx, 10, boot); /* one segment: every resample is it */
    for (int i = 0; i < 10; i++)
        CHECK(boot[i] == 25.0);
    free(idx);

    SigResult r;
    CHECK(sig_paired_ar(&ter, rows, sig_corpus(&ter, rows, 3), rows, 3, 7, 1, 99, &r) == 0);
    CHECK(r.has_p && fabs(r.p - 1.0 / 100) < 1e-15 && !r.has_ci);
    CHECK(sig_paired_bs(&ter, rows, sig_corpus(&ter, rows, 3), rows, 3, 7, 1, 50, &r) == 0);
    CHECK(r.has_p && r.has_ci && r.p == 1.0 / 51); /* differences all 0, their mean 0 */
    CHECK(sig_confidence(&ter, rows, 3, 7, 1, 200, &r) == 0 && r.has_ci && r.ci >= 0);
    CHECK(r.mean > 0 && r.mean < 100 * 2.0 / 6 + 1e-9); /* between the extremes 1/4..2/6 of one segment */
    return check_exit_code("test_evalsig");
}
