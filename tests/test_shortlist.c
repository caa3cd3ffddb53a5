/* The lexical shortlist (shortlist.h) and the gathered weights under it:
 * qmat_gather's rows give exactly the products of the rows gathered, in
 * every precision; a shortlist file is read (duplicates, NULL and unknown
 * tokens, BEST), its bad lines are refused naming file and line; a batch's
 * columns keep the specials at 0..3 and the rest in id order; IBM Model 1
 * and co-occurrence learn the obvious lexicon of a tiny corpus; and a
 * decoder over a shortlist of the whole vocabulary gives exactly what it
 * gives without one. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "s2s/base/rng.h"
#include "s2s/decode/shortlist.h"
#include "s2s/nn/qmat.h"

static void test_gather(Precision p, Rng *r)
{
    enum { N = 37, K = 130, M = 3 };
    static const int32_t idx[] = {0, 36, 5, 5, 17, 16, 1, 20, 33, 2, 3, 4, 6, 7, 8, 9, 10, 11};
    int n = (int)(sizeof idx / sizeof idx[0]);
    float *w = malloc(sizeof(float) * N * K), x[M * K], y1[M * N], y2[M * N];
    for (int i = 0; i < N * K; i++)
        w[i] = 2.0f * rng_uniform(r) - 1.0f;
    for (int i = 0; i < M * K; i++)
        x[i] = 2.0f * rng_uniform(r) - 1.0f;
    QMat q, g;
    S2sErr err;
    memset(&g, 0, sizeof g);
    CHECK(qmat_init(&q, p, w, N, K, K, 0, &err) == 0);
    CHECK(qmat_reserve_like(&g, &q, N, &err) == 0);
    void *scratch = malloc(qmat_scratch_bytes(p, M, K) + 1);
    for (int pass = 0; pass < 2; pass++) { /* the second over a gathered matrix reused */
        int m = pass ? n - 3 : n;
        qmat_gather(&g, &q, idx, m);
        qmat_mul(&q, 0, N, x, K, M, y1, N, 0.0f, scratch);
        qmat_mul(&g, 0, m, x, K, M, y2, m, 0.0f, scratch);
        int bad = 0;
        for (int i = 0; i < M; i++)
            for (int j = 0; j < m; j++)
                bad += y2[i * m + j] != y1[i * N + idx[j]];
        CHECK_MSG(bad == 0, "%s: %d gathered products differ", precision_name(p), bad);
    }
    qmat_free(&g), qmat_free(&q);
    free(scratch), free(w);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void make_vocabs(Vocab *sv, Vocab *tv)
{
    static const char *s[] = {"<pad>", "<unk>", "<s>", "</s>", "Hund", "Katze", "ein", "rennt"};
    static const char *t[] = {"<pad>", "<unk>", "<s>", "</s>", "a", "dog", "cat", "runs", "the"};
    S2sErr err;
    CHECK(vocab_from_words(sv, s, 8, &err) == 0 && vocab_from_words(tv, t, 9, &err) == 0);
}

