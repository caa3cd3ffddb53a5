/* tokenizer.c: the tokenizer kinds (tokenizer.h). Most of it is the
 * reversible word tokenizer: splitting a line into ordinary pieces and
 * recording everything between them. */
#include "s2s/text/tokenizer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/utext.h>
#include <unicode/utf8.h>

#include "s2s/base/text.h"
#include "s2s/base/utf8.h"

typedef struct {
    UBreakIterator *bi; /* grapheme clusters */
    UText *ut;
} Icu;

enum { CL_SPACE, CL_MARKER, CL_WORD, CL_PUNCT, CL_OTHER };

static uint32_t cp_at(const char *s, size_t i, size_t end)
{
    UChar32 c;
    int32_t k = (int32_t)i;
    U8_NEXT((const uint8_t *)s, k, (int32_t)end, c);
    return (uint32_t)c;
}

static uint32_t cp_before(const char *s, size_t i)
{
    UChar32 c;
    int32_t k = (int32_t)i;
    U8_PREV((const uint8_t *)s, 0, k, c);
    return (uint32_t)c;
}

static int is_marker(uint32_t c) { return c == 0xFFED || c == 0xFFEE; }

static int classify(uint32_t c)
{
    if (text_is_space(c))
        return CL_SPACE;
    if (is_marker(c))
        return CL_MARKER;
    uint32_t m = U_GET_GC_MASK((UChar32)c);
    if (m & (U_GC_L_MASK | U_GC_M_MASK | U_GC_N_MASK))
        return CL_WORD;
    return (m & U_GC_P_MASK) ? CL_PUNCT : CL_OTHER;
}

static int is_letter(uint32_t c) { return (U_GET_GC_MASK((UChar32)c) & (U_GC_L_MASK | U_GC_M_MASK)) != 0; }
static int is_digit(uint32_t c) { return u_charType((UChar32)c) == U_DECIMAL_DIGIT_NUMBER; }

/* A punctuation mark inside a word: an apostrophe between letters (don't,
 * l'homme), a separator between digits (1,234.56, 10:30). */
static int joins_word(uint32_t before, uint32_t p, uint32_t after)
{
    if (p == '\'' || p == 0x2019)
        return is_letter(before) && is_letter(after);
    if (p == '.' || p == ',' || p == ':')
        return is_digit(before) && is_digit(after);
    return 0;
}

/* ---- URLs and e-mail addresses, kept whole ---- */

static int starts_with_ci(const char *s, size_t n, const char *p)
{
    size_t m = strlen(p);
    if (n < m)
        return 0;
    for (size_t i = 0; i < m; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != p[i])
            return 0;
    }
    return 1;
}

static int url_trailer(char c) { return c && strchr(".,;:!?)]}\"'", c) != NULL; }

static int email_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

/* name@host.tld with ASCII letters, digits and ._%+- */
static int is_email(const char *s, size_t n)
{
    const char *at = memchr(s, '@', n);
    if (!at || at == s || at == s + n - 1)
        return 0;
    const char *dot = NULL;
    for (const char *p = s; p < s + n; p++)
        if (p != at && !email_char(*p))
            return 0;
    for (const char *p = at + 1; p < s + n; p++)
        if (*p == '.')
            dot = p;
    return dot && dot > at + 1 && dot < s + n - 1 && !memchr(at + 1, '@', (size_t)(s + n - at - 1));
}

/* Length of the URL or e-mail address at the start of run s[0..n), its
 * trailing punctuation excluded; 0 if there is none. */
static size_t link_length(const char *s, size_t n)
{
    static const char *const schemes[] = {"http://", "https://", "ftp://", "www.", "mailto:"};
    size_t m = n;
    while (m > 0 && url_trailer(s[m - 1]))
        m--;
    for (size_t i = 0; i < m; i++)
        if ((unsigned char)s[i] >= 0x80)
            return 0; /* ASCII links only; others go through the general rules */
    for (size_t k = 0; k < sizeof schemes / sizeof schemes[0]; k++)
        if (starts_with_ci(s, m, schemes[k]) && m > strlen(schemes[k]))
            return m;
    return is_email(s, m) ? m : 0;
}

/* ---- emitting tokens ---- */

