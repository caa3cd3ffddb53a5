/* fileio.h: the file-system guards every command shares: bounded line
 * reading, refusing an output that is also an input, writing through a
 * symbolic link to its target, and checking a destination folder before
 * work starts. */
#ifndef S2S_FILEIO_H
#define S2S_FILEIO_H

#include <stdio.h>

#include "s2s/base/common.h"

/* Default bound on an input line, in bytes before its '\n' (1 MiB).
 * Commands that read text take --max-line-bytes to change it. */
#define S2S_MAX_LINE_BYTES (1L << 20)
#define S2S_MAX_LINE_LIMIT (1L << 30) /* the largest --max-line-bytes */

/* Reads one line, its '\n' included, into *buf (grown as needed, owned by
 * the caller; NUL-terminated) and sets *len. Returns 1 when a line was
 * read, 0 at the end of the file, S2S_EIO on a read error, S2S_EFORMAT when
 * the line holds more than max bytes before its '\n' (reading stops there,
 * so memory stays bounded), S2S_ENOMEM. */
int fileio_getline(FILE *f, char **buf, size_t *cap, size_t *len, size_t max);

/* Refuses (S2S_EIO, naming both, as cp and cat do) an output that is the same file as any
 * of inputs[0..n) — by device and inode, so "x", "./x" and a link to x are
 * all caught. An output or input that is NULL or "-" is stdout or stdin; a
 * file that does not exist yet matches nothing. */
int fileio_check_output(const char *output, const char *const *inputs, int n, S2sErr *err);

/* 1 when a and b both exist and are the same file (device and inode). */
int fileio_same_file(const char *a, const char *b);

/* 1 when writing a and writing b would write the same file: the same
 * existing file, or, for a path not there yet, the same name in the same
 * folder (so "x" and "./x" match before either exists). */
int fileio_same_output(const char *a, const char *b);

/* The file that writing `path` should replace: path itself, or the final
 * target when path is a symbolic link (a dangling one included), so that
 * the link stays a link. out has cap bytes. */
int fileio_write_target(const char *path, char *out, size_t cap, S2sErr *err);

/* Checks, before any work, that `path` can be written the way model files
 * are (a temporary file in its folder, renamed over it): the folder takes
 * a new file, and path, if it exists, is a regular file. */
int fileio_check_writable(const char *path, S2sErr *err);

/* Checks, before any work, that `path` can be appended to: an existing
 * path opens for writing (a regular file, a device or a terminal), a new
 * one can be created in its folder. */
int fileio_check_appendable(const char *path, S2sErr *err);

/* A file replaced whole: written to a temporary file beside its target
 * (through a symbolic link, the link's target), fsynced and renamed over
 * it, so that a crash leaves the old file or the new one, never a mix.
 * A destination that exists and is not a regular file is refused (the
 * rename would replace a device or a FIFO). */
typedef struct {
    FILE *f;                 /* write here between open and commit */
    char path[4096];         /* the file replaced */
    char tmp[4096 + 32];     /* path.tmp.PID */
} FileReplace;

/* Opens r->f on the temporary file ("wb"). On failure nothing is left. */
int fileio_replace_open(FileReplace *r, const char *given, S2sErr *err);
/* Flushes, fsyncs, closes and renames; on any failure removes the
 * temporary file and names it. r->f is closed either way. */
int fileio_replace_commit(FileReplace *r, S2sErr *err);
/* Closes and removes the temporary file (after a failed write). */
void fileio_replace_abort(FileReplace *r);

#endif
