/* BPE codes files on arbitrary bytes, then applying what loaded. */
#include "fuzz_common.h"
#include "s2s/text/bpe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    Bpe b;
    S2sErr err;
    memset(&b, 0, sizeof b);
    const char *path = fuzz_file("acodes", data, n);
    if (bpe_load(&b, path, &err) == 0) {
        BpeCache cache = {0};
        char *out = NULL;
        size_t cap = 0;
        static const char *const words[] = {"lower", "Männer", "日本語", "a", "</w>"};
        for (int i = 0; i < 5; i++)
            bpe_apply(&b, &cache, words[i], strlen(words[i]), &out, &cap, &err);
        free(out);
        bpe_cache_free(&cache);
        bpe_free(&b);
    }
    unlink(path);
    return 0;
}
