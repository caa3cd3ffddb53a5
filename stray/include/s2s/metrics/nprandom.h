/* nprandom.h: NumPy's default random generator in C, bit for bit, so that
 * `s2s bleu`'s significance tests draw sacreBLEU's resamples:
 * numpy.random.default_rng(seed) is a PCG64 generator (O'Neill's PCG, 128-bit
 * LCG state, XSL-RR output) seeded through a SeedSequence (O'Neill's
 * seed_seq hash mixing, a pool of four 32-bit words), and
 *   rng.integers(0, n) / rng.choice(n, replace=True)  -> nprng_integers
 *   rng.integers(2, dtype=bool)                        -> nprng_bools
 * follow NumPy 1.24's bounded-integer algorithms (Lemire's multiply-shift
 * rejection on 32-bit draws; single bits of 32-bit draws for booleans).
 * Written from NumPy's documentation and the PCG paper; tests/test_nprandom.c
 * checks outputs NumPy 1.24.2 printed for several seeds.
 */
#ifndef S2S_NPRANDOM_H
#define S2S_NPRANDOM_H

#include <stddef.h>
#include <stdint.h>

__extension__ typedef unsigned __int128 NpU128;

typedef struct {
    NpU128 state, inc;
    int has32;    /* a buffered upper half of the last 64-bit draw */
    uint32_t u32;
} NpRng;

/* numpy.random.default_rng(seed). */
void nprng_seed(NpRng *r, uint64_t seed);
/* SeedSequence(seed).generate_state(n, uint32) into out. */
void nprng_seed_state(uint64_t seed, uint32_t *out, int n);
uint64_t nprng_next64(NpRng *r);
uint32_t nprng_next32(NpRng *r);
/* rng.integers(0, n, size=cnt) (int64; also rng.choice(n, size=cnt)),
 * 1 <= n <= 2^32. */
void nprng_integers(NpRng *r, int64_t n, int64_t *out, size_t cnt);
/* rng.integers(2, size=cnt, dtype=bool). */
void nprng_bools(NpRng *r, unsigned char *out, size_t cnt);

#endif
