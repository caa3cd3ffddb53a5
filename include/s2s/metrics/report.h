/* report.h: what s2s bleu computes and prints, the way sacreBLEU 2.x
 * does: corpus or sentence-level BLEU, chrF and TER of one system, or a
 * table of several with paired bootstrap resampling or approximate
 * randomization, or one system's bootstrap confidence interval; text or
 * sacreBLEU's JSON, with its signatures. The streams are read together and
 * only statistics are kept (per segment for the tests).
 */
#ifndef S2S_REPORT_H
#define S2S_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "s2s/base/common.h"
#include "s2s/metrics/bleu.h"
#include "s2s/metrics/chrf.h"
#include "s2s/metrics/evalsig.h"
#include "s2s/metrics/ter.h"

#define EVAL_MAX_REFS 64
#define EVAL_MAX_SYS 64

/* Metrics are SigMetric's (SIG_BLEU, SIG_CHRF, SIG_TER). */
typedef struct {
    FILE *out;               /* where the report goes */
    const char *out_name;    /* its name in messages ("stdout") */
    const char *input;       /* the first system (NULL: stdin) */
    const char *systems[EVAL_MAX_SYS]; /* -i SYS1 SYS2 ...: every system */
    int nsystems;
    int paired_bs, paired_ar, confidence;
    long bs_n, ar_n, conf_n;
    uint64_t seed;           /* SACREBLEU_SEED (default 12345) */
    int seeded;              /* 0: SACREBLEU_SEED=none */
    const char *seed_name;
    long test_n;             /* > 0: the test's resamples or trials, in the signatures (bs:N|seed:S|) */
    int short_sig;           /* --short: sacreBLEU's abbreviated signature keys */
    const char *langpair;    /* -l: in the signatures (lang:de-en|), or NULL */
    int quiet, force;        /* --quiet: no warnings; --force: no tokenized-text warning */
    const SigResult *conf;   /* --confidence: the result being formatted */
    const char *refs[EVAL_MAX_REFS];
    int nrefs;
    int bleu, chrf, ter;     /* metrics asked for */
    int order[3], nmetrics;  /* the metrics in the order named (sentence level: the first) */
    int score_only, json, sentence, width;
    long max_line;
    BleuOptions b;
    ChrfOptions c;
    TerOptions t;
} EvalOptions;

/* Reads the systems and references of o and writes the report to o->out:
 * 0, or an error in err ("FILE:LINE: invalid UTF-8 ...", line counts that
 * differ, out of memory). */
int eval_run(const EvalOptions *o, S2sErr *err);

#endif
