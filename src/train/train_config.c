#include "s2s/train/train_config.h"

#include "s2s/train/dist.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "s2s/base/fileio.h"
#include "s2s/base/json.h"

#define F(field) offsetof(TrainConfig, field)

const TrainOption train_options[] = {
    {"src", OPT_STR, F(src), 0, "FILE", "training source, one sentence per line (UTF-8)", NULL},
    {"tgt", OPT_STR, F(tgt), 0, "FILE", "training target, aligned with --src line by line", NULL},
    {"src-lang", OPT_STR, F(src_lang), 1, "CODE", "the source language, recorded in the model (default: --src's suffix, de for train.de, when --src and --tgt end in two different codes)", NULL},
    {"tgt-lang", OPT_STR, F(tgt_lang), 1, "CODE", "the target language (default: --tgt's suffix, as --src-lang)", NULL},
    {"valid-src", OPT_STR, F(valid_src), 0, "FILE", "validation source", NULL},
    {"valid-tgt", OPT_STR, F(valid_tgt), 0, "FILE", "validation target", NULL},
    {"model", OPT_STR, F(model), 0, "FILE", "where to save the model (default model.s2s)", NULL},
    {"resume", OPT_STR, F(resume), 0, "FILE", "continue training from this checkpoint", NULL},
    {"config", OPT_STR, F(config), 0, "FILE", "JSON object of options, keys as the long options", NULL},
    {"log", OPT_STR, F(log), 0, "FILE", "JSON lines: progress and validations (a resumed run appends; a new one moves an earlier log to FILE.1, FILE.2, ...)", NULL},
    {"tokenizer", OPT_STR, F(tokenizer), 1, "KIND", "bpe (default), word (reversible, no subwords) or none (whitespace)", NULL},
    {"bpe-merges", OPT_INT, F(bpe_merges), 1, "N", "BPE merges learned jointly on --src and --tgt (default 10000)", NULL},
    {"bpe-codes", OPT_STR, F(bpe_codes), 1, "FILE", "use these BPE codes (s2s bpe learn) instead of learning", NULL},
    {"arch", OPT_STR, F(arch), 1, "ARCH", "attention (Luong, default), seq2seq (Sutskever) or encdec (Cho: c fed to every step)", NULL},
    {"cell", OPT_STR, F(cell), 1, "CELL", "recurrent cell: lstm (default), gru or rnn", NULL},
    {"attention", OPT_STR, F(attention), 1, "SCORE", "--arch attention's score: general (default, h^T Wa m), dot or mlp (Bahdanau)", NULL},
    {"layers", OPT_INT, F(layers), 1, "N", "recurrent layers in encoder and decoder (default 2)", NULL},
    {"embed", OPT_INT, F(embed), 1, "N", "embedding size (default 256)", NULL},
    {"hidden", OPT_INT, F(hidden), 1, "N", "hidden state size (default 256)", NULL},
    {"src-vocab", OPT_INT, F(src_vocab), 1, "N", "max source vocabulary, specials included (default 30000)", NULL},
    {"tgt-vocab", OPT_INT, F(tgt_vocab), 1, "N", "max target vocabulary (default 30000)", NULL},
    {"min-freq", OPT_INT, F(min_freq), 1, "N", "keep words seen at least N times (default 1)", NULL},
    {"no-reverse", OPT_FLAG, F(no_reverse), 1, NULL, "feed the source in its own order, not reversed", NULL},
    {"bidirectional", OPT_FLAG, F(bidirectional), 1, NULL, "--arch attention: a bidirectional encoder (both directions summed)", NULL},
    {"layer-norm", OPT_FLAG, F(layer_norm), 1, NULL, "layer-normalised recurrent cells (Ba et al. 2016; Marian --layer-normalization, Nematus --layer_normalisation, Sockeye lnlstm/lngru): gate inputs, recurrent products (and the LSTM's cell state) normalised with learned gains", NULL},
    {"residual", OPT_FLAG, F(residual), 1, NULL, "residual connections between stacked layers: from the second layer up, a layer's output is its state plus its input (GNMT, Marian --skip, Sockeye --rnn-residual-connections), so that deeper stacks train", NULL},
    {"tied-embeddings", OPT_FLAG, F(tied_embeddings), 1, NULL, "the output layer shares the target embeddings (needs --embed = --hidden; not encdec)", NULL},
    {"batch", OPT_INT, F(batch), 0, "N", "sentence pairs per minibatch (default 32)", NULL},
    {"batch-words", OPT_INT, F(batch_words), 0, "N", "minibatches by tokens instead: as many pairs of similar length as fit in N padded tokens on either side (Marian --mini-batch-words; default 0: by --batch)", NULL},
    {"epochs", OPT_INT, F(epochs), 0, "N", "stop after N epochs (default 10)", NULL},
    {"max-steps", OPT_INT, F(max_steps), 0, "N", "stop after N optimizer steps in all (0 = no limit)", NULL},
    {"time-limit", OPT_FLOAT, F(time_limit), 0, "SEC", "stop after SEC seconds of this run (on --resume, earlier runs do not count; 0 = none)", NULL},
    {"optim", OPT_STR, F(optim), 1, "NAME", "adam (default; moments saved in the checkpoint) or sgd", NULL},
    {"lr", OPT_FLOAT, F(lr), 0, "X", "learning rate (default 0.002 for adam, 6 for sgd; see docs/training.md)", NULL},
    {"decay-start", OPT_INT, F(decay_start), 0, "N", "halve the learning rate every epoch after epoch N; 0 = never (default: 5 with sgd; with adam never, unless given)", NULL},
    {"decay-on-plateau", OPT_FLAG, F(decay_on_plateau), 0, NULL, "halve it when a validation brings no progress (--early-stopping-on; default with adam unless --decay-start is given)", NULL},
    {"lr-warmup", OPT_INT, F(lr_warmup), 0, "N", "raise the learning rate linearly from 0 over the first N updates (Marian's name; default 0: none)", NULL},
    {"lr-decay-inv-sqrt", OPT_INT, F(lr_decay_inv_sqrt), 0, "N", "from update N on, scale the learning rate by sqrt(N/t) at update t (Marian's name; default 0: off)", NULL},
    {"clip", OPT_FLOAT, F(clip), 0, "X", "clip the global gradient norm to X (default 5; 0 = off)", NULL},
    {"init", OPT_FLOAT, F(init), 0, "X", "initialise parameters uniformly in [-X, X] (default 0.08)", NULL},
    {"dropout", OPT_FLOAT, F(dropout), 0, "P", "dropout on non-recurrent connections (default 0.2)", NULL},
    {"exponential-smoothing", OPT_FLOAT, F(exp_smoothing), 0, "[=A]", "keep a moving average of the weights, decay max(A, 1-(t+1)/(t+10)) at step t, for validation and the models written (default off; A 1e-4 when not given)", "1e-4"},
    {"bpe-dropout", OPT_FLOAT, F(bpe_dropout), 0, "P", "BPE-dropout: each epoch, segment the training data afresh, dropping each merge with probability P (--tokenizer bpe, not with --batch-words; validation and translation never drop; default 0)", NULL},
    {"label-smoothing", OPT_FLOAT, F(label_smoothing), 0, "X", "train against (1-X) onehot + X/V (default 0.1; reported loss and ppl stay the plain NLL)", NULL},
    {"seed", OPT_INT, F(seed), 0, "N", "random seed: initialisation, data order, dropout (default 1)", NULL},
    {"threads", OPT_INT, F(threads), 0, "N", "threads: each batch split in N shards trained in parallel (default: all cores; under mpirun, the cores over the ranks on the machine)", NULL},
    {"max-len", OPT_INT, F(max_len), 0, "N", "skip (and count) training pairs longer than N tokens (default 50)", NULL},
    {"valid-every", OPT_INT, F(valid_every), 0, "N", "also validate and save every N steps (default 0: each epoch)", NULL},
    {"valid-bleu", OPT_FLAG, F(valid_bleu), 0, NULL, "also translate the validation source and report BLEU (as s2s bleu)", NULL},
    {"valid-beam", OPT_INT, F(valid_beam), 0, "K", "beam for --valid-bleu (default 1: greedy)", NULL},
    {"valid-metrics", OPT_STR, F(valid_metrics), 0, "LIST", "validation metrics, the first decides the best model (Marian's --valid-metrics): ppl (or perplexity, cross-entropy), bleu, chrf (default ppl; bleu,ppl with --valid-bleu)", NULL},
    {"valid-translation-output", OPT_STR, F(valid_output), 0, "FILE", "write each validation's translations to FILE (Marian's name; one line per validation line)", NULL},
    {"keep-best", OPT_FLAG, F(keep_best), 0, NULL, "keep the best model (by the first --valid-metrics) in MODEL.best.s2s", NULL},
    {"keep-checkpoints", OPT_INT, F(keep_checkpoints), 0, "N", "also keep the last N validated checkpoints as MODEL.stepS.s2s, for s2s average (default 0)", NULL},
    {"patience", OPT_INT, F(patience), 0, "N", "stop after N validations in a row without progress (Marian's --early-stopping; default 0: never)", NULL},
    {"early-stopping-on", OPT_STR, F(early_stopping_on), 0, "WHAT", "what counts as progress for --patience and --decay-on-plateau: any (default: any metric logged improved) or first (the first --valid-metrics; Marian's default)", NULL},
    {"save-every", OPT_INT, F(save_every), 0, "N", "save a checkpoint every N steps (default 0: each epoch)", NULL},
    {"report-every", OPT_FLOAT, F(report_every), 0, "SEC", "seconds between progress lines (default 2)", NULL},
    {"max-line-bytes", OPT_INT, F(max_line_bytes), 0, "N", "longest input line accepted, in bytes (default 1048576)", NULL},
    {"overwrite", OPT_FLAG, F(overwrite), 0, NULL, "start afresh even if --model exists (default: refuse)", NULL},
    {"quiet", OPT_FLAG, F(quiet), 0, NULL, "no progress on stderr (-q)", NULL},
};
const int train_noptions = (int)(sizeof train_options / sizeof train_options[0]);

