#include "s2s/model/checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "s2s/base/fileio.h"
#include "s2s/base/json.h"
#include "s2s/model/quant.h"

#define MAGIC "S2SMODEL"
#define HEADER_BYTES 32
#define ALIGN_BYTES 64

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_u32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static size_t pad_after_json(uint64_t json_len)
{
    uint64_t end = HEADER_BYTES + json_len;
    return (size_t)((ALIGN_BYTES - end % ALIGN_BYTES) % ALIGN_BYTES);
}

/* ---- metadata ---- */

/* An optional true/false of the config (absent: false, as in files from
 * before it). */
static int config_flag(const cJSON *o, const char *key, int *out, const char *path, S2sErr *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (v && !cJSON_IsBool(v))
        return s2s_fail(err, S2S_EFORMAT, "%s: metadata: \"%s\" must be true or false", path, key);
    *out = cJSON_IsTrue(v);
    return 0;
}

static cJSON *config_json(const ModelConfig *c)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "arch", model_arch_name(c->arch));
    cJSON_AddStringToObject(o, "cell", cell_name(c->cell));
    if (model_attends(c))
        cJSON_AddStringToObject(o, "attention", attn_score_name(c->attn));
    if (c->tied)
        cJSON_AddBoolToObject(o, "tied_embeddings", 1);
    if (c->bidir)
        cJSON_AddBoolToObject(o, "bidirectional", 1);
    if (c->layer_norm)
        cJSON_AddBoolToObject(o, "layer_norm", 1);
    if (c->residual)
        cJSON_AddBoolToObject(o, "residual", 1);
    cJSON_AddNumberToObject(o, "src_vocab", c->src_vocab);
    cJSON_AddNumberToObject(o, "tgt_vocab", c->tgt_vocab);
    cJSON_AddNumberToObject(o, "embed", c->embed);
    cJSON_AddNumberToObject(o, "hidden", c->hidden);
    cJSON_AddNumberToObject(o, "layers", c->layers);
    cJSON_AddBoolToObject(o, "reverse", c->reverse);
    return o;
}

static cJSON *tensors_json(const Model *m)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < m->ntensors; i++) {
        const TensorInfo *t = &m->tensors[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", t->name);
        cJSON_AddNumberToObject(o, "rows", t->rows);
        cJSON_AddNumberToObject(o, "cols", t->cols);
        cJSON_AddNumberToObject(o, "offset", (double)t->offset);
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

static cJSON *vocab_json(const Vocab *v)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < v->size; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(v->words[i]));
    return a;
}

/* Tokenizer scheme 2: kinds none, word (reversible), bpe (with its merges).
 * Files without "scheme" come from when "word" meant a whitespace split. */
static cJSON *tokenizer_json(const Tokenizer *tk)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "kind", tokenizer_name(tk));
    cJSON_AddNumberToObject(o, "scheme", 2);
    if (tk->kind == TOKENIZER_BPE) {
        cJSON *m = cJSON_AddArrayToObject(o, "merges");
        for (int i = 0; i < bpe_nmerges(&tk->bpe); i++)
            cJSON_AddItemToArray(m, cJSON_CreateString(bpe_merge_text(&tk->bpe, i)));
    }
    return o;
}

/* {"precision": "int8", "tensors": [names]}: what a quantized file stores as such. */
static cJSON *quantized_json(const Model *m, Precision p, const int *tensor, int n)
{
    cJSON *o = cJSON_CreateObject(), *a = cJSON_CreateArray();
    cJSON_AddStringToObject(o, "precision", precision_name(p));
    for (int i = 0; i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(m->tensors[tensor[i]].name));
    cJSON_AddItemToObject(o, "tensors", a);
    return o;
}

/* "run_id" and "languages", when known. */
static void add_run(cJSON *root, const TranslationModel *tm)
{
    if (tm->run_id[0])
        cJSON_AddStringToObject(root, "run_id", tm->run_id);
    if (tm->src_lang[0] || tm->tgt_lang[0]) {
        cJSON *o = cJSON_AddObjectToObject(root, "languages");
        cJSON_AddStringToObject(o, "src", tm->src_lang);
        cJSON_AddStringToObject(o, "tgt", tm->tgt_lang);
    }
}

static char *metadata_text(const TranslationModel *tm, const cJSON *train, cJSON *quantized)
{
    const Model *m = &tm->model;
    const Vocab *sv = &tm->src_vocab, *tv = &tm->tgt_vocab;
    const Tokenizer *tk = &tm->tokenizer;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "format", "s2s-model");
    cJSON_AddNumberToObject(root, "version", 1); /* of the metadata, not the file */
    cJSON_AddItemToObject(root, "config", config_json(&m->cfg));
    cJSON_AddItemToObject(root, "tokenizer", tokenizer_json(tk));
    cJSON_AddItemToObject(root, "tensors", tensors_json(m));
    cJSON_AddItemToObject(root, "src_vocab", vocab_json(sv));
    cJSON_AddItemToObject(root, "tgt_vocab", vocab_json(tv));
    add_run(root, tm);
    if (train)
        cJSON_AddItemToObject(root, "train", cJSON_Duplicate(train, 1));
    if (quantized)
        cJSON_AddItemToObject(root, "quantized", quantized);
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return text;
}

/* ---- saving ---- */

static int write_all(FILE *f, const void *p, size_t n, uint64_t *h)
{
    *h = s2s_fnv1a(*h, p, n);
    return fwrite(p, 1, n, f) == n ? 0 : -1;
}

/* Floats of tensor t's extent in the parameter block (its padding included). */
static size_t extent(const Model *m, int t)
{
    return (t + 1 < m->ntensors ? m->tensors[t + 1].offset : m->nparams) - m->tensors[t].offset;
}

