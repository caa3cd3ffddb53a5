/* The training loop: steps (the shards' forward and backward, the
 * ranks' gradient exchange, the optimizer's update), progress lines and
 * --log, saving, validating when due, and the stops (epochs, steps, time,
 * patience, signals, divergence). */
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

/* ---- the loop ---- */

#define ETA_WINDOW 60.0 /* seconds of steps the ETA's rate is taken over */

typedef struct {
    double t0;          /* wall clock at the start of this run */
    double last_report; /* wall clock of the last progress line */
    double nll;         /* since the last report */
    long tokens, steps;
    long src_tokens, slots; /* source tokens; padded positions of both sides */
    long saved_step;    /* step of the last save, -1 if none in this run */
    RateWindow rate;    /* the steps per second the ETA assumes */
} Meter;

double trainer_elapsed(const Trainer *t, double t0)
{
    return t->st.elapsed + (now_seconds() - t0);
}

/* --exponential-smoothing: swaps the raw and the smoothed weights in the
 * model (validation and saving see the smoothed ones); a second call
 * swaps them back. */
void trainer_swap_smoothed(Trainer *t)
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
    st.elapsed = trainer_elapsed(t, m->t0);
    cJSON *train = train_state_to_json(&t->cfg, &st);
    if (t->ema)
        trainer_swap_smoothed(t);
    int rc = ckpt_save(t->cfg.model, &t->tm, &(CkptTraining){train, t->opt_state, t->ema}, err);
    if (t->ema)
        trainer_swap_smoothed(t);
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
void trainer_log(Trainer *t, cJSON *o)
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

double rate_window_update(RateWindow *w, double now, long step, double window)
{
    int old = -1;
    for (int k = 0; k < w->n && old < 0; k++) { /* the oldest sample inside the window */
        int i = (w->next - w->n + k + RATE_RING) % RATE_RING;
        if (now - w->at[i] <= window || k == w->n - 1)
            old = i;
    }
    double rate = old >= 0 && now > w->at[old] ? (double)(step - w->step[old]) / (now - w->at[old]) : 0;
    w->at[w->next] = now, w->step[w->next] = step;
    w->next = (w->next + 1) % RATE_RING;
    w->n += w->n < RATE_RING;
    return rate;
}

/* Seconds left, from the steps planned and this run's time limit; < 0 unknown. */
static double eta(const Trainer *t, const Meter *m, double now, double rate_steps)
{
    double left = -1, budget = t->cfg.time_limit - (now - m->t0);
    long plan = planned_steps(t);
    if (plan > 0 && rate_steps > 0)
        left = (double)(plan - t->st.step) / rate_steps;
    if (t->cfg.time_limit > 0 && (left < 0 || budget < left))
        left = budget > 0 ? budget : 0;
    return left;
}

/* Marian's log prefix: "[2026-12-01 18:00:00] " (local time). */
void trainer_stamp(FILE *f)
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
    double tps = dt > 0 ? (double)m->tokens / dt : 0.0, sps = rate_window_update(&m->rate, now, t->st.step, ETA_WINDOW);
    if (t->progress) {
        double left = eta(t, m, now, sps);
        trainer_stamp(t->progress);
        fprintf(t->progress,
                "epoch %d step %ld loss %.4f ppl %.2f lr %.4g tgt tok/s %.0f elapsed %.0fs",
                t->st.epoch, t->st.step, loss, exp(loss), train_lr_at(&t->cfg, t->st.lr, t->st.step),
                tps, trainer_elapsed(t, m->t0));
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
    cJSON_AddNumberToObject(o, "lr", train_lr_at(&t->cfg, t->st.lr, t->st.step));
    cJSON_AddNumberToObject(o, "tgt_tokens_per_s", tps);
    cJSON_AddNumberToObject(o, "src_tokens_per_s", dt > 0 ? (double)m->src_tokens / dt : 0.0);
    cJSON_AddNumberToObject(o, "pad_frac", m->slots ? 1.0 - (double)(m->tokens + m->src_tokens) / (double)m->slots : 0.0);
    cJSON_AddNumberToObject(o, "elapsed", trainer_elapsed(t, m->t0));
    trainer_log(t, o);
    m->nll = 0, m->tokens = 0, m->steps = 0, m->src_tokens = 0, m->slots = 0, m->last_report = now;
}

