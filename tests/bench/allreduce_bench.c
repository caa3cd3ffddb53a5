/* allreduce_bench N1 [N2 ...]: under mpirun, the time of one gradient
 * exchange of N floats: dist_sum_grads (s2s's fixed-order sum: all-to-all
 * of slices, local sums, all-gather) and, for comparison, MPI_Allreduce
 * (MPI_SUM, Open MPI's own choice of algorithm). Rank 0 prints one line
 * per size: "N MB dist_ms allreduce_ms" (medians of 15 runs after 3
 * warm-ups). Built by `make MPI=1 bench-mpi`. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#include "s2s/train/dist.h"

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

enum { WARM = 3, REPS = 15 };

static double median_ms(double *t)
{
    qsort(t, REPS, sizeof *t, cmp);
    return 1e3 * t[REPS / 2];
}

int main(int argc, char **argv)
{
    S2sErr err;
    if (dist_init(&argc, &argv, &err)) {
        fprintf(stderr, "allreduce_bench: %s\n", err.msg);
        return 1;
    }
    for (int a = 1; a < argc; a++) {
        size_t n = strtoul(argv[a], NULL, 10);
        float *g = malloc(n * sizeof *g), *s = malloc(n * sizeof *s);
        if (!g || !s)
            dist_abort(1);
        double td[REPS], ta[REPS];
        for (int i = 0; i < WARM + REPS; i++) {
            for (size_t k = 0; k < n; k++)
                g[k] = (float)(k % 97) * 1e-3f;
            MPI_Barrier(MPI_COMM_WORLD);
            double t0 = MPI_Wtime();
            dist_sum_grads(g, n, s);
            double t1 = MPI_Wtime();
            MPI_Allreduce(MPI_IN_PLACE, g, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
            double t2 = MPI_Wtime();
            if (i >= WARM)
                td[i - WARM] = t1 - t0, ta[i - WARM] = t2 - t1;
        }
        if (dist_rank() == 0)
            printf("%zu %.1f %.2f %.2f\n", n, 4e-6 * (double)n, median_ms(td), median_ms(ta));
        free(g);
        free(s);
    }
    dist_finalize();
    return 0;
}
