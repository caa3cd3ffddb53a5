/* The model-file loader against hostile files: huge sparse files whose
 * header is consistent with their size (refused from the metadata, before
 * any parameter is read: checked under an address-space limit), and files
 * whose JSON or parameters were edited and then re-sealed (json_len,
 * padding and checksum recomputed) so that only the content checks can
 * catch them. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "s2s/model/checkpoint.h"

/* ckpt_save of a translation model assembled from its parts (shallow copies). */
static int save_parts(const char *path, const Model *m, const Vocab *sv, const Vocab *tv,
                      const Tokenizer *tk, const cJSON *train, const float *opt, const float *raw,
                      S2sErr *err)
{
    TranslationModel tm = {.model = *m, .src_vocab = *sv, .tgt_vocab = *tv, .tokenizer = *tk};
    return ckpt_save(path, &tm, &(CkptTraining){train, opt, raw}, err);
}

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

static char dir[] = "/tmp/s2s-test-ckpt2-XXXXXX";
static char good[300], bad[300];

/* ---- building and re-sealing model files ---- */

static uint64_t fnv1a(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* A model file taken apart: header, JSON (NUL-terminated), the rest
 * (parameters and moments, without the checksum). */
typedef struct {
    unsigned char head[32];
    char *json;
    size_t json_len;
    unsigned char *body;
    size_t body_len;
} Parts;

static void parts_read(const char *path, Parts *p)
{
    FILE *f = fopen(path, "rb");
    if (!f || fread(p->head, 1, 32, f) != 32)
        abort();
    p->json_len = get_u64(p->head + 16);
    p->json = calloc(p->json_len + 1, 1);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    size_t pad = (64 - (32 + p->json_len) % 64) % 64;
    p->body_len = (size_t)size - 32 - p->json_len - pad - 8;
    p->body = malloc(p->body_len);
    fseek(f, 32, SEEK_SET);
    if (fread(p->json, 1, p->json_len, f) != p->json_len || fseek(f, (long)pad, SEEK_CUR) ||
        fread(p->body, 1, p->body_len, f) != p->body_len)
        abort();
    fclose(f);
}

static void parts_free(Parts *p)
{
    free(p->json);
    free(p->body);
}

/* Writes json (of json_len bytes) and body with a correct header, padding
 * and checksum. */
static void write_sealed(const char *path, const Parts *p, const char *json, size_t json_len,
                         const unsigned char *body)
{
    unsigned char head[32], zeros[64] = {0}, tail[8];
    memcpy(head, p->head, 32);
    put_u64(head + 16, json_len);
    size_t pad = (64 - (32 + json_len) % 64) % 64;
    uint64_t h = 0xcbf29ce484222325ULL;
    h = fnv1a(h, head, 32);
    h = fnv1a(h, json, json_len);
    h = fnv1a(h, zeros, pad);
    h = fnv1a(h, body, p->body_len);
    put_u64(tail, h);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(head, 1, 32, f) != 32 || fwrite(json, 1, json_len, f) != json_len ||
        fwrite(zeros, 1, pad, f) != pad || fwrite(body, 1, p->body_len, f) != p->body_len ||
        fwrite(tail, 1, 8, f) != 8 || fclose(f))
        abort();
}

/* The model of path with the first `from` in its JSON replaced by `to`. */
static void reseal_replace(const char *path, const char *out, const char *from, const char *to,
                           size_t to_len)
{
    Parts p;
    parts_read(path, &p);
    char *at = strstr(p.json, from);
    if (!at) {
        fprintf(stderr, "reseal: '%s' not in the JSON\n", from);
        abort();
    }
    size_t pre = (size_t)(at - p.json), from_len = strlen(from);
    size_t n = p.json_len - from_len + to_len;
    char *json = malloc(n + 1);
    memcpy(json, p.json, pre);
    memcpy(json + pre, to, to_len);
    memcpy(json + pre + to_len, at + from_len, p.json_len - pre - from_len);
    write_sealed(out, &p, json, n, p.body);
    free(json);
    parts_free(&p);
}

/* The model of path with float k of its body (parameters, then moments) set to x. */
static void reseal_float(const char *path, const char *out, size_t k, float x)
{
    Parts p;
    parts_read(path, &p);
    memcpy(p.body + 4 * k, &x, 4);
    write_sealed(out, &p, p.json, p.json_len, p.body);
    parts_free(&p);
}

static const ModelConfig tiny_cfg = {.src_vocab = 7, .tgt_vocab = 8, .embed = 3, .hidden = 4,
                                     .layers = 1, .reverse = 1};

