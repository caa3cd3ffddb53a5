/* The option table of the commands that decode: translate, score and serve.
 * One row per option and meaning; getopt's long options, the short option
 * string, the help text, the Markdown tables of docs/ and the range checks
 * of numeric arguments all come from it. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "s2s/decode/ensemble.h"

#define T CLI_TRANSLATE
#define S CLI_SCORE
#define V CLI_SERVE

/* The help's continuation lines start with '\n'; rows without help are
 * other tools' names for a row above (each command's help lists them). */
static const CliOption options[] = {
    {"model", 'm', T | S | V, CLI_ARG_STR, 0, 0, "FILE",
     "the trained model (required); several -m: an ensemble"},
    {"weights", CLI_K_WEIGHTS, T | S | V, CLI_ARG_STR, 0, 0, "W1,W2,...",
     "the ensemble members' weights (default equal), normalised"},
    {"input", 'i', T, CLI_ARG_STR, 0, 0, "FILE", "input, one sentence per line (default stdin; - is stdin)"},
    {"src", CLI_K_SRC, S, CLI_ARG_STR, 0, 0, "FILE", "sources, one per line (- = stdin)"},
    {"tgt", CLI_K_TGT, S, CLI_ARG_STR, 0, 0, "FILE",
     "targets (the translations scored), aligned with --src; -i FILE is the same"},
    {"output", 'o', T | S, CLI_ARG_STR, 0, 0, "FILE", "output (default stdout)"},
    {"host", CLI_K_HOST, V, CLI_ARG_STR, 0, 0, "ADDR",
     "IPv4 address to listen on (default 127.0.0.1: this machine only)"},
    {"port", CLI_K_PORT, V, CLI_ARG_LONG, 0, 65535, "N", "port (default 5000; 0: any free one, printed)"},
    {"model-id", CLI_K_MODEL_ID, V, CLI_ARG_LONG, 0, 2147483647.0, "N",
     "the model's id, which a request's \"id\" may name (OpenNMT's; default 100)"},
    {"beam", 'b', T, CLI_ARG_LONG, 1, CLI_MAX_BEAM, "K", "beam size; 1 = greedy (default 5)"},
    {"beam", 'b', V, CLI_ARG_LONG, 1, CLI_MAX_BEAM, "K",
     "beam size, also the most a request may ask; 1 = greedy (default 5)"},
    {"nbest", CLI_K_NBEST, T, CLI_ARG_LONG, 1, CLI_MAX_BEAM, "N",
     "print the N best as 'i ||| hypothesis ||| F0= logprob ||| score' (default off;"
     "\nOpenNMT's --n_best N; Marian's --n-best: the whole beam)"},
    {"nbest", CLI_K_NBEST_LIST, S, CLI_ARG_STR, 0, 0, "LIST", "rescore this n-best list instead of --tgt"},
    {"feature-name", CLI_K_FEATURE, S, CLI_ARG_STR, 0, 0, "NAME",
     "the feature --nbest appends (default S2S)"},
    {"rerank", CLI_K_RERANK, S, CLI_ARG_DOUBLE, -1e6, 1e6, "W",
     "re-sort each sentence's hypotheses by total + W * feature,\nwhich becomes the total printed"},
    {"1best", CLI_K_1BEST, S, CLI_ARG_NONE, 0, 0, NULL,
     "print only each source line's best hypothesis (by total)"},
    {"summary", CLI_K_SUMMARY, S, CLI_ARG_NONE, 0, 0, NULL,
     "print the corpus summary on stdout, after the pairs"},
    {"length-penalty", CLI_K_LP, T | V, CLI_ARG_DOUBLE, 0, 10, "A",
     "GNMT length normalisation alpha; 0 = off (default 0.6)"},
    {"max-len-ratio", CLI_K_RATIO, T | V, CLI_ARG_DOUBLE, 0, 1000, "R",
     "output at most R * source length + 10 tokens (default 2)"},
    {"max-out-len", CLI_K_MAXOUT, T | V, CLI_ARG_LONG, 1, 1000000, "N",
     "and at most N output tokens (OpenNMT's -max_length; default: no cap but --max-len-ratio's)"},
    {"max-len", CLI_K_MAXLEN, T | V, CLI_ARG_LONG, 1, 1000000, "N",
     "truncate sources longer than N tokens, with a warning (default 200)"},
    {"precision", CLI_K_PREC, T | S | V, CLI_ARG_STR, 0, 0, "P",
     "decode with the decoder's weights in fp32 (default), bf16 or int8\n(docs/performance.md)"},
    {"shortlist", CLI_K_SHORTLIST, T | S | V, CLI_ARG_STR, 0, 0, "FILE [FIRST [BEST]]",
     "decode over a lexical shortlist (Marian's lex.s2t format; s2s shortlist\nlearn): "
     "the FIRST most frequent target tokens (default 100) and\neach source token's BEST "
     "translations (default 100); scores are\nthen over the shortlist (docs/performance.md)"},
    {"scores", CLI_K_SCORES, T, CLI_ARG_NONE, 0, 0, NULL, "append ' ||| score' to each output line"},
    {"sample", CLI_K_SAMPLE, T, CLI_ARG_NONE, 0, 0, NULL, "sample from the model instead of searching"},
    {"temperature", CLI_K_TEMP, T, CLI_ARG_DOUBLE, 1e-3, 1000, "T", "sampling temperature (default 1)"},
    {"seed", CLI_K_SEED, T, CLI_ARG_LONG, 0, 2147483647.0, "N", "seed for --sample (default 1)"},
    {"batch", CLI_K_BATCH, T | V, CLI_ARG_LONG, 1, 4096, "N", "sentences decoded together (default 32)"},
    {"batch", CLI_K_BATCH, S, CLI_ARG_LONG, 1, 1024, "N", "pairs scored together (default 64)"},
    {"threads", CLI_K_THREADS, T | V, CLI_ARG_LONG, 1, 1024, "N",
     "decode N batches side by side (default: all cores)"},
    {"threads", CLI_K_THREADS, S, CLI_ARG_LONG, 1, 1024, "N", "BLAS threads (default: all cores)"},
    {"max-wait-ms", CLI_K_WAIT, V, CLI_ARG_LONG, 0, 60000, "T",
     "how long a batch waits for more sentences (default 5)"},
    {"interactive", CLI_K_INTER, T, CLI_ARG_NONE, 0, 0, NULL,
     "translate and flush line by line (default when stdin is a terminal)"},
    {"max-line-bytes", CLI_K_MAXLINE, T | S, CLI_ARG_LONG, 1, S2S_MAX_LINE_LIMIT, "N",
     "longest input line accepted (default 1048576); longer is an error"},
    {"alignment", CLI_K_ALIGN, T, CLI_ARG_STR, 0, 0, "hard|soft",
     "append ' ||| ' and the word alignment (attention models)"},
    {"max-body", CLI_K_BODY, V, CLI_ARG_LONG, 2, 1L << 30, "BYTES",
     "largest request body (default 1048576; more: 413)"},
    {"max-sentences", CLI_K_SENTS, V, CLI_ARG_LONG, 1, 1000000, "N",
     "most sentences in a request (default 1000; more: 413)"},
    {"max-queue", CLI_K_QUEUE, V, CLI_ARG_LONG, 1, 10000000, "N",
     "most sentences waiting in all (default 4096; more: 503)"},
    {"max-connections", CLI_K_CONNS, V, CLI_ARG_LONG, 1, 100000, "N",
     "open connections at once (default 256)"},
    {"timeout", CLI_K_TIMEOUT, V, CLI_ARG_LONG, 1, 86400, "SEC",
     "close a connection idle this long (default 30)"},
    {"request-timeout", CLI_K_REQ_TIMEOUT, V, CLI_ARG_LONG, 1, 86400, "SEC",
     "close a connection whose request (headers and body) takes\nlonger to arrive, or its answer "
     "to leave (default 60)"},
    {"quiet", 'q', T, CLI_ARG_NONE, 0, 0, NULL, "no progress on stderr"},
    {"quiet", 'q', S, CLI_ARG_NONE, 0, 0, NULL, "no summary on stderr"},
    {"quiet", 'q', V, CLI_ARG_NONE, 0, 0, NULL, "no request log on stderr"},
    {"help", 'h', T | S | V, CLI_ARG_NONE, 0, 0, NULL, "this help"},
    /* Marian's names with their own meaning here (the rest: cli_habits.c) */
    {"n-best", CLI_K_NBEST_ALL, T, CLI_ARG_NONE, 0, 0, NULL, NULL},
    {"max-length-crop", CLI_K_CROP, T, CLI_ARG_NONE, 0, 0, NULL, NULL},
    {"normalize", CLI_K_NORMALIZE, T, CLI_ARG_STR, 0, 0, NULL, NULL},
    {"input", 'i', S, CLI_ARG_STR, 0, 0, NULL, NULL},
};
enum { NOPTIONS = sizeof options / sizeof options[0] };

