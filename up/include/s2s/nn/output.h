/* output.h: the output layer, logits = h Wo^T + bo, with softmax
 * cross-entropy against target ids. Runs over N positions at a time; the
 * model calls it in chunks so that the (N, V) buffer stays bounded. */
#ifndef S2S_OUTPUT_H
#define S2S_OUTPUT_H

#include <stdint.h>

/* h: (N, H)  Wo: (V, H)  bo: (V)  targets: (N)  mask: (N) or NULL.
 * probs: (N, V) out, the softmax of each row. Returns the summed negative
 * log-likelihood over the positions whose mask is non-zero. */
double output_forward(float *probs, const float *h, const float *Wo, const float *bo,
                      const int32_t *targets, const float *mask, int N, int H, int V);

/* Backward of scale * (the cross-entropy summed over the masked
 * positions) against the label-smoothed target q = (1 - eps) onehot(y) +
 * eps / V (eps = 0: the NLL forward returned). probs: (N, V), as forward
 * left it, overwritten with the logits' gradient, scale * (p - q). ADDS
 * into dh (N, H), dWo (V, H) and dbo (V). */
void output_backward(float *dh, float *dWo, float *dbo, float *probs,
                     const float *h, const float *Wo, const int32_t *targets,
                     const float *mask, float scale, float eps, int N, int H, int V);

#endif
