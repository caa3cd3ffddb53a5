#include "s2s/train/train.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "s2s/base/fileio.h"
#include "s2s/nn/blas.h"
#include "s2s/nn/optim.h"
#include "s2s/text/textio.h"
#include "s2s/train/dist.h"

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- training state <-> checkpoint JSON ---- */

cJSON *train_state_to_json(const TrainConfig *c, const TrainState *st)
{
    char rng[32];
    cJSON *root = cJSON_CreateObject();
    cJSON_AddItemToObject(root, "options", train_config_to_json(c));
    cJSON *s = cJSON_AddObjectToObject(root, "state");
    cJSON_AddNumberToObject(s, "step", (double)st->step);
    cJSON_AddNumberToObject(s, "epoch", st->epoch);
    cJSON_AddNumberToObject(s, "batch_in_epoch", st->batch_in_epoch);
    cJSON_AddNumberToObject(s, "lr", st->lr);
    cJSON_AddNumberToObject(s, "best_valid_ppl", st->best_valid_ppl);
    cJSON_AddNumberToObject(s, "best_valid_bleu", st->best_valid_bleu);
    cJSON_AddNumberToObject(s, "best_valid_chrf", st->best_valid_chrf);
    cJSON_AddNumberToObject(s, "bad_valids", st->bad_valids);
    cJSON_AddNumberToObject(s, "elapsed", st->elapsed);
    cJSON_AddNumberToObject(s, "tgt_tokens", (double)st->tgt_tokens);
    snprintf(rng, sizeof rng, "%016" PRIx64, st->rng.state);
    cJSON_AddStringToObject(s, "rng", rng);
    if (st->nkept > 0) {
        cJSON *kept = cJSON_AddArrayToObject(s, "kept_steps");
        for (int i = 0; i < st->nkept; i++)
            cJSON_AddItemToArray(kept, cJSON_CreateNumber((double)st->kept[i]));
    }
    return root;
}

static int state_number(const cJSON *s, const char *key, double lo, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(s, key);
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= lo) || !isfinite(v->valuedouble))
        return -1;
    *out = v->valuedouble;
    return 0;
}

/* "kept_steps" (absent before --keep-checkpoints): increasing step numbers. */
static int kept_from_json(TrainState *st, const cJSON *kept, const char *origin, S2sErr *err)
{
    const cJSON *v;
    st->nkept = 0;
    if (!kept)
        return 0;
    if (!cJSON_IsArray(kept) || cJSON_GetArraySize(kept) > TRAIN_MAX_KEPT + 1)
        return s2s_fail(err, S2S_EFORMAT, "%s: corrupt training state (kept_steps)", origin);
    cJSON_ArrayForEach(v, kept) {
        if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0 && v->valuedouble <= 9e15) ||
            (st->nkept && (long)v->valuedouble <= st->kept[st->nkept - 1]))
            return s2s_fail(err, S2S_EFORMAT, "%s: corrupt training state (kept_steps)", origin);
        st->kept[st->nkept++] = (long)v->valuedouble;
    }
    return 0;
}

int train_state_from_json(TrainState *st, const cJSON *train, const char *origin, S2sErr *err)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(train, "state");
    const cJSON *rng = cJSON_GetObjectItemCaseSensitive(s, "rng");
    double step, epoch, batch, tokens;
    char *end = NULL;
    memset(st, 0, sizeof *st);
    if (!cJSON_IsObject(s) || state_number(s, "step", 0, &step) ||
        state_number(s, "epoch", 1, &epoch) || state_number(s, "batch_in_epoch", 0, &batch) ||
        state_number(s, "lr", 0, &st->lr) || state_number(s, "best_valid_ppl", 0, &st->best_valid_ppl) ||
        state_number(s, "elapsed", 0, &st->elapsed) || state_number(s, "tgt_tokens", 0, &tokens) ||
        !cJSON_IsString(rng))
        return s2s_fail(err, S2S_EFORMAT, "%s: no usable training state to resume from", origin);
    errno = 0;
    st->rng.state = strtoull(rng->valuestring, &end, 16);
    if (errno || *end || epoch > 1e9 || batch > 1e9 || step > 9e15 || tokens > 9e15)
        return s2s_fail(err, S2S_EFORMAT, "%s: corrupt training state", origin);
    st->step = (long)step, st->epoch = (int)epoch, st->batch_in_epoch = (int)batch;
    double bleu = -1, bad = 0; /* absent in checkpoints from before --valid-bleu */
    state_number(s, "best_valid_bleu", -1, &bleu);
    state_number(s, "best_valid_chrf", -1, &st->best_valid_chrf); /* absent before --valid-metrics */
    state_number(s, "bad_valids", 0, &bad);
    st->best_valid_bleu = bleu, st->bad_valids = bad < 1e9 ? (int)bad : 0;
    st->tgt_tokens = (long)tokens;
    return kept_from_json(st, cJSON_GetObjectItemCaseSensitive(s, "kept_steps"), origin, err);
}

/* ---- set-up ---- */

/* The output `opt` (path out) is none of the inputs. */
static int not_an_input(const char *opt, const char *out, const char *const *inputs, int n,
                        S2sErr *err)
{
    int rc = fileio_check_output(out, inputs, n, err);
    if (rc) {
        char why[sizeof err->msg];
        snprintf(why, sizeof why, "%s", err->msg);
        return s2s_fail(err, rc, "--%s %s", opt, why);
    }
    return 0;
}

/* The files a run writes: none an input, none another, each one writable. */
static int check_outputs(const TrainConfig *c, const char *const *inputs, int n, S2sErr *err)
{
    const char *vo = c->valid_output;
    int rc;
    if ((rc = not_an_input("model", c->model, inputs, n, err)) ||
        (c->log && (rc = not_an_input("log", c->log, inputs, n, err))) ||
        (vo && (rc = not_an_input("valid-translation-output", vo, inputs, n, err))))
        return rc;
    if (c->log && fileio_same_output(c->log, c->model))
        return s2s_fail(err, S2S_EIO, "--log %s is the --model: refusing to write both to one file",
                        c->log);
    if (vo && fileio_same_output(vo, c->model))
        return s2s_fail(err, S2S_EIO, "--valid-translation-output %s is the --model: refusing to "
                        "write both to one file", vo);
    if (vo && c->log && fileio_same_output(vo, c->log))
        return s2s_fail(err, S2S_EIO, "--valid-translation-output %s is the --log: refusing to "
                        "write both to one file", vo);
    if ((rc = fileio_check_writable(c->model, err)) ||
        (c->log && (rc = fileio_check_appendable(c->log, err))))
        return rc;
    if (vo && (rc = fileio_check_writable(vo, err)))
        return rc == S2S_EINVAL ? rc : S2S_EIO;
    return 0;
}

