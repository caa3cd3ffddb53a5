#include "s2s/metrics/chrf.h"

#include <stdlib.h>
#include <string.h>

void chrf_scratch_free(ChrfScratch *s)
{
    U32Buf *bufs[] = {&s->line, &s->low, &s->chars, &s->wtext, &s->wspan, &s->words};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        u32buf_free(bufs[i]);
    NgramTable *tabs[] = {&s->vocab, &s->hc, &s->hw, &s->rc, &s->rw};
    for (size_t i = 0; i < sizeof tabs / sizeof tabs[0]; i++)
        ngram_free(tabs[i]);
    memset(s, 0, sizeof *s);
}

/* string.punctuation */
static int ascii_punct(uint32_t c)
{
    return c < 128 && c > 32 && c != 127 && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                                            (c >= 'A' && c <= 'Z'));
}

static int add_word(ChrfScratch *s, const uint32_t *w, size_t n)
{
    if (u32buf_push(&s->wspan, (uint32_t)s->wtext.len) || u32buf_push(&s->wspan, (uint32_t)n) ||
        u32buf_reserve(&s->wtext, s->wtext.len + n))
        return -1;
    memcpy(s->wtext.cp + s->wtext.len, w, n * sizeof(uint32_t));
    s->wtext.len += n;
    return 0;
}

/* sacreBLEU's _remove_punctuation: whitespace split, then one trailing (or
 * else one leading) ASCII punctuation character of a longer word split off. */
static int split_words(ChrfScratch *s, const uint32_t *cp, size_t n)
{
    for (size_t i = 0; i < n;) {
        if (text_is_space(cp[i])) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && !text_is_space(cp[j]))
            j++;
        const uint32_t *w = cp + i;
        size_t len = j - i;
        int rc;
        if (len > 1 && ascii_punct(w[len - 1]))
            rc = add_word(s, w, len - 1) || add_word(s, w + len - 1, 1);
        else if (len > 1 && ascii_punct(w[0]))
            rc = add_word(s, w, 1) || add_word(s, w + 1, len - 1);
        else
            rc = add_word(s, w, len);
        if (rc)
            return -1;
        i = j;
    }
    return 0;
}

/* Adds one side: its characters to s->chars, its words to s->wtext. */
static int add_side(ChrfScratch *s, const ChrfOptions *o, const char *line, size_t n)
{
    if (text_from_utf8(&s->line, line, n))
        return -1;
    U32Buf *t = &s->line;
    if (o->lowercase) {
        if (text_lower(&s->low, s->line.cp, s->line.len))
            return -1;
        t = &s->low;
    }
    if (u32buf_reserve(&s->chars, s->chars.len + t->len + 1)) /* +1: never NULL */
        return -1;
    for (size_t i = 0; i < t->len; i++)
        if (o->whitespace || !text_is_space(t->cp[i]))
            s->chars.cp[s->chars.len++] = t->cp[i];
    return o->word_order > 0 ? split_words(s, t->cp, t->len) : 0;
}

static int intern_words(ChrfScratch *s)
{
    size_t nw = s->wspan.len / 2;
    s->words.len = 0;
    if (ngram_reset(&s->vocab, nw) || u32buf_reserve(&s->words, nw + 1))
        return -1;
    for (size_t i = 0; i < nw; i++) {
        const uint32_t *k = s->wtext.cp + s->wspan.cp[2 * i];
        int len = (int)s->wspan.cp[2 * i + 1];
        NgramEntry *e = ngram_get(&s->vocab, k, len, ngram_hash(k, len));
        if (e->count == 0)
            e->count = (long)s->vocab.nused;
        s->words.cp[s->words.len++] = (uint32_t)e->count;
    }
    return 0;
}

static long ngrams_of(size_t len, int n) { return len >= (size_t)n ? (long)(len - n + 1) : 0; }

/* Statistics of the hypothesis (tables s->hc, s->hw) against one reference
 * (s->rc, s->rw), orders [base, base + orders). */
static void match_stats(const NgramTable *h, const NgramTable *r, size_t hlen, size_t rlen,
                        int base, int orders, ChrfStats *st)
{
    for (int n = 1; n <= orders; n++) {
        long rn = ngrams_of(rlen, n);
        st->ref[base + n - 1] = rn;
        st->hyp[base + n - 1] = rn > 0 ? ngrams_of(hlen, n) : 0;
        st->match[base + n - 1] = 0;
    }
    for (size_t i = 0; i < h->nused; i++) {
        const NgramEntry *e = &h->slots[h->used[i]];
        const NgramEntry *m = ngram_find(r, e->key, e->n, e->hash);
        if (m)
            st->match[base + e->n - 1] += e->count < m->count ? e->count : m->count;
    }
}

