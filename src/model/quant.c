/* A model's decoder weights in reduced precision (quant.h). */
#include "s2s/model/quant.h"

#include <string.h>

static int max_int(int a, int b) { return a > b ? a : b; }

int model_quant_init(ModelQuant *q, const Model *m, Precision p, S2sErr *err)
{
    const ModelConfig *c = &m->cfg;
    int H = c->hidden, G = cell_gates(c->cell), X0 = model_dec_input(c), F = model_out_input(c);
    int rc = 0, fp = p == PREC_FP32;
    memset(q, 0, sizeof *q);
    q->prec = p;
    for (int l = 0; !rc && !c->bidir && l < c->layers; l++) { /* bienc.h's stays fp32 */
        int X = l ? H : c->embed;
        rc = qmat_init(&q->enc_x[l], p, m->w.enc[l].Wx, G * H, X, X, 0, err);
        if (!rc)
            rc = qmat_init(&q->enc_h[l], p, m->w.enc[l].Wh, G * H, H, H, 0, err);
    }
    for (int l = 0; !rc && l < c->layers; l++) {
        int X = l ? H : X0;
        rc = qmat_init(&q->dec_x[l], p, m->w.dec[l].Wx, G * H, X, X, 0, err);
        if (!rc)
            rc = qmat_init(&q->dec_h[l], p, m->w.dec[l].Wh, G * H, H, H, 0, err);
    }
    /* Wa and Wk multiply as x A: stored as A^T (fp32: not used, BLAS reads A) */
    if (!rc && model_attends(c) && m->w.attn_Wa && !fp)
        rc = qmat_init(&q->attn_a, p, m->w.attn_Wa, H, H, H, 1, err);
    if (!rc && model_attends(c) && m->w.attn_Wk && !fp)
        rc = qmat_init(&q->attn_k, p, m->w.attn_Wk, H, H, H, 1, err);
    if (!rc && model_attends(c))
        rc = qmat_init(&q->attn_c, p, m->w.attn_Wc, H, 2 * H, 2 * H, 0, err);
    if (!rc)
        rc = qmat_init(&q->out, p, m->w.out_W, c->tgt_vocab, F, F, 0, err);
    if (rc)
        model_quant_free(q);
    return rc;
}

void model_quant_free(ModelQuant *q)
{
    for (int l = 0; l < MODEL_MAX_LAYERS; l++) {
        qmat_free(&q->enc_x[l]);
        qmat_free(&q->enc_h[l]);
        qmat_free(&q->dec_x[l]);
        qmat_free(&q->dec_h[l]);
    }
    qmat_free(&q->attn_a);
    qmat_free(&q->attn_k);
    qmat_free(&q->attn_c);
    qmat_free(&q->out);
}

size_t model_quant_bytes(const ModelQuant *q)
{
    size_t n = qmat_bytes(&q->attn_a) + qmat_bytes(&q->attn_k) + qmat_bytes(&q->attn_c) +
               qmat_bytes(&q->out);
    for (int l = 0; l < MODEL_MAX_LAYERS; l++)
        n += qmat_bytes(&q->dec_x[l]) + qmat_bytes(&q->dec_h[l]);
    return n;
}

size_t model_quant_scratch(const Model *m, int rows, int mem_rows)
{
    const ModelConfig *c = &m->cfg;
    if (!m->quant)
        return 0;
    int K = max_int(max_int(model_dec_input(c), model_out_input(c)), 2 * c->hidden);
    return qmat_scratch_bytes(m->quant->prec, max_int(rows, mem_rows), K);
}

size_t model_decoder_bytes(const Model *m)
{
    if (m->quant)
        return model_quant_bytes(m->quant);
    const ModelConfig *c = &m->cfg;
    size_t H = (size_t)c->hidden, G = (size_t)cell_gates(c->cell), n = 0;
    for (int l = 0; l < c->layers; l++)
        n += G * H * ((l ? H : (size_t)model_dec_input(c)) + H);
    if (model_attends(c))
        n += H * H * ((c->attn != ATTN_DOT) + (c->attn == ATTN_MLP)) + 2 * H * H;
    return (n + (size_t)c->tgt_vocab * model_out_input(c)) * sizeof(float);
}