int train_check_files(const TrainConfig *c, S2sErr *err)
{
    const char *all[] = {c->src, c->tgt, c->valid_src, c->valid_tgt, c->bpe_codes, c->config};
    const char *inputs[7];
    int n = 0, rc;
    for (int i = 0; i < 6; i++)
        if (all[i])
            inputs[n++] = all[i];
    if ((rc = check_outputs(c, inputs, n, err)))
        return rc;
    /* --log and the translations are no more the checkpoint resumed than an input */
    if (c->resume && ((c->log && (rc = not_an_input("log", c->log, (const char *const *)&c->resume, 1, err))) ||
                      (c->valid_output &&
                       (rc = not_an_input("valid-translation-output", c->valid_output, (const char *const *)&c->resume,
                                          1, err)))))
        return rc;
    if (c->overwrite || access(c->model, F_OK) != 0 ||
        (c->resume && fileio_same_file(c->model, c->resume)))
        return 0;
    if (c->resume)
        return s2s_fail(err, S2S_EINVAL, "--model %s exists and is not the --resume file %s: "
                        "add --overwrite to replace it", c->model, c->resume);
    return s2s_fail(err, S2S_EINVAL, "--model %s exists: add --resume %s to continue training it, "
                    "or --overwrite to start afresh", c->model, c->model);
}

/* A vocabulary of the special tokens alone: --min-freq is above every
 * count, or no word could enter (the words spell special tokens such as
 * <unk>, or hold control characters, which are left to <unk>). */
static int no_word_left(const VocabCounter *c, const char *side, const char *path, int min_freq,
                        S2sErr *err)
{
    long most = vocab_counter_most(c);
    if (most == 0)
        return s2s_fail(err, S2S_EINVAL, "%s: no %s word to learn: its words are special tokens "
                        "(such as <unk>) or hold control characters", path, side);
    char times[32];
    snprintf(times, sizeof times, most == 1 ? "once" : "%ld times", most);
    return s2s_fail(err, S2S_EINVAL,
                    "%s: no %s word occurs %d times or more (the most frequent occurs %s): "
                    "lower --min-freq", path, side, min_freq, times);
}

static int build_vocabs(Trainer *t, const TextPairs *tp, S2sErr *err)
{
    VocabCounter sc, tc;
    int rc = vocab_counter_init(&sc, err);
    if (rc)
        return rc;
    if ((rc = vocab_counter_init(&tc, err)))
        goto done;
    if ((rc = textpairs_count(tp, &sc, &tc, err)) ||
        (rc = vocab_build(&t->tm.src_vocab, &sc, t->cfg.src_vocab, t->cfg.min_freq, err)) ||
        (rc = vocab_build(&t->tm.tgt_vocab, &tc, t->cfg.tgt_vocab, t->cfg.min_freq, err)))
        goto done;
    if (t->tm.src_vocab.size == VOCAB_NSPECIAL)
        rc = no_word_left(&sc, "source", t->cfg.src, t->cfg.min_freq, err);
    else if (t->tm.tgt_vocab.size == VOCAB_NSPECIAL)
        rc = no_word_left(&tc, "target", t->cfg.tgt, t->cfg.min_freq, err);
done:
    vocab_counter_free(&tc);
    vocab_counter_free(&sc);
    return rc;
}

/* Reads one pair of files into c; builds the vocabularies first if asked. */
static int read_corpus(Trainer *t, Corpus *c, const char *src, const char *tgt, int max_len,
                       int build, S2sErr *err)
{
    TextPairs tp;
    int rc = textpairs_read(&tp, src, tgt, &t->tm.tokenizer, t->cfg.max_line_bytes, err);
    if (rc)
        return rc;
    if (!build || !(rc = build_vocabs(t, &tp, err)))
        rc = corpus_build(c, &tp, &t->tm.src_vocab, &t->tm.tgt_vocab, max_len, err);
    textpairs_free(&tp);
    return rc;
}

static int new_model(Trainer *t, S2sErr *err)
{
    ModelConfig mc = {
        .src_vocab = t->tm.src_vocab.size, .tgt_vocab = t->tm.tgt_vocab.size,
        .embed = t->cfg.embed, .hidden = t->cfg.hidden, .layers = t->cfg.layers,
        .reverse = !t->cfg.no_reverse,
    };
    if (t->cfg.arch)
        model_arch_from_name(t->cfg.arch, &mc.arch); /* checked by train_config_check */
    if (t->cfg.cell)
        cell_from_name(t->cfg.cell, &mc.cell);
    mc.attn = ATTN_GENERAL;
    mc.tied = t->cfg.tied_embeddings;
    mc.bidir = t->cfg.bidirectional;
    if (t->cfg.attention)
        attn_score_from_name(t->cfg.attention, &mc.attn);
    Rng init;
    int rc = model_init(&t->tm.model, &mc, err);
    if (rc)
        return rc;
    rng_seed(&init, (uint64_t)t->cfg.seed);
    model_init_uniform(&t->tm.model, (float)t->cfg.init, &init);
    memset(&t->st, 0, sizeof t->st);
    t->st.epoch = 1;
    t->st.lr = t->cfg.lr;
    if (t->optim == OPTIM_ADAM && !t->cfg.set[train_option_index("lr")])
        t->st.lr = t->cfg.lr = TRAIN_ADAM_LR;
    t->st.best_valid_bleu = -1;
    t->st.best_valid_chrf = -1;
    rng_seed(&t->st.rng, (uint64_t)t->cfg.seed * 0x9e3779b97f4a7c15ULL + 1);
    return 0;
}

/* The tokenizer --tokenizer names; bpe learns its merges on the training
 * files (or reads --bpe-codes). */
