/* fuzz_common.h: helpers for the libFuzzer harnesses (tests/fuzz/). */
#ifndef S2S_FUZZ_COMMON_H
#define S2S_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Writes data to a per-process temporary file; returns its path (static). */
static const char *fuzz_file(const char *tag, const uint8_t *data, size_t n)
{
    static char path[2][256];
    int k = tag[0] == 'b'; /* two files at once: "a..." and "b..." */
    snprintf(path[k], sizeof path[k], "/tmp/s2s-fuzz-%ld-%s", (long)getpid(), tag);
    FILE *f = fopen(path[k], "wb");
    if (!f)
        abort();
    if (n && fwrite(data, 1, n, f) != n)
        abort();
    fclose(f);
    return path[k];
}

/* Splits data at the first 0xFF 0xFF pair (or the middle) into two parts. */
static void fuzz_split(const uint8_t *data, size_t n, size_t *first, size_t *second_at)
{
    for (size_t i = 0; i + 1 < n; i++)
        if (data[i] == 0xFF && data[i + 1] == 0xFF) {
            *first = i, *second_at = i + 2;
            return;
        }
    *first = n / 2, *second_at = n / 2;
}

#endif
