/* s2s score: the model's log-probability of given translations, one line
 * per pair ("TOKENS<TAB>LOGPROB", tokens counting </s>), and corpus
 * perplexity: the numbers training reports for validation. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "s2s/base/fileio.h"
#include "s2s/base/utf8.h"
#include "s2s/decode/decode.h"
#include "s2s/decode/ensemble.h"
#include "s2s/decode/rescore.h"
#include "s2s/decode/translator.h"
#include "s2s/model/checkpoint.h"
#include "s2s/nn/blas.h"
#include "s2s/text/nbest.h"
#include "s2s/text/textio.h"

#define CHUNK 1024

typedef struct {
    CliModels m;
    const char *src, *tgt;
    long batch, threads, max_line;
    int summary, quiet;
    RescoreOptions rs; /* --nbest */
    const char *output; /* -o: instead of stdout */
} ScoreArgs;

static void help(FILE *f)
{
    fprintf(f, "usage: s2s score --model MODEL --src FILE --tgt FILE [OPTIONS]\n"
               "       s2s score --model MODEL --src FILE --nbest LIST [--rerank W [--1best]]\n\n"
               "Prints, for each aligned pair, the number of target tokens (</s> included) and\n"
               "the log-probability (natural log) of the target given the source; then corpus\n"
               "perplexity on stderr. With --nbest, rescores a Moses/Marian n-best list\n"
               "('i ||| hypothesis ||| features ||| total', i the 0-based line of --src): each\n"
               "line gets the feature 'S2S= LOGPROB', the list keeps its order.\n\n"
               "options:\n");
    cli_options_help(f, CLI_SCORE);
}

/* One option's value into a: 0 or CLI_USAGE (printed). */
static int parse_value(ScoreArgs *a, int c, const char *v)
{
    double x = 0;
    if (cli_options_number("score", CLI_SCORE, c, v, &x))
        return CLI_USAGE;
    switch (c) {
    case 'm': return cli_models_add(&a->m, "score", v);
    case CLI_K_PREC: return cli_models_precision(&a->m, "score", v);
    case CLI_K_SRC: a->src = v; return 0;
    case CLI_K_TGT:
    case 'i':
        if (a->tgt) {
            fprintf(stderr, "s2s score: -i and --tgt name the same file (the translations scored): give one\n");
            return CLI_USAGE;
        }
        a->tgt = v;
        return 0;
    case 'o': a->output = v; return 0;
    case CLI_K_NBEST_LIST: a->rs.nbest = v; return 0;
    case CLI_K_FEATURE:
        a->rs.feature = v;
        if (nbest_feature_name_ok(v))
            return 0;
        fprintf(stderr, "s2s score: --feature-name: '%s' is not a name (printable, no spaces, '=' or '|')\n", v);
        return CLI_USAGE;
    case CLI_K_RERANK: a->rs.has_rerank = 1, a->rs.rerank = x; return 0;
    case CLI_K_WEIGHTS:
        return cli_doubles("score", "weights", v, a->m.weights, ENSEMBLE_MAX, &a->m.nweights);
    case CLI_K_BATCH: a->batch = (long)x; return 0;
    case CLI_K_THREADS: a->threads = (long)x; return 0;
    case CLI_K_MAXLINE: a->max_line = (long)x; return 0;
    case CLI_K_SUMMARY: a->summary = 1; return 0;
    case CLI_K_1BEST: a->rs.one_best = 1; return 0;
    case 'q': a->quiet = 1; return 0;
    }
    return 0;
}

/* What the options need of each other. */
static int check_args(const ScoreArgs *a)
{
    const char *bad = NULL;
    if (!a->m.n || !a->src || (!a->tgt == !a->rs.nbest))
        bad = "--model, --src and one of --tgt or --nbest are required";
    else if (!a->rs.nbest && (a->rs.has_rerank || a->rs.one_best || a->rs.feature))
        bad = "--rerank, --1best and --feature-name are for --nbest";
    else if (a->rs.nbest && a->summary)
        bad = "--summary is for --tgt";
    else if (!strcmp(a->src, "-") && !strcmp(a->tgt ? a->tgt : a->rs.nbest, "-"))
        bad = "--src and --tgt (or --nbest) cannot both be stdin: give one of them as a file";
    if (bad) {
        fprintf(stderr, "s2s score: %s\n", bad);
        return CLI_USAGE;
    }
    return cli_models_check(&a->m, "score");
}

