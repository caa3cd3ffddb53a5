/* rowset.h: a set of row numbers in [0, R), listed in ascending order: the
 * embedding rows a batch's gradient touches (sparse embedding gradients,
 * model.h and shard.h). Adding is O(1) (a byte per row marks members);
 * rowset_sort puts the list in order; clearing costs the rows listed.
 * rowset_free is safe on a zeroed RowSet. */
#ifndef S2S_ROWSET_H
#define S2S_ROWSET_H

#include <stdint.h>

#include "s2s/base/common.h"

typedef struct {
    int R;               /* rows are 0 .. R - 1 */
    int n, cap;          /* rows listed; room for cap */
    int *rows;           /* (cap) owned: the members, ascending after rowset_sort */
    unsigned char *mark; /* (R) owned: 1 for a member */
} RowSet;

/* Room for cap members (at most R are ever listed: cap is clamped to R). */
int rowset_init(RowSet *s, int R, long cap, S2sErr *err);
void rowset_free(RowSet *s);
void rowset_clear(RowSet *s);
/* Adds ids[0..n) + base (each in [0, R - base)); more members than cap is
 * a programming error (invariant). */
void rowset_add_ids(RowSet *s, const int32_t *ids, long n, int base);
/* Adds the members of other (same R). */
void rowset_add_set(RowSet *s, const RowSet *other);
void rowset_sort(RowSet *s);

#endif