void train_config_defaults(TrainConfig *c)
{
    memset(c, 0, sizeof *c);
    c->layers = 2, c->embed = 256, c->hidden = 256;
    c->src_vocab = 30000, c->tgt_vocab = 30000, c->min_freq = 1;
    c->batch = 32, c->epochs = 10, c->lr = 6.0, c->decay_start = 5, c->label_smoothing = 0.1;
    c->clip = 5.0, c->init = 0.08, c->dropout = 0.2, c->seed = 1;
    long n = sysconf(_SC_NPROCESSORS_ONLN) / dist_local_size(); /* the cores of this rank */
    c->threads = n > 0 ? (int)n : 1;
    c->max_len = 50, c->report_every = 2, c->bpe_merges = 10000, c->valid_beam = 1;
    c->max_line_bytes = (int)S2S_MAX_LINE_BYTES;
}

static char **str_field(TrainConfig *c, int i)
{
    return (char **)((char *)c + train_options[i].offset);
}

void train_config_free(TrainConfig *c)
{
    for (int i = 0; i < train_noptions; i++)
        if (train_options[i].type == OPT_STR) {
            free(*str_field(c, i));
            *str_field(c, i) = NULL;
        }
}

void train_config_unset(TrainConfig *c, int i)
{
    const TrainOption *o = &train_options[i];
    TrainConfig d;
    train_config_defaults(&d); /* holds no string */
    if (o->type == OPT_STR) {
        free(*str_field(c, i));
        *str_field(c, i) = NULL;
    } else {
        size_t size = o->type == OPT_FLOAT ? sizeof(double) : sizeof(int);
        memcpy((char *)c + o->offset, (const char *)&d + o->offset, size);
    }
    c->set[i] = 0;
}

