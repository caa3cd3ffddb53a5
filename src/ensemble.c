#include "s2s/ensemble.h"

#include <math.h>
#include <string.h>

void ensemble_one(Ensemble *e, const Model *m)
{
    memset(e, 0, sizeof *e);
    e->n = 1, e->m[0] = m, e->w[0] = 1.0;
    e->align = m->cfg.arch == ARCH_ATTENTION ? 0 : -1;
}

int ensemble_set(Ensemble *e, const Model *const *m, const double *w, int n, S2sErr *err)
{
    double sum = 0;
    if (n < 1 || n > ENSEMBLE_MAX)
        return s2s_fail(err, S2S_EINVAL, "an ensemble has 1 to %d models, not %d", ENSEMBLE_MAX, n);
    for (int k = 0; k < n; k++) {
        double wk = w ? w[k] : 1.0;
        if (!isfinite(wk) || wk < 0)
            return s2s_fail(err, S2S_EINVAL, "weight %d (%g) is not a finite number >= 0", k + 1, wk);
        sum += wk;
    }
    if (!(sum > 0))
        return s2s_fail(err, S2S_EINVAL, "the weights are all 0");
    memset(e, 0, sizeof *e);
    e->n = n, e->align = -1;
    for (int k = 0; k < n; k++) {
        e->m[k] = m[k];
        e->w[k] = (w ? w[k] : 1.0) / sum;
        if (e->align < 0 && e->w[k] > 0 && m[k]->cfg.arch == ARCH_ATTENTION)
            e->align = k;
    }
    return 0;
}

void ensemble_mix(const Ensemble *e, const float *const *lp, float *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double s = 0;
        for (int k = 0; k < e->n; k++)
            if (e->w[k] > 0)
                s += e->w[k] * lp[k][i];
        out[i] = (float)s;
    }
}

static int same_vocab(const Vocab *a, const Vocab *b, int *where)
{
    int n = a->size < b->size ? a->size : b->size;
    for (int i = 0; i < n; i++)
        if (strcmp(a->words[i], b->words[i]) != 0)
            return *where = i, 0;
    return *where = n, a->size == b->size;
}

int ensemble_compatible(const Checkpoint *a, const char *pa, const Checkpoint *b, const char *pb,
                        S2sErr *err)
{
    int i;
    if (!same_vocab(&a->tgt_vocab, &b->tgt_vocab, &i)) {
        if (i < a->tgt_vocab.size && i < b->tgt_vocab.size)
            return s2s_fail(err, S2S_EINVAL,
                            "%s and %s: the target vocabularies differ (entry %d: '%s' vs '%s')",
                            pa, pb, i, a->tgt_vocab.words[i], b->tgt_vocab.words[i]);
        return s2s_fail(err, S2S_EINVAL, "%s and %s: the target vocabularies differ (%d vs %d entries)",
                        pa, pb, a->tgt_vocab.size, b->tgt_vocab.size);
    }
    const Tokenizer *x = &a->tokenizer, *y = &b->tokenizer;
    if (x->kind != y->kind)
        return s2s_fail(err, S2S_EINVAL, "%s and %s: the tokenizers differ (%s vs %s)", pa, pb,
                        tokenizer_name(x), tokenizer_name(y));
    if (x->kind != TOKENIZER_BPE)
        return 0;
    int nx = bpe_nmerges(&x->bpe), ny = bpe_nmerges(&y->bpe);
    for (i = 0; i < nx && i < ny; i++)
        if (strcmp(bpe_merge_text(&x->bpe, i), bpe_merge_text(&y->bpe, i)) != 0)
            return s2s_fail(err, S2S_EINVAL, "%s and %s: the BPE merges differ (merge %d: '%s' vs '%s')",
                            pa, pb, i + 1, bpe_merge_text(&x->bpe, i), bpe_merge_text(&y->bpe, i));
    if (nx != ny)
        return s2s_fail(err, S2S_EINVAL, "%s and %s: the BPE merges differ (%d vs %d merges)", pa,
                        pb, nx, ny);
    return 0;
}

int ensemble_load(Checkpoint *ck, const char *const *paths, int n, S2sErr *err)
{
    for (int k = 0; k < n; k++) {
        int rc = ckpt_load(paths[k], &ck[k], err);
        if (!rc && k > 0)
            rc = ensemble_compatible(&ck[0], paths[0], &ck[k], paths[k], err);
        if (rc)
            return rc;
    }
    return 0;
}
