/* The reversible tokenizer and BPE in the tokenizer: detok(tok(x)) == x
 * byte for byte on every line of the shared corpora and on a generated
 * stress set; what the tokens look like; BPE pieces rejoin to the words. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "s2s/base/rng.h"
#include "s2s/base/text.h"
#include "s2s/text/textio.h"
#include "s2s/text/tokenizer.h"

static const Tokenizer word = {.kind = TOKENIZER_WORD};

/* UTF-8 of code point c into u: its length. */
static int utf8_of(uint32_t c, char *u)
{
    if (c < 0x80)
        return u[0] = (char)c, 1;
    if (c < 0x800)
        return u[0] = (char)(0xC0 | c >> 6), u[1] = (char)(0x80 | (c & 0x3F)), 2;
    if (c < 0x10000)
        return u[0] = (char)(0xE0 | c >> 12), u[1] = (char)(0x80 | (c >> 6 & 0x3F)),
               u[2] = (char)(0x80 | (c & 0x3F)), 3;
    return u[0] = (char)(0xF0 | c >> 18), u[1] = (char)(0x80 | (c >> 12 & 0x3F)),
           u[2] = (char)(0x80 | (c >> 6 & 0x3F)), u[3] = (char)(0x80 | (c & 0x3F)), 4;
}

/* 1 when token t is not empty and holds no white space (of any kind: s2s
 * detokenize splits at spaces and tabs, and other white space is the
 * literal tokens' to record) and no marker after its first code point. */
static int token_ok(const char *t)
{
    U32Buf cp = {0};
    size_t n = strlen(t);
    int ok = n > 0 && text_from_utf8(&cp, t, n) == 0;
    for (size_t j = 0; ok && j < cp.len; j++)
        ok = !text_is_space(cp.cp[j]) && (j == 0 || (cp.cp[j] != 0xFFED && cp.cp[j] != 0xFFEE));
    u32buf_free(&cp);
    return ok;
}

/* Tokenises and detokenises line; returns 1 when it comes back unchanged
 * and every token is token_ok. */
static int round_trip(const Tokenizer *tk, TokBuf *tb, const char *line, size_t len,
                      char **text, size_t *cap)
{
    S2sErr err;
    int n = tokenizer_encode(tk, tb, line, len, &err);
    const char *toks[4096];
    if (n < 0 || n > 4096)
        return 0;
    for (int i = 0; i < n; i++) {
        toks[i] = tokbuf_token(tb, i);
        if (!token_ok(toks[i]))
            return 0;
    }
    size_t out = 0;
    return tokenizer_decode(tk, toks, n, text, &out, cap) == 0 && out == len &&
           memcmp(*text, line, len) == 0;
}

static long corpus_round_trips(const char *dir, const Tokenizer *tk)
{
    char path[8192];
    long lines = 0, bad = 0;
    TokBuf tb = {0};
    char *text = NULL;
    size_t cap = 0;
    DIR *d = opendir(dir);
    CHECK_MSG(d != NULL, "%s not found (set S2S_SHARED_DATA)", dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        LineReader r;
        S2sErr err;
        if (e->d_name[0] == '.' || strstr(e->d_name, "README"))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (linereader_open(&r, path, &err))
            continue;
        r.keep_cr = 1;
        while (linereader_next(&r, &err) == 1) {
            lines++;
            if (!round_trip(tk, &tb, r.line, r.len, &text, &cap) && bad++ < 3)
                fprintf(stderr, "%s:%ld: no round trip: '%s'\n", path, r.lineno, r.line);
        }
        linereader_close(&r);
    }
    if (d)
        closedir(d);
    CHECK_MSG(bad == 0, "%ld of %ld lines in %s", bad, lines, dir);
    free(text);
    tokbuf_free(&tb);
    return lines;
}

static void test_corpora(void)
{
    const char *base = getenv("S2S_SHARED_DATA");
    char dir[4096];
    const char *sets[] = {"multi30k", "tatoeba-en-fr"};
    for (int k = 0; k < 2; k++) {
        snprintf(dir, sizeof dir, "%s/%s", base ? base : "../shared/data", sets[k]);
        long n = corpus_round_trips(dir, &word);
        fprintf(stderr, "round trip: %ld lines of %s\n", n, sets[k]);
        CHECK(n > (k ? 280000 : 32000));
    }
}

/* ---- a generated stress set ---- */

