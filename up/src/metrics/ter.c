/* ter.c: TER as sacreBLEU 2.6.0 computes it (ter.h). */
#include "s2s/metrics/ter.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "s2s/base/common.h"

enum { MAX_SHIFT_SIZE = 10, MAX_SHIFT_DIST = 50, BEAM_WIDTH = 25, MAX_CANDIDATES = 1000 };
#define TER_INF ((int64_t)10000000000000000LL) /* sacreBLEU's int(1e16) */

void ter_scratch_free(TerScratch *s)
{
    u32buf_free(&s->cp);
    u32buf_free(&s->low);
    u32buf_free(&s->tmp);
    u32buf_free(&s->store);
    u32buf_free(&s->tok);
    free(s->words);
    free(s->seen);
    free(s->wpos);
    free(s->wlen);
    free(s->cost);
    free(s->op);
    free(s->lo);
    free(s->hi);
    free(s->off);
    free(s->roll);
    free(s->cur);
    free(s->cand);
    free(s->best);
    free(s->align);
    free(s->herr);
    free(s->rerr);
    free(s->trace);
    memset(s, 0, sizeof *s);
}

/* ---- the tokenizer (sacreBLEU's TercomTokenizer) ---- */

/* Python's re.sub(r"([{-~[-` -&(-+:-@/])", r" \1 ") class. */
static int western_punct(uint32_t c)
{
    return (c >= 0x7B && c <= 0x7E) || (c >= 0x5B && c <= 0x60) || (c >= 0x20 && c <= 0x26) ||
           (c >= 0x28 && c <= 0x2B) || (c >= 0x3A && c <= 0x40) || c == '/';
}

static int cjk_char(uint32_t c)
{
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF);
}
static int cjk_strokes(uint32_t c) { return (c >= 0x31C0 && c <= 0x31EF) || (c >= 0x2E80 && c <= 0x2EFF); }
static int cjk_compat(uint32_t c)
{
    return (c >= 0x3300 && c <= 0x33FF) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFE30 && c <= 0xFE4F);
}
static int cjk_enclosed(uint32_t c) { return c >= 0x3200 && c <= 0x3F22; }
static int asian_punct(uint32_t c)
{
    return c == 0x3001 || c == 0x3002 || (c >= 0x3008 && c <= 0x3011) || (c >= 0x3014 && c <= 0x301F) ||
           (c >= 0xFF61 && c <= 0xFF65) || c == 0x30FB;
}
static int full_width_punct(uint32_t c)
{
    return c == 0xFF0E || c == 0xFF0C || c == 0xFF1F || c == 0xFF1A || c == 0xFF1B || c == 0xFF01 ||
           c == 0xFF02 || c == 0xFF08 || c == 0xFF09;
}
static int plain_punct(uint32_t c) { return c > 0 && c < 128 && strchr(".,?:;!\"()", (int)c) != NULL; }
static int is_digit(uint32_t c) { return c >= '0' && c <= '9'; }
static int dot_comma(uint32_t c) { return c == '.' || c == ','; }

/* One rewriting pass: in -> out, then swapped back into in. */
typedef int (*Pass)(U32Buf *out, const uint32_t *s, size_t n, const void *arg);

static int run_pass(TerScratch *t, U32Buf *b, Pass f, const void *arg)
{
    t->tmp.len = 0;
    if (f(&t->tmp, b->cp, b->len, arg))
        return -1;
    U32Buf x = *b;
    *b = t->tmp, t->tmp = x;
    return 0;
}

static int push(U32Buf *b, uint32_t c) { return u32buf_push(b, c); }

/* re.sub(r"(CLASS)", r" \1 "): each character of the class padded with spaces. */
static int pad_class(U32Buf *out, const uint32_t *s, size_t n, const void *arg)
{
    int (*in)(uint32_t) = *(int (*const *)(uint32_t))arg;
    for (size_t i = 0; i < n; i++)
        if (in(s[i]) ? push(out, ' ') || push(out, s[i]) || push(out, ' ') : push(out, s[i]))
            return -1;
    return 0;
}

/* re.sub(r"[CLASS]", ""): the class's characters dropped. */
static int drop_class(U32Buf *out, const uint32_t *s, size_t n, const void *arg)
{
    int (*in)(uint32_t) = *(int (*const *)(uint32_t))arg;
    for (size_t i = 0; i < n; i++)
        if (!in(s[i]) && push(out, s[i]))
            return -1;
    return 0;
}

