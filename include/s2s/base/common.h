/* common.h: status codes, error messages and the internal-invariant check.
 *
 * Library functions return 0 on success or a negative S2S_E* code, and on
 * failure fill an S2sErr with a message of the form "path:line: what".
 * Only src/cli/ (main.c, cli_*.c) prints or exits.
 */
#ifndef S2S_COMMON_H
#define S2S_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* The version s2s names (--version, sacreBLEU signatures). */
#define S2S_VERSION "0.1.0"

enum {
    S2S_OK = 0,
    S2S_EIO = -1,      /* file missing, unreadable or unwritable */
    S2S_EFORMAT = -2,  /* malformed input: bad UTF-8, corrupt model, bad JSON */
    S2S_ENOMEM = -3,   /* allocation failed */
    S2S_EINVAL = -4,   /* invalid argument or configuration value */
    S2S_ENUMERIC = -5, /* NaN or Inf met during training */
    S2S_EREMOTE = -6,  /* another process of the job failed (and said why) */
};

typedef struct {
    char msg[1024];
} S2sErr;

/* Formats msg into err (if err is non-NULL) and returns code. */
int s2s_fail(S2sErr *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes err's message with "prefix: " and returns code. */
int s2s_wrap(S2sErr *err, int code, const char *prefix);

/* Programming errors only, never user input: prints file:line and aborts. */
void s2s_die_invariant(const char *file, int line, const char *expr);
#define S2S_INVARIANT(cond) \
    ((cond) ? (void)0 : s2s_die_invariant(__FILE__, __LINE__, #cond))

/* malloc/calloc that treat n == 0 as 1 so NULL always means failure. */
void *s2s_malloc(size_t n);
void *s2s_calloc(size_t count, size_t size);
/* The growable arrays' one helper: p (an array of *cap elements of elem
 * bytes, or NULL with *cap 0) grown to hold at least need elements, by
 * doubling from 16. Returns the array, never NULL on success (even for
 * need 0), and sets *cap; or NULL when memory or size_t runs out, with p
 * and *cap untouched (p still the caller's). */
void *s2s_grow(void *p, size_t *cap, size_t need, size_t elem);

/* FNV-1a (64-bit) of n bytes, continuing from h (S2S_FNV_OFFSET to start). */
#define S2S_FNV_OFFSET 0xcbf29ce484222325ULL
uint64_t s2s_fnv1a(uint64_t h, const void *data, size_t n);

#endif
