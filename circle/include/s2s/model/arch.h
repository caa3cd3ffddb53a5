/* arch.h: what makes each architecture itself, written once, in its own
 * file (arch_seq2seq.c, arch_encdec.c, arch_attention.c), and used by both
 * drivers: training (model.c runs every target position of a batch at
 * once) and decoding (step.c runs one step over a set of hypothesis rows).
 * The drivers own what the architectures share: embeddings, the encoder
 * pass, the cell stacks and the output layer.
 *
 * Rows and sentences: a driver works on `rows` decoder rows, row r
 * belonging to sentence r / K (training: K = 1, a row per pair; beam
 * search: K hypotheses per sentence). Arrays over rows are (rows, width).
 */
#ifndef S2S_ARCH_H
#define S2S_ARCH_H

#include <stdint.h>

#include "s2s/model/model.h"

/* The architecture's tensors between the decoder stack and the output
 * layer (their order is part of the file format). */
void arch_plan(Model *m);
/* Views of those tensors inside base (a block laid out like m->params);
 * k is the index of the first of them in the table, advanced past them. */
void arch_tensors(const Model *m, float *base, ModelTensors *t, int *k);

/* The decoder's start state. enc_h[l], enc_c[l]: (S, H) the final state of
 * encoder layer l for each of the S sentences. Sets h0[l], c0[l] (rows, H)
 * for every decoder layer and, for encdec, ctx (rows, H): each row's
 * sentence summary c. */
void arch_start(const Model *m, float *const *h0, float *const *c0, float *ctx,
                const float *const *enc_h, const float *const *enc_c, int rows, int K);
/* Training (K = 1): from dh0[l], dc0[l] (rows, H), the gradients w.r.t.
 * the start state, ADDS into the architecture's gradients g and dctx
 * (rows, H), and points dencT_h[l], dencT_c[l] at the gradients w.r.t.
 * encoder layer l's final state (NULL: none). dh0 may be overwritten.
 * h0, ctx: as arch_start left them. */
void arch_start_backward(const Model *m, ModelTensors *g, float *const *dh0,
                         float *const *dc0, float *dctx, const float *const *h0,
                         const float *ctx, int rows, float **dencT_h, float **dencT_c);

/* The first decoder layer's input, row n (of N) = [embed(ids[n]);
 * ctx[n % B] for encdec], (N, arch_dec_input). */
void arch_dec_rows(const Model *m, float *out, const int32_t *ids, const float *ctx, int N, int B);
/* ADDS d (N, arch_dec_input) into the target embedding's gradient and dctx (B, H). */
void arch_dec_rows_backward(const Model *m, ModelTensors *g, float *dctx, const float *d,
                            const int32_t *ids, int N, int B);

/* The output layer's input, row n = [h[n]; for encdec embed(ids[n]) and
 * ctx[n % B]], (N, arch_out_input); h: (N, H). */
void arch_out_rows(const Model *m, float *out, const float *h, const int32_t *ids,
                   const float *ctx, int N, int B);
/* From d (N, arch_out_input): the h part goes to dh (N, H) (overwritten;
 * returns dh, or d itself when the rows are h alone), the rest is ADDED
 * into the embedding's gradient and dctx (B, H). */
const float *arch_out_rows_backward(const Model *m, ModelTensors *g, float *dh, float *dctx,
                                    const float *d, const int32_t *ids, int N, int B);

/* The architectures, each in its own file; arch.c dispatches on cfg.arch. */
void seq2seq_start(const Model *m, float *const *h0, float *const *c0,
                   const float *const *enc_h, const float *const *enc_c, int rows, int K);
void encdec_plan(Model *m);
void encdec_tensors(const Model *m, float *base, ModelTensors *t, int *k);
void encdec_start(const Model *m, float *const *h0, float *const *c0, float *ctx,
                  const float *const *enc_h, int rows, int K);
void encdec_start_backward(const Model *m, ModelTensors *g, float *const *dh0, float *dctx,
                           const float *const *h0, const float *ctx, int rows);
void encdec_out_rows(const Model *m, float *out, const float *h, const int32_t *ids,
                     const float *ctx, int N, int B);
const float *encdec_out_rows_backward(const Model *m, ModelTensors *g, float *dh, float *dctx,
                                      const float *d, const int32_t *ids, int N, int B);

void attention_plan(Model *m);
/* The attention layer's weights inside a ModelTensors. */
AttnParams attention_params(const ModelTensors *w);
void attention_tensors(const Model *m, float *base, ModelTensors *t, int *k);
/* attention trains step by step (input feeding: each step reads the
 * previous step's attentional state): its own full-sequence forward, and
 * backward from ws->dtop (after the output dropout's backward). */
void attention_forward(const Model *m, Workspace *ws, const Batch *bt, float dropout, Rng *rng);
void attention_backward(const Model *m, Workspace *ws, const Batch *bt);

#endif
