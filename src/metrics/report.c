/* s2s bleu's engine (report.h): reading the systems and references
 * together, scoring each segment, and the report as sacreBLEU prints it. */
#include "s2s/metrics/report.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s2s/base/fileio.h"
#include "s2s/base/utf8.h"
#include "s2s/text/textio.h"

#define SIG_VERSION "s2s-" S2S_VERSION

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

/* A signature key, or its abbreviation under --short (sacreBLEU's). */
static const char *K(const EvalOptions *a, const char *key, const char *abbr)
{
    return a->short_sig ? abbr : key;
}

/* The keys every metric's signature starts with: "nrefs:1|" then the
 * test's (bs:1000|seed:12345|) and -l's (lang:de-en|), in sacreBLEU's order. */
static int sig_begin(TextBuf *t, const EvalOptions *a)
{
    int rc = textbuf_printf(t, "%s:%d|", K(a, "nrefs", "#"), a->nrefs);
    if (!rc && a->test_n > 0)
        rc = textbuf_printf(t, "%s:%ld|%s:%s|", a->paired_ar ? "ar" : "bs", a->test_n, K(a, "seed", "rs"),
                            a->seed_name);
    if (!rc && a->langpair)
        rc = textbuf_printf(t, "%s:%s|", K(a, "lang", "l"), a->langpair);
    return rc;
}

static int bleu_signature(TextBuf *t, const EvalOptions *a)
{
    char smooth[64];
    const BleuOptions *o = &a->b;
    if (o->smooth == BLEU_SMOOTH_FLOOR || o->smooth == BLEU_SMOOTH_ADDK)
        snprintf(smooth, sizeof smooth, "%s[%.2f]", bleu_smooth_name(o->smooth), bleu_smooth_value(o));
    else
        snprintf(smooth, sizeof smooth, "%s", bleu_smooth_name(o->smooth));
    return sig_begin(t, a) ||
           textbuf_printf(t, "%s:%s|%s:%s|tok:%s|%s:%s|%s:%s", K(a, "case", "c"), o->lowercase ? "lc" : "mixed",
                          K(a, "eff", "e"), o->effective_order ? "yes" : "no", bleu_tok_name(o->tok),
                          K(a, "smooth", "s"), smooth, K(a, "version", "v"), SIG_VERSION);
}

static int chrf_signature(TextBuf *t, const EvalOptions *a)
{
    const ChrfOptions *o = &a->c;
    return sig_begin(t, a) ||
           textbuf_printf(t, "%s:%s|%s:%s|nc:%d|nw:%d|%s:%s|%s:%s", K(a, "case", "c"),
                          o->lowercase ? "lc" : "mixed", K(a, "eff", "e"), o->eps_smoothing ? "no" : "yes",
                          o->char_order, o->word_order, K(a, "space", "s"), o->whitespace ? "yes" : "no",
                          K(a, "version", "v"), SIG_VERSION);
}

