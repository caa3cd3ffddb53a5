/* s2s shortlist learn: a lexical shortlist (shortlist.h) for a model,
 * from a parallel corpus, in Marian's lex.s2t format. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "s2s/base/fileio.h"
#include "s2s/decode/shortlist.h"
#include "s2s/model/checkpoint.h"

typedef struct {
    const char *model, *src, *tgt, *output;
    LexiconOptions lex;
    long max_line, max_len;
    int quiet;
} Args;

static void help(FILE *f)
{
    fprintf(f,
            "usage: s2s shortlist learn -m MODEL --src FILE --tgt FILE [-o OUT] [OPTIONS]\n\n"
            "Learns, from an aligned parallel corpus (raw text, cut by the model's own tokenizer\n"
            "and BPE), each source token's most likely target tokens, and writes them as\n"
            "Marian's lexical shortlist ('TARGET SOURCE PROBABILITY' lines) for\n"
            "s2s translate|score|serve --shortlist OUT [FIRST [BEST]].\n\n"
            "options:\n"
            "  -m, --model FILE          the model whose tokenizer and vocabularies it is for\n"
            "      --src FILE            source side of the corpus (usually the training corpus)\n"
            "      --tgt FILE            target side, aligned line by line\n"
            "  -o, --output FILE         where it goes (default stdout); replaced whole\n"
            "      --method M            ibm1 (IBM Model 1 by EM, default) or cooc\n"
            "                            (co-occurrence counts)\n"
            "      --iterations N        ibm1's EM iterations (default 5)\n"
            "      --best N              entries kept per source token (default 100)\n"
            "      --max-len N           leave out pairs longer than N tokens (default 100)\n"
            "      --max-line-bytes N    longest line accepted (default 1048576)\n"
            "  -q, --quiet               no progress on stderr\n"
            "  -h, --help                this help\n");
}

enum { K_SRC = 256, K_TGT, K_METHOD, K_ITER, K_BEST, K_MAXLEN, K_MAXLINE };

static int parse_value(Args *a, int c, const char *v)
{
    long n = 0;
    switch (c) {
    case 'm': a->model = v; break;
    case K_SRC: a->src = v; break;
    case K_TGT: a->tgt = v; break;
    case 'o': a->output = v; break;
    case 'q': a->quiet = 1; break;
    case K_METHOD:
        if (lexicon_method_from_name(v, &a->lex.method)) {
            fprintf(stderr, "s2s shortlist learn: --method: '%s' is not ibm1 or cooc\n", v);
            return CLI_USAGE;
        }
        break;
    case K_ITER:
        if (cli_long("shortlist learn", "iterations", v, 1, 1000, &n))
            return CLI_USAGE;
        a->lex.iterations = (int)n;
        break;
    case K_BEST:
        if (cli_long("shortlist learn", "best", v, 1, 1000000, &n))
            return CLI_USAGE;
        a->lex.best = (int)n;
        break;
    case K_MAXLEN: return cli_long("shortlist learn", "max-len", v, 1, 100000, &a->max_len);
    case K_MAXLINE:
        return cli_long("shortlist learn", "max-line-bytes", v, 1, S2S_MAX_LINE_LIMIT, &a->max_line);
    }
    return 0;
}

static int parse_args(int argc, char **argv, Args *a)
{
    static const struct option longs[] = {
        {"model", required_argument, NULL, 'm'}, {"src", required_argument, NULL, K_SRC},
        {"tgt", required_argument, NULL, K_TGT}, {"output", required_argument, NULL, 'o'},
        {"method", required_argument, NULL, K_METHOD}, {"iterations", required_argument, NULL, K_ITER},
        {"best", required_argument, NULL, K_BEST}, {"max-len", required_argument, NULL, K_MAXLEN},
        {"max-line-bytes", required_argument, NULL, K_MAXLINE}, {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'}, {0, 0, 0, 0}};
    int c;
    *a = (Args){.lex = {.method = LEXICON_IBM1, .iterations = 5, .best = 100},
                .max_line = S2S_MAX_LINE_BYTES, .max_len = 100};
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":m:o:qh", longs, NULL)) != -1) {
        if (c == 'h') {
            help(stdout);
            return -1;
        }
        if (c == '?' || c == ':') {
            cli_bad_option("shortlist learn", c, argv[optind - 1], longs);
            return CLI_USAGE;
        }
        if (parse_value(a, c, optarg))
            return CLI_USAGE;
    }
    if (optind < argc) {
        fprintf(stderr, "s2s shortlist learn: unexpected argument '%s'\n", argv[optind]);
        return CLI_USAGE;
    }
    if (!a->model || !a->src || !a->tgt) {
        fprintf(stderr, "s2s shortlist learn: --model, --src and --tgt are required\n");
        return CLI_USAGE;
    }
    return 0;
}

/* Learns into a->output (replaced whole) or stdout. */
static int learn(const Args *a, const Checkpoint *ck, S2sErr *err)
{
    const char *inputs[3] = {a->model, a->src, a->tgt};
    FileReplace out;
    int to_file = a->output && strcmp(a->output, "-") != 0;
    int rc = fileio_check_output(a->output, inputs, 3, err);
    if (!rc && to_file)
        rc = fileio_replace_open(&out, a->output, err);
    if (rc)
        return rc;
    rc = lexicon_learn_files(&ck->tm, a->src, a->tgt, a->max_line, (int)a->max_len, &a->lex,
                             to_file ? out.f : stdout, err);
    if (!to_file)
        return rc ? rc : cli_flush_stdout("shortlist learn") ? S2S_EIO : 0;
    if (rc) {
        fileio_replace_abort(&out);
        return rc;
    }
    return fileio_replace_commit(&out, err);
}

int cli_shortlist(int argc, char **argv)
{
    Args a;
    Checkpoint ck;
    S2sErr err;
    const char *sub = argc > 1 ? argv[1] : "";
    int ask = !strcmp(sub, "-h") || !strcmp(sub, "--help");
    if (strcmp(sub, "learn") != 0) {
        help(ask ? stdout : stderr);
        return ask ? CLI_OK : CLI_USAGE;
    }
    int rc = parse_args(argc - 1, argv + 1, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    a.lex.progress = a.quiet ? NULL : stderr;
    memset(&ck, 0, sizeof ck);
    double t = cli_now();
    rc = ckpt_load(a.model, &ck, &err);
    if (!rc)
        rc = learn(&a, &ck, &err);
    ckpt_free(&ck);
    if (rc) {
        fprintf(stderr, "s2s shortlist learn: %s\n", err.msg);
        return CLI_FAIL;
    }
    if (!a.quiet)
        fprintf(stderr, "s2s shortlist learn: %s (%s) written in %.1f s\n",
                a.output ? a.output : "stdout", lexicon_method_name(a.lex.method), cli_now() - t);
    return CLI_OK;
}
