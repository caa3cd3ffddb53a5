/* s2s: sequence-to-sequence neural machine translation. The only place,
 * with src/cli_*.c, that prints usage or exits. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "s2s/model/checkpoint.h"
#include "s2s/nn/blas.h"
#include "s2s/train/dist.h"

typedef struct {
    const char *name, *what;
    int (*run)(int argc, char **argv);
} Command;

static int run_tokenize(int argc, char **argv) { return cli_tokenize(argc, argv, 0); }
static int run_detokenize(int argc, char **argv) { return cli_tokenize(argc, argv, 1); }

static const Command commands[] = {
    {"train", "train a sequence-to-sequence model on a parallel corpus", cli_train},
    {"translate", "translate text line by line with a trained model", cli_translate},
    {"serve", "serve translations over HTTP (JSON API and a page to try it)", cli_serve},
    {"score", "log-probability of given translations, and perplexity", cli_score},
    {"bleu", "BLEU, chrF and TER, and significance tests, exactly as sacreBLEU", cli_bleu},
    {"tokenize", "split raw text into tokens, reversibly (--codes: and subwords)", run_tokenize},
    {"detokenize", "turn tokens back into raw text", run_detokenize},
    {"bpe", "learn or apply BPE subword merges", cli_bpe},
    {"convert", "store a model's decoder weights in bf16 or int8 (--precision)", cli_convert},
    {"shortlist", "learn a lexical shortlist for faster decoding (--shortlist)", cli_shortlist},
    {"average", "the mean of several models' parameters (checkpoint averaging)", cli_average},
    {"info", "check a model file and summarise it (--json: all its metadata)", cli_info},
};
enum { NCOMMANDS = sizeof commands / sizeof *commands };

static void usage(FILE *f)
{
    fprintf(f, "usage: s2s COMMAND [OPTIONS]\n\ncommands:\n");
    for (int i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].what);
    fprintf(f, "\n`s2s COMMAND --help` or `s2s help COMMAND` describes a command's options;\n"
               "`s2s --version` names the version and the build.\ns2s %s\n", S2S_VERSION);
}

/* s2s --version, -V, or any command's --version: the version, the build
 * and the model files it reads. */
static int version(void)
{
    printf("s2s %s\n", S2S_VERSION);
    printf("build: BLAS %s; MPI %s\n", blas_config(),
           dist_built() ? "yes (train runs under mpirun)" : "no");
    printf("model files: format versions 1 to %d (s2s 0.1 and later)\n", CKPT_VERSION);
    return 0;
}

static const Command *find_command(const char *name)
{
    for (int i = 0; i < NCOMMANDS; i++)
        if (!strcmp(commands[i].name, name))
            return &commands[i];
    return NULL;
}

static int unknown_command(const char *name)
{
    const char *names[NCOMMANDS];
    for (int i = 0; i < NCOMMANDS; i++)
        names[i] = commands[i].name;
    const char *best = cli_did_you_mean(name, names, NCOMMANDS);
    if (best)
        fprintf(stderr, "s2s: unknown command '%s' (did you mean '%s'?)\n", name, best);
    else
        fprintf(stderr, "s2s: unknown command '%s'\n", name);
    usage(stderr);
    return 2;
}

/* s2s help [COMMAND] */
static int help(int argc, char **argv)
{
    if (argc < 3) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[2], "--markdown")) { /* for docs/: scripts/gen-option-docs.py */
        int rc = cli_markdown(argc > 3 ? argv[3] : NULL);
        return rc ? rc : cli_flush_stdout("help");
    }
    const Command *c = find_command(argv[2]);
    if (!c)
        return unknown_command(argv[2]);
    char *args[] = {argv[2], "--help", NULL};
    return c->run(2, args);
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
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V") || !strcmp(cmd, "version"))
        return version();
    if (!strcmp(cmd, "help"))
        return help(argc, argv);
    const Command *c = find_command(cmd);
    if (!c)
        return unknown_command(cmd);
    for (int i = 2; i < argc && strcmp(argv[i], "--"); i++)
        if (!strcmp(argv[i], "--version"))
            return version();
    return c->run(argc - 1, argv + 1);
}

int main(int argc, char **argv)
{
    hold_closed_std_fds();
    int code = run(argc, argv);
    /* Output lost to a full disk is a failure: stdio may only say so now. */
    if (code == CLI_OK)
        code = cli_close_stdout(argc >= 2 && argv[1][0] != '-' ? argv[1] : NULL);
    /* The library's threads may be stuck allocating (blas_check_memory):
     * its exit-time shutdown would wait for them forever. */
    if (blas_short_of_memory()) {
        fflush(NULL);
        _exit(code);
    }
    return code;
}
