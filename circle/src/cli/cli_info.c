#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "s2s/model/checkpoint.h"
#include "s2s/base/fileio.h"

int cli_info(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        printf("usage: s2s info MODEL\n\nChecks MODEL (magic, version, size, checksum, "
               "metadata) and prints its metadata as JSON.\n");
        return CLI_OK;
    }
    if (argc != 2) {
        fprintf(stderr, "usage: s2s info MODEL\n");
        return CLI_USAGE;
    }
    S2sErr err;
    cJSON *info = NULL;
    const char *model = argv[1];
    if (fileio_check_output(NULL, &model, 1, &err) || ckpt_read_info(model, &info, &err)) {
        fprintf(stderr, "s2s info: %s\n", err.msg);
        return CLI_FAIL;
    }
    char *text = cJSON_Print(info);
    cJSON_Delete(info);
    if (!text) {
        fprintf(stderr, "s2s info: out of memory\n");
        return CLI_FAIL;
    }
    errno = 0; /* caught here: stdio drops what a failed write held, and its errno */
    int e = puts(text) == EOF ? (errno ? errno : -1) : 0;
    cJSON_free(text);
    return e ? cli_stdout_failed("info", e) : cli_flush_stdout("info");
}