static int push_token(TokBuf *b, const char *prefix, const char *s, size_t n)
{
    size_t p = strlen(prefix), need = b->len + p + n + 1;
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < need)
            cap *= 2;
        char *q = realloc(b->buf, cap);
        if (!q)
            return -1;
        b->buf = q, b->cap = cap;
    }
    if (b->n == b->off_cap) {
        int cap = b->off_cap ? 2 * b->off_cap : 64;
        size_t *o = realloc(b->off, sizeof(size_t) * (size_t)cap);
        if (!o)
            return -1;
        b->off = o, b->off_cap = cap;
    }
    b->off[b->n++] = b->len;
    memcpy(b->buf + b->len, prefix, p);
    memcpy(b->buf + b->len + p, s, n);
    b->len += p + n;
    b->buf[b->len++] = '\0';
    return 0;
}

/* A literal token: U+FFEE and the code points of s[0..n) in hex. */
static int push_literal(TokBuf *b, const char *s, size_t n)
{
    char small[256], *hex = n * 9 + 8 <= sizeof small ? small : malloc(n * 9 + 8);
    size_t k = 0;
    if (!hex)
        return -1;
    hex[0] = '\0';
    for (size_t i = 0; i < n;) {
        UChar32 c;
        int32_t j = (int32_t)i;
        U8_NEXT((const uint8_t *)s, j, (int32_t)n, c);
        k += (size_t)sprintf(hex + k, "%s%x", i ? "," : "", (unsigned)c);
        i = (size_t)j;
    }
    int rc = push_token(b, TOKENIZER_LITERAL, hex, k);
    if (hex != small)
        free(hex);
    return rc;
}

typedef struct {
    TokBuf *out;
    const char *line;
    size_t gap; /* end of the last ordinary piece: the text since is pending */
    int any;    /* an ordinary piece has been emitted */
} Emitter;

/* Emits the ordinary piece line[a..b) and what lies between it and the last. */
static int emit_piece(Emitter *e, size_t a, size_t b)
{
    const char *g = e->line + e->gap, *p = e->line + a;
    size_t gn = a - e->gap;
    int rc;
    if (e->any && gn == 1 && g[0] == ' ')
        rc = push_token(e->out, "", p, b - a);
    else if (e->any && gn == 0)
        rc = push_token(e->out, TOKENIZER_JOINER, p, b - a);
    else
        rc = (gn > 0 && push_literal(e->out, g, gn)) || push_token(e->out, "", p, b - a);
    e->gap = b;
    e->any = 1;
    return rc;
}

/* ---- splitting ---- */

static Icu *icu_get(TokBuf *b)
{
    if (b->icu)
        return b->icu;
    Icu *icu = calloc(1, sizeof *icu);
    UErrorCode e = U_ZERO_ERROR;
    if (!icu)
        return NULL;
    icu->bi = ubrk_open(UBRK_CHARACTER, "", NULL, 0, &e);
    if (U_FAILURE(e)) {
        free(icu);
        return NULL;
    }
    return b->icu = icu;
}

static void tokenizer_icu_free(void *p)
{
    Icu *icu = p;
    if (!icu)
        return;
    ubrk_close(icu->bi);
    utext_close(icu->ut);
    free(icu);
}

/* The piece being built: a word or a run of one punctuation mark. */
typedef struct {
    int cls;       /* CL_WORD, CL_PUNCT, or -1 for none */
    size_t start, end;
    uint32_t mark; /* the punctuation mark of a run */
} Piece;

static int flush(Emitter *em, Piece *p)
{
    int rc = p->cls >= 0 ? emit_piece(em, p->start, p->end) : 0;
    p->cls = -1;
    return rc;
}

/* Adds grapheme cluster line[s..e) (first code point c, class k). */
static int add_cluster(Emitter *em, Piece *p, size_t s, size_t e, uint32_t c, int k, size_t len)
{
    const char *line = em->line;
    int single = e - s == (size_t)U8_LENGTH((UChar32)c);
    if (k == CL_WORD && p->cls == CL_WORD) {
        p->end = e;
        return 0;
    }
    if (k == CL_PUNCT && single && p->cls == CL_WORD && e < len &&
        joins_word(cp_before(line, s), c, cp_at(line, e, len))) {
        p->end = e;
        return 0;
    }
    if (k == CL_PUNCT && single && p->cls == CL_PUNCT && c == p->mark) {
        p->end = e;
        return 0;
    }
    if (flush(em, p))
        return -1;
    if (k == CL_OTHER)
        return emit_piece(em, s, e);
    *p = (Piece){k, s, e, c};
    return 0;
}