static const char *const pieces[] = {
    "a", "Zwei", "Männer", "日本語", "中文", "한국어", "עברית", "العربية", "हिन्दी", "Ελλάδα",
    "1,234.56", "10:30", "5-6", "don't", "l'homme", "x", "-", "—", "–", "...", "!!", "?", ".",
    ",", ";", "(", ")", "«", "»", "„", "“", "\"", "'", "&", "€", "$", "%", "+", "=", "@",
    "e\xCC\x81", "\xCC\x81", "a\xCC\x88\xCC\x81",           /* combining marks, one on nothing */
    "👩‍👩‍👧", "👍🏽", "🇩🇪", "❤️", "🏳️‍🌈", "\xE2\x80\x8D",   /* emoji, a lone ZWJ */
    "\x01", "\x1b", "\x7f", "\xC2\x85", "\xE2\x80\x8B", "\xEF\xBB\xBF", /* controls, NEL, ZWSP, BOM */
    "\xEF\xBF\xAD", "\xEF\xBF\xAE", "\xEF\xBF\xADx", "\xEF\xBF\xAE" "20",  /* the markers themselves */
    "http://example.com/a?b=1", "www.s2s.org.", "a.b@c.de", "mailto:x@y.z",
    " ", " ", " ", "  ", "\t", "\r", "\xC2\xA0", "\xE3\x80\x80", "\xE2\x80\xA8", "\x0b", "\x0c",
};

static void test_stress(void)
{
    Rng r;
    TokBuf tb = {0};
    char line[2048], *text = NULL;
    size_t cap = 0;
    int bad = 0, n = (int)(sizeof pieces / sizeof pieces[0]);
    rng_seed(&r, 11);
    for (int i = 0; i < 30000; i++) {
        size_t len = 0;
        int k = (int)rng_below(&r, 24);
        if (i % 1000 == 0) { /* a long run of spaces: literal tokens of any length */
            memset(line, ' ', 300);
            len = 300;
        }
        while (k-- > 0) {
            const char *p = pieces[rng_below(&r, (uint32_t)n)];
            size_t m = strlen(p);
            if (len + m >= sizeof line)
                break;
            memcpy(line + len, p, m);
            len += m;
        }
        line[len] = '\0';
        if (!round_trip(&word, &tb, line, len, &text, &cap) && bad++ < 5)
            fprintf(stderr, "stress line %d: no round trip: '%s'\n", i, line);
    }
    CHECK_MSG(bad == 0, "%d stress lines failed", bad);
    CHECK(round_trip(&word, &tb, "", 0, &text, &cap) && tb.n == 0); /* empty line: no tokens */
    free(text);
    tokbuf_free(&tb);
}

/* Every code point (surrogates aside) next to a space, a tab, an
 * ideographic space, a marker and between letters: the classes of ICU's
 * grapheme rules (a Prepend character such as U+0600 glues the space after
 * it into its cluster) all round-trip, and no token holds white space. */
static void test_every_code_point(void)
{
    static const char *const shapes[][2] = {
        {"", " x"}, {"x", " y"}, {"", "\t"}, {"", "\xe3\x80\x80x"}, {"a", TOKENIZER_JOINER "b"},
        {"a", TOKENIZER_LITERAL}, {"1", "2"}, {"", "  "},
    };
    TokBuf tb = {0};
    char line[64], *text = NULL;
    size_t cap = 0;
    long bad = 0, lines = 0;
    for (uint32_t c = 1; c <= 0x10FFFF; c++) {
        if (c >= 0xD800 && c <= 0xDFFF)
            continue;
        char u[4];
        int k = utf8_of(c, u);
        for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
            int len = snprintf(line, sizeof line, "%s%.*s%s%.*s", shapes[s][0], k, u, shapes[s][1], k, u);
            lines++;
            if (!round_trip(&word, &tb, line, (size_t)len, &text, &cap) && bad++ < 5)
                fprintf(stderr, "U+%04X in shape %zu: no round trip\n", (unsigned)c, s);
        }
    }
    CHECK_MSG(bad == 0, "%ld of %ld lines failed", bad, lines);
    free(text);
    tokbuf_free(&tb);
}

/* ---- what the tokens are ---- */

