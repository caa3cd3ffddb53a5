#include "s2s/base/rng.h"

void rng_seed(Rng *r, uint64_t seed) { r->state = seed ^ 0x853c49e6748fea9bULL; }

uint64_t rng_u64(Rng *r)
{
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint32_t rng_below(Rng *r, uint32_t n)
{
    /* Lemire's multiply-shift; the tiny bias is irrelevant for shuffling. */
    return (uint32_t)(((rng_u64(r) >> 32) * (uint64_t)n) >> 32);
}

float rng_uniform(Rng *r) { return (float)(rng_u64(r) >> 40) * (1.0f / 16777216.0f); }

void rng_shuffle_int(Rng *r, int *a, int n)
{
    for (int i = n - 1; i > 0; i--) {
        int j = (int)rng_below(r, (uint32_t)i + 1);
        int t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}
