/* s2s serve: loads the model(s), serves them over HTTP (server.h) until
 * SIGINT or SIGTERM, then answers the requests in flight and exits 0. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "s2s/decode/ensemble.h"
#include "s2s/model/checkpoint.h"
#include "s2s/nn/blas.h"
#include "s2s/serve/server.h"

typedef struct {
    CliModels m;
    ServeOptions o;
} Args;

static void help(FILE *f)
{
    fprintf(f,
            "usage: s2s serve --model MODEL [-m MODEL2 ...] [OPTIONS]\n\n"
            "Serves translations over HTTP until SIGINT or SIGTERM:\n"
            "  POST /translator/translate  [{\"src\": \"text\"}, ...] -> [[{\"tgt\": ..., \"pred_score\": ...}], ...]\n"
            "  GET /health, GET /models, GET / (a page to try it)\n\n"
            "options:\n");
    cli_options_help(f, CLI_SERVE);
}

/* One option's value into a: 0, or CLI_USAGE after a message. */
static int parse_value(Args *a, int c, const char *v)
{
    ServeOptions *o = &a->o;
    double x = 0;
    if (cli_options_number("serve", CLI_SERVE, c, v, &x))
        return CLI_USAGE;
    switch (c) {
    case 'm': return cli_models_add(&a->m, "serve", v);
    case CLI_K_PREC: return cli_models_precision(&a->m, "serve", v);
    case 'q': o->quiet = 1; break;
    case 'b': o->dec.beam = (int)x; break;
    case CLI_K_LP: o->dec.length_penalty = x; break;
    case CLI_K_RATIO: o->dec.max_len_ratio = x; break;
    case CLI_K_MAXOUT: o->dec.max_out_len = (int)x; break;
    case CLI_K_MAXLEN: o->max_len = (long)x; break;
    case CLI_K_THREADS: o->threads = (int)x; break;
    case CLI_K_BATCH: o->batch = (int)x; break;
    case CLI_K_WAIT: o->max_wait_ms = (int)x; break;
    case CLI_K_BODY: o->max_body = (long)x; break;
    case CLI_K_SENTS: o->max_sentences = (int)x; break;
    case CLI_K_QUEUE: o->max_queue = (int)x; break;
    case CLI_K_CONNS: o->max_conns = (int)x; break;
    case CLI_K_TIMEOUT: o->timeout_s = (int)x; break;
    case CLI_K_REQ_TIMEOUT: o->request_timeout_s = (int)x; break;
    case CLI_K_MODEL_ID: o->model_id = (int)x; break;
    case CLI_K_PORT: o->port = (int)x; break;
    case CLI_K_HOST: o->host = v; break;
    case CLI_K_WEIGHTS:
        return cli_doubles("serve", "weights", v, a->m.weights, ENSEMBLE_MAX, &a->m.nweights);
    }
    return 0;
}

static void defaults(Args *a)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    *a = (Args){.o = {.host = "127.0.0.1", .port = 5000,
                      .dec = decode_defaults(),
                      .threads = ncpu > 0 ? (int)ncpu : 1, .batch = 32, .max_wait_ms = 5,
                      .max_sentences = 1000, .max_queue = 4096, .max_body = 1L << 20,
                      .max_len = 200, .max_conns = 256, .timeout_s = 30, .model_id = 100,
                      .request_timeout_s = 60}};
}

static int parse_args(int argc, char **argv, Args *a)
{
    struct option longs[CLI_MAX_OPTIONS + 1];
    char shorts[32];
    cli_options_longs(CLI_SERVE, longs, shorts);
    int c;
    unsigned char seen[CLI_K_LAST] = {0};
    defaults(a);
    opterr = 0;
    if (cli_habits_prescan("serve", argc, argv, longs))
        return CLI_USAGE;
    while ((c = getopt_long_only(argc, argv, shorts, longs, NULL)) != -1) {
        if (c == 'h') {
            help(stdout);
            return -1;
        }
        if (c >= CLI_K_HABIT) { /* another tool's name for what s2s does otherwise */
            CliHabitValue hv;
            return cli_habit_take("serve", c, argc, argv, &hv) ? CLI_USAGE : CLI_FAIL;
        }
        if (c == '?' || c == ':') {
            cli_bad_option("serve", c, argv[optind - 1], longs);
            return CLI_USAGE;
        }
        if (c != 'm' && cli_once("serve", c, seen, CLI_K_LAST, argv, optind, optarg))
            return CLI_USAGE;
        if (c == CLI_K_SHORTLIST && cli_shortlist_arg("serve", &a->m, optarg, argc, argv))
            return CLI_USAGE;
        if (parse_value(a, c, optarg))
            return CLI_USAGE;
    }
    if (optind < argc) {
        fprintf(stderr, "s2s serve: unexpected argument '%s'\n", argv[optind]);
        return CLI_USAGE;
    }
    if (cli_models_check(&a->m, "serve"))
        return CLI_USAGE;
    if (a->o.dec.beam == 1)
        a->o.dec.mode = DECODE_GREEDY;
    a->o.model_paths = a->m.path;
    return 0;
}

