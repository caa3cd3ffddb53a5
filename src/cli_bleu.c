/* s2s bleu: corpus (or sentence) BLEU and chrF, with sacreBLEU's options and
 * output. Streams: hypothesis and reference lines are read together and
 * only the statistics are kept. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "s2s/bleu.h"
#include "s2s/chrf.h"
#include "s2s/ter.h"
#include "s2s/fileio.h"
#include "s2s/textio.h"
#include "s2s/utf8.h"

#define MAX_REFS 64
#define SIG_VERSION "s2s-" S2S_VERSION

typedef struct {
    const char *input;
    const char *refs[MAX_REFS];
    int nrefs;
    int bleu, chrf, ter;     /* metrics asked for */
    int order[3], nmetrics;  /* the metrics in the order named (sentence level: the first) */
    int score_only, json, sentence, width;
    long max_line;
    BleuOptions b;
    ChrfOptions c;
    TerOptions t;
} BleuArgs;

enum { M_BLEU, M_CHRF, M_TER };

static void help(FILE *f)
{
    fprintf(f,
            "usage: s2s bleu REF [REF...] [-i HYP] [OPTIONS]\n\n"
            "Scores the hypotheses (HYP, default stdin) against the references the way\n"
            "sacreBLEU 2.x does, to the last printed digit.\n\n"
            "options (sacreBLEU's names):\n"
            "  -i, --input FILE              hypotheses, one per line (default stdin; - = stdin)\n"
            "  -m, --metrics bleu chrf ter   metrics, as words or bleu,chrf,ter (default bleu)\n"
            "  -b, --score-only              print the score only\n"
            "  -w, --width N                 decimals (default 2)\n"
            "  -f, --format text|json        output format (default text)\n"
            "  -sl, --sentence-level         one score per segment (first metric only)\n"
            "  -lc, --lowercase              BLEU: lowercase (Python str.lower())\n"
            "  -tok, --tokenize 13a|intl|char|none   BLEU tokenizer (default 13a)\n"
            "  -s, --smooth-method exp|floor|add-k|none   BLEU smoothing (default exp)\n"
            "  -sv, --smooth-value X         BLEU smoothing value (floor 0.1, add-k 1)\n"
            "  -cc, --chrf-char-order N      chrF character order (default 6)\n"
            "  -cw, --chrf-word-order N      chrF word order (default 0; 2 = chrF++)\n"
            "  --chrf-beta N                 chrF beta (default 2)\n"
            "  --chrf-lowercase              chrF: lowercase\n"
            "  --chrf-whitespace             chrF: keep whitespace in character n-grams\n"
            "  --chrf-eps-smoothing          chrF: epsilon smoothing (chrF++.py, Moses, NLTK)\n"
            "  --ter-case-sensitive          TER: keep case\n"
            "  --ter-no-punct                TER: drop punctuation\n"
            "  --ter-normalized              TER: tercom's normalisation (punctuation, XML entities)\n"
            "  --ter-asian-support           TER: split CJK characters and punctuation\n"
            "  --max-line-bytes N            longest line accepted (default 1048576)\n"
            "  -h, --help                    this help\n");
}

static int parse_metrics(BleuArgs *a, const char *v)
{
    static const char *const names[] = {"bleu", "chrf", "ter"};
    char buf[256];
    snprintf(buf, sizeof buf, "%s", v);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int m = 0;
        while (m < 3 && strcmp(t, names[m]) != 0)
            m++;
        if (m == 3) {
            fprintf(stderr, "s2s bleu: --metrics: unknown metric '%s' (bleu, chrf, ter)\n", t);
            return CLI_USAGE;
        }
        int *on = m == M_BLEU ? &a->bleu : m == M_CHRF ? &a->chrf : &a->ter;
        if (!*on)
            a->order[a->nmetrics++] = m;
        *on = 1;
    }
    return 0;
}

/* sacreBLEU's -m takes several words (-m bleu chrf ter): the words after
 * -m that name metrics are joined into its argument (bleu,chrf,ter) in a
 * copy of argv (out, with argc + 1 slots; buf holds the joined lists). */
