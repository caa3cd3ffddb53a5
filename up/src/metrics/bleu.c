#include "s2s/metrics/bleu.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- string rewriting on code points ---- */

/* Each rewrite reserves its worst case once, then writes without checks. */
#define PUT(o, c) ((o)->cp[(o)->len++] = (c))

/* out = in with every non-overlapping pat replaced by the shorter rep (ASCII). */
static int replace_all(U32Buf *out, const U32Buf *in, const char *pat, const char *rep)
{
    size_t m = strlen(pat);
    out->len = 0;
    if (u32buf_reserve(out, in->len + 1))
        return -1;
    for (size_t i = 0; i < in->len;) {
        size_t k = 0;
        while (k < m && i + k < in->len && in->cp[i + k] == (unsigned char)pat[k])
            k++;
        if (k == m) {
            for (const char *r = rep; *r; r++)
                PUT(out, (unsigned char)*r);
            i += m;
        } else {
            PUT(out, in->cp[i++]);
        }
    }
    return 0;
}

static int contains(const U32Buf *b, uint32_t c)
{
    for (size_t i = 0; i < b->len; i++)
        if (b->cp[i] == c)
            return 1;
    return 0;
}

/* Rewrites go from s->a to s->b, then swap: s->a holds the result. */
static void swap(BleuScratch *s)
{
    U32Buf t = s->a;
    s->a = s->b;
    s->b = t;
}

typedef int (*PairRule)(uint32_t x, uint32_t y);

/* A regex of two single-character groups (X)(Y) replaced by fmt ('1' = X,
 * '2' = Y, ' ' = space; at most 4 characters), applied like re.sub: left
 * to right, non-overlapping. */
static int pair_sub(BleuScratch *s, PairRule match, const char *fmt)
{
    U32Buf *in = &s->a, *out = &s->b;
    size_t i = 0;
    out->len = 0;
    if (u32buf_reserve(out, 2 * in->len + 1))
        return -1;
    for (; i + 1 < in->len; i++) {
        uint32_t x = in->cp[i], y = in->cp[i + 1];
        if (!match(x, y)) {
            PUT(out, x);
            continue;
        }
        for (const char *f = fmt; *f; f++)
            PUT(out, *f == '1' ? x : *f == '2' ? y : ' ');
        i++;
    }
    if (i < in->len)
        PUT(out, in->cp[i]);
    swap(s);
    return 0;
}

/* A regex of one character class (X) replaced by " X ". */
static int single_sub(BleuScratch *s, int (*match)(uint32_t c))
{
    U32Buf *in = &s->a, *out = &s->b;
    out->len = 0;
    if (u32buf_reserve(out, 3 * in->len + 1))
        return -1;
    for (size_t i = 0; i < in->len; i++) {
        uint32_t c = in->cp[i];
        if (match(c)) {
            PUT(out, ' ');
            PUT(out, c);
            PUT(out, ' ');
        } else {
            PUT(out, c);
        }
    }
    swap(s);
    return 0;
}

/* ---- the 13a tokenizer (mteval-v13a as sacreBLEU applies it) ---- */

static int is_digit(uint32_t c) { return c >= '0' && c <= '9'; }
static int is_dot_comma(uint32_t c) { return c == '.' || c == ','; }

/* [{-~[-` -&(-+:-@/] */
static int v13a_split_char(uint32_t c)
{
    return (c >= '{' && c <= '~') || (c >= '[' && c <= '`') || (c >= ' ' && c <= '&') ||
           (c >= '(' && c <= '+') || (c >= ':' && c <= '@') || c == '/';
}

static int nondigit_dotcomma(uint32_t x, uint32_t y) { return !is_digit(x) && is_dot_comma(y); }
static int dotcomma_nondigit(uint32_t x, uint32_t y) { return is_dot_comma(x) && !is_digit(y); }
static int digit_dash(uint32_t x, uint32_t y) { return is_digit(x) && y == '-'; }

static int tok_13a(BleuScratch *s)
{
    static const char *const unescape[][2] = {
        {"&quot;", "\""}, {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}};
    if (replace_all(&s->b, &s->a, "<skipped>", ""))
        return -1;
    swap(s);
    if (contains(&s->a, '&'))
        for (int k = 0; k < 4; k++) {
            if (replace_all(&s->b, &s->a, unescape[k][0], unescape[k][1]))
                return -1;
            swap(s);
        }
    s->b.len = 0; /* " line " */
    if (u32buf_reserve(&s->b, s->a.len + 2))
        return -1;
    PUT(&s->b, ' ');
    for (size_t i = 0; i < s->a.len; i++)
        PUT(&s->b, s->a.cp[i]);
    PUT(&s->b, ' ');
    swap(s);
    return single_sub(s, v13a_split_char) || pair_sub(s, nondigit_dotcomma, "1 2 ") ||
           pair_sub(s, dotcomma_nondigit, " 1 2") || pair_sub(s, digit_dash, "1 2 ");
}

