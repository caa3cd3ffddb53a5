/* Data-parallel shards (shard.h): the threaded run equals the same shards
 * run one after another bit for bit (dropout on); the combined gradient of
 * n shards equals the whole batch's gradient (dropout off) to float
 * rounding, for n = 2, 3 and more shards than pairs; n = 1 is
 * model_forward_backward bit for bit; forward-only runs give the same NLL;
 * an empty shard 0 (fewer pairs than shards) adds nothing. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fixtures.h"
#include "s2s/base/rng.h"
#include "s2s/nn/optim.h"
#include "s2s/train/shard.h"

enum { NP = 24, V = 14, B = 24 };

static void corpus(Corpus *c)
{
    int buf[NP][9], sl[NP], tl[NP];
    const int *rows[NP];
    Rng r;
    rng_seed(&r, 5);
    for (int i = 0; i < NP; i++) {
        sl[i] = 1 + (int)rng_below(&r, 8);
        tl[i] = 1 + (int)rng_below(&r, 8);
        for (int j = 0; j < 9; j++)
            buf[i][j] = VOCAB_NSPECIAL + (int)rng_below(&r, V - VOCAB_NSPECIAL);
        rows[i] = buf[i];
    }
    fixture_corpus(c, NP, rows, sl, rows, tl);
}

static void model(Model *m, ModelArch arch, CellKind cell)
{
    ModelConfig cfg = {.src_vocab = V, .tgt_vocab = V, .embed = 8, .hidden = 12, .layers = 2,
                       .reverse = 1, .arch = arch, .cell = cell};
    S2sErr err;
    Rng r;
    CHECK(model_init(m, &cfg, &err) == 0);
    rng_seed(&r, 9);
    model_init_uniform(m, 0.3f, &r);
}

/* Gradient and NLL of pairs[0..n) with k shards (serial or threaded). */
static double run(const Model *m, const Corpus *c, const int *pairs, int n, int k, int serial,
                  float dropout, float *g, long *tokens)
{
    Shards s;
    S2sErr err;
    Rng r;
    rng_seed(&r, 77);
    CHECK(shards_init(&s, m, k, B, c->max_src_len, c->max_tgt_len, &err) == 0);
    s.pool.serial = serial;
    double nll = shards_run(&s, m, c, pairs, n, 1, 1, dropout, &r, tokens, NULL, NULL);
    memcpy(g, shards_grads(&s), m->nparams * sizeof(float));
    double norm = optim_grad_norm(g, m->nparams), sn = shards_grad_norm(&s);
    CHECK_MSG(fabs(sn - norm) <= 1e-6 * norm, "%d shards: norm %.9g vs %.9g", k, sn, norm);
    double fwd = shards_run(&s, m, c, pairs, n, 1, 0, 0.0f, NULL, NULL, NULL, NULL);
    if (dropout == 0.0f)
        CHECK_MSG(fabs(fwd - nll) <= 1e-6 * nll, "forward-only NLL %.9g vs %.9g", fwd, nll);
    shards_free(&s);
    return nll;
}

static double rel_diff(const float *a, const float *b, size_t n)
{
    double d = 0, s = 0;
    for (size_t i = 0; i < n; i++) {
        d = fmax(d, fabs((double)a[i] - b[i]));
        s = fmax(s, fabs((double)b[i]));
    }
    return d / (s > 0 ? s : 1);
}

