/* json.c: strict JSON reading over cJSON (json.h). */
#include "s2s/base/json.h"

#include <stdlib.h>
#include <string.h>

/* Offset in s[0..n) of a \u0000 escape inside a string or key, or -1.
 * cJSON decodes it to a NUL byte that ends the C string it hands back, so
 * no check after decoding could see it. s[0..n) is one JSON value cJSON
 * has parsed, so knowing whether we are inside a string is enough. */
static long nul_escape(const char *s, size_t n)
{
    int in_string = 0;
    for (size_t i = 0; i < n; i++) {
        if (!in_string)
            in_string = s[i] == '"';
        else if (s[i] == '"')
            in_string = 0;
        else if (s[i] == '\\') {
            if (n - i > 5 && memcmp(s + i + 1, "u0000", 5) == 0)
                return (long)i;
            i++; /* the escaped character: \" and \\ do not end or start anything */
        }
    }
    return -1;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The first key of object o that a later member repeats, or NULL; *oom set
 * when the names could not be sorted. Small objects are compared pairwise,
 * larger ones sorted (a hostile object may hold a million keys). */
static const char *repeated_key(const cJSON *o, int *oom)
{
    int n = cJSON_GetArraySize(o);
    if (n <= 16) {
        for (const cJSON *a = o->child; a; a = a->next)
            for (const cJSON *b = a->next; b; b = b->next)
                if (a->string && b->string && !strcmp(a->string, b->string))
                    return a->string;
        return NULL;
    }
    const char **names = malloc((size_t)n * sizeof *names), *dup = NULL;
    if (!names)
        return *oom = 1, NULL;
    int k = 0;
    for (const cJSON *a = o->child; a && k < n; a = a->next)
        names[k++] = a->string ? a->string : "";
    qsort(names, (size_t)k, sizeof *names, by_name);
    for (int i = 1; i < k && !dup; i++)
        if (!strcmp(names[i - 1], names[i]))
            dup = names[i];
    free(names);
    return dup;
}

/* Every object under v (cJSON bounds the nesting depth at
 * CJSON_NESTING_LIMIT, so the recursion is bounded): 0, or an error. */
static int check_keys(const cJSON *v, S2sErr *err)
{
    int oom = 0;
    const char *dup = cJSON_IsObject(v) ? repeated_key(v, &oom) : NULL;
    if (oom)
        return s2s_fail(err, S2S_ENOMEM, "out of memory");
    if (dup)
        return s2s_fail(err, S2S_EFORMAT, "the key \"%.64s\" appears twice in one object", dup);
    for (const cJSON *c = v->child; c; c = c->next)
        if (c->child) {
            int rc = check_keys(c, err);
            if (rc)
                return rc;
        }
    return 0;
}

/* Offset of the first non-white-space byte of p[at..n), or n. */
static size_t skip_space(const char *p, size_t at, size_t n)
{
    while (at < n && (p[at] == ' ' || p[at] == '\t' || p[at] == '\r' || p[at] == '\n'))
        at++;
    return at;
}

int json_parse(const char *p, size_t n, size_t base, const char *of, cJSON **out, S2sErr *err)
{
    const char *end = NULL, *nul = n ? memchr(p, '\0', n) : NULL;
    of = of ? of : "";
    *out = NULL;
    if (nul)
        return s2s_fail(err, S2S_EFORMAT, "a NUL byte at byte %zu%s", base + (size_t)(nul - p), of);
    cJSON *v = cJSON_ParseWithLengthOpts(p, n, &end, 0);
    if (!v)
        return s2s_fail(err, S2S_EFORMAT, "not valid JSON (error at byte %zu%s)",
                        base + (size_t)(end && end >= p ? end - p : 0), of);
    size_t parsed = (size_t)(end - p), at = skip_space(p, parsed, n);
    long esc = nul_escape(p, parsed);
    int rc = 0;
    if (at < n)
        rc = s2s_fail(err, S2S_EFORMAT, "%zu bytes after the JSON value at byte %zu%s", n - at,
                      base + at, of);
    else if (esc >= 0)
        rc = s2s_fail(err, S2S_EFORMAT, "a string holds \\u0000 (NUL) at byte %zu%s",
                      base + (size_t)esc, of);
    else
        rc = check_keys(v, err);
    if (rc)
        cJSON_Delete(v);
    else
        *out = v;
    return rc;
}
