/* train.h: the trainer, its state and the training loop; its options are
 * train_config.h's. Its files: train.c (set-up), train_loop.c (the loop),
 * train_valid.c (validation and keeping), train_dist.c (several ranks).
 */
#ifndef S2S_TRAIN_H
#define S2S_TRAIN_H

#include <signal.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "s2s/base/common.h"
#include "s2s/decode/decode.h"
#include "s2s/model/checkpoint.h"
#include "s2s/model/model.h"
#include "s2s/text/corpus.h"
#include "s2s/train/bpedrop.h"
#include "s2s/train/evaluate.h"
#include "s2s/train/shard.h"
#include "s2s/train/train_config.h"

/* With several ranks, they compare parameter checksums every this many steps. */
enum { TRAIN_CHECK_STEPS = 100 };
/* Steps in a row above the divergence bound that end a run (see trainer_run). */
enum { TRAIN_DIVERGED_STEPS = 50 };

/* The recent steps per second, for the progress line's ETA: (time, step)
 * samples in a ring. Zero-initialised. */
enum { RATE_RING = 64 };
typedef struct {
    double at[RATE_RING];
    long step[RATE_RING];
    int n, next;
} RateWindow;
/* Adds the sample (now, step) and returns the steps per second since the
 * oldest sample at most `window` seconds old (or the newest older one when
 * none is), 0 when unknown: one slow report, a validation, does not swing it. */
double rate_window_update(RateWindow *w, double now, long step, double window);

/* The learning rate of update t (1-based, t >= 1): lr (today's rate, after
 * any halving) times --lr-warmup W's ramp min(1, t/W) and
 * --lr-decay-inv-sqrt N's min(1, sqrt(N/t)). A function of the step alone,
 * so a resumed run follows the schedule exactly. */
double train_lr_at(const TrainConfig *c, double lr, long t);

typedef struct {
    long step;          /* optimizer steps done */
    int epoch;          /* current epoch, 1-based */
    int batch_in_epoch; /* next batch of the epoch */
    double lr;
    double best_valid_ppl; /* 0 = none yet */
    double best_valid_bleu; /* -1 = none yet */
    double best_valid_chrf; /* -1 = none yet */
    int bad_valids;     /* validations since the last improvement */
    double elapsed;     /* seconds of training before this run */
    long tgt_tokens;    /* target tokens trained on */
    Rng rng;            /* dropout */
    int nkept;          /* --keep-checkpoints: the steps of the copies kept, oldest first */
    long kept[TRAIN_MAX_KEPT + 2]; /* (a copy lists itself and, until deleted, one more) */
} TrainState;

/* A rank's part of a step or of a validation batch (dist.h), gathered by all. */
typedef struct {
    double nll;
    long tgt, src, slots;
    int signalled; /* the rank caught SIGINT/SIGTERM */
} StepShare;

typedef struct {
    TrainConfig cfg;
    TrainState st;
    TranslationModel tm; /* what is trained, and saved */
    Corpus train, valid;
    BpeDrop bpedrop;     /* --bpe-dropout: the words behind train, re-segmented each epoch */
    int has_valid;
    Batcher batcher;
    Batcher valid_batcher; /* --batch-words: the validation batches (else unused) */
    Shards shards;       /* --threads shards of every batch, one per thread */
    FILE *log;
    int log_errno;  /* the first failed --log write's errno (0: none); the run fails at its end */
    FILE *progress; /* not owned; NULL = quiet */
    int optim;           /* OPTIM_SGD or OPTIM_ADAM */
    float *opt_state;    /* (optim_state_per_param * nparams), owned; NULL for SGD */
    float *ema;          /* --exponential-smoothing: (nparams) the smoothed weights, owned; else NULL */
    RawLines valid_refs; /* --valid-bleu / --valid-metrics bleu, chrf */
    int vm_bleu, vm_chrf, vm_first; /* the validation metrics (train_valid_metrics) */
    Translator valid_tr; /* --valid-bleu: the validation translator (set up on first use) */
    int stop;            /* --patience ran out */
    int diverging;       /* steps in a row with a loss above 2 ln(target vocabulary) */
    int model_good;      /* --model holds a checkpoint of this run or of the one resumed */
    /* Several ranks (dist.h): each holds shards rank T .. rank T + T - 1 of
     * ranks x T (T = --threads); rank 0 alone validates beyond perplexity,
     * reports and writes files, and its state goes to the others each step. */
    float *dist_scratch; /* (nparams) owned: the gradient exchange's */
    StepShare *shares;   /* (ranks) owned: a step's parts */
    int signalled;       /* some rank caught a signal: stop after this step */
    int cut_short;       /* trainer_run ended by a signal, not by a limit it reached */
    /* Set (by a signal handler, say) to stop after the current step: the
     * run then saves a checkpoint and returns 0. Not owned; may be NULL. */
    volatile sig_atomic_t *interrupt;
} Trainer;

