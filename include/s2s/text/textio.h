/* textio.h: streaming text input for translate and score: line reading
 * with line numbers, the invalid-UTF-8 policy, and text <-> token ids
 * through a model's tokenizer and vocabulary. */
#ifndef S2S_TEXTIO_H
#define S2S_TEXTIO_H

#include <stdint.h>
#include <stdio.h>

#include "s2s/base/common.h"
#include "s2s/base/fileio.h"
#include "s2s/text/tokenizer.h"
#include "s2s/text/vocab.h"

typedef struct {
    FILE *f;         /* owned unless it is stdin */
    const char *name; /* for messages: the path, or "stdin" */
    long lineno;     /* 1-based number of the line last read */
    long size;       /* bytes in the file, or -1 (not a regular file) */
    char *line;      /* (cap) the line last read, without '\n' or "\r\n"; owned */
    int keep_cr;     /* set to keep a trailing '\r' in the line (byte-exact tools) */
    long max_line;   /* longest line accepted, in bytes (S2S_MAX_LINE_BYTES after open) */
    size_t cap, len;
} LineReader;

/* path "-" or NULL reads stdin; a closed or write-only stdin is an error
 * ("stdin: cannot read: ..."). */
int linereader_open(LineReader *r, const char *path, S2sErr *err);
/* The lines of file path as LineReader reads them (a last line without
 * '\n' counts), read in blocks with nothing kept: 0 and *n, or
 * "PATH: cannot open: ...", "PATH:LINE: line longer than MAX bytes ...",
 * "PATH: read failed: ...". */
int text_count_lines(const char *path, long max_line, long *n, S2sErr *err);
/* Reads the next line: 1 when one was read, 0 at the end, < 0 on error
 * (a line longer than max_line bytes is "NAME:LINE: line longer than N
 * bytes"). */
int linereader_next(LineReader *r, S2sErr *err);
/* Bytes consumed so far (for an ETA), or -1 when unknown. */
long linereader_offset(const LineReader *r);
void linereader_close(LineReader *r);
/* Prefixes err's message with "name:lineno" of the line last read; returns code. */
int linereader_wrap(const LineReader *r, int code, S2sErr *err);

/* Replaces every invalid UTF-8 sequence of r->line (and every NUL byte) with
 * U+FFFD. Returns how many were replaced, or < 0 when out of memory. */
int textio_replace_invalid(LineReader *r);

/* Learns at most `merges` BPE merges (stopping early when the best pair
 * occurs fewer than min_freq times) jointly over the word tokens (kind word,
 * joiners removed, literal tokens left out) of the files paths[0..n).
 * progress (may be NULL) gets a line per 1000 merges. Errors name file and
 * line. */
int textio_learn_bpe(Bpe *out, const char *const *paths, int n, int merges, int min_freq,
                     long max_line, FILE *progress, S2sErr *err);

/* A growable array of token ids. */
typedef struct {
    int32_t *ids;
    size_t len, cap;
    TokBuf tb;       /* tokenizer output and scratch */
} IdBuf;

/* Tokenises line[0..len) and appends the ids of at most max tokens (max <=
 * 0: all) to b. Returns the number of tokens the line had (which may exceed
 * max), or < 0: the tokenizer's error (invalid UTF-8 or a NUL byte, with its
 * byte offset) or out of memory. */
long textio_append_ids(IdBuf *b, const Tokenizer *tk, const Vocab *v, const char *line,
                       size_t len, int max, S2sErr *err);
/* Appends to b the ids, in vocabulary v, of the first min(n, max) tokens
 * of tb (max <= 0: all n): another vocabulary's view of a line already
 * tokenised (ensemble members). 0 or S2S_ENOMEM. */
int textio_map_ids(IdBuf *b, const TokBuf *tb, int n, const Vocab *v, int max, S2sErr *err);
/* Appends ids[0..n) to b: 0 or S2S_ENOMEM. */
int idbuf_append(IdBuf *b, const int32_t *ids, size_t n, S2sErr *err);
void idbuf_free(IdBuf *b);

/* A growable text buffer. */
typedef struct {
    char *p;
    size_t len, cap;
} TextBuf;

int textbuf_append(TextBuf *t, const char *s, size_t n);
int textbuf_printf(TextBuf *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends the detokenised words of ids[0..n). */
int textbuf_append_words(TextBuf *t, const Tokenizer *tk, const Vocab *v, const int32_t *ids,
                         int n);
void textbuf_free(TextBuf *t);

/* The raw lines of a file (as s2s bleu reads them: '\n' split). */
typedef struct {
    char **lines;
    size_t *lens;
    int n;
} RawLines;

int raw_lines_read(RawLines *r, const char *path, long max_line, S2sErr *err);
void raw_lines_free(RawLines *r);

#endif