double train_lr_at(const TrainConfig *c, double lr, long t)
{
    if (t < 1)
        t = 1;
    if (c->lr_warmup > 0 && t < c->lr_warmup)
        lr *= (double)t / c->lr_warmup;
    if (c->lr_decay_inv_sqrt > 0 && t > c->lr_decay_inv_sqrt)
        lr *= sqrt((double)c->lr_decay_inv_sqrt / (double)t);
    return lr;
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
    float *p = t->tm.model.params + lo, lr = (float)train_lr_at(&t->cfg, t->st.lr, t->st.step + 1);
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
    trainer_gather(t, &sh);
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
           (t->cfg.time_limit > 0 && now_seconds() - m->t0 >= t->cfg.time_limit) || t->stop;
}

/* Whether the run ends after this step: done, or a signal asked it to stop. */
static int ends(const Trainer *t, const Meter *m)
{
    return finished(t, m) || (t->interrupt && *t->interrupt) || t->signalled;
}

/* The current epoch's data: (--bpe-dropout) its segmentation, and its order. */
static int epoch_data(Trainer *t, S2sErr *err)
{
    if (t->bpedrop.p > 0) {
        int rc = bpedrop_epoch(&t->bpedrop, &t->train, &t->tm.tokenizer, &t->tm.src_vocab,
                               &t->tm.tgt_vocab, (uint64_t)t->cfg.seed, t->st.epoch, err);
        if (rc)
            return rc;
        if (t->progress && dist_rank() == 0) {
            trainer_stamp(t->progress);
            fprintf(t->progress, "epoch %d: BPE-dropout %g re-segmented %d pairs in %.2fs\n",
                    t->st.epoch, t->bpedrop.p, t->train.npairs, t->bpedrop.seconds);
        }
    }
    batcher_epoch(&t->batcher, &t->train, (uint64_t)t->cfg.seed, t->st.epoch);
    return 0;
}

/* The end of an epoch: the next one's number, learning rate and data. */
static int next_epoch(Trainer *t, S2sErr *err)
{
    t->st.epoch++;
    t->st.batch_in_epoch = 0;
    if (t->cfg.decay_start > 0 && t->st.epoch > t->cfg.decay_start)
        t->st.lr *= 0.5;
    return epoch_data(t, err);
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
    if (val && trainer_validate(t, m->t0, err))
        return -1;
    if (epoch_end && next_epoch(t, err))
        return -1;
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
    int cut_short; /* done by a signal alone */
} StepEnd;

/* After a step: whether training is done, on every rank. Several ranks:
 * rank 0 decides (its clock, its validation, its files) and the others
 * take its state (the dropout Rng's included: only rank 0's shard 0 drew
 * from it); if rank 0's after_step failed (rc), all stop. */
static int agree_step(Trainer *t, const Meter *m, int rc, int *done, S2sErr *err)
{
    if (dist_size() == 1) {
        *done = !rc && ends(t, m);
        t->cut_short = *done && !finished(t, m);
        return rc;
    }
    StepEnd e = {.st = t->st, .stop = t->stop, .done = ends(t, m), .failed = rc != 0,
                 .cut_short = !finished(t, m)};
    dist_bcast(&e, sizeof e);
    *done = e.done;
    t->cut_short = e.done && e.cut_short;
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
    rate_window_update(&m.rate, m.t0, t->st.step, ETA_WINDOW);
    int rc = 0;
    if (t->st.batch_in_epoch > t->batcher.nbatches ||
        (t->st.batch_in_epoch == t->batcher.nbatches && t->st.step == 0))
        return s2s_fail(err, S2S_EINVAL,
                        "cannot resume at batch %d of epoch %d: the training data now has only "
                        "%d batches per epoch (were the files, --batch or --max-len changed?)",
                        t->st.batch_in_epoch + 1, t->st.epoch, t->batcher.nbatches);
    if (t->st.step > 0 && t->st.batch_in_epoch == t->batcher.nbatches)
        rc = next_epoch(t, err); /* a --keep-best copy, saved at an epoch's end before its rollover */
    else
        rc = epoch_data(t, err);
    if (rc)
        return rc;
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