/* The matrices a quantized file stores as such (model_quant_stored), with
 * stored[t] = 1 for their tensors; returns their count. */
static int stored_tensors(const Model *m, ModelQuant *q, QuantSlot *slot, int *tensor,
                          unsigned char *stored)
{
    int n = model_quant_stored(m, q, q->prec, slot, tensor);
    memset(stored, 0, (size_t)m->ntensors);
    for (int i = 0; i < n; i++)
        stored[tensor[i]] = 1;
    return n;
}

/* The parameter block of a quantized file: the fp32 tensors, each with its
 * padding, in table order; then each stored matrix (qmat_encode). */
static int write_quantized(FILE *f, const Model *m, ModelQuant *q, uint64_t *h)
{
    QuantSlot slot[QUANT_MAX_SLOTS];
    int tensor[QUANT_MAX_SLOTS], rc = 0;
    unsigned char stored[MODEL_MAX_TENSORS];
    int n = stored_tensors(m, q, slot, tensor, stored);
    for (int t = 0; t < m->ntensors && !rc; t++)
        if (!stored[t])
            rc = write_all(f, m->params + m->tensors[t].offset, extent(m, t) * sizeof(float), h);
    for (int i = 0; i < n && !rc; i++) {
        size_t bytes = qmat_file_bytes(q->prec, slot[i].rows, slot[i].cols);
        unsigned char *buf = malloc(bytes);
        if (!buf)
            return -1;
        qmat_encode(slot[i].q, buf);
        rc = write_all(f, buf, bytes, h);
        free(buf);
    }
    return rc;
}

/* Floats the parameter block of m's file holds: all, or (quantized) the
 * fp32 tensors'. */
static size_t fp32_floats(const Model *m, ModelQuant *q)
{
    QuantSlot slot[QUANT_MAX_SLOTS];
    int tensor[QUANT_MAX_SLOTS];
    unsigned char stored[MODEL_MAX_TENSORS];
    size_t n = m->nparams;
    if (!q)
        return n;
    int k = stored_tensors(m, q, slot, tensor, stored);
    for (int i = 0; i < k; i++)
        n -= extent(m, tensor[i]);
    return n;
}

static int write_body(FILE *f, const Model *m, ModelQuant *q, const char *json, const float *opt,
                      const float *raw)
{
    uint32_t flags = (opt ? CKPT_FLAG_ADAM : 0) | (raw ? CKPT_FLAG_RAW : 0) | (q ? CKPT_FLAG_QUANT : 0);
    unsigned char head[HEADER_BYTES] = {0}, zeros[ALIGN_BYTES] = {0}, tail[8];
    size_t json_len = strlen(json);
    uint64_t h = S2S_FNV_OFFSET;
    memcpy(head, MAGIC, 8);
    /* the oldest version that reads it: 1 without flags, 2 without quantization */
    put_u32(head + 8, q ? CKPT_VERSION : flags ? 2 : 1);
    put_u32(head + 12, flags);
    put_u64(head + 16, json_len);
    put_u64(head + 24, fp32_floats(m, q));
    if (write_all(f, head, sizeof head, &h) || write_all(f, json, json_len, &h) ||
        write_all(f, zeros, pad_after_json(json_len), &h) ||
        (q && write_quantized(f, m, q, &h)) ||
        (!q && write_all(f, m->params, m->nparams * sizeof(float), &h)) ||
        (opt && write_all(f, opt, 2 * m->nparams * sizeof(float), &h)) ||
        (raw && write_all(f, raw, m->nparams * sizeof(float), &h)))
        return -1;
    put_u64(tail, h);
    return fwrite(tail, 1, 8, f) == 8 ? 0 : -1;
}

/* Refuses element i of a block laid out as m's tensor table, naming it. */
static int bad_value(const char *path, const Model *m, const char *block, size_t i,
                     const char *is, S2sErr *err)
{
    for (int k = 0; k < m->ntensors; k++) {
        const TensorInfo *t = &m->tensors[k];
        size_t j = i - t->offset, cols = (size_t)t->cols;
        if (i >= t->offset && j < (size_t)t->rows * cols)
            return s2s_fail(err, S2S_EFORMAT, "%s: %stensor %s (%d x %d), element %zu (row %zu, col "
                            "%zu) is %s", path, block, t->name, t->rows, t->cols, j, j / cols,
                            j % cols, is);
    }
    return s2s_fail(err, S2S_EFORMAT, "%s: %sparameter %zu (between tensors) is %s", path, block,
                    i, is);
}

static const char *nonfinite_name(float x) { return isnan(x) ? "NaN" : x > 0 ? "Inf" : "-Inf"; }

/* What is wrong with weight x (not finite, or over the bound), into buf. */
static const char *weight_is(float x, char *buf, size_t n)
{
    if (!isfinite(x))
        return nonfinite_name(x);
    snprintf(buf, n, "%g, over the bound of %g on a weight's magnitude", x, CKPT_MAX_WEIGHT);
    return buf;
}

/* Parameters (and raw weights) must be finite and at most CKPT_MAX_WEIGHT
 * in magnitude, Adam's first moments finite, second moments finite and not
 * negative (their square root divides the step). */
static int check_values(const char *path, const Model *m, const float *opt, const float *raw,
                        S2sErr *err)
{
    size_t n = m->nparams;
    char is[96];
    for (size_t i = 0; i < n; i++)
        if (!(fabsf(m->params[i]) <= CKPT_MAX_WEIGHT))
            return bad_value(path, m, "", i, weight_is(m->params[i], is, sizeof is), err);
    for (size_t i = 0; raw && i < n; i++)
        if (!(fabsf(raw[i]) <= CKPT_MAX_WEIGHT))
            return bad_value(path, m, "raw weight of ", i, weight_is(raw[i], is, sizeof is), err);
    for (size_t i = 0; opt && i < n; i++)
        if (!isfinite(opt[i]))
            return bad_value(path, m, "Adam first moment of ", i, nonfinite_name(opt[i]), err);
    for (size_t i = 0; opt && i < n; i++)
        if (!isfinite(opt[n + i]) || opt[n + i] < 0)
            return bad_value(path, m, "Adam second moment of ", i,
                             isfinite(opt[n + i]) ? "negative" : nonfinite_name(opt[n + i]), err);
    return 0;
}

