/* s2s convert: a model file stored in another precision (bf16 or int8
 * decoder weights, checkpoint.h), for decoding only: smaller, and loaded
 * without quantizing. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "s2s/base/fileio.h"
#include "s2s/model/checkpoint.h"
#include "s2s/model/quant.h"

typedef struct {
    const char *input, *output;
    Precision prec;
    int prec_given, quiet;
} Args;

static void help(FILE *f)
{
    fprintf(f, "usage: s2s convert --precision bf16|int8|fp32 -o OUT MODEL\n\n"
               "Writes MODEL with its decoder's weight matrices stored in bf16 or int8 (the\n"
               "embeddings and biases stay fp32), as translate|score|serve --precision would make\n"
               "them at load: a smaller file that decodes exactly as MODEL does with that\n"
               "--precision. Training state is left out: train --resume and average refuse the\n"
               "result. fp32 turns such a file back into an fp32 model (of the rounded weights).\n\n"
               "options:\n"
               "      --precision P         bf16, int8 or fp32 (required)\n"
               "  -o, --output FILE         the new model file (required; replaced whole)\n"
               "  -m, --model FILE          MODEL, instead of the argument\n"
               "  -q, --quiet               nothing on stderr\n"
               "  -h, --help                this help\n");
}

static int parse_args(int argc, char **argv, Args *a)
{
    static const struct option longs[] = {
        {"precision", required_argument, NULL, 'p'}, {"output", required_argument, NULL, 'o'},
        {"model", required_argument, NULL, 'm'}, {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'}, {0, 0, 0, 0}};
    int c;
    memset(a, 0, sizeof *a);
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:m:qh", longs, NULL)) != -1) {
        if (c == 'h') {
            help(stdout);
            return -1;
        } else if (c == '?' || c == ':') {
            cli_bad_option("convert", c, argv[optind - 1], longs);
            return CLI_USAGE;
        } else if (c == 'p') {
            if (cli_precision("convert", optarg, &a->prec))
                return CLI_USAGE;
            a->prec_given = 1;
        } else if (c == 'o') {
            a->output = optarg;
        } else if (c == 'm') {
            a->input = optarg;
        } else if (c == 'q') {
            a->quiet = 1;
        }
    }
    if (optind < argc && !a->input)
        a->input = argv[optind++];
    if (optind < argc) {
        fprintf(stderr, "s2s convert: unexpected argument '%s'\n", argv[optind]);
        return CLI_USAGE;
    }
    if (!a->input || !a->output || !a->prec_given) {
        fprintf(stderr, "s2s convert: --precision, -o OUT and MODEL are required\n");
        return CLI_USAGE;
    }
    return 0;
}

static double mbytes(const char *path)
{
    struct stat st;
    return stat(path, &st) ? 0 : (double)st.st_size / 1048576.0;
}

int cli_convert(int argc, char **argv)
{
    Args a;
    Checkpoint ck;
    S2sErr err;
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    memset(&ck, 0, sizeof ck);
    double t = cli_now();
    const char *inputs[1] = {a.input};
    rc = fileio_check_output(a.output, inputs, 1, &err);
    if (!rc)
        rc = ckpt_load(a.input, &ck, &err);
    Precision from = ck.tm.stored;
    if (!rc)
        rc = tmodel_set_precision(&ck.tm, a.prec, &err);
    if (!rc)
        rc = ckpt_save(a.output, &ck.tm, NULL, &err);
    ckpt_free(&ck);
    if (rc) {
        fprintf(stderr, "s2s convert: %s\n", err.msg);
        return CLI_FAIL;
    }
    if (!a.quiet)
        fprintf(stderr, "s2s convert: %s (%.1f MB, %s) -> %s (%.1f MB, %s) in %.0f ms\n", a.input,
                mbytes(a.input), precision_name(from), a.output, mbytes(a.output),
                precision_name(a.prec), 1000 * (cli_now() - t));
    return CLI_OK;
}