/* Literal replacement, left to right, non-overlapping: pat (ASCII) -> rep (ASCII). */
typedef struct {
    const char *pat, *rep;
} Lit;

static int replace_lit(U32Buf *out, const uint32_t *s, size_t n, const void *arg)
{
    const Lit *l = arg;
    size_t m = strlen(l->pat);
    for (size_t i = 0; i < n;) {
        size_t k = 0;
        while (k < m && i + k < n && s[i + k] == (uint32_t)(unsigned char)l->pat[k])
            k++;
        if (k == m) {
            for (const char *r = l->rep; *r; r++)
                if (push(out, (uint32_t)(unsigned char)*r))
                    return -1;
            i += m;
        } else if (push(out, s[i++])) {
            return -1;
        }
    }
    return 0;
}

/* The three two-character rules of tercom's western normalisation:
 * ([^0-9])([.,]) -> "\1 \2 ", ([.,])([^0-9]) -> " \1 \2", ([0-9])(-) -> "\1 \2 ". */
static int pair_rule(U32Buf *out, const uint32_t *s, size_t n, const void *arg)
{
    int rule = *(const int *)arg;
    for (size_t i = 0; i < n;) {
        uint32_t a = s[i], b = i + 1 < n ? s[i + 1] : 0;
        int hit = i + 1 < n && (rule == 0   ? !is_digit(a) && dot_comma(b)
                                : rule == 1 ? dot_comma(a) && !is_digit(b)
                                            : is_digit(a) && b == '-');
        int rc = 0;
        if (!hit)
            rc = push(out, s[i++]);
        else if (rule == 1)
            rc = push(out, ' ') || push(out, a) || push(out, ' ') || push(out, b), i += 2;
        else
            rc = push(out, a) || push(out, ' ') || push(out, b) || push(out, ' '), i += 2;
        if (rc)
            return -1;
    }
    return 0;
}

static int pad_ends(U32Buf *out, const uint32_t *s, size_t n, const void *arg)
{
    (void)arg;
    if (push(out, ' '))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (push(out, s[i]))
            return -1;
    return push(out, ' ');
}

static int normalize_western(TerScratch *t, U32Buf *b)
{
    static const Lit nl_dash = {"\n-", ""}, nl = {"\n", " "}, quot = {"&quot;", "\""},
                     amp = {"&amp;", "&"}, lt = {"&lt;", "<"}, gt = {"&gt;", ">"},
                     poss = {"'s ", " 's "};
    static int (*const west)(uint32_t) = western_punct;
    static const int r0 = 0, r1 = 1, r2 = 2;
    /* ('s$ cannot match: the string ends in the padding's space) */
    return run_pass(t, b, replace_lit, &nl_dash) || run_pass(t, b, replace_lit, &nl) ||
           run_pass(t, b, replace_lit, &quot) || run_pass(t, b, replace_lit, &amp) ||
           run_pass(t, b, replace_lit, &lt) || run_pass(t, b, replace_lit, &gt) ||
           run_pass(t, b, pad_ends, NULL) || run_pass(t, b, pad_class, &west) ||
           run_pass(t, b, replace_lit, &poss) || run_pass(t, b, pair_rule, &r0) ||
           run_pass(t, b, pair_rule, &r1) || run_pass(t, b, pair_rule, &r2);
}

/* tercom's Asian rules. The Hiragana/Katakana ones of sacreBLEU are
 * anchored at the start of the string, which after the western padding is
 * a space: they never match, and are left out. */
static int normalize_asian(TerScratch *t, U32Buf *b)
{
    static int (*const cls[])(uint32_t) = {cjk_char, cjk_strokes, cjk_compat, cjk_enclosed,
                                           asian_punct, full_width_punct};
    for (size_t k = 0; k < sizeof cls / sizeof *cls; k++)
        if (run_pass(t, b, pad_class, &cls[k]))
            return -1;
    return 0;
}

static int remove_punct(TerScratch *t, U32Buf *b, int asian)
{
    static int (*const plain)(uint32_t) = plain_punct, (*const ap)(uint32_t) = asian_punct,
                      (*const fw)(uint32_t) = full_width_punct;
    return run_pass(t, b, drop_class, &plain) ||
           (asian && (run_pass(t, b, drop_class, &ap) || run_pass(t, b, drop_class, &fw)));
}

