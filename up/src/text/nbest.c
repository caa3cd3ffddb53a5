#include "s2s/text/nbest.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char SEP[] = " ||| ";
enum { SEP_LEN = 5 };

/* Start of the next " ||| " in s[0..n), or NULL. */
static const char *find_sep(const char *s, size_t n)
{
    for (size_t i = 0; i + SEP_LEN <= n; i++)
        if (s[i] == ' ' && memcmp(s + i, SEP, SEP_LEN) == 0)
            return s + i;
    return NULL;
}

/* A whole field that is a number, spaces around it allowed. */
static int field_number(const char *s, size_t n, double *out)
{
    char buf[64], *end;
    while (n && s[0] == ' ')
        s++, n--;
    while (n && s[n - 1] == ' ')
        n--;
    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    errno = 0;
    *out = strtod(buf, &end);
    return *end || errno || !isfinite(*out) ? -1 : 0;
}

static int field_id(const char *s, size_t n, long *out)
{
    long v = 0;
    if (n == 0 || n > 15)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int nbest_parse(const char *line, size_t len, size_t base, NbestEntry *e, S2sErr *err)
{
    const char *f[6];
    size_t n[6];
    int k = 0;
    const char *p = line, *end = line + len;
    while (k < 6) {
        const char *s = find_sep(p, (size_t)(end - p));
        f[k] = p, n[k] = (size_t)((s ? s : end) - p), k++;
        if (!s)
            break;
        p = s + SEP_LEN;
    }
    if (k < 4 || k > 5)
        return s2s_fail(err, S2S_EFORMAT,
                        "%d fields, not 'i ||| hypothesis ||| features ||| total' (Moses/Marian n-best)",
                        k);
    memset(e, 0, sizeof *e);
    if (field_id(f[0], n[0], &e->id))
        return s2s_fail(err, S2S_EFORMAT, "the sentence index '%.*s' is not a number >= 0",
                        (int)(n[0] < 40 ? n[0] : 40), f[0]);
    if (field_number(f[3], n[3], &e->total_value))
        return s2s_fail(err, S2S_EFORMAT, "the total '%.*s' is not a number",
                        (int)(n[3] < 40 ? n[3] : 40), f[3]);
    e->hyp = base + (size_t)(f[1] - line), e->hyp_len = n[1];
    e->feat = base + (size_t)(f[2] - line), e->feat_len = n[2];
    e->total = base + (size_t)(f[3] - line), e->total_len = n[3];
    e->has_rest = k == 5;
    if (k == 5)
        e->rest = base + (size_t)(f[4] - line), e->rest_len = n[4];
    return 0;
}

void nbest_rerank(NbestEntry *e, int n, double w)
{
    for (int i = 0; i < n; i++)
        e[i].key = e[i].total_value + w * e[i].feature;
    for (int i = 1; i < n; i++) { /* insertion sort: stable, and lists are short */
        NbestEntry x = e[i];
        int j = i;
        for (; j > 0 && x.key > e[j - 1].key; j--)
            e[j] = e[j - 1];
        e[j] = x;
    }
}

int nbest_feature_name_ok(const char *name)
{
    if (!*name)
        return 0;
    for (const char *p = name; *p; p++)
        if (*p <= ' ' || *p > '~' || *p == '=' || *p == '|')
            return 0;
    return 1;
}
