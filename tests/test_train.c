/* The training loop: a non-finite loss stops training without saving, the
 * learning-rate schedule, and the stopping rules. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "s2s/train/train.h"

static char dir[] = "/tmp/s2s-test-train-XXXXXX";
static char src[256], tgt[256], model[256];

static void write_corpus(void)
{
    FILE *s = fopen(src, "w"), *t = fopen(tgt, "w");
    for (int i = 0; i < 40; i++) {
        fprintf(s, "w%d w%d w%d\n", i % 7, i % 5, i % 3);
        fprintf(t, "v%d v%d\n", i % 5, i % 7);
    }
    fclose(s);
    fclose(t);
}

static void config(TrainConfig *c, int max_steps, int epochs)
{
    S2sErr err;
    train_config_defaults(c);
    CHECK(train_config_set(c, train_option_index("src"), src, &err) == 0);
    CHECK(train_config_set(c, train_option_index("tgt"), tgt, &err) == 0);
    CHECK(train_config_set(c, train_option_index("model"), model, &err) == 0);
    c->embed = 8, c->hidden = 8, c->batch = 8, c->threads = 1, c->quiet = 1;
    c->max_steps = max_steps, c->epochs = epochs;
    CHECK(train_config_check(c, &err) == 0);
}

static void test_nonfinite_stops_without_saving(void)
{
    TrainConfig c;
    Trainer t;
    S2sErr err;
    config(&c, 5, 0);
    remove(model);
    CHECK(trainer_init(&t, &c, NULL, NULL, &err) == 0);
    t.tm.model.w.out_b[4] = NAN;
    int rc = trainer_run(&t, &err);
    CHECK_MSG(rc == S2S_ENUMERIC && strstr(err.msg, "step 1: the loss or gradient is not finite"),
              "rc %d: %s", rc, err.msg);
    CHECK(access(model, F_OK) != 0); /* nothing written */
    trainer_free(&t);
    train_config_free(&c);
}

static void test_schedule_and_stops(void)
{
    TrainConfig c;
    Trainer t;
    S2sErr err;
    config(&c, 0, 3); /* 40 pairs / 8 = 5 batches an epoch */
    c.decay_start = 1;
    CHECK(trainer_init(&t, &c, NULL, NULL, &err) == 0);
    CHECK(t.batcher.nbatches == 5);
    CHECK(trainer_run(&t, &err) == 0);
    CHECK(t.st.step == 15 && t.st.epoch == 4 && t.st.batch_in_epoch == 0);
    CHECK(t.st.lr == t.cfg.lr / 8); /* halved entering epochs 2, 3 and 4 */
    CHECK(access(model, F_OK) == 0);
    trainer_free(&t);
    /* --max-steps counts steps in all and stops mid-epoch. */
    c.max_steps = 7;
    CHECK(trainer_init(&t, &c, NULL, NULL, &err) == 0);
    CHECK(trainer_run(&t, &err) == 0);
    CHECK(t.st.step == 7 && t.st.epoch == 2 && t.st.batch_in_epoch == 2);
    trainer_free(&t);
    /* --time-limit stops a run that would otherwise go on for ages (how many
     * steps fit in 0.3 s depends on the machine, so only the stop is checked). */
    c.max_steps = 0, c.epochs = 1000000, c.time_limit = 0.3;
    CHECK(trainer_init(&t, &c, NULL, NULL, &err) == 0);
    CHECK(trainer_run(&t, &err) == 0);
    CHECK(t.st.epoch < 1000000);
    trainer_free(&t);
    train_config_free(&c);
}

/* With --decay-on-plateau, a validation that does not improve halves lr:
 * a zero learning rate makes every validation equal to the first. */
static void test_decay_on_plateau(void)
{
    TrainConfig c;
    Trainer t;
    S2sErr err;
    config(&c, 0, 3);
    c.decay_on_plateau = 1, c.decay_start = 100, c.lr = 0, c.dropout = 0;
    CHECK(train_config_set(&c, train_option_index("valid-src"), src, &err) == 0);
    CHECK(train_config_set(&c, train_option_index("valid-tgt"), tgt, &err) == 0);
    CHECK(trainer_init(&t, &c, NULL, NULL, &err) == 0);
    t.st.lr = 1e-30; /* tiny but non-zero, so the halvings show */
    CHECK(trainer_run(&t, &err) == 0);
    CHECK_MSG(t.st.lr == 1e-30 / 4, "lr %g", t.st.lr); /* epochs 2 and 3 did not improve */
    trainer_free(&t);
    train_config_free(&c);
}

