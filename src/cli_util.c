/* Small helpers shared by the subcommands. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

int cli_double(const char *cmd, const char *opt, const char *s, double lo, double hi,
               double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v) || v < lo || v > hi) {
        fprintf(stderr, "s2s %s: --%s: '%s' is not a number in [%g, %g]\n", cmd, opt, s, lo, hi);
        return CLI_USAGE;
    }
    *out = v;
    return 0;
}

int cli_long(const char *cmd, const char *opt, const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno || v < lo || v > hi) {
        fprintf(stderr, "s2s %s: --%s: '%s' is not an integer in [%ld, %ld]\n", cmd, opt, s, lo,
                hi);
        return CLI_USAGE;
    }
    *out = v;
    return 0;
}

int cli_flush(FILE *f)
{
    errno = 0;
    if (fflush(f) != 0)
        return errno ? errno : -1;
    /* an earlier write failed and stdio dropped what it held: errno is gone */
    return ferror(f) ? -1 : 0;
}

int cli_write_failed(S2sErr *err, const char *name, int e)
{
    return s2s_fail(err, S2S_EIO, "%s: write failed%s%s", name, e > 0 ? ": " : "",
                    e > 0 ? strerror(e) : "");
}

int cli_stdout_failed(const char *cmd, int e)
{
    S2sErr err;
    cli_write_failed(&err, "stdout", e);
    fprintf(stderr, "s2s%s%s: %s\n", cmd ? " " : "", cmd ? cmd : "", err.msg);
    return CLI_FAIL;
}

int cli_flush_stdout(const char *cmd)
{
    int e = cli_flush(stdout);
    return e ? cli_stdout_failed(cmd, e) : CLI_OK;
}

int cli_fclose(FILE *f)
{
    int e = cli_flush(f);
    errno = 0;
    if (fclose(f) != 0 && !e)
        e = errno ? errno : -1;
    return e;
}

int cli_close_stdout(const char *cmd)
{
    int e = cli_fclose(stdout);
    return e ? cli_stdout_failed(cmd, e) : CLI_OK;
}

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
