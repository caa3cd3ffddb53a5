#include "s2s/base/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int fileio_getline(FILE *f, char **buf, size_t *cap, size_t *len, size_t max)
{
    size_t n = 0;
    int c;
    errno = 0;
    while ((c = getc_unlocked(f)) != EOF) {
        if (n + 2 > *cap) {
            size_t want = *cap ? 2 * *cap : 256;
            if (want > max + 2)
                want = max + 2;
            char *p = want > *cap ? realloc(*buf, want) : NULL;
            if (!p)
                return S2S_ENOMEM;
            *buf = p, *cap = want;
        }
        (*buf)[n++] = (char)c;
        if (c == '\n')
            break;
        if (n > max) {
            *len = n;
            return S2S_EFORMAT;
        }
    }
    if (c == EOF && ferror(f))
        return S2S_EIO;
    if (n == 0)
        return 0;
    (*buf)[n] = '\0';
    *len = n;
    return 1;
}

/* stat of a path, or of stdin/stdout for NULL and "-". */
static int stat_of(const char *path, int std_fd, struct stat *st)
{
    if (!path || strcmp(path, "-") == 0)
        return fstat(std_fd, st);
    return stat(path, st);
}

int fileio_check_output(const char *output, const char *const *inputs, int n, S2sErr *err)
{
    struct stat out, in;
    if (stat_of(output, STDOUT_FILENO, &out) || !S_ISREG(out.st_mode))
        return 0; /* not there yet, or a pipe or terminal: nothing to destroy */
    for (int i = 0; i < n; i++) {
        if (stat_of(inputs[i], STDIN_FILENO, &in) || in.st_dev != out.st_dev ||
            in.st_ino != out.st_ino)
            continue;
        const char *o = output && strcmp(output, "-") ? output : "stdout";
        const char *s = inputs[i] && strcmp(inputs[i], "-") ? inputs[i] : "stdin";
        return s2s_fail(err, S2S_EIO, "%s is the same file as the input %s: refusing to "
                        "overwrite an input", o, s);
    }
    return 0;
}

