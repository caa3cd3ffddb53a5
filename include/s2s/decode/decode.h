/* decode.h: the search: greedy, beam and sampling over the log-probabilities
 * of one network step (step.h), and scoring given pairs with that step.
 *
 * The decode state (Decoder) is the third kind of state, apart from the
 * Model (read-only here) and the training Workspace: the network's step
 * state (per-layer h/c of every hypothesis row, step.h) and the search's
 * own: the beams' scores, token history and back-pointers, and the
 * finished hypotheses. It is sized once for (sentences, beam, source
 * length, output length) and grown only when a batch needs more.
 *
 * Many sentences decode together: row s * beam + k is hypothesis k of
 * sentence s, and every step runs one sgemm per layer (input and
 * recurrent parts) and one for the output layer over all rows.
 *
 * The network is an Ensemble (ensemble.h) of one or more models: each
 * member has its own step state, and the search reads the weighted mix of
 * their log-probabilities. With a Pool set in Decoder.pool the members'
 * steps run side by side, member k on part k % pool->n.
 */
#ifndef S2S_DECODE_H
#define S2S_DECODE_H

#include <stdint.h>

#include "s2s/base/common.h"
#include "s2s/base/pool.h"
#include "s2s/base/rng.h"
#include "s2s/decode/ensemble.h"
#include "s2s/decode/shortlist.h"
#include "s2s/model/step.h"

typedef enum { DECODE_BEAM = 0, DECODE_GREEDY, DECODE_SAMPLE } DecodeMode;

typedef struct {
    DecodeMode mode;
    int beam;              /* K, hypotheses kept per sentence (beam mode) */
    int nbest;             /* finished hypotheses reported, 1..beam */
    double length_penalty; /* GNMT alpha; 0 = off: score = log-probability */
    double max_len_ratio;  /* output at most ratio * source length + 10 tokens */
    int max_out_len;       /* > 0: and at most this many tokens, </s> not counted (OpenNMT's -max_length) */
    double temperature;    /* sampling */
    int attention;         /* 1: keep each hypothesis' attention rows (attention models) */
    const Shortlist *shortlist; /* not owned; NULL: the whole target vocabulary
                                   (else decoder_reserve_shortlist first) */
} DecodeOptions;

/* The defaults translate, serve and validation decode with (Marian's and
 * OpenNMT's beam 5, GNMT's length penalty 0.6). */
DecodeOptions decode_defaults(void);

typedef struct {
    int max_sents, beam, max_src, max_out; /* capacity */
    int rows;                              /* max_sents * beam */
    int S, K;                              /* current batch: sentences, rows per sentence */
    int nm, V;      /* members, target vocabulary */
    int nv;         /* the current batch's columns of logp: V, or a shortlist's */
    int32_t *cols, *colof; /* (V) a shortlist's column -> token and token -> column; owned */
    StepState net[ENSEMBLE_MAX]; /* each member's network state */
    const float *logp; /* (rows, V) the step's log-probabilities: net[0].logp, or mix */
    float *mix;     /* (rows, V) the members' weighted mix (nm > 1) */
    Pool *pool;     /* not owned: runs the members' steps side by side; NULL = in turn */
    int32_t *prev;  /* (rows) last token of each row */
    double *score;  /* (rows) log-probability of each row's prefix; -inf = dead row */
    int32_t *hist;  /* (max_out, rows) token each row took at each step */
    int *back;      /* (max_out, rows) row it came from */
    int *parent;    /* (rows) scratch for one step's selection */
    /* finished hypotheses, per sentence up to beam of them */
    int *nfin;      /* (max_sents) */
    int *fin_len;   /* (max_sents, beam) tokens, </s> excluded */
    double *fin_logprob, *fin_score; /* (max_sents, beam) */
    int32_t *fin_tok; /* (max_sents, beam, max_out) */
    int *alive;     /* (max_sents) */
    /* the network runs only the rows of sentences not yet finished: block
     * b of K rows of its state is sentence blk_sent[b] (b < nblk) */
    int nblk;
    int *blk_sent;  /* (max_sents) */
    int *sent_blk;  /* (max_sents) the block of each live sentence, -1 once finished */
    int32_t *cprev; /* (rows) prev of the blocks' rows */
    int *cparent;   /* (rows) a step's moves of the blocks' rows */
    int *limit;     /* (max_sents) output length bound of each sentence */
    void *mem;      /* owns every search array above and mix (net owns its own) */
    /* with DecodeOptions.attention (decoder_reserve_attention): */
    float *att_hist; /* (max_out, rows, max_src) each step's attention of every row; owned */
    float *fin_att;  /* (max_sents, beam, max_out, max_src) each finished hypothesis'; owned */
} Decoder;

void decoder_zero(Decoder *d);
/* Makes d hold at least the given capacity (freeing and reallocating when
 * it must grow). A zeroed d is empty. */
int decoder_reserve(Decoder *d, const Ensemble *e, int max_sents, int beam, int max_src,
                    int max_out, S2sErr *err);
void decoder_free(Decoder *d);
/* Room to keep the attention rows of every hypothesis (after decoder_reserve). */
int decoder_reserve_attention(Decoder *d, S2sErr *err);

/* Room for decoding with a shortlist (after decoder_reserve; kept when d grows). */
int decoder_reserve_shortlist(Decoder *d, const Ensemble *e, S2sErr *err);

/* Output length bound for a source of src_len tokens. */
int decode_max_out(const DecodeOptions *o, int src_len);

/* Translates S sentences: member k reads src[k * S + s][0..src_len[s])
 * (token ids in its source vocabulary, no </s>). The capacity must suffice
 * (decoder_reserve with the same ensemble). rng is used when sampling.
 * Afterwards decode_hyp gives each sentence's hypotheses, best first. */
void decode_batch(Decoder *d, const Ensemble *e, const DecodeOptions *o,
                  const int32_t *const *src, const int *src_len, int S, Rng *rng);
/* Hypothesis j (0 = best) of sentence s: tokens (</s> excluded) and count;
 * returns the number of hypotheses sentence s has. */
int decode_hyp(const Decoder *d, int s, int j, const int32_t **tokens, int *len,
               double *score, double *logprob);

/* With DecodeOptions.attention: hypothesis j of sentence s's attention, a
 * row of max_src weights over the encoder positions (reversed as the model
 * reads the source) for each of its tokens (</s> excluded); an ensemble's
 * are those of its alignment member (Ensemble.align). */
const float *decode_hyp_attention(const Decoder *d, int s, int j);

/* Log-probability (natural log, summed over the target tokens and </s>) of
 * each tgt[s] given src[s] (src as decode_batch's), into logprob[s];
 * with a shortlist (sl, not NULL), normalised over the batch's columns,
 * the targets' tokens among them. Capacity: S sentences, sources up to
 * max_src. */
void decode_score(Decoder *d, const Ensemble *e, const Shortlist *sl, const int32_t *const *src,
                  const int *src_len, const int32_t *const *tgt, const int *tgt_len, int S,
                  double *logprob);

#endif
