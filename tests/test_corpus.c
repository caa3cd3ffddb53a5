/* Reading aligned files, building the id corpus, batching and padding. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "s2s/base/fileio.h"
#include "s2s/base/rng.h"
#include "s2s/text/corpus.h"

static const Tokenizer word_tk = {.kind = TOKENIZER_NONE};

/* The tests run inside a fresh temporary directory so that the error
 * messages (which name the paths as given) can be compared exactly. */
static char tmp_dir[] = "/tmp/s2s_test_corpus_XXXXXX";
static char *made_files[64];
static int nmade;

static void write_file(const char *name, const char *bytes, size_t n)
{
    FILE *f = fopen(name, "wb");
    CHECK(f != NULL);
    if (!f)
        return;
    CHECK(fwrite(bytes, 1, n, f) == n);
    CHECK(fclose(f) == 0);
    for (int i = 0; i < nmade; i++)
        if (strcmp(made_files[i], name) == 0)
            return;
    if (nmade < 64) {
        made_files[nmade] = malloc(strlen(name) + 1);
        if (made_files[nmade])
            strcpy(made_files[nmade++], name);
    }
}
#define WRITE(name, lit) write_file(name, lit, sizeof(lit) - 1)

static void remove_files(void)
{
    for (int i = 0; i < nmade; i++) {
        CHECK(remove(made_files[i]) == 0);
        free(made_files[i]);
    }
    nmade = 0;
}

/* Reads src/tgt, expecting failure with code and exactly msg. */
static void expect_read_error(const char *src, const char *tgt, int code, const char *msg)
{
    TextPairs tp;
    S2sErr err = {{0}};
    int rc = textpairs_read(&tp, src, tgt, &word_tk, S2S_MAX_LINE_BYTES, &err);
    CHECK_MSG(rc == code, "%s/%s: rc %d, want %d", src, tgt, rc, code);
    CHECK_MSG(strcmp(err.msg, msg) == 0, "got \"%s\", want \"%s\"", err.msg, msg);
    CHECK(tp.npairs == 0 && tp.side[0].text == NULL && tp.side[1].text == NULL);
    textpairs_free(&tp);
}

static void test_read_errors(void)
{
    WRITE("ok.de", "eins\nzwei\ndrei\n");
    WRITE("ok.en", "one\ntwo\nthree\n");
    WRITE("bad.de", "ok\nfine\nabc d\xC3\x28x\nlater\n");
    WRITE("nul.de", "a\nb\0c\nd\n");
    WRITE("two.en", "one\ntwo\n");
    WRITE("empty.de", "");
    expect_read_error("missing.de", "ok.en", S2S_EIO,
                      "missing.de: cannot open: No such file or directory");
    expect_read_error("ok.de", "missing.en", S2S_EIO,
                      "missing.en: cannot open: No such file or directory");
    expect_read_error("bad.de", "ok.en", S2S_EFORMAT, "bad.de:3: invalid UTF-8 at byte 5");
    expect_read_error("ok.en", "bad.de", S2S_EFORMAT, "bad.de:3: invalid UTF-8 at byte 5");
    expect_read_error("nul.de", "ok.en", S2S_EFORMAT, "nul.de:2: NUL byte in line");
    expect_read_error("ok.de", "two.en", S2S_EFORMAT,
                      "ok.de has 3 lines but two.en has 2: the files must be aligned line by line");
    expect_read_error("two.en", "ok.de", S2S_EFORMAT,
                      "two.en has 2 lines but ok.de has 3: the files must be aligned line by line");
    expect_read_error("empty.de", "ok.en", S2S_EFORMAT, "empty.de: empty file");
    expect_read_error("ok.de", "empty.de", S2S_EFORMAT, "empty.de: empty file");
    textpairs_free(&(TextPairs){0}); /* safe on a zeroed object */
}

static int tok_is(const TextPairs *tp, int side, int i, int j, const char *want)
{
    return strcmp(textpairs_token(tp, side, i, j), want) == 0;
}

