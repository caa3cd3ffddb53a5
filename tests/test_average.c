/* Checkpoint averaging: the mean of two known models is the hand-computed
 * one (in double, rounded once), the average of copies of a model is that
 * model bit for bit (1 to 7 copies), and averaging refuses models that
 * differ in configuration, vocabulary or tokenizer, naming what differs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "s2s/model/average.h"

static void small_model(Model *m, int hidden, uint64_t seed)
{
    ModelConfig cfg = {.src_vocab = 9, .tgt_vocab = 7, .embed = 4, .hidden = hidden,
                       .layers = 1, .reverse = 1, .arch = ARCH_ATTENTION};
    S2sErr err;
    Rng r;
    rng_seed(&r, seed);
    CHECK(model_init(m, &cfg, &err) == 0);
    model_init_uniform(m, 0.5f, &r);
}

static void test_mean(void)
{
    Model a, b;
    Averager avg;
    S2sErr err;
    small_model(&a, 6, 1);
    small_model(&b, 6, 2);
    size_t n = a.nparams;
    float *out = malloc(n * sizeof(float));
    a.params[0] = 1.0f, b.params[0] = 2.0f;    /* 1.5 */
    a.params[1] = -3.0f, b.params[1] = 3.0f;   /* 0 */
    a.params[2] = 1e-8f, b.params[2] = 1e8f;   /* 5e7 */
    CHECK(averager_init(&avg, n, &err) == 0);
    averager_add(&avg, a.params);
    averager_add(&avg, b.params);
    averager_mean(&avg, out);
    CHECK(out[0] == 1.5f && out[1] == 0.0f && out[2] == 5e7f);
    int bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += out[i] != (float)(((double)a.params[i] + (double)b.params[i]) / 2.0);
    CHECK_MSG(bad == 0, "%d of %zu parameters are not the hand-computed mean", bad, n);
    averager_free(&avg);
    /* copies of one model average to it exactly */
    for (int k = 1; k <= 7; k++) {
        CHECK(averager_init(&avg, n, &err) == 0);
        for (int j = 0; j < k; j++)
            averager_add(&avg, b.params);
        averager_mean(&avg, out);
        CHECK_MSG(memcmp(out, b.params, n * sizeof(float)) == 0,
                  "the average of %d copies differs from the model", k);
        averager_free(&avg);
    }
    free(out);
    model_free(&a);
    model_free(&b);
}

/* A checkpoint in memory: a word-tokenized small model with vocabularies. */
static void small_ckpt(Checkpoint *ck, int hidden, const char *extra_src_word)
{
    const char *src[9] = {"<pad>", "<unk>", "<s>", "</s>", "a", "b", "c", "d", extra_src_word};
    const char *tgt[7] = {"<pad>", "<unk>", "<s>", "</s>", "x", "y", "z"};
    S2sErr err;
    memset(ck, 0, sizeof *ck);
    small_model(&ck->tm.model, hidden, 3);
    CHECK(vocab_from_words(&ck->tm.src_vocab, src, 9, &err) == 0);
    CHECK(vocab_from_words(&ck->tm.tgt_vocab, tgt, 7, &err) == 0);
    CHECK(tokenizer_from_name(&ck->tm.tokenizer, "word", &err) == 0);
}

static void test_compatible(void)
{
    Checkpoint a, b, c, d;
    S2sErr err;
    small_ckpt(&a, 6, "e");
    small_ckpt(&b, 6, "e");
    small_ckpt(&c, 8, "e");
    small_ckpt(&d, 6, "f");
    CHECK(average_compatible(&a, "a", &b, "b", &err) == 0);
    CHECK(average_compatible(&a, "a", &c, "c", &err) == S2S_EINVAL);
    CHECK_MSG(strstr(err.msg, "a and c: the configurations differ (hidden 6 vs 8)"), "%s", err.msg);
    CHECK(average_compatible(&a, "a", &d, "d", &err) == S2S_EINVAL);
    CHECK_MSG(strstr(err.msg, "a and d: the source vocabularies differ (entry 8: 'e' vs 'f')"), "%s",
              err.msg);
    tokenizer_free(&b.tm.tokenizer);
    CHECK(tokenizer_from_name(&b.tm.tokenizer, "none", &err) == 0);
    CHECK(average_compatible(&a, "a", &b, "b", &err) == S2S_EINVAL);
    CHECK_MSG(strstr(err.msg, "a and b: the tokenizers differ (word vs none)"), "%s", err.msg);
    ckpt_free(&a);
    ckpt_free(&b);
    ckpt_free(&c);
    ckpt_free(&d);
}

int main(void)
{
    test_mean();
    test_compatible();
    return check_exit_code("test_average");
}
