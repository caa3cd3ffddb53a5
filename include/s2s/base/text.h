/* text.h: Unicode text as code points, with Python's notions of whitespace
 * and lowercasing (what sacreBLEU and the tokenizers need), on ICU.
 *
 * Code point arrays are uint32_t. Whitespace is Python's str.isspace():
 * general category Zs or bidirectional class WS, B or S (so U+001C..U+001F
 * and U+0085 are whitespace, U+200B and U+FEFF are not).
 */
#ifndef S2S_TEXT_H
#define S2S_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* A growable code point buffer; owns cp. */
typedef struct {
    uint32_t *cp;
    size_t len, cap;
} U32Buf;

int u32buf_reserve(U32Buf *b, size_t n); /* room for n code points in all */
int u32buf_push(U32Buf *b, uint32_t c);
void u32buf_free(U32Buf *b);

/* Decodes valid UTF-8 s[0..n) into out (replacing its content). The input
 * must have passed utf8_invalid_offset. */
int text_from_utf8(U32Buf *out, const char *s, size_t n);
/* Appends the UTF-8 encoding of cp[0..n) to *out (a growable char buffer
 * of *cap bytes holding *len; NUL-terminated). */
int text_to_utf8(char **out, size_t *len, size_t *cap, const uint32_t *cp, size_t n);

int text_is_space(uint32_t c);    /* Python str.isspace() */
int text_is_punct(uint32_t c);    /* general category P* */
int text_is_symbol(uint32_t c);   /* general category S* */
int text_is_number(uint32_t c);   /* general category N* */

/* Length of valid UTF-8 s[0..n) without its trailing whitespace (rstrip()). */
size_t text_rstrip_utf8(const char *s, size_t n);
/* Length of cp[0..n) without its trailing whitespace (Python rstrip()). */
size_t text_rstrip(const uint32_t *cp, size_t n);
/* Python str.lower() of cp[0..n) into out: full Unicode case mapping with
 * the Final_Sigma rule, no locale rules, no normalisation. */
int text_lower(U32Buf *out, const uint32_t *cp, size_t n);

#endif
