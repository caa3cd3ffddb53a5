/* s2s translate: streams lines in, translations out, one output line per
 * input line (n-best: N lines per input line), in input order. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "s2s/base/fileio.h"
#include "s2s/base/pool.h"
#include "s2s/base/text.h"
#include "s2s/decode/align.h"
#include "s2s/decode/decode.h"
#include "s2s/decode/ensemble.h"
#include "s2s/decode/translator.h"
#include "s2s/model/checkpoint.h"
#include "s2s/model/quant.h"
#include "s2s/nn/blas.h"
#include "s2s/text/textio.h"
#include "s2s/text/vocab.h"

typedef struct {
    CliModels m;
    const char *input, *output;
    DecodeOptions dec;
    long batch, max_len, threads, seed, chunk, max_line;
    int scores, interactive, quiet, nbest_format, nbest_all;
    int alignment;   /* 0 none, 1 hard, 2 soft */
} Args;

static void help(FILE *f)
{
    fprintf(f, "usage: s2s translate --model MODEL [-m MODEL2 ...] [-i IN | IN] [-o OUT] [OPTIONS]\n\n"
               "Translates IN (default stdin; - is stdin) line by line into OUT (default stdout).\n\n"
               "options:\n");
    cli_options_help(f, CLI_TRANSLATE);
    fprintf(f, "Marian's names work too: --beam-size, --mini-batch, --cpu-threads, --max-length\n"
               "(sources are always cropped: --max-length-crop is accepted), --quiet-translation,\n"
               "--n-best; OpenNMT's --n_best N. There is no -n: Marian's -n/--normalize is not\n"
               "GNMT's --length-penalty.\n");
}

/* One option's value into a: 0, or CLI_USAGE after a message. */
static int parse_value(Args *a, int c, const char *v)
{
    double x = 0;
    if (cli_options_number("translate", CLI_TRANSLATE, c, v, &x))
        return CLI_USAGE;
    switch (c) {
    case 'm': return cli_models_add(&a->m, "translate", v);
    case CLI_K_PREC: return cli_models_precision(&a->m, "translate", v);
    case 'i': a->input = v; break;
    case 'o': a->output = v; break;
    case 'b': a->dec.beam = (int)x; break;
    case CLI_K_NBEST: a->dec.nbest = (int)x, a->nbest_format = 1; break;
    case CLI_K_NBEST_ALL: a->nbest_format = 1, a->nbest_all = 1; break; /* Marian's: the whole beam */
    case CLI_K_LP: a->dec.length_penalty = x; break;
    case CLI_K_RATIO: a->dec.max_len_ratio = x; break;
    case CLI_K_MAXOUT: a->dec.max_out_len = (int)x; break;
    case CLI_K_MAXLEN: a->max_len = (long)x; break;
    case CLI_K_TEMP: a->dec.temperature = x; break;
    case CLI_K_SEED: a->seed = (long)x; break;
    case CLI_K_BATCH: a->batch = (long)x; break;
    case CLI_K_THREADS: a->threads = (long)x; break;
    case CLI_K_MAXLINE: a->max_line = (long)x; break;
    case CLI_K_SCORES: a->scores = 1; break;
    case CLI_K_INTER: a->interactive = 1; break;
    case 'q': a->quiet = 1; break;
    case CLI_K_SAMPLE: a->dec.mode = DECODE_SAMPLE; break;
    case CLI_K_WEIGHTS:
        return cli_doubles("translate", "weights", v, a->m.weights, ENSEMBLE_MAX, &a->m.nweights);
    case CLI_K_ALIGN:
        a->alignment = strcmp(v, "hard") == 0 ? 1 : strcmp(v, "soft") == 0 ? 2 : 0;
        a->dec.attention = 1;
        if (!a->alignment) {
            fprintf(stderr, "s2s translate: --alignment: '%s' is not hard or soft\n", v);
            return CLI_USAGE;
        }
        break;
    case CLI_K_NORMALIZE:
        fprintf(stderr, "s2s translate: --normalize: Marian's length normalisation (score / length^A) "
                        "is not implemented; --length-penalty A is GNMT's ((5 + length) / 6)^A\n");
        return CLI_USAGE;
    }
    return 0;
}

