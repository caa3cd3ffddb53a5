#include "s2s/nn/dropout.h"

void dropout_forward(float *x, float *mask, int N, float p, Rng *rng)
{
    float keep = 1.0f / (1.0f - p);
    for (int n = 0; n < N; n++) {
        float m = (p > 0.0f && rng_uniform(rng) < p) ? 0.0f : (p > 0.0f ? keep : 1.0f);
        mask[n] = m;
        x[n] *= m;
    }
}

void dropout_backward(float *d, const float *mask, int N)
{
    for (int n = 0; n < N; n++)
        d[n] *= mask[n];
}
