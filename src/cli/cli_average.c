/* s2s average: the element-wise mean of the parameters of several models of
 * one configuration (checkpoint averaging), written as a translation model. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "s2s/base/fileio.h"
#include "s2s/model/average.h"
#include "s2s/model/checkpoint.h"

#define MAX_INPUTS 1024

typedef struct {
    const char *output;
    const char *const *inputs;
    int n, overwrite, quiet, force;
} AvgArgs;

static void help(FILE *f)
{
    fprintf(f, "usage: s2s average -o OUT.s2s MODEL.s2s [MODEL2.s2s ...]\n\n"
               "Writes OUT, a translation model (no optimizer state) whose parameters are the\n"
               "element-wise mean of the models' (checkpoint averaging). The models must share\n"
               "the configuration, both vocabularies and the tokenizer: the checkpoints of one\n"
               "run, e.g. those train --keep-checkpoints kept: models of two training runs\n"
               "(other initial weights: another --seed) are refused, as their mean is no model.\n\n"
               "options:\n"
               "  -o, --output FILE  the averaged model (required)\n"
               "      --overwrite    replace OUT if it exists\n"
               "      --force        average models of different training runs anyway\n"
               "  -q, --quiet        no summary on stderr\n"
               "  -h, --help         this help\n");
}

static int parse_args(int argc, char **argv, AvgArgs *a)
{
    enum { O_OVERWRITE = 256, O_FORCE };
    static const struct option longs[] = {{"output", required_argument, NULL, 'o'},
                                           {"overwrite", no_argument, NULL, O_OVERWRITE},
                                           {"force", no_argument, NULL, O_FORCE},
                                           {"quiet", no_argument, NULL, 'q'},
                                           {"help", no_argument, NULL, 'h'}, {0, 0, 0, 0}};
    int c;
    *a = (AvgArgs){0};
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:qh", longs, NULL)) != -1) {
        if (c == 'h') {
            help(stdout);
            return -1;
        }
        if (c == '?' || c == ':') {
            cli_bad_option("average", c, argv[optind - 1], longs);
            return CLI_USAGE;
        }
        if (c == 'o')
            a->output = optarg;
        a->overwrite |= c == O_OVERWRITE, a->quiet |= c == 'q', a->force |= c == O_FORCE;
    }
    a->inputs = (const char *const *)argv + optind, a->n = argc - optind;
    if (!a->output || a->n < 1) {
        fprintf(stderr, "s2s average: -o OUT and at least one model are required\n");
        return CLI_USAGE;
    }
    if (a->n > MAX_INPUTS) {
        fprintf(stderr, "s2s average: at most %d models\n", MAX_INPUTS);
        return CLI_USAGE;
    }
    if (!a->overwrite && access(a->output, F_OK) == 0) {
        fprintf(stderr, "s2s average: %s exists: add --overwrite to replace it\n", a->output);
        return CLI_USAGE;
    }
    return 0;
}

/* {"averaged_from": [{"file": PATH, "step": S}, ...]}: the sources, with
 * each one's training step when it has one. */
static cJSON *sources_json(const AvgArgs *a, const long *steps)
{
    cJSON *root = cJSON_CreateObject(), *list = cJSON_AddArrayToObject(root, "averaged_from");
    for (int i = 0; list && i < a->n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "file", a->inputs[i]);
        if (steps[i] >= 0)
            cJSON_AddNumberToObject(o, "step", (double)steps[i]);
        cJSON_AddItemToArray(list, o);
    }
    return root;
}

static long checkpoint_step(const Checkpoint *ck)
{
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(ck->train, "state");
    const cJSON *step = cJSON_GetObjectItemCaseSensitive(st, "step");
    return cJSON_IsNumber(step) ? (long)step->valuedouble : -1;
}

/* Models of two training runs (their run ids differ: other initial
 * weights) are refused unless --force: their mean is no model. Files from
 * before run ids pass. */
static int same_run(const AvgArgs *a, const Checkpoint *first, const Checkpoint *ck, int i,
                    S2sErr *err)
{
    const char *x = first->tm.run_id, *y = ck->tm.run_id;
    if (a->force || !x[0] || !y[0] || !strcmp(x, y))
        return 0;
    return s2s_fail(err, S2S_EINVAL, "%s and %s come from two training runs (run ids %s and %s: "
                    "other initial weights), and the mean of two runs is no model; average the "
                    "checkpoints of one run (train --keep-checkpoints), or --force to average anyway",
                    a->inputs[0], a->inputs[i], x, y);
}

/* Adds models 1..n-1 to the sum started with first (model 0). */
static int add_rest(const AvgArgs *a, const Checkpoint *first, Averager *avg, long *steps,
                    S2sErr *err)
{
    int rc = 0;
    for (int i = 1; i < a->n && !rc; i++) {
        Checkpoint ck;
        memset(&ck, 0, sizeof ck);
        rc = ckpt_load(a->inputs[i], &ck, err);
        if (!rc)
            rc = average_compatible(first, a->inputs[0], &ck, a->inputs[i], err);
        if (!rc)
            rc = same_run(a, first, &ck, i, err);
        if (!rc) {
            averager_add(avg, ck.tm.model.params);
            steps[i] = checkpoint_step(&ck);
        }
        ckpt_free(&ck);
    }
    return rc;
}

static int average(const AvgArgs *a, S2sErr *err)
{
    static long steps[MAX_INPUTS];
    Checkpoint first;
    Averager avg = {0};
    memset(&first, 0, sizeof first);
    int rc = fileio_check_output(a->output, a->inputs, a->n, err);
    if (!rc)
        rc = fileio_check_writable(a->output, err);
    if (!rc)
        rc = ckpt_load(a->inputs[0], &first, err);
    if (!rc)
        rc = tmodel_check_fp32(&first.tm, a->inputs[0], "averaging", err);
    if (!rc)
        rc = averager_init(&avg, first.tm.model.nparams, err);
    if (!rc) {
        averager_add(&avg, first.tm.model.params);
        steps[0] = checkpoint_step(&first);
        rc = add_rest(a, &first, &avg, steps, err);
    }
    if (!rc) {
        averager_mean(&avg, first.tm.model.params);
        cJSON *meta = sources_json(a, steps);
        rc = meta ? ckpt_save(a->output, &first.tm, &(CkptTraining){meta, NULL, NULL}, err)
                  : s2s_fail(err, S2S_ENOMEM, "out of memory");
        cJSON_Delete(meta);
    }
    averager_free(&avg);
    ckpt_free(&first);
    return rc;
}

int cli_average(int argc, char **argv)
{
    AvgArgs a;
    S2sErr err;
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    if (average(&a, &err)) {
        fprintf(stderr, "s2s average: %s\n", err.msg);
        return CLI_FAIL;
    }
    if (!a.quiet)
        fprintf(stderr, "s2s average: the mean of %d model%s written to %s\n", a.n,
                a.n == 1 ? "" : "s", a.output);
    return CLI_OK;
}
