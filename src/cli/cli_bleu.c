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
#include "s2s/base/fileio.h"
#include "s2s/base/utf8.h"
#include "s2s/metrics/report.h"
#include "s2s/text/textio.h"




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
            "  -l, --language-pair SRC-TGT   recorded in the signatures (lang:SRC-TGT)\n"
            "  -sh, --short                  sacreBLEU's short signatures (#:1|c:mixed|...)\n"
            "  -q, --quiet                   no warnings on stderr\n"
            "  --force                       no warning when the hypotheses look tokenized\n"
            "  -nc, --no-color               accepted (s2s bleu prints no colours)\n"
            "  -t, --test-set, --echo, --download, --list, -d, --detail\n"
            "                                refused: s2s downloads no test sets\n"
            "  --max-line-bytes N            longest line accepted (default 1048576)\n"
            "  -h, --help                    this help\n");
}

static int parse_metrics(EvalOptions *a, const char *v)
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
        int *on = m == SIG_BLEU ? &a->bleu : m == SIG_CHRF ? &a->chrf : &a->ter;
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
static int join_list_words(int argc, char **argv, char **out, char *buf, size_t cap, EvalOptions *a)
{
    int n = 0;
    size_t used = 0;
    for (int i = 0; i < argc; i++) {
        if (i > 0 && is_opt(argv[i], "-i", "--input")) {
            int k = i + 1;
            for (; k < argc && (argv[k][0] != '-' || !strcmp(argv[k], "-") || k == i + 1); k++) {
                if (a->nsystems == EVAL_MAX_SYS)
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
       O_TCS, O_TNP, O_TNORM, O_TASIAN, O_PBS, O_PBSN, O_PAR, O_PARN, O_CONF, O_CONFN, O_SHORT,
       O_QUIET, O_FORCE, O_LANG, O_NOCOLOR, O_TESTSET, O_DETAIL };

/* sacreBLEU's -l: "SRC-TGT". Its tokenizer for a Chinese, Japanese or
 * Korean target is one s2s bleu lacks: refused unless -tok says which. */
static int language_pair(EvalOptions *a, const char *v, int tok_given)
{
    const char *dash = strchr(v, '-');
    if (!dash || dash == v || !dash[1] || strchr(dash + 1, '-')) {
        fprintf(stderr, "s2s bleu: -l: '%s' is not a language pair such as de-en\n", v);
        return CLI_USAGE;
    }
    if (!tok_given && (!strcmp(dash + 1, "zh") || !strcmp(dash + 1, "ja") || !strcmp(dash + 1, "ko"))) {
        fprintf(stderr, "s2s bleu: -l %s: sacreBLEU scores a %s target with its own tokenizer, which "
                        "s2s bleu lacks; give -tok (13a, intl, char or none) to choose one\n", v, dash + 1);
        return CLI_USAGE;
    }
    a->langpair = v;
    return 0;
}

static int parse_value(EvalOptions *a, int c, const char *v)
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
    case O_SHORT: a->short_sig = 1; break;
    case O_QUIET: a->quiet = 1; break;
    case O_FORCE: a->force = 1; break;
    case O_NOCOLOR: break;
    case O_LANG: a->langpair = v; break; /* checked once -tok is known */
    case O_TESTSET:
    case O_DETAIL:
        fprintf(stderr, "s2s bleu: %s: s2s downloads no test sets (it uses no network): give the "
                        "reference file(s) and the hypotheses, s2s bleu REF... -i HYP\n",
                c == O_TESTSET ? "-t/--test-set (and --echo, --download, --list)" : "-d/--detail (per original language of a test set)");
        rc = CLI_USAGE;
        break;
    }
    return rc;
}

/* SACREBLEU_SEED as sacreBLEU reads it: default 12345, "none": unseeded. */
static int read_seed(EvalOptions *a)
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
static int check_modes(EvalOptions *a)
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

static int parse_options(int argc, char **argv, const struct option *longs, EvalOptions *a);

static int parse_args(int argc, char **argv, EvalOptions *a)
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
        {"short", no_argument, NULL, O_SHORT}, {"sh", no_argument, NULL, O_SHORT},
        {"quiet", no_argument, NULL, O_QUIET}, {"q", no_argument, NULL, O_QUIET},
        {"force", no_argument, NULL, O_FORCE},
        {"language-pair", required_argument, NULL, O_LANG}, {"l", required_argument, NULL, O_LANG},
        {"no-color", no_argument, NULL, O_NOCOLOR}, {"nc", no_argument, NULL, O_NOCOLOR},
        {"test-set", optional_argument, NULL, O_TESTSET}, {"t", optional_argument, NULL, O_TESTSET},
        {"echo", optional_argument, NULL, O_TESTSET}, {"download", optional_argument, NULL, O_TESTSET},
        {"list", no_argument, NULL, O_TESTSET},
        {"detail", no_argument, NULL, O_DETAIL}, {"d", no_argument, NULL, O_DETAIL},
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
        fprintf(stderr, "s2s bleu: at most %d systems (-i)\n", EVAL_MAX_SYS);
    free(av);
    return rc;
}

/* The options of av (metric words joined) into a. */
static int parse_options(int argc, char **argv, const struct option *longs, EvalOptions *a)
{
    int c;
    unsigned char seen[1024] = {0};
    EvalOptions keep = *a; /* the systems the prescan found */
    *a = (EvalOptions){.width = 2, .b = {.smooth_value = -1}, .c = {.char_order = 6, .beta = 2},
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
    for (; optind < argc && a->nrefs < EVAL_MAX_REFS; optind++)
        a->refs[a->nrefs++] = argv[optind];
    if (optind < argc || a->nrefs == 0) {
        fprintf(stderr, "s2s bleu: %s\n", a->nrefs ? "too many reference files" :
                                                     "give at least one reference file");
        return CLI_USAGE;
    }
    if (!a->nmetrics)
        a->bleu = 1, a->order[a->nmetrics++] = SIG_BLEU;
    if (a->langpair && language_pair(a, a->langpair, seen[O_TOK]))
        return CLI_USAGE;
    if (a->c.char_order + a->c.word_order > CHRF_MAX_ORDER || a->c.char_order + a->c.word_order == 0) {
        fprintf(stderr, "s2s bleu: chrF needs 1 to %d orders in all\n", CHRF_MAX_ORDER);
        return CLI_USAGE;
    }
    a->b.effective_order = a->sentence;
    return check_modes(a);
}

int cli_bleu(int argc, char **argv)
{
    EvalOptions a;
    S2sErr err;
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    a.out = stdout, a.out_name = "stdout";
    if (eval_run(&a, &err)) {
        fprintf(stderr, "s2s bleu: %s\n", err.msg);
        return CLI_FAIL;
    }
    return cli_flush_stdout("bleu");
}