static int parse_args(int argc, char **argv, ScoreArgs *a)
{
    struct option longs[CLI_MAX_OPTIONS + 1];
    char shorts[32];
    cli_options_longs(CLI_SCORE, longs, shorts);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int c, rc = 0;
    unsigned char seen[CLI_K_LAST] = {0};
    *a = (ScoreArgs){.batch = 64, .threads = ncpu > 0 ? ncpu : 1, .max_line = S2S_MAX_LINE_BYTES};
    opterr = 0;
    if (cli_habits_prescan("score", argc, argv, longs))
        return CLI_USAGE;
    while (!rc && (c = getopt_long_only(argc, argv, shorts, longs, NULL)) != -1) {
        if (c == 'h') {
            help(stdout);
            return -1;
        } else if (c >= CLI_K_HABIT) { /* another tool's name for what s2s does otherwise */
            CliHabitValue hv;
            rc = cli_habit_take("score", c, argc, argv, &hv) ? CLI_USAGE : CLI_FAIL;
        } else if (c == '?' || c == ':') {
            cli_bad_option("score", c, argv[optind - 1], longs);
            rc = CLI_USAGE;
        } else if (c != 'm' && cli_once("score", c, seen, CLI_K_LAST, argv, optind, optarg)) {
            rc = CLI_USAGE;
        } else if (c == CLI_K_SHORTLIST) {
            rc = cli_shortlist_arg("score", &a->m, optarg, argc, argv);
        } else {
            rc = parse_value(a, c, optarg);
        }
    }
    if (!rc && optind < argc) {
        fprintf(stderr, "s2s score: unexpected argument '%s'\n", argv[optind]);
        rc = CLI_USAGE;
    }
    return rc ? rc : check_args(a);
}

typedef struct {
    ScoreArgs a;
    Checkpoint ck[ENSEMBLE_MAX]; /* ck[0]'s tokenizer and target vocabulary serve all */
    Ensemble e;
    Translator tr;
    Shortlist sl;     /* --shortlist, else zeroed */
    LineReader in[2];
    IdBuf ids[2];     /* the sources in ck[0]'s vocabulary, the targets */
    IdBuf msrc[ENSEMBLE_MAX]; /* the sources in member k's vocabulary (k >= 1) */
    size_t off[2][CHUNK + 1];
    double logprob[CHUNK];
    const int32_t *src[ENSEMBLE_MAX * CHUNK], *tgt[CHUNK];
    long pairs, tokens;
    double total;
} Scorer;

/* Reads the next line of side k; invalid UTF-8 is an error here. */
static int read_side(Scorer *s, int k, S2sErr *err)
{
    LineReader *r = &s->in[k];
    int rc = linereader_next(r, err);
    if (rc <= 0)
        return rc;
    long bad = utf8_invalid_offset(r->line, r->len);
    if (bad >= 0)
        return s2s_fail(err, S2S_EFORMAT, "%s:%ld: invalid UTF-8 at byte %ld", r->name, r->lineno, bad);
    IdBuf *src[ENSEMBLE_MAX] = {&s->ids[0]};
    for (int j = 1; j < s->e.n; j++)
        src[j] = &s->msrc[j];
    long n = k ? textio_append_ids(&s->ids[1], &s->ck[0].tm.tokenizer, &s->ck[0].tm.tgt_vocab, r->line,
                                   r->len, 0, err)
               : ensemble_source_ids(src, s->ck, s->e.n, r->line, r->len, 0, err);
    return n < 0 ? linereader_wrap(r, (int)n, err) : 1;
}

/* Reads up to CHUNK aligned pairs; returns the count or < 0. */
static int read_pairs(Scorer *s, S2sErr *err)
{
    int n = 0;
    s->ids[0].len = s->ids[1].len = 0;
    for (int k = 1; k < s->e.n; k++)
        s->msrc[k].len = 0;
    s->off[0][0] = s->off[1][0] = 0;
    while (n < CHUNK) {
        int a = read_side(s, 0, err), b = a < 0 ? 0 : read_side(s, 1, err);
        if (a < 0 || b < 0)
            return -1;
        if (a != b) {
            const LineReader *ended = &s->in[a ? 1 : 0], *other = &s->in[a ? 0 : 1];
            return s2s_fail(err, S2S_EFORMAT,
                            "%s has %ld lines but %s has more: the files must be aligned line by line",
                            ended->name, ended->lineno, other->name);
        }
        if (a == 0)
            break;
        n++;
        s->off[0][n] = s->ids[0].len;
        s->off[1][n] = s->ids[1].len;
    }
    return n;
}

static int score_chunk(Scorer *s, int n, S2sErr *err)
{
    int sl[CHUNK] = {0}, tl[CHUNK] = {0};
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < s->e.n; k++)
            s->src[(size_t)k * n + i] = (k ? s->msrc[k].ids : s->ids[0].ids) + s->off[0][i];
        s->tgt[i] = s->ids[1].ids + s->off[1][i], tl[i] = (int)(s->off[1][i + 1] - s->off[1][i]);
        sl[i] = (int)(s->off[0][i + 1] - s->off[0][i]);
    }
    int rc = translator_score(&s->tr, s->src, sl, s->tgt, tl, n, s->logprob, err);
    for (int i = 0; !rc && i < n; i++) {
        if (printf("%d\t%.6f\n", tl[i] + 1, s->logprob[i]) < 0)
            rc = cli_write_failed(err, "stdout", errno);
        s->total += s->logprob[i];
        s->tokens += tl[i] + 1;
    }
    s->pairs += n;
    return rc;
}

