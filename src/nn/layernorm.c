#include "s2s/nn/layernorm.h"

#include <math.h>
#include <stddef.h>

void ln_forward(float *x, int ld, float *rstd, int lr, int N, int D)
{
    for (int n = 0; n < N; n++) {
        float *r = x + (size_t)n * ld;
        double mean = 0, var = 0;
        for (int j = 0; j < D; j++)
            mean += r[j];
        mean /= D;
        for (int j = 0; j < D; j++)
            var += (r[j] - mean) * (r[j] - mean);
        float s = (float)(1.0 / sqrt(var / D + LN_EPS)), m = (float)mean;
        for (int j = 0; j < D; j++)
            r[j] = (r[j] - m) * s;
        rstd[(size_t)n * lr] = s;
    }
}

void ln_backward(float *d, int ldd, const float *y, int ldy, const float *rstd, int lr, int N,
                 int D)
{
    for (int n = 0; n < N; n++) {
        float *dr = d + (size_t)n * ldd;
        const float *yr = y + (size_t)n * ldy;
        double md = 0, mdy = 0;
        for (int j = 0; j < D; j++) {
            md += dr[j];
            mdy += (double)dr[j] * yr[j];
        }
        float a = (float)(md / D), b = (float)(mdy / D), s = rstd[(size_t)n * lr];
        for (int j = 0; j < D; j++)
            dr[j] = s * (dr[j] - a - yr[j] * b);
    }
}