/* The row that describes key for cmd (the first: not an alias). */
static const CliOption *find(unsigned cmd, int key)
{
    for (int i = 0; i < NOPTIONS; i++)
        if ((options[i].cmds & cmd) && options[i].key == key)
            return &options[i];
    return NULL;
}

void cli_options_longs(unsigned cmd, struct option *longs, char *shorts)
{
    int n = 0, k = 0;
    shorts[k++] = ':';
    for (int i = 0; i < NOPTIONS; i++) {
        const CliOption *o = &options[i];
        if (!(o->cmds & cmd))
            continue;
        longs[n++] = (struct option){o->name, o->type ? required_argument : no_argument, NULL, o->key};
        if (o->key < 128 && !strchr(shorts, o->key)) {
            shorts[k++] = (char)o->key;
            if (o->type)
                shorts[k++] = ':';
        }
    }
    shorts[k] = '\0';
    cli_habits_longs(cmd, longs, n, CLI_MAX_OPTIONS);
}

/* "-m, --model FILE" or "    --beam K" */
static void left_column(const CliOption *o, char *buf, size_t cap, int markdown)
{
    const char *q = markdown ? "`" : "";
    char sh[16] = "    ";
    if (o->key < 128)
        snprintf(sh, sizeof sh, "%s-%c%s, ", q, o->key, q);
    snprintf(buf, cap, "%s%s--%s%s%s%s", markdown && o->key >= 128 ? "" : sh, q, o->name,
             o->arg ? " " : "", o->arg ? o->arg : "", q);
}

