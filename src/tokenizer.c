#include "s2s/tokenizer.h"

#include <string.h>

int tokenizer_from_name(Tokenizer *tk, const char *name, S2sErr *err)
{
    if (name && strcmp(name, "word") == 0) {
        tk->kind = TOKENIZER_WORD;
        return 0;
    }
    return s2s_fail(err, S2S_EINVAL, "unknown tokenizer '%s' (known: word)",
                    name ? name : "(null)");
}

const char *tokenizer_name(const Tokenizer *tk)
{
    switch (tk->kind) {
    case TOKENIZER_WORD:
        return "word";
    }
    S2S_INVARIANT(!"unknown tokenizer kind");
    return "";
}

static int is_ascii_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\v' || ch == '\f' || ch == '\r';
}

static int split_words(char *line, char **toks, int max_toks)
{
    int n = 0;
    char *p = line;
    for (;;) {
        while (*p && is_ascii_space(*p))
            p++;
        if (!*p)
            return n;
        char *start = p;
        while (*p && !is_ascii_space(*p))
            p++;
        if (n < max_toks) {
            toks[n] = start;
            if (*p)
                *p++ = '\0';
        }
        n++;
    }
}

int tokenizer_split(const Tokenizer *tk, char *line, char **toks, int max_toks)
{
    switch (tk->kind) {
    case TOKENIZER_WORD:
        return split_words(line, toks, max_toks);
    }
    S2S_INVARIANT(!"unknown tokenizer kind");
    return 0;
}

/* Copies s[0..len) to out at *pos as far as cap allows (keeping room for the
 * NUL) and advances *pos by len regardless. */
static void join_put(char *out, size_t cap, size_t *pos, const char *s, size_t len)
{
    if (*pos + 1 < cap) {
        size_t room = cap - 1 - *pos;
        memcpy(out + *pos, s, len < room ? len : room);
    }
    *pos += len;
}

static size_t join_words(const char *const *toks, int n, char *out, size_t cap)
{
    size_t pos = 0;
    for (int i = 0; i < n; i++) {
        if (i > 0)
            join_put(out, cap, &pos, " ", 1);
        join_put(out, cap, &pos, toks[i], strlen(toks[i]));
    }
    if (cap > 0)
        out[pos < cap ? pos : cap - 1] = '\0';
    return pos;
}

size_t tokenizer_join(const Tokenizer *tk, const char *const *toks, int n, char *out,
                      size_t cap)
{
    switch (tk->kind) {
    case TOKENIZER_WORD:
        return join_words(toks, n, out, cap);
    }
    S2S_INVARIANT(!"unknown tokenizer kind");
    return 0;
}
