/* nprandom.c: NumPy's PCG64 and SeedSequence (nprandom.h). */
#include "s2s/metrics/nprandom.h"

#include "s2s/base/common.h"

/* ---- SeedSequence (pool of 4 words, 32-bit hash mixing) ---- */

enum { POOL = 4 };
#define INIT_A 0x43b0d7e5u
#define MULT_A 0x931e8875u
#define INIT_B 0x8b51f9ddu
#define MULT_B 0x58f38dedu
#define MIX_MULT_L 0xca01f9ddu
#define MIX_MULT_R 0x4973f715u
#define XSHIFT 16

static uint32_t hashmix(uint32_t value, uint32_t *hash_const)
{
    value ^= *hash_const;
    *hash_const *= MULT_A;
    value *= *hash_const;
    return value ^ (value >> XSHIFT);
}

static uint32_t mix(uint32_t x, uint32_t y)
{
    uint32_t r = MIX_MULT_L * x - MIX_MULT_R * y;
    return r ^ (r >> XSHIFT);
}

/* The entropy as 32-bit words, least significant first ([0] for 0). */
static int entropy_words(uint64_t seed, uint32_t *w)
{
    int n = 0;
    do {
        w[n++] = (uint32_t)seed;
        seed >>= 32;
    } while (seed);
    return n;
}

static void pool_of(uint64_t seed, uint32_t *pool)
{
    uint32_t ent[2], h = INIT_A;
    int n = entropy_words(seed, ent);
    for (int i = 0; i < POOL; i++)
        pool[i] = hashmix(i < n ? ent[i] : 0, &h);
    for (int s = 0; s < POOL; s++)
        for (int d = 0; d < POOL; d++)
            if (s != d)
                pool[d] = mix(pool[d], hashmix(pool[s], &h));
    /* (entropy beyond the pool's four words is mixed in after this: a
     * 64-bit seed has at most two) */
}

void nprng_seed_state(uint64_t seed, uint32_t *out, int n)
{
    uint32_t pool[POOL], h = INIT_B;
    pool_of(seed, pool);
    for (int i = 0; i < n; i++) {
        uint32_t v = pool[i % POOL] ^ h;
        h *= MULT_B;
        v *= h;
        out[i] = v ^ (v >> XSHIFT);
    }
}

/* ---- PCG64 (XSL-RR 128/64) ---- */

static NpU128 pcg_mult(void)
{
    return ((NpU128)0x2360ED051FC65DA4ull << 64) | 0x4385DF649FCCF645ull;
}

static void step(NpRng *r) { r->state = r->state * pcg_mult() + r->inc; }

void nprng_seed(NpRng *r, uint64_t seed)
{
    uint32_t w[8];
    uint64_t v[4];
    nprng_seed_state(seed, w, 8);
    for (int i = 0; i < 4; i++) /* generate_state(4, uint64): pairs of words, low first */
        v[i] = (uint64_t)w[2 * i] | (uint64_t)w[2 * i + 1] << 32;
    NpU128 initstate = ((NpU128)v[0] << 64) | v[1], initseq = ((NpU128)v[2] << 64) | v[3];
    r->state = 0;
    r->inc = (initseq << 1) | 1u;
    step(r);
    r->state += initstate;
    step(r);
    r->has32 = 0, r->u32 = 0;
}

uint64_t nprng_next64(NpRng *r)
{
    step(r);
    uint64_t x = (uint64_t)(r->state >> 64) ^ (uint64_t)r->state;
    unsigned rot = (unsigned)(r->state >> 122);
    return (x >> rot) | (x << ((64 - rot) & 63));
}

uint32_t nprng_next32(NpRng *r)
{
    if (r->has32) {
        r->has32 = 0;
        return r->u32;
    }
    uint64_t x = nprng_next64(r);
    r->has32 = 1, r->u32 = (uint32_t)(x >> 32);
    return (uint32_t)x;
}

/* ---- bounded integers ---- */

/* Lemire's multiply-shift with rejection, on 32-bit draws: [0, rng]. */
static uint32_t bounded_lemire32(NpRng *r, uint32_t rng)
{
    uint32_t excl = rng + 1;
    uint64_t m = (uint64_t)nprng_next32(r) * excl;
    uint32_t left = (uint32_t)m;
    if (left < excl) {
        uint32_t threshold = (UINT32_MAX - rng) % excl;
        while (left < threshold) {
            m = (uint64_t)nprng_next32(r) * excl;
            left = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

void nprng_integers(NpRng *r, int64_t n, int64_t *out, size_t cnt)
{
    S2S_INVARIANT(n >= 1 && n <= (int64_t)1 << 32);
    uint64_t rng = (uint64_t)n - 1;
    for (size_t i = 0; i < cnt; i++)
        out[i] = rng == 0 ? 0
                 : rng == UINT32_MAX ? (int64_t)nprng_next32(r)
                                     : (int64_t)bounded_lemire32(r, (uint32_t)rng);
}

void nprng_bools(NpRng *r, unsigned char *out, size_t cnt)
{
    uint32_t buf = 0;
    int bcnt = 0; /* bits left in buf: each fill starts afresh */
    for (size_t i = 0; i < cnt; i++) {
        if (!bcnt)
            buf = nprng_next32(r), bcnt = 31;
        else
            buf >>= 1, bcnt--;
        out[i] = (unsigned char)(buf & 1u);
    }
}
