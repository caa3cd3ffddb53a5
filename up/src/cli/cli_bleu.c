/* s2s bleu: corpus (or sentence) BLEU and chrF, with sacreBLEU's options and
 * output. Streams: hypothesis and reference lines are read together and
 * only the statistics are kept. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "s2s/metrics/bleu.h"
#include "s2s/metrics/chrf.h"
#include "s2s/metrics/evalsig.h"
#include "s2s/metrics/ter.h"
#include "s2s/base/fileio.h"
#include "s2s/text/textio.h"
#include "s2s/base/utf8.h"

#define MAX_REFS 64
#define MAX_SYS 64
#define SIG_VERSION "s2s-" S2S_VERSION

typedef struct {
    const char *input;       /* the first system (NULL: stdin) */
    const char *systems[MAX_SYS]; /* -i SYS1 SYS2 ...: every system */
    int nsystems;
    int paired_bs, paired_ar, confidence;
    long bs_n, ar_n, conf_n;
    uint64_t seed;           /* SACREBLEU_SEED (default 12345) */
    int seeded;              /* 0: SACREBLEU_SEED=none */
    const char *seed_name;
    char sig_extra[64];      /* "bs:N|seed:S|" or "ar:N|seed:S|" after nrefs in signatures */
    const SigResult *conf;   /* --confidence: the result being formatted */
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
            "  -i, --input FILE [FILE...]    hypotheses, one per line (default stdin; - = stdin);\n"
            "                                several systems: a table (a paired test: the first is the baseline)\n"
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
            "  --paired-bs, --paired-bs-n N  paired bootstrap resampling (default 1000 resamples)\n"
            "  --paired-ar, --paired-ar-n N  paired approximate randomization (default 10000 trials)\n"
            "  --confidence, --confidence-n N  one system: bootstrap 95%% interval (default 1000)\n"
            "                                (seed: SACREBLEU_SEED, default 12345; none = unseeded)\n"
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

static int is_metric_word(const char *w)
{
    return !strcmp(w, "bleu") || !strcmp(w, "chrf") || !strcmp(w, "ter");
}

static int is_opt(const char *w, const char *shrt, const char *lng)
{
    return !strcmp(w, shrt) || !strcmp(w, lng) || (w[0] == '-' && !strcmp(w + 1, lng + 2));
}

/* sacreBLEU's -m and -i take several words (-m bleu chrf ter, -i SYS1
 * SYS2): in a copy of argv (out, argc + 1 slots), the metric words after
 * -m are joined into its argument (bleu,chrf,ter; buf holds the joined
 * lists) and the words after -i up to the next option become a's systems
 * (a repeated -i adds more). Returns the new argc, or -1: too many systems. */
static int join_list_words(int argc, char **argv, char **out, char *buf, size_t cap, BleuArgs *a)
{
    int n = 0;
    size_t used = 0;
    for (int i = 0; i < argc; i++) {
        if (i > 0 && is_opt(argv[i], "-i", "--input")) {
            int k = i + 1;
            for (; k < argc && (argv[k][0] != '-' || !strcmp(argv[k], "-") || k == i + 1); k++) {
                if (a->nsystems == MAX_SYS)
                    return -1;
                a->systems[a->nsystems++] = argv[k];
            }
            i = k - 1;
            continue;
        }
        out[n++] = argv[i];
        if (!is_opt(argv[i], "-m", "--metrics") || i + 1 >= argc)
            continue;
        char *start = buf + used;
        int k = i + 1;
        for (; k < argc && (is_metric_word(argv[k]) || k == i + 1); k++) {
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
       O_TCS, O_TNP, O_TNORM, O_TASIAN, O_PBS, O_PBSN, O_PAR, O_PARN, O_CONF, O_CONFN };

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
    case O_PBS: a->paired_bs = 1; break;
    case O_PAR: a->paired_ar = 1; break;
    case O_CONF: a->confidence = 1; break;
    case O_PBSN: rc = cli_long("bleu", "paired-bs-n", v, 1, 1000000, &a->bs_n); break;
    case O_PARN: rc = cli_long("bleu", "paired-ar-n", v, 1, 1000000, &a->ar_n); break;
    case O_CONFN: rc = cli_long("bleu", "confidence-n", v, 1, 1000000, &a->conf_n); break;
    case O_MAXLINE: rc = cli_long("bleu", "max-line-bytes", v, 1, S2S_MAX_LINE_LIMIT, &a->max_line); break;
    }
    return rc;
}

