/* quant.h: a model's weights in reduced precision (qmat.h), made at load
 * for decoding: every product of a decoder step (each decoder layer's Wx
 * and Wh, attention's Wa, Wk and Wc, the output layer) and of the
 * (unidirectional) encoder reads them instead of the fp32 parameters. The
 * embeddings, the gates' and the attention's non-linear parts, the
 * softmaxes and the search stay fp32. Training never uses them.
 */
#ifndef S2S_QUANT_H
#define S2S_QUANT_H

#include <stddef.h>

#include "s2s/base/common.h"
#include "s2s/model/model.h"
#include "s2s/nn/qmat.h"

typedef struct ModelQuant {
    Precision prec;
    QMat enc_x[MODEL_MAX_LAYERS], enc_h[MODEL_MAX_LAYERS]; /* the unidirectional encoder's */
    QMat dec_x[MODEL_MAX_LAYERS], dec_h[MODEL_MAX_LAYERS];
    QMat attn_a, attn_k, attn_c; /* attention: Wa^T, Wk^T, Wc (rows 0 where unused) */
    QMat out;                    /* the output layer's weights (Vt, model_out_input) */
} ModelQuant;

/* One matrix of a ModelQuant and the fp32 weights it is made from: w
 * (rows, cols) row-major, or with transpose, w^T of a (cols, rows) w. */
typedef struct {
    QMat *q;
    const float *w;
    int rows, cols, transpose;
} QuantSlot;
enum { QUANT_MAX_SLOTS = 4 * MODEL_MAX_LAYERS + 4 };

/* The decoder weights of m in precision p (PREC_FP32: views of m's own).
 * m must outlive q; m->quant is not set (the caller points it at q). */
int model_quant_init(ModelQuant *q, const Model *m, Precision p, S2sErr *err);
/* The same for a q whose matrices read from a model file are in place
 * (rows > 0): only the others are made from m's parameters. */
int model_quant_complete(ModelQuant *q, const Model *m, Precision p, S2sErr *err);
void model_quant_free(ModelQuant *q);
/* The matrices a model file in precision p stores as such (checkpoint.h),
 * in their order: slots[i] is made from tensor tensor[i] of m's table.
 * The embeddings stay fp32 (with tied embeddings, the output layer's
 * matrix is made from them at load). Returns their count. */
int model_quant_stored(const Model *m, ModelQuant *q, Precision p, QuantSlot *slots, int *tensor);
/* Bytes of the decoder weights as stored. */
size_t model_quant_bytes(const ModelQuant *q);
/* Bytes of weights one decoder step reads (the decoder stack, the
 * attention's, the output layer): m->quant's, else fp32's. */
size_t model_decoder_bytes(const Model *m);
/* Scratch for the products of a step over `rows` rows, or of the keys of
 * `mem_rows` encoder states. */
size_t model_quant_scratch(const Model *m, int rows, int mem_rows);

#endif
