/* BPE: hand-computed merges and segmentations (the tie rule, overlapping
 * pairs), the incremental learner against a naive one that recounts every
 * pair at every step, codes files (round trip and exact error messages),
 * apply/join round trips on multi-byte words, the bounded cache, and a
 * speed sanity check on a synthetic corpus. */
#include <limits.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "s2s/text/bpe.h"

/* ---- helpers ---- */

typedef struct {
    const char *word;
    long count;
} WordCount;

static void add_words(BpeLearner *l, const WordCount *w, int n)
{
    S2sErr err;
    for (int i = 0; i < n; i++)
        CHECK_MSG(bpe_learner_add(l, w[i].word, strlen(w[i].word), w[i].count, &err) == 0,
                  "%s", err.msg);
}

/* Learns from w[0..n) into b. */
static int learn_words(Bpe *b, const WordCount *w, int n, int merges, int min_freq)
{
    BpeLearner l;
    S2sErr err;
    bpe_learner_init(&l, &err);
    add_words(&l, w, n);
    int rc = bpe_learn(&l, merges, min_freq, b, NULL, NULL, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    bpe_learner_free(&l);
    return rc;
}

/* Checks b's merges and counts against want[0..n) ("LEFT RIGHT") and counts. */
static void check_merges(const Bpe *b, const char *const *want, const long *counts, int n)
{
    CHECK_MSG(bpe_nmerges(b) == n, "%d merges, want %d", bpe_nmerges(b), n);
    for (int i = 0; i < n && i < bpe_nmerges(b); i++) {
        CHECK_MSG(strcmp(bpe_merge_text(b, i), want[i]) == 0, "merge %d: \"%s\", want \"%s\"", i,
                  bpe_merge_text(b, i), want[i]);
        if (counts)
            CHECK_MSG(b->count && b->count[i] == counts[i], "merge %d count %ld, want %ld", i,
                      b->count ? b->count[i] : -1, counts[i]);
    }
}

/* Segments word and compares the pieces with want, "|"-separated. */
static void check_apply(const Bpe *b, BpeCache *c, const char *word, const char *want)
{
    char *out = NULL, got[512] = "";
    size_t cap = 0;
    S2sErr err;
    int n = bpe_apply(b, c, word, strlen(word), &out, &cap, &err);
    CHECK_MSG(n >= 0, "%s: %s", word, err.msg);
    const char *p = out;
    for (int i = 0; i < n; i++, p += strlen(p) + 1) {
        if (i)
            strcat(got, "|");
        strcat(got, p);
    }
    CHECK_MSG(strcmp(got, want) == 0, "\"%s\" -> \"%s\", want \"%s\"", word, got, want);
    free(out);
}

static int same_merges(const Bpe *a, const Bpe *b)
{
    if (bpe_nmerges(a) != bpe_nmerges(b))
        return 0;
    for (int i = 0; i < bpe_nmerges(a); i++)
        if (strcmp(bpe_merge_text(a, i), bpe_merge_text(b, i)))
            return 0;
    return 1;
}

static uint64_t rng_state = 88172645463325252ULL;
static uint32_t rng_next(void) /* xorshift64 */
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 32);
}

/* A random word of 1..maxlen code points from alphabet into buf. */
static size_t random_word(char *buf, const char *const *alphabet, int na, int maxlen)
{
    int len = 1 + (int)(rng_next() % (uint32_t)maxlen);
    size_t n = 0;
    for (int i = 0; i < len; i++) {
        const char *a = alphabet[rng_next() % (uint32_t)na];
        memcpy(buf + n, a, strlen(a));
        n += strlen(a);
    }
    buf[n] = '\0';
    return n;
}

/* ---- hand-computed examples ---- */

/* low 5, lower 2, newest 6, widest 3: l o w</w> | l o w e r</w> |
 * n e w e s t</w> | w i d e s t</w>. Counts: e s 9, s t</w> 9 (tie: "e" <
 * "s"), l o 7, w e 8 -> 2 after e s, ... worked out step by step: */
