/* average.h: checkpoint averaging (Marian's average.py, OpenNMT-py's
 * average_models.py): the element-wise mean of the parameters of models
 * of one configuration and vocabularies, e.g. the last checkpoints a run
 * kept (--keep-checkpoints).
 *
 * The sum runs in double and the mean is rounded to float once, so the
 * average of copies of one model is that model bit for bit. The models are
 * added one at a time: memory is one model's parameters in double.
 */
#ifndef S2S_AVERAGE_H
#define S2S_AVERAGE_H

#include <stddef.h>

#include "s2s/model/checkpoint.h"
#include "s2s/base/common.h"

typedef struct {
    size_t n;    /* parameters */
    int count;   /* models added */
    double *sum; /* owned: (n) */
} Averager;

int averager_init(Averager *a, size_t nparams, S2sErr *err);
void averager_add(Averager *a, const float *params);
/* out (n) = sum / count. */
void averager_mean(const Averager *a, float *out);
void averager_free(Averager *a);

/* Checks that checkpoint b (file pb) can be averaged with a (file pa): the
 * same configuration, both vocabularies and the tokenizer. S2S_EINVAL with
 * "pa and pb: what differs" otherwise. */
int average_compatible(const Checkpoint *a, const char *pa, const Checkpoint *b, const char *pb,
                       S2sErr *err);

#endif
