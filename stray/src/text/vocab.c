#include "s2s/text/vocab.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "s2s/base/utf8.h"

static const char *const vocab_specials[VOCAB_NSPECIAL] = {"<pad>", "<unk>", "<s>", "</s>"};

/* FNV-1a, 64 bit. */
static uint64_t vocab_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ULL;
    }
    return h;
}

static char *vocab_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static int vocab_is_special(const char *word)
{
    for (int i = 0; i < VOCAB_NSPECIAL; i++)
        if (strcmp(word, vocab_specials[i]) == 0)
            return 1;
    return 0;
}

/* The first control character in the valid UTF-8 word: C0 (U+0000..U+001F),
 * DEL (U+007F) or C1 (U+0080..U+009F, encoded C2 80..C2 9F); -1 if none.
 * A token holding one would corrupt the one-sentence-per-line output. */
static long vocab_control_char(const char *word)
{
    for (const unsigned char *p = (const unsigned char *)word; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            return *p;
        if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
            return p[1];
    }
    return -1;
}

/* ---- VocabCounter ---- */

int vocab_counter_init(VocabCounter *c, S2sErr *err)
{
    memset(c, 0, sizeof *c);
    c->cap = 1024;
    c->slots = s2s_calloc((size_t)c->cap, sizeof *c->slots);
    if (!c->slots) {
        c->cap = 0;
        return s2s_fail(err, S2S_ENOMEM, "vocabulary counter: out of memory");
    }
    return 0;
}

/* Slot holding word, or the free slot where it would go. */
static VocabCount *counter_find(VocabCount *slots, int cap, const char *word, uint64_t h)
{
    size_t mask = (size_t)cap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        VocabCount *s = &slots[i];
        if (!s->word || (s->hash == h && strcmp(s->word, word) == 0))
            return s;
    }
}

static int counter_grow(VocabCounter *c, S2sErr *err)
{
    if (c->cap > INT_MAX / 2)
        return s2s_fail(err, S2S_ENOMEM, "vocabulary counter: too many distinct words");
    int cap = c->cap * 2;
    VocabCount *slots = s2s_calloc((size_t)cap, sizeof *slots);
    if (!slots)
        return s2s_fail(err, S2S_ENOMEM, "vocabulary counter: out of memory");
    for (int i = 0; i < c->cap; i++)
        if (c->slots[i].word)
            *counter_find(slots, cap, c->slots[i].word, c->slots[i].hash) = c->slots[i];
    free(c->slots);
    c->slots = slots;
    c->cap = cap;
    return 0;
}

int vocab_counter_add(VocabCounter *c, const char *word, S2sErr *err)
{
    S2S_INVARIANT(c->cap > 0);
    uint64_t h = vocab_hash(word);
    VocabCount *s = counter_find(c->slots, c->cap, word, h);
    if (s->word) {
        s->count++;
        c->total++;
        return 0;
    }
    /* Keep the load factor at most 1/2 so probes stay short. */
    if ((long)(c->size + 1) * 2 > c->cap) {
        int rc = counter_grow(c, err);
        if (rc)
            return rc;
        s = counter_find(c->slots, c->cap, word, h);
    }
    s->word = vocab_strdup(word);
    if (!s->word)
        return s2s_fail(err, S2S_ENOMEM, "vocabulary counter: out of memory");
    s->count = 1;
    s->hash = h;
    c->size++;
    c->total++;
    return 0;
}

long vocab_counter_get(const VocabCounter *c, const char *word)
{
    if (c->cap == 0)
        return 0;
    const VocabCount *s = counter_find(c->slots, c->cap, word, vocab_hash(word));
    return s->word ? s->count : 0;
}

void vocab_counter_free(VocabCounter *c)
{
    for (int i = 0; i < c->cap; i++)
        free(c->slots[i].word);
    free(c->slots);
    memset(c, 0, sizeof *c);
}

/* ---- Vocab ---- */

/* id of word (whose hash is h) in v, or -1. */
static int vocab_find(const Vocab *v, const char *word, uint64_t h)
{
    if (v->index_cap == 0)
        return -1;
    size_t mask = (size_t)v->index_cap - 1;
    for (size_t i = (size_t)h & mask; v->index[i] >= 0; i = (i + 1) & mask) {
        int id = v->index[i];
        if (v->hashes[id] == h && strcmp(v->words[id], word) == 0)
            return id;
    }
    return -1;
}

/* Appends a copy of word (hash h) to v, whose index has room for it. */
static int vocab_append(Vocab *v, const char *word, uint64_t h)
{
    int id = v->size;
    v->words[id] = vocab_strdup(word);
    if (!v->words[id])
        return S2S_ENOMEM;
    v->hashes[id] = h;
    size_t mask = (size_t)v->index_cap - 1, i = (size_t)h & mask;
    while (v->index[i] >= 0)
        i = (i + 1) & mask;
    v->index[i] = id;
    v->size = id + 1;
    return 0;
}

/* Fills the zeroed v with copies of words[0..n) and indexes them.
 * A repeated word is S2S_EFORMAT. */