static const WordCount classic[] = {{"low", 5}, {"lower", 2}, {"newest", 6}, {"widest", 3}};
static const char *const classic_merges[] = {
    "e s",          /* 9 */
    "es t</w>",     /* 9 */
    "l o",          /* 7 */
    "e w",          /* 6: ties n e, e w, w est</w>: smallest left "e" */
    "ew est</w>",   /* 6: ties n ew: "ew" < "n" */
    "n ewest</w>",  /* 6 */
    "lo w</w>",     /* 5 */
    "d est</w>",    /* 3: ties w i, i d: "d" < "i" < "w" */
    "i dest</w>",   /* 3 */
    "w idest</w>",  /* 3 */
    "e r</w>",      /* 2: ties lo w, w e: "e" < "lo" < "w" */
    "lo w",         /* 2: tie w er</w> */
    "low er</w>",   /* 2 */
};
static const long classic_counts[] = {9, 9, 7, 6, 6, 6, 5, 3, 3, 3, 2, 2, 2};

static void test_classic(void)
{
    Bpe b = {0};
    if (learn_words(&b, classic, 4, 100, 2) == 0)
        check_merges(&b, classic_merges, classic_counts, 13); /* then nothing is left */
    BpeCache c = {0};
    check_apply(&b, &c, "lowest", "low|est");
    check_apply(&b, &c, "newer", "n|ew|er");
    check_apply(&b, &c, "wider", "w|i|d|er");
    check_apply(&b, &c, "lower", "lower");
    check_apply(&b, &c, "low", "low");
    check_apply(&b, &c, "slow", "s|low");
    check_apply(&b, &c, "newest", "newest");
    check_apply(&b, &c, "xyz", "x|y|z");
    check_apply(&b, &c, "lowest", "low|est"); /* from the cache now */
    CHECK(c.hits == 1);
    bpe_free(&b);

    if (learn_words(&b, classic, 4, 6, 2) == 0) /* the merge limit */
        check_merges(&b, classic_merges, classic_counts, 6);
    check_apply(&b, &c, "lowest", "lo|w|est"); /* a new Bpe: the cache starts over */
    bpe_free(&b);
    if (learn_words(&b, classic, 4, 100, 3) == 0) /* min_freq: stops before the 2s */
        check_merges(&b, classic_merges, classic_counts, 10);
    bpe_free(&b);
    if (learn_words(&b, classic, 4, 0, 2) == 0)
        CHECK(bpe_nmerges(&b) == 0);
    check_apply(&b, &c, "low", "l|o|w");
    bpe_free(&b);
    bpe_cache_free(&c);
}

static void test_ties(void)
{
    Bpe b = {0};
    /* Same count and left: the smaller right wins. */
    const WordCount right[] = {{"ac", 2}, {"ab", 2}};
    const char *const right_want[] = {"a b</w>", "a c</w>"};
    if (learn_words(&b, right, 2, 10, 2) == 0)
        check_merges(&b, right_want, NULL, 2);
    bpe_free(&b);
    /* Byte order: 'Z' (0x5A) < 'a' (0x61) < 'z' < 0xC3 (lead byte of 'é'). */
    const WordCount bytes[] = {{"éx", 2}, {"zx", 2}, {"ax", 2}, {"Zx", 2}};
    const char *const bytes_want[] = {"Z x</w>", "a x</w>", "z x</w>", "é x</w>"};
    if (learn_words(&b, bytes, 4, 10, 2) == 0)
        check_merges(&b, bytes_want, NULL, 4);
    bpe_free(&b);
    /* "t" < "t</w>": at -> a t</w>, atb -> a t b</w>; a t, a t</w> and
     * t b</w> all count 2. */
    const WordCount eow[] = {{"at", 2}, {"atb", 2}};
    const char *const eow_want[] = {"a t", "a t</w>", "at b</w>"};
    if (learn_words(&b, eow, 2, 10, 2) == 0)
        check_merges(&b, eow_want, NULL, 3);
    bpe_free(&b);
    /* Counts decide before the tie rule. */
    const WordCount count[] = {{"zy", 3}, {"ab", 2}};
    const char *const count_want[] = {"z y</w>", "a b</w>"};
    if (learn_words(&b, count, 2, 10, 2) == 0)
        check_merges(&b, count_want, NULL, 2);
    bpe_free(&b);
}

/* a a a a a</w> holds a a three times (counted overlapping, as subword-nmt
 * does); merging it left to right gives aa aa a</w>. */
