/* bpedrop.h: BPE-dropout for training (train --bpe-dropout P; Provilkov et
 * al. 2020). The training files are kept as word tokens (before BPE) beside
 * the deterministic corpus; at the start of every epoch each side of each
 * kept pair is segmented afresh with bpe_apply_dropout, from an Rng seeded
 * with the run's seed and the epoch alone, so the same epoch always gets the
 * same pieces (exact resume, any number of ranks). A side whose sampled
 * pieces outnumber its cap (twice the longest deterministic side, at most
 * --max-len) keeps its deterministic ids, so the batches' shapes stay within
 * what the workspaces were sized for. Validation and translation never see
 * it: they segment deterministically.
 *
 * Ownership: BpeDrop owns its word texts, the deterministic corpus and its
 * scratch; bpedrop_free is safe on a zeroed object. */
#ifndef S2S_BPEDROP_H
#define S2S_BPEDROP_H

#include <stdint.h>

#include "s2s/text/corpus.h"
#include "s2s/text/tokenizer.h"
#include "s2s/text/vocab.h"

typedef struct {
    float p;          /* the probability of dropping a merge */
    TextPairs words;  /* the training files as word tokens */
    Corpus det;       /* the deterministic ids of the kept pairs */
    int cap[2];       /* longest sampled side accepted, [TEXT_SRC], [TEXT_TGT] */
    TokBuf tb;        /* scratch */
    size_t ids_cap[2];/* room in the epoch corpus's id arrays */
    double seconds;   /* the last bpedrop_epoch's time */
} BpeDrop;

/* Reads the training files as word tokens (errors name file and line). */
int bpedrop_read(BpeDrop *d, float p, const char *src, const char *tgt, long max_line,
                 S2sErr *err);
/* Adds one sampled segmentation of every line to the counters (so that the
 * vocabularies hold the smaller pieces dropout makes). */
int bpedrop_count(BpeDrop *d, const Tokenizer *tk, uint64_t seed, VocabCounter *src,
                  VocabCounter *tgt, S2sErr *err);
/* Takes over c (the deterministic corpus, built from the same files) and
 * leaves in c a corpus of the same pairs, sized for the caps; max_len is
 * --max-len (<= 0: none). */
int bpedrop_adopt(BpeDrop *d, Corpus *c, int max_len, S2sErr *err);
/* Fills c (from bpedrop_adopt) with epoch `epoch`'s segmentation. */
int bpedrop_epoch(BpeDrop *d, Corpus *c, const Tokenizer *tk, const Vocab *sv, const Vocab *tv,
                  uint64_t seed, int epoch, S2sErr *err);
void bpedrop_free(BpeDrop *d);

#endif
