/* ensemble.h: several models decoding as one (Marian's -m A B --weights).
 *
 * At every decoder step each member computes its next-token
 * log-probabilities for the same rows (hypotheses), and the search reads
 * their weighted average: log-linear, sum_k w_k log p_k, with the weights
 * normalised to sum 1 so scores stay on one model's scale. The sum runs in
 * double and is rounded to float once, so an ensemble of a model with
 * itself gives exactly that model's log-probabilities, and a member of
 * weight 0 is skipped (its step never runs).
 *
 * Members share the target vocabulary and the tokenizer (their outputs are
 * over the same ids, their inputs cut the same way); source vocabularies,
 * architectures, cells and sizes may differ, so each member reads its own
 * source ids: decoding takes src[k * S + s] for member k, sentence s.
 */
#ifndef S2S_ENSEMBLE_H
#define S2S_ENSEMBLE_H

#include "s2s/base/common.h"
#include "s2s/model/checkpoint.h"
#include "s2s/model/model.h"
#include "s2s/text/textio.h"

#define ENSEMBLE_MAX 16

typedef struct {
    int n;                         /* members, 1..ENSEMBLE_MAX */
    const Model *m[ENSEMBLE_MAX];  /* not owned */
    double w[ENSEMBLE_MAX];        /* normalised weights: >= 0, sum 1 */
    int align;                     /* the first attention member of weight > 0 (alignments), or -1 */
} Ensemble;

/* One model, weight 1. */
void ensemble_one(Ensemble *e, const Model *m);
/* n members with weights w (NULL: equal); weights must be finite, >= 0 and
 * not all 0 (S2S_EINVAL otherwise). */
int ensemble_set(Ensemble *e, const Model *const *m, const double *w, int n, S2sErr *err);

/* The weighted average of the members' log-probabilities: out[i] = sum_k
 * w_k lp[k][i] over the members of non-zero weight, i < n. */
void ensemble_mix(const Ensemble *e, const float *const *lp, float *out, size_t n);

/* The one way from a source line to the members' ids (translate, score,
 * rescore and serve): appends line[0..len)'s ids to *ids[0] with ck[0]'s
 * tokenizer and source vocabulary, and the same tokens to *ids[k] in
 * member k's vocabulary (k < n), at most max of them (0: all). Returns the
 * line's token count (before max), or < 0 with err. */
long ensemble_source_ids(IdBuf *const *ids, const Checkpoint *ck, int n, const char *line,
                         size_t len, int max, S2sErr *err);

/* Loads the n model files into ck[0..n) and checks each against the
 * first (tmodel_compatible). On failure the ones loaded stay in ck, for
 * the caller's ckpt_free of all n (safe on zeroed checkpoints). */
int ensemble_load(Checkpoint *ck, const char *const *paths, int n, S2sErr *err);
/* Every member decodes in precision p (tmodel_set_precision), or, when
 * not given, in the precision its file holds (s2s convert; usually fp32). */
int ensemble_precision(Checkpoint *ck, int n, int given, Precision p, S2sErr *err);

#endif
