/* align.h: word alignments from an attention model's weights, for
 * `s2s translate --alignment hard|soft`. Positions are word tokens as
 * `s2s tokenize` prints them, 0-based, on both sides; a word split into
 * BPE pieces gets the attention of its pieces summed (source side) or
 * averaged (target side).
 */
#ifndef S2S_ALIGN_H
#define S2S_ALIGN_H

#include "s2s/text/textio.h"
#include "s2s/text/tokenizer.h"
#include "s2s/text/vocab.h"

/* Which word each piece belongs to: pieces[0..np) and words[0..nw) are
 * tokens of the same text (BPE pieces and the word tokens they came from,
 * joiners and literals as the tokenizer writes them). Sets out[u]; returns
 * the number of words, or -1 when the pieces do not spell the words (then
 * every piece is its own word). */
int align_piece_words(const char *const *pieces, int np, const char *const *words, int nw,
                      int *out);

/* The word of each of the n tokens of text line[0..len) as tk splits it
 * into pieces (the tokens in tb, from tokenizer_encode of that line):
 * words are the reversible tokenizer's words for bpe, the tokens
 * themselves otherwise. words is scratch. Returns the number of words, or
 * < 0 out of memory. */
int align_line_words(const Tokenizer *tk, const TokBuf *tb, int n, const char *line, size_t len,
                     TokBuf *words, int *out);

/* Appends one hypothesis' alignment to t. att: ntgt rows of stride
 * floats, row u = target piece u's weights over the encoder positions;
 * the source had nsrc pieces, read reversed when reverse; src_word[nsrc]
 * and tgt_word[ntgt] map pieces to words (nsw, ntw of them). hard: "i-j"
 * pairs, the argmax source word of each target word; soft: each target
 * word's weights over the source words, comma-separated, rows separated
 * by spaces. */
int align_format(TextBuf *t, int soft, const float *att, int stride, int ntgt, int nsrc,
                 int reverse, const int *src_word, int nsw, const int *tgt_word, int ntw);

/* What align_hypothesis reuses from one hypothesis to the next (zeroed to
 * start; align_scratch_free frees it). */
typedef struct {
    TokBuf words;
    int *map;
    const char **pieces, **wptr;
    size_t map_cap, pieces_cap, wptr_cap;
} AlignScratch;
void align_scratch_free(AlignScratch *s);

/* Appends to t the alignment of one hypothesis, as translate --alignment
 * prints it after " ||| ": its target pieces tok[0..len) (tv's), written
 * as text[0..text_len) by tk; att, stride, nsrc and reverse as
 * align_format; src_word[0..nsrc) the source pieces' words (from
 * align_line_words). 0, or < 0 out of memory. */
int align_hypothesis(AlignScratch *s, TextBuf *t, int soft, const Tokenizer *tk, const Vocab *tv,
                     const int32_t *tok, int len, const char *text, size_t text_len,
                     const float *att, int stride, int nsrc, int reverse, const int *src_word);

#endif
