/* The global attention layer (attention.h): finite-difference checks of its
 * backward for every score kind, with sentences of different lengths and
 * two hypothesis rows per sentence sharing one memory; the weights are a
 * distribution over the real positions only, and padded memory gets no
 * gradient. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "gradcheck.h"
#include "s2s/base/rng.h"
#include "s2s/nn/attention.h"

enum { AS = 3, AK = 2, AR = AS * AK, AT = 4, AH = 5 };

typedef struct {
    AttnScore kind;
    float h[AR * AH], mem[AT * AS * AH], Wa[AH * AH], Wc[AH * 2 * AH], proj[AR * AH];
    float Wk[AH * AH], v[AH], keys[AT * AS * AH];
    float q[AR * AH], a[AR * AT], cat[AR * 2 * AH], ht[AR * AH];
    int len[AS];
} AttnCase;

static AttnActs acts(AttnCase *k) { return (AttnActs){k->q, k->a, k->cat, k->ht}; }
static AttnParams params(AttnCase *k) { return (AttnParams){.Wa = k->Wa, .Wk = k->Wk, .v = k->v, .Wc = k->Wc}; }
static AttnMemory memory(AttnCase *k)
{
    return (AttnMemory){k->mem, k->kind == ATTN_MLP ? k->keys : NULL, k->len, AS, AT, NULL};
}

/* loss = <proj, ht> */
static double attn_loss(void *ctx)
{
    AttnCase *k = ctx;
    AttnActs x = acts(k);
    AttnMemory M = memory(k);
    if (k->kind == ATTN_MLP)
        attn_keys(k->keys, k->mem, params(k), AT * AS, AH);
    attn_forward(k->kind, &x, k->h, &M, params(k), AR, AK, AH);
    double l = 0;
    for (int i = 0; i < AR * AH; i++)
        l += (double)k->proj[i] * k->ht[i];
    return l;
}

static void fill(float *x, int n, float scale, Rng *r)
{
    for (int i = 0; i < n; i++)
        x[i] = (2.0f * rng_uniform(r) - 1.0f) * scale;
}

static void test_kind(AttnScore kind)
{
    static AttnCase k;
    Rng r;
    rng_seed(&r, 7 + kind);
    memset(&k, 0, sizeof k);
    k.kind = kind;
    k.len[0] = 4, k.len[1] = 2, k.len[2] = 3;
    fill(k.h, AR * AH, 1, &r);
    fill(k.mem, AT * AS * AH, 1, &r);
    fill(k.Wa, AH * AH, 0.7f, &r);
    fill(k.Wc, AH * 2 * AH, 0.7f, &r);
    fill(k.Wk, AH * AH, 0.7f, &r);
    fill(k.v, AH, 1.5f, &r);
    fill(k.proj, AR * AH, 1, &r);
    attn_loss(&k);
    for (int row = 0; row < AR; row++) { /* a distribution over the sentence's real positions */
        double sum = 0;
        for (int s = 0; s < AT; s++) {
            float a = k.a[row * AT + s];
            CHECK(s < k.len[row / AK] ? a > 0 : a == 0);
            sum += a;
        }
        CHECK_MSG(fabs(sum - 1) < 1e-5, "row %d sums to %g", row, sum);
    }
    static float dh[AR * AH], dmem[AT * AS * AH], dWa[AH * AH], dWc[AH * 2 * AH], dht[AR * AH];
    static float dcat[AR * 2 * AH], dq[AR * AH], da[AK * AT], dWk[AH * AH], dv[AH], dkeys[AT * AS * AH];
    memset(dh, 0, sizeof dh), memset(dmem, 0, sizeof dmem);
    memset(dWa, 0, sizeof dWa), memset(dWc, 0, sizeof dWc);
    memset(dWk, 0, sizeof dWk), memset(dv, 0, sizeof dv), memset(dkeys, 0, sizeof dkeys);
    memcpy(dht, k.proj, sizeof dht);
    AttnActs x = acts(&k);
    AttnMemory M = memory(&k);
    AttnGrads g = {dWa, dWk, dv, dWc};
    attn_backward(kind, dh, dmem, kind == ATTN_MLP ? dkeys : NULL, g, dht, &x,
                  (AttnScratch){dcat, dq, da}, k.h, &M, params(&k), AR, AK, AH);
    if (kind == ATTN_MLP)
        attn_keys_backward(dmem, g, dkeys, k.mem, params(&k), AT * AS, AH);
    char name[64];
#define ATTN_CHECK(what, p, d, n)                                                  \
    snprintf(name, sizeof name, "attn.%s.%s", attn_score_name(kind), what);          \
    CHECK_MSG(gradcheck(name, attn_loss, &k, p, d, NULL, n) == 0, "%s", name)
    ATTN_CHECK("h", k.h, dh, AR * AH);
    ATTN_CHECK("mem", k.mem, dmem, AT * AS * AH);
    ATTN_CHECK("Wc", k.Wc, dWc, AH * 2 * AH);
    if (kind != ATTN_DOT) {
        ATTN_CHECK("Wa", k.Wa, dWa, AH * AH);
    }
    if (kind == ATTN_MLP) {
        ATTN_CHECK("Wk", k.Wk, dWk, AH * AH);
        ATTN_CHECK("v", k.v, dv, AH);
    }
#undef ATTN_CHECK
    int pad_ok = 1; /* memory beyond a sentence's length gets no gradient */
    for (int s = 0; s < AT; s++)
        for (int j = 0; j < AS; j++)
            for (int i = 0; i < AH && s >= k.len[j]; i++)
                pad_ok &= dmem[(s * AS + j) * AH + i] == 0.0f;
    CHECK(pad_ok);
    /* two rows with the same query over the same sentence attend alike */
    memcpy(k.h + 1 * AH, k.h, sizeof(float) * AH);
    attn_loss(&k);
    CHECK(memcmp(k.ht, k.ht + AH, sizeof(float) * AH) == 0);
}

int main(void)
{
    test_kind(ATTN_DOT);
    test_kind(ATTN_GENERAL);
    test_kind(ATTN_MLP);
    AttnScore k;
    CHECK(attn_score_from_name("general", &k) == 0 && k == ATTN_GENERAL);
    CHECK(attn_score_from_name("mlp", &k) == 0 && k == ATTN_MLP);
    CHECK(attn_score_from_name("bilinear", &k) != 0);
    return check_exit_code("test_attention");
}
