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

/* Scores sentences first..first+S of c (translated in d) into sum. */
static int score_batch(const Decoder *d, const Tokenizer *tk, const Vocab *tv, const Corpus *c,
                       const RawLines *refs, int first, int S, BleuScratch *bs, BleuStats *sum,
                       S2sErr *err)
{
    TextBuf hyp = {0};
    int rc = 0;
    for (int s = 0; s < S && !rc; s++) {
        const int32_t *tok;
        int len, line = c->line_index[first + s];
        double score, lp;
        BleuStats st;
        hyp.len = 0;
        decode_hyp(d, s, 0, &tok, &len, &score, &lp);
        if (textbuf_append(&hyp, "", 0) || textbuf_append_words(&hyp, tk, tv, tok, len))
            rc = s2s_fail(err, S2S_ENOMEM, "out of memory");
        else if (line >= refs->n)
            rc = s2s_fail(err, S2S_EINVAL, "the validation references have fewer lines than the sources");
        else if (bleu_segment(bs, &sacrebleu_default, hyp.p, text_rstrip_utf8(hyp.p, hyp.len),
                              (const char *const *)&refs->lines[line], &refs->lens[line], 1, &st))
            rc = s2s_fail(err, S2S_ENOMEM, "out of memory");
        else
            bleu_stats_add(sum, &st);
    }
    textbuf_free(&hyp);
    return rc;
}

int evaluate_bleu(const Model *m, const Tokenizer *tk, const Vocab *tv, const Corpus *c,
                  const RawLines *refs, int beam, Decoder *d, double *bleu, S2sErr *err)
{
    DecodeOptions o = {.mode = beam > 1 ? DECODE_BEAM : DECODE_GREEDY, .beam = beam > 1 ? beam : 1,
                       .nbest = 1, .length_penalty = 0.6, .max_len_ratio = 2.0};
    const int32_t *src[EVAL_BATCH];
    int lens[EVAL_BATCH], rc;
    BleuScratch bs = {0};
    BleuStats sum = {0};
    BleuScore sc;
    rc = decoder_reserve(d, m, EVAL_BATCH, o.beam, c->max_src_len, decode_max_out(&o, c->max_src_len), err);
    for (int i = 0; !rc && i < c->npairs; i += EVAL_BATCH) {
        int S = c->npairs - i < EVAL_BATCH ? c->npairs - i : EVAL_BATCH;
        for (int s = 0; s < S; s++) {
            src[s] = c->src_ids + c->src_off[i + s];
            lens[s] = c->src_off[i + s + 1] - c->src_off[i + s];
        }
        decode_batch(d, m, &o, src, lens, S, NULL);
        rc = score_batch(d, tk, tv, c, refs, i, S, &bs, &sum, err);
    }
    bleu_scratch_free(&bs);
    if (rc)
        return rc;
    bleu_compute(&sum, &sacrebleu_default, &sc);
    *bleu = sc.score;
    return 0;
}