/* ---- intl (mteval-v14 international) ---- */

static int nonnum_punct(uint32_t x, uint32_t y) { return !text_is_number(x) && text_is_punct(y); }
static int punct_nonnum(uint32_t x, uint32_t y) { return text_is_punct(x) && !text_is_number(y); }

static int tok_intl(BleuScratch *s)
{
    return pair_sub(s, nonnum_punct, "1 2 ") || pair_sub(s, punct_nonnum, " 1 2") ||
           single_sub(s, text_is_symbol);
}

/* ---- splitting ---- */

static int add_span(BleuScratch *s, size_t start, int len)
{
    if (s->nspans == s->spans_cap) {
        size_t cap = s->spans_cap ? 2 * s->spans_cap : 256;
        BleuSpan *p = realloc(s->spans, cap * sizeof *p);
        if (!p)
            return -1;
        s->spans = p, s->spans_cap = cap;
    }
    s->spans[s->nspans++] = (BleuSpan){start, len};
    return 0;
}

/* Splits s->a on whitespace (char: every code point is a token) into
 * s->text / s->spans; returns the number of tokens. */
static long split(BleuScratch *s, int every_char)
{
    long n = 0;
    for (size_t i = 0; i < s->a.len;) {
        if (text_is_space(s->a.cp[i])) {
            i++;
            continue;
        }
        size_t j = i + 1;
        while (!every_char && j < s->a.len && !text_is_space(s->a.cp[j]))
            j++;
        size_t start = s->text.len;
        if (u32buf_reserve(&s->text, s->text.len + (j - i)))
            return -1;
        memcpy(s->text.cp + start, s->a.cp + i, (j - i) * sizeof(uint32_t));
        s->text.len += j - i;
        if (add_span(s, start, (int)(j - i)))
            return -1;
        n++;
        i = j;
    }
    return n;
}

long bleu_tokenize(BleuScratch *s, BleuTok tok, int lowercase, const char *line, size_t n)
{
    if (text_from_utf8(&s->a, line, n))
        return -1;
    if (lowercase) {
        if (text_lower(&s->b, s->a.cp, s->a.len))
            return -1;
        swap(s);
    }
    s->a.len = text_rstrip(s->a.cp, s->a.len);
    int rc = tok == BLEU_TOK_13A ? tok_13a(s) : tok == BLEU_TOK_INTL ? tok_intl(s) : 0;
    return rc ? -1 : split(s, tok == BLEU_TOK_CHAR);
}

/* ---- statistics ---- */

void bleu_scratch_free(BleuScratch *s)
{
    u32buf_free(&s->a);
    u32buf_free(&s->b);
    u32buf_free(&s->text);
    u32buf_free(&s->ids);
    free(s->spans);
    ngram_free(&s->vocab);
    ngram_free(&s->ref);
    ngram_free(&s->tmp);
    ngram_free(&s->hyp);
    memset(s, 0, sizeof *s);
}

/* Gives every token of the segment an id (equal tokens, equal ids). */
static int intern(BleuScratch *s)
{
    s->ids.len = 0;
    if (ngram_reset(&s->vocab, s->nspans) || u32buf_reserve(&s->ids, s->nspans + 1))
        return -1;
    for (size_t i = 0; i < s->nspans; i++) {
        const uint32_t *k = s->text.cp + s->spans[i].start;
        int n = s->spans[i].len;
        NgramEntry *e = ngram_get(&s->vocab, k, n, ngram_hash(k, n));
        if (e->count == 0)
            e->count = (long)s->vocab.nused; /* ids from 1 */
        s->ids.cp[s->ids.len++] = (uint32_t)e->count;
    }
    return 0;
}

/* sacreBLEU's closest reference length: ties go to the shorter. */
static long closest_ref_len(long hyp_len, const long *lens, int nrefs)
{
    long best_diff = -1, best = -1;
    for (int r = 0; r < nrefs; r++) {
        long d = labs(hyp_len - lens[r]);
        if (best_diff == -1 || d < best_diff)
            best_diff = d, best = lens[r];
        else if (d == best_diff && lens[r] < best)
            best = lens[r];
    }
    return best;
}

/* s->ref: every n-gram of the references with its maximum count in any one. */
static int max_ref_counts(BleuScratch *s, const size_t *first, const long *lens, int nrefs)
{
    size_t all = 0;
    for (int r = 0; r < nrefs; r++)
        all += ngram_bound((size_t)lens[r], 1, BLEU_ORDER);
    if (ngram_reset(&s->ref, all))
        return -1;
    for (int r = 0; r < nrefs; r++) {
        if (ngram_reset(&s->tmp, ngram_bound((size_t)lens[r], 1, BLEU_ORDER)))
            return -1;
        ngram_count(&s->tmp, s->ids.cp + first[r], (size_t)lens[r], 1, BLEU_ORDER);
        for (size_t i = 0; i < s->tmp.nused; i++) {
            const NgramEntry *t = &s->tmp.slots[s->tmp.used[i]];
            NgramEntry *e = ngram_get(&s->ref, t->key, t->n, t->hash);
            if (t->count > e->count)
                e->count = t->count;
        }
    }
    return 0;
}

