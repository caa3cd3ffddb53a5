/* rescore.c: rescoring an n-best list with a model or an ensemble
 * (rescore.h). Reads the list a chunk of whole sentences at a time, scores
 * each hypothesis given its source line, and writes the list in the same
 * order. */
#include "s2s/decode/rescore.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s2s/base/utf8.h"
#include "s2s/decode/translator.h"
#include "s2s/text/nbest.h"
#include "s2s/text/textio.h"

#define CHUNK 4096 /* hypotheses scored together; also the most one sentence may have */

typedef struct {
    const RescoreOptions *a;
    const Checkpoint *ck;  /* the members; ck[0]'s tokenizer and target vocabulary */
    const Ensemble *e;
    Translator tr;
    LineReader src, list;
    TextBuf text;          /* the chunk's lines, back to back */
    NbestEntry ent[CHUNK];
    int n;
    IdBuf cur[ENSEMBLE_MAX]; /* each member's ids of the current source line */
    long cur_id, cur_ntok; /* its index (-1: none yet) and token count */
    IdBuf sids[ENSEMBLE_MAX], tids;
    size_t soff[CHUNK + 1], toff[CHUNK + 1];
    const int32_t *srcp[ENSEMBLE_MAX * CHUNK], *tgtp[CHUNK];
    int sl[CHUNK], tl[CHUNK];
    double lp[CHUNK];
    long printed;          /* --1best: source lines answered */
} Rescorer;

/* Reads source lines up to index id into cur (each member's ids). */
static int source_line(Rescorer *r, const NbestEntry *e, S2sErr *err)
{
    while (r->cur_id < e->id) {
        int rc = linereader_next(&r->src, err);
        if (rc < 0)
            return rc;
        if (rc == 0)
            return s2s_fail(err, S2S_EFORMAT, "%s:%ld: sentence index %ld, but %s has %ld lines",
                            r->list.name, e->lineno, e->id, r->src.name, r->cur_id + 1);
        r->cur_id++;
    }
    long bad = utf8_invalid_offset(r->src.line, r->src.len);
    if (bad >= 0)
        return s2s_fail(err, S2S_EFORMAT, "%s:%ld: invalid UTF-8 at byte %ld", r->src.name,
                        r->src.lineno, bad);
    IdBuf *ids[ENSEMBLE_MAX];
    for (int k = 0; k < r->e->n; k++)
        r->cur[k].len = 0, ids[k] = &r->cur[k];
    r->cur_ntok = ensemble_source_ids(ids, r->ck, r->e->n, r->src.line, r->src.len, 0, err);
    return r->cur_ntok < 0 ? linereader_wrap(&r->src, (int)r->cur_ntok, err) : 0;
}

/* Entry i's source ids (every member's) and target ids. */
static int entry_ids(Rescorer *r, int i, long *src_seen, S2sErr *err)
{
    const NbestEntry *e = &r->ent[i];
    int rc = 0;
    if (e->id != *src_seen && (rc = source_line(r, e, err)))
        return rc;
    *src_seen = e->id;
    for (int k = 0; k < r->e->n && !rc; k++)
        rc = idbuf_append(&r->sids[k], r->cur[k].ids, r->cur[k].len, err);
    const char *hyp = r->text.p + e->hyp;
    long bad = utf8_invalid_offset(hyp, e->hyp_len), n = 0;
    if (!rc && bad >= 0)
        rc = s2s_fail(err, S2S_EFORMAT, "%s:%ld: invalid UTF-8 in the hypothesis", r->list.name,
                      e->lineno);
    if (!rc && (n = textio_append_ids(&r->tids, &r->ck[0].tm.tokenizer, &r->ck[0].tm.tgt_vocab, hyp,
                                      e->hyp_len, 0, err)) < 0) {
        char where[sizeof err->msg];
        snprintf(where, sizeof where, "%s:%ld: the hypothesis", r->list.name, e->lineno);
        rc = s2s_wrap(err, (int)n, where);
    }
    r->soff[i + 1] = r->sids[0].len, r->toff[i + 1] = r->tids.len;
    return rc;
}

