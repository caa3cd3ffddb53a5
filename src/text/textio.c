#include "s2s/text/textio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "s2s/base/text.h"
#include "s2s/base/utf8.h"

/* ---- lines ---- */

int linereader_open(LineReader *r, const char *path, S2sErr *err)
{
    struct stat st;
    memset(r, 0, sizeof *r);
    r->size = -1;
    r->max_line = S2S_MAX_LINE_BYTES;
    if (!path || strcmp(path, "-") == 0) {
        r->f = stdin;
        r->name = "stdin";
        int flags = fcntl(fileno(stdin), F_GETFL);
        if (flags < 0 || (flags & O_ACCMODE) == O_WRONLY) /* closed, or held by main.c */
            return s2s_fail(err, S2S_EIO, "stdin: cannot read: %s", strerror(flags < 0 ? errno : EBADF));
    } else {
        r->f = fopen(path, "rb");
        r->name = path;
        if (!r->f)
            return s2s_fail(err, S2S_EIO, "%s: cannot open: %s", path, strerror(errno));
    }
    if (fstat(fileno(r->f), &st) == 0 && S_ISREG(st.st_mode))
        r->size = (long)st.st_size;
    return 0;
}

int text_count_lines(const char *path, long max_line, long *n, S2sErr *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return s2s_fail(err, S2S_EIO, "%s: cannot open: %s", path, strerror(errno));
    char buf[1 << 16];
    size_t got;
    long lines = 0, len = 0; /* the current line's bytes so far */
    int rc = 0;
    while (!rc && (got = fread(buf, 1, sizeof buf, f)) > 0) {
        for (size_t i = 0; i < got && !rc; i++) {
            if (buf[i] == '\n')
                lines++, len = 0;
            else if (++len > max_line)
                rc = s2s_fail(err, S2S_EFORMAT, "%s:%ld: line longer than %ld bytes (see "
                              "--max-line-bytes)", path, lines + 1, max_line);
        }
    }
    int e = errno;
    if (!rc && ferror(f))
        rc = s2s_fail(err, S2S_EIO, "%s: read failed: %s", path, strerror(e));
    fclose(f);
    *n = lines + (len > 0);
    return rc;
}

int linereader_next(LineReader *r, S2sErr *err)
{
    size_t n = 0;
    int rc = fileio_getline(r->f, &r->line, &r->cap, &n, (size_t)r->max_line);
    if (rc <= 0) {
        if (rc == S2S_EFORMAT)
            return s2s_fail(err, rc, "%s:%ld: line longer than %ld bytes (see --max-line-bytes)",
                            r->name, r->lineno + 1, r->max_line);
        if (rc == S2S_ENOMEM)
            return s2s_fail(err, rc, "%s:%ld: out of memory", r->name, r->lineno + 1);
        if (rc == S2S_EIO)
            return s2s_fail(err, rc, "%s:%ld: read error: %s", r->name, r->lineno + 1,
                            strerror(errno));
        return 0;
    }
    r->lineno++;
    if (n > 0 && r->line[n - 1] == '\n')
        n--;
    if (n > 0 && r->line[n - 1] == '\r' && !r->keep_cr)
        n--;
    r->line[n] = '\0';
    r->len = (size_t)n;
    return 1;
}

long linereader_offset(const LineReader *r) { return r->size < 0 ? -1 : ftell(r->f); }

void linereader_close(LineReader *r)
{
    if (r->f && r->f != stdin)
        fclose(r->f);
    free(r->line);
    memset(r, 0, sizeof *r);
}

int linereader_wrap(const LineReader *r, int code, S2sErr *err)
{
    char where[4200];
    snprintf(where, sizeof where, "%s:%ld", r->name, r->lineno);
    return s2s_wrap(err, code, where);
}

/* Where the next invalid UTF-8 byte (or NUL) of r->line is, from a
 * character boundary `from` on: r->len when there is none. */
