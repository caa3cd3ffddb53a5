/* attention.h: global attention (Luong et al. 2015) for one decoder step,
 * the layer the attention architecture will run at every step of training
 * and decoding. Paired forward/backward over R rows; row r attends over the
 * memory of sentence r / K (K hypotheses per sentence share one copy of
 * their sentence's encoder states), masked to that sentence's length:
 *
 *   score  e_rs = h_r . m_s            (dot)
 *                 h_r^T Wa m_s         (general)
 *   a_r    = softmax over s < len of e_rs   (0 beyond the length)
 *   ctx_r  = sum_s a_rs m_s
 *   ht_r   = tanh(Wc [ctx_r; h_r])     (the attentional state)
 *
 * Shapes: h (R, H); mem (Ts, S, H) time-major, element (s, j) at
 * [(s * S + j) * H] (the top encoder layer's outputs); len (S); Wa (H, H);
 * Wc (H, 2H). Loops over rows and positions; a row's work is O(Ts * H).
 */
#ifndef S2S_ATTENTION_H
#define S2S_ATTENTION_H

typedef enum { ATTN_DOT = 0, ATTN_GENERAL } AttnScore;

const char *attn_score_name(AttnScore k);
int attn_score_from_name(const char *name, AttnScore *k);

/* What forward keeps for backward, owned by the caller. */
typedef struct {
    float *q;   /* (R, H) the query: h (dot) or h Wa (general) */
    float *a;   /* (R, Ts) attention weights */
    float *cat; /* (R, 2H) [ctx; h] */
    float *ht;  /* (R, H) out: the attentional state */
} AttnActs;

/* Scratch for backward, owned by the caller. */
typedef struct {
    float *dcat; /* (R, 2H) */
    float *dq;   /* (R, H) */
    float *da;   /* (Ts) */
} AttnScratch;

void attn_forward(AttnScore kind, AttnActs *x, const float *h, const float *mem, const int *len,
                  const float *Wa, const float *Wc, int R, int K, int S, int Ts, int H);
/* From dht (R, H), overwritten: ADDS into dh (R, H), dmem (Ts, S, H), dWa
 * (general) and dWc. */
void attn_backward(AttnScore kind, float *dh, float *dmem, float *dWa, float *dWc, float *dht,
                   const AttnActs *x, AttnScratch s, const float *h, const float *mem,
                   const int *len, const float *Wa, const float *Wc, int R, int K, int S, int Ts,
                   int H);

#endif
