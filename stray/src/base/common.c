#include "s2s/base/common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int s2s_fail(S2sErr *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

int s2s_wrap(S2sErr *err, int code, const char *prefix)
{
    if (!err)
        return code;
    char inner[sizeof err->msg];
    memcpy(inner, err->msg, sizeof inner);
    inner[sizeof inner - 1] = '\0';
    int n = snprintf(err->msg, sizeof err->msg, "%s: ", prefix);
    if (n >= 0 && (size_t)n < sizeof err->msg)
        strncat(err->msg, inner, sizeof err->msg - 1 - (size_t)n);
    return code;
}

void s2s_die_invariant(const char *file, int line, const char *expr)
{
    fprintf(stderr, "%s:%d: internal error: invariant '%s' failed\n", file, line, expr);
    abort();
}

void *s2s_malloc(size_t n) { return malloc(n ? n : 1); }

void *s2s_calloc(size_t count, size_t size)
{
    return calloc(count ? count : 1, size ? size : 1);
}

void *s2s_grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (p && need <= *cap)
        return p;
    size_t n = *cap ? *cap : 16;
    while (n < need) {
        if (n > SIZE_MAX / 2)
            return NULL;
        n *= 2;
    }
    if (n > SIZE_MAX / elem)
        return NULL;
    void *q = realloc(p, n * elem);
    if (q)
        *cap = n;
    return q;
}

uint64_t s2s_fnv1a(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}