/* Checks the files, loads the members and opens the two inputs. */
static int open_scorer(Scorer *s, S2sErr *err)
{
    const ScoreArgs *a = &s->a;
    const char *inputs[2 + ENSEMBLE_MAX] = {a->src, a->rs.nbest ? a->rs.nbest : a->tgt};
    const Model *m[ENSEMBLE_MAX];
    memcpy(inputs + 2, a->m.path, sizeof(char *) * (size_t)a->m.n);
    int rc = fileio_check_output(a->output, inputs, 2 + a->m.n, err);
    if (rc || (rc = ensemble_load(s->ck, a->m.path, a->m.n, err)) ||
        (rc = ensemble_precision(s->ck, a->m.n, a->m.prec_given, a->m.prec, err)) ||
        (rc = cli_models_shortlist(&a->m, s->ck, &s->sl, a->quiet ? NULL : stderr, err)))
        return rc;
    if (a->output && strcmp(a->output, "-") != 0 && !freopen(a->output, "w", stdout))
        return s2s_fail(err, S2S_EIO, "%s: cannot create", a->output);
    for (int k = 0; k < a->m.n; k++)
        m[k] = &s->ck[k].tm.model;
    if ((rc = ensemble_set(&s->e, m, a->m.nweights ? a->m.weights : NULL, a->m.n, err)) ||
        a->rs.nbest || (rc = linereader_open(&s->in[0], a->src, err)))
        return rc;
    return linereader_open(&s->in[1], a->tgt, err);
}

static void summary(const Scorer *s, FILE *f)
{
    double ppl = s->tokens ? exp(-s->total / (double)s->tokens) : 0;
    fprintf(f, "pairs %ld target_tokens %ld logprob %.6f ppl %.6f\n", s->pairs, s->tokens,
            s->total, ppl);
}

int cli_score(int argc, char **argv)
{
    Scorer *s = calloc(1, sizeof *s);
    S2sErr err;
    int n = 0, rc, code = CLI_OK;
    if (!s)
        return CLI_FAIL;
    rc = parse_args(argc, argv, &s->a);
    if (rc) {
        free(s);
        return rc < 0 ? CLI_OK : rc;
    }
    if (open_scorer(s, &err) || blas_check_memory((int)s->a.threads, &err)) {
        code = CLI_FAIL;
    } else if (s->a.rs.nbest) {
        RescoreOptions *ra = &s->a.rs;
        ra->src = s->a.src, ra->batch = s->a.batch, ra->max_line = s->a.max_line;
        ra->out = stdout, ra->out_name = "stdout";
        ra->feature = ra->feature ? ra->feature : "S2S";
        ra->shortlist = s->a.m.shortlist ? &s->sl : NULL;
        blas_set_threads((int)s->a.threads);
        code = rescore_run(ra, s->ck, &s->e, &err) ? CLI_FAIL : CLI_OK;
    } else {
        DecodeOptions o = {.mode = DECODE_GREEDY, .beam = 1, .nbest = 1, .max_len_ratio = 1,
                           .shortlist = s->a.m.shortlist ? &s->sl : NULL};
        s->in[0].max_line = s->in[1].max_line = s->a.max_line;
        blas_set_threads((int)s->a.threads);
        rc = translator_init(&s->tr, &s->e, &o, (int)s->a.batch, 1, 1, CHUNK, 0, &err);
        while (!rc && (n = read_pairs(s, &err)) > 0 && !(rc = score_chunk(s, n, &err)))
            ;
        if (n < 0 || rc)
            code = CLI_FAIL;
    }
    if (code) {
        fprintf(stderr, "s2s score: %s\n", err.msg);
    } else {
        if (s->a.summary)
            summary(s, stdout);
        code = cli_flush_stdout("score");
    }
    if (!code && !s->a.quiet && !s->a.rs.nbest)
        summary(s, stderr);
    for (int k = 0; k < 2; k++) {
        linereader_close(&s->in[k]);
        idbuf_free(&s->ids[k]);
    }
    translator_free(&s->tr);
    shortlist_free(&s->sl);
    for (int k = 0; k < ENSEMBLE_MAX; k++) {
        ckpt_free(&s->ck[k]);
        idbuf_free(&s->msrc[k]);
    }
    free(s);
    return code;
}