void cli_options_help(FILE *f, unsigned cmd)
{
    for (int i = 0; i < NOPTIONS; i++) {
        const CliOption *o = &options[i];
        if (!(o->cmds & cmd) || !o->help)
            continue;
        char left[64];
        left_column(o, left, sizeof left, 0);
        fprintf(f, "  %-25s", left);
        for (const char *p = o->help; *p;) { /* each line of the help after the column */
            size_t n = strcspn(p, "\n");
            fprintf(f, " %.*s\n", (int)n, p);
            p += n + (p[n] == '\n');
            if (*p)
                fprintf(f, "  %-25s", "");
        }
    }
}

void cli_options_markdown(FILE *f, unsigned cmd)
{
    fprintf(f, "| Option | Meaning |\n|---|---|\n");
    for (int i = 0; i < NOPTIONS; i++) {
        const CliOption *o = &options[i];
        if (!(o->cmds & cmd) || !o->help)
            continue;
        char left[64];
        left_column(o, left, sizeof left, 1);
        fprintf(f, "| ");
        cli_markdown_cell(f, left);
        fprintf(f, " | ");
        cli_markdown_cell(f, o->help);
        fprintf(f, " |\n");
    }
}

void cli_markdown_cell(FILE *f, const char *s)
{
    for (; *s; s++)
        if (*s == '\n')
            fputc(' ', f);
        else if (*s == '|')
            fputs("\\|", f);
        else
            fputc(*s, f);
}

