/* dist.h: the processes of one training job.
 *
 * Built with `make MPI=1` (S2S_MPI defined, compiled by OpenMPI's mpicc)
 * and started by mpirun, a training job is N processes, the ranks
 * 0 .. N - 1, on one machine or several. Otherwise, or with one rank, the
 * job is this process alone: every function below is then a copy or does
 * nothing, and no MPI library is linked or initialised.
 *
 * All of the functions that move data are collective: every rank calls
 * them in the same order. A rank that dies (a signal, an MPI error) ends
 * the whole job: mpirun kills the others, so no rank waits forever.
 */
#ifndef S2S_DIST_H
#define S2S_DIST_H

#include <stddef.h>
#include <stdint.h>

#include "s2s/base/common.h"

/* Joins the job when started by mpirun (MPI build only; else, or when not
 * under mpirun, a job of one). Returns 0 or S2S_EIO. */
int dist_init(int *argc, char ***argv, S2sErr *err);
/* Leaves the job (after the last collective call). */
void dist_finalize(void);
/* Ends every rank of the job at once with exit status code. */
void dist_abort(int code);

int dist_rank(void);
int dist_size(void);
/* The ranks on this machine (this one included). */
int dist_local_size(void);
/* Whether this binary was built with MPI. */
int dist_built(void);
/* This machine's name, for messages. */
const char *dist_host(void);

/* all[r * bytes .. (r + 1) * bytes) = rank r's mine, on every rank. */
void dist_allgather(const void *mine, void *all, size_t bytes);
/* Rank 0's buf[0 .. bytes) to every rank. */
void dist_bcast(void *buf, size_t bytes);

/* g: (n) this rank's term of a sum over the ranks. Leaves in g, on every
 * rank, the sum
 *     g = (((g_0 + g_1) + g_2) + ... ) + g_{N-1}
 * added in rank order for every element, and returns the sum of the squares
 * of the result (for the gradient norm): rank r adds slice r of the block,
 * [n r / N, n (r + 1) / N), and squares it; the N sums of squares are then
 * added in rank order.
 *
 * Why a fixed order rather than MPI_Allreduce: MPI does not promise the
 * order in which an allreduce adds its terms (Open MPI picks its algorithm
 * by message size and rank count), and float addition is not associative;
 * here the order is that of shards_combine over N shards in one process,
 * so N ranks of one shard each give the gradient, norm and update of one
 * process with N threads bit for bit. The cost is that of a ring allreduce:
 * each rank sends and receives (N - 1) / N of the block twice (an
 * all-to-all of slices, the reduce-scatter, then an all-gather).
 * scratch: (n) floats. Needs n / N < INT_MAX. */
double dist_sum_grads(float *g, size_t n, float *scratch);

#endif
