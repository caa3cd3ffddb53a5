/* BPE-dropout's per-epoch segmentation of the training corpus (bpedrop.h). */
#include "s2s/train/bpedrop.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "s2s/base/rng.h"

/* A stream of its own: not the batches' (seed * 1000003 + epoch) nor dropout's. */
static void epoch_rng(Rng *r, uint64_t seed, int epoch)
{
    rng_seed(r, (seed ^ 0xB9E0D0B5E5A1C3ull) * 1000033u + (uint64_t)epoch);
}

int bpedrop_read(BpeDrop *d, float p, const char *src, const char *tgt, long max_line,
                 S2sErr *err)
{
    memset(d, 0, sizeof *d);
    d->p = p;
    Tokenizer words = {.kind = TOKENIZER_WORD};
    return textpairs_read(&d->words, src, tgt, &words, max_line, err);
}

/* Line i of side as sampled pieces in d->tb; returns how many, or < 0. */
static int sample_line(BpeDrop *d, const Tokenizer *tk, int side, int i, Rng *rng, S2sErr *err)
{
    int n = textpairs_len(&d->words, side, i);
    d->tb.len = 0, d->tb.n = 0;
    for (int j = 0; j < n; j++) { /* word tokens go in as they are */
        const char *w = textpairs_token(&d->words, side, i, j);
        if (tokbuf_append(&d->tb, w))
            return s2s_fail(err, S2S_ENOMEM, "bpe-dropout: out of memory");
    }
    return tokenizer_apply_bpe(tk, &d->tb, d->p, rng, err);
}

int bpedrop_count(BpeDrop *d, const Tokenizer *tk, uint64_t seed, VocabCounter *src,
                  VocabCounter *tgt, S2sErr *err)
{
    Rng r;
    epoch_rng(&r, seed, 0); /* epochs count from 1 */
    VocabCounter *vc[2] = {src, tgt};
    for (int i = 0; i < d->words.npairs; i++)
        for (int s = 0; s < 2; s++) {
            int n = sample_line(d, tk, s, i, &r, err), rc;
            if (n < 0)
                return n;
            for (int j = 0; j < n; j++)
                if ((rc = vocab_counter_add(vc[s], tokbuf_token(&d->tb, j), err)))
                    return rc;
        }
    return 0;
}

int bpedrop_adopt(BpeDrop *d, Corpus *c, int max_len, S2sErr *err)
{
    d->det = *c;
    memset(c, 0, sizeof *c);
    size_t n = (size_t)d->det.npairs;
    int lim = max_len > 0 ? max_len : INT_MAX;
    d->cap[TEXT_SRC] = d->det.max_src_len < lim / 2 ? 2 * d->det.max_src_len : lim;
    d->cap[TEXT_TGT] = d->det.max_tgt_len < lim / 2 ? 2 * d->det.max_tgt_len : lim;
    c->npairs = d->det.npairs;
    c->src_off = malloc((n + 1) * sizeof *c->src_off);
    c->tgt_off = malloc((n + 1) * sizeof *c->tgt_off);
    c->line_index = malloc(n * sizeof *c->line_index);
    if (!c->src_off || !c->tgt_off || !c->line_index)
        return s2s_fail(err, S2S_ENOMEM, "bpe-dropout: out of memory");
    memcpy(c->line_index, d->det.line_index, n * sizeof *c->line_index);
    c->max_src_len = d->cap[TEXT_SRC], c->max_tgt_len = d->cap[TEXT_TGT];
    c->skipped_long = d->det.skipped_long, c->skipped_empty = d->det.skipped_empty;
    return 0;
}

/* Appends side s of pair k (line i) to c's ids at off[k]: the sampled
 * pieces, or the deterministic ids when they outnumber the cap. */
static int epoch_side(BpeDrop *d, Corpus *c, int s, int k, const Tokenizer *tk, const Vocab *v,
                      Rng *r, S2sErr *err)
{
    int *off = s ? c->tgt_off : c->src_off;
    const int *doff = s ? d->det.tgt_off : d->det.src_off;
    const int32_t *dids = s ? d->det.tgt_ids : d->det.src_ids;
    int n = sample_line(d, tk, s, c->line_index[k], r, err);
    if (n < 0)
        return n;
    int m = n <= d->cap[s] ? n : doff[k + 1] - doff[k];
    int32_t **ids = s ? &c->tgt_ids : &c->src_ids;
    int32_t *p = s2s_grow(*ids, &d->ids_cap[s], (size_t)off[k] + (size_t)m, sizeof **ids);
    if (!p)
        return s2s_fail(err, S2S_ENOMEM, "bpe-dropout: out of memory");
    *ids = p;
    for (int j = 0; j < m; j++)
        p[off[k] + j] = n <= d->cap[s] ? vocab_lookup(v, tokbuf_token(&d->tb, j))
                                       : dids[doff[k] + j];
    off[k + 1] = off[k] + m;
    return 0;
}

int bpedrop_epoch(BpeDrop *d, Corpus *c, const Tokenizer *tk, const Vocab *sv, const Vocab *tv,
                  uint64_t seed, int epoch, S2sErr *err)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    Rng r;
    epoch_rng(&r, seed, epoch);
    c->src_off[0] = c->tgt_off[0] = 0;
    for (int k = 0; k < c->npairs; k++) {
        int rc = epoch_side(d, c, TEXT_SRC, k, tk, sv, &r, err);
        if (rc || (rc = epoch_side(d, c, TEXT_TGT, k, tk, tv, &r, err)))
            return rc;
        if (c->src_off[k + 1] > INT_MAX / 2 || c->tgt_off[k + 1] > INT_MAX / 2)
            return s2s_fail(err, S2S_EINVAL, "bpe-dropout: corpus too large");
    }
    c->src_tokens = c->src_off[c->npairs], c->tgt_tokens = c->tgt_off[c->npairs];
    clock_gettime(CLOCK_MONOTONIC, &t1);
    d->seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    return 0;
}

void bpedrop_free(BpeDrop *d)
{
    textpairs_free(&d->words);
    corpus_free(&d->det);
    tokbuf_free(&d->tb);
    memset(d, 0, sizeof *d);
}
