/* tokenizer.h: raw text <-> tokens, reversibly.
 *
 * Kinds (stored in model files by name):
 *   none  whitespace split; decoding joins with single spaces (for
 *         pre-tokenised text; not reversible for other whitespace).
 *   word  the reversible tokenizer: words (letters, marks, digits; numbers
 *         such as 1,234.56 and words such as don't kept whole), URLs and
 *         e-mail addresses kept whole, every punctuation mark and symbol
 *         apart (grapheme clusters such as emoji sequences never split;
 *         classes from ICU). decode(encode(x)) == x for every valid UTF-8
 *         line x, byte for byte.
 *   bpe   word, then BPE subwords of each token (bpe.h).
 *
 * How spacing is recorded. Tokens are separated by single spaces in the
 * token stream. Between two ordinary tokens the default is one ASCII space
 * in the text:
 *   - a token glued to the one before it (no space) starts with the joiner
 *     U+FFED '￭' ("Männer ￭," = "Männer,"); BPE pieces after the first of
 *     a word also start with it;
 *   - any other whitespace (runs, tabs, other spaces; leading or trailing),
 *     and any literal U+FFED or U+FFEE in the text, becomes a literal token:
 *     U+FFEE '￮' followed by the code points in lowercase hex separated by
 *     commas ("￮20,20" = two spaces). A literal token is glued to both
 *     neighbours.
 */
#ifndef S2S_TOKENIZER_H
#define S2S_TOKENIZER_H

#include <stddef.h>

#include "s2s/base/common.h"
#include "s2s/text/bpe.h"

typedef enum { TOKENIZER_NONE = 0, TOKENIZER_WORD, TOKENIZER_BPE } TokenizerKind;

#define TOKENIZER_JOINER "\xEF\xBF\xAD"  /* U+FFED */
#define TOKENIZER_LITERAL "\xEF\xBF\xAE" /* U+FFEE */

/* Owns bpe (kind bpe only); tokenizer_free releases it. Read-only while
 * encoding: the scratch lives in TokBuf. */
typedef struct {
    TokenizerKind kind;
    Bpe bpe;
} Tokenizer;

/* Tokens of one line, and the scratch encoding needs. Owns everything. */
typedef struct {
    char *buf;          /* tokens, NUL-terminated, back to back */
    size_t len, cap;
    size_t *off;        /* (n) token i is buf + off[i] */
    int n, off_cap;
    char *scratch;      /* word-level tokens before BPE */
    size_t scratch_len, scratch_cap;
    void *icu;          /* break iterator and text (opaque) */
    BpeCache cache;
    char *pieces;       /* bpe_apply's output */
    size_t pieces_cap;
} TokBuf;

/* name: "none", "word" or "bpe" (bpe then needs tokenizer_set_bpe). */
int tokenizer_from_name(Tokenizer *tk, const char *name, S2sErr *err);
const char *tokenizer_name(const Tokenizer *tk);
/* Makes tk a bpe tokenizer that owns *b (which is zeroed). */
void tokenizer_set_bpe(Tokenizer *tk, Bpe *b);
void tokenizer_free(Tokenizer *tk);

/* Tokenises line[0..len) (valid UTF-8) into out (replacing its tokens).
 * Returns the number of tokens, or < 0 (out of memory). */
int tokenizer_encode(const Tokenizer *tk, TokBuf *out, const char *line, size_t len,
                     S2sErr *err);
/* Word-level tokens only (no BPE), as BPE learning wants them. */
int tokenizer_encode_words(TokBuf *out, const char *line, size_t len, S2sErr *err);
/* Tokens already made (split on spaces, as `s2s tokenize` prints them) go
 * through tk's BPE (or stay as they are for other kinds). */
int tokenizer_encode_tokens(const Tokenizer *tk, TokBuf *out, const char *line, size_t len,
                            S2sErr *err);
const char *tokbuf_token(const TokBuf *b, int i);
/* Appends a copy of tok to b's tokens (empty b with b->n = b->len = 0);
 * S2S_ENOMEM on failure. */
int tokbuf_append(TokBuf *b, const char *tok);
/* Kind bpe: replaces out's tokens, as kind word makes them, by their BPE
 * pieces (as tokenizer_encode would), each merge dropped with probability p
 * (BPE-dropout, bpe_apply_dropout; p = 0 is tokenizer_encode's segmentation,
 * byte for byte). Returns the number of tokens or < 0 with err set. */
int tokenizer_apply_bpe(const Tokenizer *tk, TokBuf *out, float p, Rng *rng, S2sErr *err);
void tokbuf_free(TokBuf *b);

/* Appends the text of toks[0..n) to *out (a growable buffer of *cap bytes
 * holding *len, kept NUL-terminated). Returns 0 or < 0 (out of memory). */
int tokenizer_decode(const Tokenizer *tk, const char *const *toks, int n, char **out,
                     size_t *len, size_t *cap);

/* The most bytes of tokens a line of n bytes becomes: TOKENIZER_TOKEN_BYTES(n).
 * A one-byte mark glued to the one before it costs the joiner, itself and
 * a separating space (5 bytes); a literal token, at most 5 bytes for each
 * byte it records; BPE pieces share the same bound (a piece after the
 * first carries the joiner its word's bytes would otherwise). Commands
 * that read tokens take lines this long by default. */
#define TOKENIZER_TOKEN_BYTES(n) (5 * (n) + 16)

/* Whether token t is a literal token, and whether it starts with the joiner. */
int tokenizer_is_literal(const char *t);
int tokenizer_is_joined(const char *t);

#endif