static void test_read_ok(void)
{
    TextPairs tp;
    S2sErr err = {{0}};
    /* CRLF endings, a blank line, and no newline after the last line. */
    WRITE("crlf.de", "Ein Hund\r\n\r\nzwei  Katzen \r\nGr\xC3\xBC\xC3\x9F" "e");
    WRITE("lf.en", "A dog\n\ntwo cats\nhello\n");
    CHECK_MSG(textpairs_read(&tp, "crlf.de", "lf.en", &word_tk, S2S_MAX_LINE_BYTES, &err) == 0, "%s", err.msg);
    CHECK(tp.npairs == 4);
    CHECK(textpairs_len(&tp, TEXT_SRC, 0) == 2 && textpairs_len(&tp, TEXT_TGT, 0) == 2);
    CHECK(tok_is(&tp, TEXT_SRC, 0, 1, "Hund") && tok_is(&tp, TEXT_TGT, 0, 0, "A"));
    CHECK(textpairs_len(&tp, TEXT_SRC, 1) == 0 && textpairs_len(&tp, TEXT_TGT, 1) == 0);
    CHECK(textpairs_len(&tp, TEXT_SRC, 2) == 2);
    CHECK(tok_is(&tp, TEXT_SRC, 2, 0, "zwei") && tok_is(&tp, TEXT_SRC, 2, 1, "Katzen"));
    CHECK(textpairs_len(&tp, TEXT_SRC, 3) == 1);
    CHECK(tok_is(&tp, TEXT_SRC, 3, 0, "Gr\xC3\xBC\xC3\x9F" "e"));
    CHECK(tok_is(&tp, TEXT_TGT, 3, 0, "hello"));

    VocabCounter sc, tc;
    CHECK(vocab_counter_init(&sc, &err) == 0 && vocab_counter_init(&tc, &err) == 0);
    CHECK(textpairs_count(&tp, &sc, &tc, &err) == 0);
    CHECK(sc.total == 5 && tc.total == 5);
    CHECK(vocab_counter_get(&sc, "Hund") == 1 && vocab_counter_get(&sc, "dog") == 0);
    CHECK(textpairs_count(&tp, &sc, &sc, &err) == 0); /* shared counter */
    CHECK(sc.total == 15 && vocab_counter_get(&sc, "dog") == 1);
    CHECK(textpairs_count(&tp, NULL, &tc, &err) == 0);
    CHECK(tc.total == 10);
    vocab_counter_free(&sc);
    vocab_counter_free(&tc);
    textpairs_free(&tp);
    CHECK(tp.npairs == 0 && tp.side[0].text == NULL);

    /* A trailing newline does not make an extra line; a single line without one counts. */
    WRITE("one_nl.de", "x\n");
    WRITE("one.en", "y");
    CHECK(textpairs_read(&tp, "one_nl.de", "one.en", &word_tk, S2S_MAX_LINE_BYTES, &err) == 0);
    CHECK(tp.npairs == 1 && tok_is(&tp, TEXT_TGT, 0, 0, "y"));
    textpairs_free(&tp);
}

static void test_read_long_line(void)
{
    /* A 3 MB line of 1M tokens. */
    size_t n = 3u << 20;
    char *big = malloc(n + 1);
    CHECK(big != NULL);
    if (!big)
        return;
    for (size_t i = 0; i < n; i += 3)
        memcpy(big + i, "ab ", 3);
    big[n - 1] = 'c'; /* "... ab abc" */
    big[n] = '\n';
    write_file("big.de", big, n + 1);
    write_file("big.en", "short\n", 6);
    free(big);
    TextPairs tp;
    S2sErr err = {{0}};
    /* over the default bound: refused, naming the line; with a larger bound, read */
    CHECK(textpairs_read(&tp, "big.de", "big.en", &word_tk, S2S_MAX_LINE_BYTES, &err) == S2S_EFORMAT);
    CHECK_MSG(strstr(err.msg, "big.de:1: line longer than 1048576 bytes") != NULL, "%s", err.msg);
    CHECK_MSG(textpairs_read(&tp, "big.de", "big.en", &word_tk, (long)n, &err) == 0, "%s", err.msg);
    CHECK(tp.npairs == 1);
    CHECK(textpairs_len(&tp, TEXT_SRC, 0) == (int)(n / 3));
    CHECK(tok_is(&tp, TEXT_SRC, 0, 0, "ab") && tok_is(&tp, TEXT_SRC, 0, (int)(n / 3) - 1, "abc"));
    textpairs_free(&tp);
}

