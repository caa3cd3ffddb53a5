/* server.c: `s2s serve` (server.h): the request queue, the batcher thread
 * and the HTTP handlers on libmicrohttpd. */
#include "s2s/serve/server.h"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "s2s/base/json.h"
#include "s2s/base/text.h"
#include "s2s/base/utf8.h"
#include "s2s/decode/align.h"
#include "s2s/decode/translator.h"
#include "s2s/model/quant.h"
#include "s2s/serve/serve_page.h"
#include "s2s/text/textio.h"

/* ---- requests ---- */

typedef struct Job Job;

/* One sentence of a request and, once decoded, its hypotheses. */
typedef struct {
    Job *job;
    const char *text;   /* in the job's parsed JSON */
    size_t len;
    int beam, nbest;    /* nbest <= beam */
    double lp;
    int align;          /* "align": true: each hypothesis' word alignment */
    int taken;          /* handed to the batcher */
    int nhyp;           /* results: nhyp hypotheses, best first */
    char **hyp;
    char **alignment;   /* with align: (nhyp) "i-j ..." as translate --alignment hard */
    double *score;
} Sent;

struct Job {
    Sent *sent;
    int n, ntaken, left; /* sentences; taken by the batcher; not yet decoded */
    int failed;          /* a sentence could not be decoded (out of memory) */
    cJSON *json;         /* the request, owned */
    Job *next;           /* the queue: jobs with sentences not yet taken */
};

static void job_free(Job *j)
{
    for (int i = 0; j && i < j->n; i++) {
        for (int h = 0; h < j->sent[i].nhyp; h++) {
            free(j->sent[i].hyp[h]);
            if (j->sent[i].alignment)
                free(j->sent[i].alignment[h]);
        }
        free(j->sent[i].hyp);
        free(j->sent[i].alignment);
        free(j->sent[i].score);
    }
    if (j) {
        free(j->sent);
        cJSON_Delete(j->json);
    }
    free(j);
}

/* One connection's request as it arrives. */
typedef struct {
    char *body;
    size_t len, cap;
    int too_big;
    int status, nsent; /* for the log */
    double t0;
    char method[8], path[64];
} Conn;

/* A connection's deadline (its MHD socket context): a request, headers and
 * body, must arrive within --request-timeout seconds of the connection's
 * start or of the end of its previous request, and the answer must leave
 * within as long again; no deadline while the request is decoded. */
typedef struct Watch {
    MHD_socket fd;
    double deadline; /* ms on now_ms()'s clock; 0: none */
    int cut;         /* the watchdog closed it */
    struct Watch *prev, *next;
} Watch;

struct Server {
    ServeOptions o;
    const Checkpoint *ck;
    Ensemble e;
    Translator tr;
    struct MHD_Daemon *mhd;
    int port;
    char *models_json;
    pthread_t batcher;
    int batcher_started;
    pthread_mutex_t mu;
    pthread_cond_t work, done; /* the batcher waits on work, requests on done */
    Job *head;                 /* the queue */
    int queued;                /* sentences waiting, not yet taken */
    int inflight, stopping;
    /* the batcher's round: sentences taken, their ids, the text scratch */
    Sent **round;
    int nround, cap;
    IdBuf ids[ENSEMBLE_MAX];
    size_t *off;
    const int32_t **src;
    int *lens;
    TextBuf text;
    /* "align": the round's source pieces' words, sentence i's at src_word + sw_off[i] */
    int *src_word, *map;
    size_t *sw_off, sw_cap, map_cap;
    TokBuf words;
    AlignScratch as;
    TextBuf atext;
    /* the request deadline: the open connections' watches, the watchdog */
    pthread_mutex_t wmu;
    pthread_cond_t wtick;
    Watch *watches;
    pthread_t watchdog;
    int watchdog_started, watch_stop;
};

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

/* ---- the batcher ---- */

/* Waits (mu held) until a round's worth of sentences is queued, the first
 * has waited max_wait_ms, or the server stops. */
static void wait_for_more(Server *s)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    long ns = until.tv_nsec + (long)s->o.max_wait_ms * 1000000L;
    until.tv_sec += ns / 1000000000L, until.tv_nsec = ns % 1000000000L;
    while (s->queued < s->cap && !s->stopping)
        if (pthread_cond_timedwait(&s->work, &s->mu, &until))
            break;
}

/* Takes (mu held) up to cap queued sentences of the first one's beam,
 * length penalty and alignment request, oldest first; fully taken jobs leave the queue. */