int ckpt_save(const char *given, const TranslationModel *tm, const CkptTraining *x, S2sErr *err)
{
    static const CkptTraining none = {NULL, NULL, NULL};
    const Model *m = &tm->model;
    const float *opt_state = (x ? x : &none)->opt_state, *raw = (x ? x : &none)->raw;
    FileReplace r;
    ModelQuant *q = tm->quant && tm->quant->prec != PREC_FP32 ? tm->quant : NULL;
    QuantSlot slot[QUANT_MAX_SLOTS];
    int tensor[QUANT_MAX_SLOTS];
    unsigned char stored[MODEL_MAX_TENSORS];
    if (q && (opt_state || raw || (x && x->train)))
        return s2s_fail(err, S2S_EINVAL, "%s: a model in %s keeps no training state", given,
                        precision_name(q->prec));
    int bad = check_values(given, m, opt_state, raw, err); /* it would not load again */
    if (bad)
        return bad;
    cJSON *quantized = q ? quantized_json(m, q->prec, tensor, stored_tensors(m, q, slot, tensor, stored))
                         : NULL;
    char *json = metadata_text(tm, (x ? x : &none)->train, quantized);
    if (!json)
        return s2s_fail(err, S2S_ENOMEM, "%s: out of memory for the model metadata", given);
    int rc = fileio_replace_open(&r, given, err);
    if (!rc && write_body(r.f, m, q, json, opt_state, raw)) {
        rc = s2s_fail(err, S2S_EIO, "%s: write failed: %s", r.tmp, strerror(errno));
        fileio_replace_abort(&r);
    } else if (!rc) {
        rc = fileio_replace_commit(&r, err);
    }
    cJSON_free(json);
    return rc;
}

/* ---- loading ----
 *
 * In the order checkpoint.h documents: the header against the file's size,
 * then the metadata (bounded, parsed and checked against itself), and only
 * then are the parameters allocated and read, the checksum over the whole
 * file compared, and the values checked. A file whose header or metadata is
 * wrong is never read, nor memory reserved for it, beyond its metadata. */

/* A model file being read, in order. */
typedef struct {
    FILE *f;
    uint64_t json_len, nparams, size;
    uint32_t flags, version;
    uint64_t hash;        /* FNV-1a of every byte read so far */
    uint64_t checksum;    /* the file's, once read_params has read it */
    char *json;           /* (json_len + 1), NUL-terminated */
    Precision qprec;      /* CKPT_FLAG_QUANT: the metadata's "quantized" precision */
    cJSON *qtensors;      /* and its tensor names; owned */
} ModelFile;

static void mf_close(ModelFile *r)
{
    if (r->f)
        fclose(r->f);
    free(r->json);
    cJSON_Delete(r->qtensors);
    memset(r, 0, sizeof *r);
}

static int read_exact(FILE *f, void *p, size_t n, uint64_t *h)
{
    if (fread(p, 1, n, f) != n)
        return -1;
    *h = s2s_fnv1a(*h, p, n);
    return 0;
}

/* Opens path without blocking: a FIFO would block a plain open() until a
 * writer comes, and only a regular file can be a model. */
static int open_regular(const char *path, FILE **out, uint64_t *size, S2sErr *err)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return s2s_fail(err, S2S_EIO, "%s: cannot open: %s", path, strerror(errno));
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        close(fd);
        return s2s_fail(err, S2S_EIO, "%s: not a regular file", path);
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) || !(*out = fdopen(fd, "rb"))) {
        int e = errno;
        close(fd);
        return s2s_fail(err, S2S_EIO, "%s: cannot open: %s", path, strerror(e));
    }
    *size = (uint64_t)st.st_size;
    return 0;
}

/* Checks the fixed header against the file's real size. */
static int check_header(const char *path, const unsigned char *head, ModelFile *r, S2sErr *err)
{
    if (memcmp(head, MAGIC, 8) != 0)
        return s2s_fail(err, S2S_EFORMAT, "%s: not an s2s model file (bad magic)", path);
    uint32_t version = get_u32(head + 8);
    if (version < 1 || version > CKPT_VERSION)
        return s2s_fail(err, S2S_EFORMAT,
                        "%s: model format version %" PRIu32 " is not supported (this s2s reads 1 to %d)",
                        path, version, CKPT_VERSION);
    r->flags = get_u32(head + 12);
    r->version = version;
    uint32_t known = (version >= 2 ? CKPT_FLAG_ADAM | CKPT_FLAG_RAW : 0) |
                     (version >= 3 ? CKPT_FLAG_QUANT : 0);
    if (r->flags & ~known)
        return s2s_fail(err, S2S_EFORMAT, "%s: unknown flags 0x%" PRIx32 " in the header", path,
                        r->flags);
    if ((r->flags & CKPT_FLAG_QUANT) && r->flags != CKPT_FLAG_QUANT)
        return s2s_fail(err, S2S_EFORMAT, "%s: a quantized model with training state (flags 0x%"
                        PRIx32 ")", path, r->flags);
    r->json_len = get_u64(head + 16);
    r->nparams = get_u64(head + 24);
    uint64_t per_param = 4 + ((r->flags & CKPT_FLAG_ADAM) ? 8 : 0) +
                         ((r->flags & CKPT_FLAG_RAW) ? 4 : 0); /* bytes */
    if (r->json_len > r->size || r->nparams > r->size / per_param)
        return s2s_fail(err, S2S_EFORMAT,
                        "%s: header claims %" PRIu64 " bytes of metadata and %" PRIu64
                        " parameters, more than the file's %" PRIu64 " bytes (truncated or corrupt)",
                        path, r->json_len, r->nparams, r->size);
    uint64_t want = HEADER_BYTES + r->json_len + pad_after_json(r->json_len) +
                    per_param * r->nparams + 8;
    /* quantized: the matrices follow; their size is checked against the metadata */
    if (want != r->size && !((r->flags & CKPT_FLAG_QUANT) && want < r->size))
        return s2s_fail(err, S2S_EFORMAT,
                        "%s: file is %" PRIu64 " bytes but its header implies %" PRIu64
                        " (truncated or corrupt)", path, r->size, want);
    if (r->json_len > CKPT_MAX_JSON_BYTES)
        return s2s_fail(err, S2S_EFORMAT,
                        "%s: metadata of %" PRIu64 " bytes is more than the limit of %llu bytes",
                        path, r->json_len, CKPT_MAX_JSON_BYTES);
    return 0;
}