static int join_metric_words(int argc, char **argv, char **out, char *buf, size_t cap)
{
    int n = 0;
    size_t used = 0;
    for (int i = 0; i < argc; i++) {
        out[n++] = argv[i];
        int is_m = !strcmp(argv[i], "-m") || !strcmp(argv[i], "--metrics") ||
                   !strcmp(argv[i], "-metrics") || !strcmp(argv[i], "--m");
        if (!is_m || i + 1 >= argc)
            continue;
        char *start = buf + used;
        int k = i + 1;
        for (; k < argc && (!strcmp(argv[k], "bleu") || !strcmp(argv[k], "chrf") || !strcmp(argv[k], "ter") ||
                            k == i + 1); k++) {
            size_t len = strlen(argv[k]);
            if (used + len + 2 > cap)
                break;
            if (start != buf + used)
                buf[used - 1] = ',';
            memcpy(buf + used, argv[k], len + 1);
            used += len + 1;
        }
        out[n++] = start;
        i = k - 1;
    }
    out[n] = NULL;
    return n;
}

static int pick(const char *opt, const char *v, const char *const *names, int n, int *out)
{
    for (int i = 0; i < n; i++)
        if (strcmp(v, names[i]) == 0) {
            *out = i;
            return 0;
        }
    fprintf(stderr, "s2s bleu: --%s: unknown value '%s'\n", opt, v);
    return CLI_USAGE;
}

enum { O_LC = 256, O_TOK, O_SL, O_SV, O_CW, O_CC, O_BETA, O_CLC, O_CWS, O_CEPS, O_MAXLINE,
       O_TCS, O_TNP, O_TNORM, O_TASIAN };

static int parse_value(BleuArgs *a, int c, const char *v)
{
    static const char *const toks[] = {"13a", "intl", "char", "none"};
    static const char *const smooths[] = {"exp", "floor", "add-k", "none"};
    static const char *const formats[] = {"text", "json"};
    long n;
    int k, rc = 0;
    switch (c) {
    case 'i': a->input = v; break;
    case 'm': rc = parse_metrics(a, v); break;
    case 'b': a->score_only = 1; break;
    case 'w': rc = cli_long("bleu", "width", v, 0, 30, &n), a->width = (int)n; break;
    case 'f': rc = pick("format", v, formats, 2, &a->json); break;
    case O_SL: a->sentence = 1; break;
    case O_LC: a->b.lowercase = 1; break;
    case O_TOK: rc = pick("tokenize", v, toks, 4, &k), a->b.tok = (BleuTok)k; break;
    case 's': rc = pick("smooth-method", v, smooths, 4, &k), a->b.smooth = (BleuSmooth)k; break;
    case O_SV: rc = cli_double("bleu", "smooth-value", v, 0, 1e9, &a->b.smooth_value); break;
    case O_CW: rc = cli_long("bleu", "chrf-word-order", v, 0, 8, &n), a->c.word_order = (int)n; break;
    case O_CC: rc = cli_long("bleu", "chrf-char-order", v, 0, 8, &n), a->c.char_order = (int)n; break;
    case O_BETA: rc = cli_long("bleu", "chrf-beta", v, 0, 100, &n), a->c.beta = (int)n; break;
    case O_CLC: a->c.lowercase = 1; break;
    case O_CWS: a->c.whitespace = 1; break;
    case O_CEPS: a->c.eps_smoothing = 1; break;
    case O_TCS: a->t.case_sensitive = 1; break;
    case O_TNP: a->t.no_punct = 1; break;
    case O_TNORM: a->t.normalized = 1; break;
    case O_TASIAN: a->t.asian = 1; break;
    case O_MAXLINE: rc = cli_long("bleu", "max-line-bytes", v, 1, S2S_MAX_LINE_LIMIT, &a->max_line); break;
    }
    return rc;
}

static int parse_options(int argc, char **argv, const struct option *longs, BleuArgs *a);

