/* The corpus reader on two arbitrary files (split at 0xFF 0xFF). */
#include "fuzz_common.h"
#include "s2s/base/fileio.h"
#include "s2s/text/corpus.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    static const Tokenizer word = {.kind = TOKENIZER_WORD};
    size_t a, b;
    TextPairs tp;
    S2sErr err;
    fuzz_split(data, n, &a, &b);
    const char *src = fuzz_file("asrc", data, a), *tgt = fuzz_file("btgt", data + b, n - b);
    if (textpairs_read(&tp, src, tgt, &word, S2S_MAX_LINE_BYTES, &err) == 0)
        textpairs_free(&tp);
    unlink(src);
    unlink(tgt);
    return 0;
}