/* Words separated by single spaces (Python's ' '.join(s.split())). */
static int join_words(U32Buf *out, const uint32_t *s, size_t n, const void *arg)
{
    (void)arg;
    size_t i = 0;
    while (i < n) {
        while (i < n && text_is_space(s[i]))
            i++;
        if (i < n && out->len && push(out, ' '))
            return -1;
        while (i < n && !text_is_space(s[i]))
            if (push(out, s[i++]))
                return -1;
    }
    return 0;
}

int ter_tokenize(TerScratch *t, const TerOptions *o, const char *text, size_t n, U32Buf *out)
{
    if (text_from_utf8(&t->cp, text, n))
        return S2S_ENOMEM;
    U32Buf *b = &t->cp;
    if (!o->case_sensitive) {
        if (text_lower(&t->low, t->cp.cp, t->cp.len))
            return S2S_ENOMEM;
        b = &t->low;
    }
    int rc = 0;
    if (o->normalized)
        rc = normalize_western(t, b) || (o->asian && normalize_asian(t, b));
    if (!rc && o->no_punct)
        rc = remove_punct(t, b, o->asian);
    out->len = 0;
    if (!rc)
        rc = join_words(out, b->cp, b->len, NULL);
    return rc ? S2S_ENOMEM : 0;
}

/* ---- the banded edit distance (sacreBLEU's BeamEditDistance) ---- */

/* The band of rows 1..nh: [lo, hi) of row i around floor(i * ratio); the last row is full. */
static void band(int i, int nh, int nr, int32_t *lo, int32_t *hi)
{
    double ratio = nh ? (double)nr / (double)nh : 1.0;
    int bw = BEAM_WIDTH < ratio / 2 ? (int)ceil(ratio / 2 + BEAM_WIDTH) : BEAM_WIDTH;
    long pd = (long)floor((double)i * ratio);
    *lo = (int32_t)(pd - bw > 0 ? pd - bw : 0);
    *hi = (int32_t)(pd + bw < nr + 1 ? pd + bw : nr + 1);
    if (i == nh)
        *hi = nr + 1;
}

/* Cell j of a row stored as [lo, hi) at c: INF outside the band. */
static int64_t at(const int64_t *c, int32_t lo, int32_t hi, int j)
{
    return j >= lo && j < hi ? c[j - lo] : TER_INF;
}

/* Row i of the matrix from row i - 1 (prev over [plo, phi)): costs into
 * cur over [lo, hi) and, when ops != NULL, the operations. */
static void dp_row(const int64_t *prev, int32_t plo, int32_t phi, int64_t *cur, char *ops,
                   int32_t lo, int32_t hi, int32_t hw, const int32_t *ref)
{
    for (int j = lo; j < hi; j++) {
        int64_t c;
        char o;
        if (j == 0) {
            c = at(prev, plo, phi, 0) + 1, o = 'd';
        } else {
            int same = hw == ref[j - 1];
            int64_t sub = at(prev, plo, phi, j - 1) + (same ? 0 : 1);
            int64_t del = at(prev, plo, phi, j) + 1;
            int64_t ins = (j - 1 >= lo ? cur[j - 1 - lo] : TER_INF) + 1;
            /* tercom's preference (sub/match, then deletion, then insertion, as
             * sacreBLEU orders them for its flipped trace): the first minimum */
            c = TER_INF, o = 'x';
            if (c > sub)
                c = sub, o = same ? ' ' : 's';
            if (c > del)
                c = del, o = 'd';
            if (c > ins)
                c = ins, o = 'i';
        }
        cur[j - lo] = c;
        if (ops)
            ops[j - lo] = o;
    }
}

/* The whole band for hyp (s->cost, s->op, s->lo/hi/off): the distance. */
static int64_t dp_full(TerScratch *s, const int32_t *hyp, int nh, const int32_t *ref, int nr)
{
    size_t at0 = 0;
    for (int i = 0; i <= nh; i++) {
        if (i == 0)
            s->lo[0] = 0, s->hi[0] = nr + 1;
        else
            band(i, nh, nr, &s->lo[i], &s->hi[i]);
        s->off[i] = at0;
        at0 += (size_t)(s->hi[i] - s->lo[i]);
    }
    for (int j = 0; j <= nr; j++)
        s->cost[j] = j, s->op[j] = 'i';
    for (int i = 1; i <= nh; i++)
        dp_row(s->cost + s->off[i - 1], s->lo[i - 1], s->hi[i - 1], s->cost + s->off[i],
               s->op + s->off[i], s->lo[i], s->hi[i], hyp[i - 1], ref);
    return s->cost[s->off[nh] + (size_t)(nr - s->lo[nh])];
}

