/* s2s tokenize, s2s detokenize, s2s bpe learn|apply: the tokenizer and BPE
 * in pipelines, stdin to stdout, line for line. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "s2s/text/textio.h"
#include "s2s/text/tokenizer.h"

typedef struct {
    const char *input, *output, *codes;
    const char *inputs[16];
    int ninputs;
    long merges, min_freq, max_line;
    int max_line_set; /* --max-line-bytes given */
    int quiet;
} TokArgs;

static void usage(FILE *f, const char *cmd)
{
    if (strcmp(cmd, "tokenize") == 0)
        fprintf(f, "usage: s2s tokenize [--codes CODES] [-i IN] [-o OUT] [--max-line-bytes N]\n\n"
                   "Splits raw UTF-8 text into tokens, reversibly (s2s detokenize undoes it);\n"
                   "with --codes, also into BPE subwords. One output line per input line.\n");
    else if (strcmp(cmd, "detokenize") == 0)
        fprintf(f, "usage: s2s detokenize [-i IN] [-o OUT] [--max-line-bytes N]\n\n"
                   "Turns tokens (and BPE subwords) back into the raw text. Lines may hold up to\n"
                   "5 * 1048576 + 16 bytes (what tokenize makes of its longest line) unless\n"
                   "--max-line-bytes says otherwise.\n");
    else
        fprintf(f, "usage: s2s bpe learn --merges N -i TEXT [-i TEXT2 ...] -o CODES [--min-freq N]\n"
                   "       s2s bpe apply --codes CODES [-i IN] [-o OUT]\n\n"
                   "learn: learns BPE merges jointly over the tokens of raw text files.\n"
                   "apply: segments tokenized text (s2s tokenize output) into subwords.\n"
                   "Both take --max-line-bytes N (default 1048576 for learn, 5 * 1048576 + 16 for\n"
                   "apply, which reads tokens): longer lines are an error.\n");
}

static int parse(int argc, char **argv, const char *cmd, TokArgs *a)
{
    static const struct option longs[] = {
        {"input", required_argument, NULL, 'i'}, {"output", required_argument, NULL, 'o'},
        {"codes", required_argument, NULL, 'c'}, {"merges", required_argument, NULL, 'm'},
        {"min-freq", required_argument, NULL, 'f'}, {"quiet", no_argument, NULL, 'q'},
        {"max-line-bytes", required_argument, NULL, 'L'},
        {"help", no_argument, NULL, 'h'}, {0, 0, 0, 0}};
    int c, rc = 0;
    *a = (TokArgs){.merges = -1, .min_freq = 2, .max_line = S2S_MAX_LINE_BYTES};
    opterr = 0;
    while (!rc && (c = getopt_long(argc, argv, ":i:o:c:m:qh", longs, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout, cmd);
            return -1;
        } else if (c == '?' || c == ':') {
            cli_bad_option(cmd, c, argv[optind - 1], longs);
            rc = CLI_USAGE;
        } else if (c == 'i') {
            a->input = optarg;
            if (a->ninputs < 16)
                a->inputs[a->ninputs++] = optarg;
        } else if (c == 'o' || c == 'c') {
            *(c == 'o' ? &a->output : &a->codes) = optarg;
        } else if (c == 'm' || c == 'f') {
            rc = cli_long(cmd, c == 'm' ? "merges" : "min-freq", optarg, c == 'm' ? 0 : 1, 10000000,
                          c == 'm' ? &a->merges : &a->min_freq);
        } else if (c == 'L') {
            rc = cli_long(cmd, "max-line-bytes", optarg, 1, S2S_MAX_LINE_LIMIT, &a->max_line);
            a->max_line_set = 1;
        }
        a->quiet |= c == 'q';
    }
    for (; !rc && optind < argc; optind++) /* s2s tokenize FILE, as -i FILE */
        if (a->ninputs < 16)
            a->input = a->inputs[a->ninputs++] = argv[optind];
    if (!rc && a->ninputs > 1 && strcmp(cmd, "bpe") != 0) {
        fprintf(stderr, "s2s %s: one input file (given: %s and %s)\n", cmd, a->inputs[0], a->inputs[1]);
        rc = CLI_USAGE;
    }
    return rc;
}

