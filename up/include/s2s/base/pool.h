/* pool.h: a fixed set of worker threads that run one job at a time: part i
 * of n (0 <= i < n) on thread i, part 0 on the caller's thread. Used to
 * train shards of a batch (shard.h) and to decode parts of a batch of
 * sentences (cli_translate.c) side by side, each part with single-threaded
 * BLAS. Waking the workers costs a condition variable broadcast per job.
 *
 * pool_free is safe on a zeroed Pool; a Pool must not move once started
 * (its threads hold its address). */
#ifndef S2S_POOL_H
#define S2S_POOL_H

#include <pthread.h>

#include "s2s/base/common.h"

typedef void (*PoolFn)(void *arg, int part);

typedef struct {
    int n;              /* parts per job: the caller + n - 1 workers */
    pthread_t *threads; /* (n - 1) */
    int started;
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    long job;           /* incremented per job */
    int pending;        /* workers still on the current job */
    int quit, ready;
    int serial;         /* 1: run the parts one after another on the caller (tests) */
    PoolFn fn;
    void *arg;
} Pool;

/* n >= 1 (1: no threads, everything on the caller). */
int pool_init(Pool *p, int n, S2sErr *err);
/* fn(arg, i) for every i in [0, n); returns when all have returned. */
void pool_run(Pool *p, PoolFn fn, void *arg);
void pool_free(Pool *p);

#endif