/* SACREBLEU_SEED as sacreBLEU reads it: default 12345, "none": unseeded. */
static int read_seed(BleuArgs *a)
{
    const char *v = getenv("SACREBLEU_SEED");
    a->seed_name = v ? v : "12345", a->seeded = 1, a->seed = 12345;
    if (v && !strcasecmp(v, "none")) {
        a->seeded = 0, a->seed_name = "none";
        return 0;
    }
    char *end;
    errno = 0;
    unsigned long long x = v ? strtoull(v, &end, 10) : 12345;
    if (v && (errno || end == v || *end || v[0] == '-')) {
        fprintf(stderr, "s2s bleu: SACREBLEU_SEED: '%s' is not a seed (a number >= 0, or none)\n", v);
        return CLI_USAGE;
    }
    a->seed = x;
    return 0;
}

/* What sacreBLEU refuses: tests at sentence level, paired tests of one
 * system, --confidence for several. */
static int check_modes(BleuArgs *a)
{
    const char *e = NULL;
    int paired = a->paired_bs || a->paired_ar;
    if (a->sentence && a->nsystems > 1)
        e = "only one system can be evaluated at sentence level (-sl)";
    else if (a->sentence && (paired || a->confidence))
        e = "statistical tests are unavailable at sentence level (-sl)";
    else if (a->paired_bs && a->paired_ar)
        e = "--paired-bs and --paired-ar: choose one";
    else if (paired && a->nsystems < 2)
        e = "paired tests need several systems after -i (the first is the baseline)";
    else if (a->nsystems > 1 && a->confidence && !paired)
        e = "use --paired-bs or --paired-ar for several systems";
    if (e) {
        fprintf(stderr, "s2s bleu: %s\n", e);
        return CLI_USAGE;
    }
    return paired || a->confidence ? read_seed(a) : 0;
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
        {"paired-bs", no_argument, NULL, O_PBS}, {"paired-bs-n", required_argument, NULL, O_PBSN},
        {"paired-ar", no_argument, NULL, O_PAR}, {"paired-ar-n", required_argument, NULL, O_PARN},
        {"confidence", no_argument, NULL, O_CONF},
        {"confidence-n", required_argument, NULL, O_CONFN},
        {"max-line-bytes", required_argument, NULL, O_MAXLINE},
        {"help", no_argument, NULL, 'h'}, {"h", no_argument, NULL, 'h'}, {0, 0, 0, 0}};
    static char joined[1024];
    char **av = malloc(sizeof(char *) * ((size_t)argc + 1));
    if (!av) {
        fprintf(stderr, "s2s bleu: out of memory\n");
        return CLI_FAIL;
    }
    memset(a, 0, sizeof *a);
    argc = join_list_words(argc, argv, av, joined, sizeof joined, a);
    int rc = argc < 0 ? CLI_USAGE : parse_options(argc, av, longs, a);
    if (argc < 0)
        fprintf(stderr, "s2s bleu: at most %d systems (-i)\n", MAX_SYS);
    free(av);
    return rc;
}