int train_option_index(const char *name)
{
    for (int i = 0; i < train_noptions; i++)
        if (strcmp(train_options[i].name, name) == 0)
            return i;
    return -1;
}

static int set_str(TrainConfig *c, int i, const char *value, S2sErr *err)
{
    char *dup = strdup(value);
    if (!dup)
        return s2s_fail(err, S2S_ENOMEM, "out of memory");
    free(*str_field(c, i));
    *str_field(c, i) = dup;
    return 0;
}

static int parse_number(const TrainOption *o, const char *value, double *out, S2sErr *err)
{
    char *end;
    errno = 0;
    double v = strtod(value, &end);
    if (end == value || *end || errno || !isfinite(v) ||
        (o->type == OPT_INT && (v != floor(v) || fabs(v) > 2e9)))
        return s2s_fail(err, S2S_EINVAL, "--%s: '%s' is not %s", o->name, value,
                        o->type == OPT_INT ? "an integer" : "a number");
    *out = v;
    return 0;
}

int train_config_set(TrainConfig *c, int i, const char *value, S2sErr *err)
{
    const TrainOption *o = &train_options[i];
    void *field = (char *)c + o->offset;
    double v = 1;
    int rc = 0;
    if (o->type == OPT_STR)
        rc = set_str(c, i, value, err);
    else if (o->type != OPT_FLAG || value)
        rc = parse_number(o, value ? value : "", &v, err);
    if (rc)
        return rc;
    if (o->type == OPT_INT || o->type == OPT_FLAG)
        *(int *)field = (int)v;
    else if (o->type == OPT_FLOAT)
        *(double *)field = v;
    c->set[i] = 1;
    return 0;
}