/* The distance of hyp, whose first p words are those dp_full last saw:
 * its rows up to p are reused, the rest rolled through two rows. */
static int64_t dp_suffix(TerScratch *s, const int32_t *hyp, int nh, const int32_t *ref, int nr, int p)
{
    const int64_t *prev = s->cost + s->off[p];
    int32_t plo = s->lo[p], phi = s->hi[p];
    int64_t *rows[2] = {s->roll, s->roll + nr + 1};
    for (int i = p + 1; i <= nh; i++) {
        int64_t *cur = rows[i & 1];
        int32_t lo, hi;
        band(i, nh, nr, &lo, &hi);
        dp_row(prev, plo, phi, cur, NULL, lo, hi, hyp[i - 1], ref);
        prev = cur, plo = lo, phi = hi;
    }
    return at(prev, plo, phi, nr);
}

/* sacreBLEU's trace_to_alignment of the flipped trace of the last dp_full:
 * align[r] = the hypothesis word reference word r aligns to (-1: before
 * the first), herr/rerr = whether each hypothesis/reference word is in error. */
static void alignment(TerScratch *s, int nh, int nr)
{
    int n = 0, i = nh, j = nr;
    while (i > 0 || j > 0) {
        S2S_INVARIANT(j >= s->lo[i] && j < s->hi[i]); /* the path stays on finite cells */
        char o = s->op[s->off[i] + (size_t)(j - s->lo[i])];
        S2S_INVARIANT(o != 'x');
        s->trace[n++] = o;
        if (o == ' ' || o == 's')
            i--, j--;
        else if (o == 'i')
            j--;
        else
            i--;
    }
    int ph = -1, pr = -1;
    for (int k = n - 1; k >= 0; k--) { /* forwards; insertions and deletions swapped */
        char o = s->trace[k];
        if (o == ' ' || o == 's') {
            ph++, pr++;
            s->align[pr] = ph, s->herr[ph] = o == 's', s->rerr[pr] = o == 's';
        } else if (o == 'd') { /* flipped: an insertion into the hypothesis */
            s->herr[++ph] = 1;
        } else {
            pr++;
            s->align[pr] = ph, s->rerr[pr] = 1;
        }
    }
}

/* ---- shifts ---- */

static void copy_words(int32_t *out, int *k, const int32_t *w, int from, int to)
{
    for (int i = from; i < to; i++)
        out[(*k)++] = w[i];
}

/* sacreBLEU's _perform_shift: words[start, start + len) moved to target
 * (Python slices: past-the-end bounds clamp). */
static void perform_shift(const int32_t *w, int n, int start, int len, int target, int32_t *out)
{
    int k = 0;
    if (target < start) {
        copy_words(out, &k, w, 0, target);
        copy_words(out, &k, w, start, start + len);
        copy_words(out, &k, w, target, start);
        copy_words(out, &k, w, start + len, n);
    } else if (target > start + len) {
        copy_words(out, &k, w, 0, start);
        copy_words(out, &k, w, start + len, target);
        copy_words(out, &k, w, start, start + len);
        copy_words(out, &k, w, target, n);
    } else {
        int m = len + target < n ? len + target : n;
        copy_words(out, &k, w, 0, start);
        copy_words(out, &k, w, start + len, m);
        copy_words(out, &k, w, start, start + len);
        copy_words(out, &k, w, m, n);
    }
}

typedef struct {
    long delta;
    int len, start, target, found;
} Shift;

/* Whether candidate (delta, len, start, target) ranks above b: more edits
 * saved, then longer, then earlier start, then earlier target. */
static int better(const Shift *b, long delta, int len, int start, int target)
{
    if (!b->found || delta != b->delta)
        return !b->found || delta > b->delta;
    if (len != b->len)
        return len > b->len;
    if (start != b->start)
        return start < b->start;
    return target < b->target;
}

static int any(const int32_t *x, int from, int n)
{
    for (int i = from; i < from + n; i++)
        if (x[i])
            return 1;
    return 0;
}

/* The shifts of block (sh, sr, len) to where reference words sr - 1 ..
 * sr + len - 1 align, each scored; best keeps the best (s->best its words). */