/* The options of av (metric words joined) into a. */
static int parse_options(int argc, char **argv, const struct option *longs, BleuArgs *a)
{
    int c;
    unsigned char seen[1024] = {0};
    BleuArgs keep = *a; /* the systems the prescan found */
    *a = (BleuArgs){.width = 2, .b = {.smooth_value = -1}, .c = {.char_order = 6, .beta = 2},
                    .max_line = S2S_MAX_LINE_BYTES, .bs_n = 1000, .ar_n = 10000, .conf_n = 1000};
    memcpy(a->systems, keep.systems, sizeof a->systems);
    a->nsystems = keep.nsystems;
    a->input = a->nsystems ? a->systems[0] : NULL;
    opterr = 0;
    while ((c = getopt_long_only(argc, argv, ":", longs, NULL)) != -1) {
        if (c == 'h') {
            help(stdout);
            return -1;
        }
        if (c == '?' || c == ':') {
            cli_bad_option("bleu", c, argv[optind - 1], longs);
            return CLI_USAGE;
        }
        if (c != 'm' && cli_once("bleu", c, seen, 1024, argv, optind, optarg))
            return CLI_USAGE;
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
    return check_modes(a);
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
    return textbuf_printf(t, "nrefs:%d|%scase:%s|eff:%s|tok:%s|smooth:%s|version:%s", a->nrefs, a->sig_extra,
                          o->lowercase ? "lc" : "mixed", o->effective_order ? "yes" : "no",
                          bleu_tok_name(o->tok), smooth, SIG_VERSION);
}

static int chrf_signature(TextBuf *t, const BleuArgs *a)
{
    const ChrfOptions *o = &a->c;
    return textbuf_printf(t, "nrefs:%d|%scase:%s|eff:%s|nc:%d|nw:%d|space:%s|version:%s", a->nrefs, a->sig_extra,
                          o->lowercase ? "lc" : "mixed", o->eps_smoothing ? "no" : "yes",
                          o->char_order, o->word_order, o->whitespace ? "yes" : "no", SIG_VERSION);
}

/* One result as text: "NAME|SIG = SCORE[ VERBOSE]", or the score only. */
static int format_text(TextBuf *t, const BleuArgs *a, const char *name, const char *sig,
                       double score, const char *verbose)
{
    char sc[128];
    int w = a->width, n = snprintf(sc, sizeof sc, "%.*f", w, score);
    if (a->conf) /* --confidence */
        snprintf(sc + n, sizeof sc - (size_t)n, " (\u03bc = %.*f \u00b1 %.*f)", w, a->conf->mean, w,
                 a->conf->ci);
    if (a->score_only)
        return textbuf_printf(t, "%s", sc);
    return textbuf_printf(t, "%s|%s = %s%s%s", name, sig, sc, verbose ? " " : "", verbose ? verbose : "");
}

/* One result as sacreBLEU's JSON (json.dumps(indent=1)). */
static int format_json(TextBuf *t, const BleuArgs *a, const char *name, const char *sig,
                       double score, const char *verbose)
{
    char num[64], buf[512];
    py_float(num, sizeof num, score, a->width);
    int rc = textbuf_printf(t, "{\n \"name\": \"%s\",\n \"score\": %s,\n \"signature\": \"%s\"", name,
                            num, sig);
    if (!rc && a->conf) { /* --confidence: the mean and interval, rounded to the width */
        char m[64], c[64];
        py_float(m, sizeof m, a->conf->mean, a->width);
        py_float(c, sizeof c, a->conf->ci, a->width);
        rc = textbuf_printf(t, ",\n \"confidence_mean\": %s,\n \"confidence_var\": %s,\n "
                               "\"confidence\": \"\u03bc = %.*f \u00b1 %.*f\"",
                            m, c, a->width, strtod(m, NULL), a->width, strtod(c, NULL));
    }
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
    return textbuf_printf(t, "nrefs:%d|%scase:%s|tok:tercom|norm:%s|punct:%s|asian:%s|version:%s",
                          a->nrefs, a->sig_extra, o->case_sensitive ? "mixed" : "lc", o->normalized ? "yes" : "no",
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

/* ---- several systems, --confidence, paired tests ---- */

static void metric_name(const BleuArgs *a, int m, char *out, size_t cap)
{
    int w = a->c.word_order;
    if (m == M_CHRF)
        snprintf(out, cap, "chrF%d%.*s", a->c.beta, w < 8 ? w : 8, "++++++++");
    else
        snprintf(out, cap, "%s", m == M_BLEU ? "BLEU" : "TER");
}

static int signature_of(TextBuf *t, const BleuArgs *a, int m)
{
    return m == M_BLEU ? bleu_signature(t, a) : m == M_CHRF ? chrf_signature(t, a) : ter_signature(t, a);
}

static SigScorer scorer_of(const BleuArgs *a, int m) { return sig_scorer((SigMetric)m, &a->b, &a->c); }

/* Columns a UTF-8 string takes (one per code point: the table's text has
 * no wide characters). */
static int u8width(const char *s, size_t n)
{
    int w = 0;
    for (size_t i = 0; i < n; i++)
        w += ((unsigned char)s[i] & 0xC0) != 0x80;
    return w;
}

static void repeat(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        fputs(s, stdout);
}

/* Line l of a cell ("" past its last): start and length. */
static const char *cell_line(const char *c, int l, size_t *len)
{
    for (; l > 0 && c; l--)
        c = (c = strchr(c, '\n')) ? c + 1 : NULL;
    if (!c)
        c = "";
    const char *e = strchr(c, '\n');
    *len = e ? (size_t)(e - c) : strlen(c);
    return c;
}

static int cell_lines(const char *c)
{
    int n = 1;
    for (; *c; c++)
        n += *c == '\n';
    return n;
}

static void rule(const int *w, int cols, const char *l, const char *fill, const char *mid, const char *r)
{
    fputs(l, stdout);
    for (int c = 0; c < cols; c++) {
        repeat(fill, w[c] + 2);
        fputs(c + 1 < cols ? mid : r, stdout);
    }
    putchar('\n');
}

/* One row of cells: column 0 right-aligned, the others centred (Python's
 * '^': the odd space to the right), each line of a multi-line cell apart. */
static void table_row(char **cell, const int *w, int cols)
{
    int lines = 1;
    for (int c = 0; c < cols; c++)
        lines = cell_lines(cell[c]) > lines ? cell_lines(cell[c]) : lines;
    for (int l = 0; l < lines; l++) {
        fputs("\u2502", stdout);
        for (int c = 0; c < cols; c++) {
            size_t n;
            const char *t = cell_line(cell[c], l, &n);
            int pad = w[c] - u8width(t, n), left = c == 0 ? pad : pad / 2;
            printf(" %*s%.*s%*s \u2502", left, "", (int)n, t, pad - left, "");
        }
        putchar('\n');
    }
}

/* tabulate's fancy_grid, as sacreBLEU prints it: row 0 the headers. */
static void print_table(char **cells, int rows, int cols)
{
    int w[1 + 3] = {0};
    for (int c = 0; c < cols; c++) {
        w[c] = u8width(cells[c], strlen(cells[c])) + 2; /* tabulate's header padding */
        for (int r = 1; r < rows; r++)
            for (int l = 0; l < cell_lines(cells[r * cols + c]); l++) {
                size_t n;
                const char *t = cell_line(cells[r * cols + c], l, &n);
                w[c] = u8width(t, n) > w[c] ? u8width(t, n) : w[c];
            }
    }
    rule(w, cols, "\u2552", "\u2550", "\u2564", "\u2555");
    table_row(cells, w, cols);
    rule(w, cols, "\u255e", "\u2550", "\u256a", "\u2561");
    for (int r = 1; r < rows; r++) {
        table_row(cells + r * cols, w, cols);
        if (r + 1 < rows)
            rule(w, cols, "\u251c", "\u2500", "\u253c", "\u2524");
    }
    rule(w, cols, "\u2558", "\u2550", "\u2567", "\u255b");
}

/* Python's repr() of a float (json.dumps). */
static void py_repr(char *out, size_t cap, double x)
{
    for (int p = 1; p <= 17; p++) {
        snprintf(out, cap, "%.*g", p, x);
        if (strtod(out, NULL) == x)
            break;
    }
    double a = fabs(x);
    if (a >= 1e-4 && a < 1e16 && strchr(out, 'e')) { /* repr is fixed-point here */
        for (int d = 0; d <= 20; d++) {
            snprintf(out, cap, "%.*f", d, x);
            if (strtod(out, NULL) == x)
                break;
        }
    }
    if (!strpbrk(out, ".eni"))
        strncat(out, ".0", cap - strlen(out) - 1);
}

static void json_number(const char *key, double x, int has, const char *end)
{
    char num[64];
    py_repr(num, sizeof num, x);
    printf("            \"%s\": %s%s\n", key, has ? num : "null", end);
}

static const char *explain_lines[] = {
    " - Null hypothesis: the system and the baseline translations are essentially",
    "   generated by the same underlying process. For a given system and the baseline,",
    "   the p-value is roughly the probability of the absolute score difference (delta)",
    "   or higher occurring due to chance, under the assumption that the null hypothesis is correct.",
    "",
    " - Assuming a significance threshold of 0.05, the null hypothesis can be rejected",
    "   for p-values < 0.05 (marked with \"*\"). This means that the delta is unlikely to be attributed",
    "   to chance, hence the system is significantly \"different\" than the baseline.",
    "   Otherwise, the p-values are highlighted in red.",
    "",
    " - NOTE: Significance does not tell whether a system is \"better\" than the baseline but rather",
    "   emphasizes the \"difference\" of the systems in terms of the replicability of the delta.",
    ""};

static void print_explanation(const BleuArgs *a, const char *baseline)
{
    char msg[128];
    int n = snprintf(msg, sizeof msg, "Paired %s test with %ld %s",
                     a->paired_bs ? "bootstrap resampling" : "approximate randomization",
                     a->paired_bs ? a->bs_n : a->ar_n, a->paired_bs ? "resampling trials" : "trials");
    repeat("-", n);
    printf("\n%s\n", msg);
    repeat("-", n);
    printf("\n - Each system is pairwise compared to %s.\n", baseline);
    puts(a->paired_bs ? "   Actual system score / bootstrap estimated true mean / 95% CI are provided for each metric."
                      : "   Actual system score is provided for each metric.");
    putchar('\n');
    for (size_t i = 0; i < sizeof explain_lines / sizeof *explain_lines; i++)
        puts(explain_lines[i]);
}

static int print_signatures(const BleuArgs *a, const int *ms, int nm)
{
    puts("-----------------\nMetric signatures\n-----------------");
    for (int i = 0; i < nm; i++) {
        char name[32];
        TextBuf sig = {0};
        metric_name(a, ms[i], name, sizeof name);
        if (signature_of(&sig, a, ms[i]))
            return -1;
        printf(" - %-10s %s\n", name, sig.p);
        textbuf_free(&sig);
    }
    return 0;
}

/* ---- reading ---- */

typedef struct {
    BleuArgs a;
    int nsys;                    /* in[0 .. nsys): the systems; then the references */
    LineReader in[MAX_SYS + MAX_REFS];
    size_t len[MAX_SYS + MAX_REFS]; /* each stream's line, right-stripped */
    BleuScratch bs;
    ChrfScratch cs;
    TerScratch ts;
    BleuStats bsum;
    ChrfStats csum;
    TerStats tsum;
    /* several systems or statistics tests: every segment's statistics,
     * rows[s][m] for system s and metric m (k numbers a segment) */
    double *rows[MAX_SYS][3];
    size_t nrows, rows_cap;
} Run;

static int nstreams(const Run *r) { return r->nsys + r->a.nrefs; }

/* Counts the lines left in every stream, for the mismatch message. */
static int mismatch(Run *r, S2sErr *err)
{
    S2sErr ignore;
    int n = nstreams(r), k = 1;
    for (int i = 0; i < n; i++)
        while (linereader_next(&r->in[i], &ignore) == 1)
            ;
    while (k < n - 1 && r->in[k].lineno == r->in[0].lineno)
        k++;
    return s2s_fail(err, S2S_EFORMAT,
                    "the hypotheses (%s) have %ld lines but %s %s has %ld: "
                    "they must have the same number of lines",
                    r->in[0].name, r->in[0].lineno, k < r->nsys ? "the hypotheses" : "the reference",
                    r->in[k].name, r->in[k].lineno);
}

/* Reads one line of every stream: 1, or 0 at the common end, or < 0. */
static int read_segment(Run *r, S2sErr *err)
{
    int got, ended = 0, n = nstreams(r);
    for (int k = 0; k < n; k++) {
        LineReader *in = &r->in[k];
        if ((got = linereader_next(in, err)) < 0)
            return -1;
        ended += got == 0;
        if (!got)
            continue;
        long bad = utf8_invalid_offset(in->line, in->len);
        if (bad >= 0)
            return s2s_fail(err, S2S_EFORMAT, "%s:%ld: invalid UTF-8 at byte %ld", in->name,
                            in->lineno, bad);
        r->len[k] = text_rstrip_utf8(in->line, in->len);
    }
    if (ended && ended != n)
        return mismatch(r, err);
    return ended ? 0 : 1;
}

static int multi_mode(const BleuArgs *a)
{
    return a->nsystems > 1 || a->paired_bs || a->paired_ar || a->confidence;
}

static int keeps_rows(const Run *r) { return multi_mode(&r->a); }

static int row_size(const BleuArgs *a, int m)
{
    return sig_scorer((SigMetric)m, &a->b, &a->c).k;
}

/* Room for one more row of every system and metric: 0 or -1. */
static int grow_rows(Run *r)
{
    if (r->nrows < r->rows_cap)
        return 0;
    size_t cap = r->rows_cap ? 2 * r->rows_cap : 256;
    for (int s = 0; s < r->nsys; s++)
        for (int m = 0; m < 3; m++) {
            double *p = realloc(r->rows[s][m], sizeof(double) * cap * (size_t)row_size(&r->a, m));
            if (!p)
                return -1;
            r->rows[s][m] = p;
        }
    r->rows_cap = cap;
    return 0;
}

/* Metric m of system sys's segment: kept as a row (several systems or
 * tests), added to the sums, or (sentence level) printed. */
static int score_metric(Run *r, int sys, int m, const char *const *refs, S2sErr *err)
{
    BleuStats bst;
    ChrfStats cst;
    TerStats tst;
    int nr = r->a.nrefs, rc;
    const char *hyp = r->in[sys].line;
    const size_t *rl = r->len + r->nsys;
    if (m == M_BLEU)
        rc = bleu_segment(&r->bs, &r->a.b, hyp, r->len[sys], refs, rl, nr, &bst);
    else if (m == M_CHRF)
        rc = chrf_segment(&r->cs, &r->a.c, hyp, r->len[sys], refs, rl, nr, &cst);
    else
        rc = ter_segment(&r->ts, &r->a.t, hyp, r->len[sys], refs, rl, nr, &tst);
    if (rc)
        return s2s_fail(err, S2S_ENOMEM, "%s:%ld: out of memory", r->in[sys].name, r->in[sys].lineno);
    if (keeps_rows(r)) {
        double *row = r->rows[sys][m] + r->nrows * (size_t)row_size(&r->a, m);
        if (m == M_BLEU)
            sig_row_bleu(&bst, row);
        else if (m == M_CHRF)
            sig_row_chrf(&cst, r->a.c.char_order + r->a.c.word_order, row);
        else
            sig_row_ter(&tst, row);
        if (sys > 0)
            return 0;
    }
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

/* Statistics of the current segment for every system and metric
 * (sentence level: the first metric). */
static int score_segment(Run *r, S2sErr *err)
{
    const char *refs[MAX_REFS];
    for (int k = 0; k < r->a.nrefs; k++)
        refs[k] = r->in[r->nsys + k].line;
    int n = r->a.sentence ? 1 : r->a.nmetrics, rc = keeps_rows(r) ? grow_rows(r) : 0;
    for (int s = 0; s < r->nsys && !rc; s++)
        for (int i = 0; i < n && !rc; i++)
            rc = score_metric(r, s, r->a.order[i], refs, err);
    r->nrows += !rc && keeps_rows(r);
    return rc < 0 ? rc : rc ? s2s_fail(err, S2S_ENOMEM, "out of memory") : 0;
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

/* The metrics in sacreBLEU's order for this mode into ms: sorted by name
 * (one system, or several without a test), else as named. */
static int metrics_of(const BleuArgs *a, int *ms)
{
    int n = 0, on[3] = {a->bleu, a->chrf, a->ter};
    if (a->paired_bs || a->paired_ar) {
        memcpy(ms, a->order, sizeof(int) * (size_t)a->nmetrics);
        return a->nmetrics;
    }
    for (int m = 0; m < 3; m++)
        if (on[m])
            ms[n++] = m;
    return n;
}

/* --confidence for one system: each metric's line with (μ = mean ± ci). */
static int print_confidence(Run *r)
{
    BleuArgs *a = &r->a;
    TextBuf res[3] = {{0}, {0}, {0}};
    int ms[3], nm = metrics_of(a, ms), rc = 0;
    snprintf(a->sig_extra, sizeof a->sig_extra, "bs:%ld|seed:%s|", a->conf_n, a->seed_name);
    for (int i = 0; i < nm && !rc; i++) {
        SigScorer sc = scorer_of(a, ms[i]);
        SigResult sr;
        rc = sig_confidence(&sc, r->rows[0][ms[i]], (int)r->nrows, a->seed, a->seeded, (int)a->conf_n, &sr);
        a->conf = &sr;
        if (!rc)
            rc = ms[i] == M_BLEU   ? format_bleu(&res[i], a, a->json, &r->bsum)
                 : ms[i] == M_CHRF ? format_chrf(&res[i], a, a->json, &r->csum)
                                   : format_ter(&res[i], a, a->json, &r->tsum);
        a->conf = NULL;
    }
    if (!rc)
        print_results(a, res, nm);
    for (int i = 0; i < 3; i++)
        textbuf_free(&res[i]);
    return rc;
}

/* The results of every system and metric: plain scores, or the paired
 * test's (the baseline: its bootstrap interval under --paired-bs). */
static int system_results(Run *r, const int *ms, int nm, SigResult *res)
{
    const BleuArgs *a = &r->a;
    int n = (int)r->nrows, rc = 0;
    for (int i = 0; i < nm && !rc; i++) {
        SigScorer sc = scorer_of(a, ms[i]);
        const double *bl = r->rows[0][ms[i]];
        SigResult *b = &res[i];
        *b = (SigResult){.score = sig_corpus(&sc, bl, n)};
        if (a->paired_bs)
            rc = sig_confidence(&sc, bl, n, a->seed, a->seeded, (int)a->bs_n, b);
        for (int s = 1; s < r->nsys && !rc; s++) {
            SigResult *x = &res[s * nm + i];
            const double *sys = r->rows[s][ms[i]];
            if (a->paired_bs)
                rc = sig_paired_bs(&sc, bl, b->score, sys, n, a->seed, a->seeded, (int)a->bs_n, x);
            else if (a->paired_ar)
                rc = sig_paired_ar(&sc, bl, b->score, sys, n, a->seed, a->seeded, (int)a->ar_n, x);
            else
                *x = (SigResult){.score = sig_corpus(&sc, sys, n)};
        }
    }
    return rc;
}

static void json_systems(const Run *r, const int *ms, int nm, const SigResult *res)
{
    const BleuArgs *a = &r->a;
    int paired = a->paired_bs || a->paired_ar;
    puts("[");
    for (int s = 0; s < r->nsys; s++) {
        printf("    {\n        \"system\": \"%s%s\",\n", s == 0 && paired ? "Baseline: " : "", a->systems[s]);
        for (int i = 0; i < nm; i++) {
            char name[32];
            const SigResult *x = &res[s * nm + i];
            const char *end = i + 1 < nm ? "," : "";
            metric_name(a, ms[i], name, sizeof name);
            if (!paired) {
                printf("        \"%s\": \"%.*f\"%s\n", name, a->width, x->score, end);
                continue;
            }
            printf("        \"%s\": {\n", name);
            json_number("score", x->score, 1, ",");
            json_number("p_value", x->p, x->has_p, ",");
            json_number("mean", x->mean, x->has_ci, ",");
            json_number("ci", x->ci, x->has_ci, "");
            printf("        }%s\n", end);
        }
        printf("    }%s\n", s + 1 < r->nsys ? "," : "");
    }
    puts("]");
}

/* sacreBLEU's table of systems (text), the test's explanation, the signatures. */
static int table_systems(const Run *r, const int *ms, int nm, const SigResult *res)
{
    const BleuArgs *a = &r->a;
    int cols = 1 + nm, rows = 1 + r->nsys, w = a->width, rc = 0;
    char **cells = calloc((size_t)rows * (size_t)cols, sizeof(char *));
    char buf[1200], baseline[1024];
    snprintf(baseline, sizeof baseline, "Baseline: %s", a->systems[0]);
    for (int c = 0; cells && c < cols; c++)
        for (int row = 0; row < rows && !rc; row++) {
            const SigResult *x = row && c ? &res[(row - 1) * nm + (c - 1)] : NULL;
            int n = 0;
            if (row == 0 && c == 0)
                n = snprintf(buf, sizeof buf, "System");
            else if (row == 0)
                metric_name(a, ms[c - 1], buf, sizeof buf),
                    n = (int)strlen(buf) + (a->paired_bs ? snprintf(buf + strlen(buf), 64, " (\u03bc \u00b1 95%% CI)") : 0);
            else if (c == 0)
                n = snprintf(buf, sizeof buf, "%s", row == 1 && (a->paired_bs || a->paired_ar) ? baseline : a->systems[row - 1]);
            else
                n = snprintf(buf, sizeof buf, "%.*f", w, x->score);
            if (x && x->has_ci)
                n += snprintf(buf + n, sizeof buf - (size_t)n, " (%.*f \u00b1 %.*f)", w, x->mean, w, x->ci);
            if (x && x->has_p)
                snprintf(buf + n, sizeof buf - (size_t)n, "\n(p = %.4f)%s", x->p, x->p > 0.05 ? "" : "*");
            rc = !(cells[row * cols + c] = strdup(buf));
        }
    if (cells && !rc) {
        print_table(cells, rows, cols);
        putchar('\n');
        if (a->paired_bs || a->paired_ar)
            print_explanation(a, baseline);
        rc = print_signatures(a, ms, nm);
    }
    for (int i = 0; cells && i < rows * cols; i++)
        free(cells[i]);
    free(cells);
    return cells ? rc : -1;
}

/* Several systems, with or without a paired test. */
static int print_systems(Run *r)
{
    BleuArgs *a = &r->a;
    int ms[3], nm = metrics_of(a, ms), rc = 0;
    if (a->paired_bs || a->paired_ar)
        snprintf(a->sig_extra, sizeof a->sig_extra, "%s:%ld|seed:%s|", a->paired_bs ? "bs" : "ar",
                 a->paired_bs ? a->bs_n : a->ar_n, a->seed_name);
    SigResult *res = calloc((size_t)r->nsys * (size_t)nm, sizeof(SigResult));
    if (!res || system_results(r, ms, nm, res))
        rc = -1;
    else if (a->json)
        json_systems(r, ms, nm, res);
    else
        rc = table_systems(r, ms, nm, res);
    free(res);
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
    const char *inputs[MAX_SYS + MAX_REFS] = {r->a.input};
    r->nsys = r->a.nsystems > 1 ? r->a.nsystems : 1;
    for (int s = 0; s < r->a.nsystems; s++)
        inputs[s] = r->a.systems[s];
    memcpy(inputs + r->nsys, r->a.refs, sizeof(char *) * (size_t)r->a.nrefs);
    rc = fileio_check_output(NULL, inputs, nstreams(r), &err);
    for (int k = 0; !rc && k < nstreams(r); k++) {
        rc = linereader_open(&r->in[k], inputs[k], &err);
        r->in[k].max_line = r->a.max_line;
    }
    while (!rc && (rc = read_segment(r, &err)) == 1)
        rc = score_segment(r, &err);
    int multi = multi_mode(&r->a);
    if (rc < 0) {
        fprintf(stderr, "s2s bleu: %s\n", err.msg);
        code = CLI_FAIL;
    } else if (multi && (r->nsys > 1 ? print_systems(r) : print_confidence(r))) {
        fprintf(stderr, "s2s bleu: out of memory\n");
        code = CLI_FAIL;
    } else if (!multi && !r->a.sentence && print_corpus(r)) {
        fprintf(stderr, "s2s bleu: out of memory\n");
        code = CLI_FAIL;
    }
    if (code == CLI_OK)
        code = cli_flush_stdout("bleu");
    for (int k = 0; k < nstreams(r); k++)
        linereader_close(&r->in[k]);
    for (int k = 0; k < MAX_SYS; k++)
        for (int m = 0; m < 3; m++)
            free(r->rows[k][m]);
    bleu_scratch_free(&r->bs);
    chrf_scratch_free(&r->cs);
    ter_scratch_free(&r->ts);
    free(r);
    return code;
}