typedef enum { MODE_TOKENIZE, MODE_DETOKENIZE, MODE_APPLY } Mode;

typedef struct {
    FILE *f;          /* stdout, or the -o file (owned) */
    const char *name; /* for messages */
} Output;

/* Writes toks of b joined by single spaces, then a newline. */
static int write_tokens(FILE *out, const TokBuf *b)
{
    for (int i = 0; i < b->n; i++)
        if ((i && fputc(' ', out) == EOF) || fputs(tokbuf_token(b, i), out) == EOF)
            return -1;
    return fputc('\n', out) == EOF ? -1 : 0;
}

/* Transforms one line as mode says and writes it. */
static int one_line(Mode mode, const Tokenizer *tk, LineReader *in, TokBuf *tb, const Output *out,
                    char **text, size_t *cap, S2sErr *err)
{
    static const Tokenizer word = {.kind = TOKENIZER_WORD};
    int n;
    if (mode == MODE_TOKENIZE)
        n = tokenizer_encode(tk, tb, in->line, in->len, err);
    else
        n = tokenizer_encode_tokens(mode == MODE_APPLY ? tk : &word, tb, in->line, in->len, err);
    if (n < 0)
        return linereader_wrap(in, n, err);
    if (mode != MODE_DETOKENIZE)
        return write_tokens(out->f, tb) ? cli_write_failed(err, out->name, errno) : 0;
    const char **toks = malloc(sizeof(char *) * (size_t)(n + 1));
    size_t len = 0;
    for (int i = 0; toks && i < n; i++)
        toks[i] = tokbuf_token(tb, i);
    int rc = !toks || tokenizer_decode(&word, toks, n, text, &len, cap);
    free(toks);
    if (rc)
        return s2s_fail(err, S2S_ENOMEM, "out of memory");
    if (fputs(*text, out->f) == EOF || fputc('\n', out->f) == EOF)
        return cli_write_failed(err, out->name, errno);
    return 0;
}

/* Whether a word of line[0..n) has punctuation joined to it ("house." or
 * "(the"): text that s2s tokenize has not split. The word goes to out. */
static int looks_untokenized(const char *line, size_t n, char *out, size_t cap)
{
    for (size_t i = 0; i < n;) {
        while (i < n && (line[i] == ' ' || line[i] == '\t'))
            i++;
        size_t j = i;
        while (j < n && line[j] != ' ' && line[j] != '\t')
            j++;
        if (j - i >= 2 && ((strchr(".,!?;:)\"", line[j - 1]) && isalnum((unsigned char)line[j - 2])) ||
                           (strchr("(\"", line[i]) && isalnum((unsigned char)line[i + 1])))) {
            snprintf(out, cap, "%.*s", (int)(j - i), line + i);
            return 1;
        }
        i = j;
    }
    return 0;
}

