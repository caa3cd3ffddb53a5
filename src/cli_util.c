/* Small helpers shared by the subcommands. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
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

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
