#include "s2s/nn/activ.h"

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(__SANITIZE_ADDRESS__) && \
    !defined(S2S_NO_CLONES)
#define CLONES __attribute__((target_clones("avx512f", "avx2,fma", "default")))
#else
#define CLONES
#endif

/* exp(x) in Cephes' manner: x = n ln2 + r, |r| <= ln2 / 2, exp(r) by a
 * degree-6 polynomial, 2^n put into the exponent bits. Branch-free; the
 * clamp keeps n in [-126, 127]; below it the result is 0 (exp would be
 * subnormal). A NaN x is returned as it is. */
static inline float exp_core(float x)
{
    float isnan_x = x != x ? 1.0f : 0.0f;
    float c = isnan_x != 0.0f ? 0.0f : x; /* NaN -> int would be undefined */
    c = c > 88.3762626647949f ? 88.3762626647949f : c;
    c = c < -87.3365447504019f ? -87.3365447504019f : c;
    float n = (c * 1.44269504088896341f + 12582912.0f) - 12582912.0f; /* round to nearest */
    float r = c - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    uint32_t e = (uint32_t)((int32_t)n + 127) << 23; /* n in [-127, 128]: no overflow */
    float s;
    memcpy(&s, &e, sizeof s);
    float y = x < -87.3365447504019f ? 0.0f : p * s;
    return isnan_x != 0.0f ? x : y;
}

CLONES void act_exp(float *y, const float *x, int n)
{
    for (int i = 0; i < n; i++)
        y[i] = exp_core(x[i]);
}

CLONES void act_sigmoid(float *y, const float *x, int n)
{
    for (int i = 0; i < n; i++)
        y[i] = 1.0f / (1.0f + exp_core(-x[i]));
}

/* tanh(x) = sign(x) (1 - e) / (1 + e), e = exp(-2|x|); below |x| < 0.0625
 * the odd Taylor series to x^9 instead, to keep small values accurate. */
CLONES void act_tanh(float *y, const float *x, int n)
{
    for (int i = 0; i < n; i++) {
        float v = x[i], a = v < 0.0f ? -v : v;
        float e = exp_core(-2.0f * a);
        float t = (1.0f - e) / (1.0f + e);
        t = v < 0.0f ? -t : t;
        float v2 = v * v;
        float s = v * (1.0f + v2 * (-0.333333333f + v2 * (0.133333333f +
                       v2 * (-0.0539682540f + v2 * 0.0218694885f))));
        y[i] = a < 0.0625f ? s : t;
    }
}

CLONES double act_exp_shift_sum(float *x, int n, float shift)
{
    float acc[16] = {0};
    int i = 0;
    for (; i + 16 <= n; i += 16)
        for (int k = 0; k < 16; k++) {
            float v = exp_core(x[i + k] - shift);
            x[i + k] = v;
            acc[k] += v;
        }
    double sum = 0.0;
    for (; i < n; i++) {
        x[i] = exp_core(x[i] - shift);
        sum += x[i];
    }
    for (int k = 0; k < 16; k++)
        sum += acc[k];
    return sum;
}

CLONES double act_sum_exp_shift(const float *x, int n, float shift)
{
    float acc[16] = {0};
    int i = 0;
    for (; i + 16 <= n; i += 16)
        for (int k = 0; k < 16; k++)
            acc[k] += exp_core(x[i + k] - shift);
    double sum = 0.0;
    for (; i < n; i++)
        sum += exp_core(x[i] - shift);
    for (int k = 0; k < 16; k++)
        sum += acc[k];
    return sum;
}

CLONES float act_max(const float *x, int n)
{
    float acc[16];
    for (int k = 0; k < 16; k++)
        acc[k] = x[0];
    int i = 0;
    for (; i + 16 <= n; i += 16)
        for (int k = 0; k < 16; k++)
            acc[k] = x[i + k] > acc[k] ? x[i + k] : acc[k];
    float mx = x[0];
    for (; i < n; i++)
        mx = x[i] > mx ? x[i] : mx;
    for (int k = 0; k < 16; k++)
        mx = acc[k] > mx ? acc[k] : mx;
    return mx;
}

CLONES int act_argmax(const float *x, int n)
{
    float mx = act_max(x, n);
    int i = 0;
    for (; i + 16 <= n; i += 16) { /* the first block holding the maximum */
        int any = 0;
        for (int k = 0; k < 16; k++)
            any |= x[i + k] == mx;
        if (any)
            break;
    }
    for (; i < n && !(x[i] == mx); i++)
        ;
    return i < n ? i : 0;
}
