/* train_dist.c: the checks that keep the ranks of a training job (dist.h)
 * doing the same work: at the start, that they read and built the same;
 * during training, that their parameters stay the same. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s2s/train/dist.h"
#include "s2s/train/train.h"

enum { FP_OPTIONS, FP_TRAIN, FP_VALID, FP_VOCAB, FP_PARAMS, FP_N };

static const char *const fp_what[FP_N] = {
    "options (file names aside)",
    "training data",
    "validation data",
    "vocabularies or tokenizer",
    "initial parameters (a different --resume checkpoint, --seed or build of s2s?)",
};

/* What one rank started with, gathered by all. */
typedef struct {
    int rc;
    char host[64];
    uint64_t fp[FP_N];
    long pairs[2], tokens[2]; /* training, validation: for the message */
} RankStart;

static uint64_t corpus_hash(const Corpus *c)
{
    uint64_t h = s2s_fnv1a(S2S_FNV_OFFSET, &c->npairs, sizeof c->npairs);
    if (c->npairs == 0 || !c->src_off)
        return h;
    size_t n = (size_t)c->npairs + 1;
    h = s2s_fnv1a(h, c->src_off, n * sizeof *c->src_off);
    h = s2s_fnv1a(h, c->tgt_off, n * sizeof *c->tgt_off);
    h = s2s_fnv1a(h, c->src_ids, (size_t)c->src_off[c->npairs] * sizeof *c->src_ids);
    return s2s_fnv1a(h, c->tgt_ids, (size_t)c->tgt_off[c->npairs] * sizeof *c->tgt_ids);
}

static uint64_t vocab_hash(uint64_t h, const Vocab *v)
{
    for (int i = 0; i < v->size; i++)
        h = s2s_fnv1a(h, v->words[i], strlen(v->words[i]) + 1);
    return h;
}

/* The options as the checkpoint saves them, less those naming files
 * (shared storage may sit at another path on another machine). */
static uint64_t options_hash(const TrainConfig *c)
{
    static const char *const files[] = {"src", "tgt", "valid_src", "valid_tgt", "model",
                                        "log", "config", "resume", "bpe_codes"};
    cJSON *o = train_config_to_json(c);
    for (size_t i = 0; i < sizeof files / sizeof *files; i++)
        cJSON_DeleteItemFromObjectCaseSensitive(o, files[i]);
    char *text = cJSON_PrintUnformatted(o);
    uint64_t h = text ? s2s_fnv1a(S2S_FNV_OFFSET, text, strlen(text)) : 0;
    cJSON_free(text);
    cJSON_Delete(o);
    return h;
}

static void fingerprint(const Trainer *t, RankStart *me)
{
    me->fp[FP_OPTIONS] = options_hash(&t->cfg);
    me->fp[FP_TRAIN] = corpus_hash(&t->train);
    me->fp[FP_VALID] = t->has_valid ? corpus_hash(&t->valid) : 0;
    const char *tk = tokenizer_name(&t->tm.tokenizer);
    uint64_t h = s2s_fnv1a(S2S_FNV_OFFSET, tk, strlen(tk));
    me->fp[FP_VOCAB] = vocab_hash(vocab_hash(h, &t->tm.src_vocab), &t->tm.tgt_vocab);
    me->fp[FP_PARAMS] = s2s_fnv1a(S2S_FNV_OFFSET, t->tm.model.params,
                                  t->tm.model.nparams * sizeof(float));
    me->pairs[0] = t->train.npairs, me->tokens[0] = t->train.tgt_tokens;
    me->pairs[1] = t->has_valid ? t->valid.npairs : 0;
    me->tokens[1] = t->has_valid ? t->valid.tgt_tokens : 0;
}

/* Rank 0's message for rank r's difference in fingerprint k. */
static int differs(const RankStart *all, int r, int k, S2sErr *err)
{
    char detail[160] = "";
    int j = k - FP_TRAIN;
    if ((k == FP_TRAIN || k == FP_VALID) &&
        all[r].pairs[j] == all[0].pairs[j] && all[r].tokens[j] == all[0].tokens[j])
        snprintf(detail, sizeof detail, ": as many pairs (%ld) and target tokens (%ld) as rank "
                 "0's, but other words", all[0].pairs[j], all[0].tokens[j]);
    else if (k == FP_TRAIN || k == FP_VALID)
        snprintf(detail, sizeof detail, ": %ld pairs, %ld target tokens against rank 0's %ld, %ld",
                 all[r].pairs[j], all[r].tokens[j], all[0].pairs[j], all[0].tokens[j]);
    return s2s_fail(err, S2S_EINVAL,
                    "rank %d (host %s) differs from rank 0 (host %s) in its %s%s: every rank must "
                    "run the same command on the same files (shared storage)",
                    r, all[r].host, all[0].host, fp_what[k], detail);
}

int trainer_agree(const Trainer *t, int rc, S2sErr *err)
{
    int N = dist_size();
    if (N == 1)
        return rc;
    RankStart me, *all = s2s_calloc((size_t)N, sizeof *all);
    memset(&me, 0, sizeof me);
    me.rc = rc;
    snprintf(me.host, sizeof me.host, "%s", dist_host());
    if (!rc)
        fingerprint(t, &me);
    if (!all) /* no way to agree: end the job rather than hang it */
        dist_abort(1);
    dist_allgather(&me, all, sizeof me);
    int out = rc;
    for (int r = 0; r < N && !out; r++) {
        if (all[r].rc) {
            out = dist_rank() ? S2S_EREMOTE
                              : s2s_fail(err, S2S_EINVAL, "rank %d (host %s) could not start (its "
                                         "message says why)", r, all[r].host);
            continue;
        }
        for (int k = 0; k < FP_N && !out; k++)
            if (all[r].fp[k] != all[0].fp[k])
                out = dist_rank() ? S2S_EREMOTE : differs(all, r, k, err);
    }
    if (out == S2S_EREMOTE)
        s2s_fail(err, S2S_EREMOTE, "another rank could not start or differs (rank 0 says why)");
    free(all);
    return out;
}

/* A rank's parameter checksum, gathered by all. */
typedef struct {
    uint64_t sum;
    char host[64];
} RankSum;

int trainer_check_same(const Trainer *t, S2sErr *err)
{
    int N = dist_size();
    if (N == 1)
        return 0;
    RankSum me, *all = s2s_calloc((size_t)N, sizeof *all);
    if (!all)
        dist_abort(1);
    memset(&me, 0, sizeof me);
    me.sum = s2s_fnv1a(S2S_FNV_OFFSET, t->tm.model.params, t->tm.model.nparams * sizeof(float));
    snprintf(me.host, sizeof me.host, "%s", dist_host());
    dist_allgather(&me, all, sizeof me);
    int rc = 0;
    for (int r = 1; r < N && !rc; r++) {
        if (all[r].sum == all[0].sum)
            continue;
        rc = dist_rank() ? s2s_fail(err, S2S_EREMOTE, "the ranks' parameters differ (rank 0 says how)")
                         : s2s_fail(err, S2S_ENUMERIC,
                                    "step %ld: the parameters of rank %d (host %s) differ from rank "
                                    "0's (host %s; checksums %016llx and %016llx): the ranks no longer "
                                    "agree (another build of s2s on that machine, or a hardware "
                                    "fault); stopped before writing, so %s holds the last checkpoint they "
                                    "agreed on, if any",
                                    t->st.step, r, all[r].host, all[0].host,
                                    (unsigned long long)all[r].sum, (unsigned long long)all[0].sum,
                                    t->cfg.model);
    }
    free(all);
    return rc;
}