/* Reads the files name.de / name.en written from the given literals. */
static int read_pair(TextPairs *tp, const char *name, const char *de, const char *en)
{
    char src[64], tgt[64];
    snprintf(src, sizeof src, "%s.de", name);
    snprintf(tgt, sizeof tgt, "%s.en", name);
    write_file(src, de, strlen(de));
    write_file(tgt, en, strlen(en));
    S2sErr err = {{0}};
    int rc = textpairs_read(tp, src, tgt, &word_tk, S2S_MAX_LINE_BYTES, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    return rc;
}

/* Vocabularies from all of tp's tokens, min_freq min_freq. */
static void build_vocabs(const TextPairs *tp, Vocab *sv, Vocab *tv, int min_freq)
{
    S2sErr err = {{0}};
    VocabCounter sc, tc;
    CHECK(vocab_counter_init(&sc, &err) == 0 && vocab_counter_init(&tc, &err) == 0);
    CHECK(textpairs_count(tp, &sc, &tc, &err) == 0);
    CHECK(vocab_build(sv, &sc, 0, min_freq, &err) == 0);
    CHECK(vocab_build(tv, &tc, 0, min_freq, &err) == 0);
    vocab_counter_free(&sc);
    vocab_counter_free(&tc);
}

static void test_corpus_build(void)
{
    TextPairs tp;
    Vocab sv, tv;
    Corpus c;
    S2sErr err = {{0}};
    if (read_pair(&tp, "cb", "a b c\n\na b c d e f\na\na b\nb q\n",
                  "x y\nx\nx\nx y z w v\n\ny\n"))
        return;
    build_vocabs(&tp, &sv, &tv, 2); /* "q" and "z" once: unknown */
    CHECK(corpus_build(&c, &tp, &sv, &tv, 4, &err) == 0);
    CHECK(c.npairs == 2 && c.skipped_empty == 2 && c.skipped_long == 2);
    CHECK(c.line_index[0] == 0 && c.line_index[1] == 5);
    CHECK(corpus_src_len(&c, 0) == 3 && corpus_tgt_len(&c, 0) == 2);
    CHECK(corpus_src_len(&c, 1) == 2 && corpus_tgt_len(&c, 1) == 1);
    CHECK(c.src_ids[0] == vocab_lookup(&sv, "a") && c.src_ids[2] == vocab_lookup(&sv, "c"));
    CHECK(c.src_ids[3] == vocab_lookup(&sv, "b") && c.src_ids[4] == VOCAB_UNK);
    CHECK(c.tgt_ids[0] == vocab_lookup(&tv, "x") && c.tgt_ids[2] == vocab_lookup(&tv, "y"));
    CHECK(c.src_ids[0] >= VOCAB_NSPECIAL && c.tgt_ids[0] >= VOCAB_NSPECIAL);
    CHECK(c.max_src_len == 3 && c.max_tgt_len == 2);
    CHECK(c.src_tokens == 5 && c.tgt_tokens == 3);
    corpus_free(&c);
    CHECK(c.npairs == 0 && c.src_ids == NULL);

    CHECK(corpus_build(&c, &tp, &sv, &tv, 0, &err) == 0); /* no length limit */
    CHECK(c.npairs == 4 && c.skipped_empty == 2 && c.skipped_long == 0);
    CHECK(c.max_src_len == 6 && c.max_tgt_len == 5);
    CHECK(c.src_tokens == 12 && c.tgt_tokens == 9);
    corpus_free(&c);

    CHECK(corpus_build(&c, &tp, &sv, &tv, 1, &err) == S2S_EINVAL);
    CHECK_MSG(strcmp(err.msg, "no usable sentence pairs (4 too long, 2 empty)") == 0, "%s",
              err.msg);
    CHECK(c.npairs == 0 && c.src_off == NULL);
    corpus_free(&c);
    vocab_free(&sv);
    vocab_free(&tv);
    textpairs_free(&tp);
}

/* A corpus of n pairs with random lengths 1..maxlen from a fixed seed. */
static int make_random_corpus(Corpus *c, int n, int maxlen)
{
    size_t cap = (size_t)n * (size_t)maxlen * 4 + 1;
    char *de = calloc(cap, 1), *en = calloc(cap, 1);
    Rng r;
    rng_seed(&r, 42);
    size_t pd = 0, pe = 0;
    for (int i = 0; de && en && i < n; i++) {
        int ls = 1 + (int)rng_below(&r, (uint32_t)maxlen);
        int lt = 1 + (int)rng_below(&r, (uint32_t)maxlen);
        for (int t = 0; t < ls; t++) {
            de[pd++] = (char)('a' + rng_below(&r, 5));
            de[pd++] = t + 1 < ls ? ' ' : '\n';
        }
        for (int t = 0; t < lt; t++) {
            en[pe++] = (char)('k' + rng_below(&r, 5));
            en[pe++] = t + 1 < lt ? ' ' : '\n';
        }
    }
    TextPairs tp;
    Vocab sv, tv;
    S2sErr err = {{0}};
    int rc = -1;
    if (de && en && read_pair(&tp, "rand", de, en) == 0) {
        build_vocabs(&tp, &sv, &tv, 1);
        rc = corpus_build(c, &tp, &sv, &tv, 0, &err);
        CHECK_MSG(rc == 0, "%s", err.msg);
        vocab_free(&sv);
        vocab_free(&tv);
        textpairs_free(&tp);
    }
    free(de);
    free(en);
    return rc;
}

/* (src_len, tgt_len) as one comparable number. */
static long len_key(const Corpus *c, int i)
{
    return corpus_src_len(c, i) * 100000L + corpus_tgt_len(c, i);
}

/* The epoch order written out naively from the documented recipe. */
static void expected_order(const Corpus *c, int bs, uint64_t seed, int epoch, int *out, int *start)
{
    int n = c->npairs, nb = (n + bs - 1) / bs;
    int *a = malloc((size_t)n * sizeof *a), *chunk = malloc((size_t)nb * sizeof *chunk);
    if (!a || !chunk)
        goto done;
    Rng r;
    rng_seed(&r, seed * 1000003 + (uint64_t)epoch);
    for (int i = 0; i < n; i++)
        a[i] = i;
    rng_shuffle_int(&r, a, n);
    for (int i = 1; i < n; i++) /* insertion sort: stable */
        for (int j = i; j > 0 && len_key(c, a[j]) < len_key(c, a[j - 1]); j--) {
            int t = a[j];
            a[j] = a[j - 1];
            a[j - 1] = t;
        }
    for (int k = 0; k < nb; k++)
        chunk[k] = k;
    rng_shuffle_int(&r, chunk, nb);
    int pos = 0;
    for (int k = 0; k < nb; k++) {
        start[k] = pos;
        for (int i = chunk[k] * bs; i < n && i < (chunk[k] + 1) * bs; i++)
            out[pos++] = a[i];
    }
    start[nb] = pos;
done:
    free(a);
    free(chunk);
}

static int same_batches(const Batcher *a, const Batcher *b)
{
    return a->nbatches == b->nbatches && a->npairs == b->npairs &&
           memcmp(a->order, b->order, (size_t)a->npairs * sizeof *a->order) == 0 &&
           memcmp(a->start, b->start, (size_t)(a->nbatches + 1) * sizeof *a->start) == 0;
}

/* Every pair once, and full batches but the last; if bucketed, also each batch
 * sorted by length and the batches covering disjoint length ranges. */
static void check_epoch_shape(const Batcher *b, const Corpus *c, int bucketed)
{
    int *seen = calloc((size_t)c->npairs, sizeof *seen);
    long *lo = malloc((size_t)b->nbatches * sizeof *lo);
    long *hi = malloc((size_t)b->nbatches * sizeof *hi);
    if (!seen || !lo || !hi)
        goto done;
    int once = 1, sorted = 1, full = 0;
    for (int i = 0; i < b->npairs; i++)
        seen[b->order[i]]++;
    for (int i = 0; i < c->npairs; i++)
        once &= seen[i] == 1;
    CHECK(once);
    CHECK(b->start[0] == 0 && b->start[b->nbatches] == c->npairs);
    for (int k = 0; k < b->nbatches; k++) {
        int s = b->start[k], e = b->start[k + 1];
        full += e - s == b->batch_size;
        for (int i = s + 1; i < e; i++)
            sorted &= len_key(c, b->order[i - 1]) <= len_key(c, b->order[i]);
        lo[k] = len_key(c, b->order[s]);
        hi[k] = len_key(c, b->order[e - 1]);
    }
    CHECK(full >= b->nbatches - 1);
    if (!bucketed)
        goto done;
    CHECK(sorted);
    int disjoint = 1;
    for (int k = 0; k < b->nbatches; k++)
        for (int j = 0; j < b->nbatches; j++)
            if (j != k && lo[j] > lo[k] && lo[j] < hi[k])
                disjoint = 0; /* bucket j starts strictly inside bucket k */
    CHECK(disjoint);
done:
    free(seen);
    free(lo);
    free(hi);
}

static void test_batcher(void)
{
    Corpus c;
    Batcher b1, b2;
    S2sErr err = {{0}};
    if (make_random_corpus(&c, 103, 12))
        return;
    CHECK(batcher_init(&b1, &c, 0, &err) == S2S_EINVAL);
    CHECK_MSG(strcmp(err.msg, "batch size 0: must be at least 1") == 0, "%s", err.msg);
    batcher_free(&b1);
    CHECK(batcher_init(&b1, &c, 8, &err) == 0 && batcher_init(&b2, &c, 8, &err) == 0);
    CHECK(b1.nbatches == 13);
    check_epoch_shape(&b1, &c, 0); /* before any epoch: corpus order */

    batcher_epoch(&b1, &c, 7, 3);
    batcher_epoch(&b2, &c, 7, 3);
    CHECK(same_batches(&b1, &b2));
    check_epoch_shape(&b1, &c, 1);

    int want[103], want_start[14];
    expected_order(&c, 8, 7, 3, want, want_start);
    CHECK(memcmp(b1.order, want, sizeof want) == 0);
    CHECK(memcmp(b1.start, want_start, sizeof want_start) == 0);

    batcher_epoch(&b2, &c, 7, 4);
    CHECK(!same_batches(&b1, &b2));
    check_epoch_shape(&b2, &c, 1);
    batcher_epoch(&b2, &c, 8, 3);
    CHECK(!same_batches(&b1, &b2));
    batcher_epoch(&b2, &c, 7, 3); /* back to (7, 3): nothing carried over */
    CHECK(same_batches(&b1, &b2));
    batcher_free(&b1);
    batcher_free(&b2);
    batcher_free(&b2);

    CHECK(batcher_init(&b1, &c, 1000, &err) == 0); /* one batch */
    batcher_epoch(&b1, &c, 1, 0);
    CHECK(b1.nbatches == 1 && b1.start[1] == 103);
    check_epoch_shape(&b1, &c, 1);
    batcher_free(&b1);
    CHECK(batcher_init(&b1, &c, 1, &err) == 0);
    batcher_epoch(&b1, &c, 1, 0);
    CHECK(b1.nbatches == 103);
    check_epoch_shape(&b1, &c, 1);
    batcher_free(&b1);
    corpus_free(&c);
}

/* Each batch of b: B x max(Ts, Tt) against words (B = 1 may exceed it),
 * and each of `parts` shard slices within cap. Returns the pairs seen. */
static long check_words_batches(const Batcher *b, const Corpus *c, long words, const BatchCap *cap,
                                int parts, char *seen)
{
    long n = 0;
    for (int k = 0; k < b->nbatches; k++) {
        int B = b->start[k + 1] - b->start[k];
        const int *p = b->order + b->start[k];
        int T = 0;
        for (int i = 0; i < B; i++) {
            int s = corpus_src_len(c, p[i]), t = corpus_tgt_len(c, p[i]) + 1;
            T = s > T ? s : T, T = t > T ? t : T;
            CHECK(!seen[p[i]]);
            seen[p[i]] = 1, n++;
        }
        CHECK(B >= 1);
        CHECK_MSG(B == 1 || (long)B * T <= words, "batch %d: %d pairs x %d > %ld", k, B, T, words);
        /* a larger batch would have crossed the bound (cut greedily): not checked */
        for (int g = 0; g < parts; g++) { /* shard g's slice, as shard.c cuts it */
            int lo = (int)((long)B * g / parts), hi = (int)((long)B * (g + 1) / parts), s = 0, t = 0;
            for (int i = lo; i < hi; i++) {
                int ls = corpus_src_len(c, p[i]), lt = corpus_tgt_len(c, p[i]) + 1;
                s = ls > s ? ls : s, t = lt > t ? lt : t;
            }
            CHECK(hi - lo <= cap->pairs && (long)(hi - lo) * s <= cap->src_slots &&
                  (long)(hi - lo) * t <= cap->tgt_slots && s <= cap->src_len && t <= cap->tgt_len + 1);
        }
    }
    return n;
}

static void test_batcher_words(void)
{
    Corpus c;
    Batcher b1, b2;
    S2sErr err = {{0}};
    if (make_random_corpus(&c, 203, 12))
        return;
    CHECK(batcher_init_words(&b1, &c, 0, &err) == S2S_EINVAL);
    CHECK_MSG(strcmp(err.msg, "batch of 0 words: must be at least 1") == 0, "%s", err.msg);
    long words_list[] = {1, 13, 40, 100, 100000};
    for (int w = 0; w < 5; w++) {
        long words = words_list[w];
        CHECK(batcher_init_words(&b1, &c, words, &err) == 0);
        CHECK(batcher_init_words(&b2, &c, words, &err) == 0);
        char *seen = calloc((size_t)c.npairs, 1);
        for (int i = 1; i < c.npairs; i++) /* before any epoch: sorted by length */
            CHECK(len_key(&c, b1.order[i - 1]) <= len_key(&c, b1.order[i]));
        for (int k = 0; k + 1 < b1.nbatches; k++) { /* greedy: the next pair would not fit */
            int B = b1.start[k + 1] - b1.start[k] + 1, T = 0;
            for (int i = b1.start[k]; i <= b1.start[k + 1]; i++) {
                int s = corpus_src_len(&c, b1.order[i]), t = corpus_tgt_len(&c, b1.order[i]) + 1;
                T = s > T ? s : T, T = t > T ? t : T;
            }
            CHECK((long)B * T > words);
        }
        for (int parts = 1; parts <= 3; parts++) {
            BatchCap cap = batcher_shard_cap(&b1, &c, parts);
            CHECK(cap.src_slots <= (words < 13 ? 13 : words) && cap.tgt_slots <= (words < 13 ? 13 : words));
            for (int epoch = 0; epoch < 3; epoch++) {
                batcher_epoch(&b1, &c, 5, epoch);
                memset(seen, 0, (size_t)c.npairs);
                CHECK(check_words_batches(&b1, &c, words, &cap, parts, seen) == c.npairs);
                CHECK(b1.start[b1.nbatches] == c.npairs);
            }
        }
        CHECK(words != 1 || b1.nbatches == c.npairs);
        CHECK(words != 100000 || b1.nbatches == 1);
        CHECK(words == 1 || words == 100000 || (b1.nbatches > 1 && b1.nbatches < c.npairs));
        batcher_epoch(&b1, &c, 5, 2); /* the same epoch of the same seed: the same batches */
        batcher_epoch(&b2, &c, 5, 2);
        CHECK(same_batches(&b1, &b2));
        batcher_epoch(&b2, &c, 6, 2);
        CHECK(b1.nbatches == 1 || !same_batches(&b1, &b2));
        free(seen);
        batcher_free(&b1);
        batcher_free(&b2);
    }
    corpus_free(&c);
}

/* Every column of bt against the corpus: reversal, padding, masks, shift. */
static int batch_consistent(const Batch *bt, const Corpus *c, int reverse)
{
    int ok = 1, B = bt->B;
    long st = 0, tt = 0;
    for (int b = 0; b < B; b++) {
        int p = bt->pair_index[b], ls = corpus_src_len(c, p), lt = corpus_tgt_len(c, p);
        const int32_t *x = c->src_ids + c->src_off[p], *y = c->tgt_ids + c->tgt_off[p];
        ok &= bt->src_lens[b] == ls && bt->tgt_lens[b] == lt;
        for (int t = 0; t < bt->src_len; t++) {
            int32_t want = t < ls ? x[reverse ? ls - 1 - t : t] : VOCAB_PAD;
            ok &= bt->src[t * B + b] == want && bt->src_mask[t * B + b] == (t < ls ? 1.0f : 0.0f);
        }
        for (int t = 0; t < bt->tgt_len; t++) {
            int32_t in = t == 0 ? VOCAB_BOS : t <= lt ? y[t - 1] : VOCAB_PAD;
            int32_t out = t < lt ? y[t] : t == lt ? VOCAB_EOS : VOCAB_PAD;
            ok &= bt->tgt_in[t * B + b] == in && bt->tgt_out[t * B + b] == out;
            ok &= bt->tgt_mask[t * B + b] == (t <= lt ? 1.0f : 0.0f);
        }
        st += ls;
        tt += lt + 1;
    }
    return ok && st == bt->src_tokens && tt == bt->tgt_tokens;
}

static void test_batch_small(void)
{
    TextPairs tp;
    Vocab sv, tv;
    Corpus c;
    Batch bt;
    S2sErr err = {{0}};
    if (read_pair(&tp, "small", "a b c\nd\na d\n", "x y\nx y z\ny\n"))
        return;
    build_vocabs(&tp, &sv, &tv, 1);
    CHECK(corpus_build(&c, &tp, &sv, &tv, 0, &err) == 0);
    int32_t a = vocab_lookup(&sv, "a"), b_ = vocab_lookup(&sv, "b"), c_ = vocab_lookup(&sv, "c"),
            d = vocab_lookup(&sv, "d");
    int32_t x = vocab_lookup(&tv, "x"), y = vocab_lookup(&tv, "y"), z = vocab_lookup(&tv, "z");
    CHECK(batch_init(&bt, 3, 0, 3, &err) == S2S_EINVAL);
    batch_free(&bt);
    CHECK(batch_init(&bt, 3, c.max_src_len, c.max_tgt_len, &err) == 0);

    int pairs[3] = {0, 1, 2};
    batch_fill_pairs(&bt, &c, pairs, 3, 1);
    CHECK(bt.B == 3 && bt.src_len == 3 && bt.tgt_len == 4);
    const int32_t src[9] = {c_, d, d, /**/ b_, 0, a, /**/ a, 0, 0}; /* (Ts=3, B=3), reversed */
    const float src_mask[9] = {1, 1, 1, 1, 0, 1, 1, 0, 0};
    const int32_t tgt_in[12] = {2, 2, 2, /**/ x, x, y, /**/ y, y, 0, /**/ 0, z, 0};
    const int32_t tgt_out[12] = {x, x, y, /**/ y, y, 3, /**/ 3, z, 0, /**/ 0, 3, 0};
    const float tgt_mask[12] = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0};
    CHECK(memcmp(bt.src, src, sizeof src) == 0);
    CHECK(memcmp(bt.src_mask, src_mask, sizeof src_mask) == 0);
    CHECK(memcmp(bt.tgt_in, tgt_in, sizeof tgt_in) == 0);
    CHECK(memcmp(bt.tgt_out, tgt_out, sizeof tgt_out) == 0);
    CHECK(memcmp(bt.tgt_mask, tgt_mask, sizeof tgt_mask) == 0);
    CHECK(bt.src_lens[0] == 3 && bt.src_lens[1] == 1 && bt.src_lens[2] == 2);
    CHECK(bt.pair_index[2] == 2);
    CHECK(bt.src_tokens == 6 && bt.tgt_tokens == 9);
    CHECK(batch_consistent(&bt, &c, 1));

    batch_fill_pairs(&bt, &c, pairs, 3, 0); /* not reversed */
    const int32_t fwd[9] = {a, d, a, /**/ b_, 0, d, /**/ c_, 0, 0};
    CHECK(memcmp(bt.src, fwd, sizeof fwd) == 0);
    CHECK(batch_consistent(&bt, &c, 0));

    int two[2] = {2, 0}; /* a smaller batch after a bigger one: nothing stale */
    batch_fill_pairs(&bt, &c, two, 2, 1);
    CHECK(bt.B == 2 && bt.src_len == 3 && bt.tgt_len == 3);
    const int32_t src2[6] = {d, c_, a, b_, 0, a};
    const int32_t out2[6] = {y, x, 3, y, 0, 3};
    CHECK(memcmp(bt.src, src2, sizeof src2) == 0);
    CHECK(memcmp(bt.tgt_out, out2, sizeof out2) == 0);
    CHECK(bt.src_tokens == 5 && bt.tgt_tokens == 5);
    CHECK(batch_consistent(&bt, &c, 1));

    batch_free(&bt);
    batch_free(&bt);
    corpus_free(&c);
    vocab_free(&sv);
    vocab_free(&tv);
    textpairs_free(&tp);
}

