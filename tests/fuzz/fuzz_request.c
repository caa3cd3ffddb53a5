/* The server's request body parser (POST /translator/translate) on
 * arbitrary bytes: never a crash; a body it takes is strict JSON (no NUL
 * byte, nothing after the list), a list of at most --max-sentences items,
 * each with a "src" of valid UTF-8 and no "id" but the model's; refusals
 * are 400, 413, or 404 for an item naming another model id. */
#include "fuzz_common.h"
#include "s2s/base/json.h"
#include "s2s/base/utf8.h"
#include "s2s/serve/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    ServeOptions o = {.dec = {.mode = DECODE_BEAM, .beam = 5, .nbest = 1, .length_penalty = 0.6},
                      .max_sentences = 64, .model_id = 7};
    const char *body = (const char *)data, *msg = NULL;
    int count = -1, status = server_check_body(&o, body, n, &count, &msg);
    if (status != 0 && status != 400 && status != 404 && status != 413)
        abort(); /* 500 is out of memory only, which the fuzzer's inputs do not reach */
    if (status != 0 && !msg)
        abort();
    if (status != 0)
        return 0;
    cJSON *json = NULL;
    S2sErr err;
    if (memchr(body, '\0', n) || json_parse(body, n, 0, NULL, &json, &err) ||
        !cJSON_IsArray(json) || cJSON_GetArraySize(json) != count || count > o.max_sentences)
        abort();
    for (const cJSON *item = json->child; item; item = item->next) {
        const cJSON *src = cJSON_GetObjectItemCaseSensitive(item, "src");
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "id");
        if (!cJSON_IsString(src) || utf8_invalid_offset(src->valuestring, strlen(src->valuestring)) >= 0)
            abort();
        if (id && !(cJSON_IsNumber(id) && id->valuedouble == o.model_id))
            abort();
    }
    cJSON_Delete(json);
    return 0;
}
