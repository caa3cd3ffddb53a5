/* dist.c: dist.h over MPI (S2S_MPI), or a job of one process. */
#include "s2s/train/dist.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "s2s/nn/optim.h"

#ifdef S2S_MPI
#include <mpi.h>
#endif

static int g_rank = 0, g_size = 1, g_local = 1, g_mpi = 0;
static char g_host[256];

const char *dist_host(void)
{
    if (!g_host[0] && gethostname(g_host, sizeof g_host - 1) != 0)
        strcpy(g_host, "?");
    return g_host;
}

int dist_rank(void) { return g_rank; }
int dist_size(void) { return g_size; }
int dist_local_size(void) { return g_local; }

#ifdef S2S_MPI

int dist_built(void) { return 1; }

/* Started by mpirun (Open MPI names the rank in the environment); a plain
 * `./s2s train` of the MPI build stays a process of its own. */
static int under_mpirun(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK");
}

/* dist_sum_grads's tables, sized once for the job: 4 x (N) ints, (N) doubles */
static int *g_counts;
static double *g_sq;

int dist_init(int *argc, char ***argv, S2sErr *err)
{
    if (!under_mpirun())
        return 0;
    if (MPI_Init(argc, argv) != MPI_SUCCESS)
        return s2s_fail(err, S2S_EIO, "MPI_Init failed");
    g_mpi = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_size);
    MPI_Comm node;
    if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) ==
        MPI_SUCCESS) {
        MPI_Comm_size(node, &g_local);
        MPI_Comm_free(&node);
    }
    g_counts = s2s_malloc(sizeof(int) * 4 * (size_t)g_size);
    g_sq = s2s_malloc(sizeof(double) * (size_t)g_size);
    if (!g_counts || !g_sq)
        return s2s_fail(err, S2S_ENOMEM, "out of memory for %d ranks", g_size);
    return 0;
}

void dist_finalize(void)
{
    if (g_mpi)
        MPI_Finalize();
    g_mpi = 0;
    free(g_counts);
    free(g_sq);
    g_counts = NULL, g_sq = NULL;
}

void dist_abort(int code)
{
    if (g_mpi)
        MPI_Abort(MPI_COMM_WORLD, code);
    exit(code);
}

void dist_allgather(const void *mine, void *all, size_t bytes)
{
    if (g_size == 1) {
        memcpy(all, mine, bytes);
        return;
    }
    S2S_INVARIANT(bytes <= 1 << 20);
    MPI_Allgather(mine, (int)bytes, MPI_BYTE, all, (int)bytes, MPI_BYTE, MPI_COMM_WORLD);
}

void dist_bcast(void *buf, size_t bytes)
{
    if (g_size == 1)
        return;
    S2S_INVARIANT(bytes <= 1 << 20);
    MPI_Bcast(buf, (int)bytes, MPI_BYTE, 0, MPI_COMM_WORLD);
}

static size_t slice_lo(size_t n, int r) { return n * (size_t)r / (size_t)g_size; }

/* The counts and offsets, in floats, of the N slices of the block. */
static void slices(size_t n, int *count, int *start)
{
    for (int r = 0; r < g_size; r++) {
        start[r] = (int)slice_lo(n, r);
        count[r] = (int)(slice_lo(n, r + 1) - slice_lo(n, r));
    }
}

double dist_sum_grads(float *g, size_t n, float *scratch)
{
    if (g_size == 1)
        return optim_sum_squares(g, n);
    int N = g_size, me = g_rank;
    int *count = g_counts;
    S2S_INVARIANT(n / (size_t)N < (size_t)1 << 30);
    int *start = count + N, *rcount = count + 2 * N, *rstart = count + 3 * N;
    slices(n, count, start);
    int len = count[me];
    for (int r = 0; r < N; r++) /* rank r's term of my slice, at scratch + r * len */
        rcount[r] = len, rstart[r] = r * len;
    MPI_Alltoallv(g, count, start, MPI_FLOAT, scratch, rcount, rstart, MPI_FLOAT, MPI_COMM_WORLD);
    float *mine = g + start[me];
    memcpy(mine, scratch, sizeof(float) * (size_t)len);
    for (int r = 1; r < N; r++) {
        const float *t = scratch + (size_t)r * (size_t)len;
        for (int k = 0; k < len; k++)
            mine[k] += t[k];
    }
    double sq = optim_sum_squares(mine, (size_t)len), *all = g_sq;
    MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, g, count, start, MPI_FLOAT, MPI_COMM_WORLD);
    MPI_Allgather(&sq, 1, MPI_DOUBLE, all, 1, MPI_DOUBLE, MPI_COMM_WORLD);
    sq = 0;
    for (int r = 0; r < N; r++)
        sq += all[r];
    return sq;
}

#else /* one process */

int dist_built(void) { return 0; }

int dist_init(int *argc, char ***argv, S2sErr *err)
{
    (void)argc, (void)argv, (void)err;
    return 0;
}

void dist_finalize(void) { (void)g_mpi; }

void dist_abort(int code) { exit(code); }

void dist_allgather(const void *mine, void *all, size_t bytes) { memcpy(all, mine, bytes); }

void dist_bcast(void *buf, size_t bytes) { (void)buf, (void)bytes; }

double dist_sum_grads(float *g, size_t n, float *scratch)
{
    (void)scratch;
    return optim_sum_squares(g, n);
}

#endif