static void test_overlap(void)
{
    Bpe b = {0};
    const WordCount w[] = {{"aaaaa", 1}};
    const char *const want[] = {"a a", "aa a</w>", "aa aaa</w>"};
    const long counts[] = {3, 1, 1};
    if (learn_words(&b, w, 1, 10, 1) == 0)
        check_merges(&b, want, counts, 3);
    BpeCache c = {0};
    check_apply(&b, &c, "aaaaa", "aaaaa");
    check_apply(&b, &c, "aaaa", "aa|a|a"); /* aa a a</w>: no pair is a merge */
    check_apply(&b, &c, "aaa", "aaa");
    check_apply(&b, &c, "aaaaaaa", "aa|aaaaa");
    check_apply(&b, &c, "a", "a");
    check_apply(&b, &c, "", "");
    bpe_free(&b);
    bpe_cache_free(&c);
}

/* ---- the learner against a naive one ---- */

enum { NV_MAXS = 512, NV_MAXW = 200, NV_MAXL = 16 };

/* Recounts every pair of every word at every step. */
typedef struct {
    char *sym[NV_MAXS];
    int nsym;
    int seq[NV_MAXW][NV_MAXL], len[NV_MAXW];
    long freq[NV_MAXW], cnt[NV_MAXS][NV_MAXS];
    int nwords;
} Naive;

static int naive_intern(Naive *nv, const char *s, size_t n)
{
    for (int i = 0; i < nv->nsym; i++)
        if (strlen(nv->sym[i]) == n && memcmp(nv->sym[i], s, n) == 0)
            return i;
    if (nv->nsym == NV_MAXS)
        abort();
    nv->sym[nv->nsym] = malloc(n + 1);
    if (!nv->sym[nv->nsym])
        abort();
    memcpy(nv->sym[nv->nsym], s, n);
    nv->sym[nv->nsym][n] = '\0';
    return nv->nsym++;
}

static void naive_add(Naive *nv, const char *w, long f)
{
    size_t n = strlen(w);
    int k = nv->nwords++;
    nv->freq[k] = f;
    nv->len[k] = 0;
    for (size_t i = 0, c; i < n; i += c) {
        unsigned char u = (unsigned char)w[i];
        c = u < 0x80 ? 1 : u < 0xE0 ? 2 : u < 0xF0 ? 3 : 4;
        char s[16];
        memcpy(s, w + i, c);
        size_t sn = c;
        if (i + c == n) {
            memcpy(s + c, "</w>", 4);
            sn += 4;
        }
        nv->seq[k][nv->len[k]++] = naive_intern(nv, s, sn);
    }
}

/* One step: the best pair into *l, *r; returns its count (0: none). */
static long naive_best(Naive *nv, int *l, int *r)
{
    memset(nv->cnt, 0, sizeof nv->cnt);
    for (int w = 0; w < nv->nwords; w++)
        for (int k = 0; k + 1 < nv->len[w]; k++)
            nv->cnt[nv->seq[w][k]][nv->seq[w][k + 1]] += nv->freq[w];
    long best = 0;
    for (int a = 0; a < nv->nsym; a++)
        for (int b = 0; b < nv->nsym; b++) {
            long c = nv->cnt[a][b];
            if (!c || c < best)
                continue;
            int t = c > best ? -1 : strcmp(nv->sym[a], nv->sym[*l]);
            if (t < 0 || (t == 0 && strcmp(nv->sym[b], nv->sym[*r]) < 0)) {
                best = c;
                *l = a;
                *r = b;
            }
        }
    return best;
}

static void naive_merge(Naive *nv, int l, int r)
{
    char s[256];
    snprintf(s, sizeof s, "%s%s", nv->sym[l], nv->sym[r]);
    int c = naive_intern(nv, s, strlen(s));
    for (int w = 0; w < nv->nwords; w++) {
        int m = 0;
        for (int i = 0; i < nv->len[w]; m++) {
            int hit = i + 1 < nv->len[w] && nv->seq[w][i] == l && nv->seq[w][i + 1] == r;
            nv->seq[w][m] = hit ? c : nv->seq[w][i];
            i += hit ? 2 : 1;
        }
        nv->len[w] = m;
    }
}

