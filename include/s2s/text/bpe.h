/* bpe.h: byte-pair-encoding subwords (Sennrich et al. 2016), as subword-nmt
 * 0.2 learns and applies them.
 *
 * Words are UTF-8 strings without whitespace (a tokenizer's output). A word's
 * initial symbols are its code points, and the last one carries the
 * end-of-word suffix "</w>": "low" is `l o w</w>`. A merge joins two adjacent
 * symbols LEFT RIGHT into the symbol LEFTRIGHT; symbols are compared as
 * strings, so "abc" made by `a bc` and by `ab c` is one symbol. Merges are
 * kept in rank order (rank = index, 0 first).
 *
 * Learning (bpe_learn), step by step:
 *   - the count of a pair is the sum over word types of frequency x the
 *     number of adjacent positions holding it (overlapping, as subword-nmt's
 *     get_pair_statistics: `a a a a</w>` holds `a a` twice);
 *   - the most frequent pair is merged; ties go to the pair whose LEFT is
 *     smaller in strcmp (byte) order, then whose RIGHT is (subword-nmt takes
 *     the largest instead, so its codes differ from ours where counts tie);
 *   - a merge rewrites every occurrence in every word, left to right, not
 *     overlapping (`a a a` -> `aa a`);
 *   - learning stops after `merges` merges or when the best count is below
 *     min_freq.
 * Applying (bpe_apply) follows subword-nmt's apply_bpe: repeatedly merge the
 * adjacent pair of lowest rank (all its occurrences, left to right, not
 * overlapping) until no adjacent pair is a merge.
 *
 * Codes file (bpe_save / bpe_load), subword-nmt's format:
 *   #version: 0.2
 *   e s
 *   es t</w>
 *   ...
 * one merge per line, LEFT and RIGHT separated by one space, UTF-8, '\n'
 * line ends ("\r\n" is accepted). A file without the header line is read
 * as version 0.2 too: codes from subword-nmt before 0.2 (2017, "</w>" as a
 * symbol of its own) are not supported and would segment differently.
 *
 * Ownership: every struct owns all its arrays. x_free is safe on a zeroed
 * or half-built object and leaves it zeroed; a zeroed Bpe is a valid empty
 * model (no merges: words split into code points). A failed init, learn,
 * from_texts or load leaves its output zeroed.
 */
#ifndef S2S_BPE_H
#define S2S_BPE_H

#include <stddef.h>
#include <stdint.h>

#include "s2s/base/common.h"
#include "s2s/base/rng.h"

/* Interned strings: ids 0..n-1 <-> distinct strings. */
typedef struct {
    char *bytes;      /* (nbytes) the strings back to back, each NUL-terminated */
    size_t nbytes, bytes_cap;
    size_t *off;      /* (n) offset of string id in bytes */
    uint64_t *hash;   /* (n) hash of string id */
    int n;
    size_t cap;       /* room in off and hash */
    int32_t *slots;   /* (nslots) string id, or -1 for a free slot */
    size_t nslots;    /* a power of two >= 2 n, or 0 while empty */
} BpeStrs;

/* (left id, right id) -> int32 value, open addressing. */
typedef struct {
    uint64_t key;     /* left << 32 | right */
    int32_t val;      /* -1: free slot */
} BpePairSlot;

typedef struct {
    BpePairSlot *slots; /* (nslots) */
    size_t nslots;      /* a power of two >= 2 n, or 0 while empty */
    size_t n;
} BpePairs;

/* A list of merges, ready to apply. Read-only once built: one Bpe may be
 * applied from several threads, each with its own BpeCache. */
typedef struct {
    int nmerges;
    char *text;        /* merge texts "LEFT RIGHT", each NUL-terminated, back to back */
    size_t *text_off;  /* (nmerges) offset of merge i's text */
    long *count;       /* (nmerges) pair count when learned; NULL if built from texts */
    int32_t *result;   /* (nmerges) id in syms of LEFTRIGHT */
    BpeStrs syms;      /* every LEFT, RIGHT and LEFTRIGHT */
    BpePairs rank;     /* (LEFT id, RIGHT id) -> its lowest rank */
    uint64_t digest;   /* hash of the merge texts: ties a BpeCache to this list */
} Bpe;

int bpe_nmerges(const Bpe *b);
/* Merge i (0 <= i < nmerges) as "LEFT RIGHT", e.g. "l o", "lo w</w>". Owned by b. */
const char *bpe_merge_text(const Bpe *b, int i);
/* Builds b from merge texts (copied), rank = index. Each must be two
 * non-empty symbols separated by one space, in valid UTF-8, with no other
 * space, '\n' or '\r' (other whitespace, like tabs, may be in symbols, as
 * in subword-nmt); else S2S_EFORMAT naming the 0-based index:
 *   "bpe merge 17: expected two symbols separated by one space"
 *   "bpe merge 17: invalid UTF-8 at byte 3"
 * A pair listed twice keeps its first rank (later copies never apply). */