static void expect_tokens(const char *line, const char *want)
{
    TokBuf tb = {0};
    char got[1024] = "";
    int n = tokenizer_encode(&word, &tb, line, strlen(line), NULL);
    for (int i = 0; i < n; i++)
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", i ? " " : "", tokbuf_token(&tb, i));
    CHECK_MSG(strcmp(got, want) == 0, "'%s' -> '%s', want '%s'", line, got, want);
    tokbuf_free(&tb);
}

static void test_tokens(void)
{
    expect_tokens("Zwei junge Männer, die im Freien arbeiten.",
                  "Zwei junge Männer ￭, die im Freien arbeiten ￭.");
    expect_tokens("Preis: 1.234,56 € (inkl.)", "Preis ￭: 1.234,56 € ( ￭inkl ￭. ￭)");
    expect_tokens("don't 10:30 5-6 Coffee-Shop ...", "don't 10:30 5 ￭- ￭6 Coffee ￭- ￭Shop ...");
    expect_tokens("see https://example.com/a?b=1. or a.b@c.de!",
                  "see https://example.com/a?b=1 ￭. or a.b@c.de ￭!");
    expect_tokens("  two  spaces\ttab ", "￮20,20 two ￮20,20 spaces ￮9 tab ￮20");
    expect_tokens("👩‍👩‍👧x ￭", "👩‍👩‍👧 ￭x ￮20,ffed");
    expect_tokens("„Hallo“", "„ ￭Hallo ￭“");
    S2sErr err;
    TokBuf tb = {0};
    CHECK(tokenizer_encode(&word, &tb, "ab\xff", 3, &err) == S2S_EFORMAT &&
          strcmp(err.msg, "invalid UTF-8 at byte 2") == 0);
    /* a NUL would end a token early: every kind refuses it (s2s score names the line) */
    static const Tokenizer none = {.kind = TOKENIZER_NONE};
    CHECK(tokenizer_encode(&word, &tb, "a b\0c", 5, &err) == S2S_EFORMAT &&
          strcmp(err.msg, "NUL byte at byte 3") == 0);
    CHECK(tokenizer_encode(&none, &tb, "a b\0c", 5, &err) == S2S_EFORMAT &&
          strcmp(err.msg, "NUL byte at byte 3") == 0);
    tokbuf_free(&tb);
    /* Whatever a model emits decodes to something: malformed literals stand for themselves. */
    const char *odd[] = {"￭", "a", "￮zz", "￮", "￮41,", "￭￭b", "￮41"};
    char *text = NULL;
    size_t len = 0, cap = 0;
    CHECK(tokenizer_decode(&word, odd, 7, &text, &len, &cap) == 0);
    CHECK_MSG(strcmp(text, " a￮zz￮￮41,￭bA") == 0, "%s", text);
    free(text);
}

/* ---- BPE through the tokenizer ---- */

static void test_bpe_pieces(void)
{
    static const char *merges[] = {"M ä", "Mä n", "e r</w>", "n er</w>", "Män ner</w>", "a r", "ar b"};
    Bpe b;
    Tokenizer tk = {.kind = TOKENIZER_WORD};
    TokBuf tb = {0};
    char *text = NULL;
    size_t cap = 0, len;
    memset(&b, 0, sizeof b);
    CHECK(bpe_from_texts(&b, merges, 7, NULL) == 0);
    tokenizer_set_bpe(&tk, &b);
    const char *line = "Männer arbeiten, Männern.";
    int n = tokenizer_encode(&tk, &tb, line, strlen(line), NULL);
    char got[256] = "";
    for (int i = 0; i < n; i++)
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", i ? " " : "", tokbuf_token(&tb, i));
    CHECK_MSG(strcmp(got, "Männer arb ￭e ￭i ￭t ￭e ￭n ￭, Män ￭n ￭e ￭r ￭n ￭.") == 0, "%s", got);
    /* Undoing the segmentation gives the word tokens, and the text. */
    const char *toks[64];
    for (int i = 0; i < n; i++)
        toks[i] = tokbuf_token(&tb, i);
    len = 0;
    CHECK(tokenizer_decode(&tk, toks, n, &text, &len, &cap) == 0 && strcmp(text, line) == 0);
    CHECK(round_trip(&tk, &tb, "  Männer\t", 9, &text, &cap));
    free(text);
    tokbuf_free(&tb);
    tokenizer_free(&tk);
}

int main(void)
{
    test_tokens();
    test_stress();
    test_every_code_point();
    test_bpe_pieces();
    test_corpora();
    return check_exit_code("test_tokenizer");
}
