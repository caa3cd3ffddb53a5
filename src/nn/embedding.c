#include "s2s/nn/embedding.h"

#include <string.h>

void embedding_forward(float *out, const int32_t *ids, const float *table, int N, int E)
{
    for (int n = 0; n < N; n++)
        memcpy(out + (size_t)n * E, table + (size_t)ids[n] * E, sizeof(float) * E);
}

void embedding_backward(float *dtable, const float *dout, const int32_t *ids, int N, int E)
{
    for (int n = 0; n < N; n++) {
        float *row = dtable + (size_t)ids[n] * E;
        const float *d = dout + (size_t)n * E;
        for (int j = 0; j < E; j++)
            row[j] += d[j];
    }
}