static void test_arch(ModelArch arch, CellKind cell)
{
    Corpus c;
    Model m;
    int pairs[NP];
    for (int i = 0; i < NP; i++)
        pairs[i] = (i * 7) % NP;
    corpus(&c);
    model(&m, arch, cell);
    size_t n = m.nparams;
    float *g1 = malloc(n * sizeof(float)), *gk = malloc(n * sizeof(float));
    float *gs = malloc(n * sizeof(float));
    long t1, tk;
    /* n = 1 is model_forward_backward on the whole batch */
    double nll1 = run(&m, &c, pairs, NP, 1, 0, 0.0f, g1, &t1);
    {
        Workspace ws;
        Batch bt;
        S2sErr err;
        CHECK(workspace_init(&ws, &m, B, c.max_src_len, c.max_tgt_len + 1, &err) == 0 &&
              batch_init(&bt, B, c.max_src_len, c.max_tgt_len, &err) == 0);
        batch_fill_pairs(&bt, &c, pairs, NP, 1);
        double nll = model_forward_backward(&m, &ws, &bt, 0.0f, NULL);
        CHECK(nll == nll1 && bt.tgt_tokens == t1 && memcmp(ws.grads, g1, n * sizeof(float)) == 0);
        workspace_free(&ws);
        batch_free(&bt);
    }
    for (int k = 2; k <= 4; k++) { /* k shards vs the whole batch */
        double nllk = run(&m, &c, pairs, NP, k, 0, 0.0f, gk, &tk);
        double d = rel_diff(gk, g1, n);
        CHECK_MSG(tk == t1 && fabs(nllk - nll1) <= 1e-6 * nll1 && d < 1e-5,
                  "%s/%s, %d shards: nll %.9g vs %.9g, gradient differs by %.3g",
                  model_arch_name(arch), cell_name(cell), k, nllk, nll1, d);
    }
    /* threads vs the same shards one after another, dropout on */
    double a = run(&m, &c, pairs, NP, 2, 0, 0.3f, gk, &tk);
    double b = run(&m, &c, pairs, NP, 2, 1, 0.3f, gs, &tk);
    CHECK(a == b && memcmp(gk, gs, n * sizeof(float)) == 0);
    /* more shards than pairs: the empty ones are skipped */
    double nll2 = run(&m, &c, pairs, 2, 1, 0, 0.0f, g1, &t1);
    double nll5 = run(&m, &c, pairs, 2, 5, 0, 0.0f, gk, &tk);
    CHECK(tk == t1 && fabs(nll5 - nll2) <= 1e-6 * nll2 && rel_diff(gk, g1, n) < 1e-5);
    free(g1);
    free(gk);
    free(gs);
    model_free(&m);
    corpus_free(&c);
}

/* A batch with fewer pairs than shards after a full one: shard 0 is empty
 * and must add nothing (not its previous batch's gradient). */
static void test_stale_shard(void)
{
    Corpus c;
    Model m;
    int pairs[NP];
    for (int i = 0; i < NP; i++)
        pairs[i] = i;
    corpus(&c);
    model(&m, ARCH_SEQ2SEQ, CELL_LSTM);
    size_t n = m.nparams;
    float *g1 = malloc(n * sizeof(float));
    long t1, tk;
    double nll1 = run(&m, &c, pairs + 5, 1, 1, 0, 0.0f, g1, &t1);
    Shards s;
    S2sErr err;
    CHECK(shards_init(&s, &m, 2, B, c.max_src_len, c.max_tgt_len, &err) == 0);
    shards_run(&s, &m, &c, pairs, NP, 1, 1, 0.0f, NULL, NULL, NULL, NULL);
    double nllk = shards_run(&s, &m, &c, pairs + 5, 1, 1, 1, 0.0f, NULL, &tk, NULL, NULL);
    double d = rel_diff(shards_grads(&s), g1, n);
    double norm = optim_grad_norm(g1, n), sn = shards_grad_norm(&s);
    CHECK_MSG(tk == t1 && nllk == nll1 && d == 0 && fabs(sn - norm) <= 1e-6 * norm,
              "1 pair on 2 shards after a full batch: nll %.9g vs %.9g, gradient differs by %.3g, "
              "norm %.9g vs %.9g", nllk, nll1, d, sn, norm);
    shards_free(&s);
    free(g1);
    model_free(&m);
    corpus_free(&c);
}

/* A corpus of NP pairs over a vocabulary of vocab words (specials included). */
static void corpus_v(Corpus *c, int vocab, uint64_t seed)
{
    int buf[NP][9], sl[NP], tl[NP];
    const int *rows[NP];
    Rng r;
    rng_seed(&r, seed);
    for (int i = 0; i < NP; i++) {
        sl[i] = 1 + (int)rng_below(&r, 8);
        tl[i] = 1 + (int)rng_below(&r, 8);
        for (int j = 0; j < 9; j++)
            buf[i][j] = VOCAB_NSPECIAL + (int)rng_below(&r, (uint32_t)(vocab - VOCAB_NSPECIAL));
        rows[i] = buf[i];
    }
    fixture_corpus(c, NP, rows, sl, rows, tl);
}

/* Whether every non-zero element of g lies in shards_live_ranges(s). */
static int zero_outside_live(Shards *s, const float *g, size_t n)
{
    size_t *r = shards_ranges_buf(s, 0), pos = 0;
    int nr = shards_live_ranges(s, 0, n, r);
    for (int k = 0; k <= nr; k++) {
        size_t end = k < nr ? r[2 * k] : n;
        for (; pos < end; pos++)
            if (g[pos] != 0.0f)
                return 0;
        pos = k < nr ? r[2 * k + 1] : n;
    }
    return 1;
}

