/* s2s info: checks a model file, then prints a summary (default) or its
 * whole metadata as JSON (--json). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "s2s/base/fileio.h"
#include "s2s/model/checkpoint.h"

static void help(FILE *f)
{
    fprintf(f, "usage: s2s info [--json] MODEL\n\n"
               "Checks MODEL (magic, version, size, checksum, metadata, every weight) and prints\n"
               "a summary: architecture, sizes, parameters, vocabularies, tokenizer, languages,\n"
               "training state, file version and checksums.\n\n"
               "options:\n"
               "  -j, --json   the whole metadata as JSON instead (every BPE merge and vocabulary entry)\n"
               "  -h, --help   this help\n");
}

static const cJSON *get(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = get(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static const char *str(const cJSON *o, const char *key, const char *dflt)
{
    const cJSON *v = get(o, key);
    return cJSON_IsString(v) ? v->valuestring : dflt;
}

/* "attention (general), LSTM, 2 layers, embeddings 256, hidden 512, ..." */
static void print_model(FILE *f, const cJSON *c)
{
    const char *arch = str(c, "arch", "seq2seq");
    fprintf(f, "architecture:  %s", arch);
    if (!strcmp(arch, "attention"))
        fprintf(f, " (%s score%s)", str(c, "attention", "general"),
                cJSON_IsTrue(get(c, "bidirectional")) ? ", bidirectional encoder" : "");
    fprintf(f, ", %s%s, %g layers%s, embeddings %g, hidden %g%s%s\n", str(c, "cell", "lstm"),
            cJSON_IsTrue(get(c, "layer_norm")) ? " (layer-normalised)" : "", num(c, "layers"),
            cJSON_IsTrue(get(c, "residual")) ? " (residual)" : "",
            num(c, "embed"), num(c, "hidden"),
            cJSON_IsTrue(get(c, "reverse")) ? ", source reversed" : "",
            cJSON_IsTrue(get(c, "tied_embeddings")) ? ", tied embeddings" : "");
    fprintf(f, "vocabularies:  %g source, %g target (specials included)\n", num(c, "src_vocab"),
            num(c, "tgt_vocab"));
}

static void print_training(FILE *f, const cJSON *train)
{
    const cJSON *st = get(train, "state"), *opts = get(train, "options");
    if (!st)
        return;
    fprintf(f, "training:      step %g, epoch %g, %s lr %g", num(st, "step"), num(st, "epoch"),
            str(opts, "optim", "sgd"), num(st, "lr"));
    if (num(st, "best_valid_ppl") > 0)
        fprintf(f, "; best validation perplexity %.3f", num(st, "best_valid_ppl"));
    if (num(st, "best_valid_bleu") > 0)
        fprintf(f, ", BLEU %.2f", num(st, "best_valid_bleu"));
    fprintf(f, "; %.0f s of training\n", num(st, "elapsed"));
}

static void print_summary(FILE *f, const char *path, const cJSON *info)
{
    const cJSON *file = get(info, "file"), *tk = get(info, "tokenizer"), *l = get(info, "languages");
    const cJSON *q = get(info, "quantized"), *train = get(info, "train");
    fprintf(f, "file:          %s, s2s model format version %g, %.0f bytes: checked\n", path,
            num(file, "format_version"), num(file, "bytes"));
    print_model(f, get(info, "config"));
    double params = 0;
    const cJSON *t;
    cJSON_ArrayForEach(t, get(info, "tensors"))
        params += num(t, "rows") * num(t, "cols");
    fprintf(f, "parameters:    %.0f\n", params);
    fprintf(f, "tokenizer:     %s", str(tk, "kind", "?"));
    if (cJSON_IsArray(get(tk, "merges")))
        fprintf(f, ", %d BPE merges", cJSON_GetArraySize(get(tk, "merges")));
    if (l)
        fprintf(f, "\nlanguages:     %s -> %s\n", str(l, "src", "?"), str(l, "tgt", "?"));
    else
        fprintf(f, "\nlanguages:     (not recorded)\n");
    fprintf(f, "precision:     %s\n", q ? str(q, "precision", "?") : "fp32");
    print_training(f, train);
    if (cJSON_IsArray(get(train, "averaged_from")))
        fprintf(f, "averaged from: %d models\n", cJSON_GetArraySize(get(train, "averaged_from")));
    fprintf(f, "run id:        %s\n", str(info, "run_id", "(not recorded)"));
    fprintf(f, "checksums:     file %s, parameters %s (FNV-1a 64)\n", str(file, "checksum_fnv1a64", "?"),
            str(file, "params_fnv1a64", "?"));
}

int cli_info(int argc, char **argv)
{
    static const struct option longs[] = {{"json", no_argument, NULL, 'j'},
                                           {"help", no_argument, NULL, 'h'}, {0, 0, 0, 0}};
    int c, json = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":jh", longs, NULL)) != -1) {
        if (c == 'h') {
            help(stdout);
            return CLI_OK;
        }
        if (c == '?' || c == ':')
            return cli_bad_option("info", c, argv[optind - 1], longs);
        json = 1;
    }
    if (optind != argc - 1) {
        fprintf(stderr, "usage: s2s info [--json] MODEL\n");
        return CLI_USAGE;
    }
    S2sErr err;
    cJSON *info = NULL;
    const char *model = argv[optind];
    if (fileio_check_output(NULL, &model, 1, &err) || ckpt_read_info(model, &info, &err)) {
        fprintf(stderr, "s2s info: %s\n", err.msg);
        return CLI_FAIL;
    }
    if (!json) {
        print_summary(stdout, model, info);
        cJSON_Delete(info);
        return cli_flush_stdout("info");
    }
    char *text = cJSON_Print(info);
    cJSON_Delete(info);
    if (!text) {
        fprintf(stderr, "s2s info: out of memory\n");
        return CLI_FAIL;
    }
    errno = 0; /* caught here: stdio drops what a failed write held, and its errno */
    int e = puts(text) == EOF ? (errno ? errno : -1) : 0;
    cJSON_free(text);
    return e ? cli_stdout_failed("info", e) : cli_flush_stdout("info");
}
