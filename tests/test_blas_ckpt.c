/* The BLAS wrapper against a naive product in every transpose combination;
 * the model file: round trip, and every kind of damage refused cleanly. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "s2s/model/checkpoint.h"
#include "s2s/nn/blas.h"

/* ckpt_save of a translation model assembled from its parts (shallow copies). */
static int save_parts(const char *path, const Model *m, const Vocab *sv, const Vocab *tv,
                      const Tokenizer *tk, const cJSON *train, const float *opt, const float *raw,
                      S2sErr *err)
{
    TranslationModel tm = {.model = *m, .src_vocab = *sv, .tgt_vocab = *tv, .tokenizer = *tk};
    return ckpt_save(path, &tm, &(CkptTraining){train, opt, raw}, err);
}

static void naive_gemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                       const float *B, int ldb, float beta, float *C, int ldc)
{
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int k = 0; k < K; k++)
                s += (double)(ta ? A[k * lda + i] : A[i * lda + k]) *
                     (tb ? B[j * ldb + k] : B[k * ldb + j]);
            C[i * ldc + j] = (float)(alpha * s + beta * C[i * ldc + j]);
        }
}

/* M = 1 takes the sgemv path (one decoding row). */
static void test_blas(int M)
{
    Rng r;
    rng_seed(&r, 1);
    const int N = 29, K = 45, pad = 3;
    float *A = malloc(sizeof(float) * 64 * 64), *B = malloc(sizeof(float) * 64 * 64);
    float *C1 = malloc(sizeof(float) * 64 * 64), *C2 = malloc(sizeof(float) * 64 * 64);
    for (int i = 0; i < 64 * 64; i++)
        A[i] = rng_uniform(&r) - 0.5f, B[i] = rng_uniform(&r) - 0.5f, C1[i] = rng_uniform(&r);
    for (int ta = 0; ta <= 1; ta++)
        for (int tb = 0; tb <= 1; tb++) {
            int lda = (ta ? M : K) + pad, ldb = (tb ? K : N) + pad, ldc = N + pad;
            memcpy(C2, C1, sizeof(float) * 64 * 64);
            float *C = malloc(sizeof(float) * 64 * 64);
            memcpy(C, C1, sizeof(float) * 64 * 64);
            blas_gemm(ta, tb, M, N, K, 0.7f, A, lda, B, ldb, 0.3f, C, ldc);
            naive_gemm(ta, tb, M, N, K, 0.7f, A, lda, B, ldb, 0.3f, C2, ldc);
            double worst = 0;
            for (int i = 0; i < M; i++)
                for (int j = 0; j < N; j++)
                    worst = fmax(worst, fabs(C[i * ldc + j] - C2[i * ldc + j]));
            CHECK_MSG(worst < 1e-5, "M=%d ta=%d tb=%d: max difference %g", M, ta, tb, worst);
            /* Columns beyond N (the padding of ldc) are left alone. */
            CHECK(C[ldc - 1] == C1[ldc - 1]);
            free(C);
        }
    free(A), free(B), free(C1), free(C2);
}

/* ---- model files ---- */

static char dir[] = "/tmp/s2s-test-ckpt-XXXXXX";

static void make_checkpoint(Model *m, Vocab *sv, Vocab *tv, Tokenizer *tk)
{
    static const char *sw[] = {"<pad>", "<unk>", "<s>", "</s>", "ein", "zwei", "drei"};
    static const char *tw[] = {"<pad>", "<unk>", "<s>", "</s>", "one", "two", "three", "\"q\""};
    ModelConfig cfg = {.src_vocab = 7, .tgt_vocab = 8, .embed = 3, .hidden = 4, .layers = 2,
                       .reverse = 1};
    S2sErr err;
    Rng r;
    rng_seed(&r, 3);
    CHECK(vocab_from_words(sv, sw, 7, &err) == 0 && vocab_from_words(tv, tw, 8, &err) == 0);
    CHECK(tokenizer_from_name(tk, "word", &err) == 0);
    CHECK(model_init(m, &cfg, &err) == 0);
    model_init_uniform(m, 0.1f, &r);
}

