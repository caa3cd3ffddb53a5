/* vocab.h: word counts and the word <-> id vocabulary.
 *
 * The four special tokens are always ids 0..3:
 *   "<pad>" (VOCAB_PAD)  padding in batches, never predicted
 *   "<unk>" (VOCAB_UNK)  any word not in the vocabulary
 *   "<s>"   (VOCAB_BOS)  first decoder input
 *   "</s>"  (VOCAB_EOS)  end of sentence, the last decoder target
 * Ids are dense: 0 <= id < size.
 */
#ifndef S2S_VOCAB_H
#define S2S_VOCAB_H

#include "s2s/text/corpus.h"
#include <stdint.h>

#include "s2s/base/common.h"

enum { VOCAB_PAD = 0, VOCAB_UNK = 1, VOCAB_BOS = 2, VOCAB_EOS = 3, VOCAB_NSPECIAL = 4 };

/* One counted word; word == NULL marks a free hash slot. */
typedef struct {
    char *word;    /* owned, NUL-terminated */
    long count;
    uint64_t hash;
} VocabCount;

/* word -> count, open addressing with linear probing. Owns slots and every
 * word in them. vocab_counter_free is safe on a zeroed counter. */
typedef struct {
    int size;          /* distinct words */
    int cap;           /* slots, a power of two */
    VocabCount *slots; /* (cap) */
    long total;        /* words added, repeats included */
} VocabCounter;

int vocab_counter_init(VocabCounter *c, S2sErr *err);
/* Adds one occurrence of word (copied if new). S2S_ENOMEM on failure, in
 * which case the counter is unchanged. */
int vocab_counter_add(VocabCounter *c, const char *word, S2sErr *err);
/* Occurrences of word so far (0 if never added). */
long vocab_counter_get(const VocabCounter *c, const char *word);
void vocab_counter_free(VocabCounter *c);

/* Owns words and every string in it, and the hash index.
 * vocab_free is safe on a zeroed Vocab. */
typedef struct {
    int size;
    char **words;       /* (size) id -> word */
    uint64_t *hashes;   /* (size) hash of each word */
    int index_cap;      /* a power of two, >= 2 * size */
    int *index;         /* (index_cap) id, or -1 for a free slot */
} Vocab;

/* Specials first, then the words with count >= min_freq by descending count,
 * ties by ascending byte order (strcmp), at most max_size entries in all
 * (0 = no limit; otherwise it must be >= VOCAB_NSPECIAL, else S2S_EINVAL).
 * min_freq < 1 counts as 1. A counted word equal to a special token is not
 * added a second time; one holding a control character (C0, DEL or C1) is
 * left out (it reads as <unk>). On failure v is left zeroed. */
int vocab_build(Vocab *v, const VocabCounter *c, int max_size, int min_freq, S2sErr *err);
/* The count of c's most frequent word that may enter a vocabulary (not a
 * special token's spelling, no control character); 0 when none may. */
long vocab_counter_most(const VocabCounter *c);
/* From a saved word list (checkpoint), copied: words[0..3] must be the
 * specials in order, no word may be NULL, empty, repeated, invalid UTF-8 or
 * hold a control character (U+0000..U+001F, U+007F, U+0080..U+009F); otherwise
 * S2S_EFORMAT naming the entry. On failure v is left zeroed. */
int vocab_from_words(Vocab *v, const char *const *words, int n, S2sErr *err);
/* id of word, or VOCAB_UNK. */
int vocab_lookup(const Vocab *v, const char *word);
/* word of id, or "<unk>" if id is out of range. Owned by v. */
const char *vocab_word(const Vocab *v, int id);
void vocab_free(Vocab *v);

#endif
