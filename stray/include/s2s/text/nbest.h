/* nbest.h: n-best lists in the Moses/Marian format, one hypothesis a line:
 *
 *   i ||| hypothesis ||| F0= -1.23 LM= -4.5 ||| -0.456
 *
 * (0-based sentence index, the text, named feature scores, the total), and
 * optionally a fifth field (s2s translate --alignment's) kept as it is.
 * A sentence's hypotheses are consecutive and indices never decrease.
 *
 * Rescoring (s2s score --nbest) appends a feature to each hypothesis and,
 * with a weight, re-sorts each sentence's hypotheses by total + weight x
 * feature.
 */
#ifndef S2S_NBEST_H
#define S2S_NBEST_H

#include <stddef.h>

#include "s2s/base/common.h"

/* One hypothesis; the fields are byte ranges of the line it came from. */
typedef struct {
    long id;
    long lineno;    /* the caller's: where the entry was read */
    size_t line;    /* the caller's: where the line starts in its buffer */
    size_t hyp, hyp_len, feat, feat_len, total, total_len, rest, rest_len; /* rest: 5th field */
    double total_value;
    double feature; /* the appended feature (rescoring) */
    double key;     /* total + weight x feature (re-ranking) */
    int has_rest;
} NbestEntry;

/* Parses line[0..len) (no '\n'): the byte ranges are offsets from line,
 * plus base (where the line sits in the caller's buffer). On failure
 * returns S2S_EFORMAT with what is wrong in err (the caller adds
 * file:line). */
int nbest_parse(const char *line, size_t len, size_t base, NbestEntry *e, S2sErr *err);

/* Sets each entry's key to total + w x feature and sorts e[0..n) (one
 * sentence's hypotheses) by key, best first; equal keys keep their order. */
void nbest_rerank(NbestEntry *e, int n, double w);

/* A feature name for "NAME= value": non-empty, printable ASCII, without
 * spaces, '=' or '|'. */
int nbest_feature_name_ok(const char *name);

#endif
