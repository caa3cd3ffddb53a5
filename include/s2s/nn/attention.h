/* attention.h: global attention (Luong et al. 2015) for one decoder step,
 * the layer the attention architecture runs at every step of training and
 * decoding. Paired forward/backward over R rows; row r attends over the
 * memory of sentence r / K (K hypotheses per sentence share one copy of
 * their sentence's encoder states), masked to that sentence's length:
 *
 *   score  e_rs = h_r . m_s                       (dot)
 *                 h_r^T Wa m_s                    (general)
 *                 v . tanh(h_r Wa + m_s Wk)       (mlp: Bahdanau et al. 2015)
 *   a_r    = softmax over s < len of e_rs         (0 beyond the length)
 *   ctx_r  = sum_s a_rs m_s
 *   ht_r   = tanh(Wc [ctx_r; h_r])                (the attentional state)
 *
 * Shapes: h (R, H); mem (Ts, S, H) time-major, element (s, j) at
 * [(s * S + j) * H] (the top encoder layer's outputs); len (S); Wa, Wk
 * (H, H); v (H); Wc (H, 2H). mlp's keys m_s Wk are computed once per batch
 * (attn_keys), not per step. The scores (dot, general) and the contexts
 * of a sentence's rows are one product each with that sentence's memory
 * (strided, in place: no copy per row); mlp's scores go row by row.
 */
#ifndef S2S_ATTENTION_H
#define S2S_ATTENTION_H

#include "s2s/nn/qmat.h"

typedef enum { ATTN_DOT = 0, ATTN_GENERAL, ATTN_MLP } AttnScore;

const char *attn_score_name(AttnScore k);
int attn_score_from_name(const char *name, AttnScore *k);

typedef struct {
    const float *Wa, *Wk, *v, *Wc; /* Wa: general and mlp; Wk, v: mlp; NULL where unused */
    /* decoding in reduced precision (qmat.h): Wa^T, Wk^T and Wc as QMats
     * and the products' scratch; NULL: the fp32 weights, through BLAS */
    const QMat *qa, *qk, *qc;
    void *qbuf;
    int decoding; /* 1: the decoder step: the attentional state's tanh vectorised (act_tanh);
                     0: training, whose results libm's tanhf keeps as they were */
} AttnParams;

typedef struct {
    float *Wa, *Wk, *v, *Wc; /* gradients, mirroring AttnParams */
} AttnGrads;

/* The memory a batch attends over. */
typedef struct {
    const float *mem;  /* (Ts, S, H) */
    const float *keys; /* (Ts, S, H) mlp: mem Wk (attn_keys), else NULL */
    const int *len;    /* (S) */
    int S, Ts;
    const int *sent;   /* (R / K) the sentence of each block of K rows (decoding, when
                          finished sentences leave the batch); NULL: block j is sentence j */
} AttnMemory;

/* What forward keeps for backward, owned by the caller. */
typedef struct {
    float *q;   /* (R, H) the query: h (dot) or h Wa (general, mlp) */
    float *a;   /* (R, Ts) attention weights */
    float *cat; /* (R, 2H) [ctx; h] */
    float *ht;  /* (R, H) out: the attentional state */
} AttnActs;

/* Scratch for backward, owned by the caller. */
typedef struct {
    float *dcat; /* (R, 2H) */
    float *dq;   /* (R, H) */
    float *da;   /* (K, Ts): K = the rows per sentence */
} AttnScratch;

/* mlp: keys (N, H) = mem (N, H) Wk, for the N = Ts * S memory rows. */
void attn_keys(float *keys, const float *mem, AttnParams p, int N, int H);
/* ADDS the gradient of the keys, dkeys (N, H), into dmem (N, H) and g.Wk. */
void attn_keys_backward(float *dmem, AttnGrads g, const float *dkeys, const float *mem,
                        AttnParams p, int N, int H);

void attn_forward(AttnScore kind, AttnActs *x, const float *h, const AttnMemory *M,
                  AttnParams p, int R, int K, int H);
/* From dht (R, H), overwritten: ADDS into dh (R, H), dmem (Ts, S, H),
 * dkeys (Ts, S, H; mlp only, else NULL) and g. */
void attn_backward(AttnScore kind, float *dh, float *dmem, float *dkeys, AttnGrads g, float *dht,
                   const AttnActs *x, AttnScratch s, const float *h, const AttnMemory *M,
                   AttnParams p, int R, int K, int H);

#endif
