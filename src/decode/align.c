#include "s2s/decode/align.h"

#include <stdlib.h>
#include <string.h>

/* A token's text without its leading joiner. */
static const char *bare(const char *t)
{
    return tokenizer_is_joined(t) ? t + strlen(TOKENIZER_JOINER) : t;
}

int align_piece_words(const char *const *pieces, int np, const char *const *words, int nw,
                      int *out)
{
    size_t at = 0, end = 0; /* characters of the bare words: word k spans [.., end) */
    int k = -1;
    for (int u = 0; u < np; u++) {
        while (at >= end && k + 1 < nw)
            end += strlen(bare(words[++k]));
        if (k < 0 || at >= end)
            goto mismatch;
        out[u] = k;
        at += strlen(bare(pieces[u]));
        if (at > end)
            goto mismatch;
    }
    if (at != end || k != nw - 1)
        goto mismatch;
    return nw;
mismatch:
    for (int u = 0; u < np; u++)
        out[u] = u;
    return np;
}

int align_line_words(const Tokenizer *tk, const TokBuf *tb, int n, const char *line, size_t len,
                     TokBuf *words, int *out)
{
    if (tk->kind != TOKENIZER_BPE) {
        for (int u = 0; u < n; u++)
            out[u] = u;
        return n;
    }
    int nw = tokenizer_encode_words(words, line, len, NULL);
    const char **p = malloc(sizeof(char *) * (size_t)(n + nw + 1));
    if (nw < 0 || !p) {
        free(p);
        return -1;
    }
    for (int u = 0; u < n; u++)
        p[u] = tokbuf_token(tb, u);
    for (int k = 0; k < nw; k++)
        p[n + k] = tokbuf_token(words, k);
    int rc = align_piece_words(p, n, p + n, nw, out);
    free(p);
    return rc;
}

/* Weight of source word w in target piece u's row: its pieces summed. */
static void source_words(float *dst, const float *row, int nsrc, int reverse, const int *src_word,
                         int nsw)
{
    memset(dst, 0, sizeof(float) * (size_t)nsw);
    for (int p = 0; p < nsrc; p++) /* encoder position p reads source piece nsrc-1-p when reversed */
        dst[src_word[reverse ? nsrc - 1 - p : p]] += row[p];
}

int align_format(TextBuf *t, int soft, const float *att, int stride, int ntgt, int nsrc,
                 int reverse, const int *src_word, int nsw, const int *tgt_word, int ntw)
{
    float *w = calloc((size_t)(nsw + 1) * 2, sizeof(float)), *acc = w + nsw + 1;
    int rc = w ? 0 : -1;
    for (int j = 0, u = 0; !rc && j < ntw; j++) {
        int pieces = 0;
        memset(acc, 0, sizeof(float) * (size_t)(nsw + 1));
        for (; u < ntgt && tgt_word[u] == j; u++, pieces++) {
            source_words(w, att + (size_t)u * stride, nsrc, reverse, src_word, nsw);
            for (int i = 0; i < nsw; i++)
                acc[i] += w[i];
        }
        if (pieces == 0 || nsw == 0)
            continue;
        int best = 0;
        for (int i = 1; i < nsw; i++)
            best = acc[i] > acc[best] ? i : best;
        if (!soft) {
            rc = textbuf_printf(t, "%s%d-%d", j ? " " : "", best, j);
            continue;
        }
        for (int i = 0; !rc && i < nsw; i++)
            rc = textbuf_printf(t, "%s%.3f", i ? "," : j ? " " : "", acc[i] / (float)pieces);
    }
    free(w);
    return rc;
}

void align_scratch_free(AlignScratch *s)
{
    tokbuf_free(&s->words);
    free(s->map);
    free((void *)s->pieces);
    free((void *)s->wptr);
    memset(s, 0, sizeof *s);
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
    void *q = s2s_grow(*p, cap, need, size);
    if (q)
        *p = q;
    return q ? 0 : -1;
}

int align_hypothesis(AlignScratch *s, TextBuf *t, int soft, const Tokenizer *tk, const Vocab *tv,
                     const int32_t *tok, int len, const char *text, size_t text_len,
                     const float *att, int stride, int nsrc, int reverse, const int *src_word)
{
    int rc = grow((void **)&s->pieces, &s->pieces_cap, (size_t)len + 1, sizeof *s->pieces) ||
                     grow((void **)&s->map, &s->map_cap, (size_t)len + 1, sizeof *s->map) ? -1 : 0;
    int ntw = len, nsw = 0;
    for (int u = 0; !rc && u < len; u++)
        s->pieces[u] = vocab_word(tv, tok[u]), s->map[u] = u;
    if (!rc && tk->kind == TOKENIZER_BPE && len > 0) { /* the words of the text written */
        int nw = tokenizer_encode_words(&s->words, text, text_len, NULL);
        rc = nw < 0 || grow((void **)&s->wptr, &s->wptr_cap, (size_t)nw + 1, sizeof *s->wptr) ? -1 : 0;
        for (int k = 0; !rc && k < nw; k++)
            s->wptr[k] = tokbuf_token(&s->words, k);
        if (!rc)
            ntw = align_piece_words(s->pieces, len, s->wptr, nw, s->map);
    }
    for (int k = 0; k < nsrc; k++)
        nsw = src_word[k] + 1 > nsw ? src_word[k] + 1 : nsw;
    if (!rc)
        rc = align_format(t, soft, att, stride, len, nsrc, reverse, src_word, nsw, s->map, ntw);
    return rc;
}
