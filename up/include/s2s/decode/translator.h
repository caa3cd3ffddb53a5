/* translator.h: decoding many sentences, the engine behind `s2s
 * translate`, validation BLEU and `s2s score`: the sentences of a chunk are
 * sorted by length, cut into batches of similar length, and `parts`
 * batches decode side by side on a worker pool (each with its own Decoder
 * and single-threaded BLAS; with one part, BLAS keeps the caller's
 * threads); results come back to the caller in input order as soon as
 * every sentence before them is done.
 *
 * The caller reads and tokenises its input and formats its output; the
 * translator holds the decoders, the pool and the order. A Translator must
 * not move once initialised (its pool's threads hold its address).
 *
 * The network is an Ensemble (ensemble.h); for several members the source
 * ids come per member: src[k * n + i] is sentence i in member k's source
 * vocabulary (the lengths, len[i], are the same for all: one tokenizer).
 * With several members and threads, each part's members step side by
 * side: min(members, threads) threads per part, threads / that many parts.
 */
#ifndef S2S_TRANSLATOR_H
#define S2S_TRANSLATOR_H

#include <stdint.h>

#include "s2s/decode/decode.h"
#include "s2s/base/pool.h"
#include "s2s/base/rng.h"

/* Called, on the caller's thread, for sentence i of the chunk once it is
 * decoded: its hypotheses are sentence s of d (decode_hyp). d is NULL for
 * an empty sentence (length 0), which is not decoded. Returns 0 or < 0 to
 * stop. */
typedef int (*TranslatorResult)(void *ctx, const Decoder *d, int s, int i);
/* Called after each round with the sentences [from, to) of the chunk that
 * are now complete, every one before them having been passed already. */
typedef int (*TranslatorReady)(void *ctx, int from, int to);

/* A part's batch holds at most batch x this many source tokens (sentences
 * times the longest), one sentence at least: a very long sentence decodes
 * alone instead of reserving room for a batch of its length. */
enum { TRANSLATOR_BATCH_TOKENS = 256 };

typedef struct {
    Ensemble e;
    DecodeOptions o;
    int batch, parts, max_src, max_chunk;
    int max_batch;       /* the batch translator_init reserved for (batch <= it) */
    int member_threads;  /* per part: the members' steps side by side */
    Pool *mpool;         /* (parts) member_threads > 1: each part's member pool */
    /* set after init: 1 = batches in input order, not sorted by length
     * (validation keeps the batches it always had) */
    int keep_order;
    Decoder *d;          /* (parts) */
    Rng *rng;            /* (parts) sampling: part p seeded with seed + p */
    Pool pool;
    /* the current round: part p decodes sentences order[first[p] ..] */
    const int32_t **src; /* (parts, members, batch) part p's member k, sentence s at
                            [(p * members) * batch + k * nsent[p] + s] */
    int *lens;           /* (parts, batch) */
    int *nsent;          /* (parts) */
    int *first;          /* (parts) the round's first sentence of each part (in order[]) */
    S2sErr err;          /* why translator_run last failed (it returned S2S_ENOMEM) */
    const int32_t *const *tgt; /* scoring: the targets, else NULL */
    const int *tgt_len;
    double *logprob;     /* scoring: (max_chunk) out */
    int *order;          /* (max_chunk) non-empty sentences, longest first */
    int *sorted;         /* (2 * max_chunk) scratch: (length, index) pairs */
    unsigned char *done; /* (max_chunk) */
} Translator;

/* Room for chunks of up to max_chunk sentences of up to max_src tokens,
 * decoded batch at a time on `threads` threads (see above). */
int translator_init(Translator *t, const Ensemble *e, const DecodeOptions *o, int batch,
                    int threads, int max_src, int max_chunk, uint64_t seed, S2sErr *err);
void translator_free(Translator *t);
/* Sentences per batch from now on, 1 .. the batch translator_init was given
 * (`s2s serve` shares a small round evenly between the parts). */
void translator_set_batch(Translator *t, int batch);

/* Translates the n sentences src[k * n + i][0..len[i]) (n <= max_chunk),
 * calling result for each and ready as the completed prefix grows; the
 * decoders grow to each round's batch. Returns 0, the first non-zero value
 * a callback returned, or S2S_ENOMEM with t->err saying what could not be
 * held. */
int translator_run(Translator *t, const int32_t *const *src, const int *len, int n,
                   TranslatorResult result, TranslatorReady ready, void *ctx);

/* Log-probability (decode_score) of each tgt[i] given src[k * n + i] into
 * logprob[i], for n <= max_chunk pairs in batches of consecutive pairs
 * (sources of any length: the decoders grow). */
int translator_score(Translator *t, const int32_t *const *src, const int *src_len,
                     const int32_t *const *tgt, const int *tgt_len, int n, double *logprob,
                     S2sErr *err);

#endif
