/* checkpoint.h: the model file. Only checkpoint.c knows this layout.
 *
 * Format version 2 (version 1 is the same with flags 0 and is still written
 * when there is no optimizer state), all integers little-endian:
 *
 *   offset  size        field
 *   0       8           magic "S2SMODEL"
 *   8       4           u32 format version (2; 1 when flags is 0)
 *   12      4           u32 flags: bit 0 (CKPT_FLAG_ADAM) = Adam's moments
 *                       follow the parameters; bit 1 (CKPT_FLAG_RAW) = the
 *                       parameter block holds smoothed weights (train
 *                       --exponential-smoothing: what translation uses) and
 *                       the raw training weights come last; other bits 0
 *   16      8           u64 json_len: bytes of JSON metadata
 *   24      8           u64 nparams: float32 parameters that follow
 *   32      json_len    JSON metadata, UTF-8 (below)
 *   ...     pad         zero bytes up to the next multiple of 64
 *   P       4 * nparams the parameter block, float32 little-endian, laid
 *                       out as the tensor table says
 *   P+4n    8 * nparams only with CKPT_FLAG_ADAM: Adam's first moments m
 *                       (nparams floats), then second moments v (nparams)
 *   ...     4 * nparams only with CKPT_FLAG_RAW: the raw weights (training
 *                       resumes from them; the parameter block is their
 *                       moving average)
 *   end-8   8           u64 checksum: FNV-1a 64 over every byte before it
 *
 * The file size must be exactly 32 + json_len + pad + 4 * nparams
 * * (1 + 2 with CKPT_FLAG_ADAM + 1 with CKPT_FLAG_RAW) + 8.
 *
 * JSON metadata:
 *   { "format": "s2s-model", "version": 1,
 *     "config": { "arch": "seq2seq" | "encdec" | "attention", "cell": "lstm" | "gru" | "rnn",
 *                 "attention": "dot" | "general"  (attention only),
 *                 "tied_embeddings": true  (optional: no out.W, the output
 *                                           layer uses tgt_embed),
 *                 "bidirectional": true    (optional, attention: encb.* tensors),
 *                 "src_vocab": Vs,
 *                 "tgt_vocab": Vt, "embed": E, "hidden": H, "layers": L,
 *                 "reverse": true },   (without arch/cell: seq2seq, lstm)
 *     "tokenizer": { "kind": "none" | "word" | "bpe", "scheme": 2,
 *                    "merges": [ "l o", "lo w</w>", ... ] (bpe only, in rank order) },
 *                  (without "scheme", kind "word" is read as "none": files from
 *                  before the reversible tokenizer)
 *     "tensors": [ { "name": "src_embed", "rows": Vs, "cols": E, "offset": 0 }, ... ],
 *     "src_vocab": [ "<pad>", "<unk>", "<s>", "</s>", ... ],
 *     "tgt_vocab": [ ... ],
 *     "train": { ... }   (optional: training options and state, see train.h) }
 *
 * Loading checks, in this order, and stops at the first failure with a
 * message "PATH: what":
 *   1. PATH is a regular file (opened with O_NONBLOCK, so a FIFO or a device
 *      is refused instead of blocking);
 *   2. the header: magic, format version, flags, and the exact file size it
 *      implies; json_len at most CKPT_MAX_JSON_BYTES (1 GiB);
 *   3. the metadata alone (read, but no parameter read nor memory reserved
 *      for them yet, so a huge file with bad metadata costs nothing): no NUL
 *      byte and no \u0000 escape anywhere (cJSON would cut the string
 *      there), no object naming a key twice, one JSON object and nothing
 *      after it but whitespace (json.h), "format"
 *      "s2s-model", "version" 1, the config, nparams equal to what the
 *      config needs, the tensor table exactly the config's, both
 *      vocabularies (specials first, no empty or repeated entry, valid UTF-8,
 *      no control character: U+0000..U+001F, U+007F, U+0080..U+009F), the
 *      tokenizer ("scheme" absent or 2; bpe merges all strings and valid);
 *   4. then the parameters (and moments) are allocated and read, and the
 *      checksum over every byte of the file compared;
 *   5. the values: every parameter (and raw weight) finite and at most
 *      CKPT_MAX_WEIGHT in magnitude, every first moment finite, every
 *      second moment finite and >= 0 (the message names the tensor and
 *      element). The bound keeps every product of the network finite (the
 *      largest, an input projection of an embedding, is at most 1e12 times
 *      the embedding size), so no log-probability is ever NaN; trained
 *      weights are orders of magnitude smaller. ckpt_save refuses values
 *      that would not load.
 * Only then is any of it trusted. A corrupt metadata byte may thus be
 * reported as what it breaks rather than as a checksum mismatch.
 *
 * Saving writes PATH.tmp.PID, fsyncs it and renames it over PATH, so a
 * crash leaves either the old file or the new one, never a mix.
 */