/* Opens path and reads it up to the end of the metadata (and its padding). */
static int mf_open(const char *path, ModelFile *r, S2sErr *err)
{
    unsigned char head[HEADER_BYTES], pad[ALIGN_BYTES];
    int rc;
    memset(r, 0, sizeof *r);
    r->hash = S2S_FNV_OFFSET;
    if ((rc = open_regular(path, &r->f, &r->size, err)))
        return rc;
    if (r->size < HEADER_BYTES + 8 || read_exact(r->f, head, HEADER_BYTES, &r->hash))
        return s2s_fail(err, S2S_EFORMAT, "%s: too short to be an s2s model file (%" PRIu64
                        " bytes)", path, r->size);
    if ((rc = check_header(path, head, r, err)))
        return rc;
    if (!(r->json = s2s_malloc(r->json_len + 1)))
        return s2s_fail(err, S2S_ENOMEM, "%s: out of memory for %" PRIu64 " bytes of metadata",
                        path, r->json_len);
    if (read_exact(r->f, r->json, r->json_len, &r->hash) ||
        read_exact(r->f, pad, pad_after_json(r->json_len), &r->hash))
        return s2s_fail(err, S2S_EIO, "%s: read failed (file changed while reading?)", path);
    r->json[r->json_len] = '\0';
    return 0;
}

/* Reads the parameters (and Adam's moments into opt when the file has them)
 * and the checksum, which must match every byte read. */
static int read_params(const char *path, ModelFile *r, float *params, float *opt, float *raw,
                       S2sErr *err)
{
    unsigned char tail[8];
    size_t n = (size_t)r->nparams * sizeof(float);
    if (read_exact(r->f, params, n, &r->hash) ||
        (opt && read_exact(r->f, opt, 2 * n, &r->hash)) ||
        (raw && read_exact(r->f, raw, n, &r->hash)) || fread(tail, 1, 8, r->f) != 8)
        return s2s_fail(err, S2S_EIO, "%s: read failed (file changed while reading?)", path);
    r->checksum = get_u64(tail);
    if (r->checksum != r->hash)
        return s2s_fail(err, S2S_EFORMAT, "%s: checksum mismatch: the file is corrupt", path);
    return 0;
}

static int json_int(const cJSON *o, const char *key, int lo, int hi, int *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v) || v->valuedouble < lo || v->valuedouble > hi ||
        v->valuedouble != (double)(int)v->valuedouble)
        return -1;
    *out = (int)v->valuedouble;
    return 0;
}

/* Parses the metadata: one JSON object, read strictly (json.h), format "s2s-model",
 * metadata version 1. *root owned by the caller. */
static int parse_root(const char *path, const ModelFile *r, cJSON **root, S2sErr *err)
{
    int rc = json_parse(r->json, r->json_len, HEADER_BYTES, " of the file", root, err);
    if (rc) {
        char prefix[sizeof err->msg];
        snprintf(prefix, sizeof prefix, "%s: metadata", path);
        return s2s_wrap(err, rc, prefix);
    }
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(*root, "format");
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(*root, "version");
    if (!cJSON_IsObject(*root))
        return s2s_fail(err, S2S_EFORMAT, "%s: metadata is not a JSON object", path);
    if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, "s2s-model") != 0)
        return s2s_fail(err, S2S_EFORMAT, "%s: metadata: \"format\" is not \"s2s-model\"", path);
    if (!cJSON_IsNumber(ver))
        return s2s_fail(err, S2S_EFORMAT, "%s: metadata version is missing or not a number", path);
    if (ver->valuedouble != 1)
        return s2s_fail(err, S2S_EFORMAT, "%s: metadata version %g is not supported (this s2s "
                        "reads 1)", path, ver->valuedouble);
    return 0;
}