int cli_options_number(const char *cmd, unsigned cmds, int key, const char *v, double *out)
{
    const CliOption *o = find(cmds, key);
    if (!o || (o->type != CLI_ARG_LONG && o->type != CLI_ARG_DOUBLE))
        return 0;
    if (o->type == CLI_ARG_DOUBLE)
        return cli_double(cmd, o->name, v, o->lo, o->hi, out);
    long n = 0;
    int rc = cli_long(cmd, o->name, v, (long)o->lo, (long)o->hi, &n);
    *out = (double)n;
    return rc;
}

int cli_models_add(CliModels *m, const char *cmd, const char *path)
{
    if (m->n == ENSEMBLE_MAX) {
        fprintf(stderr, "s2s %s: at most %d models (-m)\n", cmd, ENSEMBLE_MAX);
        return CLI_USAGE;
    }
    m->path[m->n++] = path;
    return 0;
}

int cli_models_check(const CliModels *m, const char *cmd)
{
    if (!m->n) {
        fprintf(stderr, "s2s %s: --model is required\n", cmd);
        return CLI_USAGE;
    }
    return m->nweights ? cli_check_weights(cmd, m->weights, m->nweights, m->n) : 0;
}

int cli_markdown(const char *cmd)
{
    static const struct {
        const char *name;
        unsigned cmd;
    } tables[] = {{"translate", CLI_TRANSLATE}, {"score", CLI_SCORE}, {"serve", CLI_SERVE}};
    if (cmd && !strcmp(cmd, "train")) {
        cli_train_markdown(stdout);
        return 0;
    }
    if (cmd && !strcmp(cmd, "habits")) {
        cli_habits_markdown(stdout);
        return 0;
    }
    for (size_t i = 0; cmd && i < sizeof tables / sizeof tables[0]; i++)
        if (!strcmp(cmd, tables[i].name)) {
            cli_options_markdown(stdout, tables[i].cmd);
            return 0;
        }
    fprintf(stderr, "s2s help: --markdown CMD: the option tables are train's, translate's, "
                    "score's and serve's; --markdown habits: other tools' option names\n");
    return CLI_USAGE;
}

/* s as a whole number (of at most 9 digits), or -1. */
static long whole(const char *s)
{
    if (!s || !s[0] || strspn(s, "0123456789") != strlen(s) || strlen(s) > 9)
        return -1;
    return atol(s);
}

int cli_shortlist_arg(const char *cmd, CliModels *m, const char *file, int argc, char **argv)
{
    m->shortlist = file, m->sl_first = SHORTLIST_FIRST, m->sl_best = SHORTLIST_BEST;
    for (int k = 0; k < 2 && optind < argc && whole(argv[optind]) >= 0; k++)
        *(k ? &m->sl_best : &m->sl_first) = (int)whole(argv[optind++]);
    if (file[0] == '\0' || whole(file) >= 0) {
        fprintf(stderr, "s2s %s: --shortlist FILE [FIRST [BEST]]: '%s' is not a file name "
                        "(a shortlist is learnt with s2s shortlist learn)\n", cmd, file);
        return CLI_USAGE;
    }
    return 0;
}

int cli_models_shortlist(const CliModels *m, const Checkpoint *ck, Shortlist *sl, FILE *progress,
                         S2sErr *err)
{
    memset(sl, 0, sizeof *sl);
    if (!m->shortlist)
        return 0;
    int rc = shortlist_load(sl, m->shortlist, &ck[0].tm.src_vocab, &ck[0].tm.tgt_vocab,
                            m->sl_first, m->sl_best, err);
    if (!rc && progress)
        fprintf(progress, "s2s: shortlist %s: the %d most frequent target tokens and up to %d "
                          "per source token (%ld entries, %ld lines skipped); scores are over "
                          "each batch's shortlist\n", m->shortlist, m->sl_first, m->sl_best,
                sl->entries, sl->skipped);
    return rc;
}

int cli_models_precision(CliModels *m, const char *cmd, const char *v)
{
    m->prec_given = 1;
    return cli_precision(cmd, v, &m->prec);
}

int cli_precision(const char *cmd, const char *v, Precision *p)
{
    if (!precision_from_name(v, p))
        return 0;
    fprintf(stderr, "s2s %s: --precision: '%s' is not fp32, bf16 or int8\n", cmd, v);
    return CLI_USAGE;
}