static void try_targets(TerScratch *s, int nh, const int32_t *ref, int nr, long pre, int sh,
                        int sr, int len, Shift *best, int *checked)
{
    int prev_idx = -1;
    for (int off = -1; off < len; off++) {
        int r = sr + off, idx;
        if (r == -1)
            idx = 0;
        else if (r < nr)
            idx = s->align[r] + 1;
        else
            break;
        if (idx == prev_idx)
            continue;
        prev_idx = idx;
        perform_shift(s->cur, nh, sh, len, idx, s->cand);
        long delta = pre - (long)dp_suffix(s, s->cand, nh, ref, nr, sh < idx ? sh : idx);
        ++*checked;
        if (better(best, delta, len, sh, idx)) {
            *best = (Shift){delta, len, sh, idx, 1};
            memcpy(s->best, s->cand, sizeof(int32_t) * (size_t)nh);
        }
    }
}

/* sacreBLEU's _shift: the best shift of s->cur (delta 0 when none). */
static Shift best_shift(TerScratch *s, int nh, const int32_t *ref, int nr, int *checked)
{
    long pre = (long)dp_full(s, s->cur, nh, ref, nr);
    alignment(s, nh, nr);
    Shift best = {0, 0, 0, 0, 0};
    for (int sh = 0; sh < nh; sh++)
        for (int sr = 0; sr < nr; sr++) {
            if (abs(sr - sh) > MAX_SHIFT_DIST)
                continue;
            for (int len = 0; s->cur[sh + len] == ref[sr + len] && len < MAX_SHIFT_SIZE;) {
                len++;
                if (any(s->herr, sh, len) && any(s->rerr, sr, len) &&
                    !(sh <= s->align[sr] && s->align[sr] < sh + len)) {
                    try_targets(s, nh, ref, nr, pre, sh, sr, len, &best, checked);
                    if (*checked >= MAX_CANDIDATES)
                        return best;
                }
                if (sh + len == nh || sr + len == nr)
                    break;
            }
        }
    return best;
}

static int regrow(void *p, size_t n, size_t e)
{
    void *q = realloc(*(void **)p, n * e);
    if (!q)
        return -1;
    *(void **)p = q;
    return 0;
}

/* Room for the band of an nh x nr matrix and the word sequences. */
static int reserve(TerScratch *s, int nh, int nr)
{
    size_t cells = (size_t)(nr + 1), rows = (size_t)nh + 1, width = 2 * (size_t)(nr + 1);
    size_t seq = (size_t)(nh > nr ? nh : nr) + 1;
    for (int i = 1; i <= nh; i++) {
        int32_t lo, hi;
        band(i, nh, nr, &lo, &hi);
        cells += (size_t)(hi - lo);
    }
    if (cells > s->band_cap) {
        size_t c = cells > 2 * s->band_cap ? cells : 2 * s->band_cap;
        if (regrow(&s->cost, c, sizeof(int64_t)) || regrow(&s->op, c, 1))
            return -1;
        s->band_cap = c;
    }
    if (rows > s->rows_cap) {
        size_t c = rows > 2 * s->rows_cap ? rows : 2 * s->rows_cap;
        if (regrow(&s->lo, c, sizeof(int32_t)) || regrow(&s->hi, c, sizeof(int32_t)) ||
            regrow(&s->off, c, sizeof(size_t)))
            return -1;
        s->rows_cap = c;
    }
    if (width > s->roll_cap) {
        if (regrow(&s->roll, width, sizeof(int64_t)))
            return -1;
        s->roll_cap = width;
    }
    if (seq > s->seq_cap) {
        size_t c = seq > 2 * s->seq_cap ? seq : 2 * s->seq_cap;
        int32_t **a[] = {&s->cur, &s->cand, &s->best, &s->align, &s->herr, &s->rerr};
        for (size_t k = 0; k < sizeof a / sizeof *a; k++)
            if (regrow(a[k], c, sizeof(int32_t)))
                return -1;
        if (regrow(&s->trace, 2 * c, 1))
            return -1;
        s->seq_cap = c;
    }
    return 0;
}

long ter_edits(TerScratch *s, const int32_t *hyp, int nh, const int32_t *ref, int nr)
{
    if (nr == 0) /* sacreBLEU: every hypothesis word an edit, length 0 */
        return nh;
    if (reserve(s, nh, nr))
        return -1;
    memcpy(s->cur, hyp, sizeof(int32_t) * (size_t)nh);
    long shifts = 0;
    int checked = 0;
    for (;;) {
        Shift b = best_shift(s, nh, ref, nr, &checked);
        if (checked >= MAX_CANDIDATES || b.delta <= 0)
            break;
        shifts++;
        memcpy(s->cur, s->best, sizeof(int32_t) * (size_t)nh);
    }
    /* the last best_shift's dp_full was on s->cur as it is now */
    return shifts + (long)s->cost[s->off[nh] + (size_t)(nr - s->lo[nh])];
}

