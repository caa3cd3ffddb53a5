#include "s2s/decode/ensemble.h"

#include <math.h>
#include <string.h>

void ensemble_one(Ensemble *e, const Model *m)
{
    memset(e, 0, sizeof *e);
    e->n = 1, e->m[0] = m, e->w[0] = 1.0;
    e->align = model_attends(&m->cfg) ? 0 : -1;
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
        if (e->align < 0 && e->w[k] > 0 && model_attends(&m[k]->cfg))
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

long ensemble_source_ids(IdBuf *const *ids, const Checkpoint *ck, int n, const char *line,
                         size_t len, int max, S2sErr *err)
{
    long tokens = textio_append_ids(ids[0], &ck[0].tm.tokenizer, &ck[0].tm.src_vocab, line, len, max,
                                    err);
    for (int k = 1; tokens > 0 && k < n; k++)
        if (textio_map_ids(ids[k], &ids[0]->tb, (int)tokens, &ck[k].tm.src_vocab, max, err))
            return S2S_ENOMEM;
    return tokens;
}

int ensemble_load(Checkpoint *ck, const char *const *paths, int n, S2sErr *err)
{
    for (int k = 0; k < n; k++) {
        int rc = ckpt_load(paths[k], &ck[k], err);
        if (!rc && k > 0)
            rc = tmodel_compatible(&ck[0].tm, paths[0], &ck[k].tm, paths[k], err);
        if (rc)
            return rc;
    }
    return 0;
}

int ensemble_precision(Checkpoint *ck, int n, int given, Precision p, S2sErr *err)
{
    int rc = 0;
    for (int k = 0; !rc && k < n; k++)
        rc = tmodel_set_precision(&ck[k].tm, given ? p : ck[k].tm.stored, err);
    return rc;
}
