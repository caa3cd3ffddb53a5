/* --config JSON and checkpoint training state on arbitrary text, read as
 * s2s reads it (json.h). What json_parse accepts holds no NUL byte and no
 * key twice: printed again, it is accepted again with as many values. */
#include "fuzz_common.h"
#include "s2s/base/json.h"
#include "s2s/train/train.h"

/* How many values v holds, itself included. */
static long count(const cJSON *v)
{
    long n = 1;
    for (const cJSON *c = v->child; c; c = c->next)
        n += count(c);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    TrainConfig c;
    TrainState st;
    S2sErr err;
    cJSON *json = NULL, *again = NULL;
    train_config_defaults(&c);
    if (json_parse((const char *)data, n, 0, NULL, &json, &err) == 0) {
        if (memchr(data, '\0', n))
            abort();
        char *text = cJSON_PrintUnformatted(json);
        if (text && json_parse(text, strlen(text), 0, NULL, &again, &err) == 0 &&
            count(again) != count(json))
            abort();
        if (text && !again && !strstr(err.msg, "out of memory"))
            abort(); /* the same value printed again must read again */
        cJSON_Delete(again);
        free(text);
        train_config_from_json(&c, json, "fuzz.json", &err);
        train_config_check(&c, &err);
        train_state_from_json(&st, json, "fuzz.json", &err);
        cJSON_Delete(json);
    } else if (json) {
        abort(); /* refused, but a tree handed back */
    }
    train_config_free(&c);
    return 0;
}
