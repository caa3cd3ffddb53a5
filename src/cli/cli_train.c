/* s2s train: option parsing, config resolution and the report around
 * trainer_run. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "s2s/base/fileio.h"
#include "s2s/nn/blas.h"
#include "s2s/train/dist.h"
#include "s2s/train/train.h"

/* The options that are not in train_options: they act, they configure nothing. */
static const char *const actions[][2] = {
    {"--dump-config", "print the resolved options as a JSON object for --config, and exit (Marian's)"},
    {"-h, --help", "this help"},
};

/* "--name ARG" of option i. */
static void option_left(int i, char *buf, size_t cap)
{
    const TrainOption *o = &train_options[i];
    snprintf(buf, cap, "--%s%s%s", o->name, o->arg && !o->implicit ? " " : "", o->arg ? o->arg : "");
}

static void help(FILE *f)
{
    fprintf(f, "usage: s2s train --src FILE --tgt FILE [OPTIONS]\n\n"
               "Trains a sequence-to-sequence model (Sutskever et al. 2014, Cho et al. 2014, or\n"
               "with Luong attention; LSTM, GRU or RNN cells) with Adam (default) or SGD.\n\noptions:\n");
    char left[64];
    for (int i = 0; i < train_noptions; i++) {
        option_left(i, left, sizeof left);
        fprintf(f, "  %-24s %s\n", left, train_options[i].help);
    }
    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++)
        fprintf(f, "  %-24s %s\n", actions[i][0], actions[i][1]);
}

void cli_train_markdown(FILE *f)
{
    char left[64];
    fprintf(f, "| Option | Meaning |\n|---|---|\n");
    for (int i = 0; i < train_noptions; i++) {
        option_left(i, left, sizeof left);
        fprintf(f, "| `");
        cli_markdown_cell(f, left);
        fprintf(f, "` | ");
        cli_markdown_cell(f, train_options[i].help);
        fprintf(f, "%s |\n", train_options[i].model ? " (fixed on --resume)" : "");
    }
    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++) {
        fprintf(f, "| `%s` | ", actions[i][0]);
        cli_markdown_cell(f, actions[i][1]);
        fprintf(f, " |\n");
    }
}

/* Sets option i (an index of train_options) to v, once: 0 or CLI_USAGE. */
static int set_once(TrainConfig *cli, int i, const char *v, unsigned char *seen, char **argv)
{
    S2sErr err;
    if (cli_once("train", i, seen, TRAIN_MAX_OPTIONS, argv, optind, optarg))
        return CLI_USAGE;
    if (!v && train_options[i].type != OPT_FLAG)
        v = train_options[i].implicit;
    if (train_config_set(cli, i, v, &err)) {
        fprintf(stderr, "s2s train: %s\n", err.msg);
        return CLI_USAGE;
    }
    return 0;
}

/* Another tool's name (cli_habits.c): refused, or ours set from its value(s). */
static int set_habit(TrainConfig *cli, int c, int argc, char **argv, unsigned char *seen)
{
    CliHabitValue hv;
    int rc = cli_habit_take("train", c, argc, argv, &hv);
    for (int k = 0; !rc && k < hv.n; k++)
        rc = set_once(cli, train_option_index(hv.name[k]), hv.value[k], seen, argv);
    return rc;
}