static size_t next_invalid(const LineReader *r, size_t from)
{
    long off = utf8_invalid_offset(r->line + from, r->len - from);
    return off < 0 ? r->len : from + (size_t)off;
}

static size_t next_nul(const LineReader *r, size_t from)
{
    const char *nul = memchr(r->line + from, '\0', r->len - from);
    return nul ? (size_t)(nul - r->line) : r->len;
}

/* Each scan starts where the last one stopped, so a line full of NULs or
 * bad bytes costs one pass, not one pass per bad byte. */
int textio_replace_invalid(LineReader *r)
{
    static const char fffd[] = "\xEF\xBF\xBD";
    size_t bad = next_invalid(r, 0), nul = next_nul(r, 0), i = 0;
    int count = 0;
    if (bad == r->len && nul == r->len)
        return 0;
    TextBuf t = {0};
    while (i < r->len) {
        if (bad < i)
            bad = next_invalid(r, i);
        if (nul < i)
            nul = next_nul(r, i);
        size_t stop = bad < nul ? bad : nul;
        if (textbuf_append(&t, r->line + i, stop - i))
            goto oom;
        i = stop;
        if (i < r->len) { /* one bad byte (or NUL) becomes one U+FFFD */
            if (textbuf_append(&t, fffd, 3))
                goto oom;
            i++, count++;
        }
    }
    if (textbuf_append(&t, "", 1))
        goto oom;
    free(r->line);
    r->line = t.p, r->cap = t.cap, r->len = t.len - 1;
    return count;
oom:
    textbuf_free(&t);
    return -1;
}

/* ---- ids ---- */

long textio_append_ids(IdBuf *b, const Tokenizer *tk, const Vocab *v, const char *line,
                       size_t len, int max, S2sErr *err)
{
    int n = tokenizer_encode(tk, &b->tb, line, len, err);
    if (n < 0)
        return n;
    int rc = textio_map_ids(b, &b->tb, n, v, max, err);
    return rc ? rc : n;
}

int textio_map_ids(IdBuf *b, const TokBuf *tb, int n, const Vocab *v, int max, S2sErr *err)
{
    int keep = max > 0 && n > max ? max : n;
    int32_t *ids = s2s_grow(b->ids, &b->cap, b->len + (size_t)keep, sizeof *ids);
    if (!ids)
        return s2s_fail(err, S2S_ENOMEM, "out of memory");
    b->ids = ids;
    for (int i = 0; i < keep; i++)
        b->ids[b->len++] = vocab_lookup(v, tokbuf_token(tb, i));
    return 0;
}

int idbuf_append(IdBuf *b, const int32_t *ids, size_t n, S2sErr *err)
{
    int32_t *p = s2s_grow(b->ids, &b->cap, b->len + n, sizeof *p);
    if (!p)
        return s2s_fail(err, S2S_ENOMEM, "out of memory");
    b->ids = p;
    if (n)
        memcpy(b->ids + b->len, ids, n * sizeof *ids);
    b->len += n;
    return 0;
}

void idbuf_free(IdBuf *b)
{
    free(b->ids);
    tokbuf_free(&b->tb);
    memset(b, 0, sizeof *b);
}

/* ---- text ---- */

/* Room for n more bytes and the NUL after them: 0 or -1. */
static int textbuf_room(TextBuf *t, size_t n)
{
    char *p = s2s_grow(t->p, &t->cap, t->len + n + 1, 1);
    if (!p)
        return -1;
    t->p = p;
    return 0;
}

int textbuf_append(TextBuf *t, const char *s, size_t n)
{
    if (textbuf_room(t, n))
        return -1;
    memcpy(t->p + t->len, s, n);
    t->len += n;
    t->p[t->len] = '\0';
    return 0;
}