int bleu_segment(BleuScratch *s, const BleuOptions *o, const char *hyp, size_t hyp_len,
                 const char *const *refs, const size_t *ref_lens, int nrefs, BleuStats *st)
{
    long lens[64];
    size_t first[64];
    if (nrefs > 64)
        return -1;
    s->text.len = 0, s->nspans = 0;
    long hl = bleu_tokenize(s, o->tok, o->lowercase, hyp, hyp_len);
    for (int r = 0; r < nrefs && hl >= 0; r++) {
        first[r] = s->nspans;
        if ((lens[r] = bleu_tokenize(s, o->tok, o->lowercase, refs[r], ref_lens[r])) < 0)
            return -1;
    }
    if (hl < 0 || intern(s) || max_ref_counts(s, first, lens, nrefs) ||
        ngram_reset(&s->hyp, ngram_bound((size_t)hl, 1, BLEU_ORDER)))
        return -1;
    memset(st, 0, sizeof *st);
    st->sys_len = hl;
    st->ref_len = closest_ref_len(hl, lens, nrefs);
    ngram_count(&s->hyp, s->ids.cp, (size_t)hl, 1, BLEU_ORDER);
    for (size_t i = 0; i < s->hyp.nused; i++) {
        const NgramEntry *h = &s->hyp.slots[s->hyp.used[i]];
        const NgramEntry *r = ngram_find(&s->ref, h->key, h->n, h->hash);
        st->total[h->n - 1] += h->count;
        if (r)
            st->correct[h->n - 1] += h->count < r->count ? h->count : r->count;
    }
    return 0;
}

void bleu_stats_add(BleuStats *sum, const BleuStats *x)
{
    sum->sys_len += x->sys_len;
    sum->ref_len += x->ref_len;
    for (int n = 0; n < BLEU_ORDER; n++) {
        sum->correct[n] += x->correct[n];
        sum->total[n] += x->total[n];
    }
}

/* ---- the score ---- */

double bleu_smooth_value(const BleuOptions *o)
{
    if (o->smooth_value >= 0)
        return o->smooth_value;
    return o->smooth == BLEU_SMOOTH_FLOOR ? 0.1 : o->smooth == BLEU_SMOOTH_ADDK ? 1.0 : 0.0;
}

static double floored_log(double x) { return x == 0.0 ? -9999999999.0 : log(x); }

void bleu_compute(const BleuStats *st, const BleuOptions *o, BleuScore *out)
{
    double correct[BLEU_ORDER], total[BLEU_ORDER], k = bleu_smooth_value(o), mteval = 1.0;
    int any = 0, eff = BLEU_ORDER;
    memset(out, 0, sizeof *out);
    out->sys_len = st->sys_len, out->ref_len = st->ref_len;
    if (st->sys_len < st->ref_len)
        out->bp = st->sys_len > 0 ? exp(1.0 - (double)st->ref_len / (double)st->sys_len) : 0.0;
    else
        out->bp = 1.0;
    out->ratio = st->ref_len ? (double)st->sys_len / (double)st->ref_len : 0.0;
    for (int n = 0; n < BLEU_ORDER; n++) {
        correct[n] = (double)st->correct[n], total[n] = (double)st->total[n];
        any |= st->correct[n] != 0;
    }
    if (!any)
        return; /* score 0, precisions 0 */
    for (int n = 0; n < BLEU_ORDER; n++) {
        if (o->smooth == BLEU_SMOOTH_ADDK && n > 0)
            correct[n] += k, total[n] += k;
        if (total[n] == 0)
            break;
        if (o->effective_order)
            eff = n + 1;
        if (correct[n] == 0) {
            if (o->smooth == BLEU_SMOOTH_EXP) {
                mteval *= 2;
                out->prec[n] = 100.0 / (mteval * total[n]);
            } else if (o->smooth == BLEU_SMOOTH_FLOOR) {
                out->prec[n] = 100.0 * k / total[n];
            }
        } else {
            out->prec[n] = 100.0 * correct[n] / total[n];
        }
    }
    double sum = 0;
    for (int n = 0; n < eff; n++)
        sum += floored_log(out->prec[n]);
    out->score = out->bp * exp(sum / eff);
}

const char *bleu_tok_name(BleuTok t)
{
    static const char *const names[] = {"13a", "intl", "char", "none"};
    return names[t];
}

const char *bleu_smooth_name(BleuSmooth m)
{
    static const char *const names[] = {"exp", "floor", "add-k", "none"};
    return names[m];
}
