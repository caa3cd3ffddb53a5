#include "s2s/train/shard.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "s2s/nn/optim.h"

static int ceil_div(int a, int b) { return (a + b - 1) / b; }

/* Phase 0: shard i's forward (and backward) over its pairs. */
static void run_shard(Shards *s, int i)
{
    Shard *h = &s->shard[i];
    h->nll = 0;
    if (h->npairs == 0)
        return;
    batch_fill_pairs(&h->bt, s->c, h->pairs, h->npairs, s->reverse);
    h->nll = s->backward ? model_forward_backward(s->m, &h->ws, &h->bt, s->dropout, &h->rng)
                         : model_forward(s->m, &h->ws, &h->bt, 0.0f, NULL);
}

int shards_live_ranges(const Shards *s, size_t lo, size_t hi, size_t *ranges)
{
    const Model *m = s->m;
    size_t end = model_sparse_end(m), E = (size_t)m->cfg.embed;
    int k = 0;
    if (!s->shard[0].ws.sparse || s->all_rows) {
        ranges[0] = 0, ranges[1] = hi - lo;
        return 1;
    }
    for (int i = 0; i < s->rows.n && lo < end; i++) { /* rows: ascending offsets */
        size_t a = model_row_offset(m, s->rows.rows[i]), b = a + E;
        if (b <= lo || a >= hi)
            continue;
        ranges[2 * k] = (a > lo ? a : lo) - lo, ranges[2 * k + 1] = (b < hi ? b : hi) - lo;
        k++;
    }
    if (hi > end) /* the dense part */
        ranges[2 * k] = (end > lo ? end : lo) - lo, ranges[2 * k + 1] = hi - lo, k++;
    return k;
}

size_t *shards_ranges_buf(Shards *s, int p) { return s->ranges + (size_t)p * 2 * (s->rows.cap + 2); }

/* Phase 1: slice i of the parameter block of shard 0's gradient becomes
 * the token-weighted sum of every shard's (an empty shard adds nothing:
 * its workspace holds an earlier batch's gradient), where any may be
 * non-zero. */
static void combine_slice(Shards *s, int i)
{
    size_t np = s->m->nparams, lo = np * (size_t)i / (size_t)s->n;
    size_t hi = np * (size_t)(i + 1) / (size_t)s->n, *r = shards_ranges_buf(s, i);
    int nr = shards_live_ranges(s, lo, hi, r);
    float *g0 = s->shard[0].ws.grads + lo;
    for (int q = 0; q < nr; q++) {
        size_t a = r[2 * q], b = r[2 * q + 1];
        if (s->shard[0].npairs == 0) {
            memset(g0 + a, 0, (b - a) * sizeof *g0);
        } else {
            float w0 = (float)((double)s->shard[0].bt.tgt_tokens / (double)s->tokens);
            for (size_t k = a; k < b; k++)
                g0[k] *= w0;
        }
        for (int j = 1; j < s->n; j++) {
            const Shard *h = &s->shard[j];
            if (h->npairs == 0)
                continue;
            float w = (float)((double)h->bt.tgt_tokens / (double)s->tokens);
            const float *g = h->ws.grads + lo;
            for (size_t k = a; k < b; k++)
                g0[k] += w * g[k];
        }
    }
    s->shard[i].sq = optim_sum_squares_ranges(g0, hi - lo, r, nr);
}

static void part(void *arg, int i)
{
    Shards *s = arg;
    if (s->phase == 0)
        run_shard(s, i);
    else
        combine_slice(s, i);
}

int shards_init(Shards *s, const Model *m, int n, int max_B, int max_src, int max_tgt,
                S2sErr *err)
{
    n = n < 1 ? 1 : n > max_B ? max_B : n;
    BatchCap cap = batch_cap(ceil_div(max_B, n), max_src, max_tgt);
    return shards_init_part(s, m, n, 0, n, &cap, err);
}

int shards_init_part(Shards *s, const Model *m, int n, int first, int total, const BatchCap *cap,
                     S2sErr *err)
{
    memset(s, 0, sizeof *s);
    S2S_INVARIANT(n >= 1 && first >= 0 && first + n <= total);
    s->n = n, s->first = first, s->total = total;
    s->shard = s2s_calloc((size_t)s->n, sizeof(Shard));
    if (!s->shard) {
        shards_free(s);
        return s2s_fail(err, S2S_ENOMEM, "out of memory for %d shards", s->n);
    }
    int rc = 0;
    for (int i = 0; i < s->n && !rc; i++) {
        rc = batch_init_cap(&s->shard[i].bt, cap, err);
        if (!rc)
            rc = workspace_init_cap(&s->shard[i].ws, m, cap, err);
    }
    /* the combined gradient (shard 0's) holds the rows of all */
    long all = (long)s->n * (cap->src_slots + cap->tgt_slots);
    if (!rc) {
        rowset_free(&s->shard[0].ws.rows);
        rc = rowset_init(&s->shard[0].ws.rows, model_sparse_rows(m), all, err);
    }
    if (!rc)
        rc = rowset_init(&s->rows, model_sparse_rows(m), all, err);
    if (!rc && !(s->ranges = s2s_malloc((size_t)s->n * 2 * (s->rows.cap + 2) * sizeof(size_t))))
        rc = s2s_fail(err, S2S_ENOMEM, "out of memory for %d shards", s->n);
    if (!rc)
        rc = pool_init(&s->pool, s->n, err);
    if (rc)
        shards_free(s);
    return rc;
}

