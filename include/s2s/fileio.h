/* fileio.h: the file-system guards every command shares: bounded line
 * reading, refusing an output that is also an input, writing through a
 * symbolic link to its target, and checking a destination folder before
 * work starts. */
#ifndef S2S_FILEIO_H
#define S2S_FILEIO_H

#include <stdio.h>

#include "s2s/common.h"

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

/* The file that writing `path` should replace: path itself, or the final
 * target when path is a symbolic link (a dangling one included), so that
 * the link stays a link. out has cap bytes. */
int fileio_write_target(const char *path, char *out, size_t cap, S2sErr *err);

/* Checks, before any work, that `path` can be written the way model files
 * are (a temporary file in its folder, renamed over it): the folder takes
 * a new file, and path, if it exists, is a regular file. */
int fileio_check_writable(const char *path, S2sErr *err);

#endif
