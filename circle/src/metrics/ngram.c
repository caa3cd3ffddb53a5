#include "s2s/metrics/ngram.h"

#include <stdlib.h>
#include <string.h>

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

int ngram_reset(NgramTable *t, size_t n)
{
    for (size_t i = 0; i < t->nused; i++)
        t->slots[t->used[i]].key = NULL;
    t->nused = 0;
    size_t cap = 64;
    while (cap < 2 * n + 2)
        cap *= 2;
    if (cap <= t->cap)
        return 0;
    NgramEntry *slots = calloc(cap, sizeof *slots);
    size_t *used = malloc(cap * sizeof *used);
    if (!slots || !used) {
        free(slots);
        free(used);
        return -1;
    }
    free(t->slots);
    free(t->used);
    t->slots = slots, t->used = used, t->cap = cap;
    return 0;
}

void ngram_free(NgramTable *t)
{
    free(t->slots);
    free(t->used);
    memset(t, 0, sizeof *t);
}

static uint64_t step(uint64_t h, uint32_t u)
{
    return (h ^ u) * FNV_PRIME;
}

static uint64_t finish(uint64_t h, int n)
{
    h ^= (uint64_t)n * 0x9e3779b97f4a7c15ULL;
    h ^= h >> 29;
    return h * 0xbf58476d1ce4e5b9ULL;
}

uint64_t ngram_hash(const uint32_t *key, int n)
{
    uint64_t h = FNV_OFFSET;
    for (int i = 0; i < n; i++)
        h = step(h, key[i]);
    return finish(h, n);
}

static int same_key(const uint32_t *a, const uint32_t *b, int n)
{
    for (int i = 0; i < n; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

static size_t probe(const NgramTable *t, const uint32_t *key, int n, uint64_t hash)
{
    size_t mask = t->cap - 1, i = (size_t)hash & mask;
    for (;; i = (i + 1) & mask) {
        const NgramEntry *e = &t->slots[i];
        if (!e->key || (e->hash == hash && e->n == n && same_key(e->key, key, n)))
            return i;
    }
}

NgramEntry *ngram_find(const NgramTable *t, const uint32_t *key, int n, uint64_t hash)
{
    if (t->cap == 0)
        return NULL;
    NgramEntry *e = &t->slots[probe(t, key, n, hash)];
    return e->key ? e : NULL;
}

NgramEntry *ngram_get(NgramTable *t, const uint32_t *key, int n, uint64_t hash)
{
    size_t i = probe(t, key, n, hash);
    NgramEntry *e = &t->slots[i];
    if (!e->key) {
        *e = (NgramEntry){key, hash, n, 0};
        t->used[t->nused++] = i;
    }
    return e;
}

void ngram_count(NgramTable *t, const uint32_t *seq, size_t len, int lo, int hi)
{
    for (size_t i = 0; i < len; i++) {
        uint64_t h = FNV_OFFSET;
        for (int n = 1; n <= hi && i + (size_t)n <= len; n++) {
            h = step(h, seq[i + (size_t)n - 1]);
            if (n >= lo)
                ngram_get(t, seq + i, n, finish(h, n))->count++;
        }
    }
}

size_t ngram_bound(size_t len, int lo, int hi)
{
    size_t total = 0;
    for (int n = lo; n <= hi; n++)
        total += len >= (size_t)n ? len - (size_t)n + 1 : 0;
    return total;
}