static void test_against_naive(void)
{
    /* Few letters, so words repeat symbols (a a a, ä b ä b) a lot. */
    const char *const alphabet[] = {"a", "b", "a", "ä", "日", "b", "a"};
    static Naive nv;
    for (int round = 0; round < 4; round++) {
        for (int i = 0; i < nv.nsym; i++)
            free(nv.sym[i]);
        memset(&nv, 0, sizeof nv);
        BpeLearner l;
        S2sErr err;
        bpe_learner_init(&l, &err);
        for (int i = 0; i < 120; i++) {
            char w[64];
            size_t n = random_word(w, alphabet, 7, 12);
            long f = 1 + (long)(rng_next() % 20);
            CHECK(bpe_learner_add(&l, w, n, f, &err) == 0);
        }
        /* The naive one takes the learner's word types. */
        for (int w = 0; w < l.words.n; w++)
            naive_add(&nv, l.words.bytes + l.words.off[w], l.freq[w]);
        Bpe b = {0};
        int min_freq = round % 2 ? 1 : 3;
        CHECK_MSG(bpe_learn(&l, 400, min_freq, &b, NULL, NULL, &err) == 0, "%s", err.msg);
        int n = 0, ok = 1;
        for (;; n++) {
            int lft = 0, rgt = 0;
            long c = naive_best(&nv, &lft, &rgt);
            if (c < min_freq || n == 400)
                break;
            char want[256];
            snprintf(want, sizeof want, "%s %s", nv.sym[lft], nv.sym[rgt]);
            if (n >= bpe_nmerges(&b) || strcmp(bpe_merge_text(&b, n), want) || b.count[n] != c) {
                CHECK_MSG(0, "round %d merge %d: got \"%s\" %ld, want \"%s\" %ld", round, n,
                          n < bpe_nmerges(&b) ? bpe_merge_text(&b, n) : "(none)",
                          n < bpe_nmerges(&b) ? b.count[n] : 0L, want, c);
                ok = 0;
                break;
            }
            naive_merge(&nv, lft, rgt);
        }
        if (ok)
            CHECK_MSG(bpe_nmerges(&b) == n, "round %d: %d merges, naive %d", round,
                      bpe_nmerges(&b), n);
        bpe_free(&b);
        bpe_learner_free(&l);
    }
    for (int i = 0; i < nv.nsym; i++)
        free(nv.sym[i]);
}

/* ---- determinism, round trips ---- */

static const WordCount multi[] = {
    {"Männer", 7}, {"Männern", 3}, {"Frauen", 5}, {"日本語", 4}, {"日本", 6},
    {"👍🏽", 3},    {"👍", 2},      {"naïve", 2},  {"Ωmega", 2},  {"über", 5},
    {"Über", 2},   {"zurück", 4},  {"!", 9},      {"€5", 2},     {"a\tb", 2},
};

static void test_deterministic(void)
{
    BpeLearner l, r;
    S2sErr err;
    bpe_learner_init(&l, &err);
    bpe_learner_init(&r, &err);
    int n = (int)(sizeof multi / sizeof multi[0]);
    add_words(&l, multi, n);
    for (int i = n - 1; i >= 0; i--) /* other order, counts in two halves */
        for (int k = 0; k < 2; k++) {
            long half = multi[i].count / 2;
            long c = k ? multi[i].count - half : half;
            if (c)
                CHECK(bpe_learner_add(&r, multi[i].word, strlen(multi[i].word), c, &err) == 0);
        }
    Bpe a = {0}, b = {0}, c = {0};
    CHECK(bpe_learn(&l, 500, 2, &a, NULL, NULL, &err) == 0);
    CHECK(bpe_learn(&l, 500, 2, &b, NULL, NULL, &err) == 0);
    CHECK(bpe_learn(&r, 500, 2, &c, NULL, NULL, &err) == 0);
    CHECK(bpe_nmerges(&a) > 10);
    CHECK(same_merges(&a, &b));
    CHECK(same_merges(&a, &c));
    for (int i = 0; i < bpe_nmerges(&a); i++)
        CHECK(a.count[i] == b.count[i] && a.count[i] == c.count[i]);
    /* Every training word of count >= 2 ends as one piece here. */
    BpeCache cache = {0};
    check_apply(&a, &cache, "Männer", "Männer");
    check_apply(&a, &cache, "日本語", "日本語");
    check_apply(&a, &cache, "👍🏽", "👍🏽");
    bpe_cache_free(&cache);
    bpe_free(&a);
    bpe_free(&b);
    bpe_free(&c);
    bpe_learner_free(&l);
    bpe_learner_free(&r);
}

static char tmpdir[] = "/tmp/s2s_test_bpe_XXXXXX";

