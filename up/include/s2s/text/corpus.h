/* corpus.h: aligned parallel text, its id form, and minibatches.
 *
 * Pipeline: textpairs_read (two files -> token strings) -> textpairs_count
 * (-> VocabCounter) -> vocab_build -> corpus_build (-> token ids, long and
 * empty pairs dropped) -> batcher_epoch (length-bucketed shuffled batches)
 * -> batch_fill (padded time-major arrays for the model).
 *
 * Every struct here owns all its arrays; x_free is safe on a zeroed object
 * and leaves it zeroed. A failed x_init / x_read / x_build leaves the object
 * zeroed too.
 */
#ifndef S2S_CORPUS_H
#define S2S_CORPUS_H

#include <stddef.h>
#include <stdint.h>

#include "s2s/text/batch.h"
#include "s2s/base/common.h"
#include "s2s/text/tokenizer.h"
#include "s2s/text/vocab.h"

/* ---- Token strings ---- */

/* One side (file) of a parallel text: all tokens NUL-terminated back to back
 * in text. Line i has tokens tok_off[line_start[i] .. line_start[i+1]). */
typedef struct {
    int nlines;
    long ntoks;
    char *text;        /* (text_len) owned */
    size_t text_len, text_cap;
    size_t *tok_off;   /* (ntoks) byte offset of each token in text */
    size_t tok_cap;
    long *line_start;  /* (nlines + 1) index of each line's first token */
    size_t line_cap;
} TextSide;

enum { TEXT_SRC = 0, TEXT_TGT = 1 };

/* Tokenised text of an aligned pair of files, kept as token strings. */
typedef struct {
    int npairs;
    TextSide side[2]; /* [TEXT_SRC], [TEXT_TGT] */
} TextPairs;

/* Reads two aligned UTF-8 files, one sentence per line, and splits each line
 * with tk. A final line without '\n' counts; a trailing "\r" (CRLF) is
 * stripped. Lines of any length work. Errors, naming the path as given and
 * the 1-based line number (the byte offset is 0-based within the line):
 *   S2S_EIO     "train.de: cannot open: No such file or directory"
 *   S2S_EIO     "train.de: read error: ..."
 *   S2S_EFORMAT "train.de:1042: invalid UTF-8 at byte 17"
 *   S2S_EFORMAT "train.de:7: NUL byte in line"
 *   S2S_EFORMAT "train.de: empty file"           (no bytes at all)
 *   S2S_EFORMAT "train.de has 29000 lines but train.en has 28999: the files
 *                must be aligned line by line"
 * Blank lines are kept (as pairs with zero tokens); corpus_build drops them. */
/* Lines longer than max_line bytes are an error naming file and line. */
int textpairs_read(TextPairs *tp, const char *src_path, const char *tgt_path,
                   const Tokenizer *tk, long max_line, S2sErr *err);
/* Number of tokens on line i of side (TEXT_SRC or TEXT_TGT). */
int textpairs_len(const TextPairs *tp, int side, int i);
/* Token j of line i of side; owned by tp. */
const char *textpairs_token(const TextPairs *tp, int side, int i, int j);
/* Adds every source token to src and every target token to tgt. Either may
 * be NULL (skipped) and both may be the same counter (a shared vocabulary). */
int textpairs_count(const TextPairs *tp, VocabCounter *src, VocabCounter *tgt, S2sErr *err);
void textpairs_free(TextPairs *tp);

/* ---- Token ids ---- */

typedef struct {
    int npairs;
    int *src_off, *tgt_off;       /* (npairs + 1) pair i is ids[off[i] .. off[i+1]) */
    int32_t *src_ids, *tgt_ids;   /* token ids, no <s> or </s> */
    int *line_index;              /* (npairs) 0-based line of each pair in the files */
    int max_src_len, max_tgt_len; /* longest kept sentence on each side, in tokens */
    long src_tokens, tgt_tokens;  /* totals over kept pairs */
    int skipped_long;             /* pairs with either side longer than max_len tokens */
    int skipped_empty;            /* pairs with an empty source or target */
} Corpus;

/* Maps tokens to ids (unknown -> VOCAB_UNK), dropping pairs with an empty
 * side (counted in skipped_empty first) or a side longer than max_len tokens
 * (skipped_long); max_len <= 0 means no limit. If nothing is left: S2S_EINVAL
 * "no usable sentence pairs (N too long, M empty)". */
int corpus_build(Corpus *c, const TextPairs *tp, const Vocab *sv, const Vocab *tv, int max_len,
                 S2sErr *err);
/* Tokens in the source / target of pair i. */
int corpus_src_len(const Corpus *c, int i);
int corpus_tgt_len(const Corpus *c, int i);
void corpus_free(Corpus *c);

/* ---- Batches ---- */

/* One epoch's batches. batcher_epoch: shuffle the pair indices with an Rng
 * seeded with seed * 1000003 + epoch, stable-sort them by (src_len, tgt_len)
 * so that similar lengths share a batch, cut into consecutive chunks, then
 * shuffle the chunk order with the same Rng. Same (corpus, batch size or
 * words, seed, epoch) => same batches, which is what exact resume relies on.
 *
 * Chunks: batch_size pairs each (the last may be smaller), or, by tokens
 * (batcher_init_words), as many consecutive pairs as fit in `words` padded
 * positions on either side: B x max(Ts, Tt) <= words, Tt counting </s> (a
 * longer pair alone). The sorted order's lengths are the same in every
 * epoch (only pairs of equal lengths change places), so the cuts are made
 * once and every epoch has the same number of batches of the same shapes. */
typedef struct {
    int npairs;
    int nbatches;
    int batch_size; /* 0 when cut by words */
    long words;     /* 0 when cut by batch_size */
    int *order;     /* (npairs) pair indices in this epoch's order */
    int *start;     /* (nbatches + 1) batch k is order[start[k] .. start[k+1]) */
    int *cut;       /* (nbatches + 1) chunk j is [cut[j], cut[j+1]) of the sorted order */
    int *scratch;   /* (npairs) merge-sort and reordering space */
    int *chunks;    /* (nbatches) chunk permutation */
} Batcher;

/* batch_size >= 1, else S2S_EINVAL. Until the first batcher_epoch the batches
 * are the pairs in corpus order. */
int batcher_init(Batcher *b, const Corpus *c, int batch_size, S2sErr *err);
/* Batches by tokens: words >= 1, else S2S_EINVAL. Until the first
 * batcher_epoch the batches are the chunks of the length-sorted corpus (in
 * corpus order among equal lengths), in that order: validation's batches. */
int batcher_init_words(Batcher *b, const Corpus *c, long words, S2sErr *err);
/* c must be the corpus b was initialised with. */
void batcher_epoch(Batcher *b, const Corpus *c, uint64_t seed, int epoch);
/* What one of `parts` shards of any of b's batches must hold (a shard is
 * a slice of at most ceil(B / parts) consecutive pairs of a batch of B). */
BatchCap batcher_shard_cap(const Batcher *b, const Corpus *c, int parts);
void batcher_free(Batcher *b);

/* Fills batch k (0 <= k < nbatches) of the current epoch. Exceeding bt's
 * capacity is a programming error (invariant). */
void batch_fill(Batch *bt, const Corpus *c, const Batcher *b, int k, int reverse);
/* Fills from pairs[0..n) (validation, tests); n <= max_B. */
void batch_fill_pairs(Batch *bt, const Corpus *c, const int *pairs, int n, int reverse);

#endif