static void take_round(Server *s)
{
    const Sent *key = NULL;
    s->nround = 0;
    for (Job **pj = &s->head; *pj && s->nround < s->cap;) {
        Job *j = *pj;
        for (int i = 0; i < j->n && s->nround < s->cap; i++) {
            Sent *x = &j->sent[i];
            if (x->taken)
                continue;
            if (!key)
                key = x;
            if (x->beam != key->beam || x->lp != key->lp || x->align != key->align)
                continue;
            x->taken = 1, j->ntaken++, s->queued--;
            s->round[s->nround++] = x;
        }
        if (j->ntaken == j->n)
            *pj = j->next;
        else
            pj = &j->next;
    }
}

/* Hypothesis h's alignment (x->align), of the text just written to sv->text. */
static int hyp_alignment(Server *sv, const Decoder *d, int s, int i, int h, const int32_t *tok,
                         int len, char **out)
{
    const Checkpoint *ck = &sv->ck[0];
    int nsrc = (int)(sv->sw_off[i + 1] - sv->sw_off[i]);
    sv->atext.len = 0;
    if (d && align_hypothesis(&sv->as, &sv->atext, 0, &ck->tm.tokenizer, &ck->tm.tgt_vocab, tok, len,
                              sv->text.p ? sv->text.p : "", sv->text.len, decode_hyp_attention(d, s, h),
                              d->max_src, nsrc, sv->ck[sv->e.align].tm.model.cfg.reverse,
                              sv->src_word + sv->sw_off[i]))
        return -1;
    return (*out = strndup(sv->atext.p ? sv->atext.p : "", sv->atext.len)) ? 0 : -1;
}

/* Translator callback: sentence i of the round, hypotheses of d's s. */
static int on_result(void *ctx, const Decoder *d, int s, int i)
{
    Server *sv = ctx;
    Sent *x = sv->round[i];
    const Checkpoint *ck = &sv->ck[0];
    const int32_t *tok = NULL;
    int len = 0;
    double score = 0, logprob;
    int nh = d ? decode_hyp(d, s, 0, &tok, &len, &score, &logprob) : 1;
    x->nhyp = nh < x->nbest ? nh : x->nbest;
    x->hyp = calloc((size_t)x->nhyp, sizeof(char *));
    x->score = calloc((size_t)x->nhyp, sizeof(double));
    x->alignment = x->align ? calloc((size_t)x->nhyp, sizeof(char *)) : NULL;
    if (!x->hyp || !x->score || (x->align && !x->alignment))
        return -1;
    for (int h = 0; h < x->nhyp; h++) {
        if (d)
            decode_hyp(d, s, h, &tok, &len, &score, &logprob);
        sv->text.len = 0;
        if (textbuf_append_words(&sv->text, &ck->tm.tokenizer, &ck->tm.tgt_vocab, tok, len) ||
            !(x->hyp[h] = strndup(sv->text.p ? sv->text.p : "", sv->text.len)) ||
            (x->align && hyp_alignment(sv, d, s, i, h, tok, len, &x->alignment[h])))
            return -1;
        x->score[h] = score;
    }
    return 0;
}

/* Sentence i's source pieces' words (its pieces in s->ids[0].tb), for "align". */
static int note_source_words(Server *s, int i, long ntok)
{
    long kept = ntok > s->o.max_len ? s->o.max_len : ntok;
    int *sw = s2s_grow(s->src_word, &s->sw_cap, s->sw_off[i] + (size_t)kept + 1, sizeof(int));
    int *map = sw ? s2s_grow(s->map, &s->map_cap, (size_t)ntok + 1, sizeof(int)) : NULL;
    if (sw)
        s->src_word = sw;
    if (map)
        s->map = map;
    if (!sw || !map || (ntok > 0 && align_line_words(&s->ck[0].tm.tokenizer, &s->ids[0].tb, (int)ntok,
                                                      s->round[i]->text, s->round[i]->len, &s->words,
                                                      s->map) < 0))
        return -1;
    memcpy(s->src_word + s->sw_off[i], s->map, sizeof(int) * (size_t)kept);
    s->sw_off[i + 1] = s->sw_off[i] + (size_t)kept;
    return 0;
}

