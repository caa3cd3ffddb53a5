/* ngram.h: counting n-grams of unit sequences (code points, or token ids)
 * in an open-addressing table whose keys point into the caller's arrays.
 * Used by BLEU (word n-grams), chrF (character and word n-grams) and for
 * interning tokens. Clearing costs only the entries used. */
#ifndef S2S_NGRAM_H
#define S2S_NGRAM_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const uint32_t *key; /* n units, owned by the caller; NULL = free slot */
    uint64_t hash;
    int n;
    long count;
} NgramEntry;

typedef struct {
    NgramEntry *slots; /* (cap), cap a power of two */
    size_t cap;
    size_t *used;      /* (cap) indices of the occupied slots, in insertion order */
    size_t nused;
} NgramTable;

/* Empties t and makes room for at least n entries. */
int ngram_reset(NgramTable *t, size_t n);
void ngram_free(NgramTable *t);

uint64_t ngram_hash(const uint32_t *key, int n);
/* The entry for key[0..n), or NULL. */
NgramEntry *ngram_find(const NgramTable *t, const uint32_t *key, int n, uint64_t hash);
/* The entry for key[0..n), added with count 0 if new (the table must have
 * room: ngram_reset for the number of insertions to come). */
NgramEntry *ngram_get(NgramTable *t, const uint32_t *key, int n, uint64_t hash);
/* Counts every n-gram of seq[0..len) for n in [lo, hi]; the table must
 * have room for them all. */
void ngram_count(NgramTable *t, const uint32_t *seq, size_t len, int lo, int hi);
/* Number of n-grams ngram_count would add at most. */
size_t ngram_bound(size_t len, int lo, int hi);

#endif