/* What the options need of each other, and the decoding mode they make. */
static int check_args(Args *a, int beam_given)
{
    if (cli_models_check(&a->m, "translate"))
        return CLI_USAGE;
    if (a->dec.mode == DECODE_SAMPLE && beam_given) {
        fprintf(stderr, "s2s translate: --sample and --beam exclude each other (sampling draws "
                        "one translation; --beam searches for the best)\n");
        return CLI_USAGE;
    }
    if (a->dec.mode == DECODE_BEAM && a->dec.beam == 1)
        a->dec.mode = DECODE_GREEDY;
    if (a->dec.mode != DECODE_BEAM)
        a->dec.beam = 1;
    if (a->nbest_all)
        a->dec.nbest = a->dec.beam;
    if (a->dec.nbest > a->dec.beam) {
        fprintf(stderr, "s2s translate: --nbest %d needs --beam %d or more\n", a->dec.nbest,
                a->dec.nbest);
        return CLI_USAGE;
    }
    return 0;
}

static int parse_args(int argc, char **argv, Args *a)
{
    struct option longs[CLI_MAX_OPTIONS + 1];
    char shorts[32];
    cli_options_longs(CLI_TRANSLATE, longs, shorts);
    int c;
    unsigned char seen[CLI_K_LAST] = {0};
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    *a = (Args){.dec = decode_defaults(),
                .batch = 32, .max_len = 200, .threads = ncpu > 0 ? ncpu : 1, .seed = 1,
                .max_line = S2S_MAX_LINE_BYTES};
    opterr = 0;
    if (cli_habits_prescan("translate", argc, argv, longs))
        return CLI_USAGE;
    while ((c = getopt_long_only(argc, argv, shorts, longs, NULL)) != -1) {
        if (c == 'h') {
            help(stdout);
            return -1;
        }
        if (c >= CLI_K_HABIT) { /* another tool's name for what s2s does otherwise */
            CliHabitValue hv;
            return cli_habit_take("translate", c, argc, argv, &hv) ? CLI_USAGE : CLI_FAIL;
        }
        if (c == '?' && (optopt == 'n' || !strcmp(argv[optind - 1], "-n"))) {
            fprintf(stderr, "s2s translate: -n: no short option here: --nbest N prints n-best lists; "
                            "for Marian's -n (--normalize) see --length-penalty\n");
            return CLI_USAGE;
        }
        if (c == '?' || c == ':') {
            cli_bad_option("translate", c, argv[optind - 1], longs);
            return CLI_USAGE;
        }
        if (c != CLI_K_NORMALIZE && c != 'm' &&
            cli_once("translate", c, seen, CLI_K_LAST, argv, optind, optarg))
            return CLI_USAGE;
        if (c == CLI_K_SHORTLIST && cli_shortlist_arg("translate", &a->m, optarg, argc, argv))
            return CLI_USAGE;
        if (parse_value(a, c, optarg))
            return CLI_USAGE;
    }
    if (optind < argc && !a->input) /* s2s translate -m M IN, IN may be - */
        a->input = argv[optind++];
    if (optind < argc) {
        fprintf(stderr, "s2s translate: unexpected argument '%s'\n", argv[optind]);
        return CLI_USAGE;
    }
    return check_args(a, seen['b']);
}

/* Everything one run holds. */
typedef struct {
    Args a;
    Checkpoint ck[ENSEMBLE_MAX]; /* the members; ck[0]'s tokenizer and target vocabulary serve all */
    Ensemble e;
    Translator tr;   /* the decoders, the pool, the order */
    LineReader in;
    FILE *out;
    /* the current chunk of input lines */
    int n;
    long first;      /* 0-based index of the chunk's first line */
    size_t *id_off;  /* (chunk + 1) line i's ids: ids[k].ids[id_off[i] .. id_off[i+1]) */
    IdBuf ids[ENSEMBLE_MAX]; /* member k's source ids (ids[0].tb: the line's tokens) */
    const int32_t **src; /* (members, chunk) line i's ids for member k at [k * n + i] */
    int *lens;       /* (chunk) */
    size_t *text_off; /* (chunk, 2) start and end of line i's output in text */
    TextBuf text;
    long done;       /* lines written */
    long ntok, nunk; /* source tokens kept, and of them unknown to the model (<unk>) */
    int read_failed; /* reading stopped at an error (printed): stop after this chunk */
    /* --alignment: the word of each source piece, line i's at src_word[sw_off[i] ..] */
    int *src_word, *map;
    size_t *sw_off, sw_len, sw_cap, map_cap;
    AlignScratch as; /* scratch: a hypothesis' pieces and words */
    TokBuf words;    /* scratch: word tokens */
    TextBuf align;   /* scratch: one hypothesis' alignment field */
    Shortlist sl;    /* --shortlist, else zeroed */
    double t0, last_report;
} Run;