static int set_from_json_item(TrainConfig *c, int i, const cJSON *item, const char *origin,
                              S2sErr *err)
{
    const TrainOption *o = &train_options[i];
    char num[64];
    if (cJSON_IsNull(item) || (o->type == OPT_INT && !strcmp(o->name, "threads") &&
                               cJSON_IsString(item) && !strcmp(item->valuestring, "auto")))
        return 0; /* --dump-config's "not given" and "auto": the default */
    if (o->type == OPT_STR && cJSON_IsString(item))
        return train_config_set(c, i, item->valuestring, err);
    if (o->type == OPT_FLAG && cJSON_IsBool(item))
        return train_config_set(c, i, cJSON_IsTrue(item) ? "1" : "0", err);
    if ((o->type == OPT_INT || o->type == OPT_FLOAT) && cJSON_IsNumber(item)) {
        snprintf(num, sizeof num, "%.17g", item->valuedouble);
        int rc = train_config_set(c, i, num, err);
        if (rc)
            return s2s_fail(err, rc, "%s: \"%s\": %s", origin, o->name,
                            o->type == OPT_INT ? "must be an integer" : "must be a number");
        return 0;
    }
    return s2s_fail(err, S2S_EINVAL, "%s: \"%s\" must be %s", origin, o->name,
                    o->type == OPT_STR ? "a string" : o->type == OPT_FLAG ? "true or false" : "a number");
}

int train_config_from_json(TrainConfig *c, const cJSON *obj, const char *origin, S2sErr *err)
{
    if (!cJSON_IsObject(obj))
        return s2s_fail(err, S2S_EINVAL, "%s: must be a JSON object of options", origin);
    for (const cJSON *it = obj->child; it; it = it->next) {
        int i = train_option_index(it->string);
        if (i < 0)
            return s2s_fail(err, S2S_EINVAL, "%s: unknown option \"%s\"", origin, it->string);
        int rc = set_from_json_item(c, i, it, origin, err);
        if (rc)
            return rc;
    }
    return 0;
}

cJSON *train_config_to_json(const TrainConfig *c)
{
    cJSON *o = cJSON_CreateObject();
    for (int i = 0; i < train_noptions; i++) {
        const TrainOption *opt = &train_options[i];
        const void *field = (const char *)c + opt->offset;
        if (opt->type == OPT_STR) {
            const char *s = *(char *const *)field;
            if (s)
                cJSON_AddStringToObject(o, opt->name, s);
        } else if (opt->type == OPT_FLAG) {
            cJSON_AddBoolToObject(o, opt->name, *(const int *)field);
        } else if (opt->type == OPT_INT) {
            cJSON_AddNumberToObject(o, opt->name, *(const int *)field);
        } else {
            cJSON_AddNumberToObject(o, opt->name, *(const double *)field);
        }
    }
    return o;
}

/* The default of string option name where it depends on the others, or NULL. */
static const char *string_default(const TrainConfig *c, const char *name)
{
    const char *arch = c->arch ? c->arch : TRAIN_DEFAULT_ARCH;
    static const char *const fixed[][2] = {{"arch", TRAIN_DEFAULT_ARCH}, {"cell", "lstm"}, {"tokenizer", "bpe"},
                                           {"optim", "adam"}, {"early-stopping-on", "any"}};
    for (size_t k = 0; k < sizeof fixed / sizeof fixed[0]; k++)
        if (!strcmp(name, fixed[k][0]))
            return fixed[k][1];
    if (!strcmp(name, "attention"))
        return strcmp(arch, "attention") ? NULL : "general";
    if (!strcmp(name, "valid-metrics"))
        return c->valid_bleu ? "bleu,ppl" : "ppl";
    if (!strcmp(name, "model"))
        return "model.s2s";
    return NULL;
}

cJSON *train_config_resolved_json(const TrainConfig *c)
{
    cJSON *given = train_config_to_json(c), *o = cJSON_CreateObject();
    int adam = !c->optim || !strcmp(c->optim, "adam");
    for (int i = 0; given && o && i < train_noptions; i++) { /* in the table's order */
        const char *name = train_options[i].name, *d = NULL;
        cJSON *v = cJSON_DetachItemFromObjectCaseSensitive(given, name);
        if (!v && train_options[i].type == OPT_STR)
            v = (d = string_default(c, name)) ? cJSON_CreateString(d) : cJSON_CreateNull();
        if (!strcmp(name, "lr") && adam && !c->set[i])
            cJSON_Delete(v), v = cJSON_CreateNumber(TRAIN_ADAM_LR);
        if (!strcmp(name, "threads") && !c->set[i])
            cJSON_Delete(v), v = cJSON_CreateString("auto");
        cJSON_AddItemToObject(o, name, v);
    }
    cJSON_Delete(given);
    return o;
}

