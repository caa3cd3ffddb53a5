/* The trainer's set-up: the options' files checked, the data read, the
 * tokenizer, vocabularies and model built (or taken over from a checkpoint),
 * the batches, shards and buffers; the training state to and from a
 * checkpoint's JSON; what training holds in memory. */
#include "s2s/train/train.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "s2s/base/fileio.h"
#include "s2s/nn/blas.h"
#include "s2s/nn/optim.h"
#include "s2s/text/textio.h"
#include "s2s/train/dist.h"

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

/* Before any work (BPE, vocabularies): each input opens, and a corpus'
 * two sides have as many lines (as corpus.c would find after reading them). */
static int check_inputs(const TrainConfig *c, S2sErr *err)
{
    const char *pairs[2][2] = {{c->src, c->tgt}, {c->valid_src, c->valid_tgt}};
    for (int k = 0; k < 2; k++) {
        long n[2];
        if (!pairs[k][0] || !pairs[k][1] || !strcmp(pairs[k][0], "-") || !strcmp(pairs[k][1], "-"))
            continue; /* stdin is read once, later */
        for (int s = 0; s < 2; s++) {
            int rc = text_count_lines(pairs[k][s], c->max_line_bytes, &n[s], err);
            if (rc)
                return rc;
        }
        if (n[0] != n[1])
            return s2s_fail(err, S2S_EFORMAT, "%s has %ld lines but %s has %ld: the files must be "
                            "aligned line by line", pairs[k][0], n[0], pairs[k][1], n[1]);
    }
    FILE *f = c->bpe_codes ? fopen(c->bpe_codes, "rb") : NULL;
    if (c->bpe_codes && !f)
        return s2s_fail(err, S2S_EIO, "%s: cannot open: %s", c->bpe_codes, strerror(errno));
    if (f)
        fclose(f);
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
    if ((rc = check_outputs(c, inputs, n, err)) || (rc = check_inputs(c, err)))
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
        (t->bpedrop.p > 0 && (rc = bpedrop_count(&t->bpedrop, &t->tm.tokenizer,
                                                 (uint64_t)t->cfg.seed, &sc, &tc, err))) ||
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

/* The language code a corpus file's name ends in ("de" for train.de):
 * 2 or 3 letters after the last dot, lowercased into out; else "". */
static void suffix_language(const char *path, char *out)
{
    const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
    size_t n = dot && (!slash || dot > slash) ? strlen(dot + 1) : 0;
    out[0] = '\0';
    if (n < 2 || n > 3)
        return;
    for (size_t i = 0; i < n; i++)
        if (!isalpha((unsigned char)dot[1 + i]))
            return;
    static const char *const not_languages[] = {"txt", "tok", "bpe", "raw", "src", "tgt", "out",
                                                "hyp", "ref", "gz", "xz", "bz2", "tsv", "csv"};
    for (size_t k = 0; k < sizeof not_languages / sizeof *not_languages; k++)
        if (!strcasecmp(dot + 1, not_languages[k]))
            return;
    for (size_t i = 0; i <= n; i++)
        out[i] = (char)tolower((unsigned char)dot[1 + i]);
}

/* The model's languages: --src-lang/--tgt-lang, else the file suffixes
 * when both have one and they differ (train.de and train.en). */
static void record_languages(Trainer *t)
{
    TranslationModel *tm = &t->tm;
    char s[16], g[16];
    suffix_language(t->cfg.src, s);
    suffix_language(t->cfg.tgt, g);
    if (!s[0] || !g[0] || !strcmp(s, g))
        s[0] = g[0] = '\0';
    snprintf(tm->src_lang, sizeof tm->src_lang, "%s", t->cfg.src_lang ? t->cfg.src_lang : s);
    snprintf(tm->tgt_lang, sizeof tm->tgt_lang, "%s", t->cfg.tgt_lang ? t->cfg.tgt_lang : g);
}

static int new_model(Trainer *t, S2sErr *err)
{
    ModelConfig mc = {
        .src_vocab = t->tm.src_vocab.size, .tgt_vocab = t->tm.tgt_vocab.size,
        .embed = t->cfg.embed, .hidden = t->cfg.hidden, .layers = t->cfg.layers,
        .reverse = !t->cfg.no_reverse,
    };
    model_arch_from_name(t->cfg.arch ? t->cfg.arch : TRAIN_DEFAULT_ARCH, &mc.arch); /* checked */
    if (t->cfg.cell)
        cell_from_name(t->cfg.cell, &mc.cell);
    mc.attn = ATTN_GENERAL;
    mc.tied = t->cfg.tied_embeddings;
    mc.bidir = t->cfg.bidirectional;
    mc.layer_norm = t->cfg.layer_norm;
    mc.residual = t->cfg.residual;
    if (t->cfg.attention)
        attn_score_from_name(t->cfg.attention, &mc.attn);
    Rng init;
    int rc = model_init(&t->tm.model, &mc, err);
    if (rc)
        return rc;
    rng_seed(&init, (uint64_t)t->cfg.seed);
    model_init_uniform(&t->tm.model, (float)t->cfg.init, &init);
    tmodel_new_run_id(&t->tm);
    record_languages(t);
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
    memcpy(t->tm.run_id, ck->tm.run_id, sizeof t->tm.run_id);
    memcpy(t->tm.src_lang, ck->tm.src_lang, sizeof t->tm.src_lang);
    memcpy(t->tm.tgt_lang, ck->tm.tgt_lang, sizeof t->tm.tgt_lang);
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

/* A run that starts afresh starts its --log afresh: a non-empty one of an
 * earlier run is renamed LOG.1 (or the first free LOG.N), so that no two
 * runs share one curve and nothing is lost. A resumed run appends. */
static int move_old_log(const Trainer *t, S2sErr *err)
{
    struct stat sb;
    if (stat(t->cfg.log, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size == 0)
        return 0;
    char *to = s2s_malloc(strlen(t->cfg.log) + 16);
    if (!to)
        return s2s_fail(err, S2S_ENOMEM, "out of memory");
    int n = 1;
    do
        sprintf(to, "%s.%d", t->cfg.log, n);
    while (access(to, F_OK) == 0 && ++n < 1000000);
    int rc = 0;
    if (rename(t->cfg.log, to) != 0)
        rc = s2s_fail(err, S2S_EIO, "%s: cannot move the earlier run's log aside to %s: %s",
                      t->cfg.log, to, strerror(errno));
    else if (t->progress)
        fprintf(t->progress, "s2s train: %s held an earlier run's log: moved to %s\n", t->cfg.log, to);
    free(to);
    return rc;
}

static int open_log(Trainer *t, int resumed, S2sErr *err)
{
    if (!t->cfg.log || dist_rank() != 0) /* rank 0 writes every file */
        return 0;
    int rc = resumed ? 0 : move_old_log(t, err);
    if (rc)
        return rc;
    t->log = fopen(t->cfg.log, "a");
    if (!t->log)
        return s2s_fail(err, S2S_EIO, "%s: cannot open for appending: %s", t->cfg.log,
                        strerror(errno));
    return 0;
}

/* --bpe-dropout P: the training files as words, once the tokenizer is known. */
static int start_bpe_dropout(Trainer *t, S2sErr *err)
{
    const TrainConfig *c = &t->cfg;
    if (!(c->bpe_dropout > 0))
        return 0;
    if (t->tm.tokenizer.kind != TOKENIZER_BPE)
        return s2s_fail(err, S2S_EINVAL, "--bpe-dropout needs --tokenizer bpe (this model's is %s)",
                        tokenizer_name(&t->tm.tokenizer));
    if (c->batch_words > 0)
        return s2s_fail(err, S2S_EINVAL, "--bpe-dropout cannot be combined with --batch-words (its "
                        "batches are cut once, by the deterministic lengths): use --batch");
    return bpedrop_read(&t->bpedrop, (float)c->bpe_dropout, c->src, c->tgt, c->max_line_bytes, err);
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
    if (rc || (rc = start_bpe_dropout(t, err)) ||
        (rc = read_corpus(t, &t->train, cfg->src, cfg->tgt, cfg->max_len, !resume, err)) ||
        (t->bpedrop.p > 0 && (rc = bpedrop_adopt(&t->bpedrop, &t->train, cfg->max_len, err))))
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
        (rc = open_log(t, resume != NULL, err)))
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
    bpedrop_free(&t->bpedrop);
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

/* ---- memory ---- */

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
