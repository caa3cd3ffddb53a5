/* Small helpers shared by the subcommands. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <getopt.h>

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

int cli_edit_distance(const char *a, const char *b, int cap)
{
    int n = (int)strlen(a), m = (int)strlen(b);
    if (n > 64 || m > 64 || abs(n - m) > cap)
        return cap + 1;
    int d[65][65];
    for (int i = 0; i <= n; i++)
        d[i][0] = i;
    for (int j = 0; j <= m; j++)
        d[0][j] = j;
    for (int i = 1; i <= n; i++)
        for (int j = 1; j <= m; j++) {
            int v = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            v = d[i - 1][j] + 1 < v ? d[i - 1][j] + 1 : v;
            v = d[i][j - 1] + 1 < v ? d[i][j - 1] + 1 : v;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[n][m] > cap ? cap + 1 : d[n][m];
}

const char *cli_did_you_mean(const char *word, const char *const *names, int n)
{
    int len = (int)strlen(word), cap = len >= 6 ? 2 : 1, best = cap + 1;
    const char *pick = NULL;
    for (int i = 0; n < 0 ? names[i] != NULL : i < n; i++) {
        int d = cli_edit_distance(word, names[i], cap);
        if (d < best)
            best = d, pick = names[i];
    }
    return pick;
}

int cli_bad_option(const char *cmd, int c, const char *arg, const struct option *longs)
{
    if (c == ':') {
        fprintf(stderr, "s2s %s: missing argument for option '%s'\n", cmd, arg);
        return CLI_USAGE;
    }
    const char *names[256], *word = arg;
    int n = 0;
    while (*word == '-')
        word++;
    char name[128];
    snprintf(name, sizeof name, "%s", word);
    char *eq = strchr(name, '=');
    if (eq)
        *eq = '\0';
    for (; longs && longs[n].name && n < 256; n++)
        names[n] = longs[n].name;
    const char *best = name[0] ? cli_did_you_mean(name, names, n) : NULL;
    if (best)
        fprintf(stderr, "s2s %s: unknown option '%s' (did you mean '--%s'?)\n", cmd, arg, best);
    else
        fprintf(stderr, "s2s %s: unknown option '%s'\n", cmd, arg);
    return CLI_USAGE;
}

int cli_once(const char *cmd, int c, unsigned char *seen, int n, char **argv, int optind_now,
             const char *arg)
{
    if (c < 0 || c >= n || !seen[c]++)
        return 0;
    const char *opt = arg && argv[optind_now - 1] == arg ? argv[optind_now - 2] : argv[optind_now - 1];
    fprintf(stderr, "s2s %s: option '%.*s' given twice (or with its other name)\n", cmd,
            (int)strcspn(opt, "="), opt);
    return CLI_USAGE;
}
