#include "s2s/nn/optim.h"

#include <math.h>

/* In blocks of 256 summed in 16 float lanes (vectorised), each block's
 * total added in double: float error stays at one block's worth. */
double optim_grad_norm(const float *g, size_t n) { return sqrt(optim_sum_squares(g, n)); }

/* s plus the squares of one block of 256, summed in 16 float lanes. */
static double add_block(double s, const float *g)
{
    float acc[16] = {0};
    for (size_t j = 0; j < 256; j += 16)
        for (int k = 0; k < 16; k++)
            acc[k] += g[j + k] * g[j + k];
    for (int k = 0; k < 16; k++)
        s += acc[k];
    return s;
}

double optim_sum_squares(const float *g, size_t n)
{
    double s = 0.0;
    size_t i = 0;
    for (; i + 256 <= n; i += 256)
        s = add_block(s, g + i);
    for (; i < n; i++)
        s += (double)g[i] * g[i];
    return s;
}

/* A block whose elements are all zero adds +0.0 sixteen times: s is
 * unchanged (s >= +0), so skipping it gives optim_sum_squares exactly. */
double optim_sum_squares_ranges(const float *g, size_t n, const size_t *ranges, int nranges)
{
    double s = 0.0;
    size_t full = n / 256 * 256, next = 0; /* the first block not yet added */
    for (int r = 0; r < nranges; r++) {
        size_t a = ranges[2 * r], b = ranges[2 * r + 1];
        if (a >= full)
            break;
        size_t i = a / 256 * 256 > next ? a / 256 * 256 : next;
        for (; i < b && i < full; i += 256)
            s = add_block(s, g + i);
        next = i > next ? i : next;
    }
    for (size_t i = full; i < n; i++)
        s += (double)g[i] * g[i];
    return s;
}

double optim_clip(float *g, size_t n, double norm, double max_norm)
{
    if (max_norm > 0.0 && norm > max_norm) {
        float k = optim_clip_scale(norm, max_norm);
        for (size_t i = 0; i < n; i++)
            g[i] *= k;
    }
    return norm;
}

void optim_sgd(float *p, const float *g, size_t n, float lr, float gscale)
{
    for (size_t i = 0; i < n; i++)
        p[i] -= lr * (gscale * g[i]);
}

void optim_smooth(float *avg, const float *p, size_t n, float decay)
{
    float keep = 1.0f - decay;
    for (size_t i = 0; i < n; i++)
        avg[i] = keep * avg[i] + decay * p[i];
}

float optim_clip_scale(double norm, double max_norm)
{
    return max_norm > 0.0 && norm > max_norm ? (float)(max_norm / norm) : 1.0f;
}

int optim_state_per_param(int kind) { return kind == OPTIM_ADAM ? 2 : 0; }

void optim_adam(float *p, const float *g, float *m, float *v, size_t n, float lr, long step,
                float gscale)
{
    const float b1 = (float)ADAM_BETA1, b2 = (float)ADAM_BETA2;
    /* lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t); eps scaled to match
     * m_hat / (sqrt(v_hat) + eps) exactly. */
    double c1 = 1.0 - pow(ADAM_BETA1, (double)step), c2 = 1.0 - pow(ADAM_BETA2, (double)step);
    float lrt = (float)(lr * sqrt(c2) / c1), eps = (float)(ADAM_EPS * sqrt(c2));
    for (size_t i = 0; i < n; i++) {
        float gi = gscale * g[i];
        m[i] = b1 * m[i] + (1.0f - b1) * gi;
        v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
        p[i] -= lrt * m[i] / (sqrtf(v[i]) + eps);
    }
}