/* SIGINT/SIGTERM: the handler writes the signal to a pipe the main thread
 * reads (any thread may take a process's signal, the BLAS library's among
 * them, so a handler, not a mask, keeps it from killing the process). */
static int sig_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
    unsigned char c = (unsigned char)sig;
    ssize_t n = write(sig_pipe[1], &c, 1);
    (void)n;
}

static int catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    signal(SIGPIPE, SIG_IGN); /* a client gone mid-answer is an error of that send only */
    return pipe(sig_pipe) || sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL);
}

static int wait_signal(void)
{
    unsigned char c = 0;
    while (read(sig_pipe[0], &c, 1) < 0 && errno == EINTR)
        ;
    return c;
}

/* Serves until SIGINT or SIGTERM. */
static int serve(Args *a, const Checkpoint *ck, const Ensemble *e)
{
    S2sErr err;
    Server *s;
    if (catch_signals()) {
        fprintf(stderr, "s2s serve: cannot catch SIGINT and SIGTERM\n");
        return CLI_FAIL;
    }
    blas_set_threads(a->o.threads);
    if (server_start(&s, &a->o, ck, e, &err)) {
        fprintf(stderr, "s2s serve: %s\n", err.msg);
        return CLI_FAIL;
    }
    if (blas_check_memory(a->o.threads, &err)) { /* before any request reaches the library */
        server_stop(s);
        fprintf(stderr, "s2s serve: %s\n", err.msg);
        return CLI_FAIL;
    }
    fprintf(stderr, "s2s serve: listening on http://%s:%d/ (%d model%s, beam %d, batch %d, %d threads)\n",
            a->o.host, server_port(s), e->n, e->n > 1 ? "s" : "", a->o.dec.beam, a->o.batch,
            a->o.threads);
    int sig = wait_signal();
    if (!a->o.quiet)
        fprintf(stderr, "s2s serve: %s: answering the requests in flight, then stopping\n",
                sig == SIGINT ? "SIGINT" : "SIGTERM");
    server_stop(s);
    if (!a->o.quiet)
        fprintf(stderr, "s2s serve: stopped\n");
    return CLI_OK;
}

int cli_serve(int argc, char **argv)
{
    Args a;
    Checkpoint ck[ENSEMBLE_MAX];
    Ensemble e;
    Shortlist sl;
    S2sErr err;
    const Model *m[ENSEMBLE_MAX];
    memset(ck, 0, sizeof ck);
    memset(&sl, 0, sizeof sl);
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    if (ensemble_load(ck, a.m.path, a.m.n, &err) ||
        ensemble_precision(ck, a.m.n, a.m.prec_given, a.m.prec, &err) ||
        cli_models_shortlist(&a.m, ck, &sl, a.o.quiet ? NULL : stderr, &err)) {
        fprintf(stderr, "s2s serve: %s\n", err.msg);
        for (int k = 0; k < a.m.n; k++)
            ckpt_free(&ck[k]);
        return CLI_FAIL;
    }
    a.o.dec.shortlist = a.m.shortlist ? &sl : NULL;
    for (int k = 0; k < a.m.n; k++)
        m[k] = &ck[k].tm.model;
    rc = CLI_FAIL;
    if (ensemble_set(&e, m, a.m.nweights ? a.m.weights : NULL, a.m.n, &err))
        fprintf(stderr, "s2s serve: %s\n", err.msg);
    else
        rc = serve(&a, ck, &e);
    for (int k = 0; k < a.m.n; k++)
        ckpt_free(&ck[k]);
    shortlist_free(&sl);
    return rc;
}