static int make_tokenizer(Trainer *t, S2sErr *err)
{
    const TrainConfig *c = &t->cfg;
    const char *files[2] = {c->src, c->tgt};
    Bpe b;
    int rc = tokenizer_from_name(&t->tm.tokenizer, c->tokenizer ? c->tokenizer : "bpe", err);
    if (rc || t->tm.tokenizer.kind != TOKENIZER_BPE)
        return rc;
    memset(&b, 0, sizeof b);
    if (c->bpe_codes) {
        rc = bpe_load(&b, c->bpe_codes, err);
    } else {
        if (t->progress)
            fprintf(t->progress, "s2s train: learning %d BPE merges on %s and %s\n", c->bpe_merges,
                    c->src, c->tgt);
        rc = textio_learn_bpe(&b, files, 2, c->bpe_merges, 2, c->max_line_bytes, NULL, err);
        if (!rc && t->progress && b.nmerges < c->bpe_merges) /* no pair left seen twice */
            fprintf(t->progress, "s2s train: learned %d BPE merges, fewer than %d: no pair of symbols "
                                 "is left that occurs twice\n", b.nmerges, c->bpe_merges);
    }
    if (!rc)
        tokenizer_set_bpe(&t->tm.tokenizer, &b);
    return rc;
}

/* Records the tokenizer, architecture and cell in use, so that the
 * checkpoint's options name them (and --resume can compare). */
static int note_choices(Trainer *t, S2sErr *err)
{
    TrainConfig *c = &t->cfg;
    int rc = train_config_set(c, train_option_index("tokenizer"), tokenizer_name(&t->tm.tokenizer), err);
    if (!rc)
        rc = train_config_set(c, train_option_index("arch"), model_arch_name(t->tm.model.cfg.arch), err);
    if (!rc)
        rc = train_config_set(c, train_option_index("cell"), cell_name(t->tm.model.cfg.cell), err);
    if (!rc)
        rc = train_config_set(c, train_option_index("optim"), t->optim ? "adam" : "sgd", err);
    if (!rc && model_attends(&t->tm.model.cfg))
        rc = train_config_set(c, train_option_index("attention"), attn_score_name(t->tm.model.cfg.attn),
                              err);
    return rc;
}

/* Takes model, vocabularies, tokenizer and state over from a checkpoint. */
static int adopt_checkpoint(Trainer *t, Checkpoint *ck, S2sErr *err)
{
    int rc = train_state_from_json(&t->st, ck->train, t->cfg.resume, err);
    if (rc)
        return rc;
    t->tm.model = ck->tm.model;
    t->tm.src_vocab = ck->tm.src_vocab;
    t->tm.tgt_vocab = ck->tm.tgt_vocab;
    t->tm.tokenizer = ck->tm.tokenizer;
    memset(&ck->tm.tokenizer, 0, sizeof ck->tm.tokenizer);
    memset(&ck->tm.model, 0, sizeof ck->tm.model);
    memset(&ck->tm.src_vocab, 0, sizeof ck->tm.src_vocab);
    memset(&ck->tm.tgt_vocab, 0, sizeof ck->tm.tgt_vocab);
    if (ck->raw) { /* a smoothed model: training goes on from the raw weights */
        float *smoothed = t->tm.model.params;
        t->tm.model.params = ck->raw;
        ck->raw = NULL;
        if (t->cfg.exp_smoothing > 0)
            t->ema = smoothed;
        else
            free(smoothed);
    }
    model_tensors(&t->tm.model, t->tm.model.params, &t->tm.model.w);
    if (t->optim == OPTIM_ADAM && !ck->opt_state)
        return s2s_fail(err, S2S_EINVAL,
                        "%s: has no Adam moments to resume from (a --keep-best copy?); "
                        "resume from the latest checkpoint", t->cfg.resume);
    t->opt_state = ck->opt_state; /* taken over (NULL for SGD) */
    ck->opt_state = NULL;
    return 0;
}

static int max_int(int a, int b) { return a > b ? a : b; }

/* What one shard of `total` must hold: --batch pairs of the longest
 * training or validation sentences, or (--batch-words) the largest slice
 * of a training or validation batch. */
static BatchCap shard_cap(const Trainer *t, int total)
{
    if (t->cfg.batch_words > 0) {
        BatchCap cap = batcher_shard_cap(&t->batcher, &t->train, total);
        if (t->has_valid)
            cap = batch_cap_max(cap, batcher_shard_cap(&t->valid_batcher, &t->valid, total));
        return cap;
    }
    int ms = max_int(t->train.max_src_len, t->has_valid ? t->valid.max_src_len : 1);
    int mt = max_int(t->train.max_tgt_len, t->has_valid ? t->valid.max_tgt_len : 1);
    return batch_cap((t->cfg.batch + total - 1) / total, ms, mt);
}

static int make_batchers(Trainer *t, S2sErr *err)
{
    long w = t->cfg.batch_words;
    if (w <= 0)
        return batcher_init(&t->batcher, &t->train, t->cfg.batch, err);
    int rc = batcher_init_words(&t->batcher, &t->train, w, err);
    if (!rc && t->has_valid)
        rc = batcher_init_words(&t->valid_batcher, &t->valid, w, err);
    return rc;
}

static int alloc_buffers(Trainer *t, S2sErr *err)
{
    int rc = make_batchers(t, err);
    int T = t->cfg.threads, N = dist_size();
    if (N == 1 && t->cfg.batch_words <= 0) /* no more shards than pairs */
        T = T < t->cfg.batch ? T : t->cfg.batch;
    BatchCap cap = shard_cap(t, N * T);
    /* rank r runs shards r T .. r T + T - 1 of N T (dist.h) */
    if (!rc)
        rc = shards_init_part(&t->shards, &t->tm.model, T, dist_rank() * T, N * T, &cap, err);
    if (!rc && N > 1 && (!(t->dist_scratch = s2s_malloc(t->tm.model.nparams * sizeof(float))) ||
                         !(t->shares = s2s_calloc((size_t)N, sizeof(StepShare)))))
        rc = s2s_fail(err, S2S_ENOMEM, "out of memory for the gradient exchange");
    for (int i = 0; !rc && i < t->shards.n; i++) /* the training target; validation is plain NLL */
        t->shards.shard[i].ws.label_smoothing = (float)t->cfg.label_smoothing;
    size_t nst = (size_t)optim_state_per_param(t->optim) * t->tm.model.nparams;
    if (!rc && nst && !t->opt_state && !(t->opt_state = calloc(nst, sizeof(float))))
        rc = s2s_fail(err, S2S_ENOMEM, "out of memory for the optimizer state (%zu floats)", nst);
    size_t n = t->tm.model.nparams;
    if (!rc && t->cfg.exp_smoothing > 0 && !t->ema) { /* the average starts at the weights */
        if (!(t->ema = s2s_malloc(n * sizeof(float))))
            return s2s_fail(err, S2S_ENOMEM, "out of memory for the smoothed weights");
        memcpy(t->ema, t->tm.model.params, n * sizeof(float));
    }
    return rc;
}