/* The round's source ids, as `s2s translate` makes them; 0 or < 0. */
static int round_ids(Server *s, S2sErr *err)
{
    IdBuf *ids[ENSEMBLE_MAX];
    for (int k = 0; k < s->e.n; k++)
        s->ids[k].len = 0, ids[k] = &s->ids[k];
    s->off[0] = 0, s->sw_off[0] = 0;
    for (int i = 0; i < s->nround; i++) {
        const Sent *x = s->round[i];
        long ntok = 0;
        if (text_rstrip_utf8(x->text, x->len) > 0 &&
            (ntok = ensemble_source_ids(ids, s->ck, s->e.n, x->text, x->len, (int)s->o.max_len, err)) < 0)
            return -1;
        s->off[i + 1] = s->ids[0].len;
        s->sw_off[i + 1] = s->sw_off[i];
        if (x->align && note_source_words(s, i, ntok))
            return -1;
    }
    for (int i = 0; i < s->nround; i++) {
        for (int k = 0; k < s->e.n; k++)
            s->src[(size_t)k * s->nround + i] = s->ids[k].ids + s->off[i];
        s->lens[i] = (int)(s->off[i + 1] - s->off[i]);
    }
    return 0;
}

/* Decodes the round (mu not held): 0, or < 0 when it failed. */
static int run_round(Server *s)
{
    S2sErr err;
    const Sent *x = s->round[0];
    s->tr.o = s->o.dec;
    s->tr.o.mode = x->beam > 1 ? DECODE_BEAM : DECODE_GREEDY;
    s->tr.o.beam = x->beam, s->tr.o.nbest = x->beam, s->tr.o.length_penalty = x->lp;
    s->tr.o.attention = x->align; /* the round's sentences all ask it, or none */
    if (round_ids(s, &err) < 0)
        return -1;
    /* the round's sentences shared evenly between the parts (a few sentences
     * from a few clients would otherwise all fall to the first part) */
    translator_set_batch(&s->tr, (s->nround + s->tr.parts - 1) / s->tr.parts);
    return translator_run(&s->tr, s->src, s->lens, s->nround, on_result, NULL, s);
}

static void *batcher_main(void *arg)
{
    Server *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->queued && !s->stopping)
            pthread_cond_wait(&s->work, &s->mu);
        if (!s->queued)
            break; /* stopping, and nothing left */
        wait_for_more(s);
        take_round(s);
        S2S_INVARIANT(s->nround > 0); /* queued counts the queue's untaken sentences */
        pthread_mutex_unlock(&s->mu);
        int rc = run_round(s);
        pthread_mutex_lock(&s->mu);
        for (int i = 0; i < s->nround; i++) {
            s->round[i]->job->failed |= rc != 0;
            s->round[i]->job->left--;
        }
        pthread_cond_broadcast(&s->done);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* ---- the request deadline ---- */

/* The watchdog: every WATCH_TICK_MS, shuts down the socket of each
 * connection past its deadline, which ends the connection's thread as a
 * client hanging up would (the socket stays open until MHD's
 * MHD_CONNECTION_NOTIFY_CLOSED, which unlinks the watch first). */
#define WATCH_TICK_MS 200

static void *watchdog_main(void *arg)
{
    Server *s = arg;
    pthread_mutex_lock(&s->wmu);
    while (!s->watch_stop) {
        double now = now_ms();
        for (Watch *w = s->watches; w; w = w->next) {
            if (w->cut || w->deadline <= 0 || now < w->deadline)
                continue;
            shutdown(w->fd, SHUT_RDWR);
            w->cut = 1;
            if (!s->o.quiet)
                fprintf(stderr, "s2s serve: closed a connection: its request took over %d s "
                        "(--request-timeout)\n", s->o.request_timeout_s);
        }
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        long ns = until.tv_nsec + WATCH_TICK_MS * 1000000L;
        until.tv_sec += ns / 1000000000L, until.tv_nsec = ns % 1000000000L;
        pthread_cond_timedwait(&s->wtick, &s->wmu, &until);
    }
    pthread_mutex_unlock(&s->wmu);
    return NULL;
}

static Watch *watch_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

/* Starts connection c's deadline afresh (on), or lifts it. */
static void watch_arm(Server *s, struct MHD_Connection *c, int on)
{
    Watch *w = watch_of(c);
    if (!w)
        return;
    pthread_mutex_lock(&s->wmu);
    w->deadline = on ? now_ms() + 1e3 * s->o.request_timeout_s : 0;
    pthread_mutex_unlock(&s->wmu);
}

