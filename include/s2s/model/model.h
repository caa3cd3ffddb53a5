/* model.h: three encoder-decoder architectures over RNN, GRU or LSTM cells.
 *
 * seq2seq (Sutskever et al. 2014):
 *   source ids --embed--> L-layer encoder (over the source reversed, unless
 *   cfg.reverse == 0; the batch carries the order) --final state of layer
 *   l ([c, h] for the LSTM)--> initial state of decoder layer l; target ids
 *   <s> y1..yn --embed--> L-layer decoder --> logits = h Wo^T + bo -->
 *   softmax cross-entropy against y1..yn </s>.
 * encdec (Cho et al. 2014, RNN Encoder-Decoder):
 *   c = the encoder's top-layer final h, the summary of the source;
 *   decoder layer l starts from h0 = tanh(V_l c + bv_l) (LSTM cell state 0);
 *   the first decoder layer reads [embed(y_{t-1}); c] at every step;
 *   logits = Wo [h_t; embed(y_{t-1}); c] + bo, so c reaches every step's
 *   state and every output.
 * attention (Luong et al. 2015): the decoder attends over the encoder's
 *   top-layer states at every step (arch_attention.c, attention.h), its
 *   output reads the attentional vector tanh(Wc [context; h_t]).
 * Each architecture is one ArchOps table in its own file (arch.h).
 *
 * Three kinds of state, kept apart: the Model (config, tensor table, one
 * block of parameters), the training Workspace (activations and gradients,
 * sized once for the largest batch), and, in decode.h, the decode state.
 */
#ifndef S2S_MODEL_H
#define S2S_MODEL_H

#include <stddef.h>

#include "s2s/base/common.h"
#include "s2s/base/rng.h"
#include "s2s/model/bienc.h"
#include "s2s/nn/attention.h"
#include "s2s/nn/cell.h"
#include "s2s/nn/rowset.h"
#include "s2s/text/batch.h"

#define MODEL_MAX_LAYERS 8
#define MODEL_MAX_TENSORS (8 + 14 * MODEL_MAX_LAYERS)

typedef enum { ARCH_SEQ2SEQ = 0, ARCH_ENCDEC, ARCH_ATTENTION } ModelArch;

typedef struct {
    int src_vocab, tgt_vocab; /* vocabulary sizes, specials included */
    int embed, hidden, layers;
    int reverse;              /* 1: the encoder reads the source reversed */
    ModelArch arch;
    CellKind cell;
    AttnScore attn;           /* attention: the score */
    int tied;                 /* 1: the output layer's weights are the target embeddings */
    int bidir;                /* attention: 1 = a bidirectional encoder (bienc.h) */
    int layer_norm;           /* 1: layer-normalised cells (cellbase.h), a ".ln" tensor each */
    int residual;             /* 1: layers from the second up output h + their input */
} ModelConfig;

const char *model_arch_name(ModelArch a);
/* --layer-norm: the floats of a CellActs's normalisation arrays for n
 * slots (0 without), and their place at *cursor (advanced; NULLs without). */
size_t model_ln_act_floats(const ModelConfig *c, size_t n);
void cell_ln_place(CellActs *a, float **cursor, const ModelConfig *c, size_t n);
/* --residual: ADDS d (n floats), the gradient of layer l's outputs, into dx,
 * that of its input, when layer l has the identity path. */
void model_residual_backward(const ModelConfig *c, int l, float *dx, const float *d, size_t n);
int model_arch_from_name(const char *name, ModelArch *a);
/* 1: the architecture attends over the encoder's outputs (alignments). */
int model_attends(const ModelConfig *c);
/* Width of the first decoder layer's input, and of the output layer's. */
int model_dec_input(const ModelConfig *c);
int model_out_input(const ModelConfig *c);

typedef struct {
    char name[32];
    int rows, cols;
    size_t offset; /* in floats from the start of the block */
} TensorInfo;

