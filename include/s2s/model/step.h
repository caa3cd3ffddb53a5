/* step.h: the network side of decoding, apart from the search: the encoder
 * pass over a batch of S sentences, the decoder's start state for K rows
 * (hypotheses) per sentence, and ONE decoder step over all rows giving
 * each row's next-token log-probabilities. Greedy, beam, sampling and
 * scoring (decode.h) all drive this one step; training (model.c) runs the
 * same architecture pieces (arch.h) over every position at once.
 *
 * Row r belongs to sentence r / K. Sized once for (sentences, K, source
 * length) and grown only when a batch needs more.
 */
#ifndef S2S_STEP_H
#define S2S_STEP_H

#include <stdint.h>

#include "s2s/base/common.h"
#include "s2s/model/model.h"
#include "s2s/nn/qmat.h"

typedef struct {
    int max_sents, beam, max_src, rows; /* capacity; rows = max_sents * beam */
    int32_t *src;   /* (max_src, max_sents) time-major, padded, reversed as the model says */
    float *src_mask;
    float *enc_x;   /* (max_src, max_sents, E) */
    CellActs enc[MODEL_MAX_LAYERS];
    /* one step of every row; h, c hold (2, rows, H): the state before the
     * step (slot 0) and after it (slot 1) */
    CellActs dec[MODEL_MAX_LAYERS];
    float *x;       /* (rows, model_dec_input) the first layer's input */
    float *feats;   /* (rows, model_out_input) the output layer's input */
    float *ctx;     /* (rows, H) encdec: each row's sentence summary c */
    float *logp;    /* (rows, Vt) log-softmax of the step's logits */
    /* attention: each sentence's encoder outputs (enc[L-1]) are its memory,
     * shared by its K rows */
    int S, K, Ts;   /* the current batch */
    int fwd_rows;   /* the rows of the last step_forward: slot 1 holds their states */
    int *src_len;   /* (max_sents) */
    float *feed;    /* (2, rows, H) the attentional state before / after the step */
    float *keys;    /* (max_src, max_sents, H) mlp: the memory's keys */
    BiEnc bi;       /* bidirectional: the reversed direction and the sums */
    AttnActs att;   /* rows: q, ht (rows, H); a (rows, max_src); cat (rows, 2H) */
    void *qbuf;     /* the reduced-precision products' scratch (Model.quant), else empty */
    void *mem;      /* owns every array above */
    /* a shortlist (step_columns): logp holds (rows, ncols), over the
     * output layer's rows cols[0..ncols) gathered into out_sl, b_sl */
    int ncols;      /* 0: the whole vocabulary */
    QMat out_sl;    /* owned, room for the whole vocabulary (step_reserve_columns) */
    float *b_sl;    /* (tgt_vocab) owned */
} StepState;

void step_zero(StepState *st);
/* The capacity to reserve when (*S sentences, *T source tokens) is asked
 * of a state that holds (cs, ct): the larger of each, unless that is more
 * than twice the tokens asked (one long sentence after many short ones, or
 * the other way round); then exactly what is asked, so that memory follows
 * the batch at hand rather than the product of two batches' extremes. */
void step_fit(int cs, int ct, int *S, int *T);
/* Makes st hold at least the given capacity (step_fit: an existing one that
 * does not hold it is replaced). A zeroed st is empty. */
int step_reserve(StepState *st, const Model *m, int max_sents, int beam, int max_src,
                 S2sErr *err);
void step_free(StepState *st);
/* Room in st for the output layer of any shortlist (kept when st grows). */
int step_reserve_columns(StepState *st, const Model *m, S2sErr *err);
/* From now on the steps give log-probabilities over the target tokens
 * cols[0..n) only (normalised over them), logp row r at r * n; n = 0: over
 * the whole vocabulary again. Gathers the output layer's rows. */
void step_columns(StepState *st, const Model *m, const int32_t *cols, int n);

/* Encodes src[s][0..src_len[s]) (s < S, token ids) and sets the start
 * state of S * K rows. */
void step_start(StepState *st, const Model *m, const int32_t *const *src, const int *src_len,
                int S, int K);
/* Feeds prev[r] to each of the rows: st->logp gets their next-token
 * log-probabilities and the new states land in slot 1. Block b of K rows
 * (r / K) belongs to sentence sent[b], or to sentence b when sent is NULL:
 * the decoder drops finished sentences from the rows. */
void step_forward(StepState *st, const Model *m, const int32_t *prev, const int *sent, int rows);
/* For the architectures' steps (arch.h): the decoder stack over st->x
 * (rows, model_dec_input), returning the top layer's new states (rows, H);
 * and the output layer over st->feats, into st->logp. */
const float *step_stack(StepState *st, const Model *m, int rows);
/* The attention's weights for a step: fp32, or m->quant's with st's scratch. */
AttnParams step_attn_params(const StepState *st, const Model *m);
void step_output(StepState *st, const Model *m, int rows);
/* Slot 0 of row r takes the new state (slot 1) of row parent[r], a row of
 * the same sentence, in the same block or a later one (the blocks of
 * finished sentences dropped). */
void step_reorder(StepState *st, const Model *m, const int *parent, int rows);

#endif
