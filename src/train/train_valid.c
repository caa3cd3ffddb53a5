/* Validation and keeping: validation perplexity on every rank, the
 * validation translations and their scores, the best model and the
 * --keep-checkpoints copies (rank 0), and the sum of the ranks' parts of a
 * batch. */
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

/* ---- several processes (dist.h) ---- */

/* *sh becomes the sum of every rank's, added in rank order (so one rank
 * with N shards and N ranks with one shard each add the same numbers in
 * the same order). One rank: unchanged. */
void trainer_gather(Trainer *t, StepShare *sh)
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
    trainer_gather(t, &sh); /* each rank ran its shards of the batch */
    *nll += sh.nll, *tokens += sh.tgt;
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
static int save_copy(Trainer *t, double t0, const char *path, S2sErr *err)
{
    TrainState st = t->st;
    st.elapsed = trainer_elapsed(t, t0);
    cJSON *train = train_state_to_json(&t->cfg, &st);
    if (t->ema)
        trainer_swap_smoothed(t);
    int rc = ckpt_save(path, &t->tm, &(CkptTraining){train, NULL, NULL}, err);
    if (t->ema)
        trainer_swap_smoothed(t);
    cJSON_Delete(train);
    return rc;
}

/* --keep-checkpoints: this step's copy, and the oldest deleted beyond N. */
static int keep_checkpoint(Trainer *t, double t0, S2sErr *err)
{
    char path[4200], tag[32];
    snprintf(tag, sizeof tag, "step%ld", t->st.step);
    copy_path(t->cfg.model, tag, path, sizeof path);
    S2S_INVARIANT(t->st.nkept <= TRAIN_MAX_KEPT + 1);
    t->st.kept[t->st.nkept++] = t->st.step;
    int rc = save_copy(t, t0, path, err);
    while (!rc && t->st.nkept > t->cfg.keep_checkpoints) {
        snprintf(tag, sizeof tag, "step%ld", t->st.kept[0]);
        copy_path(t->cfg.model, tag, path, sizeof path);
        if (unlink(path) != 0 && errno != ENOENT && t->progress)
            fprintf(t->progress, "warning: cannot delete %s: %s\n", path, strerror(errno));
        memmove(t->st.kept, t->st.kept + 1, sizeof(long) * (size_t)--t->st.nkept);
    }
    return rc;
}

/* Whether this validation beats the best so far by the first
 * --valid-metrics (the best model's); updates the bests, and the patience
 * count and --decay-on-plateau by --early-stopping-on: with "any" (the
 * default) a validation where any metric logged improved is progress, so
 * a noisy greedy BLEU does not stop a run whose perplexity still falls. */
static int improved(Trainer *t, double ppl, double bleu, double chrf)
{
    TrainState *st = &t->st;
    int ppl_b = st->best_valid_ppl == 0 || ppl < st->best_valid_ppl;
    int bleu_b = t->vm_bleu && bleu > st->best_valid_bleu;
    int chrf_b = t->vm_chrf && chrf > st->best_valid_chrf;
    int better = t->vm_first == VALID_BLEU ? bleu_b : t->vm_first == VALID_CHRF ? chrf_b : ppl_b;
    int progress = t->cfg.early_stopping_on && !strcmp(t->cfg.early_stopping_on, "first")
                       ? better
                       : ppl_b || bleu_b || chrf_b;
    if (ppl_b)
        st->best_valid_ppl = ppl;
    if (bleu > st->best_valid_bleu)
        st->best_valid_bleu = bleu;
    if (chrf > st->best_valid_chrf)
        st->best_valid_chrf = chrf;
    st->bad_valids = progress ? 0 : st->bad_valids + 1;
    if (!progress && t->cfg.decay_on_plateau)
        st->lr *= 0.5;
    if (t->cfg.patience > 0 && st->bad_valids >= t->cfg.patience)
        t->stop = 1;
    return better;
}

static void log_validation(Trainer *t, double t0, double ppl, double bleu, double chrf, int better)
{
    if (t->progress) {
        trainer_stamp(t->progress);
        fprintf(t->progress, "epoch %d step %ld valid ppl %.3f", t->st.epoch, t->st.step, ppl);
        if (t->vm_bleu)
            fprintf(t->progress, " BLEU %.2f", bleu);
        if (t->vm_chrf)
            fprintf(t->progress, " chrF %.2f", chrf);
        if (better)
            fputs(" (best)", t->progress);
        if (t->st.bad_valids > 0 && t->cfg.decay_on_plateau) /* no metric improved */
            fputs(" (no better: lr halved)", t->progress);
        if (t->st.bad_valids > 0 && t->cfg.patience > 0)
            fprintf(t->progress, " (no better: %d of --patience %d)", t->st.bad_valids,
                    t->cfg.patience);
        fprintf(t->progress, "%s\n", t->stop ? " (out of patience: stopping)" : "");
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
    cJSON_AddNumberToObject(o, "lr", train_lr_at(&t->cfg, t->st.lr, t->st.step));
    cJSON_AddNumberToObject(o, "elapsed", trainer_elapsed(t, t0));
    trainer_log(t, o);
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
    if (!rc) /* the weights packed as s2s translate packs them: the same translations */
        rc = tmodel_set_precision(&t->tm, PREC_FP32, err);
    if (!rc)
        rc = evaluate_translations(&t->valid_tr, &t->tm.tokenizer, &t->tm.tgt_vocab, &t->valid,
                                   t->vm_bleu || t->vm_chrf ? &t->valid_refs : NULL, out.f, bleu,
                                   t->vm_chrf ? chrf : NULL, err);
    tmodel_drop_precision(&t->tm);
    if (rc && out.f)
        fileio_replace_abort(&out);
    else if (out.f)
        rc = fileio_replace_commit(&out, err);
    return rc;
}

/* Validation perplexity on every rank (each runs its shards of each
 * batch); the rest on rank 0 alone. */
int trainer_validate(Trainer *t, double t0, S2sErr *err)
{
    if (t->ema) /* validation sees the smoothed weights */
        trainer_swap_smoothed(t);
    double ppl = trainer_perplexity(t, &t->valid), bleu = 0, chrf = 0;
    int rc = 0;
    if (dist_rank() != 0) {
        if (t->ema)
            trainer_swap_smoothed(t);
        return 0;
    }
    blas_set_threads(t->cfg.threads); /* decoding: one batch, all threads */
    if (t->vm_bleu || t->vm_chrf || t->cfg.valid_output)
        rc = translate_valid(t, &bleu, &chrf, err);
    blas_set_threads(t->shards.n > 1 ? 1 : t->cfg.threads);
    if (t->ema)
        trainer_swap_smoothed(t);
    if (rc)
        return rc;
    int better = improved(t, ppl, bleu, chrf);
    log_validation(t, t0, ppl, bleu, chrf, better);
    if (better && t->cfg.keep_best && !t->diverging) {
        char path[4200];
        copy_path(t->cfg.model, "best", path, sizeof path);
        rc = save_copy(t, t0, path, err);
    }
    if (!rc && t->cfg.keep_checkpoints > 0 && !t->diverging)
        rc = keep_checkpoint(t, t0, err);
    return rc;
}
