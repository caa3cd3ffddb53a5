#include "s2s/model/average.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s2s/model/checkpoint.h"

int averager_init(Averager *a, size_t nparams, S2sErr *err)
{
    a->n = nparams, a->count = 0;
    a->sum = calloc(nparams ? nparams : 1, sizeof(double));
    if (!a->sum)
        return s2s_fail(err, S2S_ENOMEM, "out of memory for the average (%zu MB)",
                        nparams * sizeof(double) >> 20);
    return 0;
}

void averager_add(Averager *a, const float *params)
{
    for (size_t i = 0; i < a->n; i++)
        a->sum[i] += params[i];
    a->count++;
}

void averager_mean(const Averager *a, float *out)
{
    for (size_t i = 0; i < a->n; i++)
        out[i] = (float)(a->sum[i] / a->count);
}

void averager_free(Averager *a)
{
    free(a->sum);
    memset(a, 0, sizeof *a);
}

/* The first configuration field in which x and y differ, written to what;
 * 0 when they are the same. */
static int config_differs(const ModelConfig *x, const ModelConfig *y, char *what, size_t cap)
{
    const struct {
        const char *name;
        int a, b;
    } f[] = {{"arch", x->arch, y->arch},       {"cell", x->cell, y->cell},
             {"attention", x->attn, y->attn},  {"embed", x->embed, y->embed},
             {"hidden", x->hidden, y->hidden}, {"layers", x->layers, y->layers},
             {"reverse", x->reverse, y->reverse}, {"tied_embeddings", x->tied, y->tied},
             {"bidirectional", x->bidir, y->bidir}, {"layer_norm", x->layer_norm, y->layer_norm},
             {"residual", x->residual, y->residual},
             {"src_vocab", x->src_vocab, y->src_vocab},
             {"tgt_vocab", x->tgt_vocab, y->tgt_vocab}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (f[i].a != f[i].b) {
            snprintf(what, cap, "%s %d vs %d", f[i].name, f[i].a, f[i].b);
            return 1;
        }
    return 0;
}

int average_compatible(const Checkpoint *a, const char *pa, const Checkpoint *b, const char *pb,
                       S2sErr *err)
{
    char what[96];
    int rc = tmodel_check_fp32(&a->tm, pa, "averaging", err);
    if (rc || (rc = tmodel_check_fp32(&b->tm, pb, "averaging", err)))
        return rc;
    if (config_differs(&a->tm.model.cfg, &b->tm.model.cfg, what, sizeof what))
        return s2s_fail(err, S2S_EINVAL, "%s and %s: the configurations differ (%s)", pa, pb, what);
    for (int i = 0; i < a->tm.src_vocab.size; i++)
        if (strcmp(a->tm.src_vocab.words[i], b->tm.src_vocab.words[i]) != 0)
            return s2s_fail(err, S2S_EINVAL,
                            "%s and %s: the source vocabularies differ (entry %d: '%s' vs '%s')",
                            pa, pb, i, a->tm.src_vocab.words[i], b->tm.src_vocab.words[i]);
    return tmodel_compatible(&a->tm, pa, &b->tm, pb, err);
}
