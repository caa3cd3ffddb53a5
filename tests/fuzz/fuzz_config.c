/* --config JSON and checkpoint training state on arbitrary text. */
#include "fuzz_common.h"
#include "s2s/train.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    TrainConfig c;
    TrainState st;
    S2sErr err;
    cJSON *json = cJSON_ParseWithLength((const char *)data, n);
    train_config_defaults(&c);
    if (json) {
        train_config_from_json(&c, json, "fuzz.json", &err);
        train_config_check(&c, &err);
        train_state_from_json(&st, json, "fuzz.json", &err);
        cJSON_Delete(json);
    }
    train_config_free(&c);
    return 0;
}
