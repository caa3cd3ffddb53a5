#include "s2s/nn/rowset.h"

#include <stdlib.h>
#include <string.h>

int rowset_init(RowSet *s, int R, long cap, S2sErr *err)
{
    memset(s, 0, sizeof *s);
    s->R = R;
    s->cap = (int)(cap < R ? cap : R);
    s->rows = s2s_malloc(((size_t)s->cap + 1) * sizeof *s->rows);
    s->mark = s2s_calloc((size_t)R + 1, 1);
    if (!s->rows || !s->mark) {
        rowset_free(s);
        return s2s_fail(err, S2S_ENOMEM, "out of memory for a row set of %d rows", R);
    }
    return 0;
}

void rowset_free(RowSet *s)
{
    free(s->rows);
    free(s->mark);
    memset(s, 0, sizeof *s);
}

void rowset_clear(RowSet *s)
{
    for (int i = 0; i < s->n; i++)
        s->mark[s->rows[i]] = 0;
    s->n = 0;
}

static void add(RowSet *s, int r)
{
    S2S_INVARIANT(r >= 0 && r < s->R);
    if (s->mark[r])
        return;
    S2S_INVARIANT(s->n < s->cap);
    s->mark[r] = 1;
    s->rows[s->n++] = r;
}

void rowset_add_ids(RowSet *s, const int32_t *ids, long n, int base)
{
    for (long i = 0; i < n; i++)
        add(s, ids[i] + base);
}

void rowset_add_set(RowSet *s, const RowSet *other)
{
    for (int i = 0; i < other->n; i++)
        add(s, other->rows[i]);
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

void rowset_sort(RowSet *s) { qsort(s->rows, (size_t)s->n, sizeof *s->rows, cmp_int); }