int train_config_merge(TrainConfig *dst, const TrainConfig *src, S2sErr *err)
{
    for (int i = 0; i < train_noptions; i++) {
        if (!src->set[i])
            continue;
        const TrainOption *o = &train_options[i];
        const void *from = (const char *)src + o->offset;
        void *to = (char *)dst + o->offset;
        if (o->type == OPT_STR) {
            int rc = set_str(dst, i, *(char *const *)from, err);
            if (rc)
                return rc;
        } else if (o->type == OPT_FLOAT) {
            *(double *)to = *(const double *)from;
        } else {
            *(int *)to = *(const int *)from;
        }
        dst->set[i] = 1;
    }
    return 0;
}

static int check_range(const char *name, double v, double lo, double hi, S2sErr *err)
{
    if (v < lo || v > hi)
        return s2s_fail(err, S2S_EINVAL, "--%s: %g is out of range [%g, %g]", name, v, lo, hi);
    return 0;
}

static int check_valid_metrics(const TrainConfig *c, S2sErr *err)
{
    int b, f, first;
    int rc = train_valid_metrics(c, &b, &f, &first, err);
    if (!rc && (b || f || c->valid_output) && !c->valid_src)
        rc = s2s_fail(err, S2S_EINVAL, "validation metrics and --valid-translation-output need --valid-src and --valid-tgt");
    return rc;
}

