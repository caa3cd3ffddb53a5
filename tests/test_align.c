/* Word alignments (align.h): BPE pieces mapped to the word tokens they
 * spell, identity when they do not; hard and soft output from a known
 * attention matrix, with the source read reversed. */
#include <string.h>

#include "check.h"
#include "s2s/decode/align.h"

#define J TOKENIZER_JOINER

static void test_piece_words(void)
{
    const char *pieces[] = {"Zw", J "ei", "Männer", J ",", "ar", J "bei", J "ten"};
    const char *words[] = {"Zwei", "Männer", J ",", "arbeiten"};
    int out[7], want[7] = {0, 0, 1, 2, 3, 3, 3};
    CHECK(align_piece_words(pieces, 7, words, 4, out) == 4);
    CHECK(memcmp(out, want, sizeof want) == 0);
    const char *other[] = {"Zwei", "Frauen"}; /* pieces that spell other words: identity */
    CHECK(align_piece_words(pieces, 7, other, 2, out) == 7);
    for (int u = 0; u < 7; u++)
        CHECK(out[u] == u);
    const char *split[] = {"Zwe", "i"}; /* a piece across two words: identity */
    CHECK(align_piece_words(pieces, 2, split, 2, out) == 2 && out[1] == 1);
}

static void test_format(void)
{
    /* 3 source pieces = words 0, 0, 1 (read reversed by the encoder: position p is piece
     * 2 - p); 3 target pieces = words 0, 1, 1. Rows over encoder positions: */
    const float att[3 * 4] = {0.1f, 0.2f, 0.7f, 0, /* piece 0: source pieces 2,1,0 */
                              0.8f, 0.1f, 0.1f, 0, 0.6f, 0.3f, 0.1f, 0};
    int src_word[3] = {0, 0, 1}, tgt_word[3] = {0, 1, 1};
    TextBuf t = {0};
    CHECK(align_format(&t, 0, att, 4, 3, 3, 1, src_word, 2, tgt_word, 2) == 0);
    CHECK_MSG(t.p && strcmp(t.p, "0-0 1-1") == 0, "hard: '%s'", t.p ? t.p : "");
    t.len = 0;
    CHECK(align_format(&t, 1, att, 4, 3, 3, 1, src_word, 2, tgt_word, 2) == 0);
    /* word 0: source word 0 = 0.7 + 0.2, word 1 = 0.1; word 1: mean of (0.2, 0.8), (0.4, 0.6) */
    CHECK_MSG(strcmp(t.p, "0.900,0.100 0.300,0.700") == 0, "soft: '%s'", t.p);
    textbuf_free(&t);
}

int main(void)
{
    test_piece_words();
    test_format();
    return check_exit_code("test_align");
}