static void test_batch_epoch(void)
{
    Corpus c;
    Batcher b;
    Batch bt;
    S2sErr err = {{0}};
    if (make_random_corpus(&c, 103, 12))
        return;
    CHECK(batcher_init(&b, &c, 8, &err) == 0);
    CHECK(batch_init(&bt, 8, c.max_src_len, c.max_tgt_len, &err) == 0);
    batcher_epoch(&b, &c, 5, 1);
    int ok = 1, ok_len = 1;
    long st = 0, tt = 0;
    for (int k = 0; k < b.nbatches; k++) {
        batch_fill(&bt, &c, &b, k, 1);
        ok &= batch_consistent(&bt, &c, 1);
        ok &= memcmp(bt.pair_index, b.order + b.start[k], (size_t)bt.B * sizeof(int)) == 0;
        int ms = 0, mt = 0;
        for (int i = 0; i < bt.B; i++) {
            ms = bt.src_lens[i] > ms ? bt.src_lens[i] : ms;
            mt = bt.tgt_lens[i] > mt ? bt.tgt_lens[i] : mt;
        }
        ok_len &= bt.src_len == ms && bt.tgt_len == mt + 1;
        st += bt.src_tokens;
        tt += bt.tgt_tokens;
    }
    CHECK(ok);
    CHECK(ok_len);
    CHECK(st == c.src_tokens && tt == c.tgt_tokens + c.npairs);
    batch_free(&bt);
    batcher_free(&b);
    corpus_free(&c);
}

