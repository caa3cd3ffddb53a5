/* Read bandwidth of this machine for a buffer of N MB read again and again
 * (hot: from whatever cache level holds it), one thread: what a decoder step
 * that reads N MB of weights cannot beat (scripts/bench-decode.sh's floor).
 *   read_bw MB [REPEATS] -> "MB GB/s" */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    double mb = argc > 1 ? atof(argv[1]) : 16;
    int reps = argc > 2 ? atoi(argv[2]) : 50;
    size_t n = (size_t)(mb * 1048576.0) / sizeof(uint64_t);
    uint64_t *buf = aligned_alloc(64, n * sizeof(uint64_t) + 64);
    if (!buf || n == 0)
        return 1;
    memset(buf, 1, n * sizeof(uint64_t));
    uint64_t s[8] = {0};
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        double t = now();
        for (size_t i = 0; i + 8 <= n; i += 8) /* eight chains: vectorised loads */
            for (int j = 0; j < 8; j++)
                s[j] += buf[i + j];
        t = now() - t;
        best = t < best ? t : best;
    }
    uint64_t sum = 0;
    for (int j = 0; j < 8; j++)
        sum += s[j];
    printf("%g %.1f\n", mb, (double)n * sizeof(uint64_t) / best / 1e9);
    fprintf(stderr, "(checksum %llu)\n", (unsigned long long)sum); /* the loads are used */
    free(buf);
    return 0;
}
