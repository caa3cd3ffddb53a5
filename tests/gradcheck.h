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

/* Checks analytic[i] against central differences of loss w.r.t. x[i] for
 * i in idx[0..n) (or 0..n when idx is NULL). Returns the number of
 * mismatches and prints the first few with name. */
static int gradcheck(const char *name, gc_loss_fn loss, void *ctx, float *x,
                     const float *analytic, const int *idx, int n)
{
    int bad = 0;
    double worst = 0;
    for (int k = 0; k < n; k++) {
        int i = idx ? idx[k] : k;
        float keep = x[i];
        x[i] = keep + GC_EPS;
        double up = loss(ctx);
        x[i] = keep - GC_EPS;
        double down = loss(ctx);
        x[i] = keep;
        double num = (up - down) / (2.0 * (double)GC_EPS), a = analytic[i];
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

#endif
