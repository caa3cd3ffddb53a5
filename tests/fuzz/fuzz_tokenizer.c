/* The tokenizer on arbitrary bytes: valid UTF-8 must round-trip exactly,
 * with no token empty or holding a space, anything else must be refused;
 * decoding arbitrary tokens must not crash. The seeds hold each grapheme
 * cluster class next to white space (test_tokenizer.c tries every code
 * point in a few such shapes). */
#include "fuzz_common.h"
#include "s2s/base/utf8.h"
#include "s2s/text/tokenizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    static const Tokenizer word = {.kind = TOKENIZER_WORD}, none = {.kind = TOKENIZER_NONE};
    TokBuf tb = {0};
    char *text = NULL;
    size_t len = 0, cap = 0;
    const char *line = (const char *)data;
    int valid = utf8_invalid_offset(line, n) < 0 && !memchr(line, '\0', n);
    int k = tokenizer_encode(&word, &tb, line, n, NULL);
    if (valid != (k >= 0))
        abort();
    if (k >= 0) {
        const char **toks = malloc(sizeof(char *) * (size_t)(k + 1));
        for (int i = 0; i < k; i++)
            if (!*(toks[i] = tokbuf_token(&tb, i)) || strpbrk(toks[i], " \t\n\r"))
                abort(); /* detokenize splits at spaces: a token holds none */
        if (tokenizer_decode(&word, toks, k, &text, &len, &cap) || len != n || memcmp(text, line, n))
            abort(); /* the round trip is the tokenizer's promise */
        free(toks);
    }
    /* Arbitrary token text (a model can emit anything) decodes without crashing. */
    if (tokenizer_encode(&none, &tb, line, n, NULL) >= 0) {
        const char **toks = malloc(sizeof(char *) * (size_t)(tb.n + 1));
        for (int i = 0; i < tb.n; i++)
            toks[i] = tokbuf_token(&tb, i);
        len = 0;
        tokenizer_decode(&word, toks, tb.n, &text, &len, &cap);
        free(toks);
    }
    free(text);
    tokbuf_free(&tb);
    return 0;
}