static int parse_args(int argc, char **argv, BleuArgs *a)
{
    static const struct option longs[] = {
        {"input", required_argument, NULL, 'i'}, {"i", required_argument, NULL, 'i'},
        {"metrics", required_argument, NULL, 'm'}, {"m", required_argument, NULL, 'm'},
        {"score-only", no_argument, NULL, 'b'}, {"b", no_argument, NULL, 'b'},
        {"width", required_argument, NULL, 'w'}, {"w", required_argument, NULL, 'w'},
        {"format", required_argument, NULL, 'f'}, {"f", required_argument, NULL, 'f'},
        {"sentence-level", no_argument, NULL, O_SL}, {"sl", no_argument, NULL, O_SL},
        {"lowercase", no_argument, NULL, O_LC}, {"lc", no_argument, NULL, O_LC},
        {"tokenize", required_argument, NULL, O_TOK}, {"tok", required_argument, NULL, O_TOK},
        {"smooth-method", required_argument, NULL, 's'}, {"s", required_argument, NULL, 's'},
        {"smooth-value", required_argument, NULL, O_SV}, {"sv", required_argument, NULL, O_SV},
        {"chrf-word-order", required_argument, NULL, O_CW}, {"cw", required_argument, NULL, O_CW},
        {"chrf-char-order", required_argument, NULL, O_CC}, {"cc", required_argument, NULL, O_CC},
        {"chrf-beta", required_argument, NULL, O_BETA},
        {"chrf-lowercase", no_argument, NULL, O_CLC},
        {"chrf-whitespace", no_argument, NULL, O_CWS},
        {"chrf-eps-smoothing", no_argument, NULL, O_CEPS},
        {"ter-case-sensitive", no_argument, NULL, O_TCS}, {"ter-no-punct", no_argument, NULL, O_TNP},
        {"ter-normalized", no_argument, NULL, O_TNORM},
        {"ter-asian-support", no_argument, NULL, O_TASIAN},
        {"max-line-bytes", required_argument, NULL, O_MAXLINE},
        {"help", no_argument, NULL, 'h'}, {"h", no_argument, NULL, 'h'}, {0, 0, 0, 0}};
    static char joined[1024];
    char **av = malloc(sizeof(char *) * ((size_t)argc + 1));
    if (!av) {
        fprintf(stderr, "s2s bleu: out of memory\n");
        return CLI_FAIL;
    }
    argc = join_metric_words(argc, argv, av, joined, sizeof joined);
    int rc = parse_options(argc, av, longs, a);
    free(av);
    return rc;
}

/* The options of av (metric words joined) into a. */
static int parse_options(int argc, char **argv, const struct option *longs, BleuArgs *a)
{
    int c;
    *a = (BleuArgs){.width = 2, .b = {.smooth_value = -1}, .c = {.char_order = 6, .beta = 2},
                    .max_line = S2S_MAX_LINE_BYTES};
    opterr = 0;
    while ((c = getopt_long_only(argc, argv, ":", longs, NULL)) != -1) {
        if (c == 'h') {
            help(stdout);
            return -1;
        }
        if (c == '?' || c == ':') {
            fprintf(stderr, "s2s bleu: %s option '%s'\n", c == ':' ? "missing argument for" : "unknown",
                    argv[optind - 1]);
            return CLI_USAGE;
        }
        if (parse_value(a, c, optarg))
            return CLI_USAGE;
    }
    for (; optind < argc && a->nrefs < MAX_REFS; optind++)
        a->refs[a->nrefs++] = argv[optind];
    if (optind < argc || a->nrefs == 0) {
        fprintf(stderr, "s2s bleu: %s\n", a->nrefs ? "too many reference files" :
                                                     "give at least one reference file");
        return CLI_USAGE;
    }
    if (!a->nmetrics)
        a->bleu = 1, a->order[a->nmetrics++] = M_BLEU;
    if (a->c.char_order + a->c.word_order > CHRF_MAX_ORDER || a->c.char_order + a->c.word_order == 0) {
        fprintf(stderr, "s2s bleu: chrF needs 1 to %d orders in all\n", CHRF_MAX_ORDER);
        return CLI_USAGE;
    }
    a->b.effective_order = a->sentence;
    return 0;
}

/* ---- output, as sacreBLEU formats it ---- */

/* Python's repr() of float("%.{w}f" % x): the shortest digits that read
 * back as the same double, in fixed notation for 1e-4 <= |v| < 1e16. */
static void py_float(char *out, size_t cap, double x, int width)
{
    char fixed[64];
    snprintf(fixed, sizeof fixed, "%.*f", width, x);
    double v = strtod(fixed, NULL), a = fabs(v);
    if (v == 0 || (a >= 1e-4 && a < 1e16)) {
        for (int d = 1; d <= 17; d++) {
            snprintf(out, cap, "%.*f", d, v);
            if (strtod(out, NULL) == v)
                return;
        }
        return;
    }
    for (int p = 1; p <= 17; p++) {
        snprintf(out, cap, "%.*g", p, v);
        if (strtod(out, NULL) == v)
            return;
    }
}