#ifndef S2S_CHECKPOINT_H
#define S2S_CHECKPOINT_H

#include <cjson/cJSON.h>

#include "s2s/base/common.h"
#include "s2s/model/model.h"
#include "s2s/nn/qmat.h"
#include "s2s/text/tokenizer.h"
#include "s2s/text/vocab.h"

#define CKPT_VERSION 2
#define CKPT_FLAG_ADAM 1u
#define CKPT_FLAG_RAW 2u
/* The largest magnitude of a weight a model file may hold. */
#define CKPT_MAX_WEIGHT 1e6f
/* Metadata (json_len) larger than this is refused before it is read. */
#define CKPT_MAX_JSON_BYTES (1ull << 30)

/* A translation model: the network with the vocabularies and the
 * tokenizer it was trained with; what translating needs and what every
 * model file holds (the trainer, average, ensembles and the server all hold
 * one). Each member owns its arrays. */
typedef struct {
    Model model;
    Vocab src_vocab, tgt_vocab;
    Tokenizer tokenizer;
    struct ModelQuant *quant; /* owned: the decoder's weights in reduced precision, or NULL */
} TranslationModel;

void tmodel_free(TranslationModel *tm);
/* Decode in precision p (qmat.h): makes the reduced-precision decoder
 * weights (PREC_FP32: drops them) and points model.quant at them. */
int tmodel_set_precision(TranslationModel *tm, Precision p, S2sErr *err);
/* Checks that b (file pb) can join an ensemble, or an average, with a (file
 * pa): the same target vocabulary and tokenizer. S2S_EINVAL with "pa and
 * pb: what differs" otherwise. */
int tmodel_compatible(const TranslationModel *a, const char *pa, const TranslationModel *b,
                      const char *pb, S2sErr *err);

/* A model file: the translation model and, from training, its metadata
 * and state. */
typedef struct {
    TranslationModel tm;
    cJSON *train; /* owned; NULL when the file has none */
    float *opt_state; /* owned; (2 nparams) Adam's m then v, NULL when absent */
    float *raw;       /* owned; (nparams) CKPT_FLAG_RAW's raw weights (model.params are
                         then the smoothed ones), NULL when absent */
} Checkpoint;

/* What a training checkpoint adds to a translation model, each NULL when
 * absent: the "train" metadata (options and state), Adam's (2 nparams)
 * moments, the raw weights of which the model's are the moving average. */
typedef struct {
    const cJSON *train;
    const float *opt_state, *raw;
} CkptTraining;

/* Writes tm (and x, which may be NULL) to path: a temporary file renamed. */
int ckpt_save(const char *path, const TranslationModel *tm, const CkptTraining *x, S2sErr *err);
/* Fills ck (owned by the caller, freed with ckpt_free). */
int ckpt_load(const char *path, Checkpoint *ck, S2sErr *err);
/* Checks the whole file like ckpt_load and returns its JSON metadata with
 * a "file" object added: bytes, nparams, checksum_fnv1a64 (the file's) and
 * params_fnv1a64 (of the parameter block alone, to compare weights);
 * *out owned by the caller. */
int ckpt_read_info(const char *path, cJSON **out, S2sErr *err);
void ckpt_free(Checkpoint *ck);

#endif
