#include "s2s/text/bpe.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "s2s/base/fileio.h"
#include "s2s/base/utf8.h"

#define EOW "</w>"
enum { EOW_LEN = 4 };

/* ---- helpers ---- */

/* FNV-1a, 64 bit. */
static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* splitmix64's finalizer: pair keys are two small ids, which need mixing
 * before their low bits pick a slot. */
static uint64_t hash_key(uint64_t k)
{
    k ^= k >> 30;
    k *= 0xbf58476d1ce4e5b9ULL;
    k ^= k >> 27;
    k *= 0x94d049bb133111ebULL;
    return k ^ (k >> 31);
}

static uint64_t pair_key(int32_t left, int32_t right)
{
    return (uint64_t)(uint32_t)left << 32 | (uint32_t)right;
}

/* Bytes in the UTF-8 sequence led by c (the text is already validated). */
static size_t cp_len(unsigned char c)
{
    return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

/* ---- BpeStrs ---- */

static const char *strs_get(const BpeStrs *t, int32_t id) { return t->bytes + t->off[id]; }

static size_t strs_len(const BpeStrs *t, int32_t id)
{
    size_t end = id + 1 < t->n ? t->off[id + 1] : t->nbytes;
    return end - t->off[id] - 1;
}

static int32_t strs_find(const BpeStrs *t, const char *s, size_t n, uint64_t h)
{
    if (!t->nslots)
        return -1;
    size_t mask = t->nslots - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        int32_t id = t->slots[i];
        if (id < 0 || (t->hash[id] == h && strs_len(t, id) == n &&
                       memcmp(strs_get(t, id), s, n) == 0))
            return id;
    }
}

static void strs_place(int32_t *slots, size_t nslots, int32_t id, uint64_t h)
{
    size_t mask = nslots - 1, i = (size_t)h & mask;
    while (slots[i] >= 0)
        i = (i + 1) & mask;
    slots[i] = id;
}

static int strs_rehash(BpeStrs *t, size_t nslots)
{
    int32_t *slots = s2s_malloc(nslots * sizeof *slots);
    if (!slots)
        return S2S_ENOMEM;
    for (size_t i = 0; i < nslots; i++)
        slots[i] = -1;
    for (int32_t id = 0; id < t->n; id++)
        strs_place(slots, nslots, id, t->hash[id]);
    free(t->slots);
    t->slots = slots;
    t->nslots = nslots;
    return 0;
}

/* The id of s[0..n), added if new. s must not point into t. */
static int strs_intern(BpeStrs *t, const char *s, size_t n, int32_t *id)
{
    uint64_t h = hash_bytes(s, n);
    int32_t found = strs_find(t, s, n, h);
    if (found >= 0) {
        *id = found;
        return 0;
    }
    if (t->n == INT32_MAX)
        return S2S_ENOMEM;
    if ((size_t)(t->n + 1) * 2 > t->nslots &&
        strs_rehash(t, t->nslots ? 2 * t->nslots : 64))
        return S2S_ENOMEM;
    size_t cap = t->cap;
    size_t *off = s2s_grow(t->off, &cap, (size_t)t->n + 1, sizeof *off);
    if (!off)
        return S2S_ENOMEM;
    t->off = off;
    uint64_t *hash = s2s_grow(t->hash, &t->cap, (size_t)t->n + 1, sizeof *hash);
    if (!hash)
        return S2S_ENOMEM;
    t->hash = hash;
    char *bytes = s2s_grow(t->bytes, &t->bytes_cap, t->nbytes + n + 1, 1);
    if (!bytes)
        return S2S_ENOMEM;
    t->bytes = bytes;
    memcpy(t->bytes + t->nbytes, s, n);
    t->bytes[t->nbytes + n] = '\0';
    t->off[t->n] = t->nbytes;
    t->hash[t->n] = h;
    t->nbytes += n + 1;
    strs_place(t->slots, t->nslots, t->n, h);
    *id = t->n++;
    return 0;
}

static void strs_free(BpeStrs *t)
{
    free(t->bytes);
    free(t->off);
    free(t->hash);
    free(t->slots);
    memset(t, 0, sizeof *t);
}

/* ---- BpePairs ---- */

/* The slot holding key, or the free slot where it would go (nslots > 0). */
static BpePairSlot *pairs_slot(const BpePairs *t, uint64_t key)
{
    size_t mask = t->nslots - 1;
    for (size_t i = (size_t)hash_key(key) & mask;; i = (i + 1) & mask) {
        BpePairSlot *s = &t->slots[i];
        if (s->val < 0 || s->key == key)
            return s;
    }
}

static int32_t pairs_get(const BpePairs *t, int32_t left, int32_t right)
{
    if (!t->nslots || left < 0 || right < 0)
        return -1;
    return pairs_slot(t, pair_key(left, right))->val;
}

/* Makes room for one more key. */
static int pairs_reserve(BpePairs *t)
{
    if ((t->n + 1) * 2 <= t->nslots)
        return 0;
    size_t nslots = t->nslots ? 2 * t->nslots : 256;
    BpePairSlot *slots = s2s_malloc(nslots * sizeof *slots);
    if (!slots)
        return S2S_ENOMEM;
    for (size_t i = 0; i < nslots; i++)
        slots[i].val = -1;
    BpePairs grown = {slots, nslots, t->n};
    for (size_t i = 0; i < t->nslots; i++)
        if (t->slots[i].val >= 0)
            *pairs_slot(&grown, t->slots[i].key) = t->slots[i];
    free(t->slots);
    *t = grown;
    return 0;
}

