/* gradcheck.h: finite-difference gradient checking shared by the tests.
 *
 * A checked gradient entry passes when
 *   |analytic - numeric| <= atol + rtol * max(|analytic|, |numeric|).
 * Float32 forward passes with central differences of step eps give
 * numeric errors around 1e-4 relative on these tiny problems. */
#ifndef S2S_TEST_GRADCHECK_H
#define S2S_TEST_GRADCHECK_H

#include <math.h>
#include <stdio.h>

#define GC_EPS 1e-2f
#define GC_RTOL 2e-2
#define GC_ATOL 2e-4

typedef double (*gc_loss_fn)(void *ctx);

/* The loss at x[i] = keep + d. */
static double gc_at(gc_loss_fn loss, void *ctx, float *x, int i, float keep, float d)
{
    x[i] = keep + d;
    double v = loss(ctx);
    x[i] = keep;
    return v;
}

/* Checks analytic[i] against central differences of step eps of loss
 * w.r.t. x[i] for i in idx[0..n) (or 0..n when idx is NULL). Returns the
 * number of mismatches and prints the first few with name. fine: the
 * five-point stencil (truncation error O(eps^4), not O(eps^2)), for
 * functions of high curvature such as layer normalisation of rows of 4 to
 * 16 entries, where GC_EPS's three-point error reaches 10%. */
static int gradcheck_step(const char *name, gc_loss_fn loss, void *ctx, float *x,
                          const float *analytic, const int *idx, int n, float eps, int fine)
{
    int bad = 0;
    double worst = 0;
    for (int k = 0; k < n; k++) {
        int i = idx ? idx[k] : k;
        float keep = x[i];
        double up = gc_at(loss, ctx, x, i, keep, eps), down = gc_at(loss, ctx, x, i, keep, -eps);
        double num = (up - down) / (2.0 * (double)eps), a = analytic[i];
        if (fine)
            num = (8.0 * (up - down) - (gc_at(loss, ctx, x, i, keep, 2 * eps) -
                                        gc_at(loss, ctx, x, i, keep, -2 * eps))) /
                  (12.0 * (double)eps);
        double diff = fabs(a - num), scale = fmax(fabs(a), fabs(num));
        if (scale > 0 && diff / scale > worst && scale > GC_ATOL)
            worst = diff / scale;
        if (!(diff <= GC_ATOL + GC_RTOL * scale)) {
            if (bad < 5)
                fprintf(stderr, "  %s[%d]: analytic %.6g numeric %.6g\n", name, i, a, num);
            bad++;
        }
    }
    fprintf(stderr, "gradcheck %-16s %4d entries, worst relative error %.2e, %d bad\n", name, n,
            worst, bad);
    return bad;
}

static int gradcheck(const char *name, gc_loss_fn loss, void *ctx, float *x,
                     const float *analytic, const int *idx, int n)
{
    return gradcheck_step(name, loss, ctx, x, analytic, idx, n, GC_EPS, 0);
}

#endif