/* MHD_OPTION_NOTIFY_CONNECTION: a connection's watch, made when it opens
 * and dropped when it closes. A connection whose watch cannot be made is
 * refused (closed at once): it could otherwise be held forever. */
static void on_connection(void *cls, struct MHD_Connection *c, void **ctx,
                          enum MHD_ConnectionNotificationCode code)
{
    Server *s = cls;
    Watch *w = *ctx;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (!ci)
            return;
        if (!(w = calloc(1, sizeof *w))) {
            shutdown(ci->connect_fd, SHUT_RDWR);
            return;
        }
        w->fd = ci->connect_fd;
        w->deadline = now_ms() + 1e3 * s->o.request_timeout_s;
        pthread_mutex_lock(&s->wmu);
        w->next = s->watches;
        if (w->next)
            w->next->prev = w;
        s->watches = w;
        pthread_mutex_unlock(&s->wmu);
        *ctx = w;
    } else if (w) {
        pthread_mutex_lock(&s->wmu);
        if (w->prev)
            w->prev->next = w->next;
        else
            s->watches = w->next;
        if (w->next)
            w->next->prev = w->prev;
        pthread_mutex_unlock(&s->wmu);
        free(w);
        *ctx = NULL;
    }
}

/* ---- responses ---- */

static enum MHD_Result respond(struct MHD_Connection *c, Conn *k, int status, const char *type,
                               const char *body, size_t len)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
        MHD_add_response_header(r, "Retry-After", "1");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, "Allow", strcmp(k->path, "/translator/translate") ? "GET, HEAD" : "POST");
    enum MHD_Result ok = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    k->status = status;
    return ok;
}

static enum MHD_Result respond_json(struct MHD_Connection *c, Conn *k, int status, cJSON *j)
{
    char *p = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    if (!p)
        return respond(c, k, 500, "application/json", "{\"error\":\"out of memory\"}", 25);
    enum MHD_Result ok = respond(c, k, status, "application/json", p, strlen(p));
    free(p);
    return ok;
}

static enum MHD_Result respond_error(struct MHD_Connection *c, Conn *k, int status,
                                     const char *msg)
{
    cJSON *j = cJSON_CreateObject();
    if (j && !cJSON_AddStringToObject(j, "error", msg))
        cJSON_Delete(j), j = NULL;
    return respond_json(c, k, status, j);
}

/* ---- POST /translator/translate ---- */

/* An optional integer field of item in [lo, hi] into *v: 0, or a message. */
static const char *opt_int(const cJSON *item, const char *name, int lo, int hi, int *v)
{
    static _Thread_local char msg[96];
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(item, name);
    if (!f)
        return NULL;
    double x = cJSON_IsNumber(f) ? f->valuedouble : NAN;
    if (!(x >= lo && x <= hi) || x != floor(x)) { /* in range first: (int)2e127 is undefined */
        snprintf(msg, sizeof msg, "\"%s\" must be an integer from %d to %d", name, lo, hi);
        return msg;
    }
    *v = (int)x;
    return NULL;
}

/* The item's "id" (OpenNMT's model id): absent or the server's; else a
 * message, and *status 404. */
static const char *check_id(const ServeOptions *o, const cJSON *item, int *status)
{
    static _Thread_local char msg[160];
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "id");
    if (!id || (cJSON_IsNumber(id) && id->valuedouble == o->model_id))
        return NULL;
    *status = 404;
    if (cJSON_IsNumber(id))
        snprintf(msg, sizeof msg, "no model with \"id\" %.17g: this server has model %d (GET "
                 "/translator/models)", id->valuedouble, o->model_id);
    else
        snprintf(msg, sizeof msg, "\"id\" must be a number, the model's: this server has model %d",
                 o->model_id);
    return msg;
}