/* Grows *p (of *cap ints) to hold need, kept for reuse: 0 or -1. */
static int grow_ints(int **p, size_t *cap, size_t need)
{
    int *q = s2s_grow(*p, cap, need, sizeof *q);
    if (q)
        *p = q;
    return q ? 0 : -1;
}

/* --alignment: the words of the kept source pieces of the line just read
 * (ntok pieces, in r->ids.tb). */
static int note_source_words(Run *r, long ntok)
{
    long kept = ntok > r->a.max_len ? r->a.max_len : ntok;
    if (grow_ints(&r->map, &r->map_cap, (size_t)ntok + 1) ||
        grow_ints(&r->src_word, &r->sw_cap, r->sw_len + (size_t)kept))
        return -1;
    if (ntok > 0 && align_line_words(&r->ck[0].tm.tokenizer, &r->ids[0].tb, (int)ntok, r->in.line,
                                     r->in.len, &r->words, r->map) < 0)
        return -1;
    memcpy(r->src_word + r->sw_len, r->map, sizeof(int) * (size_t)kept);
    r->sw_len += (size_t)kept;
    return 0;
}

static int line_len(const Run *r, int i) { return (int)(r->id_off[i + 1] - r->id_off[i]); }

/* Tokens of the line just read (appended to r->ids), or < 0 out of memory.
 * A whitespace-only line (any Unicode whitespace) has none: its output is
 * an empty line, not a translation of the whitespace. */
static long line_ids(Run *r, S2sErr *err)
{
    int bad = textio_replace_invalid(&r->in);
    if (bad > 0)
        fprintf(stderr, "s2s translate: warning: %s:%ld: %d invalid UTF-8 or NUL bytes replaced by U+FFFD\n",
                r->in.name, r->in.lineno, bad);
    if (bad < 0)
        return s2s_fail(err, S2S_ENOMEM, "out of memory");
    if (text_rstrip_utf8(r->in.line, r->in.len) == 0)
        return 0;
    size_t from = r->ids[0].len;
    IdBuf *ids[ENSEMBLE_MAX];
    for (int k = 0; k < r->e.n; k++)
        ids[k] = &r->ids[k];
    long n = ensemble_source_ids(ids, r->ck, r->e.n, r->in.line, r->in.len, (int)r->a.max_len,
                                 err);
    for (size_t k = from; n > 0 && k < r->ids[0].len; k++)
        r->nunk += r->ids[0].ids[k] == VOCAB_UNK;
    r->ntok += n > 0 ? (long)(r->ids[0].len - from) : 0;
    return n;
}

/* Reads up to a->chunk lines; returns the count, or < 0 after printing. A
 * read error after some lines sets read_failed and returns those lines. */
static int read_chunk(Run *r)
{
    S2sErr err;
    int n = 0, rc;
    for (int k = 0; k < r->e.n; k++)
        r->ids[k].len = 0;
    r->id_off[0] = 0;
    r->sw_len = 0;
    if (r->sw_off)
        r->sw_off[0] = 0;
    while (n < r->a.chunk && (rc = linereader_next(&r->in, &err)) == 1) {
        long ntok = line_ids(r, &err);
        if (ntok >= 0 && r->a.alignment && note_source_words(r, ntok))
            ntok = s2s_fail(&err, S2S_ENOMEM, "out of memory");
        if (ntok < 0) {
            linereader_wrap(&r->in, (int)ntok, &err);
            fprintf(stderr, "s2s translate: %s\n", err.msg);
            return -1;
        }
        if (ntok > r->a.max_len)
            fprintf(stderr, "s2s translate: warning: %s:%ld: %ld tokens, truncated to --max-len %ld\n",
                    r->in.name, r->in.lineno, ntok, r->a.max_len);
        r->id_off[++n] = r->ids[0].len;
        if (r->sw_off)
            r->sw_off[n] = r->sw_len;
        if (r->a.interactive)
            break;
    }
    if (rc < 0) {
        fprintf(stderr, "s2s translate: %s\n", err.msg);
        r->read_failed = 1;
    }
    return n == 0 && rc < 0 ? -1 : n;
}

/* Into out, " ||| " and the alignment of hypothesis j of sentence s (line
 * i), whose tokens tok[0..len) were just written to r->text from byte from. */