int bpe_from_texts(Bpe *b, const char *const *merges, int n, S2sErr *err);
/* Writes the codes file to PATH.tmp.PID, fsyncs it and renames it to path.
 * An existing path that is not a regular file (a device, a FIFO) is refused
 * with S2S_EINVAL "PATH: not a regular file" rather than replaced. */
int bpe_save(const Bpe *b, const char *path, S2sErr *err);
/* Reads a codes file. Errors name the path as given and the 1-based line:
 *   S2S_EIO     "codes.bpe: cannot open: No such file or directory"
 *   S2S_EFORMAT "codes.bpe:17: expected two symbols separated by one space"
 *   S2S_EFORMAT "codes.bpe:17: invalid UTF-8 at byte 3"    (0-based in the line)
 *   S2S_EFORMAT "codes.bpe:17: NUL byte in line"
 *   S2S_EFORMAT "codes.bpe:1: unsupported codes version "0.1": only 0.2 is supported"
 * Blank lines are accepted only at the end of the file. */
int bpe_load(Bpe *b, const char *path, S2sErr *err);
void bpe_free(Bpe *b);

/* ---- learning ---- */

/* Word types and their frequencies. */
typedef struct {
    BpeStrs words;
    long *freq;        /* (freq_cap) frequency of word id, for ids < words.n */
    size_t freq_cap;
} BpeLearner;

int bpe_learner_init(BpeLearner *l, S2sErr *err);
/* Adds count (>= 1) occurrences of word[0..len), copied; adding a word again
 * adds up. The word must be non-empty valid UTF-8 without space, '\n', '\r'
 * or NUL (they would break the codes file): else S2S_EINVAL / S2S_EFORMAT,
 * and l is unchanged. */
int bpe_learner_add(BpeLearner *l, const char *word, size_t len, long count, S2sErr *err);
/* Learns at most `merges` (>= 0) merges into out (overwritten: pass it zeroed
 * or freed), see the top of this file; min_freq < 1 counts as 1. progress,
 * if not NULL, is called after every 1000 merges with (done, merges, ctx).
 * l is not changed: learning twice gives the same merges. Time: the initial
 * count is linear in the symbols of all word types; each merge then costs
 * the length of the words holding the pair, plus a heap operation (log of
 * the number of pairs) for each pair whose count it changed. */
int bpe_learn(const BpeLearner *l, int merges, int min_freq, Bpe *out,
              void (*progress)(int done, int total, void *ctx), void *ctx, S2sErr *err);
void bpe_learner_free(BpeLearner *l);

/* ---- applying ---- */

enum {
    BPE_CACHE_DEFAULT_ENTRIES = 1 << 16,
    BPE_CACHE_MAX_WORD = 128, /* longer words (bytes) are segmented every time */
};

/* One applier's state: a bounded cache of word -> segmentation for one Bpe,
 * and scratch space. Zeroed = ready to use. It holds at most max_entries
 * words and about 64 bytes of text per entry, and is emptied when full (or
 * when used with a different Bpe), so its memory stays bounded. */
typedef struct {
    size_t max_entries; /* set before first use; 0 = BPE_CACHE_DEFAULT_ENTRIES */
    long hits, misses, clears;  /* counters, for tests and logs */
    size_t nentries;
    /* private */
    struct BpeCacheSlot *slots; /* (nslots) */
    size_t nslots;
    char *bytes;                /* (nbytes) each entry's word, then its pieces */
    size_t nbytes, bytes_cap;
    const Bpe *bpe;             /* the Bpe the entries come from, and its digest */
    uint64_t digest;
    struct BpeSpan *spans;      /* (spans_cap) scratch: the word's symbols */
    size_t spans_cap;
} BpeCache;

void bpe_cache_free(BpeCache *c);

/* Segments word[0..len) (valid UTF-8; len 0 gives 0 pieces). The pieces go
 * to *out as consecutive NUL-terminated strings without the "</w>" suffix:
 * joined, they are the word. *out is a malloc'd buffer of *cap bytes owned
 * by the caller (may start NULL / 0), grown with realloc as needed; the
 * pieces take len + npieces bytes. Returns the number of pieces, or < 0:
 * S2S_EFORMAT "invalid UTF-8 at byte 3", S2S_ENOMEM, S2S_EINVAL (word over
 * 1 GiB). cache is required (it holds the scratch space). */
int bpe_apply(const Bpe *b, BpeCache *cache, const char *word, size_t len, char **out,
              size_t *cap, S2sErr *err);

/* BPE-dropout (Provilkov et al. 2020, as subword-nmt's apply_bpe --dropout):
 * bpe_apply where, at every merge step, each adjacent pair that is a merge
 * is dropped with probability p (one draw from rng per pair and step); the
 * kept pair of lowest rank is merged at its kept positions, and the word
 * stops when every pair was dropped. For training only: the same word gives
 * different pieces from draw to draw. p <= 0 is bpe_apply exactly (no draw,
 * the cache used); p > 0 never reads or fills the cache. */
int bpe_apply_dropout(const Bpe *b, BpeCache *cache, const char *word, size_t len, float p,
                      Rng *rng, char **out, size_t *cap, S2sErr *err);

#endif