/* Before any work: refuses an output (--model, --log,
 * --valid-translation-output) that is also an input (the --resume
 * checkpoint included) or another output, and one that cannot be written
 * (a folder that takes no new file; --model and the translations: an
 * existing path that is not a regular file); and refuses to replace an
 * existing --model (S2S_EINVAL) unless it is the file resumed or
 * --overwrite is given. */
int train_check_files(const TrainConfig *c, S2sErr *err);

/* Reads the data and builds (or, with resume != NULL, takes over from the
 * checkpoint) the vocabularies and the model. cfg is copied. */
int trainer_init(Trainer *t, const TrainConfig *cfg, Checkpoint *resume, FILE *progress,
                 S2sErr *err);
/* Trains until --epochs, --max-steps or --time-limit; saves --model at
 * every epoch end, every --save-every steps and at the end. With
 * --keep-checkpoints N each validation also writes MODEL.stepS.s2s (a
 * translation model, like the --keep-best copy) and deletes the copies
 * older than the last N (those this run or the runs it resumed wrote). */
int trainer_run(Trainer *t, S2sErr *err);
void trainer_free(Trainer *t);

/* Several ranks: called by every rank after trainer_init, with its result
 * rc (the trainer is only read when rc == 0). Compares what each rank read
 * and built (options, training and validation data, vocabularies and
 * tokenizer, parameters): 0 when all started and agree; rc itself for a
 * rank's own failure; S2S_EINVAL on rank 0 naming the first rank and thing
 * that differ, or a rank that failed; S2S_EREMOTE on the others. */
int trainer_agree(const Trainer *t, int rc, S2sErr *err);
/* Several ranks: whether their parameters still agree (a checksum each),
 * errors as trainer_agree. One rank: 0. */
int trainer_check_same(const Trainer *t, S2sErr *err);

/* What training holds in memory, in bytes: the parameters, every shard's
 * gradient, the optimizer's state, the activations BPTT keeps (every
 * shard's workspace at its largest batch), and the rest the trainer
 * allocates (smoothed weights, the gradient exchange's buffer, the corpora's
 * token ids). */
typedef struct {
    size_t params, grads, optim, acts, other;
    int shards;
} TrainMemory;
void trainer_memory(const Trainer *t, TrainMemory *mem);

/* Validation perplexity of the trainer's model on corpus c (every rank). */
double trainer_perplexity(Trainer *t, const Corpus *c);

/* Shared by the trainer's files: train.c (set-up), train_loop.c (the
 * loop), train_valid.c (validation and keeping). */
/* Seconds trained: the runs resumed and this one, begun at t0 (monotonic clock). */
double trainer_elapsed(const Trainer *t, double t0);
/* --exponential-smoothing: swaps the raw and the smoothed weights in the
 * model (validation and saving see the smoothed ones); again swaps back. */
void trainer_swap_smoothed(Trainer *t);
/* One JSON line of --log (o consumed). The first failed write is said at
 * once and kept in t->log_errno: training goes on, and the run then fails. */
void trainer_log(Trainer *t, cJSON *o);
/* Marian's log prefix: "[2026-12-01 18:00:00] " (local time). */
void trainer_stamp(FILE *f);
/* *sh becomes the sum of every rank's, in rank order; one rank: unchanged. */
void trainer_gather(Trainer *t, StepShare *sh);
/* Validates (perplexity on every rank; translations, scores, --keep-best and
 * --keep-checkpoints copies on rank 0); t0 as trainer_elapsed. */
int trainer_validate(Trainer *t, double t0, S2sErr *err);

/* Training state to and from the checkpoint's "train" object. */
cJSON *train_state_to_json(const TrainConfig *c, const TrainState *st);
int train_state_from_json(TrainState *st, const cJSON *train, const char *origin, S2sErr *err);

#endif