static int open_log(Trainer *t, S2sErr *err)
{
    if (!t->cfg.log || dist_rank() != 0) /* rank 0 writes every file */
        return 0;
    t->log = fopen(t->cfg.log, "a");
    if (!t->log)
        return s2s_fail(err, S2S_EIO, "%s: cannot open for appending: %s", t->cfg.log,
                        strerror(errno));
    return 0;
}

int trainer_init(Trainer *t, const TrainConfig *cfg, Checkpoint *resume, FILE *progress,
                 S2sErr *err)
{
    memset(t, 0, sizeof *t);
    t->progress = progress;
    int rc = train_config_copy(&t->cfg, cfg, err);
    if (rc)
        return rc;
    t->optim = cfg->optim && strcmp(cfg->optim, "sgd") == 0 ? OPTIM_SGD : OPTIM_ADAM;
    t->model_good = resume && fileio_same_file(cfg->model, cfg->resume);
    if (resume)
        rc = adopt_checkpoint(t, resume, err);
    else
        rc = make_tokenizer(t, err);
    if (rc || (rc = read_corpus(t, &t->train, cfg->src, cfg->tgt, cfg->max_len, !resume, err)))
        goto fail;
    if (cfg->valid_src) {
        if ((rc = read_corpus(t, &t->valid, cfg->valid_src, cfg->valid_tgt, 0, 0, err)))
            goto fail;
        t->has_valid = 1;
        if ((rc = train_valid_metrics(cfg, &t->vm_bleu, &t->vm_chrf, &t->vm_first, err)) ||
            ((t->vm_bleu || t->vm_chrf) &&
             (rc = raw_lines_read(&t->valid_refs, cfg->valid_tgt, cfg->max_line_bytes, err))))
            goto fail;
    }
    if ((!resume && (rc = new_model(t, err))) || (rc = note_choices(t, err)) ||
        (rc = alloc_buffers(t, err)) || (rc = blas_check_memory(cfg->threads, err)) ||
        (rc = open_log(t, err)))
        goto fail;
    blas_set_threads(t->shards.n > 1 ? 1 : cfg->threads); /* the shards share the cores */
    return 0;
fail:
    trainer_free(t);
    return rc;
}

void trainer_free(Trainer *t)
{
    if (t->log)
        fclose(t->log);
    shards_free(&t->shards);
    batcher_free(&t->batcher);
    batcher_free(&t->valid_batcher);
    corpus_free(&t->valid);
    corpus_free(&t->train);
    raw_lines_free(&t->valid_refs);
    translator_free(&t->valid_tr);
    model_free(&t->tm.model);
    free(t->opt_state);
    free(t->ema);
    free(t->dist_scratch);
    free(t->shares);
    vocab_free(&t->tm.src_vocab);
    vocab_free(&t->tm.tgt_vocab);
    tokenizer_free(&t->tm.tokenizer);
    train_config_free(&t->cfg);
    memset(t, 0, sizeof *t);
}

/* ---- several processes (dist.h) ---- */

/* *sh becomes the sum of every rank's, added in rank order (so one rank
 * with N shards and N ranks with one shard each add the same numbers in
 * the same order). One rank: unchanged. */
static void gather_step(Trainer *t, StepShare *sh)
{
    int N = dist_size();
    if (N == 1)
        return;
    dist_allgather(sh, t->shares, sizeof *sh);
    StepShare sum = {0};
    for (int r = 0; r < N; r++) {
        const StepShare *o = &t->shares[r];
        sum.nll += o->nll, sum.tgt += o->tgt, sum.src += o->src, sum.slots += o->slots;
        sum.signalled |= o->signalled;
    }
    *sh = sum;
}

/* ---- evaluation ---- */

/* The summed NLL of pairs[0..n) of c, every rank's shards of it. */
static void perplexity_batch(Trainer *t, const Corpus *c, const int *pairs, int n, double *nll,
                             long *tokens)
{
    StepShare sh = {0};
    sh.nll = shards_compute(&t->shards, &t->tm.model, c, pairs, n, t->tm.model.cfg.reverse, 0, 0.0f,
                            NULL, &sh.tgt, NULL, NULL);
    gather_step(t, &sh); /* each rank ran its shards of the batch */
    *nll += sh.nll, *tokens += sh.tgt;
}

static size_t corpus_bytes(const Corpus *c)
{
    return (size_t)(c->src_tokens + c->tgt_tokens) * sizeof(int32_t) +
           (size_t)c->npairs * 3 * sizeof(int);
}

void trainer_memory(const Trainer *t, TrainMemory *mem)
{
    size_t P = t->tm.model.nparams * sizeof(float);
    memset(mem, 0, sizeof *mem);
    mem->shards = t->shards.n;
    mem->params = P;
    mem->optim = (size_t)optim_state_per_param(t->optim) * P;
    for (int i = 0; i < t->shards.n; i++) {
        mem->grads += P;
        mem->acts += t->shards.shard[i].ws.arena_floats * sizeof(float);
    }
    mem->other = (t->ema ? P : 0) + (t->dist_scratch ? P : 0) + corpus_bytes(&t->train) +
                 (t->has_valid ? corpus_bytes(&t->valid) : 0);
}