int textbuf_printf(TextBuf *t, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    if ((size_t)n < sizeof small)
        return textbuf_append(t, small, (size_t)n);
    if (textbuf_room(t, (size_t)n))
        return -1;
    va_start(ap, fmt);
    vsnprintf(t->p + t->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
    return 0;
}

int textbuf_append_words(TextBuf *t, const Tokenizer *tk, const Vocab *v, const int32_t *ids,
                         int n)
{
    const char *words[64] = {0};
    const char **w = n <= 64 ? words : malloc(sizeof(char *) * (size_t)n);
    if (!w)
        return -1;
    for (int i = 0; i < n; i++)
        w[i] = vocab_word(v, ids[i]);
    int rc = tokenizer_decode(tk, w, n, &t->p, &t->len, &t->cap);
    if (w != words)
        free((void *)w);
    return rc;
}

void textbuf_free(TextBuf *t)
{
    free(t->p);
    memset(t, 0, sizeof *t);
}

/* ---- BPE from files ---- */

static int count_words(BpeLearner *l, TokBuf *tb, LineReader *r, S2sErr *err)
{
    int n = tokenizer_encode_words(tb, r->line, r->len, err), rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        const char *t = tokbuf_token(tb, i);
        if (tokenizer_is_literal(t))
            continue;
        t += tokenizer_is_joined(t) ? 3 : 0;
        rc = bpe_learner_add(l, t, strlen(t), 1, err);
    }
    return n < 0 || rc ? linereader_wrap(r, n < 0 ? n : rc, err) : 0;
}

static void report_merges(int done, int total, void *ctx)
{
    fprintf(ctx, "s2s bpe: %d of %d merges\n", done, total);
    fflush(ctx);
}

int textio_learn_bpe(Bpe *out, const char *const *paths, int n, int merges, int min_freq,
                     long max_line, FILE *progress, S2sErr *err)
{
    BpeLearner l;
    TokBuf tb = {0};
    LineReader r;
    int rc = bpe_learner_init(&l, err);
    for (int k = 0; k < n && !rc; k++) {
        if ((rc = linereader_open(&r, paths[k], err)))
            break;
        r.max_line = max_line;
        while (!rc && (rc = linereader_next(&r, err)) == 1)
            rc = count_words(&l, &tb, &r, err);
        linereader_close(&r);
    }
    if (!rc)
        rc = bpe_learn(&l, merges, min_freq, out, progress ? report_merges : NULL, progress, err);
    bpe_learner_free(&l);
    tokbuf_free(&tb);
    return rc;
}

/* ---- whole files of raw lines ---- */

int raw_lines_read(RawLines *r, const char *path, long max_line, S2sErr *err)
{
    LineReader in;
    int rc = linereader_open(&in, path, err), cap = 0;
    in.max_line = max_line;
    memset(r, 0, sizeof *r);
    while (!rc && (rc = linereader_next(&in, err)) == 1) {
        if (r->n == cap) {
            cap = cap ? 2 * cap : 1024;
            char **l = realloc(r->lines, sizeof(char *) * (size_t)cap);
            size_t *n = realloc(r->lens, sizeof(size_t) * (size_t)cap);
            if (l)
                r->lines = l;
            if (n)
                r->lens = n;
            if (!l || !n) {
                rc = s2s_fail(err, S2S_ENOMEM, "%s: out of memory", path);
                break;
            }
        }
        if (!(r->lines[r->n] = strdup(in.line))) {
            rc = s2s_fail(err, S2S_ENOMEM, "%s: out of memory", path);
            break;
        }
        r->lens[r->n++] = text_rstrip_utf8(in.line, in.len);
        rc = 0;
    }
    linereader_close(&in);
    if (rc)
        raw_lines_free(r);
    return rc;
}

void raw_lines_free(RawLines *r)
{
    for (int i = 0; i < r->n; i++)
        free(r->lines[i]);
    free(r->lines);
    free(r->lens);
    memset(r, 0, sizeof *r);
}