static int bleu_signature(TextBuf *t, const BleuArgs *a)
{
    char smooth[64];
    const BleuOptions *o = &a->b;
    if (o->smooth == BLEU_SMOOTH_FLOOR || o->smooth == BLEU_SMOOTH_ADDK)
        snprintf(smooth, sizeof smooth, "%s[%.2f]", bleu_smooth_name(o->smooth), bleu_smooth_value(o));
    else
        snprintf(smooth, sizeof smooth, "%s", bleu_smooth_name(o->smooth));
    return textbuf_printf(t, "nrefs:%d|case:%s|eff:%s|tok:%s|smooth:%s|version:%s", a->nrefs,
                          o->lowercase ? "lc" : "mixed", o->effective_order ? "yes" : "no",
                          bleu_tok_name(o->tok), smooth, SIG_VERSION);
}

static int chrf_signature(TextBuf *t, const BleuArgs *a)
{
    const ChrfOptions *o = &a->c;
    return textbuf_printf(t, "nrefs:%d|case:%s|eff:%s|nc:%d|nw:%d|space:%s|version:%s", a->nrefs,
                          o->lowercase ? "lc" : "mixed", o->eps_smoothing ? "no" : "yes",
                          o->char_order, o->word_order, o->whitespace ? "yes" : "no", SIG_VERSION);
}

/* One result as text: "NAME|SIG = SCORE[ VERBOSE]", or the score only. */
static int format_text(TextBuf *t, const BleuArgs *a, const char *name, const char *sig,
                       double score, const char *verbose)
{
    if (a->score_only)
        return textbuf_printf(t, "%.*f", a->width, score);
    return textbuf_printf(t, "%s|%s = %.*f%s%s", name, sig, a->width, score, verbose ? " " : "",
                          verbose ? verbose : "");
}

/* One result as sacreBLEU's JSON (json.dumps(indent=1)). */
static int format_json(TextBuf *t, const BleuArgs *a, const char *name, const char *sig,
                       double score, const char *verbose)
{
    char num[64], buf[512];
    py_float(num, sizeof num, score, a->width);
    int rc = textbuf_printf(t, "{\n \"name\": \"%s\",\n \"score\": %s,\n \"signature\": \"%s\"", name,
                            num, sig);
    if (!rc && verbose)
        rc = textbuf_printf(t, ",\n \"verbose_score\": \"%s\"", verbose);
    snprintf(buf, sizeof buf, "%s", sig);
    for (char *save = NULL, *kv = strtok_r(buf, "|", &save); kv && !rc; kv = strtok_r(NULL, "|", &save)) {
        char *colon = strchr(kv, ':');
        if (colon) {
            *colon = '\0';
            rc = textbuf_printf(t, ",\n \"%s\": \"%s\"", kv, colon + 1);
        }
    }
    return rc ? rc : textbuf_append(t, "\n}", 2);
}

static int format_result(TextBuf *t, const BleuArgs *a, int json, const char *name,
                         const char *sig, double score, const char *verbose)
{
    if (json && !a->score_only)
        return format_json(t, a, name, sig, score, verbose);
    return format_text(t, a, name, sig, score, verbose);
}

static int format_bleu(TextBuf *t, const BleuArgs *a, int json, const BleuStats *st)
{
    BleuScore sc;
    TextBuf sig = {0};
    char verbose[256];
    bleu_compute(st, &a->b, &sc);
    snprintf(verbose, sizeof verbose, "%.1f/%.1f/%.1f/%.1f (BP = %.3f ratio = %.3f hyp_len = %ld ref_len = %ld)",
             sc.prec[0], sc.prec[1], sc.prec[2], sc.prec[3], sc.bp, sc.ratio, sc.sys_len, sc.ref_len);
    int rc = bleu_signature(&sig, a) || format_result(t, a, json, "BLEU", sig.p, sc.score, verbose);
    textbuf_free(&sig);
    return rc;
}

static int format_chrf(TextBuf *t, const BleuArgs *a, int json, const ChrfStats *st)
{
    char name[32];
    TextBuf sig = {0};
    int w = a->c.word_order;
    snprintf(name, sizeof name, "chrF%d%.*s", a->c.beta, w < 8 ? w : 8, "++++++++");
    int rc = chrf_signature(&sig, a) ||
             format_result(t, a, json, name, sig.p, chrf_compute(st, &a->c), NULL);
    textbuf_free(&sig);
    return rc;
}

