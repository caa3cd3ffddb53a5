#include "s2s/nn/output.h"

#include <math.h>
#include <stddef.h>

#include "s2s/nn/activ.h"
#include "s2s/nn/blas.h"

/* Softmax of row x (V) in place; returns log p[target]. */
static double softmax_row(float *x, int V, int target)
{
    float xt = x[target], mx = act_max(x, V);
    double sum = act_exp_shift_sum(x, V, mx);
    float inv = (float)(1.0 / sum);
    double logp = (double)(xt - mx) - log(sum);
    for (int v = 0; v < V; v++)
        x[v] *= inv;
    return logp;
}

double output_forward(float *probs, const float *h, const float *Wo, const float *bo,
                      const int32_t *targets, const float *mask, int N, int H, int V)
{
    blas_gemm(0, 1, N, V, H, 1.0f, h, H, Wo, H, 0.0f, probs, V);
    double nll = 0.0;
    for (int n = 0; n < N; n++) {
        float *row = probs + (size_t)n * V;
        for (int v = 0; v < V; v++)
            row[v] += bo[v];
        double logp = softmax_row(row, V, targets[n]);
        if (!mask || mask[n] != 0.0f)
            nll -= logp;
    }
    return nll;
}

void output_backward(float *dh, float *dWo, float *dbo, float *probs,
                     const float *h, const float *Wo, const int32_t *targets,
                     const float *mask, float scale, float eps, int N, int H, int V)
{
    float spread = eps / (float)V;
    for (int n = 0; n < N; n++) {
        float *row = probs + (size_t)n * V;
        float s = (!mask || mask[n] != 0.0f) ? scale : 0.0f;
        if (eps > 0.0f) {
            for (int v = 0; v < V; v++)
                row[v] -= spread;
            row[targets[n]] -= 1.0f - eps;
        } else {
            row[targets[n]] -= 1.0f;
        }
        for (int v = 0; v < V; v++) {
            row[v] *= s;
            dbo[v] += row[v];
        }
    }
    blas_gemm(0, 0, N, H, V, 1.0f, probs, V, Wo, H, 1.0f, dh, H);
    blas_gemm(1, 0, V, H, N, 1.0f, probs, V, h, H, 1.0f, dWo, H);
}
