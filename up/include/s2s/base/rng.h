/* rng.h: a small explicit random generator (splitmix64).
 *
 * No hidden global state: every user holds its own Rng, and its state is
 * saved in checkpoints so that a resumed run draws the same numbers.
 */
#ifndef S2S_RNG_H
#define S2S_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t state;
} Rng;

void rng_seed(Rng *r, uint64_t seed);
uint64_t rng_u64(Rng *r);
/* Uniform in [0, n); n > 0. */
uint32_t rng_below(Rng *r, uint32_t n);
/* Uniform float in [0, 1). */
float rng_uniform(Rng *r);
/* Fisher-Yates shuffle of a[0..n). */
void rng_shuffle_int(Rng *r, int *a, int n);

#endif