static int count_into(NgramTable *t, const uint32_t *seq, size_t len, int orders)
{
    if (ngram_reset(t, ngram_bound(len, 1, orders)))
        return -1;
    ngram_count(t, seq, len, 1, orders);
    return 0;
}

int chrf_segment(ChrfScratch *s, const ChrfOptions *o, const char *hyp, size_t hyp_len,
                 const char *const *refs, const size_t *ref_lens, int nrefs, ChrfStats *st)
{
    size_t cs[66], ws[66]; /* start of each side's characters / words; sides 0 = hyp */
    int C = o->char_order, W = o->word_order;
    double best = -1.0;
    if (nrefs > 64 || C + W > CHRF_MAX_ORDER)
        return -1;
    s->chars.len = s->wtext.len = s->wspan.len = 0;
    for (int k = 0; k <= nrefs; k++) {
        cs[k] = s->chars.len, ws[k] = s->wspan.len / 2;
        if (add_side(s, o, k ? refs[k - 1] : hyp, k ? ref_lens[k - 1] : hyp_len))
            return -1;
    }
    cs[nrefs + 1] = s->chars.len, ws[nrefs + 1] = s->wspan.len / 2;
    if (intern_words(s) || count_into(&s->hc, s->chars.cp, cs[1], C) ||
        count_into(&s->hw, s->words.cp, ws[1], W))
        return -1;
    memset(st, 0, sizeof *st);
    for (int r = 1; r <= nrefs; r++) {
        ChrfStats cur;
        size_t rcl = cs[r + 1] - cs[r], rwl = ws[r + 1] - ws[r];
        if (count_into(&s->rc, s->chars.cp + cs[r], rcl, C) ||
            count_into(&s->rw, s->words.cp + ws[r], rwl, W))
            return -1;
        match_stats(&s->hc, &s->rc, cs[1], rcl, 0, C, &cur);
        match_stats(&s->hw, &s->rw, ws[1], rwl, C, W, &cur);
        double f = chrf_compute(&cur, o);
        if (f > best) {
            best = f;
            *st = cur;
        }
    }
    return 0;
}

void chrf_stats_add(ChrfStats *sum, const ChrfStats *x, int orders)
{
    for (int i = 0; i < orders; i++) {
        sum->hyp[i] += x->hyp[i];
        sum->ref[i] += x->ref[i];
        sum->match[i] += x->match[i];
    }
}

/* sacreBLEU's _compute_f_score, operation for operation. */
double chrf_compute(const ChrfStats *st, const ChrfOptions *o) { return chrf_compute_ex(st, o, 0); }

/* The ratio a / b, in single precision when f32 (NumPy float32 statistics). */
static double ratio(double a, double b, int f32) { return f32 ? (double)((float)a / (float)b) : a / b; }

double chrf_compute_ex(const ChrfStats *st, const ChrfOptions *o, int f32)
{
    const double eps = 1e-16;
    double factor = (double)o->beta * o->beta, score = 0, avg_p = 0, avg_r = 0;
    int order = o->char_order + o->word_order, eff = 0;
    for (int i = 0; i < order; i++) {
        double nh = (double)st->hyp[i], nr = (double)st->ref[i], nm = (double)st->match[i];
        double p = st->hyp[i] > 0 ? ratio(nm, nh, f32) : eps, r = st->ref[i] > 0 ? ratio(nm, nr, f32) : eps;
        double denom = factor * p + r;
        score += denom > 0 ? (1 + factor) * p * r / denom : eps;
        if (st->hyp[i] > 0 && st->ref[i] > 0) {
            avg_p += p;
            avg_r += r;
            eff++;
        }
    }
    if (o->eps_smoothing)
        return 100 * score / order;
    if (eff == 0)
        avg_p = avg_r = 0.0;
    else
        avg_p /= eff, avg_r /= eff;
    if (avg_p + avg_r == 0)
        return 0.0;
    score = (1 + factor) * avg_p * avg_r;
    score /= factor * avg_p + avg_r;
    return 100 * score;
}
