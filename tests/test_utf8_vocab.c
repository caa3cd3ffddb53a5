/* UTF-8 validation, the word tokenizer, and vocabulary building. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "s2s/base/utf8.h"
#include "s2s/text/tokenizer.h"
#include "s2s/text/vocab.h"

#define UTF8_BAD(lit) utf8_invalid_offset(lit, sizeof(lit) - 1)

static void test_utf8_valid(void)
{
    CHECK(utf8_invalid_offset("", 0) == -1);
    CHECK(UTF8_BAD("plain ascii") == -1);
    CHECK(UTF8_BAD("Gr\xC3\xBC\xC3\x9F" "e") == -1);         /* Grüße */
    CHECK(UTF8_BAD("\xC2\x80") == -1);                       /* U+0080, smallest 2-byte */
    CHECK(UTF8_BAD("\xE2\x82\xAC") == -1);                   /* € */
    CHECK(UTF8_BAD("\xE0\xA0\x80") == -1);                   /* U+0800, smallest 3-byte */
    CHECK(UTF8_BAD("\xED\x9F\xBF\xEE\x80\x80") == -1);       /* U+D7FF, U+E000 */
    CHECK(UTF8_BAD("\xEF\xBF\xBF") == -1);                   /* U+FFFF */
    CHECK(UTF8_BAD("\xF0\x90\x80\x80") == -1);               /* U+10000, smallest 4-byte */
    CHECK(UTF8_BAD("a \xF0\x9F\x98\x80 b") == -1);           /* emoji */
    CHECK(UTF8_BAD("\xF4\x8F\xBF\xBF") == -1);               /* U+10FFFF */
    CHECK(UTF8_BAD("a\0b") == -1);                           /* NUL is U+0000 */
}

static void test_utf8_invalid(void)
{
    CHECK(UTF8_BAD("ab\x80") == 2);                  /* stray continuation */
    CHECK(UTF8_BAD("\xBF") == 0);
    CHECK(UTF8_BAD("x\xC0\xAF") == 1);               /* overlong '/' */
    CHECK(UTF8_BAD("\xC1\xBF") == 0);                /* overlong */
    CHECK(UTF8_BAD("\xE0\x80\xAF") == 0);            /* overlong 3-byte */
    CHECK(UTF8_BAD("\xE0\x9F\xBF") == 0);            /* overlong U+07FF */
    CHECK(UTF8_BAD("\xF0\x8F\xBF\xBF") == 0);        /* overlong U+FFFF */
    CHECK(UTF8_BAD("ok\xED\xA0\x80") == 2);          /* surrogate U+D800 */
    CHECK(UTF8_BAD("\xED\xBF\xBF") == 0);            /* surrogate U+DFFF */
    CHECK(UTF8_BAD("\xF4\x90\x80\x80") == 0);        /* U+110000 */
    CHECK(UTF8_BAD("\xF5\x80\x80\x80") == 0);
    CHECK(UTF8_BAD("\xF8\x88\x80\x80\x80") == 0);    /* old 5-byte form */
    CHECK(UTF8_BAD("abc\xFF") == 3);
    CHECK(UTF8_BAD("\xFE") == 0);
    CHECK(UTF8_BAD("x\xE2\x82") == 1);               /* truncated at end */
    CHECK(UTF8_BAD("\xF0\x9F\x98") == 0);
    CHECK(UTF8_BAD("\xC3") == 0);
    CHECK(UTF8_BAD("\xC3" "A") == 0);                /* cut by ASCII */
    CHECK(UTF8_BAD("ok\xE2\x28\xA1") == 2);
    CHECK(UTF8_BAD("\xF0\x9F\x98\x41") == 0);        /* bad 4th byte */
    CHECK(UTF8_BAD("\xE2\x82\xAC\xE2\x82\xAC\x80") == 6);
    /* n is respected: a valid sequence cut by n is truncated. */
    CHECK(utf8_invalid_offset("\xE2\x82\xAC", 2) == 0);
    CHECK(utf8_invalid_offset("ab\xC3\xBC", 3) == 2);
}