static void pairs_free(BpePairs *t)
{
    free(t->slots);
    memset(t, 0, sizeof *t);
}

/* ---- Bpe ---- */

int bpe_nmerges(const Bpe *b) { return b->nmerges; }

const char *bpe_merge_text(const Bpe *b, int i)
{
    S2S_INVARIANT(i >= 0 && i < b->nmerges);
    return b->text + b->text_off[i];
}

void bpe_free(Bpe *b)
{
    free(b->text);
    free(b->text_off);
    free(b->count);
    free(b->result);
    strs_free(&b->syms);
    pairs_free(&b->rank);
    memset(b, 0, sizeof *b);
}

/* NULL if s[0..n) is a well-formed merge "LEFT RIGHT" (then *sep is the
 * space's offset), else what is wrong (possibly formatted into buf). */
static const char *merge_problem(const char *s, size_t n, size_t *sep, char *buf, size_t bufsz)
{
    long bad = utf8_invalid_offset(s, n);
    if (bad >= 0) {
        snprintf(buf, bufsz, "invalid UTF-8 at byte %ld", bad);
        return buf;
    }
    if (memchr(s, '\0', n))
        return "NUL byte in line";
    const char *space = memchr(s, ' ', n);
    int ok = space && space > s && space < s + n - 1;
    for (size_t i = 0; ok && i < n; i++)
        ok = s[i] == ' ' ? s + i == space : s[i] != '\n' && s[i] != '\r';
    if (!ok)
        return "expected two symbols separated by one space";
    *sep = (size_t)(space - s);
    return NULL;
}

/* Interns merge i's symbols (text already copied into b) and ranks it.
 * join: room for the text's length. */
static int add_merge(Bpe *b, int i, size_t sep, char *join)
{
    const char *t = b->text + b->text_off[i];
    size_t n = strlen(t);
    int32_t left, right;
    memcpy(join, t, sep);
    memcpy(join + sep, t + sep + 1, n - sep - 1);
    if (strs_intern(&b->syms, t, sep, &left) || strs_intern(&b->syms, t + sep + 1, n - sep - 1, &right) ||
        strs_intern(&b->syms, join, n - 1, &b->result[i]) || pairs_reserve(&b->rank))
        return S2S_ENOMEM;
    BpePairSlot *slot = pairs_slot(&b->rank, pair_key(left, right));
    if (slot->val < 0) { /* a repeated pair keeps its first, lowest rank */
        slot->key = pair_key(left, right);
        slot->val = i;
        b->rank.n++;
    }
    return 0;
}

int bpe_from_texts(Bpe *b, const char *const *merges, int n, S2sErr *err)
{
    memset(b, 0, sizeof *b);
    if (n < 0)
        return s2s_fail(err, S2S_EINVAL, "bpe: %d merges", n);
    if (n == 0) /* zeroed is the empty list */
        return 0;
    size_t total = 0, longest = 0, sep;
    char why[64];
    for (int i = 0; i < n; i++) {
        size_t len = strlen(merges[i]);
        const char *bad = merge_problem(merges[i], len, &sep, why, sizeof why);
        if (bad)
            return s2s_fail(err, S2S_EFORMAT, "bpe merge %d: %s", i, bad);
        total += len + 1;
        longest = len > longest ? len : longest;
    }
    int rc = S2S_ENOMEM;
    char *join = s2s_malloc(longest);
    b->text = s2s_malloc(total);
    b->text_off = s2s_malloc((size_t)n * sizeof *b->text_off);
    b->result = s2s_malloc((size_t)n * sizeof *b->result);
    if (!join || !b->text || !b->text_off || !b->result)
        goto fail;
    size_t at = 0;
    for (int i = 0; i < n; i++) {
        size_t len = strlen(merges[i]);
        memcpy(b->text + at, merges[i], len + 1);
        b->text_off[i] = at;
        at += len + 1;
        b->nmerges = i + 1;
        merge_problem(merges[i], len, &sep, why, sizeof why);
        if (add_merge(b, i, sep, join))
            goto fail;
    }
    b->digest = hash_bytes(b->text, total);
    free(join);
    return 0;
fail:
    free(join);
    bpe_free(b);
    return s2s_fail(err, rc, "bpe: out of memory for %d merges", n);
}

/* ---- codes files ---- */

int bpe_save(const Bpe *b, const char *given, S2sErr *err)
{
    FileReplace r;
    int rc = fileio_replace_open(&r, given, err);
    if (rc)
        return rc;
    int bad = fputs("#version: 0.2\n", r.f) == EOF;
    for (int i = 0; i < b->nmerges && !bad; i++)
        bad = fputs(bpe_merge_text(b, i), r.f) == EOF || fputc('\n', r.f) == EOF;
    if (bad) {
        rc = s2s_fail(err, S2S_EIO, "%s: write failed: %s", r.tmp, strerror(errno));
        fileio_replace_abort(&r);
        return rc;
    }
    return fileio_replace_commit(&r, err);
}

