/* TER internals against hand-worked cases: the edit distance with and
 * without shifts (the shift search, its ranking, empty sides), the tercom
 * tokenizer's rules, the segment statistics with several references and
 * the score. The shared vectors (tests/cli_bleu.sh, ter.tsv) check the
 * whole against sacreBLEU. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "s2s/metrics/ter.h"

static long edits(TerScratch *s, const char *hyp, const char *ref)
{
    int32_t h[32], r[32];
    int nh = 0, nr = 0;
    for (const char *p = hyp; *p; p++)
        if (*p != ' ')
            h[nh++] = *p;
    for (const char *p = ref; *p; p++)
        if (*p != ' ')
            r[nr++] = *p;
    return ter_edits(s, h, nh, r, nr);
}

static void test_edits(void)
{
    TerScratch s = {0};
    CHECK(edits(&s, "a b c d", "a b c d") == 0);
    CHECK(edits(&s, "a b c", "a x c") == 1);            /* one substitution */
    CHECK(edits(&s, "a b c", "a c") == 1);              /* one deletion */
    CHECK(edits(&s, "a c", "a b c") == 1);              /* one insertion */
    CHECK(edits(&s, "a b c d e", "c d e a b") == 1);    /* one shift instead of 4 edits */
    CHECK(edits(&s, "b a", "a b") == 1);                /* a shift, not 2 substitutions */
    CHECK(edits(&s, "a b c d e f", "d e f x a b c") == 2); /* a shift and an insertion */
    CHECK(edits(&s, "x y z", "a b c") == 3);            /* nothing to shift */
    CHECK(edits(&s, "a b", "") == 2);                   /* empty reference: every word */
    CHECK(edits(&s, "", "a b c") == 3);                 /* empty hypothesis: insertions */
    ter_scratch_free(&s);
}

static int tok_is(const TerOptions *o, const char *in, const char *want)
{
    TerScratch s = {0};
    U32Buf out = {0};
    char *utf8 = NULL;
    size_t len = 0, cap = 0;
    int ok = ter_tokenize(&s, o, in, strlen(in), &out) == 0 &&
             text_to_utf8(&utf8, &len, &cap, out.cp, out.len) == 0 &&
             strcmp(utf8 ? utf8 : "", want) == 0;
    if (!ok)
        fprintf(stderr, "tokenize '%s': got '%s', want '%s'\n", in, utf8 ? utf8 : "", want);
    free(utf8);
    u32buf_free(&out);
    ter_scratch_free(&s);
    return ok;
}

static void test_tokenizer(void)
{
    TerOptions plain = {0}, cased = {.case_sensitive = 1}, norm = {.normalized = 1},
               nopunct = {.no_punct = 1}, asian = {.normalized = 1, .asian = 1};
    CHECK(tok_is(&plain, "  The  Cat,  sat. ", "the cat, sat."));
    CHECK(tok_is(&cased, "The Cat", "The Cat"));
    CHECK(tok_is(&norm, "a,b and 3.5 or x.", "a , b and 3.5 or x ."));
    CHECK(tok_is(&norm, "Tom's &amp; &quot;q&quot; 1-2", "tom 's & \" q \" 1 - 2"));
    CHECK(tok_is(&norm, "(a+b)/c", "( a + b ) / c"));
    CHECK(tok_is(&nopunct, "Hi, (you) there?! \xe2\xb8\xae", "hi you there \xe2\xb8\xae"));
    CHECK(tok_is(&asian, "\xe4\xb8\xad\xe6\x96\x87\xe3\x80\x82ok", "\xe4\xb8\xad \xe6\x96\x87 \xe3\x80\x82 ok"));
    CHECK(tok_is(&plain, "", ""));
}

static void test_segment(void)
{
    TerScratch s = {0};
    TerOptions o = {0};
    TerStats st;
    const char *refs[] = {"A b c d", "e f g h i j"};
    size_t rn[] = {7, 11};
    /* hypothesis "a b x d": 1 edit against ref 1 (4 words), 5 against ref 2 (6 words) */
    CHECK(ter_segment(&s, &o, "a b x d", 7, refs, rn, 2, &st) == 0);
    CHECK(st.edits == 1 && st.ref_len == 5.0);
    CHECK(fabs(ter_score(&st) - 20.0) < 1e-12);
    TerStats empty = {3, 0}, none = {0, 0};
    CHECK(ter_score(&empty) == 100.0 && ter_score(&none) == 0.0);
    ter_scratch_free(&s);
}

int main(void)
{
    test_edits();
    test_tokenizer();
    test_segment();
    return check_exit_code("test_ter");
}
