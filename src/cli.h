/* cli.h: the subcommands. Each returns the process exit code:
 * 0 ok, 1 failure, 2 usage error. */
#ifndef S2S_CLI_H
#define S2S_CLI_H

#define S2S_VERSION "0.1.0"

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

int cli_train(int argc, char **argv);
int cli_info(int argc, char **argv);

#endif