static int ter_signature(TextBuf *t, const BleuArgs *a)
{
    const TerOptions *o = &a->t;
    return textbuf_printf(t, "nrefs:%d|case:%s|tok:tercom|norm:%s|punct:%s|asian:%s|version:%s",
                          a->nrefs, o->case_sensitive ? "mixed" : "lc", o->normalized ? "yes" : "no",
                          o->no_punct ? "no" : "yes", o->asian ? "yes" : "no", SIG_VERSION);
}

static int format_ter(TextBuf *t, const BleuArgs *a, int json, const TerStats *st)
{
    TextBuf sig = {0};
    int rc = ter_signature(&sig, a) || format_result(t, a, json, "TER", sig.p, ter_score(st), NULL);
    textbuf_free(&sig);
    return rc;
}

/* sacreBLEU's print_single_results: several text lines aligned on '='. */
static void print_results(const BleuArgs *a, TextBuf *res, int n)
{
    if (a->json && n > 1) { /* as sacreBLEU: a JSON list, even of bare scores */
        printf("[\n");
        for (int i = 0; i < n; i++)
            printf("%s%s\n", res[i].p, i + 1 < n ? "," : "");
        printf("]\n");
        return;
    }
    int w = 0;
    for (int i = 0; i < n; i++) {
        const char *eq = strchr(res[i].p, '=');
        if (eq && (int)(eq - res[i].p) - 1 > w)
            w = (int)(eq - res[i].p) - 1;
    }
    for (int i = 0; i < n; i++) {
        const char *eq = strchr(res[i].p, '=');
        if (n == 1 || !eq) {
            puts(res[i].p);
            continue;
        }
        int left = (int)(eq - res[i].p) - 1;
        printf("%*s%.*s%s\n", w - left, "", left, res[i].p, res[i].p + left);
    }
}

/* ---- reading ---- */

typedef struct {
    BleuArgs a;
    LineReader in[1 + MAX_REFS]; /* 0: hypotheses */
    size_t len[1 + MAX_REFS];    /* each stream's line, right-stripped */
    BleuScratch bs;
    ChrfScratch cs;
    TerScratch ts;
    BleuStats bsum;
    ChrfStats csum;
    TerStats tsum;
} Run;

/* Counts the lines left in every stream, for the mismatch message. */
static int mismatch(Run *r, S2sErr *err)
{
    S2sErr ignore;
    for (int k = 0; k <= r->a.nrefs; k++)
        while (linereader_next(&r->in[k], &ignore) == 1)
            ;
    int k = 1;
    while (k < r->a.nrefs && r->in[k].lineno == r->in[0].lineno)
        k++;
    return s2s_fail(err, S2S_EFORMAT,
                    "the hypotheses (%s) have %ld lines but the reference %s has %ld: "
                    "they must have the same number of lines",
                    r->in[0].name, r->in[0].lineno, r->in[k].name, r->in[k].lineno);
}

/* Reads one line of every stream: 1, or 0 at the common end, or < 0. */
static int read_segment(Run *r, S2sErr *err)
{
    int got[1 + MAX_REFS], ended = 0;
    for (int k = 0; k <= r->a.nrefs; k++) {
        LineReader *in = &r->in[k];
        if ((got[k] = linereader_next(in, err)) < 0)
            return -1;
        ended += got[k] == 0;
        if (!got[k])
            continue;
        long bad = utf8_invalid_offset(in->line, in->len);
        if (bad >= 0)
            return s2s_fail(err, S2S_EFORMAT, "%s:%ld: invalid UTF-8 at byte %ld", in->name,
                            in->lineno, bad);
        r->len[k] = text_rstrip_utf8(in->line, in->len);
    }
    if (ended && ended != r->a.nrefs + 1)
        return mismatch(r, err);
    return ended ? 0 : 1;
}