/* Views into one block (the parameters, or a gradient block that mirrors them). */
typedef struct {
    float *src_emb;                 /* (Vs, E) */
    float *tgt_emb;                 /* (Vt, E) */
    CellTensors enc[MODEL_MAX_LAYERS]; /* layer l: Wx (G*H, l ? H : E), Wh (G*H, H), b (G*H) */
    CellTensors dec[MODEL_MAX_LAYERS]; /* layer 0: Wx (G*H, model_dec_input) */
    CellTensors encb[MODEL_MAX_LAYERS]; /* bidirectional: the reversed direction, as enc */
    float *init_W[MODEL_MAX_LAYERS]; /* encdec: (H, H) */
    float *init_b[MODEL_MAX_LAYERS]; /* encdec: (H) */
    float *attn_Wa;                 /* attention, general and mlp scores: (H, H) */
    float *attn_Wk, *attn_v;        /* attention, mlp score: (H, H), (H) */
    float *attn_Wc;                 /* attention: (H, 2H) */
    float *out_W;                   /* (Vt, model_out_input); tied: the same block as tgt_emb */
    float *out_b;                   /* (Vt) */
} ModelTensors;

struct ModelQuant;

typedef struct {
    ModelConfig cfg;
    int ntensors;
    TensorInfo tensors[MODEL_MAX_TENSORS];
    size_t nparams;
    float *params; /* owned: (nparams) */
    ModelTensors w;
    /* decoding: the decoder's weights in reduced precision (quant.h), not
     * owned; NULL: decode with params */
    const struct ModelQuant *quant;
} Model;

/* Appends a tensor of rows x cols to the table (the architectures' plans). */
void model_add_tensor(Model *m, const char *name, int rows, int cols);
/* Checks cfg, builds the tensor table, allocates zeroed parameters. */
int model_init(Model *m, const ModelConfig *cfg, S2sErr *err);
/* The two halves of model_init: the table and nparams only (nothing
 * allocated, so a file's claimed sizes can be checked first), then the
 * zeroed parameter block. */
int model_plan(Model *m, const ModelConfig *cfg, S2sErr *err);
int model_alloc(Model *m, S2sErr *err);
void model_free(Model *m);
/* Every parameter uniform in [-scale, scale]. */
void model_init_uniform(Model *m, float scale, Rng *rng);
/* Views of the tensors inside base, a block laid out like m->params. */
void model_tensors(const Model *m, float *base, ModelTensors *t);

/* The encoder pass, shared by training and decoding: src (Ts, B) through
 * the source embedding into in[0] (Ts, B, E), then every encoder layer
 * from a zero state into acts. Training passes in[l]/drop[l] for every
 * layer (dropout on each layer's input, kept for backward); decoding
 * passes in = {embedding buffer} and drop = NULL (no dropout; layer l > 0
 * reads layer l-1's outputs directly). bi (and len (B), the real lengths)
 * for a bidirectional encoder, else NULL. qbuf: decoding with m->quant, the
 * products' scratch (the unidirectional encoder's weights are read from
 * m->quant), else NULL. */
void model_encode(const Model *m, CellActs *acts, BiEnc *bi, float **in, float **drop,
                  const int32_t *src, const float *mask, const int *len, int Ts, int B,
                  float dropout, Rng *rng, void *qbuf);
/* The top encoder layer's outputs (Ts, B, H): what attention attends over. */
const float *model_enc_top(const Model *m, const CellActs *acts, const BiEnc *bi, int B);
/* Appends the three tensors of each layer of a cell stack named side. */
void model_add_stack(Model *m, const char *side, int first_input);
/* The views of one stack's tensors (model_add_stack's), from tensor *k on. */
void model_stack_tensors(const Model *m, float *base, CellTensors *w, int *k);
/* Pointers to each layer's state after T steps: h[l], c[l] (B, H). */
void model_final_states(const Model *m, const CellActs *acts, int T, int B, const float **h,
                        const float **c);

/* Sparse embedding gradients. A batch's gradient of the embedding tables is
 * zero but for the rows of the tokens it holds: the source table's rows
 * and, unless tied to the output layer (whose gradient is dense), the
 * target table's. Those tables sit at the start of the block, in
 * grads[0 .. model_sparse_end); row r < Vs is source row r, r >= Vs target
 * row r - Vs. */
int model_sparse_rows(const Model *m);
size_t model_sparse_end(const Model *m);
/* The first float of row r (embedding width E floats). */
size_t model_row_offset(const Model *m, int r);

