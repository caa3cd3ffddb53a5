/* cli.h: the subcommands. Each returns the process exit code:
 * 0 ok, 1 failure, 2 usage error. */
#ifndef S2S_CLI_H
#define S2S_CLI_H

#include <stdio.h>

#include "s2s/base/common.h"
#include "s2s/decode/ensemble.h"
#include "s2s/decode/shortlist.h"

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

int cli_train(int argc, char **argv);
int cli_info(int argc, char **argv);
int cli_translate(int argc, char **argv);
int cli_serve(int argc, char **argv);
int cli_score(int argc, char **argv);
int cli_bleu(int argc, char **argv);
int cli_tokenize(int argc, char **argv, int detokenize);
int cli_bpe(int argc, char **argv);
int cli_average(int argc, char **argv);
int cli_shortlist(int argc, char **argv);
int cli_convert(int argc, char **argv);

/* The option table of translate, score and serve (cli_options.c). */
enum { CLI_TRANSLATE = 1, CLI_SCORE = 2, CLI_SERVE = 4, CLI_TRAIN = 8 };
typedef enum { CLI_ARG_NONE, CLI_ARG_STR, CLI_ARG_LONG, CLI_ARG_DOUBLE } CliArgType;
/* getopt's values of the long options without a short one */
enum { CLI_K_WEIGHTS = 256, CLI_K_SRC, CLI_K_TGT, CLI_K_HOST, CLI_K_PORT, CLI_K_NBEST,
       CLI_K_NBEST_LIST, CLI_K_NBEST_ALL, CLI_K_FEATURE, CLI_K_RERANK, CLI_K_1BEST, CLI_K_SUMMARY,
       CLI_K_LP, CLI_K_RATIO, CLI_K_MAXLEN, CLI_K_SCORES, CLI_K_SAMPLE, CLI_K_TEMP, CLI_K_SEED,
       CLI_K_BATCH, CLI_K_THREADS, CLI_K_WAIT, CLI_K_INTER, CLI_K_MAXLINE, CLI_K_ALIGN,
       CLI_K_BODY, CLI_K_SENTS, CLI_K_QUEUE, CLI_K_CONNS, CLI_K_TIMEOUT, CLI_K_REQ_TIMEOUT,
       CLI_K_CROP, CLI_K_NORMALIZE, CLI_K_PREC, CLI_K_SHORTLIST, CLI_K_MODEL_ID, CLI_K_MAXOUT, CLI_K_LAST };
#define CLI_MAX_BEAM 64
#define CLI_MAX_OPTIONS 160 /* ours and the other tools' names (cli_habits.c) */
typedef struct {
    const char *name; /* the long option */
    int key;          /* getopt's value: the short option's letter, or a CLI_K_ */
    unsigned cmds;    /* the commands that take it: CLI_TRANSLATE | ... */
    CliArgType type;
    double lo, hi;    /* a number's range */
    const char *arg;  /* the argument's name in the help */
    const char *help; /* NULL: another tool's name for the row of the same key */
} CliOption;
/* getopt_long's options of command cmd (longs: CLI_MAX_OPTIONS + 1) and
 * its short option string (shorts: 32 bytes). */
struct option;
void cli_options_longs(unsigned cmd, struct option *longs, char *shorts);
/* The options of cmd as help lines, or as a Markdown table (docs/). */
void cli_options_help(FILE *f, unsigned cmd);
void cli_options_markdown(FILE *f, unsigned cmd);
/* train's options as a Markdown table (cli_train.c). */
void cli_train_markdown(FILE *f);
/* `s2s help --markdown CMD`: the option table of CMD (train, translate,
 * score or serve) in Markdown on stdout, for docs/; 0 or CLI_USAGE. */
int cli_markdown(const char *cmd);
/* s with newlines as spaces and '|' escaped: one cell of a Markdown table. */
void cli_markdown_cell(FILE *f, const char *s);
/* A numeric option's value checked against its row's range: 0 (and *out),
 * or CLI_USAGE after "s2s CMD: --NAME: ..."; 0 and *out untouched when the
 * key takes no number. */
int cli_options_number(const char *cmd, unsigned cmds, int key, const char *v, double *out);

/* Other tools' option names (cli_habits.c): getopt's value of the names
 * that are not aliases of ours is CLI_K_HABIT + their row. */
enum { CLI_K_HABIT = 4096 };
/* Appends the other tools' names for command cmd (CLI_TRAIN, ...) to
 * longs[0..n), which holds the command's own options (getopt_long_only
 * then reads OpenNMT's -name too): an alias has the key and argument of
 * ours; the rest get CLI_K_HABIT + row. Returns the new count (at most
 * cap; longs[count] is the terminator, so longs has cap + 1 slots). */
int cli_habits_longs(unsigned cmd, struct option *longs, int n, int cap);
/* What getopt's CLI_K_HABIT + row stands for: CLI_USAGE after a message
 * saying what to type (or that s2s has no such thing), or 0 and the
 * option(s) of ours to set to their value(s) (Marian's --train-sets A B:
 * --src A and --tgt B, B taken from argv at optind; --valid-freq 500u:
 * --valid-every 500). */