/* Scores entries [0, m): each one's feature. */
static int score_entries(Rescorer *r, int m, S2sErr *err)
{
    long seen = -1;
    int rc = 0;
    for (int k = 0; k < r->e->n; k++)
        r->sids[k].len = 0;
    r->tids.len = 0, r->soff[0] = r->toff[0] = 0;
    for (int i = 0; i < m && !rc; i++)
        rc = entry_ids(r, i, &seen, err);
    for (int i = 0; i < m && !rc; i++) {
        for (int k = 0; k < r->e->n; k++)
            r->srcp[(size_t)k * m + i] = r->sids[k].ids + r->soff[i];
        r->sl[i] = (int)(r->soff[i + 1] - r->soff[i]);
        r->tgtp[i] = r->tids.ids + r->toff[i], r->tl[i] = (int)(r->toff[i + 1] - r->toff[i]);
    }
    if (!rc)
        rc = translator_score(&r->tr, r->srcp, r->sl, r->tgtp, r->tl, m, r->lp, err);
    for (int i = 0; !rc && i < m; i++)
        r->ent[i].feature = r->lp[i];
    return rc;
}

static int print_entry(const Rescorer *r, const NbestEntry *e)
{
    const char *t = r->text.p;
    FILE *f = r->a->out;
    int rc = fprintf(f, "%ld ||| %.*s ||| %.*s%s%s= %.6f ||| ", e->id, (int)e->hyp_len, t + e->hyp,
                    (int)e->feat_len, t + e->feat, e->feat_len ? " " : "", r->a->feature,
                    e->feature);
    if (rc >= 0 && r->a->has_rerank)
        rc = fprintf(f, "%.6f", e->key);
    else if (rc >= 0)
        rc = fprintf(f, "%.*s", (int)e->total_len, t + e->total);
    if (rc >= 0 && e->has_rest)
        rc = fprintf(f, " ||| %.*s", (int)e->rest_len, t + e->rest);
    return rc < 0 || putc('\n', f) == EOF ? -1 : 0;
}

/* --1best: empty lines for the source lines before index id. */
static int print_empty_until(Rescorer *r, long id)
{
    for (; r->printed < id; r->printed++)
        if (putc('\n', r->a->out) == EOF)
            return -1;
    return 0;
}

/* Prints sentence group e[0..n) (re-ranked first with --rerank). */
static int print_group(Rescorer *r, NbestEntry *e, int n)
{
    if (r->a->has_rerank)
        nbest_rerank(e, n, r->a->rerank);
    if (!r->a->one_best) {
        for (int i = 0; i < n; i++)
            if (print_entry(r, &e[i]))
                return -1;
        return 0;
    }
    int best = 0;
    for (int i = 1; !r->a->has_rerank && i < n; i++)
        if (e[i].total_value > e[best].total_value)
            best = i;
    if (print_empty_until(r, e[0].id))
        return -1;
    r->printed++;
    return fprintf(r->a->out, "%.*s\n", (int)e[best].hyp_len, r->text.p + e[best].hyp) < 0 ? -1
                                                                                         : 0;
}

static int write_failed(const Rescorer *r, S2sErr *err)
{
    int e = errno;
    return s2s_fail(err, S2S_EIO, "%s: write failed%s%s", r->a->out_name, e > 0 ? ": " : "",
                    e > 0 ? strerror(e) : "");
}

/* Scores and prints entries [0, m), whole sentences. */
static int flush_entries(Rescorer *r, int m, S2sErr *err)
{
    int rc = score_entries(r, m, err);
    for (int i = 0, j; !rc && i < m; i = j) {
        for (j = i + 1; j < m && r->ent[j].id == r->ent[i].id; j++)
            ;
        if (print_group(r, r->ent + i, j - i))
            rc = write_failed(r, err);
    }
    return rc;
}

