/* NumPy's default_rng in C (nprandom.h) against NumPy itself: every
 * expected number below was printed by NumPy 1.24.2 (Debian 12's
 * python3-numpy, the version the shared significance vectors were made
 * with), e.g. for seed 12345:
 *   np.random.SeedSequence(12345).generate_state(8, np.uint32)
 *   g = np.random.default_rng(12345); [g.bit_generator.random_raw() for _ in range(3)]
 *   np.random.default_rng(12345).choice(25, size=(2, 5), replace=True)
 *   g = np.random.default_rng(12345); g.integers(2, size=(2, 40), dtype=bool)
 *   then g.choice(300, size=(1, 6))   (the same generator, after the booleans)
 *   np.random.default_rng(12345).choice(3000, size=(1, 8))
 */
#include <string.h>

#include "check.h"
#include "s2s/metrics/nprandom.h"

typedef struct {
    uint64_t seed;
    uint32_t state[8];
    uint64_t raw[3];
    int64_t choice25[10];
    const char *bools;
    int64_t choice300[6];
} Case;

static const Case cases[] = {
    {12345,
     {0xa03d837c, 0xb5ae6482, 0xfa1f7a2f, 0xbbe2996f, 0x37158f94, 0x64e39a9f, 0xa013fd73, 0x3ebb0f96},
     {0x3a32b18db2ffc19dull, 0x51171315c9e4c4deull, 0xcc2024823444efd9ull},
     {17, 5, 19, 7, 5, 19, 16, 16, 24, 9},
     "10111001100000111111111101001101101100011000110101001100010111000111101100100011",
     {95, 61, 239, 192, 202, 296}},
    {0,
     {0xb0f478be, 0xdb2cd7e7, 0x2c71ba49, 0xabf4641a, 0x9d7b8d41, 0x20c6ed6d, 0x223c39d4, 0x2c4099de},
     {0xa30febcfd9c2825full, 0x4510bdf882d9d721ull, 0x0a7d3da94ecde8b8ull},
     {21, 15, 12, 6, 7, 1, 1, 0, 4, 20},
     "11111010010000010100001110011011111100111101011111110000110001011000010011101011",
     {80, 92, 12, 22, 4, 52}},
    {42,
     {0xcd540ab7, 0x9f1e2e6d, 0x79fb94b6, 0xd57873dc, 0x64d420b7, 0x7d282a1b, 0x4692d5ff, 0x33657971},
     {0xc621fbcd16d92688ull, 0x705a5661a791ffc1ull, 0xdbcd12c26eda1624ull},
     {2, 19, 16, 10, 10, 21, 2, 17, 5, 2},
     "00010001011001001001101101101000101100111101111110000100011000111000001111111111",
     {131, 129, 257, 25, 209, 60}},
};

static void test_case(const Case *c)
{
    uint32_t st[8];
    NpRng r;
    int64_t v[10];
    unsigned char b[80];
    nprng_seed_state(c->seed, st, 8);
    CHECK_MSG(memcmp(st, c->state, sizeof st) == 0, "seed %llu: SeedSequence state", (unsigned long long)c->seed);
    nprng_seed(&r, c->seed);
    for (int i = 0; i < 3; i++)
        CHECK_MSG(nprng_next64(&r) == c->raw[i], "seed %llu: raw draw %d", (unsigned long long)c->seed, i);
    nprng_seed(&r, c->seed);
    nprng_integers(&r, 25, v, 10);
    CHECK_MSG(memcmp(v, c->choice25, sizeof(int64_t) * 10) == 0, "seed %llu: choice(25)", (unsigned long long)c->seed);
    nprng_seed(&r, c->seed);
    nprng_bools(&r, b, 80);
    int same = 1;
    for (int i = 0; i < 80; i++)
        same &= b[i] == (unsigned char)(c->bools[i] - '0');
    CHECK_MSG(same, "seed %llu: integers(2, dtype=bool)", (unsigned long long)c->seed);
    nprng_integers(&r, 300, v, 6);
    CHECK_MSG(memcmp(v, c->choice300, sizeof(int64_t) * 6) == 0, "seed %llu: choice(300) after the booleans",
              (unsigned long long)c->seed);
}

int main(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        test_case(&cases[i]);
    NpRng r;
    int64_t v[8], want[8] = {2097, 682, 2365, 950, 612, 2392, 1928, 2028};
    nprng_seed(&r, 12345);
    nprng_integers(&r, 3000, v, 8);
    CHECK(memcmp(v, want, sizeof v) == 0);
    return check_exit_code("test_nprandom");
}