/* Parses argv into cli. Returns 0, CLI_USAGE, or -1 after printing help. */
static int parse_args(int argc, char **argv, TrainConfig *cli)
{
    struct option longs[CLI_MAX_OPTIONS + 1];
    int n = 0;
    for (int i = 0; i < train_noptions; i++)
        longs[n++] = (struct option){train_options[i].name,
                                     train_options[i].type == OPT_FLAG ? no_argument
                                     : train_options[i].implicit       ? optional_argument
                                                                       : required_argument,
                                     NULL, 1000 + i};
    longs[n++] = (struct option){"help", no_argument, NULL, 'h'};
    cli_habits_longs(CLI_TRAIN, longs, n, CLI_MAX_OPTIONS);
    int c, rc = 0;
    unsigned char seen[TRAIN_MAX_OPTIONS] = {0};
    opterr = 0;
    if (cli_habits_prescan("train", argc, argv, longs))
        return CLI_USAGE;
    while (!rc && (c = getopt_long_only(argc, argv, ":qh", longs, NULL)) != -1) {
        if (c == 'h') {
            help(stdout);
            return -1;
        }
        int i = c == 'q' ? train_option_index("quiet") : c - 1000;
        if (c >= CLI_K_HABIT)
            rc = set_habit(cli, c, argc, argv, seen);
        else if (c == '?' || c == ':' || i < 0 || i >= train_noptions)
            rc = cli_bad_option("train", c, argv[optind - 1], longs);
        else
            rc = set_once(cli, i, train_options[i].type == OPT_FLAG ? NULL : optarg, seen, argv);
    }
    if (!rc && optind < argc) {
        fprintf(stderr, "s2s train: unexpected argument '%s'\n", argv[optind]);
        rc = CLI_USAGE;
    }
    return rc;
}

static void describe(const Trainer *t, int resumed)
{
    const Corpus *c = &t->train;
    if (dist_rank() != 0)
        return;
    if (c->skipped_long || c->skipped_empty)
        fprintf(stderr, "s2s train: warning: %s: skipped %d pairs longer than --max-len %d and %d "
                        "pairs with an empty side\n", t->cfg.src, c->skipped_long, t->cfg.max_len,
                c->skipped_empty);
    if (t->has_valid && t->valid.skipped_empty)
        fprintf(stderr, "s2s train: warning: %s: skipped %d pairs with an empty side\n",
                t->cfg.valid_src, t->valid.skipped_empty);
    if (t->cfg.quiet)
        return;
    const ModelConfig *m = &t->tm.model.cfg;
    if (t->cfg.batch_words > 0)
        fprintf(stderr, "s2s train: %d pairs (%ld source, %ld target tokens), %d batches of up to "
                        "%d padded tokens (up to %d pairs)\n", c->npairs, c->src_tokens,
                c->tgt_tokens, t->batcher.nbatches, t->cfg.batch_words,
                batcher_shard_cap(&t->batcher, c, 1).pairs);
    else
        fprintf(stderr, "s2s train: %d pairs (%ld source, %ld target tokens), %d batches of up to %d\n",
                c->npairs, c->src_tokens, c->tgt_tokens, t->batcher.nbatches, t->cfg.batch);
    fprintf(stderr, "s2s train: vocab %d source, %d target; %s, %d x %d %s, embed %d, %s source; "
                    "%zu parameters; %d thread%s\n", m->src_vocab, m->tgt_vocab,
            model_arch_name(m->arch), m->layers, m->hidden, cell_name(m->cell), m->embed,
            m->reverse ? "reversed" : "unreversed", t->tm.model.nparams, t->cfg.threads,
            t->cfg.threads == 1 ? "" : "s");
    fprintf(stderr, "s2s train: BLAS: %s\n", blas_config());
    TrainMemory mem;
    trainer_memory(t, &mem);
    double MB = 1024.0 * 1024.0;
    fprintf(stderr, "s2s train: memory: parameters %.0f MB, gradients %.0f MB (%d shards), "
                    "optimizer %.0f MB, activations %.0f MB, data and other %.0f MB: %.0f MB\n",
            mem.params / MB, mem.grads / MB, mem.shards, mem.optim / MB, mem.acts / MB,
            mem.other / MB, (mem.params + mem.grads + mem.optim + mem.acts + mem.other) / MB);
    if (dist_size() > 1)
        fprintf(stderr, "s2s train: %d ranks of %d threads: each step's batch in %d shards\n",
                dist_size(), t->cfg.threads, dist_size() * t->cfg.threads);
    if (resumed)
        fprintf(stderr, "s2s train: resuming %s at step %ld, epoch %d, lr %g\n", t->cfg.resume,
                t->st.step, t->st.epoch, t->st.lr);
}