static int parse_config(const char *path, const cJSON *root, ModelConfig *c, S2sErr *err)
{
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, "config");
    const cJSON *arch = cJSON_GetObjectItemCaseSensitive(o, "arch");
    const cJSON *cell = cJSON_GetObjectItemCaseSensitive(o, "cell");
    const cJSON *rev = cJSON_GetObjectItemCaseSensitive(o, "reverse");
    memset(c, 0, sizeof *c);
    if (!cJSON_IsObject(o) || json_int(o, "src_vocab", 0, 1 << 30, &c->src_vocab) ||
        json_int(o, "tgt_vocab", 0, 1 << 30, &c->tgt_vocab) ||
        json_int(o, "embed", 0, 1 << 30, &c->embed) ||
        json_int(o, "hidden", 0, 1 << 30, &c->hidden) ||
        json_int(o, "layers", 0, 1 << 30, &c->layers) || !cJSON_IsBool(rev))
        return s2s_fail(err, S2S_EFORMAT, "%s: metadata: missing or invalid \"config\"", path);
    /* Files from before --arch and --cell hold Sutskever LSTM models. */
    if ((arch && (!cJSON_IsString(arch) || model_arch_from_name(arch->valuestring, &c->arch))) ||
        (cell && (!cJSON_IsString(cell) || cell_from_name(cell->valuestring, &c->cell))))
        return s2s_fail(err, S2S_EFORMAT,
                        "%s: model architecture %s/%s is not supported by this s2s", path,
                        cJSON_IsString(arch) ? arch->valuestring : "?",
                        cJSON_IsString(cell) ? cell->valuestring : "?");
    if (config_flag(o, "tied_embeddings", &c->tied, path, err) ||
        config_flag(o, "bidirectional", &c->bidir, path, err) ||
        config_flag(o, "layer_norm", &c->layer_norm, path, err) ||
        config_flag(o, "residual", &c->residual, path, err))
        return S2S_EFORMAT;
    const cJSON *att = cJSON_GetObjectItemCaseSensitive(o, "attention");
    if (model_attends(c) &&
        (!cJSON_IsString(att) || attn_score_from_name(att->valuestring, &c->attn)))
        return s2s_fail(err, S2S_EFORMAT, "%s: metadata: attention model without a known "
                        "\"attention\" score (dot, general or mlp)", path);
    c->reverse = cJSON_IsTrue(rev);
    return 0;
}

/* The file's tensor table must be exactly the one the config implies. */
static int check_tensors(const char *path, const cJSON *root, const Model *m, S2sErr *err)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, "tensors");
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != m->ntensors)
        return s2s_fail(err, S2S_EFORMAT, "%s: metadata: tensor table does not match the config",
                        path);
    for (int i = 0; i < m->ntensors; i++) {
        const cJSON *t = cJSON_GetArrayItem(a, i);
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(t, "name");
        const cJSON *off = cJSON_GetObjectItemCaseSensitive(t, "offset");
        int rows, cols;
        if (!cJSON_IsString(name) || strcmp(name->valuestring, m->tensors[i].name) ||
            json_int(t, "rows", 0, 1 << 30, &rows) || rows != m->tensors[i].rows ||
            json_int(t, "cols", 0, 1 << 30, &cols) || cols != m->tensors[i].cols ||
            !cJSON_IsNumber(off) || off->valuedouble != (double)m->tensors[i].offset)
            return s2s_fail(err, S2S_EFORMAT, "%s: metadata: tensor %d (%s) does not match the config",
                            path, i, m->tensors[i].name);
    }
    return 0;
}

/* Duplicates, control characters and invalid UTF-8 are vocab_from_words'
 * to refuse. */
static int parse_vocab(const char *path, const cJSON *root, const char *key, int want,
                       Vocab *v, S2sErr *err)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, key);
    int n = cJSON_GetArraySize(a), rc;
    if (!cJSON_IsArray(a) || n != want)
        return s2s_fail(err, S2S_EFORMAT, "%s: metadata: \"%s\" must list %d words", path, key, want);
    const char **words = s2s_malloc(sizeof(char *) * (size_t)n);
    if (!words)
        return s2s_fail(err, S2S_ENOMEM, "%s: out of memory", path);
    int i = 0;
    for (const cJSON *w = a->child; w; w = w->next, i++) {
        if (!cJSON_IsString(w)) {
            free(words);
            return s2s_fail(err, S2S_EFORMAT, "%s: metadata: \"%s\"[%d] is not a string", path, key, i);
        }
        words[i] = w->valuestring;
    }
    rc = vocab_from_words(v, words, n, err);
    free(words);
    if (rc) {
        char where[4096];
        snprintf(where, sizeof where, "%s: metadata: \"%s\"", path, key);
        return s2s_wrap(err, rc, where);
    }
    return 0;
}

static int parse_merges(const char *path, const cJSON *o, Tokenizer *tk, S2sErr *err)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "merges");
    int n = cJSON_GetArraySize(m), i = 0, rc;
    if (!cJSON_IsArray(m))
        return s2s_fail(err, S2S_EFORMAT, "%s: metadata: a bpe tokenizer needs \"merges\"", path);
    const char **texts = s2s_malloc(sizeof(char *) * (size_t)n);
    if (!texts)
        return s2s_fail(err, S2S_ENOMEM, "%s: out of memory", path);
    for (const cJSON *e = m->child; e; e = e->next, i++) {
        if (!cJSON_IsString(e)) {
            free(texts);
            return s2s_fail(err, S2S_EFORMAT, "%s: metadata: tokenizer merge %d is not a string",
                            path, i);
        }
        texts[i] = e->valuestring;
    }
    Bpe b;
    memset(&b, 0, sizeof b);
    rc = bpe_from_texts(&b, texts, n, err);
    free(texts);
    if (rc) {
        char where[4200];
        snprintf(where, sizeof where, "%s: metadata: tokenizer merges", path);
        return s2s_wrap(err, S2S_EFORMAT, where);
    }
    tokenizer_set_bpe(tk, &b);
    return 0;
}

