/* activ.h: exp, sigmoid and tanh over arrays, written so the compiler
 * vectorises them (no libm calls, no branches) and built for AVX-512, AVX2
 * and baseline x86-64, chosen at load time (GCC target_clones).
 *
 * Accuracy against libm (tests/test_activ.c checks it over dense grids):
 *   act_exp:     relative error <= 2e-7 for x in [-87, 88]; 0 below -87.33 (no
 *                subnormals), 2.4e38 above 88.37 (no Inf for finite input)
 *   act_sigmoid: absolute error <= 1e-7 (values in [0, 1])
 *   act_tanh:    absolute error <= 2e-7 (values in [-1, 1])
 * NaN in gives NaN out (for the trainer's divergence check).
 * In-place use (y == x) is allowed.
 */
#ifndef S2S_ACTIV_H
#define S2S_ACTIV_H

/* y[i] = exp(x[i]) */
void act_exp(float *y, const float *x, int n);
/* y[i] = 1 / (1 + exp(-x[i])) */
void act_sigmoid(float *y, const float *x, int n);
/* y[i] = tanh(x[i]) */
void act_tanh(float *y, const float *x, int n);
/* x[i] = exp(x[i] - shift); returns the sum of the new x (in double). */
double act_exp_shift_sum(float *x, int n, float shift);
/* The sum of exp(x[i] - shift), x unchanged. */
double act_sum_exp_shift(const float *x, int n, float shift);
/* max x[i] (n >= 1; NaN-free input). */
float act_max(const float *x, int n);
/* The first i where x[i] is the maximum (n >= 1; NaN-free input). */
int act_argmax(const float *x, int n);

#endif
