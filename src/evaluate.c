#include "s2s/evaluate.h"

#include <stdlib.h>
#include <string.h>

#include "s2s/bleu.h"
#include "s2s/text.h"
#include "s2s/textio.h"

int raw_lines_read(RawLines *r, const char *path, long max_line, S2sErr *err)
{
    LineReader in;
    int rc = linereader_open(&in, path, err), cap = 0;
    in.max_line = max_line;
    memset(r, 0, sizeof *r);
    while (!rc && (rc = linereader_next(&in, err)) == 1) {
        if (r->n == cap) {
            cap = cap ? 2 * cap : 1024;
            char **l = realloc(r->lines, sizeof(char *) * (size_t)cap);
            size_t *n = realloc(r->lens, sizeof(size_t) * (size_t)cap);
            if (l)
                r->lines = l;
            if (n)
                r->lens = n;
            if (!l || !n) {
                rc = s2s_fail(err, S2S_ENOMEM, "%s: out of memory", path);
                break;
            }
        }
        if (!(r->lines[r->n] = strdup(in.line))) {
            rc = s2s_fail(err, S2S_ENOMEM, "%s: out of memory", path);
            break;
        }
        r->lens[r->n++] = text_rstrip_utf8(in.line, in.len);
        rc = 0;
    }
    linereader_close(&in);
    if (rc)
        raw_lines_free(r);
    return rc;
}

void raw_lines_free(RawLines *r)
{
    for (int i = 0; i < r->n; i++)
        free(r->lines[i]);
    free(r->lines);
    free(r->lens);
    memset(r, 0, sizeof *r);
}

enum { EVAL_BATCH = 32 };

static const BleuOptions sacrebleu_default = {.tok = BLEU_TOK_13A, .smooth = BLEU_SMOOTH_EXP,
                                              .smooth_value = -1};

int evaluate_init(Translator *tr, const Model *m, const Corpus *c, int beam, S2sErr *err)
{
    DecodeOptions o = {.mode = beam > 1 ? DECODE_BEAM : DECODE_GREEDY, .beam = beam > 1 ? beam : 1,
                       .nbest = 1, .length_penalty = 0.6, .max_len_ratio = 2.0};
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
    BleuScratch bs;
    BleuStats sum;
    TextBuf hyp;
    S2sErr *err;
} EvalRun;

/* Translator callback: sentence i's BLEU statistics into the sum. */
static int score_sentence(void *ctx, const Decoder *d, int s, int i)
{
    EvalRun *e = ctx;
    const int32_t *tok = NULL;
    int len = 0, line = e->c->line_index[i];
    double score, lp;
    BleuStats st;
    e->hyp.len = 0;
    if (d)
        decode_hyp(d, s, 0, &tok, &len, &score, &lp);
    if (textbuf_append(&e->hyp, "", 0) ||
        textbuf_append_words(&e->hyp, e->tk, e->tv, tok, len))
        return s2s_fail(e->err, S2S_ENOMEM, "out of memory");
    if (line >= e->refs->n)
        return s2s_fail(e->err, S2S_EINVAL, "the validation references have fewer lines than the sources");
    if (bleu_segment(&e->bs, &sacrebleu_default, e->hyp.p, text_rstrip_utf8(e->hyp.p, e->hyp.len),
                     (const char *const *)&e->refs->lines[line], &e->refs->lens[line], 1, &st))
        return s2s_fail(e->err, S2S_ENOMEM, "out of memory");
    bleu_stats_add(&e->sum, &st);
    return 0;
}

int evaluate_bleu(Translator *tr, const Tokenizer *tk, const Vocab *tv, const Corpus *c,
                  const RawLines *refs, double *bleu, S2sErr *err)
{
    EvalRun e = {.tk = tk, .tv = tv, .c = c, .refs = refs, .err = err};
    const int32_t **src = s2s_malloc(sizeof(int32_t *) * (size_t)c->npairs);
    int *lens = s2s_malloc(sizeof(int) * (size_t)c->npairs), rc = 0;
    BleuScore sc;
    if (!src || !lens)
        rc = s2s_fail(err, S2S_ENOMEM, "out of memory");
    for (int i = 0; !rc && i < c->npairs; i++) {
        src[i] = c->src_ids + c->src_off[i];
        lens[i] = c->src_off[i + 1] - c->src_off[i];
    }
    if (!rc)
        rc = translator_run(tr, src, lens, c->npairs, score_sentence, NULL, &e);
    if (!rc) {
        bleu_compute(&e.sum, &sacrebleu_default, &sc);
        *bleu = sc.score;
    }
    free(src);
    free(lens);
    bleu_scratch_free(&e.bs);
    textbuf_free(&e.hyp);
    return rc;
}