/* Item i of the request into x: NULL, or what is wrong with it. */
static const char *parse_item(const ServeOptions *o, const cJSON *item, Sent *x)
{
    const cJSON *src = cJSON_GetObjectItemCaseSensitive(item, "src");
    if (!cJSON_IsObject(item))
        return "each item must be an object {\"src\": \"text\"}";
    if (!cJSON_IsString(src))
        return "each item needs \"src\", a string";
    x->text = src->valuestring, x->len = strlen(src->valuestring);
    if (utf8_invalid_offset(x->text, x->len) >= 0)
        return "\"src\" is not valid UTF-8";
    x->beam = o->dec.mode == DECODE_BEAM ? o->dec.beam : 1, x->nbest = 1;
    x->lp = o->dec.length_penalty;
    const char *e = opt_int(item, "beam", 1, x->beam, &x->beam);
    if (!e)
        e = opt_int(item, "n_best", 1, x->beam, &x->nbest);
    const cJSON *lp = cJSON_GetObjectItemCaseSensitive(item, "length_penalty");
    if (!e && lp && (!cJSON_IsNumber(lp) || !(lp->valuedouble >= 0 && lp->valuedouble <= 10)))
        e = "\"length_penalty\" must be a number from 0 to 10";
    if (!e && lp)
        x->lp = lp->valuedouble;
    const cJSON *al = cJSON_GetObjectItemCaseSensitive(item, "align");
    if (!e && al && !cJSON_IsBool(al))
        e = "\"align\" must be true or false";
    x->align = cJSON_IsTrue(al);
    if (!e && x->align && !o->can_align)
        e = "\"align\" needs an attention model (this server's has no attention)";
    return e;
}

/* The body as a job: NULL with *status and *msg set when bad. */
static Job *parse_job(const ServeOptions *o, const char *body, size_t len, int *status,
                      const char **msg)
{
    static _Thread_local char buf[256];
    Job *j = calloc(1, sizeof *j);
    *status = 400, *msg = "out of memory";
    if (!j)
        return *status = 500, NULL;
    S2sErr err;
    int rc = json_parse(body ? body : "", len, 0, NULL, &j->json, &err);
    int n = cJSON_GetArraySize(j->json);
    if (rc) {
        snprintf(buf, sizeof buf, "the body: %.200s", err.msg);
        *status = rc == S2S_ENOMEM ? 500 : 400, *msg = buf;
    } else if (!cJSON_IsArray(j->json)) {
        *msg = "the body must be a JSON list [{\"src\": \"text\"}, ...]";
    } else if (n > o->max_sentences) {
        snprintf(buf, sizeof buf, "%d sentences: at most %d in a request (--max-sentences)", n,
                 o->max_sentences);
        *status = 413, *msg = buf;
    } else if (n > 0 && !(j->sent = calloc((size_t)n, sizeof(Sent)))) {
        *status = 500;
    } else {
        j->n = j->left = n, *msg = NULL;
        for (int i = 0; i < n && !*msg; i++) {
            j->sent[i].job = j;
            const cJSON *item = cJSON_GetArrayItem(j->json, i);
            const char *e = parse_item(o, item, &j->sent[i]);
            if (!e && (e = check_id(o, item, status)))
                snprintf(buf, sizeof buf, "%s", e), *msg = buf;
            else if (e)
                snprintf(buf, sizeof buf, "item %d: %s", i, e), *msg = buf;
        }
    }
    if (!*msg)
        return j;
    job_free(j);
    return NULL;
}

int server_check_body(const ServeOptions *o, const char *body, size_t len, int *n,
                      const char **msg)
{
    int status = 0;
    Job *j = parse_job(o, body, len, &status, msg);
    *n = j ? j->n : 0;
    if (j)
        status = 0;
    job_free(j);
    return status;
}

/* Queues j and waits until it is decoded: 0, or 503 (queue full or stopping). */
static int run_job(Server *s, Job *j)
{
    if (j->n == 0) /* nothing to decode (and a job in the queue is freed only once taken) */
        return 0;
    pthread_mutex_lock(&s->mu);
    if (s->stopping || s->queued + j->n > s->o.max_queue) {
        pthread_mutex_unlock(&s->mu);
        return 503;
    }
    Job **tail = &s->head;
    while (*tail)
        tail = &(*tail)->next;
    *tail = j;
    s->queued += j->n;
    pthread_cond_signal(&s->work);
    while (j->left > 0)
        pthread_cond_wait(&s->done, &s->mu);
    pthread_mutex_unlock(&s->mu);
    return 0;
}

static cJSON *job_answer(const Job *j)
{
    cJSON *all = cJSON_CreateArray();
    for (int i = 0; all && i < j->n; i++) {
        const Sent *x = &j->sent[i];
        cJSON *list = cJSON_CreateArray();
        if (!list || !cJSON_AddItemToArray(all, list))
            return cJSON_Delete(list), cJSON_Delete(all), NULL;
        for (int h = 0; h < x->nhyp; h++) {
            cJSON *o = cJSON_CreateObject();
            if (!o || !cJSON_AddItemToArray(list, o) ||
                !cJSON_AddStringToObject(o, "src", x->text) ||
                !cJSON_AddStringToObject(o, "tgt", x->hyp[h]) ||
                !cJSON_AddNumberToObject(o, "n_best", x->nbest) ||
                !cJSON_AddNumberToObject(o, "pred_score", x->score[h]) ||
                (x->align && !cJSON_AddStringToObject(o, "align", x->alignment[h])))
                return cJSON_Delete(all), NULL;
        }
    }
    return all;
}

