/* train_config.h: the options of `s2s train`.
 *
 * Every option is one row of train_options[]: the CLI's getopt table, the
 * --config JSON keys, the options saved in checkpoints and
 * docs/training.md's option table all come from that one table.
 *
 * Precedence (train_config_resolve): defaults < options saved in the
 * --resume checkpoint < --config file < command line. Options that define
 * the model (marked `model` in the table) cannot change on --resume.
 */
#ifndef S2S_TRAIN_CONFIG_H
#define S2S_TRAIN_CONFIG_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "s2s/base/common.h"
#include "s2s/model/checkpoint.h"

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
/* --optim adam (the default)'s learning rate when --lr is not given; sgd's is 6. */
#define TRAIN_ADAM_LR 0.002
#define TRAIN_DEFAULT_ARCH "attention" /* --arch when not given */

typedef struct {
    char *src, *tgt, *valid_src, *valid_tgt, *model, *log, *config, *resume, *tokenizer, *bpe_codes;
    char *arch, *cell, *optim, *attention;
    char *valid_metrics, *valid_output; /* --valid-metrics, --valid-translation-output */
    char *early_stopping_on;           /* any (NULL) or first */
    char *src_lang, *tgt_lang;         /* recorded in the model; NULL: from the file suffixes */
    int layers, embed, hidden, src_vocab, tgt_vocab, min_freq, batch, epochs, max_steps;
    int seed, threads, max_len, no_reverse, quiet, decay_start, decay_on_plateau;
    int lr_warmup, lr_decay_inv_sqrt; /* updates; 0 = off */
    int layer_norm, residual;
    int valid_every, save_every, bpe_merges, valid_bleu, valid_beam, keep_best, patience;
    int max_line_bytes, overwrite, tied_embeddings, bidirectional, keep_checkpoints;
    int batch_words;
    double time_limit, lr, clip, init, dropout, report_every, label_smoothing, exp_smoothing;
    double bpe_dropout;
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
/* Ranges and what options need of each other (not the data: see
 * train_config_resolve). */
int train_config_check(const TrainConfig *c, S2sErr *err);
/* The options of a run: defaults < the --resume checkpoint's < the
 * --config file's < cli (the command line's). The checkpoint (loaded into
 * *cp, *resumed set) carries the model's, the data's and the optimisation's
 * options, not the files its run wrote nor --model (the --resume file unless
 * given); an option that defines the model cannot change on resume
 * (S2S_EINVAL); --config takes JSON only and no "config" key. out is
 * checked (train_config_check), and with need_data --src and --tgt are
 * required. */
int train_config_resolve(TrainConfig *out, const TrainConfig *cli, Checkpoint *cp, int *resumed,
                         int need_data, S2sErr *err);
/* Every option of c as --dump-config prints it, for --config: the defaults
 * that depend on others resolved (optim adam, its lr, valid-metrics,
 * arch, cell, tokenizer, ...), threads "auto" unless given, and null for
 * a file or choice not given. Owned by the caller. */
cJSON *train_config_resolved_json(const TrainConfig *c);
/* The validation metrics: which are on, and which decides the best model
 * (VALID_PPL, VALID_BLEU, VALID_CHRF): --valid-metrics (Marian's names
 * accepted), else bleu then ppl with --valid-bleu, else ppl alone. */
enum { VALID_PPL = 0, VALID_BLEU, VALID_CHRF };
int train_valid_metrics(const TrainConfig *c, int *bleu, int *chrf, int *first, S2sErr *err);

#endif