/* Sparse embedding gradients against the dense reference path, bit for
 * bit, over batches that touch different rows (so rows left from the last
 * batch must be zeroed), with 1, 2 and 3 shards and empty shards. */
static void test_sparse(ModelArch arch, CellKind cell, int tied, int bidir)
{
    enum { VV = 600 }; /* rows > a shard's slots: a growing row list would overflow */
    Corpus c;
    Model m;
    ModelConfig cfg = {.src_vocab = VV, .tgt_vocab = VV, .embed = 12, .hidden = 12, .layers = 2,
                       .reverse = 1, .arch = arch, .cell = cell, .tied = tied, .bidir = bidir};
    S2sErr err;
    Rng r;
    CHECK(model_init(&m, &cfg, &err) == 0);
    rng_seed(&r, 4);
    model_init_uniform(&m, 0.3f, &r);
    corpus_v(&c, VV, 11);
    int pairs[NP];
    for (int i = 0; i < NP; i++)
        pairs[i] = (i * 5) % NP;
    /* 1 pair: shard 0 empty when k > 1, many times over */
    int sizes[] = {6, 3, 1, 8, 2, 1, 1, 4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 5, 1};
    int nsteps = (int)(sizeof sizes / sizeof *sizes);
    for (int k = 1; k <= 3; k++) {
        Shards sp, de;
        CHECK(shards_init(&sp, &m, k, 8, c.max_src_len, c.max_tgt_len, &err) == 0);
        CHECK(shards_init(&de, &m, k, 8, c.max_src_len, c.max_tgt_len, &err) == 0);
        shards_set_sparse(&de, 0);
        int at = 0, same = 1, zero = 1, norms = 1, fewer = 0;
        for (int step = 0; step < nsteps; step++) {
            const int *p = pairs + at;
            at = (at + sizes[step]) % (NP - 8);
            Rng r1, r2;
            rng_seed(&r1, (uint64_t)step), rng_seed(&r2, (uint64_t)step);
            double a = shards_run(&sp, &m, &c, p, sizes[step], 1, 1, 0.2f, &r1, NULL, NULL, NULL);
            double b = shards_run(&de, &m, &c, p, sizes[step], 1, 1, 0.2f, &r2, NULL, NULL, NULL);
            same &= a == b && memcmp(shards_grads(&sp), shards_grads(&de), m.nparams * 4) == 0;
            norms &= shards_grad_norm(&sp) == shards_grad_norm(&de);
            zero &= zero_outside_live(&sp, shards_grads(&de), m.nparams);
            fewer += sp.rows.n < model_sparse_rows(&m);
            if (step % 3 == 2 && step < 8) { /* as after a sum over ranks (dist.h): every row filled */
                for (size_t i = 0; i < m.nparams; i++)
                    shards_grads(&sp)[i] = shards_grads(&de)[i] = 1.0f;
                shards_grads_filled(&sp);
                shards_grads_filled(&de);
            }
        }
        CHECK_MSG(same && norms && zero, "%s/%s tied %d bidir %d, %d shards: sparse != dense "
                  "(gradients %d, norms %d, zero outside the live rows %d)", model_arch_name(arch),
                  cell_name(cell), tied, bidir, k, same, norms, zero);
        CHECK(fewer > 0); /* some batch touched fewer rows than all */
        shards_free(&sp);
        shards_free(&de);
    }
    model_free(&m);
    corpus_free(&c);
}

int main(void)
{
    test_sparse(ARCH_SEQ2SEQ, CELL_LSTM, 0, 0);
    test_sparse(ARCH_ENCDEC, CELL_GRU, 0, 0);
    test_sparse(ARCH_ATTENTION, CELL_LSTM, 0, 1);
    test_sparse(ARCH_ATTENTION, CELL_GRU, 1, 0);
    test_stale_shard();
    test_arch(ARCH_SEQ2SEQ, CELL_LSTM);
    test_arch(ARCH_ENCDEC, CELL_GRU);
    test_arch(ARCH_SEQ2SEQ, CELL_RNN);
    test_arch(ARCH_ATTENTION, CELL_LSTM);
    return check_exit_code("test_shard");
}
