/* BLEU and chrF segment statistics on arbitrary valid UTF-8 hypothesis and
 * reference (split at 0xFF 0xFF): every tokenizer, lowercasing, chrF++. */
#include "fuzz_common.h"
#include "s2s/base/utf8.h"
#include "s2s/metrics/bleu.h"
#include "s2s/metrics/chrf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    size_t a, b;
    fuzz_split(data, n, &a, &b);
    const char *hyp = (const char *)data, *ref = (const char *)data + b;
    size_t rl = n - b;
    if (utf8_invalid_offset(hyp, a) >= 0 || utf8_invalid_offset(ref, rl) >= 0)
        return 0; /* s2s bleu refuses invalid UTF-8 before this point */
    BleuScratch bs = {0};
    ChrfScratch cs = {0};
    for (int t = 0; t < 4; t++) {
        BleuOptions o = {.tok = (BleuTok)t, .lowercase = t & 1, .smooth_value = -1, .effective_order = 1};
        BleuStats st;
        BleuScore sc;
        if (bleu_segment(&bs, &o, hyp, a, &ref, &rl, 1, &st) == 0)
            bleu_compute(&st, &o, &sc);
    }
    ChrfOptions co = {.char_order = 6, .word_order = 2, .beta = 2, .lowercase = 1};
    ChrfStats cst;
    if (chrf_segment(&cs, &co, hyp, a, &ref, &rl, 1, &cst) == 0)
        chrf_compute(&cst, &co);
    bleu_scratch_free(&bs);
    chrf_scratch_free(&cs);
    return 0;
}
