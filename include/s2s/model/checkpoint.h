/* checkpoint.h: the model file. Only checkpoint.c knows this layout.
 *
 * Format version 3 (written only for quantized files; version 2 is the
 * same without CKPT_FLAG_QUANT, and version 1, still written when there is
 * no flag at all, the same with flags 0), all integers little-endian:
 *
 *   offset  size        field
 *   0       8           magic "S2SMODEL"
 *   8       4           u32 format version (2; 1 when flags is 0)
 *   12      4           u32 flags: bit 0 (CKPT_FLAG_ADAM) = Adam's moments
 *                       follow the parameters; bit 1 (CKPT_FLAG_RAW) = the
 *                       parameter block holds smoothed weights (train
 *                       --exponential-smoothing: what translation uses) and
 *                       the raw training weights come last; bit 2
 *                       (CKPT_FLAG_QUANT, version 3) = a quantized model
 *                       (below), alone: no other bit with it; other bits 0
 *   16      8           u64 json_len: bytes of JSON metadata
 *   24      8           u64 nparams: float32 parameters that follow (quantized:
 *                       those of the tensors kept in fp32, padding included)
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
 * A quantized model (s2s convert --precision bf16|int8; for decoding only)
 * stores the matrices of the decoder step and of a unidirectional encoder
 * (quant.h: model_quant_stored; every enc.l.Wx/Wh, dec.l.Wx/Wh, attn.Wa,
 * attn.Wk, attn.Wc and out.W the config has, never the embeddings) in
 * reduced precision, as the metadata's "quantized" object lists them:
 *   P       4 * nparams the parameter block of every other tensor, in table
 *                       order, each with its padding up to the next tensor
 *   ...                 each listed matrix in turn, as qmat_encode writes it
 *                       (qmat.h): int8: rows x cols int8 weights (-127..127,
 *                       row-major) then rows float32 scales (> 0), weight =
 *                       scale[row] x q; bf16: rows x cols bfloat16 (u16).
 *                       Rows and columns are those of the tensor, but attn.Wa
 *                       and attn.Wk are stored transposed (Wa^T: the product
 *                       multiplies by Wa itself)
 * The file size must then be exactly what the header, the metadata and the
 * listed matrices imply, and the list exactly what the config implies. At
 * load each matrix is checked (no -128, scales finite and > 0), packed
 * for the kernels as it is (decoding is byte for byte what --precision
 * gives from the fp32 model) and written, dequantized, into its fp32
 * tensor, whose values are then checked as any model's.
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
 *     "run_id": "0123456789abcdef"  (optional: 16 lowercase hex digits, the
 *                    FNV-1a 64 of the parameters as initialised: one per
 *                    training run, kept by resuming, copies, averaging and
 *                    conversion; s2s average refuses models of two runs),
 *     "languages": { "src": "de", "tgt": "en" }  (optional: each 1 to 15
 *                    letters, digits, '-' or '_'),
 *     "train": { ... }   (optional: training options and state, see train.h),
 *     "quantized": { "precision": "bf16" | "int8",
 *                    "tensors": [ "enc.0.Wx", ... ] }  (exactly with CKPT_FLAG_QUANT) }
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

#define CKPT_VERSION 3
#define CKPT_FLAG_ADAM 1u
#define CKPT_FLAG_RAW 2u
#define CKPT_FLAG_QUANT 4u
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
    Precision stored; /* the precision its file held (s2s convert): PREC_FP32, or bf16/int8,
                         which decoding reads as it is and training and averaging refuse */
    char run_id[17];  /* "run_id" (hex), or "" in files from before it */
    char src_lang[16], tgt_lang[16]; /* "languages", or "" when not recorded */
} TranslationModel;

/* The run id of freshly initialised parameters: their FNV-1a 64, in hex. */
void tmodel_new_run_id(TranslationModel *tm);

void tmodel_free(TranslationModel *tm);
/* Decode in precision p (qmat.h): makes the decoder's weights packed in
 * precision p (fp32 too, where qmat_packs: a packed copy) and points
 * model.quant at them; a no-op when they are already in p. */
int tmodel_set_precision(TranslationModel *tm, Precision p, S2sErr *err);
/* Drops them: decoding reads model.params through BLAS again. */
void tmodel_drop_precision(TranslationModel *tm);
/* 0 when tm (file path) holds fp32 weights, else S2S_EINVAL: "PATH is a
 * model in int8 for decoding (s2s convert): WHAT needs the fp32 model it
 * was made from". */
int tmodel_check_fp32(const TranslationModel *tm, const char *path, const char *what, S2sErr *err);
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
 * a "file" object added: format_version, bytes, nparams, checksum_fnv1a64 (the file's) and
 * params_fnv1a64 (of the parameter block alone, to compare weights);
 * *out owned by the caller. */
int ckpt_read_info(const char *path, cJSON **out, S2sErr *err);
void ckpt_free(Checkpoint *ck);

#endif
