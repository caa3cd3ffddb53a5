/* tokenizer.h: turning a line of text into tokens and back.
 *
 * A small swappable interface: the kind is chosen by name (stored in model
 * files as that name), and every entry point switches on it. Only "word"
 * (split on ASCII whitespace) exists so far; a Unicode-aware tokenizer and
 * BPE are meant to be added as further kinds.
 */
#ifndef S2S_TOKENIZER_H
#define S2S_TOKENIZER_H

#include <stddef.h>

#include "s2s/common.h"

typedef enum {
    TOKENIZER_WORD = 0, /* split on ASCII space, \t, \n, \v, \f, \r */
} TokenizerKind;

/* Plain value, owns nothing; no free needed. */
typedef struct {
    TokenizerKind kind;
} Tokenizer;

/* name: "word". Unknown names: S2S_EINVAL. */
int tokenizer_from_name(Tokenizer *tk, const char *name, S2sErr *err);
/* The name tokenizer_from_name accepts for tk's kind (a static string). */
const char *tokenizer_name(const Tokenizer *tk);

/* Splits line in place: toks[i] point into line, and the byte after each of
 * the first min(n, max_toks) tokens is overwritten with NUL. Returns the
 * number n of tokens in the line, which may exceed max_toks: then only the
 * first max_toks are stored and terminated, and the rest of the line is left
 * as it was. A line of L bytes holds at most (L + 1) / 2 tokens. */
int tokenizer_split(const Tokenizer *tk, char *line, char **toks, int max_toks);

/* Joins toks[0..n) with single spaces into out (capacity cap, always
 * NUL-terminated when cap > 0). Returns the length the whole result needs,
 * excluding the NUL, as snprintf does: the output was cut short iff the
 * return value >= cap. */
size_t tokenizer_join(const Tokenizer *tk, const char *const *toks, int n, char *out,
                      size_t cap);

#endif
