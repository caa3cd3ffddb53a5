#include "s2s/train/evaluate.h"

#include <stdlib.h>
#include <string.h>

#include "s2s/base/text.h"
#include "s2s/metrics/bleu.h"
#include "s2s/metrics/chrf.h"
#include "s2s/text/textio.h"

enum { EVAL_BATCH = 32 };

static const BleuOptions sacrebleu_default = {.tok = BLEU_TOK_13A, .smooth = BLEU_SMOOTH_EXP,
                                              .smooth_value = -1};

int evaluate_init(Translator *tr, const Model *m, const Corpus *c, int beam, S2sErr *err)
{
    DecodeOptions o = decode_defaults();
    o.mode = beam > 1 ? DECODE_BEAM : DECODE_GREEDY, o.beam = beam > 1 ? beam : 1;
    Ensemble e;
    ensemble_one(&e, m);
    int rc = translator_init(tr, &e, &o, EVAL_BATCH, 1, c->max_src_len,
                             c->npairs > 0 ? c->npairs : 1, 0, err);
    tr->keep_order = 1; /* batches of consecutive pairs */
    return rc;
}

typedef struct {
    const Tokenizer *tk;
    const Vocab *tv;
    const Corpus *c;
    const RawLines *refs;
    FILE *out;
    int next_line;       /* the next line of the files to write */
    int chrf;
    BleuScratch bs;
    ChrfScratch cs;
    BleuStats sum;
    ChrfStats csum;
    TextBuf hyp;
    S2sErr *err;
} EvalRun;

static const ChrfOptions chrf_default = {.char_order = 6, .word_order = 0, .beta = 2};

/* Writes the translation of file line `line` (empty lines for skipped ones before it). */
static int write_line(EvalRun *e, int line)
{
    for (; e->next_line < line; e->next_line++)
        if (fputc('\n', e->out) == EOF)
            return -1;
    e->next_line = line + 1;
    return fwrite(e->hyp.p, 1, e->hyp.len, e->out) != e->hyp.len || fputc('\n', e->out) == EOF ? -1 : 0;
}

/* Sentence i's statistics into the sums. */
static int score_line(EvalRun *e, int line)
{
    BleuStats st;
    ChrfStats cst;
    const char *const *ref = (const char *const *)&e->refs->lines[line];
    size_t n = text_rstrip_utf8(e->hyp.p, e->hyp.len);
    if (line >= e->refs->n)
        return s2s_fail(e->err, S2S_EINVAL, "the validation references have fewer lines than the sources");
    if (bleu_segment(&e->bs, &sacrebleu_default, e->hyp.p, n, ref, &e->refs->lens[line], 1, &st) ||
        (e->chrf && chrf_segment(&e->cs, &chrf_default, e->hyp.p, n, ref, &e->refs->lens[line], 1, &cst)))
        return s2s_fail(e->err, S2S_ENOMEM, "out of memory");
    bleu_stats_add(&e->sum, &st);
    if (e->chrf)
        chrf_stats_add(&e->csum, &cst, chrf_default.char_order + chrf_default.word_order);
    return 0;
}

/* Translator callback: sentence i, written and scored. */
static int on_sentence(void *ctx, const Decoder *d, int s, int i)
{
    EvalRun *e = ctx;
    const int32_t *tok = NULL;
    int len = 0, line = e->c->line_index[i];
    double score, lp;
    e->hyp.len = 0;
    if (d)
        decode_hyp(d, s, 0, &tok, &len, &score, &lp);
    if (textbuf_append(&e->hyp, "", 0) || textbuf_append_words(&e->hyp, e->tk, e->tv, tok, len))
        return s2s_fail(e->err, S2S_ENOMEM, "out of memory");
    if (e->out && write_line(e, line))
        return s2s_fail(e->err, S2S_EIO, "the validation translations: write failed");
    return e->refs ? score_line(e, line) : 0;
}

int evaluate_translations(Translator *tr, const Tokenizer *tk, const Vocab *tv, const Corpus *c,
                          const RawLines *refs, FILE *out, double *bleu, double *chrf, S2sErr *err)
{
    EvalRun e = {.tk = tk, .tv = tv, .c = c, .refs = refs, .out = out, .chrf = chrf != NULL, .err = err};
    const int32_t **src = s2s_malloc(sizeof(int32_t *) * (size_t)c->npairs);
    int *lens = s2s_malloc(sizeof(int) * (size_t)c->npairs), rc = 0;
    BleuScore sc;
    if (!src || !lens)
        rc = s2s_fail(err, S2S_ENOMEM, "out of memory");
    for (int i = 0; !rc && i < c->npairs; i++) {
        src[i] = c->src_ids + c->src_off[i];
        lens[i] = c->src_off[i + 1] - c->src_off[i];
    }
    if (!rc && (rc = translator_run(tr, src, lens, c->npairs, on_sentence, NULL, &e)) ==
                   S2S_ENOMEM && tr->err.msg[0])
        *err = tr->err;
    if (!rc && refs) {
        bleu_compute(&e.sum, &sacrebleu_default, &sc);
        *bleu = sc.score;
        if (chrf)
            *chrf = chrf_compute(&e.csum, &chrf_default);
    }
    free(src);
    free(lens);
    bleu_scratch_free(&e.bs);
    chrf_scratch_free(&e.cs);
    textbuf_free(&e.hyp);
    return rc;
}
