/* BLEU and chrF internals: the tokenizers against sacreBLEU's own output
 * for every line of the shared vectors (tok/ folders), Python's lower()
 * and isspace(), and hand-computed statistics and scores: clipping, the
 * brevity penalty, closest reference length, each smoothing method,
 * effective order, chrF. */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "s2s/metrics/bleu.h"
#include "s2s/metrics/chrf.h"
#include "s2s/text/textio.h"

/* ---- tokenizers on the shared vectors ---- */

static const char *vectors(void)
{
    static char path[4096];
    const char *d = getenv("S2S_SHARED_DATA");
    snprintf(path, sizeof path, "%s/bleu-vectors", d ? d : "../shared/data");
    return path;
}

/* Tokens first.. of s, joined by single spaces, into *out. */
static void joined(const BleuScratch *s, size_t first, char **out, size_t *cap)
{
    size_t len = 0;
    (*out)[0] = '\0';
    for (size_t i = first; i < s->nspans; i++) {
        if (i > first) {
            const uint32_t space = ' ';
            text_to_utf8(out, &len, cap, &space, 1);
        }
        text_to_utf8(out, &len, cap, s->text.cp + s->spans[i].start, (size_t)s->spans[i].len);
    }
}

/* Compares tokenizer tok (lowercase lc) on every line of input with want. */
static int check_file(const char *input, const char *want, BleuTok tok, int lc)
{
    LineReader in, ex;
    S2sErr err;
    BleuScratch s = {0};
    size_t cap = 256;
    char *got = malloc(cap);
    int bad = 0;
    if (linereader_open(&in, input, &err) || linereader_open(&ex, want, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    while (linereader_next(&in, &err) == 1) {
        CHECK(linereader_next(&ex, &err) == 1);
        s.text.len = 0, s.nspans = 0;
        CHECK(bleu_tokenize(&s, tok, lc, in.line, text_rstrip_utf8(in.line, in.len)) >= 0);
        size_t mine = s.nspans;
        joined(&s, 0, &got, &cap);
        /* tok/ holds the tokenizer's string; BLEU splits it on whitespace */
        CHECK(bleu_tokenize(&s, BLEU_TOK_NONE, 0, ex.line, ex.len) >= 0);
        size_t cap2 = 256;
        char *want_joined = malloc(cap2);
        joined(&s, mine, &want_joined, &cap2);
        if (strcmp(got, want_joined) != 0 && bad++ < 3)
            fprintf(stderr, "%s:%ld: got '%s'\n  want '%s'\n", input, in.lineno, got, want_joined);
        free(want_joined);
    }
    free(got);
    linereader_close(&in);
    linereader_close(&ex);
    bleu_scratch_free(&s);
    return bad;
}

static void test_tokenizer_vectors(void)
{
    static const char *const names[] = {"13a", "intl", "char", "none"};
    char dir[8192], path[8192 + 512], input[8192 + 512];
    int files = 0;
    DIR *top = opendir(vectors());
    CHECK_MSG(top != NULL, "%s not found (set S2S_SHARED_DATA)", vectors());
    for (struct dirent *c; top && (c = readdir(top));) {
        snprintf(dir, sizeof dir, "%s/%s/tok", vectors(), c->d_name);
        DIR *d = c->d_name[0] == '.' ? NULL : opendir(dir);
        for (struct dirent *f; d && (f = readdir(d));) {
            char name[512], *dot;
            snprintf(name, sizeof name, "%s", f->d_name);
            int lc = strlen(name) > 3 && strcmp(name + strlen(name) - 3, ".lc") == 0;
            if (lc)
                name[strlen(name) - 3] = '\0';
            if (!(dot = strrchr(name, '.')) || f->d_name[0] == '.')
                continue;
            *dot = '\0';
            for (int t = 0; t < 4; t++)
                if (strcmp(dot + 1, names[t]) == 0) {
                    snprintf(input, sizeof input, "%s/%s/%s", vectors(), c->d_name, name);
                    snprintf(path, sizeof path, "%s/%s", dir, f->d_name);
                    CHECK_MSG(check_file(input, path, (BleuTok)t, lc) == 0, "%s", path);
                    files++;
                }
        }
        if (d)
            closedir(d);
    }
    if (top)
        closedir(top);
    fprintf(stderr, "tokenizer outputs checked: %d files\n", files);
    CHECK(files >= 60);
}

/* ---- Python's str.lower() and isspace() ---- */

static void test_text(void)
{
    static const struct { const char *in, *out; } cases[] = {
        {"İstanbul", "i\xCC\x87stanbul"},       /* İ -> i + combining dot */
        {"STRAẞE", "straße"},                    /* capital sharp s */
        {"ΟΔΟΣ ΟΔΟΣ.", "οδος οδος."},            /* final sigma at word ends */
        {"ΣΑ", "σα"},                            /* not final */
        {"ǅ Ⅻ ＡＢ", "ǆ ⅻ ａｂ"},               /* titlecase digraph, roman numeral, fullwidth */
        {"&AMP; <SKIPPED>", "&amp; <skipped>"},
    };
    U32Buf a = {0}, b = {0};
    char *out = NULL;
    size_t len, cap = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        text_from_utf8(&a, cases[i].in, strlen(cases[i].in));
        CHECK(text_lower(&b, a.cp, a.len) == 0);
        len = 0;
        text_to_utf8(&out, &len, &cap, b.cp, b.len);
        CHECK_MSG(strcmp(out, cases[i].out) == 0, "lower('%s') = '%s'", cases[i].in, out);
    }
    uint32_t space[] = {' ', '\t', 0x1C, 0x1F, 0x85, 0xA0, 0x1680, 0x2000, 0x200A, 0x2028, 0x202F, 0x3000};
    uint32_t not_space[] = {'a', 0x200B, 0xFEFF, 0x180E, 0x00AD};
    for (size_t i = 0; i < sizeof space / sizeof space[0]; i++)
        CHECK_MSG(text_is_space(space[i]), "U+%04X is whitespace", space[i]);
    for (size_t i = 0; i < sizeof not_space / sizeof not_space[0]; i++)
        CHECK_MSG(!text_is_space(not_space[i]), "U+%04X is not whitespace", not_space[i]);
    CHECK(text_rstrip_utf8("ab \xC2\x85\xE3\x80\x80", 8) == 2);
    CHECK(text_rstrip_utf8("ab\xE2\x80\x8B", 5) == 5);
    free(out);
    u32buf_free(&a);
    u32buf_free(&b);
}

/* ---- hand-computed scores ---- */

static BleuStats segment(const char *hyp, const char *const *refs, int nrefs, BleuTok tok)
{
    BleuScratch s = {0};
    BleuOptions o = {.tok = tok, .smooth_value = -1};
    BleuStats st;
    size_t lens[8];
    for (int r = 0; r < nrefs; r++)
        lens[r] = strlen(refs[r]);
    CHECK(bleu_segment(&s, &o, hyp, strlen(hyp), refs, lens, nrefs, &st) == 0);
    bleu_scratch_free(&s);
    return st;
}

static int near(double a, double b) { return fabs(a - b) < 1e-9 * (1 + fabs(b)); }

static void test_bleu_by_hand(void)
{
    /* Clipping: "the" four times against a reference with it once; max over references. */
    const char *r1[] = {"the cat", "the the mat"};
    BleuStats st = segment("the the the the", r1, 1, BLEU_TOK_NONE);
    CHECK(st.correct[0] == 1 && st.total[0] == 4 && st.correct[1] == 0 && st.total[1] == 3);
    st = segment("the the the the", r1, 2, BLEU_TOK_NONE);
    CHECK(st.correct[0] == 2 && st.correct[1] == 1);
    /* Closest reference length, ties to the shorter. */
    const char *r2[] = {"a b c d e f", "a b c d"};
    CHECK(segment("a b c d e", r2, 2, BLEU_TOK_NONE).ref_len == 4);
    const char *r3[] = {"x", ""};
    CHECK(segment("", r3, 2, BLEU_TOK_NONE).ref_len == 0);
    /* 13a splits punctuation: "cat." -> "cat ." */
    const char *r4[] = {"The cat."};
    st = segment("The cat.", r4, 1, BLEU_TOK_13A);
    CHECK(st.sys_len == 3 && st.correct[2] == 1);

    /* Scores from statistics: correct 3/1/0/0 of 4/3/2/1, hyp 4, ref 8. */
    BleuStats s = {.sys_len = 4, .ref_len = 8, .correct = {3, 1, 0, 0}, .total = {4, 3, 2, 1}};
    BleuOptions o = {.smooth = BLEU_SMOOTH_EXP, .smooth_value = -1};
    BleuScore sc;
    double bp = exp(1 - 8.0 / 4.0);
    bleu_compute(&s, &o, &sc);
    CHECK(near(sc.bp, bp) && near(sc.ratio, 0.5));
    CHECK(near(sc.prec[2], 100.0 / (2 * 2)) && near(sc.prec[3], 100.0 / (4 * 1)));
    CHECK(near(sc.score, bp * exp((log(75.0) + log(100.0 / 3) + log(25.0) + log(25.0)) / 4)));
    o.smooth = BLEU_SMOOTH_FLOOR;
    bleu_compute(&s, &o, &sc);
    CHECK(near(sc.prec[2], 100 * 0.1 / 2) && near(sc.prec[3], 100 * 0.1 / 1));
    o.smooth = BLEU_SMOOTH_ADDK;
    bleu_compute(&s, &o, &sc);
    CHECK(near(sc.prec[0], 75.0) && near(sc.prec[1], 100.0 * 2 / 4) && near(sc.prec[3], 100.0 / 2));
    o.smooth = BLEU_SMOOTH_NONE;
    bleu_compute(&s, &o, &sc);
    CHECK(sc.prec[2] == 0 && sc.score < 1e-300);
    /* Nothing matched: 0 with all precisions 0, BP still reported. */
    BleuStats z = {.sys_len = 2, .ref_len = 4, .total = {2, 1}};
    o.smooth = BLEU_SMOOTH_EXP;
    bleu_compute(&z, &o, &sc);
    CHECK(sc.score == 0 && sc.prec[0] == 0 && near(sc.bp, exp(-1.0)));
    /* Effective order: a one-word sentence matching scores 100. */
    BleuStats one = {.sys_len = 1, .ref_len = 1, .correct = {1}, .total = {1}};
    o.effective_order = 1;
    bleu_compute(&one, &o, &sc);
    CHECK(near(sc.score, 100.0));
    o.effective_order = 0;
    bleu_compute(&one, &o, &sc);
    CHECK(sc.score < 1e-300);
}

static void test_chrf_by_hand(void)
{
    ChrfScratch s = {0};
    ChrfOptions o = {.char_order = 1, .beta = 2};
    ChrfStats st;
    const char *refs[] = {"a b d", "x y z"};
    size_t lens[] = {5, 5};
    /* Characters "abc" against "abd" (spaces removed): 2 of 3 match. */
    CHECK(chrf_segment(&s, &o, "ab c", 4, refs, lens, 2, &st) == 0);
    CHECK(st.hyp[0] == 3 && st.ref[0] == 3 && st.match[0] == 2); /* the better reference */
    CHECK(near(chrf_compute(&st, &o), 100.0 * 2.0 / 3.0));
    /* chrF++: "(hi)" gives "(hi" ")" (a trailing punctuation mark goes first);
     * "(hi )" gives "(" "hi" ")": one word matches. */
    o = (ChrfOptions){.char_order = 0, .word_order = 1, .beta = 2};
    const char *r2[] = {"(hi )"};
    size_t l2[] = {5};
    CHECK(chrf_segment(&s, &o, "(hi)", 4, r2, l2, 1, &st) == 0);
    CHECK(st.hyp[0] == 2 && st.ref[0] == 3 && st.match[0] == 1);
    /* A reference without n-grams of an order reports 0 hypothesis n-grams for it. */
    o = (ChrfOptions){.char_order = 3, .beta = 2};
    const char *r3[] = {"ab"};
    size_t l3[] = {2};
    CHECK(chrf_segment(&s, &o, "abcd", 4, r3, l3, 1, &st) == 0);
    CHECK(st.hyp[2] == 0 && st.ref[2] == 0 && st.hyp[1] == 3);
    chrf_scratch_free(&s);
}

int main(void)
{
    test_text();
    test_bleu_by_hand();
    test_chrf_by_hand();
    test_tokenizer_vectors();
    return check_exit_code("test_bleu");
}