static void test_tokenizer_names(void)
{
    Tokenizer tk = {.kind = TOKENIZER_NONE};
    S2sErr err = {{0}};
    CHECK(tokenizer_from_name(&tk, "word", &err) == 0);
    CHECK(tk.kind == TOKENIZER_WORD);
    CHECK(strcmp(tokenizer_name(&tk), "word") == 0);
    CHECK(tokenizer_from_name(&tk, "none", &err) == 0 && tk.kind == TOKENIZER_NONE);
    CHECK(tokenizer_from_name(&tk, "sentencepiece", &err) == S2S_EINVAL);
    CHECK_MSG(strcmp(err.msg, "unknown tokenizer 'sentencepiece' (known: none, word, bpe)") == 0,
              "%s", err.msg);
    CHECK(tokenizer_from_name(&tk, NULL, NULL) == S2S_EINVAL);
}

/* Tokens of line under kind none, joined by '|'. */
static const char *split_none(const char *line, char *out, size_t cap)
{
    Tokenizer tk = {.kind = TOKENIZER_NONE};
    TokBuf tb = {0};
    int n = tokenizer_encode(&tk, &tb, line, strlen(line), NULL);
    out[0] = '\0';
    for (int i = 0; i < n; i++)
        snprintf(out + strlen(out), cap - strlen(out), "%s%s", i ? "|" : "", tokbuf_token(&tb, i));
    tokbuf_free(&tb);
    return out;
}

static void test_tokenizer_none(void)
{
    char out[128], *text = NULL;
    size_t len = 0, cap = 0;
    CHECK(strcmp(split_none("  Hello \t world\r\v\f!\n", out, sizeof out), "Hello|world|!") == 0);
    CHECK(strcmp(split_none("", out, sizeof out), "") == 0);
    CHECK(strcmp(split_none(" \t\r\n ", out, sizeof out), "") == 0);
    /* U+00A0 is not ASCII whitespace */
    CHECK(strcmp(split_none("a\xC2\xA0" "b c", out, sizeof out), "a\xC2\xA0" "b|c") == 0);
    Tokenizer tk = {.kind = TOKENIZER_NONE};
    const char *toks[] = {"ein", "Hund", "läuft"};
    CHECK(tokenizer_decode(&tk, toks, 3, &text, &len, &cap) == 0 && strcmp(text, "ein Hund läuft") == 0);
    free(text);
}

static void add_n(VocabCounter *c, const char *word, int n)
{
    S2sErr err;
    for (int i = 0; i < n; i++)
        CHECK_MSG(vocab_counter_add(c, word, &err) == 0, "%s", err.msg);
}

static void fill_counter(VocabCounter *c)
{
    add_n(c, "the", 5);
    add_n(c, "dog", 3);
    add_n(c, "cat", 3);
    add_n(c, "a", 3);
    add_n(c, "z", 2);
    add_n(c, "\xC3\xA9", 2); /* é: bytes above ASCII sort after "z" */
    add_n(c, "Z", 2);        /* uppercase sorts before lowercase */
    add_n(c, "zebra", 1);
    add_n(c, "<unk>", 2);
    add_n(c, "</s>", 1);
}

static int vocab_is(const Vocab *v, const char *const *want, int n)
{
    if (v->size != n)
        return 0;
    for (int i = 0; i < n; i++)
        if (strcmp(vocab_word(v, i), want[i]) != 0 || vocab_lookup(v, want[i]) != i)
            return 0;
    return 1;
}