static int parse_tokenizer(const char *path, const cJSON *root, Tokenizer *tk, S2sErr *err)
{
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, "tokenizer");
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(o, "kind");
    const cJSON *scheme = cJSON_GetObjectItemCaseSensitive(o, "scheme");
    const char *name = cJSON_IsString(kind) ? kind->valuestring : NULL;
    if (scheme && !cJSON_IsNumber(scheme))
        return s2s_fail(err, S2S_EFORMAT, "%s: metadata: tokenizer scheme is not a number", path);
    if (scheme && scheme->valuedouble != 2)
        return s2s_fail(err, S2S_EFORMAT, "%s: metadata: tokenizer scheme %g is not supported "
                        "(this s2s reads 2, or none)", path, scheme->valuedouble);
    if (name && !scheme && strcmp(name, "word") == 0)
        name = "none"; /* scheme 1: "word" was a whitespace split */
    if (!name || tokenizer_from_name(tk, name, NULL))
        return s2s_fail(err, S2S_EFORMAT, "%s: metadata: missing or unknown \"tokenizer\"", path);
    return tk->kind == TOKENIZER_BPE ? parse_merges(path, o, tk, err) : 0;
}

/* A "languages" entry: 0 and out when it is 1 to 15 of [A-Za-z0-9_-]. */
static int language(const cJSON *v, char *out)
{
    if (!cJSON_IsString(v))
        return -1;
    size_t n = strlen(v->valuestring);
    if (n > 15 || strspn(v->valuestring, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != n)
        return -1;
    memcpy(out, v->valuestring, n + 1);
    return 0;
}

/* The optional "run_id" and "languages". */
static int parse_run(const char *path, const cJSON *root, TranslationModel *tm, S2sErr *err)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "run_id");
    const cJSON *l = cJSON_GetObjectItemCaseSensitive(root, "languages");
    if (id && (!cJSON_IsString(id) || strlen(id->valuestring) != 16 ||
               strspn(id->valuestring, "0123456789abcdef") != 16))
        return s2s_fail(err, S2S_EFORMAT, "%s: metadata: \"run_id\" is not 16 hex digits", path);
    if (id)
        memcpy(tm->run_id, id->valuestring, 17);
    if (l && (!cJSON_IsObject(l) || language(cJSON_GetObjectItemCaseSensitive(l, "src"), tm->src_lang) ||
              language(cJSON_GetObjectItemCaseSensitive(l, "tgt"), tm->tgt_lang)))
        return s2s_fail(err, S2S_EFORMAT, "%s: metadata: \"languages\" is not {\"src\": CODE, "
                        "\"tgt\": CODE} (letters, digits, - or _; at most 15)", path);
    return 0;
}

void tmodel_new_run_id(TranslationModel *tm)
{
    const Model *m = &tm->model;
    uint64_t h = s2s_fnv1a(S2S_FNV_OFFSET, m->params, m->nparams * sizeof(float));
    snprintf(tm->run_id, sizeof tm->run_id, "%016" PRIx64, h);
}

/* Checks the metadata and fills ck but for its parameters and moments
 * (ck->tm.model is planned, not allocated). */
/* "quantized": present exactly when the header says so; its precision
 * bf16 or int8 and its tensors an array (checked against the config once
 * the model is laid out: read_quantized). */
static int parse_quantized(const char *path, cJSON *root, ModelFile *r, S2sErr *err)
{
    cJSON *o = cJSON_GetObjectItemCaseSensitive(root, "quantized");
    if (!(r->flags & CKPT_FLAG_QUANT))
        return o ? s2s_fail(err, S2S_EFORMAT, "%s: metadata: \"quantized\" in a file whose header "
                            "has no quantized flag", path) : 0;
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "precision");
    if (!cJSON_IsObject(o) || !cJSON_IsString(p) || precision_from_name(p->valuestring, &r->qprec) ||
        r->qprec == PREC_FP32 || !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(o, "tensors")))
        return s2s_fail(err, S2S_EFORMAT, "%s: metadata: \"quantized\" is missing or not "
                        "{\"precision\": \"bf16\" or \"int8\", \"tensors\": [...]}", path);
    r->qtensors = cJSON_DetachItemFromObjectCaseSensitive(o, "tensors");
    return 0;
}

static int parse_metadata(const char *path, ModelFile *r, Checkpoint *ck, S2sErr *err)
{
    ModelConfig cfg;
    char where[4096];
    cJSON *root = NULL;
    int rc;
    if ((rc = parse_root(path, r, &root, err)) || (rc = parse_config(path, root, &cfg, err)))
        goto done;
    if ((rc = model_plan(&ck->tm.model, &cfg, err))) {
        snprintf(where, sizeof where, "%s: metadata", path);
        rc = s2s_wrap(err, S2S_EFORMAT, where);
        goto done;
    }
    if ((rc = parse_quantized(path, root, r, err)))
        goto done;
    if (ck->tm.model.nparams != r->nparams && !(r->flags & CKPT_FLAG_QUANT)) {
        rc = s2s_fail(err, S2S_EFORMAT, "%s: holds %" PRIu64 " parameters but its config needs %zu",
                      path, r->nparams, ck->tm.model.nparams);
        goto done;
    }
    if ((rc = check_tensors(path, root, &ck->tm.model, err)) ||
        (rc = parse_vocab(path, root, "src_vocab", cfg.src_vocab, &ck->tm.src_vocab, err)) ||
        (rc = parse_vocab(path, root, "tgt_vocab", cfg.tgt_vocab, &ck->tm.tgt_vocab, err)) ||
        (rc = parse_tokenizer(path, root, &ck->tm.tokenizer, err)) ||
        (rc = parse_run(path, root, &ck->tm, err)))
        goto done;
    ck->train = cJSON_DetachItemFromObjectCaseSensitive(root, "train");
done:
    cJSON_Delete(root);
    return rc;
}

/* The whole load, in order; on failure ck and r are left for the caller
 * to free. */
/* The stored matrices the config implies (into q's slots) against the
 * metadata's names, and the file's size against both. */