static enum MHD_Result translate(Server *s, struct MHD_Connection *c, Conn *k)
{
    int status;
    const char *msg;
    if (k->too_big) {
        char buf[96];
        snprintf(buf, sizeof buf, "the body is over %ld bytes (--max-body)", s->o.max_body);
        return respond_error(c, k, 413, buf);
    }
    Job *j = parse_job(&s->o, k->body, k->len, &status, &msg);
    if (!j)
        return respond_error(c, k, status, msg);
    k->nsent = j->n;
    if (run_job(s, j)) {
        job_free(j);
        return respond_error(c, k, 503, "the server is busy or stopping: retry later");
    }
    cJSON *answer = j->failed ? NULL : job_answer(j);
    job_free(j);
    if (!answer)
        return respond_error(c, k, 500, "out of memory while translating");
    return respond_json(c, k, 200, answer);
}

/* ---- routing ---- */

static enum MHD_Result get_route(Server *s, struct MHD_Connection *c, Conn *k)
{
    if (!strcmp(k->path, "/")) {
        const char *p = serve_page();
        return respond(c, k, 200, "text/html; charset=utf-8", p, strlen(p));
    }
    if (!strcmp(k->path, "/health") || !strcmp(k->path, "/translator/health"))
        return respond(c, k, 200, "application/json", "{\"status\":\"ok\"}", 15);
    return respond(c, k, 200, "application/json", s->models_json, strlen(s->models_json));
}

static int known_path(const char *p)
{
    return !strcmp(p, "/") || !strcmp(p, "/health") || !strcmp(p, "/models") ||
           !strcmp(p, "/translator/translate") || !strcmp(p, "/translator/health") ||
           !strcmp(p, "/translator/models");
}

/* The first call for a request: its connection state, or a response queued
 * at once (a declared body over --max-body). */
static Conn *begin(Server *s, struct MHD_Connection *c, const char *url, const char *method)
{
    Conn *k = calloc(1, sizeof *k);
    if (!k)
        return NULL;
    k->t0 = now_ms();
    snprintf(k->method, sizeof k->method, "%s", method);
    snprintf(k->path, sizeof k->path, "%s", url);
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    if (cl && strtod(cl, NULL) > (double)s->o.max_body)
        k->too_big = 1;
    pthread_mutex_lock(&s->mu);
    s->inflight++;
    pthread_mutex_unlock(&s->mu);
    return k;
}

/* The whole request is in: its answer. HEAD is GET without the body (MHD
 * leaves it out). */
static enum MHD_Result route(Server *s, struct MHD_Connection *c, const char *url, Conn *k,
                             int post, int get)
{
    if (!known_path(url))
        return respond_error(c, k, 404, "no such path: try POST /translator/translate");
    if (!strcmp(url, "/translator/translate"))
        return post ? translate(s, c, k)
                    : respond_error(c, k, 405, "use POST for /translator/translate");
    return get ? get_route(s, c, k) : respond_error(c, k, 405, "use GET");
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *up,
                               size_t *up_size, void **con_cls)
{
    (void)version;
    Server *s = cls;
    Conn *k = *con_cls;
    if (!k)
        return (*con_cls = begin(s, c, url, method)) ? MHD_YES : MHD_NO;
    int post = !strcmp(method, "POST"), get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    if (*up_size) { /* the body, piece by piece: kept up to --max-body */
        size_t n = *up_size;
        *up_size = 0;
        if (!post || k->too_big || k->len + n > (size_t)s->o.max_body) {
            k->too_big |= post;
            return MHD_YES;
        }
        if (k->len + n + 1 > k->cap) {
            size_t cap = (k->len + n + 1) * 2;
            char *p = realloc(k->body, cap);
            if (!p)
                return MHD_NO;
            k->body = p, k->cap = cap;
        }
        memcpy(k->body + k->len, up, n);
        k->len += n;
        return MHD_YES;
    }
    watch_arm(s, c, 0); /* the request is in: no deadline while it is decoded */
    enum MHD_Result r = route(s, c, url, k, post, get);
    watch_arm(s, c, 1); /* and the answer has --request-timeout to leave */
    return r;
}

