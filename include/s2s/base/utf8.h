/* utf8.h: UTF-8 validation of raw input bytes (corpus lines, files to translate). */
#ifndef S2S_UTF8_H
#define S2S_UTF8_H

#include <stddef.h>

/* Byte offset (0-based) of the first invalid UTF-8 sequence in s[0..n), or -1
 * if all of it is valid. Strict RFC 3629: rejects stray continuation bytes,
 * overlong forms (C0, C1, E0 80..9F, F0 80..8F), surrogates (ED A0..BF), code
 * points above U+10FFFF (F4 90.., F5..FF) and sequences cut short by the end
 * of the buffer or by a non-continuation byte. The offset is that of the lead
 * byte of the offending sequence. NUL bytes are valid UTF-8 (U+0000). */
long utf8_invalid_offset(const char *s, size_t n);

#endif