int fileio_same_file(const char *a, const char *b)
{
    struct stat x, y;
    return stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

/* The folder part of path ("." when none) into dir, and its last name. */
static int split_path(const char *path, char *dir, size_t cap, const char **name)
{
    const char *slash = strrchr(path, '/');
    *name = slash ? slash + 1 : path;
    int n = slash ? (int)(slash - path) : 0;
    const char *d = slash ? (n ? path : "/") : ".";
    if (slash && n == 0)
        n = 1;
    return (size_t)snprintf(dir, cap, "%.*s", slash ? n : 1, d) < cap ? 0 : -1;
}

int fileio_same_output(const char *a, const char *b)
{
    struct stat x, y;
    if (fileio_same_file(a, b))
        return 1;
    if (stat(a, &x) == 0 && stat(b, &y) == 0)
        return 0; /* both exist, and are different files */
    char da[PATH_MAX], db[PATH_MAX];
    const char *na, *nb;
    if (split_path(a, da, sizeof da, &na) || split_path(b, db, sizeof db, &nb))
        return strcmp(a, b) == 0;
    return strcmp(na, nb) == 0 && fileio_same_file(da, db);
}

/* dir of path (up to its last '/') joined with a relative link target. */
static int join_link(const char *path, const char *target, char *out, size_t cap)
{
    const char *slash = strrchr(path, '/');
    int dir = target[0] == '/' || !slash ? 0 : (int)(slash - path + 1);
    return (size_t)snprintf(out, cap, "%.*s%s", dir, path, target) < cap ? 0 : -1;
}

int fileio_write_target(const char *path, char *out, size_t cap, S2sErr *err)
{
    char cur[PATH_MAX], link[PATH_MAX];
    struct stat st;
    if ((size_t)snprintf(cur, sizeof cur, "%s", path) >= sizeof cur)
        return s2s_fail(err, S2S_EINVAL, "%s: path too long", path);
    for (int hops = 0; lstat(cur, &st) == 0 && S_ISLNK(st.st_mode); hops++) {
        ssize_t k = readlink(cur, link, sizeof link - 1);
        if (hops == 40 || k < 0)
            return s2s_fail(err, S2S_EIO, "%s: cannot follow the symbolic link: %s", path,
                            hops == 40 ? "too many levels" : strerror(errno));
        link[k] = '\0';
        char next[PATH_MAX];
        if (join_link(cur, link, next, sizeof next))
            return s2s_fail(err, S2S_EINVAL, "%s: link target path too long", path);
        memcpy(cur, next, sizeof cur);
    }
    if ((size_t)snprintf(out, cap, "%s", cur) >= cap)
        return s2s_fail(err, S2S_EINVAL, "%s: path too long", path);
    return 0;
}

int fileio_check_writable(const char *path, S2sErr *err)
{
    char target[PATH_MAX], probe[PATH_MAX + 64];
    struct stat st;
    int rc = fileio_write_target(path, target, sizeof target, err);
    if (rc)
        return rc;
    if (stat(target, &st) == 0 && !S_ISREG(st.st_mode))
        return s2s_fail(err, S2S_EIO, "%s: not a regular file", path);
    const char *slash = strrchr(target, '/');
    int dir = slash ? (int)(slash - target + 1) : 0;
    snprintf(probe, sizeof probe, "%.*s.s2s-probe.%ld", dir, target, (long)getpid());
    int fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return s2s_fail(err, S2S_EIO, "%s: cannot create files in %.*s: %s", path,
                        dir ? dir : 1, dir ? target : ".", strerror(errno));
    close(fd);
    unlink(probe);
    return 0;
}

int fileio_check_appendable(const char *path, S2sErr *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return fileio_check_writable(path, err);
    int fd = open(path, O_WRONLY | O_APPEND | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return s2s_fail(err, S2S_EIO, "%s: cannot open for appending: %s", path, strerror(errno));
    close(fd);
    return 0;
}

int fileio_replace_open(FileReplace *r, const char *given, S2sErr *err)
{
    struct stat st;
    r->f = NULL;
    if (fileio_write_target(given, r->path, sizeof r->path, err))
        return S2S_EINVAL;
    if (stat(r->path, &st) == 0 && !S_ISREG(st.st_mode)) /* never rename over /dev/null */
        return s2s_fail(err, S2S_EINVAL, "%s: not a regular file", r->path);
    if ((size_t)snprintf(r->tmp, sizeof r->tmp, "%s.tmp.%ld", r->path, (long)getpid()) >=
        sizeof r->tmp)
        return s2s_fail(err, S2S_EINVAL, "%s: path too long", r->path);
    if (!(r->f = fopen(r->tmp, "wb")))
        return s2s_fail(err, S2S_EIO, "%s: cannot create: %s", r->tmp, strerror(errno));
    return 0;
}

int fileio_replace_commit(FileReplace *r, S2sErr *err)
{
    FILE *f = r->f;
    r->f = NULL;
    errno = 0;
    int bad = ferror(f) || fflush(f) || fsync(fileno(f));
    int e = errno;
    if (fclose(f) && !bad)
        bad = 1, e = errno;
    if (bad) {
        remove(r->tmp);
        return s2s_fail(err, S2S_EIO, "%s: write failed: %s", r->tmp, e ? strerror(e) : "I/O error");
    }
    if (rename(r->tmp, r->path)) {
        e = errno;
        remove(r->tmp);
        return s2s_fail(err, S2S_EIO, "%s: cannot rename %s over it: %s", r->path, r->tmp,
                        strerror(e));
    }
    return 0;
}

void fileio_replace_abort(FileReplace *r)
{
    if (r->f)
        fclose(r->f);
    r->f = NULL;
    remove(r->tmp);
}