/* Offset of the named tensor in the parameter block of tiny_cfg. */
static size_t tensor_offset(const char *name)
{
    Model m;
    S2sErr err;
    memset(&m, 0, sizeof m);
    if (model_plan(&m, &tiny_cfg, &err))
        abort();
    for (int i = 0; i < m.ntensors; i++)
        if (strcmp(m.tensors[i].name, name) == 0)
            return m.tensors[i].offset;
    abort();
}

static void make_model(const char *path, int bpe, int adam, size_t *nparams)
{
    static const char *sw[] = {"<pad>", "<unk>", "<s>", "</s>", "ein", "zwei", "drei"};
    static const char *tw[] = {"<pad>", "<unk>", "<s>", "</s>", "one", "two", "three", "four"};
    static const char *merges[] = {"e i", "ei n</w>"};
    ModelConfig cfg = tiny_cfg;
    Model m;
    Vocab sv, tv;
    Tokenizer tk;
    S2sErr err;
    Rng r;
    rng_seed(&r, 5);
    memset(&tk, 0, sizeof tk);
    CHECK(vocab_from_words(&sv, sw, 7, &err) == 0 && vocab_from_words(&tv, tw, 8, &err) == 0);
    CHECK(tokenizer_from_name(&tk, bpe ? "bpe" : "word", &err) == 0);
    if (bpe) {
        Bpe b;
        CHECK(bpe_from_texts(&b, merges, 2, &err) == 0);
        tokenizer_set_bpe(&tk, &b);
    }
    CHECK(model_init(&m, &cfg, &err) == 0);
    model_init_uniform(&m, 0.1f, &r);
    float *opt = NULL;
    if (adam) {
        opt = malloc(2 * m.nparams * sizeof(float));
        for (size_t i = 0; i < 2 * m.nparams; i++)
            opt[i] = 0.01f * (float)(i % 7);
    }
    cJSON *train = cJSON_CreateObject();
    cJSON_AddNumberToObject(train, "step", 3);
    CHECK(save_parts(path, &m, &sv, &tv, &tk, train, opt, NULL, &err) == 0);
    *nparams = m.nparams;
    cJSON_Delete(train);
    free(opt);
    model_free(&m);
    tokenizer_free(&tk);
    vocab_free(&sv);
    vocab_free(&tv);
}

static int load_msg(const char *path, S2sErr *err)
{
    Checkpoint ck;
    int rc = ckpt_load(path, &ck, err);
    if (rc == 0)
        ckpt_free(&ck);
    else
        CHECK(ck.tm.model.params == NULL && ck.train == NULL && ck.opt_state == NULL);
    return rc;
}

/* ckpt_load and ckpt_read_info both refuse path with a message naming it
 * and holding `what`. */
static void expect_refused(const char *path, const char *what, const char *label)
{
    S2sErr err = {""};
    int rc = load_msg(path, &err);
    CHECK_MSG(rc != 0 && strstr(err.msg, what) && strstr(err.msg, path),
              "%s: rc %d, '%s' (wanted '%s')", label, rc, err.msg, what);
    cJSON *info = NULL;
    S2sErr err2 = {""};
    rc = ckpt_read_info(path, &info, &err2);
    CHECK_MSG(rc != 0 && info == NULL && strcmp(err.msg, err2.msg) == 0, "%s (info): rc %d, '%s'",
              label, rc, err2.msg);
}

/* ---- metadata before parameters ---- */

/* Loads path in a child whose address space may grow by 1 GiB only, so
 * that reading (or even allocating) gigabytes of parameters fails with
 * "out of memory"; returns the child's error message in msg. */
static void load_limited(const char *path, char *msg, size_t cap)
{
    int fd[2];
    msg[0] = '\0';
    if (pipe(fd))
        abort();
    pid_t pid = fork();
    if (pid == 0) {
        long pages = 0;
        FILE *f = fopen("/proc/self/statm", "r");
        if (!f || fscanf(f, "%ld", &pages) != 1)
            _exit(2);
        fclose(f);
        rlim_t now = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE);
        struct rlimit rl = {now + (1u << 30), now + (1u << 30)};
        if (setrlimit(RLIMIT_AS, &rl))
            _exit(2);
        S2sErr err = {""};
        if (load_msg(path, &err) == 0)
            snprintf(err.msg, sizeof err.msg, "loaded");
        ssize_t w = write(fd[1], err.msg, strlen(err.msg));
        _exit(w < 0 ? 2 : 0);
    }
    close(fd[1]);
    size_t n = 0;
    ssize_t got;
    while (n + 1 < cap && (got = read(fd[0], msg + n, cap - 1 - n)) > 0)
        n += (size_t)got;
    msg[n] = '\0';
    close(fd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
}