double trainer_perplexity(Trainer *t, const Corpus *c)
{
    double nll = 0.0;
    long tokens = 0;
    const Batcher *vb = &t->valid_batcher;
    if (t->cfg.batch_words > 0 && c == &t->valid) { /* the validation batcher's batches */
        for (int k = 0; k < vb->nbatches; k++)
            perplexity_batch(t, c, vb->order + vb->start[k], vb->start[k + 1] - vb->start[k],
                             &nll, &tokens);
        return exp(nll / (double)(tokens ? tokens : 1));
    }
    int *pairs = s2s_malloc(sizeof(int) * (size_t)t->cfg.batch);
    if (!pairs)
        return NAN;
    for (int i = 0; i < c->npairs; i += t->cfg.batch) {
        int n = c->npairs - i < t->cfg.batch ? c->npairs - i : t->cfg.batch;
        for (int k = 0; k < n; k++)
            pairs[k] = i + k;
        perplexity_batch(t, c, pairs, n, &nll, &tokens);
    }
    free(pairs);
    return exp(nll / (double)(tokens ? tokens : 1));
}

/* ---- the loop ---- */

typedef struct {
    double t0;          /* wall clock at the start of this run */
    double last_report; /* wall clock of the last progress line */
    double nll;         /* since the last report */
    long tokens, steps;
    long src_tokens, slots; /* source tokens; padded positions of both sides */
    long saved_step;    /* step of the last save, -1 if none in this run */
} Meter;

static double elapsed(const Trainer *t, const Meter *m)
{
    return t->st.elapsed + (now_seconds() - m->t0);
}

/* --exponential-smoothing: swaps the raw and the smoothed weights in the
 * model (validation and saving see the smoothed ones); a second call
 * swaps them back. */
static void swap_smoothed(Trainer *t)
{
    float *p = t->tm.model.params;
    t->tm.model.params = t->ema;
    t->ema = p;
    model_tensors(&t->tm.model, t->tm.model.params, &t->tm.model.w);
}

/* The checkpoint: the parameters (with --exponential-smoothing, the
 * smoothed ones, then the raw ones to resume from) and the optimizer's
 * state. */
static int save(Trainer *t, Meter *m, S2sErr *err)
{
    TrainState st = t->st;
    st.elapsed = elapsed(t, m);
    cJSON *train = train_state_to_json(&t->cfg, &st);
    if (t->ema)
        swap_smoothed(t);
    int rc = ckpt_save(t->cfg.model, &t->tm, &(CkptTraining){train, t->opt_state, t->ema}, err);
    if (t->ema)
        swap_smoothed(t);
    cJSON_Delete(train);
    if (!rc)
        m->saved_step = t->st.step, t->model_good = 1;
    return rc;
}

/* After a failure, what --model holds, into buf: "so M holds the last good
 * checkpoint", or that none was written. */
static const char *model_left(const Trainer *t, char *buf, size_t n)
{
    if (t->model_good)
        snprintf(buf, n, "so %s holds the last good checkpoint", t->cfg.model);
    else
        snprintf(buf, n, "and no checkpoint was written to %s", t->cfg.model);
    return buf;
}

/* One JSON line of --log. The first failed write is said at once and
 * kept in t->log_errno: training goes on, and the run then fails. */
static void log_line(Trainer *t, cJSON *o)
{
    char *s = cJSON_PrintUnformatted(o);
    if (s && t->log && !t->log_errno) {
        errno = 0;
        if (fprintf(t->log, "%s\n", s) < 0 || fflush(t->log)) {
            t->log_errno = errno ? errno : EIO;
            clearerr(t->log);
            fprintf(stderr, "s2s train: %s: write failed: %s (training goes on; the lines from "
                            "step %ld on are lost)\n", t->cfg.log, strerror(t->log_errno), t->st.step);
        }
    }
    cJSON_free(s);
    cJSON_Delete(o);
}

static long planned_steps(const Trainer *t)
{
    long by_epochs = t->cfg.epochs > 0 ? (long)t->cfg.epochs * t->batcher.nbatches : 0;
    long by_steps = t->cfg.max_steps;
    if (by_epochs && by_steps)
        return by_epochs < by_steps ? by_epochs : by_steps;
    return by_epochs ? by_epochs : by_steps;
}

/* Seconds left, from the steps planned and the time limit; < 0 unknown. */
static double eta(const Trainer *t, const Meter *m, double rate_steps)
{
    double left = -1, el = elapsed(t, m);
    long plan = planned_steps(t);
    if (plan > 0 && rate_steps > 0)
        left = (double)(plan - t->st.step) / rate_steps;
    if (t->cfg.time_limit > 0 && (left < 0 || t->cfg.time_limit - el < left))
        left = t->cfg.time_limit - el;
    return left;
}

/* Marian's log prefix: "[2026-12-01 18:00:00] " (local time). */
static void stamp(FILE *f)
{
    char buf[32];
    time_t now = time(NULL);
    struct tm tm;
    if (localtime_r(&now, &tm) && strftime(buf, sizeof buf, "[%Y-%m-%d %H:%M:%S] ", &tm))
        fputs(buf, f);
}

static void report(Trainer *t, Meter *m)
{
    double now = now_seconds(), dt = now - m->last_report;
    double loss = m->tokens ? m->nll / (double)m->tokens : 0.0;
    double tps = dt > 0 ? (double)m->tokens / dt : 0.0, sps = dt > 0 ? m->steps / dt : 0.0;
    if (t->progress) {
        double left = eta(t, m, sps);
        stamp(t->progress);
        fprintf(t->progress,
                "epoch %d step %ld loss %.4f ppl %.2f lr %.4g tgt tok/s %.0f elapsed %.0fs",
                t->st.epoch, t->st.step, loss, exp(loss), t->st.lr, tps, elapsed(t, m));
        if (left >= 0)
            fprintf(t->progress, " ETA %.0fs", left);
        fputc('\n', t->progress);
        fflush(t->progress);
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "step", (double)t->st.step);
    cJSON_AddNumberToObject(o, "epoch", t->st.epoch);
    cJSON_AddNumberToObject(o, "loss", loss);
    cJSON_AddNumberToObject(o, "ppl", exp(loss));
    cJSON_AddNumberToObject(o, "lr", t->st.lr);
    cJSON_AddNumberToObject(o, "tgt_tokens_per_s", tps);
    cJSON_AddNumberToObject(o, "src_tokens_per_s", dt > 0 ? (double)m->src_tokens / dt : 0.0);
    cJSON_AddNumberToObject(o, "pad_frac", m->slots ? 1.0 - (double)(m->tokens + m->src_tokens) / (double)m->slots : 0.0);
    cJSON_AddNumberToObject(o, "elapsed", elapsed(t, m));
    log_line(t, o);
    m->nll = 0, m->tokens = 0, m->steps = 0, m->src_tokens = 0, m->slots = 0, m->last_report = now;
}