static int check_quantized(const char *path, const ModelFile *r, const Model *m, ModelQuant *q,
                           QuantSlot *slot, int *tensor, unsigned char *stored, int *n,
                           S2sErr *err)
{
    q->prec = r->qprec;
    *n = stored_tensors(m, q, slot, tensor, stored);
    int ok = cJSON_GetArraySize(r->qtensors) == *n;
    for (int i = 0; ok && i < *n; i++) {
        const cJSON *name = cJSON_GetArrayItem(r->qtensors, i);
        ok = cJSON_IsString(name) && !strcmp(name->valuestring, m->tensors[tensor[i]].name);
    }
    if (!ok)
        return s2s_fail(err, S2S_EFORMAT, "%s: metadata: the quantized tensors are not the ones "
                        "this config's decoder has", path);
    uint64_t want = HEADER_BYTES + r->json_len + pad_after_json(r->json_len) + 8 +
                    4 * (uint64_t)fp32_floats(m, q);
    for (int i = 0; i < *n; i++)
        want += qmat_file_bytes(q->prec, slot[i].rows, slot[i].cols);
    if (r->nparams != fp32_floats(m, q) || want != r->size)
        return s2s_fail(err, S2S_EFORMAT, "%s: file is %" PRIu64 " bytes (%" PRIu64 " fp32 "
                        "parameters) but its config implies %" PRIu64 " (%zu): truncated or corrupt",
                        path, r->size, r->nparams, want, fp32_floats(m, q));
    return 0;
}

/* Stored matrix i into its QMat and, dequantized, into its fp32 tensor. */
static int read_matrix(const char *path, ModelFile *r, Model *m, const QuantSlot *s, int t,
                       S2sErr *err)
{
    size_t bytes = qmat_file_bytes(r->qprec, s->rows, s->cols);
    unsigned char *buf = s2s_malloc(bytes);
    if (!buf)
        return s2s_fail(err, S2S_ENOMEM, "%s: out of memory", path);
    int rc = read_exact(r->f, buf, bytes, &r->hash)
                 ? s2s_fail(err, S2S_EIO, "%s: read failed (file changed while reading?)", path)
                 : qmat_decode(s->q, r->qprec, s->rows, s->cols, buf, err);
    free(buf);
    if (rc) {
        char where[4096];
        snprintf(where, sizeof where, "%s: tensor %s", path, m->tensors[t].name);
        return rc == S2S_EFORMAT ? s2s_wrap(err, rc, where) : rc;
    }
    float *w = m->params + m->tensors[t].offset;
    for (int i = 0; i < s->rows; i++)
        for (int k = 0; k < s->cols; k++)
            w[s->transpose ? (size_t)k * s->rows + i : (size_t)i * s->cols + k] = qmat_weight(s->q, i, k);
    return 0;
}

/* A quantized file's parameters: the fp32 tensors, the stored matrices
 * (their fp32 tensors dequantized), the checksum; then the decoder's
 * other matrices made from the fp32 weights. tm->quant holds them. */
static int read_quantized(const char *path, ModelFile *r, TranslationModel *tm, S2sErr *err)
{
    QuantSlot slot[QUANT_MAX_SLOTS];
    int tensor[QUANT_MAX_SLOTS], n = 0, rc = 0;
    unsigned char stored[MODEL_MAX_TENSORS], tail[8];
    Model *m = &tm->model;
    if (!(tm->quant = calloc(1, sizeof *tm->quant)))
        return s2s_fail(err, S2S_ENOMEM, "%s: out of memory", path);
    if ((rc = check_quantized(path, r, m, tm->quant, slot, tensor, stored, &n, err)))
        return rc;
    for (int t = 0; t < m->ntensors; t++)
        if (!stored[t] && read_exact(r->f, m->params + m->tensors[t].offset,
                                     extent(m, t) * sizeof(float), &r->hash))
            return s2s_fail(err, S2S_EIO, "%s: read failed (file changed while reading?)", path);
    for (int i = 0; i < n; i++)
        if ((rc = read_matrix(path, r, m, &slot[i], tensor[i], err)))
            return rc;
    if (fread(tail, 1, 8, r->f) != 8)
        return s2s_fail(err, S2S_EIO, "%s: read failed (file changed while reading?)", path);
    if ((r->checksum = get_u64(tail)) != r->hash)
        return s2s_fail(err, S2S_EFORMAT, "%s: checksum mismatch: the file is corrupt", path);
    if ((rc = check_values(path, m, NULL, NULL, err)) ||
        (rc = model_quant_complete(tm->quant, m, r->qprec, err)))
        return rc;
    tm->stored = r->qprec, m->quant = tm->quant;
    return 0;
}

static int load(const char *path, Checkpoint *ck, ModelFile *r, S2sErr *err)
{
    char where[4096];
    int rc;
    memset(ck, 0, sizeof *ck);
    if ((rc = mf_open(path, r, err)) || (rc = parse_metadata(path, r, ck, err)))
        return rc;
    if ((rc = model_alloc(&ck->tm.model, err))) {
        snprintf(where, sizeof where, "%s", path);
        return s2s_wrap(err, rc, where);
    }
    if ((r->flags & CKPT_FLAG_ADAM) &&
        !(ck->opt_state = s2s_malloc(2 * ck->tm.model.nparams * sizeof(float))))
        return s2s_fail(err, S2S_ENOMEM, "%s: out of memory for Adam's moments", path);
    if ((r->flags & CKPT_FLAG_RAW) && !(ck->raw = s2s_malloc(ck->tm.model.nparams * sizeof(float))))
        return s2s_fail(err, S2S_ENOMEM, "%s: out of memory for the raw weights", path);
    if (r->flags & CKPT_FLAG_QUANT)
        return read_quantized(path, r, &ck->tm, err);
    if ((rc = read_params(path, r, ck->tm.model.params, ck->opt_state, ck->raw, err)))
        return rc;
    return check_values(path, &ck->tm.model, ck->opt_state, ck->raw, err);
}

