#include "s2s/optim.h"

#include <math.h>

double optim_grad_norm(const float *g, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (double)g[i] * g[i];
    return sqrt(s);
}

double optim_clip(float *g, size_t n, double norm, double max_norm)
{
    if (max_norm > 0.0 && norm > max_norm) {
        float k = (float)(max_norm / norm);
        for (size_t i = 0; i < n; i++)
            g[i] *= k;
    }
    return norm;
}

void optim_sgd(float *p, const float *g, size_t n, float lr)
{
    for (size_t i = 0; i < n; i++)
        p[i] -= lr * g[i];
}
