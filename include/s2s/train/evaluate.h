/* evaluate.h: validation BLEU during training: translate the validation
 * source with the model (greedy or beam), detokenise, and score against the
 * raw reference lines exactly as `s2s bleu` does (13a, exp smoothing). */
#ifndef S2S_EVALUATE_H
#define S2S_EVALUATE_H

#include <stdio.h>

#include "s2s/base/common.h"
#include "s2s/decode/decode.h"
#include "s2s/decode/translator.h"
#include "s2s/text/corpus.h"
#include "s2s/text/textio.h"
#include "s2s/text/tokenizer.h"
#include "s2s/text/vocab.h"

/* A translator for the pairs of c (the engine of s2s translate,
 * translator.h): batches of 32 consecutive pairs, beam 1 = greedy, one
 * decoder on the caller's BLAS threads. */
int evaluate_init(Translator *tr, const Model *m, const Corpus *c, int beam, S2sErr *err);
/* The model's translations of the pairs of c (each pair's line in the
 * files is c->line_index[i]; pairs the corpus skipped are left out of the
 * scores), translated by tr (evaluate_init): BLEU into *bleu and, when chrf
 * is not NULL, chrF into *chrf, against refs, as s2s bleu scores them
 * (NULL refs: no scores); with out != NULL every translation is written to
 * it, one line per line of the validation files (a skipped pair's empty). */
int evaluate_translations(Translator *tr, const Tokenizer *tk, const Vocab *tv, const Corpus *c,
                          const RawLines *refs, FILE *out, double *bleu, double *chrf, S2sErr *err);

#endif