static int append_alignment(Run *r, TextBuf *out, const Decoder *d, int s, int j, int i,
                            const int32_t *tok, int len, size_t from)
{
    const TranslationModel *tm = &r->ck[0].tm;
    int nsrc = (int)(r->sw_off[i + 1] - r->sw_off[i]);
    if (textbuf_append(out, " ||| ", 5))
        return -1;
    return align_hypothesis(&r->as, out, r->a.alignment == 2, &tm->tokenizer, &tm->tgt_vocab, tok,
                            len, r->text.p + from, r->text.len - from, decode_hyp_attention(d, s, j),
                            d->max_src, nsrc, r->ck[r->e.align].tm.model.cfg.reverse,
                            r->src_word + r->sw_off[i]);
}

/* Appends sentence s's output (line i of the chunk) to r->text. */
static int format_sentence(Run *r, const Decoder *d, int s, int i)
{
    const Args *a = &r->a;
    const int32_t *tok;
    int len, rc = 0;
    double score, logprob;
    int nh = decode_hyp(d, s, 0, &tok, &len, &score, &logprob);
    int shown = a->nbest_format ? (nh < a->dec.nbest ? nh : a->dec.nbest) : 1;
    for (int j = 0; j < shown && !rc; j++) {
        decode_hyp(d, s, j, &tok, &len, &score, &logprob);
        if (a->nbest_format)
            rc = textbuf_printf(&r->text, "%ld ||| ", r->first + i);
        size_t from = r->text.len;
        if (!rc)
            rc = textbuf_append_words(&r->text, &r->ck[0].tm.tokenizer, &r->ck[0].tm.tgt_vocab, tok, len);
        r->align.len = 0;
        if (!rc && a->alignment) /* the words are those of the text just written */
            rc = append_alignment(r, &r->align, d, s, j, i, tok, len, from);
        if (!rc && a->nbest_format) /* Moses/Marian: the features, then the total */
            rc = textbuf_printf(&r->text, " ||| F0= %.6f ||| %.6f", logprob, score);
        else if (!rc && a->scores)
            rc = textbuf_printf(&r->text, " ||| %.6f", score);
        if (!rc && a->alignment) /* the last field */
            rc = textbuf_append(&r->text, r->align.p, r->align.len);
        if (!rc)
            rc = textbuf_append(&r->text, "\n", 1);
    }
    return rc;
}

/* Output of an empty input line: an empty line (n-best: one empty entry). */
static int format_empty(Run *r, int i)
{
    if (r->a.nbest_format) /* every entry has the same fields: with --alignment an empty one */
        return textbuf_printf(&r->text, "%ld |||  ||| F0= 0.000000 ||| 0.000000%s\n", r->first + i,
                              r->a.alignment ? " ||| " : "");
    return textbuf_append(&r->text, r->a.scores ? " ||| 0.000000\n" : "\n",
                          r->a.scores ? 14 : 1);
}

/* Translator callback: line i's output, formatted into r->text. */
static int on_result(void *ctx, const Decoder *d, int s, int i)
{
    Run *r = ctx;
    size_t from = r->text.len;
    if ((d ? format_sentence(r, d, s, i) : format_empty(r, i)) < 0)
        return -1;
    r->text_off[2 * i] = from;
    r->text_off[2 * i + 1] = r->text.len;
    return 0;
}

/* Translator callback: lines [from, to) are complete and in order: written
 * and flushed, so the output advances after every batch. */
static int on_ready(void *ctx, int from, int to)
{
    Run *r = ctx;
    for (int i = from; i < to; i++, r->done++) {
        size_t a = r->text_off[2 * i], b = r->text_off[2 * i + 1];
        if (fwrite(r->text.p + a, 1, b - a, r->out) != b - a)
            return -2;
    }
    return fflush(r->out) ? -2 : 0;
}

/* Decodes the chunk's lines, writing as it goes: 0, -1 out of memory,
 * -2 write failed. */
static int translate_chunk(Run *r)
{
    r->text.len = 0;
    for (int i = 0; i < r->n; i++) {
        for (int k = 0; k < r->e.n; k++)
            r->src[(size_t)k * r->n + i] = r->ids[k].ids + r->id_off[i];
        r->lens[i] = line_len(r, i);
    }
    return translator_run(&r->tr, r->src, r->lens, r->n, on_result, on_ready, r);
}

