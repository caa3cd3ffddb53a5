/* bleu.h: corpus and sentence BLEU exactly as sacreBLEU 2.x computes it
 * (Papineni et al. 2002; smoothing after Chen & Cherry 2014): its
 * tokenizers (13a, intl, char, none), Python str.lower() lowercasing,
 * clipped n-gram counts against the maximum over references, the closest
 * reference length with ties to the shorter, and the same floating-point
 * operations in the same order.
 *
 * Statistics are per segment and summed; memory does not grow with the
 * corpus. A BleuScratch holds the buffers one segment needs.
 */
#ifndef S2S_BLEU_H
#define S2S_BLEU_H

#include <stddef.h>

#include "s2s/metrics/ngram.h"
#include "s2s/base/text.h"

#define BLEU_ORDER 4

typedef enum { BLEU_TOK_13A = 0, BLEU_TOK_INTL, BLEU_TOK_CHAR, BLEU_TOK_NONE } BleuTok;
typedef enum { BLEU_SMOOTH_EXP = 0, BLEU_SMOOTH_FLOOR, BLEU_SMOOTH_ADDK, BLEU_SMOOTH_NONE } BleuSmooth;

typedef struct {
    BleuTok tok;
    int lowercase;
    BleuSmooth smooth;
    double smooth_value; /* < 0: the method's default (floor 0.1, add-k 1) */
    int effective_order; /* sentence level */
} BleuOptions;

typedef struct {
    long sys_len, ref_len;
    long correct[BLEU_ORDER], total[BLEU_ORDER];
} BleuStats;

typedef struct {
    double score, bp, ratio, prec[BLEU_ORDER];
    long sys_len, ref_len;
} BleuScore;

/* A token: code points text->cp[start .. start + len). */
typedef struct {
    size_t start;
    int len;
} BleuSpan;

typedef struct {
    U32Buf a, b;         /* one line, as the tokenizer rewrites it */
    U32Buf text;         /* the tokens of every side of a segment, back to back */
    BleuSpan *spans;     /* (nspans) */
    size_t nspans, spans_cap;
    U32Buf ids;          /* token ids of every side, back to back */
    NgramTable vocab, ref, tmp, hyp;
} BleuScratch;

void bleu_scratch_free(BleuScratch *s);

/* Tokenises one line (valid UTF-8) as sacreBLEU's BLEU does: optional
 * lowercasing, rstrip, the tokenizer, whitespace split. The tokens are
 * appended to s->text / s->spans; returns the count, or < 0 when out of
 * memory. */
long bleu_tokenize(BleuScratch *s, BleuTok tok, int lowercase, const char *line, size_t n);

/* Statistics of one segment: hypothesis hyp and nrefs references. */
int bleu_segment(BleuScratch *s, const BleuOptions *o, const char *hyp, size_t hyp_len,
                 const char *const *refs, const size_t *ref_lens, int nrefs, BleuStats *st);
void bleu_stats_add(BleuStats *sum, const BleuStats *x);
void bleu_compute(const BleuStats *st, const BleuOptions *o, BleuScore *out);

const char *bleu_tok_name(BleuTok t);
const char *bleu_smooth_name(BleuSmooth m);
/* The effective smoothing value of o (its default when unset). */
double bleu_smooth_value(const BleuOptions *o);

#endif