/* SIGINT/SIGTERM: finish the current step, save, exit 128 + the signal. A second signal
 * kills as usual (the handler resets itself), and the last checkpoint on
 * disk stays whole: checkpoints are written to a temporary file and renamed.
 *
 * A rank of several (mpirun): SIGUSR1 too, which mpirun forwards to every
 * rank and otherwise leaves alone (the job then ends with status 0), and
 * the handler stays: mpirun answers a SIGINT/SIGTERM of its own by sending
 * SIGTERM to the ranks, then SIGKILL (--mca odls_base_sigkill_timeout
 * seconds apart), and that SIGTERM must not kill a rank still saving.
 * The ranks stop after the same step (trainer_run). */
static volatile sig_atomic_t interrupted;

static void on_signal(int sig) { interrupted = sig; }

static void catch_signals(int on)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on ? on_signal : SIG_DFL;
    sa.sa_flags = dist_size() > 1 ? SA_RESTART : SA_RESETHAND; /* a second signal kills at once */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (dist_size() > 1)
        sigaction(SIGUSR1, &sa, NULL);
}

/* The exit code of a run a signal cut short, after saving: 128 + the
 * signal, as a shell gives a command the signal killed (130 for Ctrl-C), so
 * that `s2s train ... && s2s translate ...` stops there; SIGUSR1, the
 * request to save and stop that mpirun forwards to every rank, and the
 * end of the run that a limit reached anyway, give 0. */
static int signal_code(int sig)
{
    if (sig == 0) /* another rank's signal */
        return 128 + SIGINT;
    return sig == SIGUSR1 ? CLI_OK : 128 + sig;
}

/* Up to a trainer ready on every rank (dist.h): the options, the files'
 * checks (rank 0: it writes them) and the trainer, then the ranks' agreement.
 * *usage: the error is the command line's. */
static int start(TrainConfig *cli, TrainConfig *cfg, Checkpoint *cp, Trainer *t, int *resumed,
                 int *usage, S2sErr *err)
{
    int rc = train_config_resolve(cfg, cli, cp, resumed, 1, err);
    if (!rc && dist_rank() == 0)
        rc = train_check_files(cfg, err);
    *usage = rc == S2S_EINVAL;
    if (!rc)
        rc = trainer_init(t, cfg, *resumed ? cp : NULL, cfg->quiet || dist_rank() ? NULL : stderr,
                          err);
    return trainer_agree(t, rc, err);
}

/* Removes every `flag` from argv (argc updated): whether there was one. */
static int take_flag(int *argc, char **argv, const char *flag)
{
    int n = 0, found = 0;
    for (int i = 0; i < *argc; i++) {
        if (i > 0 && !strcmp(argv[i], flag))
            found = 1;
        else
            argv[n++] = argv[i];
    }
    argv[n] = NULL;
    *argc = n;
    return found;
}

/* --dump-config (Marian's): the resolved options as a JSON config for
 * --config, without running. */
static int dump_config(const TrainConfig *cli)
{
    TrainConfig cfg;
    Checkpoint cp;
    S2sErr err;
    int resumed = 0;
    memset(&cp, 0, sizeof cp);
    int rc = train_config_resolve(&cfg, cli, &cp, &resumed, 0, &err);
    const char *inputs[2];
    int n = 0;
    if (!rc && cfg.config)
        inputs[n++] = cfg.config;
    if (!rc && cfg.resume)
        inputs[n++] = cfg.resume;
    if (!rc && (rc = fileio_check_output(NULL, inputs, n, &err)))
        rc = S2S_EIO;
    if (rc)
        fprintf(stderr, "s2s train: %s\n", err.msg);
    cJSON *j = rc ? NULL : train_config_resolved_json(&cfg);
    cJSON_DeleteItemFromObjectCaseSensitive(j, "config");
    cJSON_DeleteItemFromObjectCaseSensitive(j, "resume");
    char *text = j ? cJSON_Print(j) : NULL;
    if (text)
        puts(text);
    free(text);
    cJSON_Delete(j);
    ckpt_free(&cp);
    train_config_free(&cfg);
    return rc ? (rc == S2S_EINVAL ? CLI_USAGE : CLI_FAIL) : text ? CLI_OK : CLI_FAIL;
}

