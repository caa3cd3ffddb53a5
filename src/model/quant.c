/* A model's decoder weights in reduced precision (quant.h). */
#include "s2s/model/quant.h"

#include <string.h>

static int max_int(int a, int b) { return a > b ? a : b; }

/* Every matrix of q for precision p, each with the fp32 weights it is
 * made from: w (rows, cols), or with transpose w^T of a (cols, rows) w. */
static int slots(const Model *m, ModelQuant *q, Precision p, QuantSlot *s)
{
    const ModelConfig *c = &m->cfg;
    int H = c->hidden, G = cell_gates(c->cell), X0 = model_dec_input(c), F = model_out_input(c);
    int n = 0;
    for (int l = 0; !c->bidir && l < c->layers; l++) { /* bienc.h's stays fp32 */
        int X = l ? H : c->embed;
        s[n++] = (QuantSlot){&q->enc_x[l], m->w.enc[l].Wx, G * H, X, 0};
        s[n++] = (QuantSlot){&q->enc_h[l], m->w.enc[l].Wh, G * H, H, 0};
    }
    for (int l = 0; l < c->layers; l++) {
        int X = l ? H : X0;
        s[n++] = (QuantSlot){&q->dec_x[l], m->w.dec[l].Wx, G * H, X, 0};
        s[n++] = (QuantSlot){&q->dec_h[l], m->w.dec[l].Wh, G * H, H, 0};
    }
    /* Wa and Wk multiply as x A: stored as A^T (fp32: not used, BLAS reads A) */
    if (model_attends(c) && m->w.attn_Wa && p != PREC_FP32)
        s[n++] = (QuantSlot){&q->attn_a, m->w.attn_Wa, H, H, 1};
    if (model_attends(c) && m->w.attn_Wk && p != PREC_FP32)
        s[n++] = (QuantSlot){&q->attn_k, m->w.attn_Wk, H, H, 1};
    if (model_attends(c))
        s[n++] = (QuantSlot){&q->attn_c, m->w.attn_Wc, H, 2 * H, 0};
    s[n++] = (QuantSlot){&q->out, m->w.out_W, c->tgt_vocab, F, 0};
    return n;
}

int model_quant_init(ModelQuant *q, const Model *m, Precision p, S2sErr *err)
{
    memset(q, 0, sizeof *q);
    return model_quant_complete(q, m, p, err);
}

int model_quant_complete(ModelQuant *q, const Model *m, Precision p, S2sErr *err)
{
    QuantSlot s[QUANT_MAX_SLOTS];
    int n = slots(m, q, p, s), rc = 0;
    q->prec = p;
    for (int i = 0; !rc && i < n; i++)
        if (!s[i].q->rows) /* not read from a file already */
            rc = qmat_init(s[i].q, p, s[i].w, s[i].rows, s[i].cols, s[i].transpose ? s[i].rows : s[i].cols,
                           s[i].transpose, err);
    if (rc)
        model_quant_free(q);
    return rc;
}

int model_quant_stored(const Model *m, ModelQuant *q, Precision p, QuantSlot *out, int *tensor)
{
    QuantSlot s[QUANT_MAX_SLOTS];
    int n = slots(m, q, p, s), k = 0;
    for (int i = 0; i < n; i++)
        for (int t = 0; t < m->ntensors; t++)
            if (m->params + m->tensors[t].offset == s[i].w && strcmp(m->tensors[t].name, "src_embed") &&
                strcmp(m->tensors[t].name, "tgt_embed")) {
                out[k] = s[i], tensor[k++] = t;
                break;
            }
    return k;
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