/* Everything one training step needs besides the model. Owns all arrays. */
typedef struct {
    int max_B, max_src, max_tgt, chunk_rows; /* max_tgt: Tt, with </s> */
    long src_slots, tgt_slots; /* most B x Ts, B x Tt */
    float label_smoothing; /* eps of the training target (0: plain NLL); the loss returned stays the NLL */
    float *grads; /* (nparams), mirrors Model.params */
    ModelTensors g;
    CellActs enc[MODEL_MAX_LAYERS], dec[MODEL_MAX_LAYERS];
    float *enc_in[MODEL_MAX_LAYERS], *enc_drop[MODEL_MAX_LAYERS]; /* (Ts, B, X_l) */
    float *dec_in[MODEL_MAX_LAYERS], *dec_drop[MODEL_MAX_LAYERS]; /* (Tt, B, X_l) */
    float *top, *top_drop; /* (Tt, B, F) output-layer input after dropout, its mask */
    float *probs;          /* (chunk_rows, Vt) */
    float *dtop;           /* (Tt, B, F) */
    float *dh_top;         /* (Tt, B, H) encdec: the h part of dtop */
    float *ctx, *dctx;     /* (B, H) encdec: c and its gradient */
    /* attention: the layer's activations at every target step, and the
     * backward's per-step scratch */
    AttnActs att;          /* q, ht (Tt, B, H); a (Tt, B, Ts); cat (Tt, B, 2H) */
    AttnScratch att_s;     /* dcat (B, 2H), dq (B, H), da (Ts) */
    float *dmem;           /* (Ts, B, H) gradient w.r.t. the top encoder outputs */
    float *keys, *dkeys;   /* (Ts, B, H) mlp: the memory's keys and their gradient */
    BiEnc bi;              /* bidirectional: the reversed direction and the sums */
    float *dfeed;          /* (B, H) gradient w.r.t. the previous attentional state */
    float *dstep, *dh0, *dc0; /* (B, H) */
    float *dxstep;         /* (B, max(E + H, H)) */
    float *dbuf[2];        /* (max(Ts, Tt), B, max(E, H)) */
    float *dstate_h[MODEL_MAX_LAYERS], *dstate_c[MODEL_MAX_LAYERS]; /* (B, H) */
    CellScratch scratch;
    /* sparse embedding gradients: the rows of grads' tables that may be
     * non-zero (model_forward_backward zeroes those and the dense part,
     * then lists the batch's); with sparse == 0, the whole block is
     * zeroed (the reference path); all_rows: the listed rows are not
     * known (the block was filled from elsewhere): zero everything next. */
    int sparse, all_rows;
    RowSet rows;
    float *arena;          /* owns every array above except grads */
    size_t arena_floats;   /* its size */
} Workspace;

/* For batches of up to max_B pairs, Ts <= max_src and Tt <= max_tgt (Tt
 * counting </s>): sized for the products. */
int workspace_init(Workspace *ws, const Model *m, int max_B, int max_src, int max_tgt,
                   S2sErr *err);
/* For the batches cap describes (batch.h): sized by its slots. */
int workspace_init_cap(Workspace *ws, const Model *m, const BatchCap *cap, S2sErr *err);
void workspace_free(Workspace *ws);

/* Training: backward through the encoder stack and the source embedding,
 * from dout (Ts, B, H), the gradient w.r.t. the top layer's outputs (or
 * NULL), and dhT[l], dcT[l] (B, H) w.r.t. each layer's final state (or
 * NULL entries). */
void model_encoder_backward(const Model *m, Workspace *ws, const Batch *bt, const float *dout,
                            float *const *dhT, float *const *dcT);

/* Forward only: returns the summed NLL of the batch's target tokens
 * (</s> included). dropout = 0 for evaluation. */
double model_forward(const Model *m, Workspace *ws, const Batch *bt, float dropout, Rng *rng);
/* Forward and backward: ws->grads is set to the gradient of the mean NLL
 * per target token; returns the summed NLL. */
double model_forward_backward(const Model *m, Workspace *ws, const Batch *bt,
                              float dropout, Rng *rng);

#endif
