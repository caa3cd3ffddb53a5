/* rescore.h: `s2s score --nbest`, rescoring a Moses/Marian n-best list
 * with a model or an ensemble (Sutskever et al. 2014's rescoring).
 *
 * Each hypothesis of the list gets its log-probability given its source
 * line as a named feature ("F= -12.3"), and the list is written in the same
 * order; with rerank, each sentence's hypotheses re-sorted by total + W x
 * feature, the new total printed; with one_best, only the best hypothesis of
 * each source line, an empty line where the list has none. A sentence may
 * have at most 4096 hypotheses.
 */
#ifndef S2S_RESCORE_H
#define S2S_RESCORE_H

#include <stdio.h>

#include "s2s/decode/ensemble.h"
#include "s2s/decode/shortlist.h"
#include "s2s/model/checkpoint.h"

typedef struct {
    const char *src, *nbest; /* the source lines and the list ("-": stdin) */
    const char *feature;     /* the feature's name */
    double rerank;           /* W, when has_rerank */
    int has_rerank, one_best;
    long batch, max_line;    /* hypotheses scored together; longest line read */
    FILE *out;               /* where the list goes, and its name for messages */
    const char *out_name;
    const Shortlist *shortlist; /* scores over a shortlist, or NULL */
} RescoreOptions;

/* Rescores a->nbest with the ensemble e of checkpoints ck: 0, or < 0 with
 * err ("list:line: what", or "OUT: write failed: ..."). */
int rescore_run(const RescoreOptions *a, const Checkpoint *ck, const Ensemble *e, S2sErr *err);

#endif
