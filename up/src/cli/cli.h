/* cli.h: the subcommands. Each returns the process exit code:
 * 0 ok, 1 failure, 2 usage error. */
#ifndef S2S_CLI_H
#define S2S_CLI_H

#include <stdio.h>

#include "s2s/base/common.h"
#include "s2s/decode/ensemble.h"

#define S2S_VERSION "0.1.0"

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