static int vocab_make(Vocab *v, const char *const *words, int n, S2sErr *err)
{
    int rc = 0, cap = 16;
    while (cap < 2L * n && cap <= INT_MAX / 4)
        cap *= 2;
    v->words = s2s_calloc((size_t)n, sizeof *v->words);
    v->hashes = s2s_malloc((size_t)n * sizeof *v->hashes);
    v->index = s2s_malloc((size_t)cap * sizeof *v->index);
    if (!v->words || !v->hashes || !v->index)
        goto nomem;
    v->index_cap = cap;
    for (int i = 0; i < cap; i++)
        v->index[i] = -1;
    for (int id = 0; id < n; id++) {
        uint64_t h = vocab_hash(words[id]);
        int dup = vocab_find(v, words[id], h);
        if (dup >= 0) {
            rc = s2s_fail(err, S2S_EFORMAT, "vocabulary entry %d ('%s') repeats entry %d", id,
                          words[id], dup);
            goto fail;
        }
        if (vocab_append(v, words[id], h))
            goto nomem;
    }
    return 0;
nomem:
    rc = s2s_fail(err, S2S_ENOMEM, "vocabulary: out of memory");
fail:
    vocab_free(v);
    return rc;
}

typedef struct {
    const char *word;
    long count;
} VocabRank;

static int vocab_rank_cmp(const void *pa, const void *pb)
{
    const VocabRank *a = pa, *b = pb;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return strcmp(a->word, b->word);
}

int vocab_build(Vocab *v, const VocabCounter *c, int max_size, int min_freq, S2sErr *err)
{
    memset(v, 0, sizeof *v);
    if (max_size < 0 || (max_size > 0 && max_size < VOCAB_NSPECIAL))
        return s2s_fail(err, S2S_EINVAL,
                        "vocabulary size %d: must be 0 (no limit) or at least %d "
                        "(the special tokens)", max_size, VOCAB_NSPECIAL);
    if (min_freq < 1)
        min_freq = 1;
    VocabRank *ranks = s2s_malloc((size_t)c->size * sizeof *ranks);
    const char **words = s2s_malloc(((size_t)c->size + VOCAB_NSPECIAL) * sizeof *words);
    int rc = 0, n = 0;
    if (!ranks || !words) {
        rc = s2s_fail(err, S2S_ENOMEM, "vocabulary: out of memory");
        goto done;
    }
    for (int i = 0; i < c->cap; i++) {
        const VocabCount *s = &c->slots[i];
        if (s->word && s->count >= min_freq && !vocab_is_special(s->word) &&
            vocab_control_char(s->word) < 0) /* left to <unk>: vocab_from_words refuses them */
            ranks[n++] = (VocabRank){s->word, s->count};
    }
    qsort(ranks, (size_t)n, sizeof *ranks, vocab_rank_cmp);
    if (max_size > 0 && n > max_size - VOCAB_NSPECIAL)
        n = max_size - VOCAB_NSPECIAL;
    for (int i = 0; i < VOCAB_NSPECIAL; i++)
        words[i] = vocab_specials[i];
    for (int i = 0; i < n; i++)
        words[VOCAB_NSPECIAL + i] = ranks[i].word;
    rc = vocab_make(v, words, VOCAB_NSPECIAL + n, err);
done:
    free(ranks);
    free(words);
    return rc;
}

long vocab_counter_most(const VocabCounter *c)
{
    long most = 0;
    for (int i = 0; i < c->cap; i++) {
        const VocabCount *w = &c->slots[i];
        if (w->word && w->count > most && !vocab_is_special(w->word) &&
            vocab_control_char(w->word) < 0)
            most = w->count;
    }
    return most;
}

int vocab_from_words(Vocab *v, const char *const *words, int n, S2sErr *err)
{
    memset(v, 0, sizeof *v);
    if (n < VOCAB_NSPECIAL)
        return s2s_fail(err, S2S_EFORMAT,
                        "vocabulary has %d entries, fewer than the %d special tokens", n,
                        VOCAB_NSPECIAL);
    for (int i = 0; i < n; i++) {
        if (!words[i] || !words[i][0])
            return s2s_fail(err, S2S_EFORMAT, "vocabulary entry %d is empty", i);
        if (utf8_invalid_offset(words[i], strlen(words[i])) >= 0)
            return s2s_fail(err, S2S_EFORMAT, "vocabulary entry %d is not valid UTF-8", i);
        long c = vocab_control_char(words[i]);
        if (c >= 0)
            return s2s_fail(err, S2S_EFORMAT, "vocabulary entry %d holds control character U+%04lX",
                            i, (unsigned long)c);
        if (i < VOCAB_NSPECIAL && strcmp(words[i], vocab_specials[i]) != 0)
            return s2s_fail(err, S2S_EFORMAT, "vocabulary entry %d is '%s', expected '%s'", i,
                            words[i], vocab_specials[i]);
    }
    return vocab_make(v, words, n, err);
}

int vocab_lookup(const Vocab *v, const char *word)
{
    int id = vocab_find(v, word, vocab_hash(word));
    return id >= 0 ? id : VOCAB_UNK;
}

const char *vocab_word(const Vocab *v, int id)
{
    if (id < 0 || id >= v->size)
        return vocab_specials[VOCAB_UNK];
    return v->words[id];
}

void vocab_free(Vocab *v)
{
    if (v->words)
        for (int i = 0; i < v->size; i++)
            free(v->words[i]);
    free(v->words);
    free(v->hashes);
    free(v->index);
    memset(v, 0, sizeof *v);
}
