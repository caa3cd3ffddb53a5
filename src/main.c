/* s2s: sequence-to-sequence neural machine translation. The only place,
 * with src/cli_*.c, that prints usage or exits. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "s2s/blas.h"
#include "s2s/dist.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: s2s COMMAND [OPTIONS]\n"
            "\n"
            "commands:\n"
            "  train      train a sequence-to-sequence model on a parallel corpus\n"
            "  translate  translate text line by line with a trained model\n"
            "  serve      serve translations over HTTP (JSON API and a page to try it)\n"
            "  score      log-probability of given translations, and perplexity\n"
            "  bleu       corpus BLEU and chrF, exactly as sacreBLEU computes them\n"
            "  tokenize   split raw text into tokens, reversibly (--codes: and subwords)\n"
            "  detokenize turn tokens back into raw text\n"
            "  bpe        learn or apply BPE subword merges\n"
            "  average    the mean of several models' parameters (checkpoint averaging)\n"
            "  info       print a model file's metadata as JSON\n"
            "\n"
            "`s2s COMMAND --help` describes a command's options.\n"
            "s2s %s\n",
            S2S_VERSION);
}

/* A closed standard descriptor would go to the next file opened, and stdin
 * would then read that file. Each closed one gets /dev/null opened the wrong
 * way round instead, so that using it fails with EBADF as it would have. */
static void hold_closed_std_fds(void)
{
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
            continue;
        if (open("/dev/null", fd ? O_RDONLY : O_WRONLY) != fd)
            return; /* nothing better to do: leave the rest as they are */
    }
}

static int run(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "train") == 0)
        return cli_train(argc - 1, argv + 1);
    if (strcmp(cmd, "translate") == 0)
        return cli_translate(argc - 1, argv + 1);
    if (strcmp(cmd, "serve") == 0)
        return cli_serve(argc - 1, argv + 1);
    if (strcmp(cmd, "score") == 0)
        return cli_score(argc - 1, argv + 1);
    if (strcmp(cmd, "bleu") == 0)
        return cli_bleu(argc - 1, argv + 1);
    if (strcmp(cmd, "tokenize") == 0 || strcmp(cmd, "detokenize") == 0)
        return cli_tokenize(argc - 1, argv + 1, cmd[0] == 'd');
    if (strcmp(cmd, "bpe") == 0)
        return cli_bpe(argc - 1, argv + 1);
    if (strcmp(cmd, "average") == 0)
        return cli_average(argc - 1, argv + 1);
    if (strcmp(cmd, "info") == 0)
        return cli_info(argc - 1, argv + 1);
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("s2s %s%s\nBLAS: %s\n", S2S_VERSION, dist_built() ? " (MPI: train runs under mpirun)" : "",
               blas_config());
        return 0;
    }
    fprintf(stderr, "s2s: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}

int main(int argc, char **argv)
{
    hold_closed_std_fds();
    int code = run(argc, argv);
    /* Output lost to a full disk is a failure: stdio may only say so now. */
    if (code == CLI_OK)
        code = cli_close_stdout(argc >= 2 && argv[1][0] != '-' ? argv[1] : NULL);
    return code;
}