static void test_load(const char *dir)
{
    Vocab sv, tv;
    Shortlist sl;
    S2sErr err;
    char path[512];
    make_vocabs(&sv, &tv);
    snprintf(path, sizeof path, "%s/lex.s2t", dir);
    write_file(path, "dog Hund 0.8\na Hund 0.1\ndog Hund 0.5\nthe Hund 0.05\ncat Katze 0.9\n"
                     "x Hund 0.5\ndog NULL 0.1\nruns rennt\t0.7\n\ncat Maus 0.2\n");
    CHECK(shortlist_load(&sl, path, &sv, &tv, 4, 2, &err) == 0);
    CHECK(sl.entries == 4 && sl.skipped == 3); /* Hund: dog 0.8, a; Katze: cat; rennt: runs */
    CHECK(sl.off[4] == 0 && sl.off[5] == 2 && sl.tgt[0] == 5 && sl.tgt[1] == 4 &&
          fabsf(sl.prob[0] - 0.8f) < 1e-6f);
    int32_t hund_rennt[] = {4, 7}, cols[9], colof[9];
    const int32_t *src[] = {hund_rennt};
    int len[] = {2};
    int n = shortlist_columns(&sl, src, len, 1, NULL, NULL, cols, colof);
    CHECK(n == 7); /* 0..3, a, dog, runs */
    CHECK(cols[0] == 0 && cols[3] == 3 && cols[4] == 4 && cols[5] == 5 && cols[6] == 8 - 1);
    CHECK(colof[6] == -1 && colof[8] == -1 && colof[7] == 6);
    int32_t the[] = {8};
    const int32_t *tgt[] = {the};
    int tlen[] = {1};
    CHECK(shortlist_columns(&sl, src, len, 1, tgt, tlen, cols, colof) == 8 && colof[8] == 7);
    shortlist_free(&sl);

    static const struct {
        const char *text, *msg;
    } bad[] = {{"dog Hund 0.5\ndog Hund\n", "lex.s2t:2: expected 'TARGET SOURCE PROBABILITY', found 2"},
               {"dog Hund x\n", "lex.s2t:1: probability 'x' is not a number >= 0"},
               {"dog Hund -1\n", "lex.s2t:1: probability '-1'"},
               {"dog Hund nan\n", "lex.s2t:1: probability 'nan'"},
               {"x y 0.5\n", "no entry whose tokens the model knows (1 lines skipped)"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_file(path, bad[i].text);
        CHECK(shortlist_load(&sl, path, &sv, &tv, 4, 2, &err) == S2S_EFORMAT);
        CHECK_MSG(strstr(err.msg, bad[i].msg) != NULL, "got '%s'", err.msg);
        CHECK(sl.off == NULL);
    }
    snprintf(path, sizeof path, "%s/none.s2t", dir);
    CHECK(shortlist_load(&sl, path, &sv, &tv, 4, 2, &err) == S2S_EIO);
    vocab_free(&sv), vocab_free(&tv);
}

/* "ein Hund rennt" / "a dog runs" and friends: each method puts the
 * right translation first. */
static void test_learn(LexiconMethod method, const char *dir)
{
    Vocab sv, tv;
    S2sErr err;
    make_vocabs(&sv, &tv);
    /* src ids: Hund 4, Katze 5, ein 6, rennt 7; tgt: a 4, dog 5, cat 6, runs 7, the 8 */
    int32_t s[] = {6, 4, 7, 6, 5, 7, 6, 4, 6, 5, 4, 7};
    int32_t t[] = {4, 5, 7, 4, 6, 7, 4, 5, 4, 6, 8, 5, 7};
    int so[] = {0, 3, 6, 8, 10, 12}, to[] = {0, 3, 6, 8, 10, 13}, li[] = {0, 1, 2, 3, 4};
    Corpus c = {.npairs = 5, .src_off = so, .tgt_off = to, .src_ids = s, .tgt_ids = t,
                .line_index = li};
    char path[512];
    snprintf(path, sizeof path, "%s/learnt.s2t", dir);
    FILE *f = fopen(path, "w");
    LexiconOptions o = {.method = method, .iterations = 10, .best = 3};
    CHECK(f && lexicon_learn(&c, &sv, &tv, &o, f, &err) == 0);
    if (f)
        fclose(f);
    Shortlist sl;
    CHECK(shortlist_load(&sl, path, &sv, &tv, 0, 1, &err) == 0);
    CHECK_MSG(sl.tgt[sl.off[4]] == 5, "Hund -> %d", sl.tgt[sl.off[4]]);
    if (method == LEXICON_IBM1) /* co-occurrence ties "cat" with "a" for Katze */
        CHECK_MSG(sl.tgt[sl.off[5]] == 6, "Katze -> %d", sl.tgt[sl.off[5]]);
    CHECK_MSG(sl.tgt[sl.off[6]] == 4, "ein -> %d", sl.tgt[sl.off[6]]);
    CHECK_MSG(sl.tgt[sl.off[7]] == 7, "rennt -> %d", sl.tgt[sl.off[7]]);
    shortlist_free(&sl);
    vocab_free(&sv), vocab_free(&tv);
}

int main(void)
{
    Rng r;
    char dir[] = "/tmp/s2s-shortlist-XXXXXX";
    rng_seed(&r, 11);
    test_gather(PREC_FP32, &r);
    test_gather(PREC_BF16, &r);
    test_gather(PREC_INT8, &r);
    if (!mkdtemp(dir))
        return 1;
    test_load(dir);
    test_learn(LEXICON_IBM1, dir);
    test_learn(LEXICON_COOC, dir);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "test_shortlist: could not remove %s\n", dir);
    return check_exit_code("test_shortlist");
}
