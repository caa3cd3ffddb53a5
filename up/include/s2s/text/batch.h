/* batch.h: a padded minibatch of sentence pairs, what the model reads in
 * training (filled from a corpus by batch_fill, corpus.h). Its own header
 * so that the model does not depend on the corpus. */
#ifndef S2S_BATCH_H
#define S2S_BATCH_H

#include <stdint.h>

#include "s2s/base/common.h"

/* A padded minibatch, time-major: element (t, b) of a (T, B) array is at
 * [t * B + b]. Ts = longest source in the batch, Tt = longest target + 1
 * (room for </s> in tgt_out and <s> in tgt_in). */
typedef struct {
    int B, src_len, tgt_len;      /* B pairs, Ts, Tt */
    int max_B, max_src, max_tgt;  /* capacity: pairs, source and target tokens */
    long src_slots, tgt_slots;    /* capacity: B x Ts, B x Tt */
    int32_t *src;      /* (Ts, B): source tokens, REVERSED when reverse != 0 (the
                          last word first), real tokens first then VOCAB_PAD */
    int32_t *tgt_in;   /* (Tt, B): <s> y1 .. yn, then VOCAB_PAD */
    int32_t *tgt_out;  /* (Tt, B): y1 .. yn </s>, then VOCAB_PAD */
    float *src_mask;   /* (Ts, B): 1 for a real token, 0 for padding */
    float *tgt_mask;   /* (Tt, B): 1 where tgt_out is a real token or </s> */
    int *src_lens;     /* (B) */
    int *tgt_lens;     /* (B) target tokens without </s> */
    int *pair_index;   /* (B) corpus pair index of each column */
    long src_tokens, tgt_tokens; /* real tokens; tgt counts </s> */
} Batch;

/* What a batch (and a training workspace) must hold: up to `pairs` pairs,
 * sentences of up to src_len / tgt_len tokens (tgt_len without </s>), and
 * at most src_slots = B x Ts and tgt_slots = B x Tt padded positions (Tt =
 * longest target + 1). Batches of a fixed number of sentences need the
 * products; batches by tokens (train --batch-words) far fewer. */
typedef struct {
    int pairs, src_len, tgt_len;
    long src_slots, tgt_slots;
} BatchCap;

/* The cap of `pairs` pairs of any lengths up to src_len / tgt_len. */
BatchCap batch_cap(int pairs, int src_len, int tgt_len);
/* The larger of each field. */
BatchCap batch_cap_max(BatchCap a, BatchCap b);

/* Room for max_B pairs with sources of up to max_src tokens and targets of up
 * to max_tgt tokens (sentence lengths, e.g. the corpus' max_src_len and
 * max_tgt_len: the +1 for <s>/</s> is added here). All >= 1, else S2S_EINVAL. */
int batch_init(Batch *bt, int max_B, int max_src, int max_tgt, S2sErr *err);
/* Room for the batches cap describes. */
int batch_init_cap(Batch *bt, const BatchCap *cap, S2sErr *err);
void batch_free(Batch *bt);

#endif