/* A sparse file of `size` bytes holding head, then json, then zeros. */
static void write_sparse(const char *path, const unsigned char *head, const char *json,
                         size_t json_len, uint64_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(head, 1, 32, f) != 32 || fwrite(json, 1, json_len, f) != json_len ||
        fflush(f) || ftruncate(fileno(f), (off_t)size) || fclose(f))
        abort();
}

static void expect_limited(const char *path, const char *what, const char *label)
{
    char msg[2048];
    load_limited(path, msg, sizeof msg);
    CHECK_MSG(strstr(msg, what) && strstr(msg, path) && !strstr(msg, "out of memory") &&
                  !strstr(msg, "checksum"),
              "%s: '%s' (wanted '%s')", label, msg, what);
}

static void test_metadata_first(void)
{
    size_t np;
    make_model(good, 0, 0, &np);
    Parts p;
    parts_read(good, &p);
    /* 8 GiB of parameters behind 100 bytes of garbage metadata. */
    unsigned char head[32];
    memcpy(head, p.head, 32);
    uint64_t nparams = 1ull << 31, json_len = 100;
    put_u64(head + 16, json_len);
    put_u64(head + 24, nparams);
    char junk[100];
    memset(junk, '#', sizeof junk);
    write_sparse(bad, head, junk, sizeof junk, 32 + 100 + 60 + 4 * nparams + 8);
    expect_limited(bad, "metadata: not valid JSON (error at byte", "8 GiB garbage");
    /* A real model's metadata, its header and size inflated by 8 GiB. */
    nparams = np + (1ull << 31);
    memcpy(head, p.head, 32);
    put_u64(head + 24, nparams);
    size_t pad = (64 - (32 + p.json_len) % 64) % 64;
    write_sparse(bad, head, p.json, p.json_len, 32 + p.json_len + pad + 4 * nparams + 8);
    expect_limited(bad, "parameters but its config needs", "inflated nparams");
    /* Metadata over the limit is refused without reading it. */
    json_len = CKPT_MAX_JSON_BYTES + 1;
    memcpy(head, p.head, 32);
    put_u64(head + 16, json_len);
    put_u64(head + 24, 0);
    pad = (64 - (32 + json_len) % 64) % 64;
    write_sparse(bad, head, "{", 1, 32 + json_len + pad + 8);
    expect_limited(bad, "more than the limit", "huge metadata");
    parts_free(&p);
    remove(bad);
}

/* ---- re-sealed hostile content ---- */

typedef struct {
    const char *from, *to;
    size_t to_len; /* 0: strlen(to) */
    const char *what, *label;
} Edit;

static void test_hostile_json(void)
{
    static const Edit edits[] = {
        {"\"ein\"", "\"e\\nin\"", 0, "\"src_vocab\": vocabulary entry 4 holds control character U+000A", "newline"},
        {"\"ein\"", "\"e\\tin\"", 0, "entry 4 holds control character U+0009", "tab"},
        {"\"ein\"", "\"e\\rin\"", 0, "entry 4 holds control character U+000D", "CR"},
        {"\"ein\"", "\"e\\u0001in\"", 0, "entry 4 holds control character U+0001", "U+0001"},
        {"\"ein\"", "\"e\x1fin\"", 0, "entry 4 holds control character U+001F", "raw 0x1f"},
        {"\"ein\"", "\"e\\u007fin\"", 0, "entry 4 holds control character U+007F", "DEL"},
        {"\"ein\"", "\"e\x7fin\"", 0, "entry 4 holds control character U+007F", "raw DEL"},
        {"\"ein\"", "\"e\\u0085in\"", 0, "entry 4 holds control character U+0085", "NEL"},
        {"\"ein\"", "\"e\xc2\x9fin\"", 0, "entry 4 holds control character U+009F", "raw C1"},
        {"\"four\"", "\"fo\\u0080ur\"", 0, "\"tgt_vocab\": vocabulary entry 7 holds control character U+0080", "tgt C1"},
        {"\"ein\"", "\"e\xffin\"", 0, "entry 4 is not valid UTF-8", "bad UTF-8"},
        /* cJSON would decode "zwei\u0000x" to "zwei": an embedded NUL is refused first. */
        {"\"ein\"", "\"zwei\\u0000x\"", 0, "holds \\u0000 (NUL) at byte", "NUL escape"},
        {"\"step\"", "\"st\\u0000ep\"", 0, "holds \\u0000 (NUL) at byte", "NUL escape in train"},
        {"\"ein\"", "\"e\\\\u0000in\"", 0, "", "escaped backslash then u0000: not a NUL"},
        {"\"ein\"", "\"e\0in\"", 6, "metadata: a NUL byte at byte", "raw NUL"},
        {"\"drei\"", "\"zwei\"", 0, "entry 6 ('zwei') repeats entry 5", "duplicate"},
        {"\"s2s-model\"", "\"s2s-modem\"", 0, "\"format\" is not \"s2s-model\"", "format"},
        {"\"format\":\"s2s-model\",", "", 0, "\"format\" is not \"s2s-model\"", "no format"},
        {"\"version\":1", "\"version\":2", 0, "metadata version 2 is not supported", "version 2"},
        {"\"version\":1", "\"version\":\"1\"", 0, "metadata version is missing or not a number", "version string"},
        {"\"scheme\":2", "\"scheme\":3", 0, "tokenizer scheme 3 is not supported", "scheme 3"},
        {"\"scheme\":2", "\"scheme\":\"2\"", 0, "tokenizer scheme is not a number", "scheme string"},
        {"\"ei n</w>\"", "7", 0, "tokenizer merge 1 is not a string", "merge number"},
        {"\"e i\"", "null", 0, "tokenizer merge 0 is not a string", "merge null"},
        {"\"step\":3}}", "\"step\":3}}{}", 0, "after the JSON value at byte", "trailing object"},
        {"\"step\":3}}", "\"step\":3}} x", 0, "after the JSON value at byte", "trailing junk"},
        {"\"step\":3}}", "\"step\":3}}\n ", 0, "", "trailing whitespace is fine"},
        /* cJSON would keep both and lookups find the first, while info prints both */
        {"\"version\":1", "\"version\":1,\"version\":1", 0, "the key \"version\" appears twice", "duplicate key"},
        {"\"step\":3", "\"step\":3,\"step\":4", 0, "the key \"step\" appears twice", "duplicate nested key"},
        {"\"embed\":3", "\"embed\":4", 0, "parameters but its config needs", "config"},
    };
    size_t np;
    make_model(good, 1, 0, &np);
    for (size_t i = 0; i < sizeof edits / sizeof *edits; i++) {
        const Edit *e = &edits[i];
        reseal_replace(good, bad, e->from, e->to, e->to_len ? e->to_len : strlen(e->to));
        if (e->what[0]) {
            expect_refused(bad, e->what, e->label);
        } else {
            S2sErr err = {""};
            CHECK_MSG(load_msg(bad, &err) == 0, "%s: '%s'", e->label, err.msg);
        }
    }
    remove(bad);
}