/* MODEL.TAG.s2s beside MODEL.s2s (or MODEL.TAG): the --keep-best copy
 * (TAG "best") and the --keep-checkpoints ones ("stepS"). */
static void copy_path(const char *model, const char *tag, char *out, size_t cap)
{
    size_t n = strlen(model);
    if (n > 4 && strcmp(model + n - 4, ".s2s") == 0)
        snprintf(out, cap, "%.*s.%s.s2s", (int)(n - 4), model, tag);
    else
        snprintf(out, cap, "%s.%s", model, tag);
}

/* A translation model (no optimizer state) with the current training state, at path. */
static int save_copy(Trainer *t, Meter *m, const char *path, S2sErr *err)
{
    TrainState st = t->st;
    st.elapsed = elapsed(t, m);
    cJSON *train = train_state_to_json(&t->cfg, &st);
    if (t->ema)
        swap_smoothed(t);
    int rc = ckpt_save(path, &t->tm, &(CkptTraining){train, NULL, NULL}, err);
    if (t->ema)
        swap_smoothed(t);
    cJSON_Delete(train);
    return rc;
}

/* --keep-checkpoints: this step's copy, and the oldest deleted beyond N. */
static int keep_checkpoint(Trainer *t, Meter *m, S2sErr *err)
{
    char path[4200], tag[32];
    snprintf(tag, sizeof tag, "step%ld", t->st.step);
    copy_path(t->cfg.model, tag, path, sizeof path);
    S2S_INVARIANT(t->st.nkept <= TRAIN_MAX_KEPT + 1);
    t->st.kept[t->st.nkept++] = t->st.step;
    int rc = save_copy(t, m, path, err);
    while (!rc && t->st.nkept > t->cfg.keep_checkpoints) {
        snprintf(tag, sizeof tag, "step%ld", t->st.kept[0]);
        copy_path(t->cfg.model, tag, path, sizeof path);
        if (unlink(path) != 0 && errno != ENOENT && t->progress)
            fprintf(t->progress, "warning: cannot delete %s: %s\n", path, strerror(errno));
        memmove(t->st.kept, t->st.kept + 1, sizeof(long) * (size_t)--t->st.nkept);
    }
    return rc;
}

/* Whether this validation beats the best so far: by BLEU with --valid-bleu,
 * else by perplexity; updates the bests, the patience count and, with
 * --decay-on-plateau, the learning rate. */
static int improved(Trainer *t, double ppl, double bleu, double chrf)
{
    TrainState *st = &t->st;
    int better = t->vm_first == VALID_BLEU   ? bleu > st->best_valid_bleu
                 : t->vm_first == VALID_CHRF ? chrf > st->best_valid_chrf
                                             : st->best_valid_ppl == 0 || ppl < st->best_valid_ppl;
    if (st->best_valid_ppl == 0 || ppl < st->best_valid_ppl)
        st->best_valid_ppl = ppl;
    if (bleu > st->best_valid_bleu)
        st->best_valid_bleu = bleu;
    if (chrf > st->best_valid_chrf)
        st->best_valid_chrf = chrf;
    st->bad_valids = better ? 0 : st->bad_valids + 1;
    if (!better && t->cfg.decay_on_plateau)
        st->lr *= 0.5;
    if (t->cfg.patience > 0 && st->bad_valids >= t->cfg.patience)
        t->stop = 1;
    return better;
}

static void log_validation(Trainer *t, Meter *m, double ppl, double bleu, double chrf, int better)
{
    if (t->progress) {
        stamp(t->progress);
        fprintf(t->progress, "epoch %d step %ld valid ppl %.3f", t->st.epoch, t->st.step, ppl);
        if (t->vm_bleu)
            fprintf(t->progress, " BLEU %.2f", bleu);
        if (t->vm_chrf)
            fprintf(t->progress, " chrF %.2f", chrf);
        fprintf(t->progress, "%s%s\n", better ? " (best)" : t->cfg.decay_on_plateau ? " (no better: lr halved)" : "",
                t->stop ? " (out of patience: stopping)" : "");
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "step", (double)t->st.step);
    cJSON_AddNumberToObject(o, "epoch", t->st.epoch);
    cJSON_AddNumberToObject(o, "valid_ppl", ppl);
    cJSON_AddNumberToObject(o, "valid_loss", log(ppl));
    if (t->vm_bleu)
        cJSON_AddNumberToObject(o, "valid_bleu", bleu);
    if (t->vm_chrf)
        cJSON_AddNumberToObject(o, "valid_chrf", chrf);
    cJSON_AddNumberToObject(o, "lr", t->st.lr);
    cJSON_AddNumberToObject(o, "elapsed", elapsed(t, m));
    log_line(t, o);
}

/* The validation translations (rank 0): scores, and --valid-translation-output
 * written through a temporary file and renamed. */
static int translate_valid(Trainer *t, double *bleu, double *chrf, S2sErr *err)
{
    const TrainConfig *c = &t->cfg;
    FileReplace out = {0};
    int rc = 0;
    if (!t->valid_tr.d)
        rc = evaluate_init(&t->valid_tr, &t->tm.model, &t->valid, c->valid_beam, err);
    if (!rc && c->valid_output)
        rc = fileio_replace_open(&out, c->valid_output, err);
    if (!rc)
        rc = evaluate_translations(&t->valid_tr, &t->tm.tokenizer, &t->tm.tgt_vocab, &t->valid,
                                   t->vm_bleu || t->vm_chrf ? &t->valid_refs : NULL, out.f, bleu,
                                   t->vm_chrf ? chrf : NULL, err);
    if (rc && out.f)
        fileio_replace_abort(&out);
    else if (out.f)
        rc = fileio_replace_commit(&out, err);
    return rc;
}