static void write_file(const char *path, const char *text, size_t n)
{
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f)
        return;
    CHECK(fwrite(text, 1, n, f) == n);
    CHECK(fclose(f) == 0);
}

static void test_save_load(void)
{
    BpeLearner l;
    S2sErr err;
    bpe_learner_init(&l, &err);
    add_words(&l, multi, (int)(sizeof multi / sizeof multi[0]));
    add_words(&l, classic, 4);
    Bpe a = {0}, b = {0}, c = {0};
    CHECK(bpe_learn(&l, 1000, 1, &a, NULL, NULL, &err) == 0);
    char path[256];
    snprintf(path, sizeof path, "%s/codes.bpe", tmpdir);
    CHECK_MSG(bpe_save(&a, path, &err) == 0, "%s", err.msg);
    CHECK_MSG(bpe_load(&b, path, &err) == 0, "%s", err.msg);
    CHECK(same_merges(&a, &b));
    CHECK(b.count == NULL && b.digest == a.digest);
    /* As a model file would keep them: the texts. */
    const char **texts = malloc((size_t)bpe_nmerges(&a) * sizeof *texts);
    CHECK(texts != NULL);
    for (int i = 0; texts && i < bpe_nmerges(&a); i++)
        texts[i] = bpe_merge_text(&a, i);
    CHECK(texts && bpe_from_texts(&c, texts, bpe_nmerges(&a), &err) == 0);
    CHECK(same_merges(&a, &c));
    free(texts);
    /* The file is subword-nmt's: header, then "LEFT RIGHT" lines. */
    FILE *f = fopen(path, "rb");
    char line[256];
    CHECK(f && fgets(line, sizeof line, f) && strcmp(line, "#version: 0.2\n") == 0);
    CHECK(f && fgets(line, sizeof line, f) && strncmp(line, bpe_merge_text(&a, 0), strlen(line) - 1) == 0);
    if (f)
        fclose(f);

    /* apply, then join the pieces: the word again; same pieces for all three. */
    const char *const alphabet[] = {"a", "e", "n", "M", "ä", "日", "本", "語", "👍", "🏽", "</w>", "@@", "\t"};
    BpeCache ca = {0}, cb = {0};
    char *pa = NULL, *pb = NULL;
    size_t capa = 0, capb = 0;
    int bad = 0;
    for (int i = 0; i < 3000 + (int)(sizeof multi / sizeof multi[0]); i++) {
        char w[256], joined[256] = "";
        const char *word = w;
        if (i < (int)(sizeof multi / sizeof multi[0]))
            word = multi[i].word;
        else
            random_word(w, alphabet, 13, 10);
        size_t len = strlen(word);
        int na = bpe_apply(&a, &ca, word, len, &pa, &capa, &err);
        int nb = bpe_apply(&b, &cb, word, len, &pb, &capb, &err);
        if (na < 1 || na != nb || memcmp(pa, pb, len + (size_t)na)) {
            bad++;
            continue;
        }
        const char *p = pa;
        for (int k = 0; k < na; k++, p += strlen(p) + 1) {
            bad += *p == '\0'; /* no empty piece */
            strcat(joined, p);
        }
        bad += strcmp(joined, word) != 0;
    }
    CHECK_MSG(bad == 0, "%d words did not round-trip", bad);
    free(pa);
    free(pb);
    bpe_cache_free(&ca);
    bpe_cache_free(&cb);
    bpe_free(&a);
    bpe_free(&b);
    bpe_free(&c);
    bpe_learner_free(&l);
    remove(path);
}

/* ---- codes files: what is accepted, and the exact errors ---- */

static void load_text(const char *text, size_t n, int want_rc, const char *want_what,
                      int want_merges)
{
    char path[256], want[512];
    snprintf(path, sizeof path, "%s/codes.bpe", tmpdir);
    write_file(path, text, n);
    Bpe b = {0};
    S2sErr err = {{0}};
    int rc = bpe_load(&b, path, &err);
    CHECK_MSG(rc == want_rc, "load \"%s\": rc %d, want %d (%s)", text, rc, want_rc, err.msg);
    if (want_what) {
        snprintf(want, sizeof want, "%s%s", path, want_what);
        CHECK_MSG(strcmp(err.msg, want) == 0, "got \"%s\", want \"%s\"", err.msg, want);
        CHECK(bpe_nmerges(&b) == 0 && b.text == NULL); /* left zeroed */
    } else {
        CHECK_MSG(bpe_nmerges(&b) == want_merges, "load \"%s\": %d merges, want %d", text,
                  bpe_nmerges(&b), want_merges);
    }
    bpe_free(&b);
    remove(path);
}

