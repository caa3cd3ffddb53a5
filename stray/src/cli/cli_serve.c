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
#include "s2s/nn/blas.h"
#include "s2s/model/checkpoint.h"
#include "s2s/decode/ensemble.h"
#include "s2s/serve/server.h"

#define MAX_BEAM 64

typedef struct {
    const char *model[ENSEMBLE_MAX];
    int nmodels, nweights;
    double weights[ENSEMBLE_MAX];
    ServeOptions o;
} Args;

static void help(FILE *f)
{
    fprintf(f,
            "usage: s2s serve --model MODEL [-m MODEL2 ...] [OPTIONS]\n\n"
            "Serves translations over HTTP until SIGINT or SIGTERM:\n"
            "  POST /translator/translate  [{\"src\": \"text\"}, ...] -> [[{\"tgt\": ..., \"pred_score\": ...}], ...]\n"
            "  GET /health, GET /models, GET / (a page to try it)\n\n"
            "options:\n"
            "  -m, --model FILE          the trained model (required); several -m: an ensemble\n"
            "      --weights W1,W2,...   the ensemble members' weights (default equal)\n"
            "      --host ADDR           IPv4 address to listen on (default 127.0.0.1: this machine only)\n"
            "      --port N              port (default 5000; 0: any free one, printed)\n"
            "  -b, --beam K              beam size, also the most a request may ask; 1 = greedy (default 5)\n"
            "      --length-penalty A    GNMT length normalisation alpha (default 0.6)\n"
            "      --max-len-ratio R     output at most R * source length + 10 tokens (default 2)\n"
            "      --max-len N           truncate sources longer than N tokens (default 200)\n"
            "      --threads N           decode N batches side by side (default: all cores)\n"
            "      --batch N             sentences per decoding batch (default 32)\n"
            "      --max-wait-ms T       how long a batch waits for more sentences (default 5)\n"
            "      --max-body BYTES      largest request body (default 1048576; more: 413)\n"
            "      --max-sentences N     most sentences in a request (default 1000; more: 413)\n"
            "      --max-queue N         most sentences waiting in all (default 4096; more: 503)\n"
            "      --max-connections N   open connections at once (default 256)\n"
            "      --timeout SEC         close a connection idle this long (default 30)\n"
            "      --request-timeout SEC close a connection whose request (headers and body) takes\n"
            "                            longer to arrive, or its answer to leave (default 60)\n"
            "  -q, --quiet               no request log on stderr\n"
            "  -h, --help                this help\n");
}

enum { O_LP = 256, O_RATIO, O_MAXLEN, O_THREADS, O_BATCH, O_WAIT, O_BODY, O_SENTS, O_QUEUE,
       O_CONNS, O_TIMEOUT, O_REQ_TIMEOUT, O_HOST, O_PORT, O_WEIGHTS };

static int parse_value(Args *a, int c, const char *v)
{
    ServeOptions *o = &a->o;
    long n = 0;
    int rc = 0;
    switch (c) {
    case 'b': rc = cli_long("serve", "beam", v, 1, MAX_BEAM, &n), o->dec.beam = (int)n; break;
    case O_LP: rc = cli_double("serve", "length-penalty", v, 0, 10, &o->dec.length_penalty); break;
    case O_RATIO: rc = cli_double("serve", "max-len-ratio", v, 0, 1000, &o->dec.max_len_ratio); break;
    case O_MAXLEN: rc = cli_long("serve", "max-len", v, 1, 1000000, &o->max_len); break;
    case O_THREADS: rc = cli_long("serve", "threads", v, 1, 1024, &n), o->threads = (int)n; break;
    case O_BATCH: rc = cli_long("serve", "batch", v, 1, 4096, &n), o->batch = (int)n; break;
    case O_WAIT: rc = cli_long("serve", "max-wait-ms", v, 0, 60000, &n), o->max_wait_ms = (int)n; break;
    case O_BODY: rc = cli_long("serve", "max-body", v, 2, 1L << 30, &o->max_body); break;
    case O_SENTS: rc = cli_long("serve", "max-sentences", v, 1, 1000000, &n), o->max_sentences = (int)n; break;
    case O_QUEUE: rc = cli_long("serve", "max-queue", v, 1, 10000000, &n), o->max_queue = (int)n; break;
    case O_CONNS: rc = cli_long("serve", "max-connections", v, 1, 100000, &n), o->max_conns = (int)n; break;
    case O_TIMEOUT: rc = cli_long("serve", "timeout", v, 1, 86400, &n), o->timeout_s = (int)n; break;
    case O_REQ_TIMEOUT: rc = cli_long("serve", "request-timeout", v, 1, 86400, &n), o->request_timeout_s = (int)n; break;
    case O_PORT: rc = cli_long("serve", "port", v, 0, 65535, &n), o->port = (int)n; break;
    case O_HOST: o->host = v; break;
    case O_WEIGHTS: rc = cli_doubles("serve", "weights", v, a->weights, ENSEMBLE_MAX, &a->nweights); break;
    }
    return rc;
}