static long file_size(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

static void copy_prefix(const char *from, const char *to, long n, long flip_at)
{
    FILE *f = fopen(from, "rb"), *g = fopen(to, "wb");
    for (long i = 0; i < n; i++) {
        int c = fgetc(f);
        fputc(i == flip_at ? c ^ 0x10 : c, g);
    }
    fclose(f);
    fclose(g);
}

static void expect_refused(const char *path, const char *what, const char *label)
{
    Checkpoint ck;
    S2sErr err = {""};
    int rc = ckpt_load(path, &ck, &err);
    CHECK_MSG(rc != 0 && strstr(err.msg, what) && strstr(err.msg, path), "%s: rc %d, '%s'",
              label, rc, err.msg);
    CHECK(ck.tm.model.params == NULL && ck.train == NULL);
}

/* Adam's moments ride along (version 2, flag bit 0) and are checked. */
static void test_adam_state(const char *path, const char *bad, const Model *m, const Vocab *sv,
                            const Vocab *tv, const Tokenizer *tk)
{
    S2sErr err;
    Checkpoint ck;
    float *st = malloc(2 * m->nparams * sizeof(float));
    for (size_t i = 0; i < 2 * m->nparams; i++)
        st[i] = (float)i * 0.25f - 3.0f;
    CHECK(save_parts(path, m, sv, tv, tk, NULL, st, NULL, &err) == 0);
    CHECK(ckpt_load(path, &ck, &err) == 0 && ck.opt_state &&
          memcmp(ck.opt_state, st, 2 * m->nparams * sizeof(float)) == 0 &&
          memcmp(ck.tm.model.params, m->params, m->nparams * sizeof(float)) == 0);
    ckpt_free(&ck);
    long size = file_size(path);
    copy_prefix(path, bad, size - 8 - 4 * (long)m->nparams, -1); /* state cut off */
    expect_refused(bad, "truncated", "no moments");
    copy_prefix(path, bad, size, size - 12); /* a flipped moment */
    expect_refused(bad, "checksum", "flipped moment");
    copy_prefix(path, bad, size, 13); /* an unknown flag */
    expect_refused(bad, "unknown flags", "flag bit 12");
    CHECK(save_parts(path, m, sv, tv, tk, NULL, NULL, NULL, &err) == 0);
    CHECK(ckpt_load(path, &ck, &err) == 0 && ck.opt_state == NULL);
    ckpt_free(&ck);
    free(st);
}

/* The raw weights of a smoothed model (flag bit 1) ride along after the
 * moments, come back as they were, and are checked like the parameters. */
static void test_raw_weights(const char *path, const char *bad, const Model *m, const Vocab *sv,
                             const Vocab *tv, const Tokenizer *tk)
{
    S2sErr err;
    Checkpoint ck;
    size_t n = m->nparams;
    float *st = calloc(2 * n, sizeof(float)), *raw = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++)
        raw[i] = (float)i * -0.5f + 1.0f;
    CHECK(save_parts(path, m, sv, tv, tk, NULL, st, raw, &err) == 0);
    CHECK(ckpt_load(path, &ck, &err) == 0 && ck.opt_state && ck.raw &&
          memcmp(ck.raw, raw, n * sizeof(float)) == 0 &&
          memcmp(ck.tm.model.params, m->params, n * sizeof(float)) == 0);
    ckpt_free(&ck);
    CHECK(save_parts(path, m, sv, tv, tk, NULL, NULL, raw, &err) == 0); /* SGD: raw alone */
    CHECK(ckpt_load(path, &ck, &err) == 0 && !ck.opt_state && ck.raw &&
          memcmp(ck.raw, raw, n * sizeof(float)) == 0);
    ckpt_free(&ck);
    long size = file_size(path);
    copy_prefix(path, bad, size - 8 - 4 * (long)n, -1);
    expect_refused(bad, "truncated", "no raw weights");
    /* what would not load is not saved: the file before stays */
    long before = file_size(path);
    raw[n / 2] = NAN;
    CHECK(save_parts(path, m, sv, tv, tk, NULL, NULL, raw, &err) != 0 &&
          strstr(err.msg, "raw weight of tensor") && strstr(err.msg, "is NaN"));
    raw[n / 2] = 2e6f;
    CHECK(save_parts(path, m, sv, tv, tk, NULL, NULL, raw, &err) != 0 &&
          strstr(err.msg, "is 2e+06, over the bound of 1e+06"));
    CHECK(file_size(path) == before && ckpt_load(path, &ck, &err) == 0);
    ckpt_free(&ck);
    free(st);
    free(raw);
}