typedef struct {
    int n;
    char name[2][32];
    char value[2][4096];
} CliHabitValue;
int cli_habit_take(const char *cmd, int c, int argc, char **argv, CliHabitValue *out);
/* Before getopt_long_only: a single-dash word with '_' (OpenNMT's style)
 * that names no option in longs is an unknown option, not -m followed by
 * "in_length": CLI_USAGE after the message, else 0. */
int cli_habits_prescan(const char *cmd, int argc, char **argv, const struct option *longs);
/* The table as Markdown, for docs/coming-from.md (`s2s help --markdown habits`). */
void cli_habits_markdown(FILE *f);

/* --precision's value: 0 and *p, or CLI_USAGE after a message. */
int cli_precision(const char *cmd, const char *v, Precision *p);

/* The models of -m and --weights, for an ensemble. */
typedef struct {
    const char *path[ENSEMBLE_MAX];
    int n, nweights;
    double weights[ENSEMBLE_MAX];
    Precision prec; /* --precision */
    int prec_given; /* else each model decodes in the precision its file holds */
    const char *shortlist; /* --shortlist FILE [FIRST [BEST]], or NULL */
    int sl_first, sl_best;
} CliModels;
/* --precision into m (and m->prec_given): 0, or CLI_USAGE after a message. */
int cli_models_precision(CliModels *m, const char *cmd, const char *v);
/* Adds a -m: 0, or CLI_USAGE after a message when there are too many. */
int cli_models_add(CliModels *m, const char *cmd, const char *path);
/* --shortlist FILE [FIRST [BEST]] (Marian's form): FIRST and BEST are
 * the arguments after FILE that are whole numbers (getopt's optind moves
 * past them). 0, or CLI_USAGE after a message. */
int cli_shortlist_arg(const char *cmd, CliModels *m, const char *file, int argc, char **argv);
/* The shortlist m names, read for the vocabularies of ck (zeroed when
 * there is none); progress: a line saying what it holds, or NULL. */
int cli_models_shortlist(const CliModels *m, const Checkpoint *ck, Shortlist *sl, FILE *progress,
                         S2sErr *err);
/* At least one model, and --weights (when given) right for them: 0 or CLI_USAGE. */
int cli_models_check(const CliModels *m, const char *cmd);

/* Edit distance of a and b (insertions, deletions, substitutions and
 * transpositions of neighbours), at most cap + 1. */
int cli_edit_distance(const char *a, const char *b, int cap);
/* The candidate closest to word (names[0..n), NULL-terminated when n < 0),
 * if close enough to be a typo of it (1 edit, 2 for 6 letters or more), or NULL. */
const char *cli_did_you_mean(const char *word, const char *const *names, int n);
/* getopt's '?' or ':' for argument arg: prints "s2s CMD: unknown option
 * 'ARG' (did you mean '--NAME'?)" from longs, or "missing argument for
 * option 'ARG'", and returns CLI_USAGE. */
struct option;
int cli_bad_option(const char *cmd, int c, const char *arg, const struct option *longs);
/* No silent last-one-wins: the first time option code c (0 <= c < n) is
 * seen, marks it and returns 0; again, prints "s2s CMD: option 'NAME'
 * given twice" (NAME from argv as getopt left it) and returns CLI_USAGE. */
int cli_once(const char *cmd, int c, unsigned char *seen, int n, char **argv, int optind_now,
             const char *arg);

/* Option values: 0 when s is a number in [lo, hi], else prints
 * "s2s CMD: --OPT: ..." and returns CLI_USAGE. */
int cli_long(const char *cmd, const char *opt, const char *s, long lo, long hi, long *out);
int cli_double(const char *cmd, const char *opt, const char *s, double lo, double hi,
               double *out);
/* A comma-separated list of at most max numbers (--weights 0.5,0.3,0.2):
 * 0 with the count in *n, else prints "s2s CMD: --OPT: ..." and returns
 * CLI_USAGE. */
int cli_doubles(const char *cmd, const char *opt, const char *s, double *out, int max, int *n);
/* n weights for nmodels models, each >= 0 and not all 0: 0, else prints
 * "s2s CMD: --weights: ..." and returns CLI_USAGE. */
int cli_check_weights(const char *cmd, const double *w, int n, int nmodels);
/* Flushes f: 0 when that and every earlier write to f succeeded, else the
 * errno of the failure (-1 when stdio no longer knows it). */
int cli_flush(FILE *f);
/* Flushes and closes f; returns as cli_flush. */
int cli_fclose(FILE *f);
/* Fills err with "NAME: write failed: REASON" (e as cli_flush returns it)
 * and returns S2S_EIO. */
int cli_write_failed(S2sErr *err, const char *name, int e);
/* Prints "s2s CMD: stdout: write failed: REASON" (cmd NULL: "s2s: ...";
 * e as cli_flush returns it) and returns CLI_FAIL. */
int cli_stdout_failed(const char *cmd, int e);
/* Flushes stdout: CLI_OK, or as cli_stdout_failed. cli_close_stdout also
 * closes it, which is the last use of stdout (main's, at exit). */
int cli_flush_stdout(const char *cmd);
int cli_close_stdout(const char *cmd);
/* Seconds on a monotonic clock. */
double cli_now(void);

#endif