#define LOAD(text, rc, what, n) load_text(text, sizeof text - 1, rc, what, n)

static void test_codes_files(void)
{
    const char *sep = ": expected two symbols separated by one space";
    char want[128];
    LOAD("#version: 0.2\ne s\nes t</w>\n", 0, NULL, 2);
    LOAD("e s\nes t</w>", 0, NULL, 2);                /* no header, no final newline */
    LOAD("#version: 0.2\r\ne s\r\nes t</w>\r\n", 0, NULL, 2);
    LOAD("#version: 0.2\ne s\n\n\n", 0, NULL, 1);      /* blank final lines */
    LOAD("#version: 0.2\n", 0, NULL, 0);
    LOAD("", 0, NULL, 0);
    LOAD("e s\ne s\n", 0, NULL, 2);                    /* a repeat is kept, never used */
    snprintf(want, sizeof want, ":3%s", sep);
    LOAD("#version: 0.2\ne s\nest\nx y\n", S2S_EFORMAT, want, 0);
    snprintf(want, sizeof want, ":2%s", sep);
    LOAD("e s\na  b\n", S2S_EFORMAT, want, 0);
    LOAD("e s\na b c\n", S2S_EFORMAT, want, 0);
    LOAD("e s\n a\n", S2S_EFORMAT, want, 0);
    LOAD("e s\na \n", S2S_EFORMAT, want, 0);
    LOAD("e s\n\nx y\n", S2S_EFORMAT, want, 0);        /* a blank line inside */
    LOAD("e s\na\rb c\n", S2S_EFORMAT, want, 0);
    LOAD("#version: 0.2\nx y\ne s\nl \xc3\x28\n", S2S_EFORMAT, ":4: invalid UTF-8 at byte 2", 0);
    LOAD("\xff s\n", S2S_EFORMAT, ":1: invalid UTF-8 at byte 0", 0);
    LOAD("e s\na\0 b\n", S2S_EFORMAT, ":2: NUL byte in line", 0);
    LOAD("#version: 0.1\ne s\n", S2S_EFORMAT,
         ":1: unsupported codes version \"0.1\": only 0.2 is supported", 0);

    char path[256], msg[512];
    snprintf(path, sizeof path, "%s/missing.bpe", tmpdir);
    Bpe b = {0};
    S2sErr err;
    CHECK(bpe_load(&b, path, &err) == S2S_EIO);
    snprintf(msg, sizeof msg, "%s: cannot open: No such file or directory", path);
    CHECK_MSG(strcmp(err.msg, msg) == 0, "%s", err.msg);
    snprintf(path, sizeof path, "%s/no/such/dir/codes.bpe", tmpdir);
    CHECK(bpe_save(&b, path, &err) == S2S_EIO);
    /* Not replaced by the rename: a FIFO stands for devices like /dev/null. */
    snprintf(path, sizeof path, "%s/fifo", tmpdir);
    struct stat st;
    CHECK(mkfifo(path, 0600) == 0);
    CHECK(bpe_save(&b, path, &err) == S2S_EINVAL);
    snprintf(msg, sizeof msg, "%s: not a regular file", path);
    CHECK_MSG(strcmp(err.msg, msg) == 0, "%s", err.msg);
    CHECK(stat(path, &st) == 0 && S_ISFIFO(st.st_mode));
    remove(path);

    /* bpe_from_texts names the merge index. */
    const char *const bad_sep[] = {"a b", "c d", "ef"};
    CHECK(bpe_from_texts(&b, bad_sep, 3, &err) == S2S_EFORMAT);
    CHECK_MSG(strcmp(err.msg, "bpe merge 2: expected two symbols separated by one space") == 0,
              "%s", err.msg);
    const char *const bad_utf8[] = {"a b", "\xe6\x97 x"};
    CHECK(bpe_from_texts(&b, bad_utf8, 2, &err) == S2S_EFORMAT);
    CHECK_MSG(strcmp(err.msg, "bpe merge 1: invalid UTF-8 at byte 0") == 0, "%s", err.msg);
    CHECK(bpe_nmerges(&b) == 0);
}

