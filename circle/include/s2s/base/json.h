/* json.h: JSON text read strictly, over cJSON.
 *
 * cJSON accepts more than JSON, and some of it silently changes meaning:
 * "a\u0000b" decodes to the C string "a"; {"k": 1, "k": 2} keeps both
 * members and a lookup finds the first; a raw NUL byte counts as white
 * space; and parsing stops at the end of the first value, whatever
 * follows. json_parse refuses all of these, so every JSON s2s reads (model
 * metadata, --config files, server requests) means one thing.
 */
#ifndef S2S_JSON_H
#define S2S_JSON_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "s2s/base/common.h"

/* Parses p[0..n) as one JSON value followed by white space only, with no
 * NUL byte (raw, or \u0000 in a string or key) and no object naming a key
 * twice. 0 and *out (owned by the caller), or *out NULL and S2S_EFORMAT
 * with err one of
 *   "a NUL byte at byte B"
 *   "not valid JSON (error at byte B)"
 *   "N bytes after the JSON value at byte B"
 *   "a string holds \u0000 (NUL) at byte B"
 *   "the key \"k\" appears twice in one object"
 * where B is base + the offset in p and `of` (" of the file"; NULL for
 * none) follows it; or S2S_ENOMEM. */
int json_parse(const char *p, size_t n, size_t base, const char *of, cJSON **out, S2sErr *err);

#endif