/* Where grapheme cluster line[s..e) ends as a piece of a token: at its
 * first white space or marker after the first code point, or e. (A Prepend
 * character such as U+0600 takes the space after it into its cluster; a
 * token never holds white space, so that part goes between the tokens.) */
static size_t cluster_cut(const char *line, size_t s, size_t e)
{
    for (size_t i = s + (size_t)U8_LENGTH((UChar32)cp_at(line, s, e)); i < e;) {
        uint32_t c = cp_at(line, i, e);
        if (text_is_space(c) || is_marker(c))
            return i;
        i += (size_t)U8_LENGTH((UChar32)c);
    }
    return e;
}

static size_t run_end(const char *line, size_t s, size_t len)
{
    while (s < len && !text_is_space(cp_at(line, s, len)))
        s += (size_t)U8_LENGTH((UChar32)cp_at(line, s, len));
    return s;
}

int tokenizer_encode_words(TokBuf *out, const char *line, size_t len, S2sErr *err)
{
    long bad = utf8_invalid_offset(line, len);
    UErrorCode ue = U_ZERO_ERROR;
    Icu *icu = icu_get(out);
    Emitter em = {out, line, 0, 0};
    Piece p = {-1, 0, 0, 0};
    size_t skip = 0;
    out->len = 0, out->n = 0;
    const char *nul = memchr(line, '\0', len);
    if (bad >= 0)
        return s2s_fail(err, S2S_EFORMAT, "invalid UTF-8 at byte %ld", bad);
    if (nul)
        return s2s_fail(err, S2S_EFORMAT, "NUL byte at byte %ld", (long)(nul - line));
    if (!icu)
        return s2s_fail(err, S2S_ENOMEM, "cannot start ICU's break iterator");
    icu->ut = utext_openUTF8(icu->ut, line, (int64_t)len, &ue);
    ubrk_setUText(icu->bi, icu->ut, &ue);
    if (U_FAILURE(ue))
        return s2s_fail(err, S2S_ENOMEM, "ICU: %s", u_errorName(ue));
    for (int32_t s = ubrk_first(icu->bi), e = ubrk_next(icu->bi); e != UBRK_DONE;
         s = e, e = ubrk_next(icu->bi)) {
        if ((size_t)s < skip)
            continue;
        uint32_t c = cp_at(line, (size_t)s, len);
        int k = classify(c), rc = 0;
        size_t cut = k == CL_SPACE || k == CL_MARKER ? (size_t)e
                                                     : cluster_cut(line, (size_t)s, (size_t)e);
        if (cut < (size_t)e) { /* the cluster's part before its white space, then a break */
            rc = add_cluster(&em, &p, (size_t)s, cut, c, k, len) || flush(&em, &p);
        } else if (k == CL_SPACE || k == CL_MARKER) {
            rc = flush(&em, &p);
        } else if (p.cls < 0 && (s == 0 || text_is_space(cp_before(line, (size_t)s)))) {
            size_t link = link_length(line + s, run_end(line, (size_t)s, len) - (size_t)s);
            if (link) {
                rc = emit_piece(&em, (size_t)s, (size_t)s + link);
                skip = (size_t)s + link;
                continue;
            }
            rc = add_cluster(&em, &p, (size_t)s, (size_t)e, c, k, len);
        } else {
            rc = add_cluster(&em, &p, (size_t)s, (size_t)e, c, k, len);
        }
        if (rc)
            return s2s_fail(err, S2S_ENOMEM, "out of memory");
    }
    if (flush(&em, &p) || (len > em.gap && push_literal(out, line + em.gap, len - em.gap)))
        return s2s_fail(err, S2S_ENOMEM, "out of memory");
    return out->n;
}

/* ---- kinds ---- */