static int train_main(int argc, char **argv)
{
    TrainConfig cli, cfg;
    Checkpoint cp;
    Trainer t;
    S2sErr err;
    int resumed = 0, usage = 0, code = CLI_OK;
    memset(&cp, 0, sizeof cp);
    memset(&t, 0, sizeof t);
    train_config_defaults(&cli);
    train_config_defaults(&cfg);
    if (argc < 2) {
        fprintf(stderr, "s2s train: what to train on? --src FILE --tgt FILE at least; "
                        "s2s train --help lists every option\n");
        trainer_agree(&t, S2S_EINVAL, &err); /* the other ranks stop too */
        return CLI_USAGE;
    }
    int dump = take_flag(&argc, argv, "--dump-config");
    int rc = parse_args(argc, argv, &cli);
    if (rc) {
        code = rc < 0 ? CLI_OK : rc;
        trainer_agree(&t, S2S_EINVAL, &err); /* the other ranks stop too */
        goto done;
    }
    if (dump) {
        code = dump_config(&cli);
        goto done;
    }
    if ((rc = start(&cli, &cfg, &cp, &t, &resumed, &usage, &err))) {
        code = usage ? CLI_USAGE : CLI_FAIL;
        goto fail;
    }
    describe(&t, resumed);
    t.interrupt = &interrupted;
    catch_signals(1);
    rc = trainer_run(&t, &err);
    catch_signals(0);
    if (rc)
        goto fail;
    if (dist_rank() != 0)
        goto done;
    double epochs = t.st.epoch - 1 + (double)t.st.batch_in_epoch / t.batcher.nbatches;
    if (t.cut_short) {
        code = signal_code(interrupted);
        char by[48] = "a signal to another rank";
        if (interrupted)
            snprintf(by, sizeof by, "signal %d", (int)interrupted);
        fprintf(stderr, "s2s train: interrupted by %s: saved %s after %ld steps (%.2f epochs); "
                        "continue with s2s train --resume %s\n", by, cfg.model, t.st.step, epochs,
                cfg.model);
    } else if (!cfg.quiet) {
        fprintf(stderr, "s2s train: saved %s after %ld steps (%.2f epochs)\n", cfg.model,
                t.st.step, epochs);
    }
    if (t.log_errno) { /* the model is saved, but what the log should hold is lost */
        fprintf(stderr, "s2s train: %s: write failed: %s: the log is incomplete\n", cfg.log,
                strerror(t.log_errno));
        code = CLI_FAIL;
    }
    goto done;
fail:
    /* another rank's failure: rank 0 says what it was */
    if (rc != S2S_EREMOTE && dist_rank() != 0)
        fprintf(stderr, "s2s train: rank %d: %s\n", dist_rank(), err.msg);
    else if (rc != S2S_EREMOTE)
        fprintf(stderr, "s2s train: %s\n", err.msg);
    if (code == CLI_OK)
        code = CLI_FAIL;
done:
    trainer_free(&t);
    ckpt_free(&cp);
    train_config_free(&cli);
    train_config_free(&cfg);
    return code;
}

/* Under mpirun (the MPI build), one rank of a training job (dist.h). */
int cli_train(int argc, char **argv)
{
    S2sErr err;
    if (dist_init(&argc, &argv, &err)) {
        fprintf(stderr, "s2s train: %s\n", err.msg);
        return CLI_FAIL;
    }
    int code = train_main(argc, argv);
    dist_finalize();
    return code;
}