static void test_hostile_floats(void)
{
    size_t np;
    make_model(good, 0, 1, &np);
    size_t tgt = tensor_offset("tgt_embed"), out_b = tensor_offset("out.b");
    CHECK(tensor_offset("src_embed") == 0 && tgt > 21); /* tensors start aligned */
    reseal_float(good, bad, 4, NAN);
    expect_refused(bad, "tensor src_embed (7 x 3), element 4 (row 1, col 1) is NaN", "NaN");
    reseal_float(good, bad, tgt + 23, -INFINITY);
    expect_refused(bad, "tensor tgt_embed (8 x 3), element 23 (row 7, col 2) is -Inf", "-Inf");
    reseal_float(good, bad, out_b + 7, INFINITY);
    expect_refused(bad, "tensor out.b (1 x 8), element 7 (row 0, col 7) is Inf", "last");
    reseal_float(good, bad, 21, NAN); /* the alignment gap after src_embed */
    expect_refused(bad, "parameter 21 (between tensors) is NaN", "gap");
    reseal_float(good, bad, np + 5, NAN);
    expect_refused(bad, "Adam first moment of tensor src_embed (7 x 3), element 5", "NaN m");
    reseal_float(good, bad, 2 * np + tgt + 1, INFINITY);
    expect_refused(bad, "Adam second moment of tensor tgt_embed (8 x 3), element 1 (row 0, col 1) is Inf",
                   "Inf v");
    reseal_float(good, bad, 2 * np + 3, -0.5f);
    expect_refused(bad, "Adam second moment of tensor src_embed (7 x 3), element 3 (row 1, col 0) is negative", "negative v");
    reseal_float(good, bad, np + 3, -0.5f); /* a negative first moment is fine */
    S2sErr err = {""};
    CHECK_MSG(load_msg(bad, &err) == 0, "negative m: '%s'", err.msg);
    remove(bad);
}

int main(void)
{
    CHECK(mkdtemp(dir) != NULL);
    snprintf(good, sizeof good, "%s/good.s2s", dir);
    snprintf(bad, sizeof bad, "%s/bad.s2s", dir);
#ifdef UNDER_ASAN
    /* ASan reserves terabytes of shadow memory: no address-space limit. */
    fprintf(stderr, "test_ckpt: the memory-limited loads are skipped under ASan\n");
#else
    test_metadata_first();
#endif
    test_hostile_json();
    test_hostile_floats();
    remove(good);
    rmdir(dir);
    return check_exit_code("test_ckpt");
}