/* A request is over (answered, or its client went away): the log line. */
static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    Server *s = cls;
    Conn *k = *con_cls;
    watch_arm(s, c, 1); /* the next request on this connection has as long */
    if (!k)
        return;
    Watch *w = watch_of(c);
    pthread_mutex_lock(&s->wmu);
    int cut = w && w->cut;
    pthread_mutex_unlock(&s->wmu);
    const char *how = toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? ""
                      : cut ? " (closed: over --request-timeout)"
                            : " (connection closed early)";
    if (!s->o.quiet)
        fprintf(stderr, "s2s serve: %s %s %d %d sentences %.1f ms%s\n", k->method, k->path,
                k->status, k->nsent, now_ms() - k->t0, how);
    free(k->body);
    free(k);
    *con_cls = NULL;
    pthread_mutex_lock(&s->mu);
    s->inflight--;
    pthread_cond_broadcast(&s->done);
    pthread_mutex_unlock(&s->mu);
}

/* ---- start and stop ---- */

/* {"kind": "bpe", "merges": 10000}: the tokenizer without its merges. */
static cJSON *tokenizer_summary(const cJSON *info)
{
    const cJSON *tk = cJSON_GetObjectItemCaseSensitive(info, "tokenizer");
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(tk, "kind");
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "kind", cJSON_IsString(kind) ? kind->valuestring : "?");
    cJSON_AddNumberToObject(o, "merges", cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(tk, "merges")));
    return o;
}

/* GET /models: each model's id (the server's), file, config, tokenizer
 * (kind and merges), languages, parameters and run id, as s2s info
 * summarises them, the precision it decodes in and the shortlist (whose scores
 * are over it), into *out (malloc'd). */
static int models_json(const ServeOptions *o, const Ensemble *e, char **out, S2sErr *err)
{
    int n = e->n;
    cJSON *all = cJSON_CreateArray();
    int rc = all ? 0 : S2S_ENOMEM;
    for (int k = 0; !rc && k < n; k++) {
        cJSON *info = NULL, *m = cJSON_CreateObject();
        if (!m || !cJSON_AddItemToArray(all, m)) {
            cJSON_Delete(m);
            rc = S2S_ENOMEM;
        } else if (!(rc = ckpt_read_info(o->model_paths[k], &info, err))) {
            cJSON_AddNumberToObject(m, "id", o->model_id);
            cJSON_AddStringToObject(m, "model", o->model_paths[k]);
            cJSON_AddItemToObject(m, "config", cJSON_DetachItemFromObject(info, "config"));
            cJSON_AddItemToObject(m, "tokenizer", tokenizer_summary(info));
            cJSON *l = cJSON_DetachItemFromObject(info, "languages");
            cJSON_AddItemToObject(m, "languages", l ? l : cJSON_CreateNull());
            cJSON_AddNumberToObject(m, "parameters", (double)e->m[k]->nparams);
            cJSON *id = cJSON_DetachItemFromObject(info, "run_id");
            cJSON_AddItemToObject(m, "run_id", id ? id : cJSON_CreateNull());
            cJSON_AddStringToObject(m, "precision", precision_name(e->m[k]->quant ? e->m[k]->quant->prec
                                                                                  : PREC_FP32));
            const Shortlist *sl = o->dec.shortlist;
            cJSON *js = sl ? cJSON_AddObjectToObject(m, "shortlist") : cJSON_AddFalseToObject(m, "shortlist");
            if (sl && js)
                cJSON_AddNumberToObject(js, "first", sl->first), cJSON_AddNumberToObject(js, "best", sl->best);
            cJSON_Delete(info);
        }
    }
    *out = rc ? NULL : cJSON_PrintUnformatted(all);
    cJSON_Delete(all);
    if (!rc && !*out)
        rc = S2S_ENOMEM;
    return rc == S2S_ENOMEM ? s2s_fail(err, S2S_ENOMEM, "out of memory") : rc;
}

static int alloc_round(Server *s, S2sErr *err)
{
    size_t n = (size_t)s->cap;
    s->round = calloc(n, sizeof(Sent *));
    s->off = calloc(n + 1, sizeof(size_t));
    s->src = calloc(n * (size_t)s->e.n, sizeof(int32_t *));
    s->lens = calloc(n, sizeof(int));
    s->sw_off = calloc(n + 1, sizeof(size_t));
    if (!s->round || !s->off || !s->src || !s->lens || !s->sw_off)
        return s2s_fail(err, S2S_ENOMEM, "out of memory");
    return 0;
}