static int run_lines(Mode mode, const TokArgs *a, S2sErr *err)
{
    Tokenizer tk = {.kind = TOKENIZER_WORD};
    LineReader in;
    TokBuf tb = {0};
    Output out = {stdout, "stdout"};
    char *text = NULL;
    size_t cap = 0;
    Bpe b;
    memset(&b, 0, sizeof b);
    memset(&in, 0, sizeof in);
    int rc = a->codes ? bpe_load(&b, a->codes, err) : 0;
    if (!rc && a->codes)
        tokenizer_set_bpe(&tk, &b);
    const char *inputs[2] = {a->input, a->codes};
    if (!rc)
        rc = fileio_check_output(a->output, inputs, a->codes ? 2 : 1, err);
    if (!rc)
        rc = linereader_open(&in, a->input, err);
    in.keep_cr = 1; /* a CRLF line's '\r' is text too: byte-exact round trips */
    in.max_line = a->max_line;
    if (!rc && a->output && strcmp(a->output, "-") != 0 && !(out.f = fopen(out.name = a->output, "w")))
        rc = s2s_fail(err, S2S_EIO, "%s: cannot create", a->output);
    int flush_lines = in.f && isatty(fileno(in.f)), warned = mode != MODE_APPLY || a->quiet;
    char word[64];
    while (!rc && (rc = linereader_next(&in, err)) == 1) {
        if (!warned && (warned = looks_untokenized(in.line, in.len, word, sizeof word)))
            fprintf(stderr, "s2s bpe apply: warning: %s:%ld: '%s' looks untokenized (punctuation joined to "
                            "a word): apply BPE to the output of s2s tokenize\n", in.name, in.lineno, word);
        rc = one_line(mode, &tk, &in, &tb, &out, &text, &cap, err);
        if (!rc && flush_lines)
            fflush(out.f);
    }
    int e = !out.f ? 0 : out.f == stdout ? cli_flush(out.f) : cli_fclose(out.f);
    if (e && !rc)
        rc = cli_write_failed(err, out.name, e);
    free(text);
    tokbuf_free(&tb);
    linereader_close(&in);
    tokenizer_free(&tk);
    return rc;
}

static int bpe_learn_cmd(const TokArgs *a, S2sErr *err)
{
    Bpe b;
    memset(&b, 0, sizeof b);
    int rc = fileio_check_output(a->output, a->inputs, a->ninputs, err);
    if (!rc)
        rc = textio_learn_bpe(&b, a->inputs, a->ninputs, (int)a->merges, (int)a->min_freq,
                              a->max_line, a->quiet ? NULL : stderr, err);
    if (!rc) {
        rc = bpe_save(&b, a->output, err);
        if (!rc && !a->quiet)
            fprintf(stderr, "s2s bpe: %d merges written to %s\n", bpe_nmerges(&b), a->output);
    }
    bpe_free(&b);
    return rc;
}

static int finish(const char *cmd, int rc, S2sErr *err)
{
    if (rc) {
        fprintf(stderr, "s2s %s: %s\n", cmd, err->msg);
        return CLI_FAIL;
    }
    return CLI_OK;
}

int cli_tokenize(int argc, char **argv, int detokenize)
{
    const char *cmd = detokenize ? "detokenize" : "tokenize";
    TokArgs a;
    S2sErr err;
    int rc = parse(argc, argv, cmd, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    if (detokenize && !a.max_line_set) /* what tokenize makes of its longest line */
        a.max_line = TOKENIZER_TOKEN_BYTES(S2S_MAX_LINE_BYTES);
    if (detokenize && a.codes) {
        fprintf(stderr, "s2s detokenize: --codes is not needed: subwords carry their joiners\n");
        return CLI_USAGE;
    }
    return finish(cmd, run_lines(detokenize ? MODE_DETOKENIZE : MODE_TOKENIZE, &a, &err), &err);
}

int cli_bpe(int argc, char **argv)
{
    TokArgs a;
    S2sErr err;
    const char *sub = argc > 1 ? argv[1] : "";
    if (strcmp(sub, "learn") != 0 && strcmp(sub, "apply") != 0) {
        usage(strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0 ? stdout : stderr, "bpe");
        return strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0 ? CLI_OK : CLI_USAGE;
    }
    int rc = parse(argc - 1, argv + 1, "bpe", &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    if (strcmp(sub, "apply") == 0) {
        if (!a.codes) {
            fprintf(stderr, "s2s bpe apply: --codes is required\n");
            return CLI_USAGE;
        }
        if (!a.max_line_set) /* it reads tokens: what tokenize makes of its longest line */
            a.max_line = TOKENIZER_TOKEN_BYTES(S2S_MAX_LINE_BYTES);
        return finish("bpe apply", run_lines(MODE_APPLY, &a, &err), &err);
    }
    if (a.merges < 0 || a.ninputs == 0 || !a.output) {
        fprintf(stderr, "s2s bpe learn: --merges, -i and -o are required\n");
        return CLI_USAGE;
    }
    return finish("bpe learn", bpe_learn_cmd(&a, &err), &err);
}
