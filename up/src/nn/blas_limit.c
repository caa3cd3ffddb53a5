/* blas_limit.c: whether the address space left under `ulimit -v` holds what
 * the BLAS library will map for its threads, checked before the first
 * product (blas.h). Shared by both backends; the per-thread need is theirs
 * (blas_thread_bytes). */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, MAP_NORESERVE */
#include "s2s/nn/blas.h"

#include <sys/mman.h>
#include <sys/resource.h>

static int short_of_memory;

/* Whether the address space left holds `need` more bytes: a reservation
 * of address space alone (PROT_NONE, no memory), which succeeds exactly
 * when the limit leaves that much. */
static int room_for(size_t need)
{
    void *p = mmap(NULL, need, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return 0;
    munmap(p, need);
    return 1;
}

static int limited(struct rlimit *rl)
{
    return getrlimit(RLIMIT_AS, rl) == 0 && rl->rlim_cur != RLIM_INFINITY;
}

int blas_short_of_memory(void)
{
    struct rlimit rl;
    return short_of_memory || (limited(&rl) && !room_for(blas_thread_bytes()));
}

int blas_check_memory(int threads, S2sErr *err)
{
    struct rlimit rl;
    size_t per = blas_thread_bytes(), n = (size_t)(threads < 1 ? 1 : threads) + 1;
    size_t need = n * per;
    if (!limited(&rl) || room_for(need))
        return 0;
    short_of_memory = 1;
    return s2s_fail(err, S2S_ENOMEM,
                    "the address-space limit (ulimit -v %lu KB) leaves less than the %zu MB the "
                    "matrix library maps for %d thread%s (%zu MB each, one more for the caller): "
                    "raise the limit or use fewer --threads",
                    (unsigned long)(rl.rlim_cur >> 10), need >> 20, (int)n - 1, n == 2 ? "" : "s",
                    per >> 20);
}