int ckpt_load(const char *path, Checkpoint *ck, S2sErr *err)
{
    ModelFile r;
    int rc = load(path, ck, &r, err);
    mf_close(&r);
    if (rc)
        ckpt_free(ck);
    return rc;
}

int ckpt_read_info(const char *path, cJSON **out, S2sErr *err)
{
    Checkpoint ck;
    ModelFile r;
    char sum[32];
    cJSON *root = NULL;
    int rc = load(path, &ck, &r, err);
    if (!rc && !(root = cJSON_ParseWithLength(r.json, r.json_len)))
        rc = s2s_fail(err, S2S_ENOMEM, "%s: out of memory", path);
    if (root) {
        cJSON *file = cJSON_AddObjectToObject(root, "file");
        cJSON_AddNumberToObject(file, "format_version", r.version);
        cJSON_AddNumberToObject(file, "bytes", (double)r.size);
        cJSON_AddNumberToObject(file, "nparams", (double)r.nparams);
        snprintf(sum, sizeof sum, "%016" PRIx64, r.checksum);
        cJSON_AddStringToObject(file, "checksum_fnv1a64", sum);
        /* Of the parameters alone: equal for equal weights, whatever the metadata. */
        uint64_t ph = s2s_fnv1a(S2S_FNV_OFFSET, ck.tm.model.params, r.nparams * sizeof(float));
        snprintf(sum, sizeof sum, "%016" PRIx64, ph);
        cJSON_AddStringToObject(file, "params_fnv1a64", sum);
    }
    ckpt_free(&ck);
    mf_close(&r);
    *out = root;
    return rc;
}

void tmodel_free(TranslationModel *tm)
{
    tmodel_drop_precision(tm);
    model_free(&tm->model);
    tokenizer_free(&tm->tokenizer);
    vocab_free(&tm->src_vocab);
    vocab_free(&tm->tgt_vocab);
}

int tmodel_check_fp32(const TranslationModel *tm, const char *path, const char *what, S2sErr *err)
{
    if (tm->stored == PREC_FP32)
        return 0;
    return s2s_fail(err, S2S_EINVAL, "%s is a model in %s for decoding (s2s convert): %s needs "
                    "the fp32 model it was made from", path, precision_name(tm->stored), what);
}

void tmodel_drop_precision(TranslationModel *tm)
{
    if (tm->quant) {
        model_quant_free(tm->quant);
        free(tm->quant);
        tm->quant = NULL, tm->model.quant = NULL;
    }
}

int tmodel_set_precision(TranslationModel *tm, Precision p, S2sErr *err)
{
    if (tm->quant && tm->quant->prec == p)
        return 0;
    tmodel_drop_precision(tm);
    if (!qmat_packs(p))
        return 0;
    tm->quant = malloc(sizeof *tm->quant);
    if (!tm->quant)
        return s2s_fail(err, S2S_ENOMEM, "out of memory");
    int rc = model_quant_init(tm->quant, &tm->model, p, err);
    if (rc) {
        free(tm->quant);
        tm->quant = NULL;
        return rc;
    }
    tm->model.quant = tm->quant;
    return 0;
}

void ckpt_free(Checkpoint *ck)
{
    tmodel_free(&ck->tm);
    cJSON_Delete(ck->train);
    free(ck->opt_state);
    free(ck->raw);
    memset(ck, 0, sizeof *ck);
}

/* ---- translation models side by side ---- */

static int same_vocab(const Vocab *a, const Vocab *b, int *where)
{
    int n = a->size < b->size ? a->size : b->size;
    for (int i = 0; i < n; i++)
        if (strcmp(a->words[i], b->words[i]) != 0)
            return *where = i, 0;
    return *where = n, a->size == b->size;
}

int tmodel_compatible(const TranslationModel *a, const char *pa, const TranslationModel *b,
                      const char *pb, S2sErr *err)
{
    int i;
    if (!same_vocab(&a->tgt_vocab, &b->tgt_vocab, &i)) {
        if (i < a->tgt_vocab.size && i < b->tgt_vocab.size)
            return s2s_fail(err, S2S_EINVAL,
                            "%s and %s: the target vocabularies differ (entry %d: '%s' vs '%s')",
                            pa, pb, i, a->tgt_vocab.words[i], b->tgt_vocab.words[i]);
        return s2s_fail(err, S2S_EINVAL, "%s and %s: the target vocabularies differ (%d vs %d entries)",
                        pa, pb, a->tgt_vocab.size, b->tgt_vocab.size);
    }
    const Tokenizer *x = &a->tokenizer, *y = &b->tokenizer;
    if (x->kind != y->kind)
        return s2s_fail(err, S2S_EINVAL, "%s and %s: the tokenizers differ (%s vs %s)", pa, pb,
                        tokenizer_name(x), tokenizer_name(y));
    if (x->kind != TOKENIZER_BPE)
        return 0;
    int nx = bpe_nmerges(&x->bpe), ny = bpe_nmerges(&y->bpe);
    for (i = 0; i < nx && i < ny; i++)
        if (strcmp(bpe_merge_text(&x->bpe, i), bpe_merge_text(&y->bpe, i)) != 0)
            return s2s_fail(err, S2S_EINVAL, "%s and %s: the BPE merges differ (merge %d: '%s' vs '%s')",
                            pa, pb, i + 1, bpe_merge_text(&x->bpe, i), bpe_merge_text(&y->bpe, i));
    if (nx != ny)
        return s2s_fail(err, S2S_EINVAL, "%s and %s: the BPE merges differ (%d vs %d merges)", pa,
                        pb, nx, ny);
    return 0;
}