static void progress(Run *r, int final)
{
    double now = cli_now();
    if (r->a.quiet || r->a.interactive || (!final && now - r->last_report < 2.0) ||
        (final && now - r->t0 < 1.0))
        return;
    double el = now - r->t0, rate = el > 0 ? r->done / el : 0;
    long off = linereader_offset(&r->in);
    fprintf(stderr, "s2s translate: %ld lines, %.1f lines/s, %.0fs", r->done, rate, el);
    if (!final && off > 0 && r->in.size > 0)
        fprintf(stderr, ", ETA %.0fs", el * (double)(r->in.size - off) / (double)off);
    fputc('\n', stderr);
    r->last_report = now;
}

static int open_run(Run *r, S2sErr *err)
{
    const Args *a = &r->a;
    const char *inputs[2 + ENSEMBLE_MAX] = {a->input};
    const Model *m[ENSEMBLE_MAX];
    memcpy(inputs + 1, a->m.path, sizeof(char *) * (size_t)a->m.n);
    inputs[1 + a->m.n] = a->m.shortlist;
    int rc = fileio_check_output(a->output, inputs, 1 + a->m.n + !!a->m.shortlist, err);
    if (rc || (rc = ensemble_load(r->ck, a->m.path, a->m.n, err)))
        return rc;
    double t = cli_now();
    if ((rc = ensemble_precision(r->ck, a->m.n, a->m.prec_given, a->m.prec, err)))
        return rc;
    Precision p = r->ck[0].tm.quant ? r->ck[0].tm.quant->prec : PREC_FP32;
    if (!a->quiet)
        fprintf(stderr, "s2s translate: decoding in %s (%s): decoder weights %.1f MB, %s in %.0f ms\n",
                precision_name(p), qmat_kernel(p),
                model_decoder_bytes(&r->ck[0].tm.model) / 1048576.0,
                p != PREC_FP32 && p == r->ck[0].tm.stored ? "read from the file" : "made",
                1000 * (cli_now() - t));
    if ((rc = cli_models_shortlist(&a->m, r->ck, &r->sl, a->quiet ? NULL : stderr, err)))
        return rc;
    r->a.dec.shortlist = a->m.shortlist ? &r->sl : NULL;
    for (int k = 0; k < a->m.n; k++)
        m[k] = &r->ck[k].tm.model;
    if ((rc = ensemble_set(&r->e, m, a->m.nweights ? a->m.weights : NULL, a->m.n, err)) ||
        (rc = linereader_open(&r->in, a->input, err)))
        return rc;
    r->in.max_line = a->max_line;
    r->out = stdout;
    if (a->output && strcmp(a->output, "-") != 0 && !(r->out = fopen(a->output, "w")))
        return s2s_fail(err, S2S_EIO, "%s: cannot create", a->output);
    size_t n = (size_t)a->chunk;
    r->id_off = malloc((n + 1) * sizeof(size_t));
    r->text_off = malloc(2 * n * sizeof(size_t));
    r->src = malloc(n * (size_t)a->m.n * sizeof(int32_t *));
    r->lens = malloc(n * sizeof(int));
    r->sw_off = a->alignment ? malloc((n + 1) * sizeof(size_t)) : NULL;
    if (!r->id_off || !r->text_off || !r->src || !r->lens || (a->alignment && !r->sw_off))
        return s2s_fail(err, S2S_ENOMEM, "out of memory");
    r->t0 = r->last_report = cli_now();
    /* --threads batches side by side, each with single-threaded BLAS: the
     * per-step products of decoding are too small to share between BLAS
     * threads. One batch at a time (--threads 1) runs on one thread too:
     * the library's own default would be every core. */
    blas_set_threads((int)a->threads);
    rc = translator_init(&r->tr, &r->e, &a->dec, (int)a->batch, (int)a->threads,
                         (int)a->max_len, (int)a->chunk, (uint64_t)a->seed, err);
    return rc ? rc : blas_check_memory((int)a->threads, err);
}

static void close_run(Run *r)
{
    if (r->out && r->out != stdout)
        fclose(r->out);
    linereader_close(&r->in);
    translator_free(&r->tr);
    shortlist_free(&r->sl);
    free(r->src);
    free(r->lens);
    for (int k = 0; k < ENSEMBLE_MAX; k++) {
        ckpt_free(&r->ck[k]);
        idbuf_free(&r->ids[k]);
    }
    textbuf_free(&r->text);
    free(r->id_off);
    free(r->text_off);
    free(r->sw_off);
    free(r->src_word);
    free(r->map);
    align_scratch_free(&r->as);
    tokbuf_free(&r->words);
    textbuf_free(&r->align);
}