void shards_free(Shards *s)
{
    pool_free(&s->pool);
    rowset_free(&s->rows);
    free(s->ranges);
    for (int i = 0; s->shard && i < s->n; i++) {
        batch_free(&s->shard[i].bt);
        workspace_free(&s->shard[i].ws);
    }
    free(s->shard);
    memset(s, 0, sizeof *s);
}

/* Global shard g's pairs are [npairs g / total, npairs (g + 1) / total);
 * shard g > 0 draws from the (g)-th of total - 1 seeds drawn from rng,
 * shard 0 from rng itself. */
static void assign(Shards *s, const int *pairs, int npairs, Rng *rng)
{
    for (int i = 0; i < s->n; i++) {
        Shard *h = &s->shard[i];
        long g = s->first + i;
        int lo = (int)((long)npairs * g / s->total), hi = (int)((long)npairs * (g + 1) / s->total);
        h->pairs = pairs + lo, h->npairs = hi - lo;
    }
    for (int g = 1; g < s->total && rng; g++) { /* before shard 0 draws from rng */
        uint64_t seed = rng_u64(rng);
        if (g >= s->first && g < s->first + s->n)
            rng_seed(&s->shard[g - s->first].rng, seed);
    }
    if (rng && s->first == 0)
        s->shard[0].rng = *rng;
}

double shards_compute(Shards *s, const Model *m, const Corpus *c, const int *pairs, int npairs,
                      int reverse, int backward, float dropout, Rng *rng, long *tgt_tokens,
                      long *src_tokens, long *slots)
{
    s->m = m, s->c = c, s->reverse = reverse, s->backward = backward, s->dropout = dropout;
    assign(s, pairs, npairs, rng);
    s->phase = 0;
    pool_run(&s->pool, part, s);
    if (rng && s->first == 0)
        *rng = s->shard[0].rng;
    double nll = 0;
    long tt = 0, st = 0, sl = 0;
    for (int i = 0; i < s->n; i++) {
        const Shard *h = &s->shard[i];
        s->shard[i].sq = 0;
        if (h->npairs == 0)
            continue;
        nll += h->nll, tt += h->bt.tgt_tokens, st += h->bt.src_tokens;
        sl += (long)h->bt.B * (h->bt.src_len + h->bt.tgt_len);
    }
    s->tokens = tt;
    if (tgt_tokens)
        *tgt_tokens = tt;
    if (src_tokens)
        *src_tokens = st;
    if (slots)
        *slots = sl;
    return nll;
}

/* The rows any shard touched, into s->rows and (the combined gradient
 * will hold them) shard 0's list. An empty shard 0 still holds an earlier
 * combined gradient in the rows of its list: those are zeroed first. */
static void gather_rows(Shards *s)
{
    Shard *h0 = &s->shard[0];
    RowSet *r0 = &h0->ws.rows;
    if (h0->npairs == 0 && h0->ws.sparse && !s->all_rows) {
        size_t E = (size_t)s->m->cfg.embed;
        for (int k = 0; k < r0->n; k++)
            memset(h0->ws.grads + model_row_offset(s->m, r0->rows[k]), 0, E * sizeof(float));
    }
    rowset_clear(&s->rows);
    for (int i = 0; i < s->n; i++)
        if (s->shard[i].npairs > 0)
            rowset_add_set(&s->rows, &s->shard[i].ws.rows);
    rowset_sort(&s->rows);
    rowset_clear(r0);
    rowset_add_set(r0, &s->rows);
}

void shards_combine(Shards *s, long tokens)
{
    /* an empty shard 0 whose block was filled from elsewhere: any row */
    s->all_rows = s->shard[0].ws.all_rows;
    gather_rows(s);
    /* one shard with all of the batch: its gradient is the batch's */
    if (s->n == 1 && s->shard[0].npairs > 0 && s->shard[0].bt.tgt_tokens == tokens)
        return;
    s->tokens = tokens;
    s->phase = 1;
    pool_run(&s->pool, part, s);
}

void shards_grads_filled(Shards *s)
{
    s->all_rows = 1;
    s->shard[0].ws.all_rows = 1;
}

void shards_set_sparse(Shards *s, int on)
{
    for (int i = 0; i < s->n; i++)
        s->shard[i].ws.sparse = on, s->shard[i].ws.all_rows = 1;
}

double shards_run(Shards *s, const Model *m, const Corpus *c, const int *pairs, int npairs,
                  int reverse, int backward, float dropout, Rng *rng, long *tgt_tokens,
                  long *src_tokens, long *slots)
{
    S2S_INVARIANT(s->first == 0 && s->total == s->n);
    long tt = 0;
    double nll = shards_compute(s, m, c, pairs, npairs, reverse, backward, dropout, rng, &tt,
                                src_tokens, slots);
    if (backward && tt > 0)
        shards_combine(s, tt);
    if (tgt_tokens)
        *tgt_tokens = tt;
    return nll;
}

float *shards_grads(Shards *s) { return s->shard[0].ws.grads; }

double shards_grad_norm(Shards *s)
{
    if (s->n == 1) {
        size_t *r = shards_ranges_buf(s, 0);
        int nr = shards_live_ranges(s, 0, s->m->nparams, r);
        return sqrt(optim_sum_squares_ranges(s->shard[0].ws.grads, s->m->nparams, r, nr));
    }
    double sq = 0;
    for (int i = 0; i < s->n; i++)
        sq += s->shard[i].sq;
    return sqrt(sq);
}
