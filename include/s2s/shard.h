/* shard.h: data-parallel training on one machine.
 *
 * A minibatch's sentences are split into n shards, contiguous slices of the
 * batch (whose pairs the Batcher sorted by length, so each slice stays
 * dense). Each shard runs forward (and backward) on its own thread with its
 * own Batch and Workspace and single-threaded BLAS: no synchronisation
 * inside the time loops, where the per-step products are too small for
 * two BLAS threads to share well. The gradient of the whole batch's mean
 * NLL per target token is then
 *     g = sum_i (tokens_i / tokens) g_i
 * (g_i: shard i's mean gradient), summed by the threads over slices of the
 * parameter block into shard 0's gradient, with the squared norm of each
 * slice on the way (for clipping).
 *
 * Dropout: shard 0 draws from the caller's Rng; shard i > 0 from an Rng
 * seeded with the i-th of n - 1 numbers drawn from it first. So a run is
 * reproducible for the same n (the trainer's --threads), and n = 1 is
 * exactly model_forward_backward on the whole batch.
 *
 * shards_free is safe on a zeroed Shards; s is not movable once started
 * (its pool's threads hold the pool's address).
 */
#ifndef S2S_SHARD_H
#define S2S_SHARD_H

#include "s2s/common.h"
#include "s2s/corpus.h"
#include "s2s/model.h"
#include "s2s/pool.h"
#include "s2s/rng.h"

typedef struct {
    const int *pairs;  /* the shard's corpus pair indices */
    int npairs;
    Batch bt;
    Workspace ws;
    Rng rng;
    double nll;        /* summed NLL of the shard's last run */
    double sq;         /* sum of squares of slice i of the combined gradient */
} Shard;

typedef struct {
    int n;              /* shards, >= 1 */
    Shard *shard;       /* (n) owned */
    Pool pool;          /* n parts: the caller's thread and n - 1 workers */
    /* the current job */
    int phase;          /* 0: forward(/backward), 1: combine gradients */
    const Model *m;
    const Corpus *c;
    int reverse, backward;
    float dropout;
    long tokens;        /* target tokens of the whole batch */
} Shards;

/* n shards for batches of up to max_B pairs (each shard sized for
 * ceil(max_B / n)) of up to max_src / max_tgt tokens. */
int shards_init(Shards *s, const Model *m, int n, int max_B, int max_src, int max_tgt,
                S2sErr *err);
void shards_free(Shards *s);

/* Runs pairs[0..npairs) of c (npairs <= max_B): forward only, or forward
 * and backward with the combined gradient left in shards_grads(s). Returns
 * the summed NLL; *tgt_tokens / *src_tokens (may be NULL) get the batch's
 * real token counts (target with </s>), *slots the padded positions of
 * both sides summed over the shards. */
double shards_run(Shards *s, const Model *m, const Corpus *c, const int *pairs, int npairs,
                  int reverse, int backward, float dropout, Rng *rng, long *tgt_tokens,
                  long *src_tokens, long *slots);
/* (nparams) the gradient of the last backward run's mean NLL per token. */
float *shards_grads(Shards *s);
/* Its L2 norm (summed by the threads while combining, when n > 1). */
double shards_grad_norm(Shards *s);

#endif
