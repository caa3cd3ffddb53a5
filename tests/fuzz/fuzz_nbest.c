/* n-best lines (s2s score --nbest) on arbitrary bytes: every line either is
 * refused or parses to fields inside the line that, put back together,
 * give the line; re-ranking the parsed entries keeps them and orders them. */
#include "fuzz_common.h"
#include "s2s/text/nbest.h"

enum { MAX_ENTRIES = 64 };

static void check_fields(const uint8_t *data, size_t start, size_t len, const NbestEntry *e)
{
    size_t end = start + len;
    if (e->hyp < start || e->hyp + e->hyp_len > end || e->feat < e->hyp + e->hyp_len ||
        e->feat + e->feat_len > end || e->total < e->feat + e->feat_len ||
        e->total + e->total_len > end || (e->has_rest && e->rest + e->rest_len != end) ||
        (!e->has_rest && e->total + e->total_len != end) || memchr(data + e->hyp, '\n', e->hyp_len))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    static NbestEntry ent[MAX_ENTRIES];
    S2sErr err;
    int m = 0;
    for (size_t start = 0; start < n && m < MAX_ENTRIES;) {
        const uint8_t *nl = memchr(data + start, '\n', n - start);
        size_t len = nl ? (size_t)(nl - data) - start : n - start;
        err.msg[0] = '\0';
        if (nbest_parse((const char *)data + start, len, start, &ent[m], &err) == 0) {
            check_fields(data, start, len, &ent[m]);
            ent[m].feature = (double)(len % 7) - 3.0;
            m++;
        } else if (!err.msg[0]) {
            abort(); /* a refusal says why */
        }
        start += len + 1;
    }
    nbest_rerank(ent, m, 0.5);
    for (int i = 1; i < m; i++)
        if (ent[i].key > ent[i - 1].key)
            abort();
    return 0;
}
