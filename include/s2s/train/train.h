/* train.h: training options, training state and the training loop.
 *
 * Every option of `s2s train` is one row of train_options[]: the CLI's
 * getopt table, the --config JSON keys, the options saved in checkpoints
 * and docs/training.md's option table all come from that one table.
 *
 * Precedence: defaults < options saved in the --resume checkpoint <
 * --config file < command line. Options that define the model (marked
 * `model` in the table) cannot change on --resume.
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
#include "s2s/train/evaluate.h"
#include "s2s/train/shard.h"

typedef enum { OPT_INT, OPT_FLOAT, OPT_STR, OPT_FLAG } OptType;

typedef struct {
    const char *name; /* long option and JSON key */
    OptType type;
    size_t offset;    /* of the field in TrainConfig */
    int model;        /* 1: defines the model, fixed on --resume */
    const char *arg;  /* argument name for the help text, NULL for flags */
    const char *help;
    const char *implicit; /* non-NULL: the argument is optional (--opt or --opt=X), this when absent */
} TrainOption;

enum { TRAIN_MAX_OPTIONS = 64 };
/* The most checkpoints --keep-checkpoints keeps. */
enum { TRAIN_MAX_KEPT = 100 };
/* With several ranks, they compare parameter checksums every this many steps. */
enum { TRAIN_CHECK_STEPS = 100 };
/* Steps in a row above the divergence bound that end a run (see trainer_run). */
enum { TRAIN_DIVERGED_STEPS = 50 };
/* --optim adam (the default)'s learning rate when --lr is not given; sgd's is 6. */
#define TRAIN_ADAM_LR 0.002

typedef struct {
    char *src, *tgt, *valid_src, *valid_tgt, *model, *log, *config, *resume, *tokenizer, *bpe_codes;
    char *arch, *cell, *optim, *attention;
    char *valid_metrics, *valid_output; /* --valid-metrics, --valid-translation-output */
    int layers, embed, hidden, src_vocab, tgt_vocab, min_freq, batch, epochs, max_steps;
    int seed, threads, max_len, no_reverse, quiet, decay_start, decay_on_plateau;
    int valid_every, save_every, bpe_merges, valid_bleu, valid_beam, keep_best, patience;
    int max_line_bytes, overwrite, tied_embeddings, bidirectional, keep_checkpoints;
    int batch_words;
    double time_limit, lr, clip, init, dropout, report_every, label_smoothing, exp_smoothing;
    unsigned char set[TRAIN_MAX_OPTIONS]; /* set[i]: option i was given */
} TrainConfig;

extern const TrainOption train_options[];
extern const int train_noptions;

void train_config_defaults(TrainConfig *c);
void train_config_free(TrainConfig *c);
/* Deep copy (strings duplicated); dst need not be initialised. */
int train_config_copy(TrainConfig *dst, const TrainConfig *src, S2sErr *err);
/* Index of option name in train_options, or -1. */
int train_option_index(const char *name);
/* Option i back to its default, not set. */
void train_config_unset(TrainConfig *c, int i);
/* Sets option i from text (command line), marking it set. */
int train_config_set(TrainConfig *c, int i, const char *value, S2sErr *err);
/* Sets the options an object's keys name; origin names it in messages. */
int train_config_from_json(TrainConfig *c, const cJSON *obj, const char *origin, S2sErr *err);
cJSON *train_config_to_json(const TrainConfig *c);
/* Copies every option set in src into dst. */
int train_config_merge(TrainConfig *dst, const TrainConfig *src, S2sErr *err);
/* Whether option i has the same value in a and b. */
int train_option_equal(const TrainConfig *a, const TrainConfig *b, int i);
/* Option i's value as text (for messages); buf of cap bytes. */
const char *train_option_text(const TrainConfig *c, int i, char *buf, size_t cap);
/* Ranges and required options. */
int train_config_check(const TrainConfig *c, S2sErr *err);
/* The options of a run: defaults < the --resume checkpoint's < the
 * --config file's < cli (the command line's). The checkpoint (loaded into
 * *cp, *resumed set) carries the model's, the data's and the optimisation's
 * options, not the files its run wrote nor --model (the --resume file unless
 * given); an option that defines the model cannot change on resume
 * (S2S_EINVAL); --config takes JSON only and no "config" key. out is
 * checked (train_config_check). */
int train_config_resolve(TrainConfig *out, const TrainConfig *cli, Checkpoint *cp, int *resumed,
                         S2sErr *err);
/* The validation metrics: which are on, and which decides the best model
 * (VALID_PPL, VALID_BLEU, VALID_CHRF): --valid-metrics (Marian's names
 * accepted), else bleu then ppl with --valid-bleu, else ppl alone. */
enum { VALID_PPL = 0, VALID_BLEU, VALID_CHRF };
int train_valid_metrics(const TrainConfig *c, int *bleu, int *chrf, int *first, S2sErr *err);

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