static const char *output_name(const Run *r)
{
    return r->out == stdout ? "stdout" : r->a.output;
}

/* translate_chunk failed, errno e: a write failed, or memory ran out
 * (rc S2S_ENOMEM: the translator says for what). */
static void output_failed(const Run *r, int rc, int e)
{
    S2sErr err;
    if (ferror(r->out))
        cli_write_failed(&err, output_name(r), e);
    else if (rc == S2S_ENOMEM && r->tr.err.msg[0])
        s2s_fail(&err, S2S_ENOMEM, "%s:%ld-%ld: %s (a line this long needs a smaller --max-len)",
                 r->a.input && strcmp(r->a.input, "-") ? r->a.input : "stdin", r->first + 1,
                 r->first + r->n, r->tr.err.msg);
    else
        s2s_fail(&err, S2S_ENOMEM, "out of memory");
    fprintf(stderr, "s2s translate: %s\n", err.msg);
}

/* Closes an -o file (stdout is main's to close): 0, or -1 after printing. */
static int close_output(Run *r)
{
    if (r->out == stdout)
        return 0;
    int e = cli_fclose(r->out);
    r->out = NULL;
    if (!e)
        return 0;
    S2sErr err;
    cli_write_failed(&err, r->a.output, e);
    fprintf(stderr, "s2s translate: %s\n", err.msg);
    return -1;
}

/* Out-of-vocabulary source words are read as <unk>: how many (unless -q),
 * and a warning when more than a third are, naming the model's languages:
 * the input is likely in another language than the model's source (a
 * model for the other direction translates fluent nonsense). */
static void report_unknown(const Run *r)
{
    const TranslationModel *tm = &r->ck[0].tm;
    if (r->nunk == 0)
        return;
    double pct = 100.0 * (double)r->nunk / (double)r->ntok;
    if (!r->a.quiet)
        fprintf(stderr, "s2s translate: %ld of %ld source tokens (%.1f%%) are not in the model's "
                        "vocabulary and were read as <unk>\n", r->nunk, r->ntok, pct);
    if (3 * r->nunk <= r->ntok)
        return;
    if (tm->src_lang[0])
        fprintf(stderr, "s2s translate: warning: %.1f%% of the source tokens are unknown to %s, which "
                        "translates %s to %s: is the input %s?\n", pct, r->a.m.path[0], tm->src_lang,
                tm->tgt_lang[0] ? tm->tgt_lang : "?", tm->src_lang);
    else
        fprintf(stderr, "s2s translate: warning: %.1f%% of the source tokens are unknown to %s: is "
                        "the input in the language it was trained to translate from?\n", pct,
                r->a.m.path[0]);
}

int cli_translate(int argc, char **argv)
{
    Run r;
    S2sErr err;
    memset(&r, 0, sizeof r);
    int rc = parse_args(argc, argv, &r.a), code = CLI_OK;
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    if (isatty(fileno(stdin)) && (!r.a.input || strcmp(r.a.input, "-") == 0))
        r.a.interactive = 1;
    /* Enough lines to sort into batches of similar length, few enough to answer soon. */
    r.a.chunk = r.a.interactive ? 1 : r.a.batch * 16 < 4096 ? r.a.batch * 16 : 4096;
    if (open_run(&r, &err)) {
        fprintf(stderr, "s2s translate: %s\n", err.msg);
        close_run(&r);
        return CLI_FAIL;
    }
    if (r.a.alignment && r.e.align < 0) {
        if (r.e.n == 1)
            fprintf(stderr, "s2s translate: --alignment needs an attention model (%s is %s)\n",
                    r.a.m.path[0], model_arch_name(r.ck[0].tm.model.cfg.arch));
        else
            fprintf(stderr, "s2s translate: --alignment needs an attention model of weight > 0 in the ensemble\n");
        close_run(&r);
        return CLI_USAGE;
    }
    while ((r.n = read_chunk(&r)) > 0) {
        if ((rc = translate_chunk(&r))) {
            output_failed(&r, rc, errno);
            code = CLI_FAIL;
            break;
        }
        r.first += r.n;
        progress(&r, 0);
        if (r.read_failed) {
            code = CLI_FAIL;
            break;
        }
    }
    if (r.n < 0)
        code = CLI_FAIL;
    if (code == CLI_OK && close_output(&r))
        code = CLI_FAIL;
    if (code == CLI_OK)
        progress(&r, 1);
    if (code == CLI_OK)
        report_unknown(&r);
    close_run(&r);
    return code;
}