static void test_bad_input(void)
{
    BpeLearner l;
    S2sErr err;
    bpe_learner_init(&l, &err);
    CHECK(bpe_learner_add(&l, "a b", 3, 1, &err) == S2S_EINVAL);
    CHECK_MSG(strcmp(err.msg, "bpe: word \"a b\": space, line break or NUL at byte 1") == 0, "%s",
              err.msg);
    CHECK(bpe_learner_add(&l, "ab\n", 3, 1, &err) == S2S_EINVAL);
    CHECK(bpe_learner_add(&l, "", 0, 1, &err) == S2S_EINVAL);
    CHECK(bpe_learner_add(&l, "ab", 2, 0, &err) == S2S_EINVAL);
    CHECK(bpe_learner_add(&l, "a\xc3", 2, 1, &err) == S2S_EFORMAT);
    CHECK_MSG(strcmp(err.msg, "bpe: word: invalid UTF-8 at byte 1") == 0, "%s", err.msg);
    CHECK(bpe_learner_add(&l, "ab", 2, LONG_MAX, &err) == 0);
    CHECK(bpe_learner_add(&l, "ab", 2, 1, &err) == S2S_EINVAL); /* overflow */
    CHECK(l.words.n == 1 && l.freq[0] == LONG_MAX);
    Bpe b = {0};
    CHECK(bpe_learn(&l, -1, 2, &b, NULL, NULL, &err) == S2S_EINVAL);
    bpe_learner_free(&l);
    CHECK(bpe_learn(&l, 10, 2, &b, NULL, NULL, &err) == 0 && bpe_nmerges(&b) == 0);

    BpeCache c = {0};
    char *out = NULL;
    size_t cap = 0;
    CHECK(bpe_apply(&b, &c, "ok\xe2\x82", 4, &out, &cap, &err) == S2S_EFORMAT);
    CHECK_MSG(strcmp(err.msg, "invalid UTF-8 at byte 2") == 0, "%s", err.msg);
    CHECK(bpe_apply(&b, &c, "日本", 6, &out, &cap, &err) == 2); /* no merges: code points */
    CHECK(out && strcmp(out, "日") == 0 && strcmp(out + 4, "本") == 0);
    free(out);
    bpe_cache_free(&c);
    bpe_free(&b);
    bpe_free(&b); /* free twice: zeroed the first time */
    bpe_cache_free(&c);
}

/* ---- cache bounds, speed ---- */

/* Syllable words with Zipf-like counts: n types. */
static void synthetic(BpeLearner *l, int n)
{
    const char *const syl[] = {"ka", "ri", "ne", "sto", "mä", "l", "ung", "en", "t", "ß", "o", "ch"};
    S2sErr err;
    for (int i = 0; i < n; i++) {
        char w[64];
        size_t len = random_word(w, syl, 12, 6);
        CHECK(bpe_learner_add(l, w, len, 1 + 20000 / (i + 1), &err) == 0);
    }
}

static int progress_calls, progress_last;
static void progress(int done, int total, void *ctx)
{
    (void)ctx;
    progress_calls++;
    progress_last = done;
    CHECK(total == 3000 && done % 1000 == 0);
}

static void test_speed_and_cache(void)
{
    BpeLearner l;
    S2sErr err;
    bpe_learner_init(&l, &err);
    synthetic(&l, 30000);
    Bpe b = {0};
    clock_t t0 = clock();
    CHECK_MSG(bpe_learn(&l, 3000, 2, &b, progress, NULL, &err) == 0, "%s", err.msg);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    fprintf(stderr, "learned %d merges over %d word types in %.3f s\n", bpe_nmerges(&b), l.words.n,
            secs);
    CHECK(bpe_nmerges(&b) == 3000 && progress_calls == 3 && progress_last == 3000);
    CHECK_MSG(secs < 3.0, "%.3f s: far too slow", secs); /* ~0.05 s; only blowups fail */

    /* A small cache: bounded, cleared when full, and the same pieces. */
    BpeCache small = {0}, big = {0};
    small.max_entries = 100;
    char *ps = NULL, *pb = NULL, w[64];
    size_t caps = 0, capb = 0;
    long bad = 0;
    t0 = clock();
    for (int i = 0; i < 200000; i++) {
        int k = (int)(rng_next() % 40000) % l.words.n; /* repeats, and new words */
        size_t len = strlen(l.words.bytes + l.words.off[k]);
        memcpy(w, l.words.bytes + l.words.off[k], len);
        if (i % 3 == 0)
            memcpy(w + len++, "x", 1);
        int ns = bpe_apply(&b, &small, w, len, &ps, &caps, &err);
        int nb = bpe_apply(&b, &big, w, len, &pb, &capb, &err);
        bad += ns < 1 || ns != nb || memcmp(ps, pb, len + (size_t)ns);
        bad += small.nentries > 100;
    }
    secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    fprintf(stderr, "applied 2 x 200000 words in %.3f s; small cache: %ld hits, %ld clears; "
            "big cache: %ld hits, %zu entries\n", secs, small.hits, small.clears, big.hits,
            big.nentries);
    CHECK(bad == 0);
    CHECK(small.clears > 100 && small.nbytes <= 100 * 64);
    CHECK(big.clears == 0 && big.hits > 100000);
    free(ps);
    free(pb);
    bpe_cache_free(&small);
    bpe_cache_free(&big);
    bpe_free(&b);
    bpe_learner_free(&l);
}