int train_config_check(const TrainConfig *c, S2sErr *err)
{
    int rc;
    if (!c->valid_src != !c->valid_tgt)
        return s2s_fail(err, S2S_EINVAL, "--valid-src and --valid-tgt go together");
    if ((rc = check_range("layers", c->layers, 1, MODEL_MAX_LAYERS, err)) ||
        (rc = check_range("embed", c->embed, 1, 65536, err)) ||
        (rc = check_range("hidden", c->hidden, 1, 65536, err)) ||
        (rc = check_range("src-vocab", c->src_vocab, 5, 10000000, err)) ||
        (rc = check_range("tgt-vocab", c->tgt_vocab, 5, 10000000, err)) ||
        (rc = check_range("min-freq", c->min_freq, 1, 1e9, err)) ||
        (rc = check_range("batch", c->batch, 1, 100000, err)) ||
        (rc = check_range("batch-words", c->batch_words, 0, 10000000, err)) ||
        (rc = check_range("epochs", c->epochs, 0, 1e9, err)) ||
        (rc = check_range("max-steps", c->max_steps, 0, 2e9, err)) ||
        (rc = check_range("time-limit", c->time_limit, 0, 1e9, err)) ||
        (rc = check_range("lr", c->lr, 0, 1e6, err)) ||
        (rc = check_range("decay-start", c->decay_start, 0, 1e9, err)) ||
        (rc = check_range("lr-warmup", c->lr_warmup, 0, 2e9, err)) ||
        (rc = check_range("lr-decay-inv-sqrt", c->lr_decay_inv_sqrt, 0, 2e9, err)) ||
        (rc = check_range("clip", c->clip, 0, 1e9, err)) ||
        (rc = check_range("init", c->init, 0, 10, err)) ||
        (rc = check_range("dropout", c->dropout, 0, 0.99, err)) ||
        (rc = check_range("label-smoothing", c->label_smoothing, 0, 0.99, err)) ||
        (rc = check_range("bpe-dropout", c->bpe_dropout, 0, 0.99, err)) ||
        (rc = check_range("exponential-smoothing", c->exp_smoothing, 0, 0.5, err)) ||
        (rc = check_range("threads", c->threads, 1, 1024, err)) ||
        (rc = check_range("max-len", c->max_len, 1, 100000, err)) ||
        (rc = check_range("valid-every", c->valid_every, 0, 2e9, err)) ||
        (rc = check_range("save-every", c->save_every, 0, 2e9, err)) ||
        (rc = check_range("report-every", c->report_every, 0, 1e9, err)) ||
        (rc = check_range("bpe-merges", c->bpe_merges, 0, 10000000, err)) ||
        (rc = check_range("valid-beam", c->valid_beam, 1, 64, err)) ||
        (rc = check_valid_metrics(c, err)) ||
        (rc = check_range("patience", c->patience, 0, 1000000, err)) ||
        (rc = check_range("keep-checkpoints", c->keep_checkpoints, 0, TRAIN_MAX_KEPT, err)) ||
        (rc = check_range("max-line-bytes", c->max_line_bytes, 1, (double)S2S_MAX_LINE_LIMIT, err)))
        return rc;
    ModelArch arch;
    CellKind cell;
    if (c->arch && model_arch_from_name(c->arch, &arch))
        return s2s_fail(err, S2S_EINVAL, "--arch: '%s' is not seq2seq, encdec or attention", c->arch);
    AttnScore score;
    if (c->attention && attn_score_from_name(c->attention, &score))
        return s2s_fail(err, S2S_EINVAL, "--attention: '%s' is not general, dot or mlp", c->attention);
    if (c->cell && cell_from_name(c->cell, &cell))
        return s2s_fail(err, S2S_EINVAL, "--cell: '%s' is not lstm, gru or rnn", c->cell);
    Tokenizer tk = {0};
    if (c->tokenizer && tokenizer_from_name(&tk, c->tokenizer, NULL))
        return s2s_fail(err, S2S_EINVAL, "--tokenizer: '%s' is not bpe, word or none", c->tokenizer);
    if (c->bpe_codes && c->tokenizer && tk.kind != TOKENIZER_BPE)
        return s2s_fail(err, S2S_EINVAL, "--bpe-codes is for --tokenizer bpe (--tokenizer %s makes "
                        "no subwords)", c->tokenizer);
    if (c->optim && strcmp(c->optim, "sgd") && strcmp(c->optim, "adam"))
        return s2s_fail(err, S2S_EINVAL, "--optim: '%s' is not sgd or adam", c->optim);
    const char *arch_name = c->arch ? c->arch : TRAIN_DEFAULT_ARCH;
    if (c->bidirectional && strcmp(arch_name, "attention") != 0)
        return s2s_fail(err, S2S_EINVAL, "--bidirectional is for --arch attention (the others "
                        "start the decoder from one direction's final state alone)");
    if (c->tied_embeddings && strcmp(arch_name, "encdec") == 0)
        return s2s_fail(err, S2S_EINVAL, "--tied-embeddings: encdec's output layer reads "
                        "[h; embedding; c], wider than the embeddings (use seq2seq or attention)");
    if (c->tied_embeddings && c->embed != c->hidden)
        return s2s_fail(err, S2S_EINVAL, "--tied-embeddings needs --embed equal to --hidden (the "
                        "output layer reads h): got %d and %d", c->embed, c->hidden);
    if (c->epochs == 0 && c->max_steps == 0 && c->time_limit == 0)
        return s2s_fail(err, S2S_EINVAL, "--epochs 0 needs --max-steps or --time-limit");
    const char *langs[2] = {c->src_lang, c->tgt_lang};
    for (int k = 0; k < 2; k++) {
        size_t n = langs[k] ? strlen(langs[k]) : 1;
        if (n < 1 || n > 15 || (langs[k] && strspn(langs[k], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != n))
            return s2s_fail(err, S2S_EINVAL, "--%s: '%s' is not a language code (1 to 15 letters, "
                            "digits, - or _: de, en, pt-BR)", k ? "tgt-lang" : "src-lang", langs[k]);
    }
    if (c->early_stopping_on && strcmp(c->early_stopping_on, "any") && strcmp(c->early_stopping_on, "first"))
        return s2s_fail(err, S2S_EINVAL, "--early-stopping-on: '%s' is not any or first",
                        c->early_stopping_on);
    return 0;
}

int train_config_copy(TrainConfig *dst, const TrainConfig *src, S2sErr *err)
{
    *dst = *src;
    for (int i = 0; i < train_noptions; i++)
        if (train_options[i].type == OPT_STR)
            *str_field(dst, i) = NULL;
    for (int i = 0; i < train_noptions; i++) {
        if (train_options[i].type != OPT_STR)
            continue;
        const char *s = *(char *const *)((const char *)src + train_options[i].offset);
        if (s && set_str(dst, i, s, err)) {
            train_config_free(dst);
            return S2S_ENOMEM;
        }
    }
    return 0;
}

const char *train_option_text(const TrainConfig *c, int i, char *buf, size_t cap)
{
    const TrainOption *o = &train_options[i];
    const void *field = (const char *)c + o->offset;
    if (o->type == OPT_STR)
        snprintf(buf, cap, "%s", *(char *const *)field ? *(char *const *)field : "(none)");
    else if (o->type == OPT_FLOAT)
        snprintf(buf, cap, "%g", *(const double *)field);
    else if (o->type == OPT_FLAG)
        snprintf(buf, cap, "%s", *(const int *)field ? "true" : "false");
    else
        snprintf(buf, cap, "%d", *(const int *)field);
    return buf;
}

int train_option_equal(const TrainConfig *a, const TrainConfig *b, int i)
{
    char x[512], y[512];
    return strcmp(train_option_text(a, i, x, sizeof x), train_option_text(b, i, y, sizeof y)) == 0;
}

int train_valid_metrics(const TrainConfig *c, int *bleu, int *chrf, int *first, S2sErr *err)
{
    *bleu = c->valid_bleu, *chrf = 0, *first = c->valid_bleu ? VALID_BLEU : VALID_PPL;
    if (!c->valid_metrics)
        return 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", c->valid_metrics);
    int n = 0;
    for (char *save = NULL, *m = strtok_r(buf, ",", &save); m; m = strtok_r(NULL, ",", &save), n++) {
        int k = !strcmp(m, "ppl") || !strcmp(m, "perplexity") || !strcmp(m, "cross-entropy") ||
                        !strcmp(m, "ce-mean-words") ? VALID_PPL
                : !strcmp(m, "bleu") || !strcmp(m, "bleu-detok") ? VALID_BLEU
                : !strcmp(m, "chrf") ? VALID_CHRF : -1;
        if (k < 0)
            return s2s_fail(err, S2S_EINVAL, "--valid-metrics: unknown metric '%s' (ppl, bleu, chrf)", m);
        if (n == 0)
            *first = k;
        *bleu |= k == VALID_BLEU, *chrf |= k == VALID_CHRF;
    }
    return 0;
}

/* ---- where the options come from: defaults < checkpoint < --config file < command line ---- */

enum { CONFIG_MAX_BYTES = 1 << 20 };

/* Reads all of path, at most CONFIG_MAX_BYTES (/dev/zero is not a config
 * file): *len bytes into *out (owned by the caller, NUL-terminated). */
static int read_small_file(const char *path, char **out, size_t *len, S2sErr *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return s2s_fail(err, S2S_EIO, "%s: cannot open", path);
    char *buf = malloc(CONFIG_MAX_BYTES + 2);
    *len = buf ? fread(buf, 1, CONFIG_MAX_BYTES + 1, f) : 0;
    int bad = ferror(f), rc = 0;
    fclose(f);
    if (!buf)
        rc = s2s_fail(err, S2S_ENOMEM, "%s: out of memory", path);
    else if (bad)
        rc = s2s_fail(err, S2S_EIO, "%s: read failed", path);
    else if (*len > CONFIG_MAX_BYTES)
        rc = s2s_fail(err, S2S_EFORMAT, "%s: larger than %d bytes (not a config file?)", path,
                      CONFIG_MAX_BYTES);
    if (rc) {
        free(buf);
        return rc;
    }
    buf[*len] = '\0';
    *out = buf;
    return 0;
}

/* One JSON value, read strictly (json.h: no NUL, no key twice, nothing
 * after it but white space). */
static int read_json_file(const char *path, cJSON **out, S2sErr *err)
{
    char *buf = NULL;
    size_t len = 0;
    int rc = read_small_file(path, &buf, &len, err);
    if (!rc)
        rc = json_parse(buf, len, 0, NULL, out, err);
    free(buf);
    return rc ? s2s_wrap(err, rc, path) : 0;
}

/* Options from a JSON object, over the defaults, with the set flags. */
static int options_from_json(TrainConfig *c, const cJSON *obj, const char *origin, S2sErr *err)
{
    train_config_defaults(c);
    return train_config_from_json(c, obj, origin, err);
}

static int load_config_file(TrainConfig *file, const char *path, S2sErr *err)
{
    size_t n = strlen(path);
    if ((n > 4 && !strcmp(path + n - 4, ".yml")) || (n > 5 && !strcmp(path + n - 5, ".yaml")))
        return s2s_fail(err, S2S_EINVAL, "%s: YAML configs are not read: --config takes JSON (the "
                                         "option names as keys; s2s train --dump-config writes one)", path);
    cJSON *json = NULL;
    int rc = read_json_file(path, &json, err);
    if (!rc && cJSON_GetObjectItemCaseSensitive(json, "config"))
        rc = s2s_fail(err, S2S_EINVAL, "%s: \"config\" cannot be set in a config file", path);
    if (!rc)
        rc = options_from_json(file, json, path, err);
    cJSON_Delete(json);
    return rc;
}

/* The options saved in the checkpoint that carry over to a resumed run:
 * those of the model, the data and the optimisation. Not the files that
 * run wrote (--log, --valid-translation-output: a resumed run writes them
 * only when asked again, so a checkpoint never chooses what gets written;
 * --model is the --resume file unless given) nor how it was invoked. */
static int checkpoint_options(TrainConfig *ck, const Checkpoint *cp, const char *path, S2sErr *err)
{
    const cJSON *opts = cJSON_GetObjectItemCaseSensitive(cp->train, "options");
    if (!opts)
        return s2s_fail(err, S2S_EFORMAT, "%s: holds no training options to resume from", path);
    int rc = options_from_json(ck, opts, path, err);
    /* Checkpoints from before --optim were trained with SGD, then the default. */
    if (!rc && !cJSON_GetObjectItemCaseSensitive(opts, "optim"))
        rc = train_config_set(ck, train_option_index("optim"), "sgd", err);
    static const char *not_carried[] = {"resume", "config", "overwrite", "log",
                                        "valid-translation-output", "model"};
    for (size_t k = 0; k < sizeof not_carried / sizeof *not_carried; k++)
        train_config_unset(ck, train_option_index(not_carried[k]));
    return rc;
}

static int check_fixed(const TrainConfig *ck, const TrainConfig *file, const TrainConfig *cli,
                       S2sErr *err)
{
    char have[512], want[512];
    for (int i = 0; i < train_noptions; i++) {
        if (!train_options[i].model)
            continue;
        const TrainConfig *given = cli->set[i] ? cli : file->set[i] ? file : NULL;
        if (given && !train_option_equal(given, ck, i))
            return s2s_fail(err, S2S_EINVAL, "--%s %s: cannot change when resuming (the model has %s)",
                            train_options[i].name, train_option_text(given, i, want, sizeof want),
                            train_option_text(ck, i, have, sizeof have));
    }
    return 0;
}

/* Adam's learning-rate schedule unless given: halved on a plateau of the
 * validation metrics, never per epoch (the fixed halving suits SGD, whose
 * default it stays: with Adam it took lr to 0.00025 by epoch 8). Resolved
 * here so that --dump-config and the checkpoint hold it. */
static void resolve_decay(TrainConfig *c)
{
    int ds = train_option_index("decay-start"), dp = train_option_index("decay-on-plateau");
    if (c->optim && strcmp(c->optim, "adam"))
        return;
    if (c->set[ds])
        return; /* --decay-start N asked for the halving per epoch (0: no decay) */
    c->decay_start = 0, c->set[ds] = 1;
    if (!c->set[dp])
        c->decay_on_plateau = 1, c->set[dp] = 1;
}

int train_config_resolve(TrainConfig *out, const TrainConfig *cli, Checkpoint *cp, int *resumed,
                         int need_data, S2sErr *err)
{
    TrainConfig file, ck;
    int rc = 0;
    train_config_defaults(&file);
    train_config_defaults(&ck);
    train_config_defaults(out);
    if (cli->config && (rc = load_config_file(&file, cli->config, err)))
        goto done;
    const char *resume = cli->resume ? cli->resume : file.resume;
    if (resume) {
        if ((rc = ckpt_load(resume, cp, err)) ||
            (rc = tmodel_check_fp32(&cp->tm, resume, "training", err)))
            goto done;
        *resumed = 1;
        if ((rc = checkpoint_options(&ck, cp, resume, err)) || (rc = check_fixed(&ck, &file, cli, err)) ||
            (rc = train_config_merge(out, &ck, err)))
            goto done;
        /* --resume FILE continues FILE (wherever it was first saved) unless --model says otherwise */
        if ((rc = train_config_set(out, train_option_index("model"), resume, err)))
            goto done;
    }
    if ((rc = train_config_merge(out, &file, err)) || (rc = train_config_merge(out, cli, err)))
        goto done;
    if (!out->model && (rc = train_config_set(out, train_option_index("model"), "model.s2s", err)))
        goto done;
    rc = train_config_check(out, err);
    if (!rc)
        resolve_decay(out);
    if (!rc && need_data && (!out->src || !out->tgt))
        rc = s2s_fail(err, S2S_EINVAL, "--src and --tgt are required");
done:
    train_config_free(&file);
    train_config_free(&ck);
    return rc;
}
