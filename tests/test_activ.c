/* The vectorised exp/sigmoid/tanh (activ.h) against libm in double
 * precision over a dense grid, at the tolerances activ.h states, plus the
 * edges: large |x| saturate without Inf/NaN, NaN passes through, odd
 * symmetry of tanh, and the shifted exp-sum of the softmax. */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "s2s/nn/activ.h"

enum { N = 400001 }; /* x in [-100, 100] step 5e-4 */

static float xs[N], ys[N];

static void grid(void)
{
    for (int i = 0; i < N; i++)
        xs[i] = -100.0f + 5e-4f * (float)i;
}

static void test_exp(void)
{
    double worst = 0;
    act_exp(ys, xs, N);
    for (int i = 0; i < N; i++) {
        double x = xs[i], want = exp(x);
        if (x < -87.0 || x > 88.0)
            continue;
        double rel = fabs(ys[i] - want) / want;
        worst = rel > worst ? rel : worst;
    }
    fprintf(stderr, "act_exp: max relative error %.3g\n", worst);
    CHECK_MSG(worst <= 2e-7, "exp relative error %.3g", worst);
    float big[4] = {-1000.0f, -88.0f, 89.0f, 1000.0f}, out[4];
    act_exp(out, big, 4);
    CHECK(out[0] == 0.0f && out[1] >= 0.0f && out[1] < 1e-37f);
    CHECK(isfinite(out[2]) && isfinite(out[3]) && out[3] > 1e38f);
}

static void test_sigmoid_tanh(void)
{
    double ws = 0, wt = 0;
    act_sigmoid(ys, xs, N);
    for (int i = 0; i < N; i++) {
        double e = fabs(ys[i] - 1.0 / (1.0 + exp(-(double)xs[i])));
        ws = e > ws ? e : ws;
    }
    act_tanh(ys, xs, N);
    for (int i = 0; i < N; i++) {
        double e = fabs(ys[i] - tanh((double)xs[i]));
        wt = e > wt ? e : wt;
        CHECK(ys[i] >= -1.0f && ys[i] <= 1.0f);
    }
    fprintf(stderr, "act_sigmoid: max abs error %.3g; act_tanh: %.3g\n", ws, wt);
    CHECK_MSG(ws <= 1e-7, "sigmoid abs error %.3g", ws);
    CHECK_MSG(wt <= 2e-7, "tanh abs error %.3g", wt);
    /* small arguments keep their relative accuracy; tanh is odd */
    float small[6] = {1e-30f, 1e-7f, 3e-3f, -3e-3f, 0.06f, 0.0f}, out[6];
    act_tanh(out, small, 6);
    for (int i = 0; i < 5; i++)
        CHECK_MSG(fabs(out[i] - tanh((double)small[i])) <= 1.5e-7 * fabs(small[i]),
                  "tanh(%g) = %.9g", small[i], out[i]);
    CHECK(out[5] == 0.0f && out[2] == -out[3]);
}

static void test_nan_and_sum(void)
{
    float v[3] = {NAN, 0.0f, 1.0f}, o[3];
    act_exp(o, v, 3);
    CHECK(isnan(o[0]) && o[1] == 1.0f);
    act_sigmoid(o, v, 3);
    CHECK(isnan(o[0]) && o[1] == 0.5f);
    act_tanh(o, v, 3);
    CHECK(isnan(o[0]));
    /* the softmax helper: exp(x - shift) in place and their sum, for every
     * length around the 16-wide blocks */
    for (int n = 1; n <= 40; n++) {
        float x[40], want[40];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            x[i] = (float)(i % 7) - 3.5f;
            want[i] = (float)exp((double)x[i] - 2.0);
            sum += want[i];
        }
        CHECK(act_max(x, n) == (n >= 7 ? 2.5f : (float)(n - 1) - 3.5f));
        double got2 = act_sum_exp_shift(x, n, 2.0f);
        CHECK_MSG(fabs(got2 - sum) <= 1e-6 * sum, "n %d: sum %.9g vs %.9g", n, got2, sum);
        double got = act_exp_shift_sum(x, n, 2.0f);
        CHECK_MSG(fabs(got - sum) <= 1e-6 * sum, "n %d: sum %.9g vs %.9g", n, got, sum);
        for (int i = 0; i < n; i++)
            CHECK(fabs(x[i] - want[i]) <= 2e-7 * want[i]);
    }
}

/* act_argmax against the scalar loop (the first maximum wins), for every
 * length around the 16-wide blocks, maxima anywhere and repeated. */
static void test_argmax(void)
{
    float x[100];
    for (int n = 1; n <= 100; n++)
        for (int at = 0; at < n; at++) {
            for (int i = 0; i < n; i++)
                x[i] = (float)((i * 37) % 11) - 20.0f;
            x[at] = 5.0f;
            if (at + 3 < n)
                x[at + 3] = 5.0f; /* a tie after it */
            int want = 0;
            for (int k = 1; k < n; k++)
                if (x[k] > x[want])
                    want = k;
            CHECK_MSG(act_argmax(x, n) == want && want == at, "n %d at %d: %d", n, at,
                      act_argmax(x, n));
        }
}

int main(void)
{
    test_argmax();
    grid();
    test_exp();
    test_sigmoid_tanh();
    test_nan_and_sum();
    return check_exit_code("test_activ");
}