/* Moves entries [from, n) and their text to the front. */
static void keep_tail(Rescorer *r, int from)
{
    size_t cut = from < r->n ? r->ent[from].line : r->text.len;
    memmove(r->text.p, r->text.p + cut, r->text.len - cut);
    r->text.len -= cut;
    for (int i = from; i < r->n; i++) {
        NbestEntry *e = &r->ent[i - from];
        *e = r->ent[i];
        e->line -= cut, e->hyp -= cut, e->feat -= cut, e->total -= cut, e->rest -= cut;
    }
    r->n -= from;
}

/* Appends the list's next line as an entry: 1, 0 at the end, or < 0. */
static int read_entry(Rescorer *r, S2sErr *err)
{
    int rc = linereader_next(&r->list, err);
    if (rc <= 0)
        return rc;
    NbestEntry *e = &r->ent[r->n];
    size_t base = r->text.len;
    if (textbuf_append(&r->text, r->list.line, r->list.len))
        return s2s_fail(err, S2S_ENOMEM, "out of memory");
    if (nbest_parse(r->text.p + base, r->list.len, base, e, err))
        return linereader_wrap(&r->list, S2S_EFORMAT, err);
    e->line = base, e->lineno = r->list.lineno;
    if (r->n > 0 && e->id < r->ent[r->n - 1].id)
        return s2s_fail(err, S2S_EFORMAT, "%s:%ld: sentence index %ld after %ld: a sentence's "
                        "hypotheses must be together, in increasing order", r->list.name,
                        e->lineno, e->id, r->ent[r->n - 1].id);
    r->n++;
    return 1;
}

static int rescore_all(Rescorer *r, S2sErr *err)
{
    int rc = 0, more = 1;
    while (!rc && more) {
        while (r->n < CHUNK && (rc = read_entry(r, err)) == 1)
            ;
        if (rc < 0)
            return rc;
        more = rc == 1, rc = 0;
        int m = r->n; /* whole sentences: the last one may go on in the next chunk */
        while (more && m > 0 && r->ent[m - 1].id == r->ent[r->n - 1].id)
            m--;
        if (more && m == 0)
            return s2s_fail(err, S2S_EFORMAT, "%s:%ld: sentence %ld has more than %d hypotheses",
                            r->list.name, r->list.lineno, r->ent[0].id, CHUNK);
        rc = flush_entries(r, m, err);
        keep_tail(r, m);
    }
    if (!rc && r->a->one_best) { /* the source lines after the list's last sentence */
        if (print_empty_until(r, r->cur_id + 1))
            return write_failed(r, err);
        while ((rc = linereader_next(&r->src, err)) == 1)
            if (putc('\n', r->a->out) == EOF)
                return write_failed(r, err);
    }
    return rc < 0 ? rc : 0;
}

int rescore_run(const RescoreOptions *a, const Checkpoint *ck, const Ensemble *e, S2sErr *err)
{
    Rescorer *r = calloc(1, sizeof *r);
    if (!r)
        return s2s_fail(err, S2S_ENOMEM, "out of memory");
    r->a = a, r->ck = ck, r->e = e, r->cur_id = -1;
    DecodeOptions o = {.mode = DECODE_GREEDY, .beam = 1, .nbest = 1, .max_len_ratio = 1,
                       .shortlist = a->shortlist};
    int rc = linereader_open(&r->src, a->src, err);
    if (!rc)
        rc = linereader_open(&r->list, a->nbest, err);
    r->src.max_line = r->list.max_line = a->max_line;
    if (!rc)
        rc = translator_init(&r->tr, e, &o, (int)a->batch, 1, 1, CHUNK, 0, err);
    if (!rc)
        rc = rescore_all(r, err);
    linereader_close(&r->src);
    linereader_close(&r->list);
    translator_free(&r->tr);
    for (int k = 0; k < ENSEMBLE_MAX; k++)
        idbuf_free(&r->cur[k]);
    idbuf_free(&r->tids);
    for (int k = 0; k < ENSEMBLE_MAX; k++)
        idbuf_free(&r->sids[k]);
    textbuf_free(&r->text);
    free(r);
    return rc;
}