static void test_vocab_build(void)
{
    S2sErr err = {{0}};
    VocabCounter c;
    Vocab v;
    CHECK(vocab_counter_init(&c, &err) == 0);
    fill_counter(&c);
    CHECK(c.size == 10);
    CHECK(c.total == 24);
    CHECK(vocab_counter_get(&c, "the") == 5);
    CHECK(vocab_counter_get(&c, "cat") == 3);
    CHECK(vocab_counter_get(&c, "nope") == 0);

    const char *all[] = {"<pad>", "<unk>", "<s>", "</s>", "the", "a", "cat", "dog",
                         "Z", "z", "\xC3\xA9", "zebra"};
    CHECK(vocab_build(&v, &c, 0, 1, &err) == 0);
    CHECK(vocab_is(&v, all, 12));
    CHECK(vocab_lookup(&v, "unseen") == VOCAB_UNK);
    CHECK(vocab_lookup(&v, "") == VOCAB_UNK);
    CHECK(vocab_lookup(&v, "<unk>") == VOCAB_UNK);
    CHECK(vocab_lookup(&v, "<pad>") == VOCAB_PAD);
    CHECK(vocab_lookup(&v, "</s>") == VOCAB_EOS);
    CHECK(strcmp(vocab_word(&v, 12), "<unk>") == 0);
    CHECK(strcmp(vocab_word(&v, -1), "<unk>") == 0);
    vocab_free(&v);
    CHECK(v.size == 0 && v.words == NULL);

    CHECK(vocab_build(&v, &c, 0, 3, &err) == 0); /* min_freq */
    CHECK(vocab_is(&v, all, 8));
    vocab_free(&v);
    CHECK(vocab_build(&v, &c, 0, 6, &err) == 0); /* nothing but specials */
    CHECK(vocab_is(&v, all, 4));
    vocab_free(&v);
    CHECK(vocab_build(&v, &c, 7, 0, &err) == 0); /* max_size counts specials */
    CHECK(vocab_is(&v, all, 7));
    vocab_free(&v);
    CHECK(vocab_build(&v, &c, 4, 1, &err) == 0);
    CHECK(vocab_is(&v, all, 4));
    vocab_free(&v);
    CHECK(vocab_build(&v, &c, 100, 2, &err) == 0);
    CHECK(vocab_is(&v, all, 11));
    vocab_free(&v);

    CHECK(vocab_build(&v, &c, 3, 1, &err) == S2S_EINVAL);
    CHECK_MSG(strstr(err.msg, "vocabulary size 3") != NULL, "%s", err.msg);
    CHECK(v.size == 0 && v.words == NULL);
    CHECK(vocab_build(&v, &c, -1, 1, &err) == S2S_EINVAL);
    vocab_counter_free(&c);
    CHECK(c.size == 0 && c.slots == NULL);
    vocab_counter_free(&c); /* twice: still safe */
}

static void test_vocab_many(void)
{
    /* Enough distinct words to grow the counter several times. */
    S2sErr err = {{0}};
    VocabCounter c;
    Vocab v;
    char w[32];
    CHECK(vocab_counter_init(&c, &err) == 0);
    for (int i = 0; i < 5000; i++) {
        snprintf(w, sizeof w, "w%d", i);
        add_n(&c, w, 1 + i % 3);
    }
    CHECK(c.size == 5000);
    CHECK(vocab_counter_get(&c, "w4999") == 2);
    CHECK(vocab_counter_get(&c, "w2") == 3);
    CHECK(vocab_build(&v, &c, 0, 1, &err) == 0);
    CHECK(v.size == 5004);
    int ok = 1;
    for (int i = 0; i < 5000; i++) {
        snprintf(w, sizeof w, "w%d", i);
        int id = vocab_lookup(&v, w);
        ok &= id >= VOCAB_NSPECIAL && strcmp(vocab_word(&v, id), w) == 0;
    }
    CHECK(ok);
    /* Count 3 (i % 3 == 2) first, in strcmp order: "w1001" < "w1004" < ... < "w101". */
    CHECK(strcmp(vocab_word(&v, 4), "w1001") == 0);
    CHECK(strcmp(vocab_word(&v, 5), "w1004") == 0);
    CHECK(vocab_lookup(&v, "w2") < vocab_lookup(&v, "w0")); /* count 3 before count 1 */
    vocab_free(&v);
    vocab_counter_free(&c);
}

/* A token with a control character (the corpus reader lets U+0001 or
 * U+0080 through) stays out of a built vocabulary, since vocab_from_words
 * would refuse to load it back; NEL (U+0085) too, if a caller passes it. */
static void test_vocab_build_controls(void)
{
    S2sErr err = {{0}};
    VocabCounter c;
    Vocab v;
    const char *words[] = {"a\x01" "b", "ok", "c\xc2\x80" "d", "e\xc2\x85", "tab\t", "\xc2\xa0nbsp"};
    CHECK(vocab_counter_init(&c, &err) == 0);
    for (int i = 0; i < 6; i++)
        CHECK(vocab_counter_add(&c, words[i], &err) == 0);
    CHECK(vocab_build(&v, &c, 0, 1, &err) == 0);
    CHECK_MSG(v.size == VOCAB_NSPECIAL + 2, "%d words", v.size);
    CHECK(vocab_lookup(&v, "ok") >= VOCAB_NSPECIAL && vocab_lookup(&v, "\xc2\xa0nbsp") >= VOCAB_NSPECIAL);
    CHECK(vocab_lookup(&v, "a\x01" "b") == VOCAB_UNK);
    vocab_free(&v);
    vocab_counter_free(&c);
}

