/* layernorm.h: layer normalisation of rows (Ba et al. 2016), the part the
 * layer-normalised cells (cell.h, --layer-norm) share. The gain and bias
 * are applied by the caller, so these are the normalisation alone:
 *
 *   y = (x - mean(x)) * rstd,  rstd = 1 / sqrt(var(x) + LN_EPS)
 *
 * over the D entries of each of N rows. Row n of x/y starts at n * ld; its
 * rstd is rstd[n * lr]. */
#ifndef S2S_LAYERNORM_H
#define S2S_LAYERNORM_H

#define LN_EPS 1e-5f

/* Normalises rows of x in place (x becomes y) and writes their rstd. */
void ln_forward(float *x, int ld, float *rstd, int lr, int N, int D);
/* In place: d holds dL/dy on entry, dL/dx on return:
 * dx = rstd * (dy - mean(dy) - y * mean(dy * y)), from y and rstd of forward. */
void ln_backward(float *d, int ldd, const float *y, int ldy, const float *rstd, int lr, int N,
                 int D);

#endif
