/* arch.h: one interface per architecture. Each architecture fills in a
 * const ArchOps in its own file (arch_seq2seq.c, arch_encdec.c,
 * arch_attention.c) and arch.c lists them in one table; the drivers call
 * through it and never ask which architecture they run: training
 * (model.c runs every target position of a batch at once) and decoding
 * (step.c runs one step over a set of hypothesis rows). The drivers own
 * what the architectures share: embeddings, the encoder pass, the cell
 * stacks and the output layer. A fourth architecture is one new file, a
 * value of ModelArch and one entry of the table.
 *
 * Rows and sentences: a driver works on `rows` decoder rows, row r
 * belonging to sentence r / K (training: K = 1, a row per pair; beam
 * search: K hypotheses per sentence). Arrays over rows are (rows, width).
 */
#ifndef S2S_ARCH_H
#define S2S_ARCH_H

#include <stdint.h>

#include "s2s/model/model.h"
#include "s2s/model/step.h"

typedef struct {
    const char *name; /* as --arch and the model file's metadata spell it */
    /* 1: the decoder attends over the encoder's outputs (the workspace and
     * the decoder state then hold the attention arrays, a bidirectional
     * encoder is allowed, alignments can be read) */
    int attends;
    /* Width of the first decoder layer's input, and of the output layer's. */
    int (*dec_input)(const ModelConfig *c);
    int (*out_input)(const ModelConfig *c);
    /* Its tensors between the decoder stack and the output layer (their
     * order is part of the file format), and their views inside base (a
     * block laid out like m->params; k: the index of the first of them in
     * the table, advanced past them). NULL: it has none. */
    void (*plan)(Model *m);
    void (*tensors)(const Model *m, float *base, ModelTensors *t, int *k);
    /* The decoder's start state. enc_h[l], enc_c[l]: (S, H) the final
     * state of encoder layer l for each of the S sentences. Sets h0[l],
     * c0[l] (rows, H) for every decoder layer and, for encdec, ctx (rows,
     * H): each row's sentence summary c. */
    void (*start)(const Model *m, float *const *h0, float *const *c0, float *ctx,
                  const float *const *enc_h, const float *const *enc_c, int rows, int K);
    /* Training (K = 1): from dh0[l], dc0[l] (rows, H), the gradients w.r.t.
     * the start state, ADDS into the architecture's gradients g and dctx
     * (rows, H), and points dencT_h[l], dencT_c[l] at the gradients w.r.t.
     * encoder layer l's final state (NULL: none). dh0 may be overwritten. */
    void (*start_backward)(const Model *m, ModelTensors *g, float *const *dh0, float *const *dc0,
                           float *dctx, const float *const *h0, const float *ctx, int rows,
                           float **dencT_h, float **dencT_c);
    /* The first decoder layer's input, row n (of N) = [embed(ids[n]);
     * ctx[n % B] when dec_input is wider than E], (N, dec_input), and its
     * backward: ADDS d into the target embedding's gradient and dctx (B, H). */
    void (*dec_rows)(const Model *m, float *out, const int32_t *ids, const float *ctx, int N,
                     int B);
    void (*dec_rows_backward)(const Model *m, ModelTensors *g, float *dctx, const float *d,
                              const int32_t *ids, int N, int B);
    /* The output layer's input from the top states h (N, H), (N,
     * out_input); backward: the h part to dh (N, H) (returns dh, or d
     * itself when the rows are h alone), the rest ADDED into the
     * embedding's gradient and dctx (B, H). */
    void (*out_rows)(const Model *m, float *out, const float *h, const int32_t *ids,
                     const float *ctx, int N, int B);
    const float *(*out_rows_backward)(const Model *m, ModelTensors *g, float *dh, float *dctx,
                                      const float *d, const int32_t *ids, int N, int B);
    /* Its own full-sequence training pass, when the layer-by-layer one of
     * model.c does not fit (attention's input feeding): forward into
     * ws->top / ws->top_drop, backward from ws->dtop. NULL: model.c's. */
    void (*train_forward)(const Model *m, Workspace *ws, const Batch *bt, float dropout, Rng *rng);
    void (*train_backward)(const Model *m, Workspace *ws, const Batch *bt);
    /* Decoding: after the start state is set (NULL: nothing to do), one
     * decoder step (step.h's step_forward), and the reordering of its own
     * per-row state after step_reorder moved the layers' (NULL: none). */
    void (*step_begin)(StepState *st, const Model *m);
    void (*step_forward)(StepState *st, const Model *m, const int32_t *prev, const int *sent,
                         int rows);
    void (*step_reorder)(StepState *st, const Model *m, const int *parent, int rows);
} ArchOps;

/* The architecture a's table; NULL when a is none of them. */
const ArchOps *arch_ops(ModelArch a);

extern const ArchOps arch_seq2seq, arch_encdec, arch_attention;

/* The pieces the architectures share (arch.c), for their tables. */
int arch_width_embed(const ModelConfig *c);        /* E */
int arch_width_embed_hidden(const ModelConfig *c); /* E + H */
int arch_width_hidden(const ModelConfig *c);       /* H */
/* seq2seq's start: decoder layer l starts from encoder layer l's final
 * state ([c, h] for the LSTM); ctx is left alone. */
void arch_start_copy(const Model *m, float *const *h0, float *const *c0, float *ctx,
                     const float *const *enc_h, const float *const *enc_c, int rows, int K);
void arch_start_copy_backward(const Model *m, ModelTensors *g, float *const *dh0,
                              float *const *dc0, float *dctx, const float *const *h0,
                              const float *ctx, int rows, float **dencT_h, float **dencT_c);
/* Rows [embed(ids[n]); ctx[n % B] (dec_input - E wide)], and backward. */
void arch_rows_embed_ctx(const Model *m, float *out, const int32_t *ids, const float *ctx, int N,
                         int B);
void arch_rows_embed_ctx_backward(const Model *m, ModelTensors *g, float *dctx, const float *d,
                                  const int32_t *ids, int N, int B);
/* Output rows that are h alone, and backward (returns d). */
void arch_rows_h(const Model *m, float *out, const float *h, const int32_t *ids,
                 const float *ctx, int N, int B);
const float *arch_rows_h_backward(const Model *m, ModelTensors *g, float *dh, float *dctx,
                                  const float *d, const int32_t *ids, int N, int B);
/* The decoder step of an architecture without attention: its rows from
 * st->ctx, the stack, its output rows, the output layer. */
void arch_step_plain(StepState *st, const Model *m, const int32_t *prev, const int *sent,
                     int rows);

#endif