static const struct option longs[] = {
    {"model", required_argument, NULL, 'm'}, {"beam", required_argument, NULL, 'b'},
    {"length-penalty", required_argument, NULL, O_LP},
    {"max-len-ratio", required_argument, NULL, O_RATIO},
    {"max-len", required_argument, NULL, O_MAXLEN}, {"threads", required_argument, NULL, O_THREADS},
    {"batch", required_argument, NULL, O_BATCH}, {"max-wait-ms", required_argument, NULL, O_WAIT},
    {"max-body", required_argument, NULL, O_BODY},
    {"max-sentences", required_argument, NULL, O_SENTS},
    {"max-queue", required_argument, NULL, O_QUEUE},
    {"max-connections", required_argument, NULL, O_CONNS},
    {"timeout", required_argument, NULL, O_TIMEOUT},
    {"request-timeout", required_argument, NULL, O_REQ_TIMEOUT}, {"host", required_argument, NULL, O_HOST},
    {"port", required_argument, NULL, O_PORT}, {"weights", required_argument, NULL, O_WEIGHTS},
    {"quiet", no_argument, NULL, 'q'}, {"help", no_argument, NULL, 'h'}, {0, 0, 0, 0}};

static void defaults(Args *a)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    *a = (Args){.o = {.host = "127.0.0.1", .port = 5000,
                      .dec = decode_defaults(),
                      .threads = ncpu > 0 ? (int)ncpu : 1, .batch = 32, .max_wait_ms = 5,
                      .max_sentences = 1000, .max_queue = 4096, .max_body = 1L << 20,
                      .max_len = 200, .max_conns = 256, .timeout_s = 30,
                      .request_timeout_s = 60}};
}

static int parse_args(int argc, char **argv, Args *a)
{
    int c;
    unsigned char seen[1024] = {0};
    defaults(a);
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":m:b:qh", longs, NULL)) != -1) {
        if (c == 'h') {
            help(stdout);
            return -1;
        }
        if (c == '?' || c == ':') {
            cli_bad_option("serve", c, argv[optind - 1], longs);
            return CLI_USAGE;
        }
        if (c != 'm' && cli_once("serve", c, seen, 1024, argv, optind, optarg))
            return CLI_USAGE;
        if (c == 'm' && a->nmodels == ENSEMBLE_MAX) {
            fprintf(stderr, "s2s serve: at most %d models (-m)\n", ENSEMBLE_MAX);
            return CLI_USAGE;
        }
        if (c == 'm')
            a->model[a->nmodels++] = optarg;
        a->o.quiet |= c == 'q';
        if (parse_value(a, c, optarg))
            return CLI_USAGE;
    }
    if (optind < argc) {
        fprintf(stderr, "s2s serve: unexpected argument '%s'\n", argv[optind]);
        return CLI_USAGE;
    }
    if (!a->nmodels) {
        fprintf(stderr, "s2s serve: --model is required\n");
        return CLI_USAGE;
    }
    if (a->nweights && cli_check_weights("serve", a->weights, a->nweights, a->nmodels))
        return CLI_USAGE;
    if (a->o.dec.beam == 1)
        a->o.dec.mode = DECODE_GREEDY;
    a->o.model_paths = a->model;
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
    S2sErr err;
    const Model *m[ENSEMBLE_MAX];
    memset(ck, 0, sizeof ck);
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    if (ensemble_load(ck, a.model, a.nmodels, &err)) {
        fprintf(stderr, "s2s serve: %s\n", err.msg);
        return CLI_FAIL;
    }
    for (int k = 0; k < a.nmodels; k++)
        m[k] = &ck[k].model;
    rc = CLI_FAIL;
    if (ensemble_set(&e, m, a.nweights ? a.weights : NULL, a.nmodels, &err))
        fprintf(stderr, "s2s serve: %s\n", err.msg);
    else
        rc = serve(&a, ck, &e);
    for (int k = 0; k < a.nmodels; k++)
        ckpt_free(&ck[k]);
    return rc;
}
