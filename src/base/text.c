#include "s2s/base/text.h"

#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/ustring.h>

int u32buf_reserve(U32Buf *b, size_t n)
{
    if (n <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < n)
        cap *= 2;
    uint32_t *p = realloc(b->cp, cap * sizeof(uint32_t));
    if (!p)
        return -1;
    b->cp = p, b->cap = cap;
    return 0;
}

int u32buf_push(U32Buf *b, uint32_t c)
{
    if (b->len == b->cap && u32buf_reserve(b, b->len + 1))
        return -1;
    b->cp[b->len++] = c;
    return 0;
}

void u32buf_free(U32Buf *b)
{
    free(b->cp);
    memset(b, 0, sizeof *b);
}

int text_from_utf8(U32Buf *out, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    out->len = 0;
    if (u32buf_reserve(out, n + 1))
        return -1;
    while (p < end) {
        uint32_t c = *p++;
        int more = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
        c &= more == 3 ? 0x07 : more == 2 ? 0x0F : more == 1 ? 0x1F : 0x7F;
        while (more-- > 0 && p < end)
            c = (c << 6) | (*p++ & 0x3F);
        out->cp[out->len++] = c;
    }
    return 0;
}

int text_to_utf8(char **out, size_t *len, size_t *cap, const uint32_t *cp, size_t n)
{
    size_t need = *len + 4 * n + 1;
    if (need > *cap) {
        size_t c = *cap ? *cap : 64;
        while (c < need)
            c *= 2;
        char *q = realloc(*out, c);
        if (!q)
            return -1;
        *out = q, *cap = c;
    }
    unsigned char *o = (unsigned char *)*out + *len;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = cp[i];
        if (c < 0x80) {
            *o++ = (unsigned char)c;
        } else if (c < 0x800) {
            *o++ = (unsigned char)(0xC0 | c >> 6);
            *o++ = (unsigned char)(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            *o++ = (unsigned char)(0xE0 | c >> 12);
            *o++ = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
            *o++ = (unsigned char)(0x80 | (c & 0x3F));
        } else {
            *o++ = (unsigned char)(0xF0 | c >> 18);
            *o++ = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
            *o++ = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
            *o++ = (unsigned char)(0x80 | (c & 0x3F));
        }
    }
    *len = (size_t)(o - (unsigned char *)*out);
    (*out)[*len] = '\0';
    return 0;
}

int text_is_space(uint32_t c)
{
    if (c < 0x80)
        return c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
    if (u_charType((UChar32)c) == U_SPACE_SEPARATOR)
        return 1;
    UCharDirection d = u_charDirection((UChar32)c);
    return d == U_WHITE_SPACE_NEUTRAL || d == U_BLOCK_SEPARATOR || d == U_SEGMENT_SEPARATOR;
}

int text_is_punct(uint32_t c) { return (U_GET_GC_MASK((UChar32)c) & U_GC_P_MASK) != 0; }
int text_is_symbol(uint32_t c) { return (U_GET_GC_MASK((UChar32)c) & U_GC_S_MASK) != 0; }
int text_is_number(uint32_t c) { return (U_GET_GC_MASK((UChar32)c) & U_GC_N_MASK) != 0; }

size_t text_rstrip(const uint32_t *cp, size_t n)
{
    while (n > 0 && text_is_space(cp[n - 1]))
        n--;
    return n;
}

/* The whole string goes through ICU at once so that Final_Sigma sees its
 * context; root locale "" = no Turkish or Lithuanian rules. */
int text_lower(U32Buf *out, const uint32_t *cp, size_t n)
{
    UErrorCode e = U_ZERO_ERROR;
    int32_t n16 = 0, m16 = 0, n32 = 0;
    int rc = -1;
    UChar *a = NULL, *b = NULL;
    u_strFromUTF32(NULL, 0, &n16, (const UChar32 *)cp, (int32_t)n, &e);
    e = U_ZERO_ERROR;
    a = malloc(sizeof(UChar) * ((size_t)n16 + 1));
    if (!a)
        goto done;
    u_strFromUTF32(a, n16 + 1, NULL, (const UChar32 *)cp, (int32_t)n, &e);
    m16 = u_strToLower(NULL, 0, a, n16, "", &e);
    e = U_ZERO_ERROR;
    b = malloc(sizeof(UChar) * ((size_t)m16 + 1));
    if (!b)
        goto done;
    u_strToLower(b, m16 + 1, a, n16, "", &e);
    if (U_FAILURE(e) || u32buf_reserve(out, (size_t)m16 + 1))
        goto done;
    u_strToUTF32((UChar32 *)out->cp, (int32_t)out->cap, &n32, b, m16, &e);
    if (U_FAILURE(e))
        goto done;
    out->len = (size_t)n32;
    rc = 0;
done:
    free(a);
    free(b);
    return rc;
}

size_t text_rstrip_utf8(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    while (n > 0) {
        size_t start = n - 1;
        while (start > 0 && (p[start] & 0xC0) == 0x80)
            start--;
        uint32_t c = p[start];
        if (c >= 0x80) { /* decode the last code point */
            int more = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
            c &= more == 3 ? 0x07 : more == 2 ? 0x0F : 0x1F;
            for (size_t i = start + 1; i < n; i++)
                c = (c << 6) | (p[i] & 0x3F);
        }
        if (!text_is_space(c))
            break;
        n = start;
    }
    return n;
}
