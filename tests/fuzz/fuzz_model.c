/* The model-file loader: refuse cleanly, never crash. Two modes, picked by
 * the first byte:
 *   'S' (as in "S2SMODEL"): the input is the raw file;
 *   else, "sealed": data[0] bit 0 = with Adam's moments, data[1] = a signed
 *   change to nparams, data[2] = how the parameters are filled, the rest =
 *   the JSON metadata. The harness writes a file with a correct header,
 *   padding and checksum around them, so that mutations of the metadata get
 *   past the checksum to the checks behind it (raw mutations rarely do).
 *   nparams is where the JSON's last tensor ends, rounded up to 16 floats
 *   as the model lays tensors out (plus the change), so that it mostly
 *   matches the config. */
#include <math.h>

#include "fuzz_common.h"
#include "s2s/model/checkpoint.h"

#define FUZZ_MAX_PARAMS (1u << 20)

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

/* The end of the last tensor in json's tensor table, rounded up to 16
 * floats; 0 if none or more than FUZZ_MAX_PARAMS. */
static size_t tensor_floats(const char *json, size_t n)
{
    cJSON *root = cJSON_ParseWithLength(json, n);
    const cJSON *t;
    double total = 0;
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(root, "tensors"))
    {
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(t, "rows");
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(t, "cols");
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(t, "offset");
        if (cJSON_IsNumber(r) && cJSON_IsNumber(c) && cJSON_IsNumber(o) &&
            r->valuedouble * c->valuedouble + o->valuedouble > total)
            total = r->valuedouble * c->valuedouble + o->valuedouble; /* the end of the last */
    }
    cJSON_Delete(root);
    return total >= 0 && total <= FUZZ_MAX_PARAMS ? ((size_t)total + 15) / 16 * 16 : 0;
}

/* Parameters, then (with Adam) first and second moments, the latter not
 * negative; mode bit 7 plants a NaN, an Inf or a -1 somewhere. */
static void fill(float *p, size_t nparams, size_t n, unsigned mode)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = (float)((int)((i * 31 + mode) % 17) - 8) * 0.125f;
        if (i >= 2 * nparams)
            p[i] = fabsf(p[i]);
    }
    if (n && (mode & 0x80))
        p[(mode * 7919u) % n] = (mode & 0x40) ? NAN : (mode & 0x20) ? INFINITY : -1.0f;
}

static const char *sealed_file(const uint8_t *data, size_t n)
{
    const char *json = (const char *)data + 3;
    size_t json_len = n - 3, pad = (64 - (32 + json_len) % 64) % 64;
    long np = (long)tensor_floats(json, json_len) + (int8_t)data[1];
    size_t nparams = np < 0 ? 0 : (size_t)np, nfloats = nparams * (data[0] & 1 ? 3 : 1);
    unsigned char head[32] = "S2SMODEL", zeros[64] = {0}, tail[8];
    head[8] = data[0] & 1 ? 2 : 1;
    head[12] = data[0] & 1;
    put_u64(head + 16, json_len);
    put_u64(head + 24, nparams);
    float *body = malloc(nfloats * sizeof(float) + 1);
    if (!body)
        abort();
    fill(body, nparams, nfloats, data[2]);
    uint64_t h = fnv1a(0xcbf29ce484222325ULL, head, 32);
    h = fnv1a(fnv1a(h, json, json_len), zeros, pad);
    put_u64(tail, fnv1a(h, body, nfloats * sizeof(float)));
    size_t size = 32 + json_len + pad + nfloats * sizeof(float) + 8, at = 0;
    unsigned char *file = malloc(size);
    if (!file)
        abort();
    memcpy(file, head, 32), at += 32;
    memcpy(file + at, json, json_len), at += json_len;
    memset(file + at, 0, pad), at += pad;
    memcpy(file + at, body, nfloats * sizeof(float)), at += nfloats * sizeof(float);
    memcpy(file + at, tail, 8);
    const char *path = fuzz_file("amodel", file, size);
    free(body);
    free(file);
    return path;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    Checkpoint ck;
    S2sErr err;
    const char *path = n >= 3 && data[0] != 'S' ? sealed_file(data, n)
                                                : fuzz_file("amodel", data, n);
    if (ckpt_load(path, &ck, &err) == 0)
        ckpt_free(&ck);
    cJSON *info = NULL;
    if (ckpt_read_info(path, &info, &err) == 0)
        cJSON_Delete(info);
    unlink(path);
    return 0;
}