static int listen_http(Server *s, S2sErr *err)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s->o.port)};
    if (inet_pton(AF_INET, s->o.host, &sa.sin_addr) != 1)
        return s2s_fail(err, S2S_EINVAL, "--host %s: not an IPv4 address", s->o.host);
    s->mhd = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC,
        (uint16_t)s->o.port, NULL, NULL, handler, s, MHD_OPTION_SOCK_ADDR, &sa,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)s->o.max_conns, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)s->o.timeout_s, MHD_OPTION_NOTIFY_COMPLETED, completed, s,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, s, MHD_OPTION_END);
    if (!s->mhd)
        return s2s_fail(err, S2S_EIO, "%s:%d: cannot listen (in use, or not this machine's)",
                        s->o.host, s->o.port);
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di && di->port ? di->port : s->o.port;
    return 0;
}

int server_start(Server **out, const ServeOptions *o, const Checkpoint *ck, const Ensemble *e,
                 S2sErr *err)
{
    Server *s = calloc(1, sizeof *s);
    *out = NULL;
    if (!s)
        return s2s_fail(err, S2S_ENOMEM, "out of memory");
    s->o = *o, s->ck = ck, s->e = *e, s->cap = o->batch * o->threads;
    s->o.can_align = e->align >= 0;
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->work, &ca);
    pthread_cond_init(&s->wtick, &ca);
    pthread_cond_init(&s->done, NULL);
    pthread_mutex_init(&s->wmu, NULL);
    pthread_condattr_destroy(&ca);
    int rc = translator_init(&s->tr, e, &o->dec, o->batch, o->threads, (int)o->max_len, s->cap,
                             1, err);
    if (!rc)
        rc = models_json(o, e, &s->models_json, err);
    if (!rc)
        rc = alloc_round(s, err);
    if (!rc && pthread_create(&s->batcher, NULL, batcher_main, s))
        rc = s2s_fail(err, S2S_ENOMEM, "cannot start the batcher thread");
    s->batcher_started = !rc;
    if (!rc && pthread_create(&s->watchdog, NULL, watchdog_main, s))
        rc = s2s_fail(err, S2S_ENOMEM, "cannot start the watchdog thread");
    s->watchdog_started = !rc;
    if (!rc)
        rc = listen_http(s, err);
    if (rc) {
        server_stop(s);
        return rc;
    }
    *out = s;
    return 0;
}

int server_port(const Server *s) { return s->port; }

void server_stop(Server *s)
{
    if (!s)
        return;
    if (s->mhd) { /* no new connections; the requests in flight finish */
        MHD_socket fd = MHD_quiesce_daemon(s->mhd);
        if (fd != MHD_INVALID_SOCKET)
            close(fd);
        pthread_mutex_lock(&s->mu);
        while (s->inflight > 0)
            pthread_cond_wait(&s->done, &s->mu);
        pthread_mutex_unlock(&s->mu);
    }
    pthread_mutex_lock(&s->mu);
    s->stopping = 1;
    pthread_cond_signal(&s->work);
    pthread_mutex_unlock(&s->mu);
    if (s->batcher_started)
        pthread_join(s->batcher, NULL);
    if (s->mhd)
        MHD_stop_daemon(s->mhd);
    pthread_mutex_lock(&s->wmu);
    s->watch_stop = 1;
    pthread_cond_signal(&s->wtick);
    pthread_mutex_unlock(&s->wmu);
    if (s->watchdog_started)
        pthread_join(s->watchdog, NULL);
    translator_free(&s->tr);
    for (int k = 0; k < ENSEMBLE_MAX; k++)
        idbuf_free(&s->ids[k]);
    textbuf_free(&s->text);
    textbuf_free(&s->atext);
    tokbuf_free(&s->words);
    align_scratch_free(&s->as);
    free(s->src_word);
    free(s->map);
    free(s->sw_off);
    free(s->round);
    free(s->off);
    free(s->src);
    free(s->lens);
    free(s->models_json);
    pthread_cond_destroy(&s->work);
    pthread_cond_destroy(&s->wtick);
    pthread_cond_destroy(&s->done);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->wmu);
    free(s);
}