/* Pieces joined, as one string: the word again. */
static void join_pieces(const char *pieces, int n, char *out)
{
    out[0] = '\0';
    for (int i = 0; i < n; i++, pieces += strlen(pieces) + 1)
        strcat(out, pieces);
}

/* BPE-dropout: p = 0 is bpe_apply; p > 0 gives pieces that join to the
 * word, as long or longer, the same for the same seed, different ones
 * across draws; p near 1 leaves code points. */
static void test_dropout(void)
{
    BpeLearner l;
    S2sErr err;
    bpe_learner_init(&l, &err);
    add_words(&l, multi, (int)(sizeof multi / sizeof multi[0]));
    Bpe b = {0};
    CHECK(bpe_learn(&l, 100, 1, &b, NULL, NULL, &err) == 0);
    BpeCache c = {0};
    char *det = NULL, *out = NULL, joined[256], a[256];
    size_t dcap = 0, ocap = 0;
    Rng r1, r2, r3;
    rng_seed(&r1, 7), rng_seed(&r2, 7), rng_seed(&r3, 8);
    int differed = 0;
    for (size_t w = 0; w < sizeof multi / sizeof multi[0]; w++) {
        const char *word = multi[w].word;
        size_t len = strlen(word);
        int nd = bpe_apply(&b, &c, word, len, &det, &dcap, &err);
        int n0 = bpe_apply_dropout(&b, &c, word, len, 0.0f, NULL, &out, &ocap, &err);
        CHECK_MSG(n0 == nd && memcmp(out, det, len + (size_t)nd) == 0, "p = 0 differs on %s", word);
        for (int k = 0; k < 20; k++) {
            int n = bpe_apply_dropout(&b, &c, word, len, 0.3f, &r1, &out, &ocap, &err);
            CHECK(n >= nd);
            join_pieces(out, n, joined);
            CHECK_MSG(strcmp(joined, word) == 0, "dropout pieces join to %s, not %s", joined, word);
            differed += n != nd || memcmp(out, det, len + (size_t)n) != 0;
            memcpy(a, out, len + (size_t)n);
            int m = bpe_apply_dropout(&b, &c, word, len, 0.3f, &r2, &out, &ocap, &err);
            CHECK_MSG(m == n && memcmp(a, out, len + (size_t)n) == 0, "seed 7 twice differs on %s", word);
        }
        int n = bpe_apply_dropout(&b, &c, word, len, 0.999999f, &r3, &out, &ocap, &err);
        int cps = 0;
        for (size_t i = 0; i < len; i++)
            cps += ((unsigned char)word[i] & 0xC0) != 0x80;
        CHECK_MSG(n == cps, "p ~ 1: %d pieces for %d code points in %s", n, cps, word);
    }
    CHECK_MSG(differed > 20, "dropout changed only %d of 300 segmentations", differed);
    free(det), free(out);
    bpe_cache_free(&c);
    bpe_free(&b);
    bpe_learner_free(&l);
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_classic();
    test_ties();
    test_overlap();
    test_against_naive();
    test_deterministic();
    test_save_load();
    test_codes_files();
    test_bad_input();
    test_speed_and_cache();
    test_dropout();
    rmdir(tmpdir);
    return check_exit_code("test_bpe");
}