/* One result as text: "NAME|SIG = SCORE[ VERBOSE]", or the score only. */
static int format_text(TextBuf *t, const EvalOptions *a, const char *name, const char *sig,
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
static int format_json(TextBuf *t, const EvalOptions *a, const char *name, const char *sig,
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

static int format_result(TextBuf *t, const EvalOptions *a, int json, const char *name,
                         const char *sig, double score, const char *verbose)
{
    if (json && !a->score_only)
        return format_json(t, a, name, sig, score, verbose);
    return format_text(t, a, name, sig, score, verbose);
}

static int format_bleu(TextBuf *t, const EvalOptions *a, int json, const BleuStats *st)
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

static int format_chrf(TextBuf *t, const EvalOptions *a, int json, const ChrfStats *st)
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

static int ter_signature(TextBuf *t, const EvalOptions *a)
{
    const TerOptions *o = &a->t;
    return sig_begin(t, a) ||
           textbuf_printf(t, "%s:%s|%s:tercom|%s:%s|%s:%s|%s:%s|%s:%s", K(a, "case", "c"),
                          o->case_sensitive ? "mixed" : "lc", K(a, "tok", "t"), K(a, "norm", "nr"),
                          o->normalized ? "yes" : "no", K(a, "punct", "pn"), o->no_punct ? "no" : "yes",
                          K(a, "asian", "as"), o->asian ? "yes" : "no", K(a, "version", "v"), SIG_VERSION);
}

static int format_ter(TextBuf *t, const EvalOptions *a, int json, const TerStats *st)
{
    TextBuf sig = {0};
    int rc = ter_signature(&sig, a) || format_result(t, a, json, "TER", sig.p, ter_score(st), NULL);
    textbuf_free(&sig);
    return rc;
}

/* sacreBLEU's print_single_results: several text lines aligned on '='. */
static void print_results(const EvalOptions *a, TextBuf *res, int n)
{
    if (a->json && n > 1) { /* as sacreBLEU: a JSON list, even of bare scores */
        fprintf(a->out, "[\n");
        for (int i = 0; i < n; i++)
            fprintf(a->out, "%s%s\n", res[i].p, i + 1 < n ? "," : "");
        fprintf(a->out, "]\n");
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
            fprintf(a->out, "%s\n", res[i].p);
            continue;
        }
        int left = (int)(eq - res[i].p) - 1;
        fprintf(a->out, "%*s%.*s%s\n", w - left, "", left, res[i].p, res[i].p + left);
    }
}

/* ---- several systems, --confidence, paired tests ---- */

static void metric_name(const EvalOptions *a, int m, char *out, size_t cap)
{
    int w = a->c.word_order;
    if (m == SIG_CHRF)
        snprintf(out, cap, "chrF%d%.*s", a->c.beta, w < 8 ? w : 8, "++++++++");
    else
        snprintf(out, cap, "%s", m == SIG_BLEU ? "BLEU" : "TER");
}

static int signature_of(TextBuf *t, const EvalOptions *a, int m)
{
    return m == SIG_BLEU ? bleu_signature(t, a) : m == SIG_CHRF ? chrf_signature(t, a) : ter_signature(t, a);
}

static SigScorer scorer_of(const EvalOptions *a, int m) { return sig_scorer((SigMetric)m, &a->b, &a->c); }

/* Columns a UTF-8 string takes (one per code point: the table's text has
 * no wide characters). */
static int u8width(const char *s, size_t n)
{
    int w = 0;
    for (size_t i = 0; i < n; i++)
        w += ((unsigned char)s[i] & 0xC0) != 0x80;
    return w;
}

static void repeat(FILE *f, const char *s, int n)
{
    for (int i = 0; i < n; i++)
        fputs(s, f);
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

static void rule(FILE *f, const int *w, int cols, const char *l, const char *fill, const char *mid, const char *r)
{
    fputs(l, f);
    for (int c = 0; c < cols; c++) {
        repeat(f, fill, w[c] + 2);
        fputs(c + 1 < cols ? mid : r, f);
    }
    fputc('\n', f);
}

/* One row of cells: column 0 right-aligned, the others centred (Python's
 * '^': the odd space to the right), each line of a multi-line cell apart. */
static void table_row(FILE *f, char **cell, const int *w, int cols)
{
    int lines = 1;
    for (int c = 0; c < cols; c++)
        lines = cell_lines(cell[c]) > lines ? cell_lines(cell[c]) : lines;
    for (int l = 0; l < lines; l++) {
        fputs("\u2502", f);
        for (int c = 0; c < cols; c++) {
            size_t n;
            const char *t = cell_line(cell[c], l, &n);
            int pad = w[c] - u8width(t, n), left = c == 0 ? pad : pad / 2;
            fprintf(f, " %*s%.*s%*s \u2502", left, "", (int)n, t, pad - left, "");
        }
        fputc('\n', f);
    }
}

/* tabulate's fancy_grid, as sacreBLEU prints it: row 0 the headers. */
static void print_table(FILE *f, char **cells, int rows, int cols)
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
    rule(f, w, cols, "\u2552", "\u2550", "\u2564", "\u2555");
    table_row(f, cells, w, cols);
    rule(f, w, cols, "\u255e", "\u2550", "\u256a", "\u2561");
    for (int r = 1; r < rows; r++) {
        table_row(f, cells + r * cols, w, cols);
        if (r + 1 < rows)
            rule(f, w, cols, "\u251c", "\u2500", "\u253c", "\u2524");
    }
    rule(f, w, cols, "\u2558", "\u2550", "\u2567", "\u255b");
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

static void json_number(FILE *f, const char *key, double x, int has, const char *end)
{
    char num[64];
    py_repr(num, sizeof num, x);
    fprintf(f, "            \"%s\": %s%s\n", key, has ? num : "null", end);
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

static void print_explanation(const EvalOptions *a, const char *baseline)
{
    char msg[128];
    int n = snprintf(msg, sizeof msg, "Paired %s test with %ld %s",
                     a->paired_bs ? "bootstrap resampling" : "approximate randomization",
                     a->paired_bs ? a->bs_n : a->ar_n, a->paired_bs ? "resampling trials" : "trials");
    repeat(a->out, "-", n);
    fprintf(a->out, "\n%s\n", msg);
    repeat(a->out, "-", n);
    fprintf(a->out, "\n - Each system is pairwise compared to %s.\n", baseline);
    fprintf(a->out, "%s\n", a->paired_bs ? "   Actual system score / bootstrap estimated true mean / 95% CI are provided for each metric."
                      : "   Actual system score is provided for each metric.");
    fputc('\n', a->out);
    for (size_t i = 0; i < sizeof explain_lines / sizeof *explain_lines; i++)
        fprintf(a->out, "%s\n", explain_lines[i]);
}

static int print_signatures(const EvalOptions *a, const int *ms, int nm)
{
    fprintf(a->out, "%s\n", "-----------------\nMetric signatures\n-----------------");
    for (int i = 0; i < nm; i++) {
        char name[32];
        TextBuf sig = {0};
        metric_name(a, ms[i], name, sizeof name);
        if (signature_of(&sig, a, ms[i]))
            return -1;
        fprintf(a->out, " - %-10s %s\n", name, sig.p);
        textbuf_free(&sig);
    }
    return 0;
}

/* ---- reading ---- */

typedef struct {
    EvalOptions a;
    int nsys;                    /* in[0 .. nsys): the systems; then the references */
    LineReader in[EVAL_MAX_SYS + EVAL_MAX_REFS];
    size_t len[EVAL_MAX_SYS + EVAL_MAX_REFS]; /* each stream's line, right-stripped */
    /* lines that look tokenized in each system and the first reference */
    long tok_lines[EVAL_MAX_SYS + 1], joined[EVAL_MAX_SYS + 1];
    BleuScratch bs;
    ChrfScratch cs;
    TerScratch ts;
    BleuStats bsum;
    ChrfStats csum;
    TerStats tsum;
    /* several systems or statistics tests: every segment's statistics,
     * rows[s][m] for system s and metric m (k numbers a segment) */
    double *rows[EVAL_MAX_SYS][3];
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

/* Whether a line looks tokenized: a joiner mark (s2s tokenize's U+FFED,
 * subword-nmt's "@@ "), or punctuation standing alone: a final " ." (the
 * sign sacreBLEU counts), " !", " ?", or a " , " inside. */
static int holds(const char *s, size_t n, const char *pat)
{
    size_t m = strlen(pat);
    for (size_t i = 0; i + m <= n; i++)
        if (s[i] == pat[0] && !memcmp(s + i, pat, m))
            return 1;
    return 0;
}

static int looks_tokenized(const char *s, size_t n, int *joiner)
{
    *joiner = holds(s, n, "\xef\xbf\xad") || holds(s, n, "@@ ");
    if (*joiner)
        return 1;
    char last = n >= 2 && s[n - 2] == ' ' ? s[n - 1] : 0;
    return last == '.' || last == '!' || last == '?' || holds(s, n, " , ");
}

/* The lines of a segment that look tokenized, for tokenized_warning. */
static void count_tokenized(Run *r)
{
    for (int k = 0; k <= r->nsys; k++) { /* the systems, then the first reference */
        int joiner;
        r->tok_lines[k] += looks_tokenized(r->in[k].line, r->len[k], &joiner);
        r->joined[k] += joiner;
    }
}

/* sacreBLEU's warning when a system looks tokenized (BLEU then scores
 * other tokens than the references'): here, when it holds joiner marks,
 * or when at least 100 of its lines (or half, and 10) look tokenized
 * while the first reference's do not (fewer than half as many). */
static void tokenized_warning(const Run *r)
{
    long n = r->in[0].lineno, ref = r->tok_lines[r->nsys];
    for (int k = 0; k < r->nsys; k++) {
        long t = r->tok_lines[k];
        int many = t >= 100 || (t >= 10 && 2 * t >= n);
        if (!r->joined[k] && !(many && 2 * ref < t))
            continue;
        fprintf(stderr, "s2s bleu: %s: this looks like tokenized text: forgot to detokenize? "
                        "(%ld of %ld lines %s; the reference: %ld) s2s detokenize turns s2s tokenize's "
                        "output back; --force silences this\n", r->in[k].name, r->joined[k] ? r->joined[k] : t, n,
                r->joined[k] ? "hold joiner marks" : "have punctuation split off", ref);
    }
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
    if (!ended)
        count_tokenized(r);
    return ended ? 0 : 1;
}

static int multi_mode(const EvalOptions *a)
{
    return a->nsystems > 1 || a->paired_bs || a->paired_ar || a->confidence;
}

static int keeps_rows(const Run *r) { return multi_mode(&r->a); }

static int row_size(const EvalOptions *a, int m)
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
    if (m == SIG_BLEU)
        rc = bleu_segment(&r->bs, &r->a.b, hyp, r->len[sys], refs, rl, nr, &bst);
    else if (m == SIG_CHRF)
        rc = chrf_segment(&r->cs, &r->a.c, hyp, r->len[sys], refs, rl, nr, &cst);
    else
        rc = ter_segment(&r->ts, &r->a.t, hyp, r->len[sys], refs, rl, nr, &tst);
    if (rc)
        return s2s_fail(err, S2S_ENOMEM, "%s:%ld: out of memory", r->in[sys].name, r->in[sys].lineno);
    if (keeps_rows(r)) {
        double *row = r->rows[sys][m] + r->nrows * (size_t)row_size(&r->a, m);
        if (m == SIG_BLEU)
            sig_row_bleu(&bst, row);
        else if (m == SIG_CHRF)
            sig_row_chrf(&cst, r->a.c.char_order + r->a.c.word_order, row);
        else
            sig_row_ter(&tst, row);
        if (sys > 0)
            return 0;
    }
    if (r->a.sentence) { /* one text line per segment, as sacreBLEU prints them */
        TextBuf t = {0};
        rc = m == SIG_BLEU ? format_bleu(&t, &r->a, 0, &bst)
             : m == SIG_CHRF ? format_chrf(&t, &r->a, 0, &cst) : format_ter(&t, &r->a, 0, &tst);
        if (rc)
            rc = s2s_fail(err, S2S_ENOMEM, "out of memory");
        else if (fprintf(r->a.out, "%s\n", t.p) == EOF)
            rc = s2s_fail(err, S2S_EIO, "%s: write failed: %s", r->a.out_name, strerror(errno));
        textbuf_free(&t);
        return rc;
    }
    if (m == SIG_BLEU)
        bleu_stats_add(&r->bsum, &bst);
    else if (m == SIG_CHRF)
        chrf_stats_add(&r->csum, &cst, r->a.c.char_order + r->a.c.word_order);
    else
        r->tsum.edits += tst.edits, r->tsum.ref_len += tst.ref_len;
    return 0;
}

/* Statistics of the current segment for every system and metric
 * (sentence level: the first metric). */
static int score_segment(Run *r, S2sErr *err)
{
    const char *refs[EVAL_MAX_REFS];
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
        rc |= m == SIG_BLEU   ? format_bleu(&res[i], &r->a, r->a.json, &r->bsum)
              : m == SIG_CHRF ? format_chrf(&res[i], &r->a, r->a.json, &r->csum)
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
static int metrics_of(const EvalOptions *a, int *ms)
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
    EvalOptions *a = &r->a;
    TextBuf res[3] = {{0}, {0}, {0}};
    int ms[3], nm = metrics_of(a, ms), rc = 0;
    a->test_n = a->conf_n;
    for (int i = 0; i < nm && !rc; i++) {
        SigScorer sc = scorer_of(a, ms[i]);
        SigResult sr;
        rc = sig_confidence(&sc, r->rows[0][ms[i]], (int)r->nrows, a->seed, a->seeded, (int)a->conf_n, &sr);
        a->conf = &sr;
        if (!rc)
            rc = ms[i] == SIG_BLEU   ? format_bleu(&res[i], a, a->json, &r->bsum)
                 : ms[i] == SIG_CHRF ? format_chrf(&res[i], a, a->json, &r->csum)
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
    const EvalOptions *a = &r->a;
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
    const EvalOptions *a = &r->a;
    int paired = a->paired_bs || a->paired_ar;
    fprintf(r->a.out, "%s\n", "[");
    for (int s = 0; s < r->nsys; s++) {
        fprintf(r->a.out, "    {\n        \"system\": \"%s%s\",\n", s == 0 && paired ? "Baseline: " : "", a->systems[s]);
        for (int i = 0; i < nm; i++) {
            char name[32];
            const SigResult *x = &res[s * nm + i];
            const char *end = i + 1 < nm ? "," : "";
            metric_name(a, ms[i], name, sizeof name);
            if (!paired) {
                fprintf(r->a.out, "        \"%s\": \"%.*f\"%s\n", name, a->width, x->score, end);
                continue;
            }
            fprintf(r->a.out, "        \"%s\": {\n", name);
            json_number(r->a.out, "score", x->score, 1, ",");
            json_number(r->a.out, "p_value", x->p, x->has_p, ",");
            json_number(r->a.out, "mean", x->mean, x->has_ci, ",");
            json_number(r->a.out, "ci", x->ci, x->has_ci, "");
            fprintf(r->a.out, "        }%s\n", end);
        }
        fprintf(r->a.out, "    }%s\n", s + 1 < r->nsys ? "," : "");
    }
    fprintf(r->a.out, "%s\n", "]");
}

/* sacreBLEU's table of systems (text), the test's explanation, the signatures. */
static int table_systems(const Run *r, const int *ms, int nm, const SigResult *res)
{
    const EvalOptions *a = &r->a;
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
        print_table(r->a.out, cells, rows, cols);
        fputc('\n', r->a.out);
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
    EvalOptions *a = &r->a;
    int ms[3], nm = metrics_of(a, ms), rc = 0;
    if (a->paired_bs || a->paired_ar)
        a->test_n = a->paired_bs ? a->bs_n : a->ar_n;
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

int eval_run(const EvalOptions *o, S2sErr *err)
{
    Run *r = calloc(1, sizeof *r);
    int rc;
    if (!r)
        return s2s_fail(err, S2S_ENOMEM, "out of memory");
    r->a = *o;
    const char *inputs[EVAL_MAX_SYS + EVAL_MAX_REFS] = {r->a.input};
    r->nsys = r->a.nsystems > 1 ? r->a.nsystems : 1;
    for (int s = 0; s < r->a.nsystems; s++)
        inputs[s] = r->a.systems[s];
    memcpy(inputs + r->nsys, r->a.refs, sizeof(char *) * (size_t)r->a.nrefs);
    rc = fileio_check_output(NULL, inputs, nstreams(r), err);
    for (int k = 0; !rc && k < nstreams(r); k++) {
        rc = linereader_open(&r->in[k], inputs[k], err);
        r->in[k].max_line = r->a.max_line;
    }
    while (!rc && (rc = read_segment(r, err)) == 1)
        rc = score_segment(r, err);
    if (rc >= 0 && r->a.bleu && !r->a.quiet && !r->a.force)
        tokenized_warning(r);
    int multi = multi_mode(&r->a);
    if (rc >= 0 && multi && (r->nsys > 1 ? print_systems(r) : print_confidence(r)))
        rc = s2s_fail(err, S2S_ENOMEM, "out of memory");
    else if (rc >= 0 && !multi && !r->a.sentence && print_corpus(r))
        rc = s2s_fail(err, S2S_ENOMEM, "out of memory");
    for (int k = 0; k < nstreams(r); k++)
        linereader_close(&r->in[k]);
    for (int k = 0; k < EVAL_MAX_SYS; k++)
        for (int m = 0; m < 3; m++)
            free(r->rows[k][m]);
    bleu_scratch_free(&r->bs);
    chrf_scratch_free(&r->cs);
    ter_scratch_free(&r->ts);
    free(r);
    return rc;
}
