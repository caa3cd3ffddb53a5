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
 * Across processes (dist.h), each process runs shards first .. first + n - 1
 * of `total`: the batch is split into `total` slices and the seeds drawn as
 * above for all of them, so process r's shards get the pairs and the dropout
 * that shards r*n .. r*n + n - 1 of one process running `total` get.
 * shards_compute runs them; shards_combine weights them by the tokens of the
 * whole batch (all processes'); dist_sum_grads adds the processes' sums.
 *
 * shards_free is safe on a zeroed Shards; s is not movable once started
 * (its pool's threads hold the pool's address).
 */
#ifndef S2S_SHARD_H
#define S2S_SHARD_H

#include "s2s/base/common.h"
#include "s2s/text/corpus.h"
#include "s2s/model/model.h"
#include "s2s/base/pool.h"
#include "s2s/base/rng.h"
#include "s2s/nn/rowset.h"

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
    int n;              /* shards of this process, >= 1 */
    int first, total;   /* global index of shard 0; shards in all processes */
    Shard *shard;       /* (n) owned */
    Pool pool;          /* n parts: the caller's thread and n - 1 workers */
    /* the current job */
    int phase;          /* 0: forward(/backward), 1: combine gradients */
    const Model *m;
    const Corpus *c;
    int reverse, backward;
    float dropout;
    long tokens;        /* target tokens of the whole batch */
    /* sparse embedding gradients (model.h): the rows of the combined
     * gradient that may be non-zero, and each part's scratch for the
     * ranges of a slice (2 x (rows.cap + 2) each) */
    RowSet rows;
    size_t *ranges;     /* (n x 2 (rows.cap + 2)) owned */
    int all_rows;       /* the combined gradient came from elsewhere (dist_sum_grads): all may be non-zero */
} Shards;

/* n shards for batches of up to max_B pairs (each shard sized for
 * ceil(max_B / n)) of up to max_src / max_tgt tokens. */
int shards_init(Shards *s, const Model *m, int n, int max_B, int max_src, int max_tgt,
                S2sErr *err);
void shards_free(Shards *s);

/* Shards first .. first + n - 1 of total (the others in other processes),
 * each sized for what cap says one shard holds (batcher_shard_cap with
 * total parts). shards_init is (n, 0, n) with batch_cap(ceil(max_B / n),
 * max_src, max_tgt). */
int shards_init_part(Shards *s, const Model *m, int n, int first, int total, const BatchCap *cap,
                     S2sErr *err);

/* Runs pairs[0..npairs) of c (npairs <= max_B): forward only, or forward
 * and backward with the combined gradient left in shards_grads(s). Returns
 * the summed NLL; *tgt_tokens / *src_tokens (may be NULL) get the batch's
 * real token counts (target with </s>), *slots the padded positions of
 * both sides summed over the shards. One process only (total == n):
 * shards_compute and shards_combine with this batch's tokens. */
double shards_run(Shards *s, const Model *m, const Corpus *c, const int *pairs, int npairs,
                  int reverse, int backward, float dropout, Rng *rng, long *tgt_tokens,
                  long *src_tokens, long *slots);
/* This process's shards' part of pairs[0..npairs) (the whole batch),
 * forward (and backward, each shard's gradient left in its workspace);
 * returns their summed NLL and, as shards_run, their token counts. When
 * first > 0, *rng is left after the seeds drawn: shard 0's process holds
 * the state that follows. */
double shards_compute(Shards *s, const Model *m, const Corpus *c, const int *pairs, int npairs,
                      int reverse, int backward, float dropout, Rng *rng, long *tgt_tokens,
                      long *src_tokens, long *slots);
/* After a backward shards_compute: shards_grads(s) becomes
 *     sum_i (tokens_i / tokens) g_i
 * over this process's shards, tokens those of the whole batch (> 0), and
 * each shard's slice of it summed in squares for shards_grad_norm. An
 * empty shard adds nothing. */
void shards_combine(Shards *s, long tokens);
/* (nparams) the gradient of the last backward run's mean NLL per token. */
float *shards_grads(Shards *s);
/* The ranges [r[2k], r[2k+1]) of [lo, hi) where shards_grads may be
 * non-zero, ascending, relative to lo: the dense part and the embedding
 * rows some shard touched (all of [lo, hi) without sparse gradients).
 * ranges: room for 2 (s->rows.cap + 2); returns their number. */
int shards_live_ranges(const Shards *s, size_t lo, size_t hi, size_t *ranges);
/* Part p's ranges buffer (p < s->pool.n), for shards_live_ranges. */
size_t *shards_ranges_buf(Shards *s, int p);
/* shards_grads was overwritten by a sum from elsewhere (other ranks): any
 * row may be non-zero until the next backward. */
void shards_grads_filled(Shards *s);
/* on = 0: the dense reference path (every gradient zeroed and combined
 * whole); 1 (the default): sparse embedding gradients. Same results. */
void shards_set_sparse(Shards *s, int on);
/* Its L2 norm (summed by the threads while combining, when n > 1). */
double shards_grad_norm(Shards *s);

#endif
