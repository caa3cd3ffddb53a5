/* The model-file loader on arbitrary bytes: refuse cleanly, never crash. */
#include "fuzz_common.h"
#include "s2s/checkpoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    Checkpoint ck;
    S2sErr err;
    const char *path = fuzz_file("amodel", data, n);
    if (ckpt_load(path, &ck, &err) == 0)
        ckpt_free(&ck);
    cJSON *info = NULL;
    if (ckpt_read_info(path, &info, &err) == 0)
        cJSON_Delete(info);
    unlink(path);
    return 0;
}
