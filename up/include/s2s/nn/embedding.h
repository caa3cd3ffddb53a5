/* embedding.h: token embeddings. table: (V, E), ids: (N), out: (N, E). */
#ifndef S2S_EMBEDDING_H
#define S2S_EMBEDDING_H

#include <stdint.h>

void embedding_forward(float *out, const int32_t *ids, const float *table, int N, int E);
/* ADDS dout's rows into the rows of dtable the ids name. */
void embedding_backward(float *dtable, const float *dout, const int32_t *ids, int N, int E);

#endif
