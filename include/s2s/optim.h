/* optim.h: plain SGD with global gradient-norm clipping, as flat loops over
 * the parameter block. The learning-rate schedule lives in train.c. */
#ifndef S2S_OPTIM_H
#define S2S_OPTIM_H

#include <stddef.h>

/* L2 norm of g (n), accumulated in double. NaN/Inf propagate. */
double optim_grad_norm(const float *g, size_t n);
/* If norm > max_norm (> 0), scales g by max_norm / norm. Returns norm. */
double optim_clip(float *g, size_t n, double norm, double max_norm);
/* p -= lr * g */
void optim_sgd(float *p, const float *g, size_t n, float lr);

#endif