/* Validation perplexity on every rank (each runs its shards of each
 * batch); the rest on rank 0 alone. */
static int validate(Trainer *t, Meter *m, S2sErr *err)
{
    if (t->ema) /* validation sees the smoothed weights */
        swap_smoothed(t);
    double ppl = trainer_perplexity(t, &t->valid), bleu = 0, chrf = 0;
    int rc = 0;
    if (dist_rank() != 0) {
        if (t->ema)
            swap_smoothed(t);
        return 0;
    }
    blas_set_threads(t->cfg.threads); /* decoding: one batch, all threads */
    if (t->vm_bleu || t->vm_chrf || t->cfg.valid_output)
        rc = translate_valid(t, &bleu, &chrf, err);
    blas_set_threads(t->shards.n > 1 ? 1 : t->cfg.threads);
    if (t->ema)
        swap_smoothed(t);
    if (rc)
        return rc;
    int better = improved(t, ppl, bleu, chrf);
    log_validation(t, m, ppl, bleu, chrf, better);
    if (better && t->cfg.keep_best && !t->diverging) {
        char path[4200];
        copy_path(t->cfg.model, "best", path, sizeof path);
        rc = save_copy(t, m, path, err);
    }
    if (!rc && t->cfg.keep_checkpoints > 0 && !t->diverging)
        rc = keep_checkpoint(t, m, err);
    return rc;
}

/* The optimizer's update of slice `part` of the parameters, on the
 * shards' threads (a pass over memory, not worth a thread of its own). */
typedef struct {
    Trainer *t;
    const float *grads;
    float gscale;
    float decay; /* --exponential-smoothing: this step's weight of the new weights */
} Update;

static void update_part(void *arg, int part)
{
    const Update *u = arg;
    Trainer *t = u->t;
    size_t n = t->tm.model.nparams, P = (size_t)t->shards.pool.n;
    size_t lo = n * (size_t)part / P, hi = n * (size_t)(part + 1) / P;
    float *p = t->tm.model.params + lo, lr = (float)t->st.lr;
    if (t->optim == OPTIM_ADAM) { /* every row: the moments of untouched ones decay */
        optim_adam(p, u->grads + lo, t->opt_state + lo, t->opt_state + n + lo, hi - lo, lr,
                   t->st.step + 1, u->gscale);
    } else { /* where the gradient is zero, SGD leaves the weights as they are */
        size_t *r = shards_ranges_buf(&t->shards, part);
        int nr = shards_live_ranges(&t->shards, lo, hi, r);
        for (int k = 0; k < nr; k++)
            optim_sgd(p + r[2 * k], u->grads + lo + r[2 * k], r[2 * k + 1] - r[2 * k], lr,
                      u->gscale);
    }
    if (t->ema)
        optim_smooth(t->ema + lo, p, hi - lo, u->decay);
}

/* Marian's decay at update t (1-based): max(alpha, 1 - (t + 1) / (t + 10)),
 * so that early on the average follows the weights closely. */
static float smoothing_decay(const Trainer *t)
{
    double s = (double)t->st.step + 1, early = 1.0 - (s + 1) / (s + 10);
    return (float)(t->cfg.exp_smoothing > early ? t->cfg.exp_smoothing : early);
}

/* A step's loss (per target token) against the uniform prediction's,
 * ln(target vocabulary): a perplexity that overflows, or a loss above twice
 * that bound for TRAIN_DIVERGED_STEPS steps in a row, is a diverged run. */
static int check_divergence(Trainer *t, double loss, S2sErr *err)
{
    double bound = 2.0 * log((double)t->tm.model.cfg.tgt_vocab);
    t->diverging = loss > bound ? t->diverging + 1 : 0;
    if (isfinite(exp(loss)) && t->diverging < TRAIN_DIVERGED_STEPS)
        return 0;
    char why[160];
    if (isfinite(exp(loss)))
        snprintf(why, sizeof why, "above 2 ln(target vocabulary) = %.3g for %d steps in a row",
                 bound, t->diverging);
    else
        snprintf(why, sizeof why, "an infinite perplexity");
    char left[sizeof err->msg];
    return s2s_fail(err, S2S_ENUMERIC,
                    "step %ld: training diverged (loss %.4g per token, %s); stopped without "
                    "saving, %s (try a lower --lr or --clip)",
                    t->st.step + 1, loss, why, model_left(t, left, sizeof left));
}

/* The gradient of the whole batch in shards_grads and its norm: this
 * process's shards combined, then (several ranks) summed over the ranks. */
static double reduce_grads(Trainer *t, long tokens)
{
    if (tokens > 0)
        shards_combine(&t->shards, tokens);
    if (dist_size() == 1)
        return shards_grad_norm(&t->shards);
    double sq = dist_sum_grads(shards_grads(&t->shards), t->tm.model.nparams, t->dist_scratch);
    shards_grads_filled(&t->shards); /* now with every rank's rows */
    return sqrt(sq);
}

/* One optimizer step on the next batch of the epoch. Every rank computes
 * the same: its errors are every rank's. */
static int train_step(Trainer *t, Meter *m, S2sErr *err)
{
    Model *mo = &t->tm.model;
    const Batcher *b = &t->batcher;
    int k = t->st.batch_in_epoch;
    StepShare sh = {0};
    sh.nll = shards_compute(&t->shards, mo, &t->train, b->order + b->start[k],
                            b->start[k + 1] - b->start[k], mo->cfg.reverse, 1,
                            (float)t->cfg.dropout, &t->st.rng, &sh.tgt, &sh.src, &sh.slots);
    sh.signalled = t->interrupt && *t->interrupt;
    gather_step(t, &sh);
    t->signalled |= sh.signalled;
    double nll = sh.nll, norm = reduce_grads(t, sh.tgt);
    char left[sizeof err->msg];
    if (!isfinite(nll) || !isfinite(norm))
        return s2s_fail(err, S2S_ENUMERIC,
                        "step %ld: the loss or gradient is not finite (loss %g, gradient norm %g); "
                        "stopped without saving, %s (try a lower --lr or --clip)",
                        t->st.step + 1, nll, norm, model_left(t, left, sizeof left));
    if (sh.tgt > 0 && check_divergence(t, nll / (double)sh.tgt, err))
        return S2S_ENUMERIC;
    Update u = {t, shards_grads(&t->shards), optim_clip_scale(norm, t->cfg.clip),
                smoothing_decay(t)};
    pool_run(&t->shards.pool, update_part, &u);
    t->st.step++;
    t->st.batch_in_epoch++;
    t->st.tgt_tokens += sh.tgt;
    m->nll += nll, m->tokens += sh.tgt, m->steps++;
    m->src_tokens += sh.src;
    m->slots += sh.slots;
    return 0;
}

