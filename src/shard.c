#include "s2s/shard.h"

#include <stdlib.h>
#include <string.h>

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

/* Phase 1: slice i of the parameter block of shard 0's gradient becomes
 * the token-weighted sum of every shard's. */
static void combine_slice(Shards *s, int i)
{
    size_t np = s->m->nparams, lo = np * (size_t)i / (size_t)s->n;
    size_t hi = np * (size_t)(i + 1) / (size_t)s->n;
    float *g0 = s->shard[0].ws.grads;
    float w0 = (float)((double)s->shard[0].bt.tgt_tokens / (double)s->tokens);
    for (size_t k = lo; k < hi; k++)
        g0[k] *= w0;
    for (int j = 1; j < s->n; j++) {
        const Shard *h = &s->shard[j];
        if (h->npairs == 0)
            continue;
        float w = (float)((double)h->bt.tgt_tokens / (double)s->tokens);
        const float *g = h->ws.grads;
        for (size_t k = lo; k < hi; k++)
            g0[k] += w * g[k];
    }
}

static void do_part(Shards *s, int i)
{
    if (s->phase == 0)
        run_shard(s, i);
    else
        combine_slice(s, i);
}

typedef struct {
    Shards *s;
    int i;
} WorkerArg;

static void *worker(void *p)
{
    Shards *s = ((WorkerArg *)p)->s;
    int i = ((WorkerArg *)p)->i;
    free(p);
    long seen = 0;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->quit && s->job == seen)
            pthread_cond_wait(&s->go, &s->mu);
        if (s->quit)
            break;
        seen = s->job;
        pthread_mutex_unlock(&s->mu);
        do_part(s, i);
        pthread_mutex_lock(&s->mu);
        if (--s->pending == 0)
            pthread_cond_signal(&s->done);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* Runs part i of the current phase for every i: the caller does part 0,
 * the workers the rest. */
static void run_job(Shards *s)
{
    if (s->serial || s->n == 1) {
        for (int i = 0; i < s->n; i++)
            do_part(s, i);
        return;
    }
    pthread_mutex_lock(&s->mu);
    s->job++;
    s->pending = s->n - 1;
    pthread_cond_broadcast(&s->go);
    pthread_mutex_unlock(&s->mu);
    do_part(s, 0);
    pthread_mutex_lock(&s->mu);
    while (s->pending > 0)
        pthread_cond_wait(&s->done, &s->mu);
    pthread_mutex_unlock(&s->mu);
}

static int start_threads(Shards *s, S2sErr *err)
{
    s->threads = s2s_calloc((size_t)s->n, sizeof(pthread_t));
    if (!s->threads)
        return s2s_fail(err, S2S_ENOMEM, "out of memory for %d threads", s->n);
    for (int i = 1; i < s->n; i++) {
        WorkerArg *a = malloc(sizeof *a);
        if (!a)
            return s2s_fail(err, S2S_ENOMEM, "out of memory for %d threads", s->n);
        a->s = s, a->i = i;
        if (pthread_create(&s->threads[i - 1], NULL, worker, a)) {
            free(a);
            return s2s_fail(err, S2S_ENOMEM, "cannot start thread %d of %d", i + 1, s->n);
        }
        s->nthreads++;
    }
    return 0;
}

int shards_init(Shards *s, const Model *m, int n, int max_B, int max_src, int max_tgt,
                S2sErr *err)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->go, NULL);
    pthread_cond_init(&s->done, NULL);
    s->ready = 1;
    s->n = n < 1 ? 1 : n > max_B ? max_B : n;
    s->shard = s2s_calloc((size_t)s->n, sizeof(Shard));
    if (!s->shard) {
        shards_free(s);
        return s2s_fail(err, S2S_ENOMEM, "out of memory for %d shards", s->n);
    }
    int per = ceil_div(max_B, s->n), rc = 0;
    for (int i = 0; i < s->n && !rc; i++) {
        rc = batch_init(&s->shard[i].bt, per, max_src, max_tgt, err);
        if (!rc)
            rc = workspace_init(&s->shard[i].ws, m, per, max_src, max_tgt + 1, err);
    }
    if (!rc && s->n > 1)
        rc = start_threads(s, err);
    if (rc)
        shards_free(s);
    return rc;
}

void shards_free(Shards *s)
{
    if (!s->ready)
        return;
    pthread_mutex_lock(&s->mu);
    s->quit = 1;
    pthread_cond_broadcast(&s->go);
    pthread_mutex_unlock(&s->mu);
    for (int i = 0; i < s->nthreads; i++)
        pthread_join(s->threads[i], NULL);
    for (int i = 0; s->shard && i < s->n; i++) {
        batch_free(&s->shard[i].bt);
        workspace_free(&s->shard[i].ws);
    }
    free(s->shard);
    free(s->threads);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->go);
    pthread_cond_destroy(&s->done);
    memset(s, 0, sizeof *s);
}

double shards_run(Shards *s, const Model *m, const Corpus *c, const int *pairs, int npairs,
                  int reverse, int backward, float dropout, Rng *rng, long *tgt_tokens,
                  long *src_tokens, long *slots)
{
    s->m = m, s->c = c, s->reverse = reverse, s->backward = backward, s->dropout = dropout;
    for (int i = 0; i < s->n; i++) {
        Shard *h = &s->shard[i];
        int lo = (int)((long)npairs * i / s->n), hi = (int)((long)npairs * (i + 1) / s->n);
        h->pairs = pairs + lo, h->npairs = hi - lo;
    }
    for (int i = 1; i < s->n && rng; i++) /* before shard 0 draws from rng */
        rng_seed(&s->shard[i].rng, rng_u64(rng));
    if (rng)
        s->shard[0].rng = *rng;
    s->phase = 0;
    run_job(s);
    if (rng)
        *rng = s->shard[0].rng;
    double nll = 0;
    long tt = 0, st = 0, sl = 0;
    for (int i = 0; i < s->n; i++) {
        const Shard *h = &s->shard[i];
        if (h->npairs == 0)
            continue;
        nll += h->nll, tt += h->bt.tgt_tokens, st += h->bt.src_tokens;
        sl += (long)h->bt.B * (h->bt.src_len + h->bt.tgt_len);
    }
    s->tokens = tt;
    if (backward && s->n > 1 && tt > 0) {
        s->phase = 1;
        run_job(s);
    }
    if (tgt_tokens)
        *tgt_tokens = tt;
    if (src_tokens)
        *src_tokens = st;
    if (slots)
        *slots = sl;
    return nll;
}

float *shards_grads(Shards *s) { return s->shard[0].ws.grads; }
