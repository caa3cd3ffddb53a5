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

int cli_doubles(const char *cmd, const char *opt, const char *s, double *out, int max, int *n)
{
    const char *p = s;
    for (*n = 0;; p++) {
        char *end;
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || (*end && *end != ',') || errno || !isfinite(v) || *n == max) {
            fprintf(stderr, "s2s %s: --%s: '%s' is not a comma-separated list of at most %d numbers\n",
                    cmd, opt, s, max);
            return CLI_USAGE;
        }
        out[(*n)++] = v;
        if (!*(p = end))
            return 0;
    }
}

int cli_check_weights(const char *cmd, const double *w, int n, int nmodels)
{
    double sum = 0;
    if (n != nmodels) {
        fprintf(stderr, "s2s %s: --weights has %d numbers for %d models (-m)\n", cmd, n, nmodels);
        return CLI_USAGE;
    }
    for (int k = 0; k < n; k++) {
        if (w[k] < 0) {
            fprintf(stderr, "s2s %s: --weights: weight %d is negative (%g)\n", cmd, k + 1, w[k]);
            return CLI_USAGE;
        }
        sum += w[k];
    }
    if (!(sum > 0)) {
        fprintf(stderr, "s2s %s: --weights: the weights are all 0\n", cmd);
        return CLI_USAGE;
    }
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
