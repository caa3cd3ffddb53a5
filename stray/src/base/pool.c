#include "s2s/base/pool.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    Pool *p;
    int part;
} WorkerArg;

static void *worker(void *a)
{
    Pool *p = ((WorkerArg *)a)->p;
    int part = ((WorkerArg *)a)->part;
    free(a);
    long seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->quit && p->job == seen)
            pthread_cond_wait(&p->go, &p->mu);
        if (p->quit)
            break;
        seen = p->job;
        pthread_mutex_unlock(&p->mu);
        p->fn(p->arg, part);
        pthread_mutex_lock(&p->mu);
        if (--p->pending == 0)
            pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int pool_init(Pool *p, int n, S2sErr *err)
{
    memset(p, 0, sizeof *p);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->go, NULL);
    pthread_cond_init(&p->done, NULL);
    p->ready = 1;
    p->n = n < 1 ? 1 : n;
    if (p->n == 1)
        return 0;
    p->threads = s2s_calloc((size_t)p->n - 1, sizeof(pthread_t));
    if (!p->threads) {
        pool_free(p);
        return s2s_fail(err, S2S_ENOMEM, "out of memory for %d threads", n);
    }
    for (int i = 1; i < p->n; i++) {
        WorkerArg *a = malloc(sizeof *a);
        if (a)
            a->p = p, a->part = i;
        if (!a || pthread_create(&p->threads[i - 1], NULL, worker, a)) {
            free(a);
            pool_free(p);
            return s2s_fail(err, S2S_ENOMEM, "cannot start thread %d of %d", i + 1, n);
        }
        p->started++;
    }
    return 0;
}

void pool_run(Pool *p, PoolFn fn, void *arg)
{
    if (p->serial || p->n == 1) {
        for (int i = 0; i < p->n; i++)
            fn(arg, i);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->fn = fn, p->arg = arg;
    p->job++;
    p->pending = p->n - 1;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    fn(arg, 0);
    pthread_mutex_lock(&p->mu);
    while (p->pending > 0)
        pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

void pool_free(Pool *p)
{
    if (!p->ready)
        return;
    pthread_mutex_lock(&p->mu);
    p->quit = 1;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->started; i++)
        pthread_join(p->threads[i], NULL);
    free(p->threads);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->go);
    pthread_cond_destroy(&p->done);
    memset(p, 0, sizeof *p);
}
