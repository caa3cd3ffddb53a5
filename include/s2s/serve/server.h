/* server.h: `s2s serve`, translation over HTTP (libmicrohttpd).
 *
 * API, in OpenNMT-py's REST shape (onmt_server):
 *   POST /translator/translate  [{"src": "text", "id": 1}, ...]
 *        -> [[{"src": "text", "tgt": "translation", "n_best": 1, "pred_score": -1.23}], ...]
 *        one inner list per input, in order, of its n_best hypotheses (an
 *        item may ask "n_best", "beam" and "length_penalty" within the
 *        server's limits);
 *   GET /health -> {"status": "ok"};  GET /models -> the models' configs;
 *   GET / -> a self-contained page to try it in the browser.
 *
 * Dynamic batching: a request's sentences join a queue; one batcher
 * thread takes up to batch x threads of them (sentences of the same beam
 * and length penalty), waiting at most max_wait_ms after the first for
 * more, decodes them with the translator (translator.h: sorted by length,
 * `threads` batches side by side) and hands each request its answer as
 * soon as its last sentence is done. A sentence gets the translation `s2s
 * translate` prints for it with the same options (the products round the
 * scores in the last bits differently for other batch sizes).
 *
 * Each connection runs on its own thread (at most max_conns, each timing
 * out after timeout_s seconds idle, and closed when a request takes over
 * request_timeout_s to arrive or its answer as long to leave: a watchdog
 * thread shuts its socket down); the request waits on its thread.
 */
#ifndef S2S_SERVER_H
#define S2S_SERVER_H

#include "s2s/decode/decode.h"
#include "s2s/decode/ensemble.h"
#include "s2s/model/checkpoint.h"

typedef struct {
    const char *host;     /* numeric IPv4 address to listen on (default 127.0.0.1) */
    int port;             /* 0: any free port (server_port tells which) */
    DecodeOptions dec;    /* defaults; dec.beam is also the largest beam a request may ask */
    int threads, batch;   /* batches side by side, sentences per batch */
    int max_wait_ms;      /* how long a round waits for more sentences */
    int max_sentences;    /* per request; more: 413 */
    int max_queue;        /* sentences waiting in all; a request over it: 503 */
    long max_body;        /* bytes; more: 413 */
    long max_len;         /* source tokens kept (longer sources are truncated) */
    int max_conns, timeout_s; /* open connections; idle seconds before one is closed */
    int request_timeout_s; /* a request's headers and body must arrive within it, and its
                              answer leave within it again (a slow client cannot hold a
                              connection, nor delay SIGTERM, for longer) */
    int quiet;            /* no request log on stderr */
    int model_id;         /* the "id" a request may name (OpenNMT's model id); another: 404 */
    int can_align;        /* the ensemble has an attention member: a request may ask "align" */
    const char *const *model_paths; /* (members) for GET /models */
} ServeOptions;

typedef struct Server Server;

/* Loads nothing: serves the ensemble e of checkpoints ck (which must
 * outlive the server). Listens and starts the batcher; 0, or an error
 * ("127.0.0.1:5000: cannot listen: ..."). */
int server_start(Server **out, const ServeOptions *o, const Checkpoint *ck, const Ensemble *e,
                 S2sErr *err);
/* The port it listens on. */
int server_port(const Server *s);
/* What POST /translator/translate makes of a body under options o (for
 * tests and fuzzing): 0 and *n its sentences, or the status a request with
 * it gets (400, 404, 413, 500) and *msg the error (valid until the thread's
 * next call). */
int server_check_body(const ServeOptions *o, const char *body, size_t len, int *n,
                      const char **msg);
/* Stops accepting connections, answers the requests in flight (one still
 * arriving has until its request_timeout_s), stops and frees everything. */
void server_stop(Server *s);

#endif