/* ---- segments ---- */

static uint32_t word_hash(const uint32_t *w, int n)
{
    uint32_t h = 2166136261u;
    for (int i = 0; i < n; i++)
        h = (h ^ w[i]) * 16777619u;
    return h;
}

/* Appends the words of s->tok to the segment's store: their ids (equal
 * words, equal ids) go to s->words from index at; returns the new count. */
static long add_words(TerScratch *s, long at)
{
    const uint32_t *t = s->tok.cp;
    size_t n = s->tok.len;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && t[j] != ' ')
            j++;
        int32_t *words = s2s_grow(s->words, &s->words_cap, (size_t)at + 1, sizeof *words);
        if (!words)
            return -1;
        s->words = words;
        size_t c = s->wcap;
        size_t *wpos = s2s_grow(s->wpos, &c, (size_t)at + 1, sizeof *wpos);
        if (wpos)
            s->wpos = wpos;
        int32_t *wlen = wpos ? s2s_grow(s->wlen, &s->wcap, (size_t)at + 1, sizeof *wlen) : NULL;
        if (!wlen)
            return -1;
        s->wlen = wlen;
        s->wpos[at] = s->store.len, s->wlen[at] = (int32_t)(j - i);
        for (size_t k = i; k < j; k++)
            if (u32buf_push(&s->store, t[k]))
                return -1;
        s->words[at] = (int32_t)at; /* its id once interned */
        at++;
        i = j + 1;
    }
    return at;
}

/* Equal words get the id of the first of them (a hash table over them all). */
static int intern(TerScratch *s, long n)
{
    size_t cap = 16;
    while (cap < 2 * (size_t)n)
        cap *= 2;
    if (cap > s->seen_cap) {
        if (regrow(&s->seen, cap, sizeof(int32_t)))
            return -1;
        s->seen_cap = cap;
    }
    for (size_t k = 0; k < cap; k++)
        s->seen[k] = -1;
    for (long w = 0; w < n; w++) {
        const uint32_t *p = s->store.cp + s->wpos[w];
        size_t h = word_hash(p, s->wlen[w]) & (cap - 1);
        for (;; h = (h + 1) & (cap - 1)) {
            int32_t e = s->seen[h];
            if (e < 0) {
                s->seen[h] = (int32_t)w;
                break;
            }
            if (s->wlen[e] == s->wlen[w] &&
                memcmp(s->store.cp + s->wpos[e], p, sizeof(uint32_t) * (size_t)s->wlen[w]) == 0) {
                s->words[w] = e;
                break;
            }
        }
    }
    return 0;
}

int ter_segment(TerScratch *s, const TerOptions *o, const char *hyp, size_t hn,
                const char *const *refs, const size_t *rn, int nr, TerStats *out)
{
    S2S_INVARIANT(nr >= 1 && nr <= 64);
    long n = 0;
    s->store.len = 0;
    for (int k = 0; k <= nr; k++) {
        s->side[k] = (int32_t)n;
        if (ter_tokenize(s, o, k ? refs[k - 1] : hyp, k ? rn[k - 1] : hn, &s->tok) ||
            (n = add_words(s, n)) < 0)
            return S2S_ENOMEM;
    }
    s->side[nr + 1] = (int32_t)n;
    if (intern(s, n))
        return S2S_ENOMEM;
    long best = -1, ref_words = 0;
    int nh = s->side[1] - s->side[0];
    for (int k = 1; k <= nr; k++) {
        int len = s->side[k + 1] - s->side[k];
        long e = ter_edits(s, s->words, nh, s->words + s->side[k], len);
        if (e < 0)
            return S2S_ENOMEM;
        ref_words += len;
        if (best < 0 || e < best)
            best = e;
    }
    out->edits = (double)best;
    out->ref_len = (double)ref_words / (double)nr;
    return 0;
}

double ter_score(const TerStats *st) { return ter_score_ex(st, 0); }

double ter_score_ex(const TerStats *st, int f32)
{
    double score = st->ref_len > 0 ? (f32 ? (double)((float)st->edits / (float)st->ref_len)
                                          : st->edits / st->ref_len)
                   : st->edits > 0 ? 1.0 : 0.0;
    return 100 * score;
}