int tokenizer_from_name(Tokenizer *tk, const char *name, S2sErr *err)
{
    static const char *const names[] = {"none", "word", "bpe"};
    for (int k = 0; k < 3; k++)
        if (name && strcmp(name, names[k]) == 0) {
            tk->kind = (TokenizerKind)k;
            return 0;
        }
    return s2s_fail(err, S2S_EINVAL, "unknown tokenizer '%s' (known: none, word, bpe)",
                    name ? name : "(null)");
}

const char *tokenizer_name(const Tokenizer *tk)
{
    static const char *const names[] = {"none", "word", "bpe"};
    S2S_INVARIANT(tk->kind >= TOKENIZER_NONE && tk->kind <= TOKENIZER_BPE);
    return names[tk->kind];
}

void tokenizer_set_bpe(Tokenizer *tk, Bpe *b)
{
    bpe_free(&tk->bpe);
    tk->kind = TOKENIZER_BPE;
    tk->bpe = *b;
    memset(b, 0, sizeof *b);
}

void tokenizer_free(Tokenizer *tk)
{
    bpe_free(&tk->bpe);
    memset(&tk->bpe, 0, sizeof tk->bpe);
}

const char *tokbuf_token(const TokBuf *b, int i) { return b->buf + b->off[i]; }

void tokbuf_free(TokBuf *b)
{
    free(b->buf);
    free(b->off);
    free(b->scratch);
    free(b->pieces);
    tokenizer_icu_free(b->icu);
    bpe_cache_free(&b->cache);
    memset(b, 0, sizeof *b);
}

int tokenizer_is_literal(const char *t) { return strncmp(t, TOKENIZER_LITERAL, 3) == 0; }
int tokenizer_is_joined(const char *t) { return strncmp(t, TOKENIZER_JOINER, 3) == 0; }

/* ---- encoding ---- */

static int is_ascii_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static int encode_none(TokBuf *out, const char *line, size_t len)
{
    out->len = 0, out->n = 0;
    for (size_t i = 0; i < len;) {
        if (is_ascii_space(line[i])) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < len && !is_ascii_space(line[j]))
            j++;
        if (push_token(out, "", line + i, j - i))
            return -1;
        i = j;
    }
    return out->n;
}

/* Appends the BPE pieces of word text (joined: it was glued to the token
 * before it). */
static int push_pieces(const Tokenizer *tk, TokBuf *out, const char *text, int joined,
                       float drop, Rng *rng, S2sErr *err)
{
    int n = bpe_apply_dropout(&tk->bpe, &out->cache, text, strlen(text), drop, rng,
                              &out->pieces, &out->pieces_cap, err);
    const char *p = out->pieces;
    for (int i = 0; i < n; i++, p += strlen(p) + 1)
        if (push_token(out, i > 0 || joined ? TOKENIZER_JOINER : "", p, strlen(p)))
            return s2s_fail(err, S2S_ENOMEM, "out of memory");
    return n < 0 ? n : 0;
}

/* Replaces out's word tokens by their BPE pieces; the first piece keeps the
 * word's joiner, the others get one. Literal tokens pass through. */
static int apply_bpe(const Tokenizer *tk, TokBuf *out, float p, Rng *rng, S2sErr *err)
{
    size_t n = out->len;
    if (n > out->scratch_cap) {
        char *p = realloc(out->scratch, n);
        if (!p)
            return s2s_fail(err, S2S_ENOMEM, "out of memory");
        out->scratch = p, out->scratch_cap = n;
    }
    if (n) /* an empty first line has no buffers yet */
        memcpy(out->scratch, out->buf, n);
    int words = out->n;
    out->len = 0, out->n = 0;
    const char *w = out->scratch;
    for (int i = 0; i < words; i++, w += strlen(w) + 1) {
        int joined = tokenizer_is_joined(w), rc;
        if (tokenizer_is_literal(w)) {
            rc = push_token(out, "", w, strlen(w));
        } else {
            const char *text = w + (joined ? 3 : 0);
            rc = push_pieces(tk, out, text, joined, p, rng, err);
        }
        if (rc)
            return rc;
    }
    return out->n;
}