static void test_vocab_from_words(void)
{
    S2sErr err = {{0}};
    Vocab v;
    const char *good[] = {"<pad>", "<unk>", "<s>", "</s>", "Hund", "Katze"};
    CHECK(vocab_from_words(&v, good, 6, &err) == 0);
    CHECK(vocab_is(&v, good, 6));
    CHECK(vocab_lookup(&v, "Maus") == VOCAB_UNK);
    vocab_free(&v);
    CHECK(vocab_from_words(&v, good, 4, &err) == 0);
    CHECK(v.size == 4);
    vocab_free(&v);

    CHECK(vocab_from_words(&v, good, 3, &err) == S2S_EFORMAT);
    CHECK_MSG(strcmp(err.msg, "vocabulary has 3 entries, fewer than the 4 special tokens") == 0,
              "%s", err.msg);
    const char *order[] = {"<pad>", "<s>", "<unk>", "</s>", "x"};
    CHECK(vocab_from_words(&v, order, 5, &err) == S2S_EFORMAT);
    CHECK_MSG(strcmp(err.msg, "vocabulary entry 1 is '<s>', expected '<unk>'") == 0, "%s",
              err.msg);
    const char *empty[] = {"<pad>", "<unk>", "<s>", "</s>", "x", ""};
    CHECK(vocab_from_words(&v, empty, 6, &err) == S2S_EFORMAT);
    CHECK_MSG(strcmp(err.msg, "vocabulary entry 5 is empty") == 0, "%s", err.msg);
    const char *null[] = {"<pad>", "<unk>", "<s>", "</s>", NULL};
    CHECK(vocab_from_words(&v, null, 5, &err) == S2S_EFORMAT);
    const char *dup[] = {"<pad>", "<unk>", "<s>", "</s>", "a", "b", "a"};
    CHECK(vocab_from_words(&v, dup, 7, &err) == S2S_EFORMAT);
    CHECK_MSG(strcmp(err.msg, "vocabulary entry 6 ('a') repeats entry 4") == 0, "%s", err.msg);
    CHECK(v.size == 0 && v.words == NULL && v.index == NULL);
    const char *dup_special[] = {"<pad>", "<unk>", "<s>", "</s>", "a", "<unk>"};
    CHECK(vocab_from_words(&v, dup_special, 6, &err) == S2S_EFORMAT);
    CHECK_MSG(strcmp(err.msg, "vocabulary entry 5 ('<unk>') repeats entry 1") == 0, "%s",
              err.msg);
    vocab_free(&v);
    const char *ctrl[] = {"<pad>", "<unk>", "<s>", "</s>", "a", "b\x7f"};
    CHECK(vocab_from_words(&v, ctrl, 6, &err) == S2S_EFORMAT);
    CHECK_MSG(strcmp(err.msg, "vocabulary entry 5 holds control character U+007F") == 0, "%s",
              err.msg);
    const char *utf8[] = {"<pad>", "<unk>", "<s>", "</s>", "\xc3"};
    CHECK(vocab_from_words(&v, utf8, 5, &err) == S2S_EFORMAT);
    CHECK_MSG(strcmp(err.msg, "vocabulary entry 4 is not valid UTF-8") == 0, "%s", err.msg);

    Vocab zero = {0};
    CHECK(vocab_lookup(&zero, "a") == VOCAB_UNK);
    CHECK(strcmp(vocab_word(&zero, 0), "<unk>") == 0);
    vocab_free(&zero);
}

int main(void)
{
    test_utf8_valid();
    test_utf8_invalid();
    test_tokenizer_names();
    test_tokenizer_none();
    test_vocab_build();
    test_vocab_many();
    test_vocab_build_controls();
    test_vocab_from_words();
    return check_exit_code("test_utf8_vocab");
}