/* The whole file, NUL-terminated, into *buf (malloc'd) and *len. */
static int read_all(const char *path, char **buf, size_t *len, S2sErr *err)
{
    *buf = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return s2s_fail(err, S2S_EIO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 0, line_len = 0;
    long lineno = 1;
    for (;;) {
        char *p = s2s_grow(*buf, &cap, *len + 65536 + 1, 1);
        if (!p) {
            fclose(f);
            return s2s_fail(err, S2S_ENOMEM, "%s: out of memory", path);
        }
        *buf = p;
        size_t got = fread(*buf + *len, 1, cap - *len - 1, f);
        for (size_t i = *len; i < *len + got; i++, line_len++) /* bounded: not /dev/zero */
            if ((*buf)[i] == '\n')
                line_len = (size_t)-1, lineno++;
            else if (line_len >= (size_t)S2S_MAX_LINE_BYTES) {
                fclose(f);
                return s2s_fail(err, S2S_EFORMAT, "%s:%ld: line longer than %ld bytes", path,
                                lineno, S2S_MAX_LINE_BYTES);
            }
        *len += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    (*buf)[*len] = '\0';
    if (bad)
        return s2s_fail(err, S2S_EIO, "%s: read error", path);
    return 0;
}

/* Checks a first line that starts with "#version:". */
static int check_version(const char *line, size_t n, const char *path, S2sErr *err)
{
    size_t skip = strlen("#version:");
    const char *v = line + skip;
    size_t vn = n - skip;
    while (vn && *v == ' ') {
        v++;
        vn--;
    }
    while (vn && v[vn - 1] == ' ')
        vn--;
    if (vn == 3 && memcmp(v, "0.2", 3) == 0)
        return 0;
    return s2s_fail(err, S2S_EFORMAT,
                    "%s:1: unsupported codes version \"%.*s\": only 0.2 is supported", path,
                    (int)(vn < 64 ? vn : 64), v);
}

/* Splits buf[0..len) into lines, checks each and NUL-terminates the merges
 * in place; texts gets a pointer to each. */
static int parse_codes(char *buf, size_t len, const char *path, const char **texts, int *n,
                       S2sErr *err)
{
    char why[64];
    long lineno = 0;
    *n = 0;
    for (size_t at = 0; at < len;) {
        char *line = buf + at, *nl = memchr(line, '\n', len - at);
        size_t ll = nl ? (size_t)(nl - line) : len - at, sep;
        at += ll + 1;
        lineno++;
        if (ll && line[ll - 1] == '\r')
            ll--;
        line[ll] = '\0';
        if (lineno == 1 && strncmp(line, "#version:", 9) == 0) {
            if (check_version(line, ll, path, err))
                return S2S_EFORMAT;
            continue;
        }
        const char *bad = merge_problem(line, ll, &sep, why, sizeof why);
        if (bad)
            return s2s_fail(err, S2S_EFORMAT, "%s:%ld: %s", path, lineno, bad);
        texts[(*n)++] = line;
    }
    return 0;
}

int bpe_load(Bpe *b, const char *path, S2sErr *err)
{
    memset(b, 0, sizeof *b);
    char *buf;
    size_t len;
    const char **texts = NULL;
    int rc = read_all(path, &buf, &len, err), n;
    if (rc)
        goto done;
    /* Blank lines are fine at the end only (subword-nmt rstrips the file). */
    while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        len--;
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += buf[i] == '\n';
    texts = s2s_malloc(lines * sizeof *texts);
    if (!texts) {
        rc = s2s_fail(err, S2S_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    rc = parse_codes(buf, len, path, texts, &n, err);
    if (!rc && (rc = bpe_from_texts(b, texts, n, err)))
        s2s_wrap(err, rc, path);
done:
    free(texts);
    free(buf);
    return rc;
}

/* ---- learning ---- */

int bpe_learner_init(BpeLearner *l, S2sErr *err)
{
    (void)err;
    memset(l, 0, sizeof *l);
    return 0;
}

void bpe_learner_free(BpeLearner *l)
{
    strs_free(&l->words);
    free(l->freq);
    memset(l, 0, sizeof *l);
}

int bpe_learner_add(BpeLearner *l, const char *word, size_t len, long count, S2sErr *err)
{
    if (count < 1)
        return s2s_fail(err, S2S_EINVAL, "bpe: word count %ld: must be at least 1", count);
    if (len == 0 || len > (size_t)INT32_MAX / 2)
        return s2s_fail(err, S2S_EINVAL, "bpe: word of %zu bytes", len);
    long bad = utf8_invalid_offset(word, len);
    if (bad >= 0)
        return s2s_fail(err, S2S_EFORMAT, "bpe: word: invalid UTF-8 at byte %ld", bad);
    for (size_t i = 0; i < len; i++)
        if (word[i] == '\0' || word[i] == ' ' || word[i] == '\n' || word[i] == '\r')
            return s2s_fail(err, S2S_EINVAL,
                            "bpe: word \"%.*s\": space, line break or NUL at byte %zu",
                            (int)(len < 64 ? len : 64), word, i);
    /* Room first, so that a failure leaves l as it was. */
    long *freq = s2s_grow(l->freq, &l->freq_cap, (size_t)l->words.n + 1, sizeof *freq);
    if (!freq)
        return s2s_fail(err, S2S_ENOMEM, "bpe: out of memory for the word counts");
    l->freq = freq;
    int n = l->words.n;
    int32_t id;
    if (strs_intern(&l->words, word, len, &id))
        return s2s_fail(err, S2S_ENOMEM, "bpe: out of memory for the word counts");
    if (id == n)
        l->freq[id] = 0;
    if (l->freq[id] > LONG_MAX - count)
        return s2s_fail(err, S2S_EINVAL, "bpe: count of word \"%.*s\" overflows",
                        (int)(len < 64 ? len : 64), word);
    l->freq[id] += count;
    return 0;
}

/* A symbol pair being counted. */
typedef struct {
    int32_t left, right;
    long count;       /* frequency-weighted occurrences, overlapping ones included */
    int32_t *words;   /* (cap) ids of words that gained the pair; may repeat or be stale */
    int nwords;
    size_t cap;
    int dirty;        /* the step that last raised count */
} LearnPair;

/* A heap entry: pair's count when pushed. A pair's entries may be stale;
 * every pair with count > 0 has at least one entry >= its count (see
 * learn_best). */
typedef struct {
    long count;
    int32_t pair;
} HeapItem;

/* The state of one bpe_learn. Word w's symbols are
 * seq[start[w] .. start[w] + len[w]); merges shrink them in place. */
typedef struct {
    const long *freq;  /* (nwords) the learner's */
    int nwords;
    BpeStrs syms;
    int32_t *seq;      /* (nsyms) */
    size_t nsyms;
    size_t *start;     /* (nwords) */
    int *len;          /* (nwords) */
    int *seen;         /* (nwords) the step that last looked at the word */
    unsigned char *mark; /* (longest word + 1) scratch for merge_word */
    LearnPair *pairs;  /* (pairs_cap) */
    int npairs;
    size_t pairs_cap;
    BpePairs index;    /* (left, right) -> index in pairs */
    HeapItem *heap;
    size_t nheap, heap_cap;
    int32_t *dirty;    /* pairs whose count rose in this step */
    size_t ndirty, dirty_cap;
    char *join;        /* scratch for symbol strings */
    size_t join_cap;
    int32_t *mleft, *mright; /* (nm) the merges learned */
    long *mcount;
    int nm;
} Learn;

static void learn_free(Learn *L)
{
    strs_free(&L->syms);
    free(L->seq);
    free(L->start);
    free(L->len);
    free(L->seen);
    free(L->mark);
    for (int i = 0; i < L->npairs; i++)
        free(L->pairs[i].words);
    free(L->pairs);
    pairs_free(&L->index);
    free(L->heap);
    free(L->dirty);
    free(L->join);
    free(L->mleft);
    free(L->mright);
    free(L->mcount);
    memset(L, 0, sizeof *L);
}

static const char *sym(const Learn *L, int32_t id) { return strs_get(&L->syms, id); }

/* Whether heap entry x pops before y: higher count, then smaller LEFT, then
 * smaller RIGHT (strcmp order). */
static int heap_before(const Learn *L, HeapItem x, HeapItem y)
{
    if (x.count != y.count)
        return x.count > y.count;
    const LearnPair *a = &L->pairs[x.pair], *b = &L->pairs[y.pair];
    int c = strcmp(sym(L, a->left), sym(L, b->left));
    return c ? c < 0 : strcmp(sym(L, a->right), sym(L, b->right)) < 0;
}

static void heap_sift_up(Learn *L, size_t i)
{
    HeapItem x = L->heap[i];
    while (i > 0 && heap_before(L, x, L->heap[(i - 1) / 2])) {
        L->heap[i] = L->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    L->heap[i] = x;
}

static void heap_pop(Learn *L)
{
    HeapItem x = L->heap[--L->nheap];
    size_t i = 0, n = L->nheap;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && heap_before(L, L->heap[c + 1], L->heap[c]))
            c++;
        if (!heap_before(L, L->heap[c], x))
            break;
        L->heap[i] = L->heap[c];
        i = c;
    }
    if (n)
        L->heap[i] = x;
}

static int heap_push(Learn *L, long count, int32_t pair)
{
    HeapItem *h = s2s_grow(L->heap, &L->heap_cap, L->nheap + 1, sizeof *h);
    if (!h)
        return S2S_ENOMEM;
    L->heap = h;
    L->heap[L->nheap] = (HeapItem){count, pair};
    heap_sift_up(L, L->nheap++);
    return 0;
}

/* Pushes the exact count of every pair that rose in this step. Entries of
 * pairs that only fell stay as they are: upper bounds, fixed in learn_best. */
static int flush_dirty(Learn *L)
{
    for (size_t i = 0; i < L->ndirty; i++) {
        int32_t p = L->dirty[i];
        if (L->pairs[p].count > 0 && heap_push(L, L->pairs[p].count, p))
            return S2S_ENOMEM;
    }
    L->ndirty = 0;
    return 0;
}

/* The best pair into *best and its count, or 0 when no pair is left. A
 * popped entry above its pair's count is pushed back with the true count;
 * one below it is dropped, as a larger entry was pushed when the count rose. */
static long learn_best(Learn *L, int32_t *best)
{
    while (L->nheap) {
        HeapItem top = L->heap[0];
        long now = L->pairs[top.pair].count;
        heap_pop(L);
        if (now > 0 && top.count == now) {
            *best = top.pair;
            return now;
        }
        if (now > 0 && top.count > now) /* no allocation: the pop made room */
            heap_push(L, now, top.pair);
    }
    return 0;
}

/* Adds f occurrences of (left, right), in word w, at merge step `step`. */
static int pair_add(Learn *L, int32_t left, int32_t right, long f, int32_t w, int step)
{
    if (pairs_reserve(&L->index))
        return S2S_ENOMEM;
    BpePairSlot *slot = pairs_slot(&L->index, pair_key(left, right));
    if (slot->val < 0) {
        LearnPair *ps = s2s_grow(L->pairs, &L->pairs_cap, (size_t)L->npairs + 1, sizeof *ps);
        if (!ps)
            return S2S_ENOMEM;
        L->pairs = ps;
        L->pairs[L->npairs] = (LearnPair){left, right, 0, NULL, 0, 0, -1};
        slot->key = pair_key(left, right);
        slot->val = L->npairs++;
        L->index.n++;
    }
    LearnPair *p = &L->pairs[slot->val];
    p->count += f;
    if (!p->nwords || p->words[p->nwords - 1] != w) {
        int32_t *ws = s2s_grow(p->words, &p->cap, (size_t)p->nwords + 1, sizeof *ws);
        if (!ws)
            return S2S_ENOMEM;
        p->words = ws;
        p->words[p->nwords++] = w;
    }
    if (p->dirty != step) {
        int32_t *d = s2s_grow(L->dirty, &L->dirty_cap, L->ndirty + 1, sizeof *d);
        if (!d)
            return S2S_ENOMEM;
        L->dirty = d;
        L->dirty[L->ndirty++] = slot->val;
        p->dirty = step;
    }
    return 0;
}

static void pair_sub(Learn *L, int32_t left, int32_t right, long f)
{
    int32_t p = pairs_get(&L->index, left, right);
    S2S_INVARIANT(p >= 0 && L->pairs[p].count >= f);
    L->pairs[p].count -= f;
}

/* Symbols of every word type, and the initial pair counts. */
static int learn_init(Learn *L, const BpeLearner *l)
{
    const BpeStrs *words = &l->words;
    size_t total = 0, longest = 0;
    for (int32_t w = 0; w < words->n; w++) {
        size_t n = strs_len(words, w);
        total += n; /* code points <= bytes */
        longest = n > longest ? n : longest;
    }
    L->freq = l->freq;
    L->nwords = words->n;
    L->seq = s2s_malloc(total * sizeof *L->seq);
    L->start = s2s_malloc((size_t)L->nwords * sizeof *L->start);
    L->len = s2s_malloc((size_t)L->nwords * sizeof *L->len);
    L->seen = s2s_calloc((size_t)L->nwords, sizeof *L->seen);
    L->mark = s2s_malloc(longest + 1);
    L->join = s2s_malloc(2 * longest + 2 * EOW_LEN);
    L->join_cap = 2 * longest + 2 * EOW_LEN;
    if (!L->seq || !L->start || !L->len || !L->seen || !L->mark || !L->join)
        return S2S_ENOMEM;
    size_t at = 0;
    for (int32_t w = 0; w < L->nwords; w++) {
        const char *s = strs_get(words, w);
        size_t n = strs_len(words, w);
        L->start[w] = at;
        for (size_t i = 0, k; i < n; i += k) {
            k = cp_len((unsigned char)s[i]);
            size_t sn = k;
            memcpy(L->join, s + i, k);
            if (i + k == n) { /* the last symbol carries the end-of-word mark */
                memcpy(L->join + k, EOW, EOW_LEN);
                sn += EOW_LEN;
            }
            if (strs_intern(&L->syms, L->join, sn, &L->seq[at++]))
                return S2S_ENOMEM;
        }
        L->len[w] = (int)(at - L->start[w]);
        L->nsyms = at;
        const int32_t *q = L->seq + L->start[w];
        for (int k = 0; k + 1 < L->len[w]; k++)
            if (pair_add(L, q[k], q[k + 1], L->freq[w], w, 0))
                return S2S_ENOMEM;
    }
    return flush_dirty(L);
}

/* Merges every (a, b) in word w into c, left to right, not overlapping, and
 * moves the counts of the pairs that change: those touching a merged
 * symbol, before and after. The other pairs keep their neighbours. */
static int merge_word(Learn *L, int32_t w, int32_t a, int32_t b, int32_t c, int step)
{
    int32_t *s = L->seq + L->start[w];
    unsigned char *mark = L->mark;
    int n = L->len[w], found = 0, m = 0;
    long f = L->freq[w];
    memset(mark, 0, (size_t)n);
    for (int i = 0; i + 1 < n; i++)
        if (s[i] == a && s[i + 1] == b) {
            mark[i] = mark[i + 1] = 1;
            found = 1;
            i++;
        }
    if (!found) /* a stale entry of the pair's word list */
        return 0;
    for (int k = 0; k + 1 < n; k++)
        if (mark[k] || mark[k + 1])
            pair_sub(L, s[k], s[k + 1], f);
    /* In place: the write index never passes the read index. */
    for (int i = 0; i < n; m++) {
        int hit = i + 1 < n && s[i] == a && s[i + 1] == b;
        s[m] = hit ? c : s[i];
        mark[m] = (unsigned char)hit;
        i += hit ? 2 : 1;
    }
    L->len[w] = m;
    for (int k = 0; k + 1 < m; k++)
        if ((mark[k] || mark[k + 1]) && pair_add(L, s[k], s[k + 1], f, w, step))
            return S2S_ENOMEM;
    return 0;
}

/* Merges pair p everywhere: only the words in its list can hold it. */
static int learn_merge(Learn *L, int32_t p, int step)
{
    int32_t a = L->pairs[p].left, b = L->pairs[p].right, c;
    size_t la = strs_len(&L->syms, a), lb = strs_len(&L->syms, b);
    char *j = s2s_grow(L->join, &L->join_cap, la + lb, 1);
    if (!j)
        return S2S_ENOMEM;
    L->join = j;
    memcpy(L->join, sym(L, a), la);
    memcpy(L->join + la, sym(L, b), lb);
    if (strs_intern(&L->syms, L->join, la + lb, &c))
        return S2S_ENOMEM;
    /* Pairs that rise contain c, which is longer than a and b, so p's list
     * does not grow (or move) while we walk it. */
    int32_t *list = L->pairs[p].words;
    int n = L->pairs[p].nwords;
    for (int i = 0; i < n; i++) {
        int32_t w = list[i];
        if (L->seen[w] == step)
            continue;
        L->seen[w] = step;
        if (merge_word(L, w, a, b, c, step))
            return S2S_ENOMEM;
    }
    S2S_INVARIANT(L->pairs[p].words == list && L->pairs[p].count == 0);
    free(list);
    L->pairs[p].words = NULL;
    L->pairs[p].nwords = 0;
    L->pairs[p].cap = 0;
    return flush_dirty(L);
}

/* The learned merges as a Bpe. */
static int learn_output(const Learn *L, Bpe *out, S2sErr *err)
{
    if (L->nm == 0) /* zeroed is the empty list */
        return 0;
    size_t total = 0;
    for (int i = 0; i < L->nm; i++)
        total += strs_len(&L->syms, L->mleft[i]) + strs_len(&L->syms, L->mright[i]) + 2;
    char *text = s2s_malloc(total);
    const char **texts = s2s_malloc((size_t)L->nm * sizeof *texts);
    int rc = S2S_ENOMEM;
    if (!text || !texts)
        goto done;
    char *at = text;
    for (int i = 0; i < L->nm; i++) {
        texts[i] = at;
        at += sprintf(at, "%s %s", sym(L, L->mleft[i]), sym(L, L->mright[i])) + 1;
    }
    if ((rc = bpe_from_texts(out, texts, L->nm, err)))
        goto done;
    rc = S2S_ENOMEM;
    out->count = s2s_malloc((size_t)L->nm * sizeof *out->count);
    if (!out->count) {
        bpe_free(out);
        goto done;
    }
    memcpy(out->count, L->mcount, (size_t)L->nm * sizeof *out->count);
    rc = 0;
done:
    free(text);
    free(texts);
    if (rc == S2S_ENOMEM)
        s2s_fail(err, rc, "bpe: out of memory for %d merges", L->nm);
    return rc;
}

int bpe_learn(const BpeLearner *l, int merges, int min_freq, Bpe *out,
              void (*progress)(int done, int total, void *ctx), void *ctx, S2sErr *err)
{
    memset(out, 0, sizeof *out);
    if (merges < 0)
        return s2s_fail(err, S2S_EINVAL, "bpe: %d merges: must be >= 0", merges);
    if (min_freq < 1)
        min_freq = 1;
    Learn L;
    memset(&L, 0, sizeof L);
    int rc = learn_init(&L, l);
    /* Each merge removes at least one symbol, so there are at most as many
     * merges as symbols. */
    size_t room = (size_t)merges < L.nsyms ? (size_t)merges : L.nsyms;
    if (!rc) {
        L.mleft = s2s_malloc(room * sizeof *L.mleft);
        L.mright = s2s_malloc(room * sizeof *L.mright);
        L.mcount = s2s_malloc(room * sizeof *L.mcount);
        rc = L.mleft && L.mright && L.mcount ? 0 : S2S_ENOMEM;
    }
    if (rc) {
        learn_free(&L);
        return s2s_fail(err, rc, "bpe: out of memory counting symbol pairs");
    }
    while (L.nm < merges) {
        int32_t p;
        long count = learn_best(&L, &p);
        if (count < min_freq)
            break;
        S2S_INVARIANT((size_t)L.nm < room);
        L.mleft[L.nm] = L.pairs[p].left;
        L.mright[L.nm] = L.pairs[p].right;
        L.mcount[L.nm] = count;
        if ((rc = learn_merge(&L, p, L.nm + 1))) {
            learn_free(&L);
            return s2s_fail(err, rc, "bpe: out of memory at merge %d", L.nm);
        }
        if (++L.nm % 1000 == 0 && progress)
            progress(L.nm, merges, ctx);
    }
    rc = learn_output(&L, out, err);
    learn_free(&L);
    return rc;
}

/* ---- applying ---- */

struct BpeCacheSlot {
    uint64_t hash;
    size_t off;       /* the word at bytes[off], its pieces right after */
    uint32_t len;     /* the word's bytes; 0 = free slot */
    int32_t npieces;  /* the pieces take len + npieces bytes */
};

/* A symbol of the word being segmented: bytes [start, end) of the word
 * (plus "</w>" if end is the word's end), and its id in the Bpe's syms, or
 * -1 if it is in no merge. */
struct BpeSpan {
    int32_t id;
    uint32_t start, end;
    int32_t kept; /* bpe_apply_dropout: the pair starting here survived this step's draw */
};

enum { CACHE_BYTES_PER_ENTRY = 64 };

void bpe_cache_free(BpeCache *c)
{
    free(c->slots);
    free(c->bytes);
    free(c->spans);
    memset(c, 0, sizeof *c);
}

static size_t cache_max(const BpeCache *c)
{
    return c->max_entries ? c->max_entries : BPE_CACHE_DEFAULT_ENTRIES;
}

static void cache_clear(BpeCache *c)
{
    if (c->slots)
        memset(c->slots, 0, c->nslots * sizeof *c->slots);
    c->nentries = 0;
    c->nbytes = 0;
}

/* Allocates the slots on first use, and empties the cache if it was filled
 * from another Bpe. */
static int cache_prepare(BpeCache *c, const Bpe *b)
{
    if (!c->slots) {
        size_t n = 16;
        while (n < 2 * cache_max(c))
            n *= 2;
        c->slots = s2s_calloc(n, sizeof *c->slots);
        if (!c->slots)
            return S2S_ENOMEM;
        c->nslots = n;
    }
    if (c->bpe != b || c->digest != b->digest) {
        cache_clear(c);
        c->bpe = b;
        c->digest = b->digest;
    }
    return 0;
}

/* The slot holding word, or the free slot where it would go. */
static struct BpeCacheSlot *cache_slot(const BpeCache *c, const char *word, size_t len,
                                       uint64_t h)
{
    size_t mask = c->nslots - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        struct BpeCacheSlot *s = &c->slots[i];
        if (!s->len || (s->hash == h && s->len == len && memcmp(c->bytes + s->off, word, len) == 0))
            return s;
    }
}

/* Remembers word -> pieces (len + npieces bytes). Best effort: when out of
 * memory the word is just not cached. */
static void cache_put(BpeCache *c, const char *word, size_t len, uint64_t h, const char *pieces,
                      int npieces)
{
    size_t need = 2 * len + (size_t)npieces;
    if (c->nentries + 1 > cache_max(c) ||
        c->nbytes + need > cache_max(c) * CACHE_BYTES_PER_ENTRY) {
        cache_clear(c);
        c->clears++;
    }
    char *bytes = s2s_grow(c->bytes, &c->bytes_cap, c->nbytes + need, 1);
    if (!bytes)
        return;
    c->bytes = bytes;
    struct BpeCacheSlot *s = cache_slot(c, word, len, h);
    memcpy(c->bytes + c->nbytes, word, len);
    memcpy(c->bytes + c->nbytes + len, pieces, len + (size_t)npieces);
    *s = (struct BpeCacheSlot){h, c->nbytes, (uint32_t)len, npieces};
    c->nbytes += need;
    c->nentries++;
}

static int32_t find_sym(const Bpe *b, const char *s, size_t n)
{
    return strs_find(&b->syms, s, n, hash_bytes(s, n));
}

/* The word's code points as spans with their symbol ids; returns how many. */
static int initial_spans(const Bpe *b, struct BpeSpan *sp, const char *word, size_t len)
{
    char last[4 + EOW_LEN];
    int n = 0;
    for (size_t i = 0, k; i < len; i += k, n++) {
        k = cp_len((unsigned char)word[i]);
        sp[n] = (struct BpeSpan){-1, (uint32_t)i, (uint32_t)(i + k), 0};
        if (!b->nmerges)
            continue;
        if (i + k < len) {
            sp[n].id = find_sym(b, word + i, k);
        } else {
            memcpy(last, word + i, k);
            memcpy(last + k, EOW, EOW_LEN);
            sp[n].id = find_sym(b, last, k + EOW_LEN);
        }
    }
    return n;
}

/* Applies the merges to sp[0..n): the adjacent pair of lowest rank first,
 * all its occurrences at once. Returns the new length. */
static int merge_spans(const Bpe *b, struct BpeSpan *sp, int n)
{
    for (;;) {
        int32_t best = INT32_MAX;
        int at = -1;
        for (int k = 0; k + 1 < n; k++) {
            int32_t r = pairs_get(&b->rank, sp[k].id, sp[k + 1].id);
            if (r >= 0 && r < best) {
                best = r;
                at = k;
            }
        }
        if (at < 0)
            return n;
        /* at is the first occurrence: nothing before it changes. */
        int32_t left = sp[at].id, right = sp[at + 1].id;
        int m = at;
        for (int i = at; i < n; m++) {
            if (i + 1 < n && sp[i].id == left && sp[i + 1].id == right) {
                sp[m] = (struct BpeSpan){b->result[best], sp[i].start, sp[i + 1].end, 0};
                i += 2;
            } else {
                sp[m] = sp[i++];
            }
        }
        n = m;
    }
}

/* merge_spans with BPE-dropout: each step draws every merge pair's
 * survival; the lowest kept rank is merged where it was kept. */
static int merge_spans_dropout(const Bpe *b, struct BpeSpan *sp, int n, float p, Rng *rng)
{
    for (;;) {
        int32_t best = INT32_MAX;
        for (int k = 0; k + 1 < n; k++) {
            int32_t r = pairs_get(&b->rank, sp[k].id, sp[k + 1].id);
            sp[k].kept = r >= 0 && rng_uniform(rng) >= p;
            if (sp[k].kept && r < best)
                best = r;
        }
        if (best == INT32_MAX)
            return n;
        int m = 0;
        for (int i = 0; i < n; m++) {
            if (i + 1 < n && sp[i].kept && pairs_get(&b->rank, sp[i].id, sp[i + 1].id) == best) {
                sp[m] = (struct BpeSpan){b->result[best], sp[i].start, sp[i + 1].end, 0};
                i += 2;
            } else {
                sp[m] = sp[i++];
            }
        }
        n = m;
    }
}

static int reserve_out(char **out, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap > 64 ? *cap : 64;
    while (n < need)
        n *= 2;
    char *p = realloc(*out, n);
    if (!p)
        return S2S_ENOMEM;
    *out = p;
    *cap = n;
    return 0;
}

/* The pieces of sp[0..n) of word into *out (len + n bytes). */
static int write_pieces(const struct BpeSpan *sp, int n, const char *word, size_t len,
                        char **out, size_t *cap, S2sErr *err)
{
    if (reserve_out(out, cap, len + (size_t)n))
        return s2s_fail(err, S2S_ENOMEM, "bpe: out of memory for the pieces");
    char *o = *out;
    for (int i = 0; i < n; i++) {
        size_t k = sp[i].end - sp[i].start;
        memcpy(o, word + sp[i].start, k);
        o[k] = '\0';
        o += k + 1;
    }
    return n;
}

/* The word checked and its code points as spans in cache's scratch. */
static int word_spans(const Bpe *b, BpeCache *cache, const char *word, size_t len,
                      struct BpeSpan **spans, S2sErr *err)
{
    long bad = utf8_invalid_offset(word, len);
    if (bad >= 0)
        return s2s_fail(err, S2S_EFORMAT, "invalid UTF-8 at byte %ld", bad);
    struct BpeSpan *sp = s2s_grow(cache->spans, &cache->spans_cap, len, sizeof *sp);
    if (!sp)
        return s2s_fail(err, S2S_ENOMEM, "bpe: out of memory segmenting a word");
    cache->spans = *spans = sp;
    return initial_spans(b, sp, word, len);
}

int bpe_apply_dropout(const Bpe *b, BpeCache *cache, const char *word, size_t len, float p,
                      Rng *rng, char **out, size_t *cap, S2sErr *err)
{
    if (!(p > 0))
        return bpe_apply(b, cache, word, len, out, cap, err);
    S2S_INVARIANT(cache != NULL && rng != NULL);
    if (len == 0)
        return 0;
    if (len > (size_t)1 << 30)
        return s2s_fail(err, S2S_EINVAL, "bpe: word of %zu bytes is too long", len);
    struct BpeSpan *sp;
    int n = word_spans(b, cache, word, len, &sp, err);
    if (n < 0)
        return n;
    return write_pieces(sp, merge_spans_dropout(b, sp, n, p, rng), word, len, out, cap, err);
}

int bpe_apply(const Bpe *b, BpeCache *cache, const char *word, size_t len, char **out,
              size_t *cap, S2sErr *err)
{
    S2S_INVARIANT(cache != NULL);
    if (len == 0)
        return 0;
    if (len > (size_t)1 << 30)
        return s2s_fail(err, S2S_EINVAL, "bpe: word of %zu bytes is too long", len);
    if (cache_prepare(cache, b))
        return s2s_fail(err, S2S_ENOMEM, "bpe: out of memory for the word cache");
    int cacheable = len <= BPE_CACHE_MAX_WORD;
    uint64_t h = 0;
    if (cacheable) {
        h = hash_bytes(word, len);
        struct BpeCacheSlot *s = cache_slot(cache, word, len, h);
        if (s->len) {
            cache->hits++;
            if (reserve_out(out, cap, len + (size_t)s->npieces))
                return s2s_fail(err, S2S_ENOMEM, "bpe: out of memory for the pieces");
            memcpy(*out, cache->bytes + s->off + len, len + (size_t)s->npieces);
            return s->npieces;
        }
    }
    cache->misses++;
    struct BpeSpan *sp;
    int n = word_spans(b, cache, word, len, &sp, err);
    if (n < 0 || (n = write_pieces(sp, merge_spans(b, sp, n), word, len, out, cap, err)) < 0)
        return n;
    if (cacheable)
        cache_put(cache, word, len, h, *out, n);
    return n;
}