int tokenizer_encode(const Tokenizer *tk, TokBuf *out, const char *line, size_t len,
                     S2sErr *err)
{
    if (tk->kind == TOKENIZER_NONE) {
        long bad = utf8_invalid_offset(line, len);
        const char *nul = memchr(line, '\0', len);
        if (bad >= 0)
            return s2s_fail(err, S2S_EFORMAT, "invalid UTF-8 at byte %ld", bad);
        if (nul)
            return s2s_fail(err, S2S_EFORMAT, "NUL byte at byte %ld", (long)(nul - line));
        return encode_none(out, line, len) < 0 ? s2s_fail(err, S2S_ENOMEM, "out of memory") : out->n;
    }
    int n = tokenizer_encode_words(out, line, len, err);
    if (n < 0 || tk->kind == TOKENIZER_WORD)
        return n;
    return apply_bpe(tk, out, 0.0f, NULL, err);
}

int tokenizer_apply_bpe(const Tokenizer *tk, TokBuf *out, float p, Rng *rng, S2sErr *err)
{
    S2S_INVARIANT(tk->kind == TOKENIZER_BPE);
    return apply_bpe(tk, out, p, rng, err);
}

int tokbuf_append(TokBuf *b, const char *tok)
{
    return push_token(b, "", tok, strlen(tok)) ? S2S_ENOMEM : 0;
}

int tokenizer_encode_tokens(const Tokenizer *tk, TokBuf *out, const char *line, size_t len,
                            S2sErr *err)
{
    long bad = utf8_invalid_offset(line, len);
    if (bad >= 0)
        return s2s_fail(err, S2S_EFORMAT, "invalid UTF-8 at byte %ld", bad);
    if (encode_none(out, line, len) < 0)
        return s2s_fail(err, S2S_ENOMEM, "out of memory");
    return tk->kind == TOKENIZER_BPE ? apply_bpe(tk, out, 0.0f, NULL, err) : out->n;
}

/* ---- decoding ---- */

static int append(char **out, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t c = *cap ? *cap : 256;
        while (c < *len + n + 1)
            c *= 2;
        char *q = realloc(*out, c);
        if (!q)
            return -1;
        *out = q, *cap = c;
    }
    memcpy(*out + *len, s, n);
    *len += n;
    (*out)[*len] = '\0';
    return 0;
}

/* Parses the next code point of a literal's hex list at *p; 0 at the end,
 * -1 when malformed. */
static int next_hex(const char **p, uint32_t *cp)
{
    char *end;
    if (!**p)
        return 0;
    if (!((**p >= '0' && **p <= '9') || (**p >= 'a' && **p <= 'f')))
        return -1;
    unsigned long v = strtoul(*p, &end, 16);
    if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) || (*end && *end != ',') ||
        (*end == ',' && !end[1]))
        return -1;
    *cp = (uint32_t)v;
    *p = *end ? end + 1 : end;
    return 1;
}

/* The text of a literal token; a malformed one (a model can emit anything)
 * stands for itself. */
static int append_literal(char **out, size_t *len, size_t *cap, const char *t)
{
    uint32_t cps[64];
    const char *p = t + 3;
    int r, n = 0;
    while ((r = next_hex(&p, &cps[0])) == 1)
        n++;
    if (r < 0 || n == 0)
        return append(out, len, cap, t, strlen(t));
    p = t + 3;
    for (size_t k = 0; next_hex(&p, &cps[k]) == 1;)
        if (++k == 64 || !*p) {
            if (text_to_utf8(out, len, cap, cps, k))
                return -1;
            k = 0;
        }
    return 0;
}

int tokenizer_decode(const Tokenizer *tk, const char *const *toks, int n, char **out,
                     size_t *len, size_t *cap)
{
    int glue = 1, rc = 0;
    if (append(out, len, cap, "", 0)) /* NUL-terminated even when n == 0 */
        return -1;
    for (int i = 0; i < n && !rc; i++) {
        const char *t = toks[i];
        if (tk->kind == TOKENIZER_NONE) {
            rc = (i && append(out, len, cap, " ", 1)) || append(out, len, cap, t, strlen(t));
        } else if (tokenizer_is_literal(t)) {
            rc = append_literal(out, len, cap, t);
            glue = 1;
        } else {
            int joined = tokenizer_is_joined(t);
            rc = (!glue && !joined && append(out, len, cap, " ", 1)) ||
                 append(out, len, cap, t + (joined ? 3 : 0), strlen(t) - (joined ? 3 : 0));
            glue = 0;
        }
    }
    return rc ? -1 : 0;
}