/* Metric m of the segment, added to the sums or (sentence level) printed. */
static int score_metric(Run *r, int m, const char *const *refs, S2sErr *err)
{
    BleuStats bst;
    ChrfStats cst;
    TerStats tst;
    int nr = r->a.nrefs, rc;
    const char *hyp = r->in[0].line;
    if (m == M_BLEU)
        rc = bleu_segment(&r->bs, &r->a.b, hyp, r->len[0], refs, r->len + 1, nr, &bst);
    else if (m == M_CHRF)
        rc = chrf_segment(&r->cs, &r->a.c, hyp, r->len[0], refs, r->len + 1, nr, &cst);
    else
        rc = ter_segment(&r->ts, &r->a.t, hyp, r->len[0], refs, r->len + 1, nr, &tst);
    if (rc)
        return s2s_fail(err, S2S_ENOMEM, "%s:%ld: out of memory", r->in[0].name, r->in[0].lineno);
    if (r->a.sentence) { /* one text line per segment, as sacreBLEU prints them */
        TextBuf t = {0};
        rc = m == M_BLEU ? format_bleu(&t, &r->a, 0, &bst)
             : m == M_CHRF ? format_chrf(&t, &r->a, 0, &cst) : format_ter(&t, &r->a, 0, &tst);
        if (rc)
            rc = s2s_fail(err, S2S_ENOMEM, "out of memory");
        else if (puts(t.p) == EOF)
            rc = cli_write_failed(err, "stdout", errno);
        textbuf_free(&t);
        return rc;
    }
    if (m == M_BLEU)
        bleu_stats_add(&r->bsum, &bst);
    else if (m == M_CHRF)
        chrf_stats_add(&r->csum, &cst, r->a.c.char_order + r->a.c.word_order);
    else
        r->tsum.edits += tst.edits, r->tsum.ref_len += tst.ref_len;
    return 0;
}

/* Statistics of the current segment for every metric (sentence level: the first). */
static int score_segment(Run *r, S2sErr *err)
{
    const char *refs[MAX_REFS];
    for (int k = 0; k < r->a.nrefs; k++)
        refs[k] = r->in[k + 1].line;
    int n = r->a.sentence ? 1 : r->a.nmetrics, rc = 0;
    for (int i = 0; i < n && !rc; i++)
        rc = score_metric(r, r->a.order[i], refs, err);
    return rc;
}

static int print_corpus(Run *r)
{
    TextBuf res[3] = {{0}, {0}, {0}};
    int n = 0, rc = 0, on[3] = {r->a.bleu, r->a.chrf, r->a.ter};
    for (int m = 0; m < 3; m++) { /* sacreBLEU prints them sorted by name: BLEU, chrF, TER */
        if (!on[m])
            continue;
        int i = n++;
        rc |= m == M_BLEU   ? format_bleu(&res[i], &r->a, r->a.json, &r->bsum)
              : m == M_CHRF ? format_chrf(&res[i], &r->a, r->a.json, &r->csum)
                            : format_ter(&res[i], &r->a, r->a.json, &r->tsum);
    }
    if (!rc)
        print_results(&r->a, res, n);
    for (int i = 0; i < 3; i++)
        textbuf_free(&res[i]);
    return rc;
}

int cli_bleu(int argc, char **argv)
{
    Run *r = calloc(1, sizeof *r);
    S2sErr err;
    int rc, code = CLI_OK;
    if (!r)
        return CLI_FAIL;
    if ((rc = parse_args(argc, argv, &r->a))) {
        free(r);
        return rc < 0 ? CLI_OK : rc;
    }
    const char *inputs[MAX_REFS + 1] = {r->a.input};
    memcpy(inputs + 1, r->a.refs, sizeof(char *) * (size_t)r->a.nrefs);
    rc = fileio_check_output(NULL, inputs, r->a.nrefs + 1, &err);
    for (int k = 0; !rc && k <= r->a.nrefs; k++) {
        rc = linereader_open(&r->in[k], k ? r->a.refs[k - 1] : r->a.input, &err);
        r->in[k].max_line = r->a.max_line;
    }
    while (!rc && (rc = read_segment(r, &err)) == 1)
        rc = score_segment(r, &err);
    if (rc < 0) {
        fprintf(stderr, "s2s bleu: %s\n", err.msg);
        code = CLI_FAIL;
    } else if (!r->a.sentence && print_corpus(r)) {
        fprintf(stderr, "s2s bleu: out of memory\n");
        code = CLI_FAIL;
    }
    if (code == CLI_OK)
        code = cli_flush_stdout("bleu");
    for (int k = 0; k <= r->a.nrefs; k++)
        linereader_close(&r->in[k]);
    bleu_scratch_free(&r->bs);
    chrf_scratch_free(&r->cs);
    ter_scratch_free(&r->ts);
    free(r);
    return code;
}
