/* optim.h: SGD and Adam with global gradient-norm clipping, as flat loops
 * over the parameter block. The learning-rate schedule lives in train.c. */
#ifndef S2S_OPTIM_H
#define S2S_OPTIM_H

#include <stddef.h>

/* L2 norm of g (n), accumulated in double. NaN/Inf propagate. */
double optim_grad_norm(const float *g, size_t n);
/* If norm > max_norm (> 0), scales g by max_norm / norm. Returns norm. */
double optim_clip(float *g, size_t n, double norm, double max_norm);
/* p -= lr * (gscale * g); gscale: the clipping factor, 1 for none */
void optim_sgd(float *p, const float *g, size_t n, float lr, float gscale);
/* Exponential smoothing (train --exponential-smoothing): avg = (1 - decay)
 * avg + decay p, element-wise over n. */
void optim_smooth(float *avg, const float *p, size_t n, float decay);
/* The factor optim_clip would scale by: max_norm / norm, or 1. */
float optim_clip_scale(double norm, double max_norm);
/* Sum of g[i]^2 (the squared norm of a slice), in double. */
double optim_sum_squares(const float *g, size_t n);
/* The same sum, bit for bit, when g is zero outside the nranges ranges
 * [ranges[2k], ranges[2k+1]) (ascending, disjoint, within [0, n)): blocks
 * holding none of them are not read. */
double optim_sum_squares_ranges(const float *g, size_t n, const size_t *ranges, int nranges);

enum { OPTIM_SGD = 0, OPTIM_ADAM = 1 };
/* Floats of optimizer state per parameter: SGD 0, Adam 2 (m, then v). */
int optim_state_per_param(int kind);

#define ADAM_BETA1 0.9
#define ADAM_BETA2 0.999
#define ADAM_EPS 1e-8
/* Adam (Kingma & Ba 2015) with bias correction on the gradient gscale * g
 * (gscale: the clipping factor, 1 for none); step is 1-based (the number of
 * updates including this one). m, v: (n) first and second moments, which
 * the checkpoint stores as one (2 nparams) block, m then v. */
void optim_adam(float *p, const float *g, float *m, float *v, size_t n, float lr, long step,
                float gscale);

#endif
