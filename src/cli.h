/* cli.h: the subcommands. Each returns the process exit code:
 * 0 ok, 1 failure, 2 usage error. */
#ifndef S2S_CLI_H
#define S2S_CLI_H

#define S2S_VERSION "0.1.0"

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

int cli_train(int argc, char **argv);
int cli_info(int argc, char **argv);
int cli_translate(int argc, char **argv);
int cli_score(int argc, char **argv);
int cli_bleu(int argc, char **argv);
int cli_tokenize(int argc, char **argv, int detokenize);
int cli_bpe(int argc, char **argv);

/* Option values: 0 when s is a number in [lo, hi], else prints
 * "s2s CMD: --OPT: ..." and returns CLI_USAGE. */
int cli_long(const char *cmd, const char *opt, const char *s, long lo, long hi, long *out);
int cli_double(const char *cmd, const char *opt, const char *s, double lo, double hi,
               double *out);
/* Seconds on a monotonic clock. */
double cli_now(void);

#endif
