#include "s2s/base/utf8.h"

/* Length of the valid sequence starting at p (avail bytes left), 0 if invalid.
 * The bounds on the second byte are what exclude overlongs, surrogates and
 * values above U+10FFFF (RFC 3629, section 4). */
static size_t utf8_seq_len(const unsigned char *p, size_t avail)
{
    unsigned lead = p[0];
    unsigned lo = 0x80, hi = 0xBF;
    size_t len;
    if (lead < 0x80)
        return 1;
    if (lead >= 0xC2 && lead <= 0xDF) {
        len = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        len = 3;
        if (lead == 0xE0) lo = 0xA0; /* overlong */
        if (lead == 0xED) hi = 0x9F; /* surrogates U+D800..DFFF */
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        len = 4;
        if (lead == 0xF0) lo = 0x90; /* overlong */
        if (lead == 0xF4) hi = 0x8F; /* above U+10FFFF */
    } else {
        return 0; /* continuation byte, C0/C1 overlong lead, or F5..FF */
    }
    if (avail < len || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t k = 2; k < len; k++)
        if ((p[k] & 0xC0) != 0x80)
            return 0;
    return len;
}

long utf8_invalid_offset(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        if (p[i] < 0x80) { /* ASCII fast path */
            i++;
            continue;
        }
        size_t len = utf8_seq_len(p + i, n - i);
        if (len == 0)
            return (long)i;
        i += len;
    }
    return -1;
}