static void test_checkpoint(void)
{
    Model m;
    Vocab sv, tv;
    Tokenizer tk;
    S2sErr err;
    char path[256], bad[256], tmp[300];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/m.s2s", dir);
    snprintf(bad, sizeof bad, "%s/bad.s2s", dir);
    make_checkpoint(&m, &sv, &tv, &tk);
    cJSON *train = cJSON_CreateObject();
    cJSON_AddNumberToObject(train, "step", 17);
    CHECK(save_parts(path, &m, &sv, &tv, &tk, train, NULL, NULL, &err) == 0);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    CHECK(access(tmp, F_OK) != 0); /* renamed away */

    Checkpoint ck;
    CHECK(ckpt_load(path, &ck, &err) == 0);
    CHECK(ck.tm.model.nparams == m.nparams &&
          memcmp(ck.tm.model.params, m.params, m.nparams * sizeof(float)) == 0);
    CHECK(memcmp(&ck.tm.model.cfg, &m.cfg, sizeof m.cfg) == 0);
    CHECK(ck.tm.tgt_vocab.size == 8 && strcmp(vocab_word(&ck.tm.tgt_vocab, 7), "\"q\"") == 0);
    CHECK(cJSON_GetObjectItem(ck.train, "step")->valuedouble == 17);
    ckpt_free(&ck);

    long size = file_size(path);
    for (int k = 0; k < 16; k++) { /* truncated at every 1/16th */
        copy_prefix(path, bad, size * k / 16, -1);
        expect_refused(bad, k == 0 ? "too short" : "", "truncated");
    }
    copy_prefix(path, bad, size - 1, -1);
    expect_refused(bad, "truncated", "one byte short");
    copy_prefix(path, bad, size, size / 2); /* one flipped bit in the middle */
    expect_refused(bad, "checksum", "flipped bit");
    copy_prefix(path, bad, size, size - 20); /* in the parameters */
    expect_refused(bad, "checksum", "flipped parameter");
    copy_prefix(path, bad, size, 0);
    expect_refused(bad, "bad magic", "magic");
    copy_prefix(path, bad, size, 8);
    expect_refused(bad, "version", "version");
    copy_prefix(path, bad, size, 12); /* flags in a version 1 file */
    expect_refused(bad, "unknown flags", "flags");
    copy_prefix(path, bad, size, 30); /* nparams claims 2^51 more */
    expect_refused(bad, "more than the file", "absurd size");
    expect_refused(dir, "not a regular file", "directory");
    snprintf(tmp, sizeof tmp, "%s/none.s2s", dir);
    expect_refused(tmp, "cannot open", "missing");

    /* Unwritable destination: an error, and the existing file untouched. */
    snprintf(tmp, sizeof tmp, "%s/no-such-dir/m.s2s", dir);
    CHECK(save_parts(tmp, &m, &sv, &tv, &tk, NULL, NULL, NULL, &err) != 0 && strstr(err.msg, "cannot create"));

    cJSON *info = NULL;
    CHECK(ckpt_read_info(path, &info, &err) == 0 && cJSON_GetObjectItem(info, "file") != NULL);
    cJSON_Delete(info);
    test_adam_state(path, bad, &m, &sv, &tv, &tk);
    test_raw_weights(path, bad, &m, &sv, &tv, &tk);
    remove(path);
    remove(bad);
    rmdir(dir);
    cJSON_Delete(train);
    model_free(&m);
    vocab_free(&sv);
    vocab_free(&tv);
}

int main(void)
{
    test_blas(37);
    test_blas(1);
    test_checkpoint();
    return check_exit_code("test_blas_ckpt");
}