/* --time-limit is this run's budget: the time of earlier runs (a resumed
 * checkpoint's elapsed) does not count against it. */
static void test_time_limit_per_run(void)
{
    TrainConfig c;
    Trainer t;
    S2sErr err;
    config(&c, 3, 0);
    c.time_limit = 1e6; /* far more than 3 steps take on any machine */
    CHECK(trainer_init(&t, &c, NULL, NULL, &err) == 0);
    t.st.elapsed = 2e6; /* as if resumed after earlier runs of 2e6 s */
    CHECK(trainer_run(&t, &err) == 0);
    CHECK_MSG(t.st.step == 3, "trained %ld steps of 3", t.st.step);
    CHECK(!t.cut_short);
    trainer_free(&t);
    train_config_free(&c);
}

/* The ETA's rate: over the last minute, so one slow report (a validation)
 * barely moves it, and a lasting change of speed shows within the minute. */
static void test_rate_window(void)
{
    RateWindow w = {0};
    CHECK(rate_window_update(&w, 100, 0, 60) == 0); /* unknown */
    double r = 0;
    long step = 0;
    double now = 100;
    for (int k = 0; k < 40; k++) /* 10 steps/s, a report every 2 s */
        r = rate_window_update(&w, now += 2, step += 20, 60);
    CHECK_MSG(fabs(r - 10) < 1e-9, "steady rate %g", r);
    r = rate_window_update(&w, now += 20, step += 20, 60); /* 20 s of validation */
    CHECK_MSG(fabs(r - 7) < 1e-9, "rate after a validation %g (per report: 1; over the minute: 420 steps in 60 s)", r);
    for (int k = 0; k < 40; k++) /* then 5 steps/s for 80 s */
        r = rate_window_update(&w, now += 2, step += 10, 60);
    CHECK_MSG(fabs(r - 5) < 1e-9, "rate after the change %g", r);
}

/* --lr-warmup W and --lr-decay-inv-sqrt N (Marian's): a linear ramp to
 * lr over W updates, then lr sqrt(N/t) after update N. */
static void test_lr_schedule(void)
{
    TrainConfig c;
    train_config_defaults(&c);
    CHECK(train_lr_at(&c, 0.002, 1) == 0.002 && train_lr_at(&c, 0.002, 100000) == 0.002);
    c.lr_warmup = 100;
    CHECK_MSG(fabs(train_lr_at(&c, 0.002, 1) - 0.00002) < 1e-12, "warm-up at 1: %g",
              train_lr_at(&c, 0.002, 1));
    CHECK(fabs(train_lr_at(&c, 0.002, 50) - 0.001) < 1e-12);
    CHECK(train_lr_at(&c, 0.002, 100) == 0.002 && train_lr_at(&c, 0.002, 5000) == 0.002);
    c.lr_decay_inv_sqrt = 100;
    CHECK(train_lr_at(&c, 0.002, 100) == 0.002);
    CHECK_MSG(fabs(train_lr_at(&c, 0.002, 400) - 0.001) < 1e-12, "inv-sqrt at 400: %g",
              train_lr_at(&c, 0.002, 400));
    CHECK(fabs(train_lr_at(&c, 0.001, 10000) - 0.0001) < 1e-12); /* after a halving */
}

int main(void)
{
    CHECK(mkdtemp(dir) != NULL);
    snprintf(src, sizeof src, "%s/a.src", dir);
    snprintf(tgt, sizeof tgt, "%s/a.tgt", dir);
    snprintf(model, sizeof model, "%s/m.s2s", dir);
    write_corpus();
    test_nonfinite_stops_without_saving();
    test_schedule_and_stops();
    test_decay_on_plateau();
    test_time_limit_per_run();
    test_rate_window();
    test_lr_schedule();
    remove(src), remove(tgt), remove(model), rmdir(dir);
    return check_exit_code("test_train");
}