/* The real training set, if the shared data is there: counts and speed. */
static void test_multi30k(const char *data_dir)
{
    char src[512], tgt[512];
    snprintf(src, sizeof src, "%s/multi30k/train.de", data_dir);
    snprintf(tgt, sizeof tgt, "%s/multi30k/train.en", data_dir);
    if (access(src, R_OK) != 0 || access(tgt, R_OK) != 0) {
        fprintf(stderr, "test_corpus: %s not found, skipping the Multi30k check\n", src);
        return;
    }
    TextPairs tp;
    Vocab sv, tv;
    Corpus c;
    S2sErr err = {{0}};
    CHECK_MSG(textpairs_read(&tp, src, tgt, &word_tk, S2S_MAX_LINE_BYTES, &err) == 0, "%s", err.msg);
    CHECK(tp.npairs == 29000);
    build_vocabs(&tp, &sv, &tv, 2);
    CHECK(corpus_build(&c, &tp, &sv, &tv, 50, &err) == 0);
    CHECK(c.npairs + c.skipped_long + c.skipped_empty == 29000);
    CHECK(c.npairs > 28000);
    corpus_free(&c);
    vocab_free(&sv);
    vocab_free(&tv);
    textpairs_free(&tp);
}

int main(void)
{
    char cwd[4096];
    const char *data = getenv("S2S_SHARED_DATA");
    if (!getcwd(cwd, sizeof cwd) || !mkdtemp(tmp_dir) || chdir(tmp_dir) != 0) {
        perror("test_corpus: temporary directory");
        return 1;
    }
    test_read_errors();
    test_read_ok();
    test_read_long_line();
    test_corpus_build();
    test_batcher();
    test_batcher_words();
    test_batch_small();
    test_batch_epoch();
    remove_files();
    CHECK(chdir(cwd) == 0);
    CHECK(rmdir(tmp_dir) == 0);
    if (data)
        test_multi30k(data);
    return check_exit_code("test_corpus");
}
