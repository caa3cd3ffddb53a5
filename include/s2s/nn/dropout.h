/* dropout.h: inverted dropout (Zaremba et al. 2014 use it on the
 * non-recurrent connections only). Kept units are scaled by 1/(1-p) so that
 * nothing changes at translation time, where dropout is off. */
#ifndef S2S_DROPOUT_H
#define S2S_DROPOUT_H

#include "s2s/base/rng.h"

/* x: (N), in place. mask: (N) out, the factor each unit was multiplied by
 * (0 or 1/(1-p)). p == 0 leaves x alone and sets mask to 1. */
void dropout_forward(float *x, float *mask, int N, float p, Rng *rng);
/* d: (N), in place: d *= mask. */
void dropout_backward(float *d, const float *mask, int N);

#endif