static int finished(const Trainer *t, const Meter *m)
{
    return (t->cfg.epochs > 0 && t->st.epoch > t->cfg.epochs) ||
           (t->cfg.max_steps > 0 && t->st.step >= t->cfg.max_steps) ||
           (t->cfg.time_limit > 0 && elapsed(t, m) >= t->cfg.time_limit) || t->stop ||
           (t->interrupt && *t->interrupt) || t->signalled;
}

/* The end of an epoch: the next one's number, learning rate and order. */
static void next_epoch(Trainer *t)
{
    t->st.epoch++;
    t->st.batch_in_epoch = 0;
    if (t->st.epoch > t->cfg.decay_start)
        t->st.lr *= 0.5;
    batcher_epoch(&t->batcher, &t->train, (uint64_t)t->cfg.seed, t->st.epoch);
}

/* Validation, the learning-rate schedule and saving, after a step. While
 * the loss is above the divergence bound, no checkpoint is written. With
 * several ranks, rank 0 alone reports, validates and saves (the others
 * take its state in agree_step). */
static int validates_now(const Trainer *t)
{
    return t->has_valid && (t->st.batch_in_epoch == t->batcher.nbatches ||
                            (t->cfg.valid_every > 0 && t->st.step % t->cfg.valid_every == 0));
}

/* Whether after_step writes a checkpoint (or a --keep-best or
 * --keep-checkpoints copy) after this step. */
static int saves_now(const Trainer *t)
{
    return !t->diverging && (t->st.batch_in_epoch == t->batcher.nbatches || validates_now(t) ||
                             (t->cfg.save_every > 0 && t->st.step % t->cfg.save_every == 0));
}

static int after_step(Trainer *t, Meter *m, S2sErr *err)
{
    int epoch_end = t->st.batch_in_epoch == t->batcher.nbatches, lead = dist_rank() == 0;
    int val = validates_now(t), saves = saves_now(t);
    if (lead && m->steps && (now_seconds() - m->last_report >= t->cfg.report_every || epoch_end))
        report(t, m);
    if (val && validate(t, m, err))
        return -1;
    if (epoch_end)
        next_epoch(t);
    if (lead && saves)
        return save(t, m, err);
    return 0;
}

/* Several ranks: before every file rank 0 writes, and every
 * TRAIN_CHECK_STEPS steps, the ranks compare checksums of their parameters,
 * so that the files on disk always hold weights all of them agreed on. */
static int check_ranks(const Trainer *t, int final, S2sErr *err)
{
    if (dist_size() == 1 || !(final || saves_now(t) || t->st.step % TRAIN_CHECK_STEPS == 0))
        return 0;
    return trainer_check_same(t, err);
}

/* What rank 0 tells the others after every step. */
typedef struct {
    TrainState st;
    int stop, done, failed;
} StepEnd;

/* After a step: whether training is done, on every rank. Several ranks:
 * rank 0 decides (its clock, its validation, its files) and the others
 * take its state (the dropout Rng's included: only rank 0's shard 0 drew
 * from it); if rank 0's after_step failed (rc), all stop. */
static int agree_step(Trainer *t, const Meter *m, int rc, int *done, S2sErr *err)
{
    if (dist_size() == 1) {
        *done = !rc && finished(t, m);
        return rc;
    }
    StepEnd e = {.st = t->st, .stop = t->stop, .done = finished(t, m), .failed = rc != 0};
    dist_bcast(&e, sizeof e);
    *done = e.done;
    if (dist_rank() != 0) {
        t->st = e.st, t->stop = e.stop;
        if (e.failed)
            return s2s_fail(err, S2S_EREMOTE, "rank 0 stopped (its message says why)");
    }
    return rc;
}

int trainer_run(Trainer *t, S2sErr *err)
{
    Meter m = {.t0 = now_seconds(), .saved_step = -1};
    m.last_report = m.t0;
    int rc = 0;
    if (t->st.batch_in_epoch > t->batcher.nbatches ||
        (t->st.batch_in_epoch == t->batcher.nbatches && t->st.step == 0))
        return s2s_fail(err, S2S_EINVAL,
                        "cannot resume at batch %d of epoch %d: the training data now has only "
                        "%d batches per epoch (were the files, --batch or --max-len changed?)",
                        t->st.batch_in_epoch + 1, t->st.epoch, t->batcher.nbatches);
    if (t->st.step > 0 && t->st.batch_in_epoch == t->batcher.nbatches)
        next_epoch(t); /* a --keep-best copy, saved at an epoch's end before its rollover */
    else
        batcher_epoch(&t->batcher, &t->train, (uint64_t)t->cfg.seed, t->st.epoch);
    int done = 0;
    rc = agree_step(t, &m, 0, &done, err);
    while (!rc && !done) {
        if ((rc = train_step(t, &m, err)) || (rc = check_ranks(t, 0, err)))
            break;
        rc = agree_step(t, &m, after_step(t, &m, err), &done, err);
    }
    if (!rc)
        rc = check_ranks(t, 1, err);
    if (rc)
        return rc;
    if (m.steps && dist_rank() == 0)
        report(t, &m);
    char left[sizeof err->msg];
    if (t->diverging)
        return s2s_fail(err, S2S_ENUMERIC,
                        "the loss was above 2 ln(target vocabulary) for the last %d steps: not "
                        "saved, %s (try a lower --lr or --clip)",
                        t->diverging, model_left(t, left, sizeof left));
    if (dist_rank() != 0 || m.saved_step == t->st.step)
        return 0;
    return save(t, &m, err);
}
