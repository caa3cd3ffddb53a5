/* tool_paramdiff A.s2s B.s2s: how far apart two models' parameters are,
 * for the tests that allow a tolerance (tests/cli_mpi.sh). Prints
 *     max_abs_diff max_abs_b
 * and exits 0, or 1 (with the reason) if a file does not load or the two
 * parameter blocks differ in size. */
#include <math.h>
#include <stdio.h>

#include "s2s/model/checkpoint.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: tool_paramdiff A.s2s B.s2s\n");
        return 2;
    }
    Checkpoint a = {0}, b = {0};
    S2sErr err;
    if (ckpt_load(argv[1], &a, &err) || ckpt_load(argv[2], &b, &err)) {
        fprintf(stderr, "tool_paramdiff: %s\n", err.msg);
        ckpt_free(&a);
        return 1;
    }
    int rc = 0;
    if (a.tm.model.nparams != b.tm.model.nparams) {
        fprintf(stderr, "tool_paramdiff: %zu parameters against %zu\n", a.tm.model.nparams,
                b.tm.model.nparams);
        rc = 1;
    } else {
        double d = 0, s = 0;
        for (size_t i = 0; i < a.tm.model.nparams; i++) {
            d = fmax(d, fabs((double)a.tm.model.params[i] - b.tm.model.params[i]));
            s = fmax(s, fabs((double)b.tm.model.params[i]));
        }
        printf("%.9g %.9g\n", d, s);
    }
    ckpt_free(&a);
    ckpt_free(&b);
    return rc;
}
