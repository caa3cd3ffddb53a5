/* Model behaviour: source reversal, the decoder's initial state, masking,
 * learning a copy task, and determinism. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fixtures.h"
#include "s2s/nn/optim.h"

typedef struct {
    Model m;
    Workspace ws;
    Batch bt;
    Corpus c;
} Setup;

static ModelArch setup_arch; /* the architecture setup builds (seq2seq unless set) */

static void setup(Setup *s, int layers, int reverse)
{
    ModelConfig cfg = {.src_vocab = 9, .tgt_vocab = 10, .embed = 5, .hidden = 6,
                       .layers = layers, .reverse = reverse, .arch = setup_arch};
    S2sErr err;
    Rng r;
    rng_seed(&r, 5);
    fixture_small_corpus(&s->c);
    CHECK(model_init(&s->m, &cfg, &err) == 0);
    model_init_uniform(&s->m, 0.5f, &r);
    CHECK(workspace_init(&s->ws, &s->m, 3, s->c.max_src_len, s->c.max_tgt_len + 1, &err) == 0);
    CHECK(batch_init(&s->bt, 3, s->c.max_src_len, s->c.max_tgt_len, &err) == 0);
}

static void teardown(Setup *s)
{
    batch_free(&s->bt);
    workspace_free(&s->ws);
    model_free(&s->m);
    corpus_free(&s->c);
}

/* The encoder's first input is the embedding of the source's last word. */
static void test_reversal(void)
{
    for (int reverse = 0; reverse <= 1; reverse++) {
        Setup s;
        int pairs[3] = {0, 1, 2};
        setup(&s, 1, reverse);
        batch_fill_pairs(&s.bt, &s.c, pairs, 3, reverse);
        model_forward(&s.m, &s.ws, &s.bt, 0.0f, NULL);
        int E = s.m.cfg.embed;
        for (int b = 0; b < 3; b++) {
            int len = s.c.src_off[b + 1] - s.c.src_off[b];
            int first = s.c.src_ids[s.c.src_off[b] + (reverse ? len - 1 : 0)];
            const float *seen = s.ws.enc_in[0] + (size_t)b * E; /* t = 0, column b */
            CHECK_MSG(memcmp(seen, s.m.w.src_emb + (size_t)first * E, sizeof(float) * E) == 0,
                      "reverse=%d column %d", reverse, b);
        }
        teardown(&s);
    }
}

/* Decoder layer l starts from encoder layer l's state after each column's
 * last real token, the same as when the sentence runs alone. */
static void test_initial_state(void)
{
    Setup s, alone;
    int pairs[3] = {0, 1, 2};
    setup(&s, 2, 1);
    setup(&alone, 2, 1);
    batch_fill_pairs(&s.bt, &s.c, pairs, 3, 1);
    model_forward(&s.m, &s.ws, &s.bt, 0.0f, NULL);
    int H = s.m.cfg.hidden, Ts = s.bt.src_len;
    for (int l = 0; l < 2; l++)
        CHECK(memcmp(s.ws.dec[l].h, s.ws.enc[l].h + (size_t)Ts * 3 * H, sizeof(float) * 3 * H) == 0 &&
              memcmp(s.ws.dec[l].c, s.ws.enc[l].c + (size_t)Ts * 3 * H, sizeof(float) * 3 * H) == 0);
    for (int b = 0; b < 3; b++) {
        batch_fill_pairs(&alone.bt, &alone.c, &b, 1, 1);
        model_forward(&alone.m, &alone.ws, &alone.bt, 0.0f, NULL);
        for (int l = 0; l < 2; l++)
            for (int j = 0; j < H; j++) {
                CHECK(fabsf(s.ws.dec[l].h[b * H + j] - alone.ws.dec[l].h[j]) < 1e-6f);
                CHECK(fabsf(s.ws.dec[l].c[b * H + j] - alone.ws.dec[l].c[j]) < 1e-6f);
            }
    }
    teardown(&s);
    teardown(&alone);
}

static double max_abs_diff(const float *a, const float *b, size_t n, double *scale)
{
    double d = 0, m = 0;
    for (size_t i = 0; i < n; i++) {
        d = fmax(d, fabs((double)a[i] - b[i]));
        m = fmax(m, fabs((double)a[i]));
    }
    *scale = m;
    return d;
}

/* Padding changes neither loss nor gradients: (1) whatever ids sit in the
 * padded places; (2) a padded batch equals its sentences run alone. */
static void test_masking(void)
{
    Setup s;
    int pairs[3] = {0, 1, 2};
    setup(&s, 2, 1);
    size_t n = s.m.nparams;
    float *g1 = malloc(n * sizeof(float)), *sum = calloc(n, sizeof(float));
    batch_fill_pairs(&s.bt, &s.c, pairs, 3, 1);
    double nll = model_forward_backward(&s.m, &s.ws, &s.bt, 0.0f, NULL);
    memcpy(g1, s.ws.grads, n * sizeof(float));
    for (int i = 0; i < s.bt.src_len * 3; i++)
        if (s.bt.src_mask[i] == 0.0f)
            s.bt.src[i] = 6;
    for (int i = 0; i < s.bt.tgt_len * 3; i++)
        if (s.bt.tgt_mask[i] == 0.0f)
            s.bt.tgt_in[i] = 7, s.bt.tgt_out[i] = 8;
    CHECK(model_forward_backward(&s.m, &s.ws, &s.bt, 0.0f, NULL) == nll);
    CHECK(memcmp(g1, s.ws.grads, n * sizeof(float)) == 0);
    long tokens = s.bt.tgt_tokens;
    double nll_alone = 0;
    for (int b = 0; b < 3; b++) {
        batch_fill_pairs(&s.bt, &s.c, &b, 1, 1);
        nll_alone += model_forward_backward(&s.m, &s.ws, &s.bt, 0.0f, NULL);
        for (size_t i = 0; i < n; i++)
            sum[i] += s.ws.grads[i] * (float)s.bt.tgt_tokens;
    }
    for (size_t i = 0; i < n; i++)
        g1[i] *= (float)tokens;
    double scale, d = max_abs_diff(g1, sum, n, &scale);
    CHECK_MSG(fabs(nll - nll_alone) < 1e-5 * nll, "nll %g vs %g", nll, nll_alone);
    CHECK_MSG(d < 1e-5 * scale, "gradient differs by %g (scale %g)", d, scale);
    free(g1);
    free(sum);
    teardown(&s);
}

/* ---- copy task ---- */

enum { CP_PAIRS = 256, CP_V = 12, CP_B = 16 };

static void copy_corpus(Corpus *c, Rng *r)
{
    int buf[CP_PAIRS][6], len[CP_PAIRS];
    const int *rows[CP_PAIRS];
    for (int i = 0; i < CP_PAIRS; i++) {
        len[i] = 2 + (int)rng_below(r, 5);
        for (int j = 0; j < len[i]; j++)
            buf[i][j] = VOCAB_NSPECIAL + (int)rng_below(r, CP_V - VOCAB_NSPECIAL);
        rows[i] = buf[i];
    }
    fixture_corpus(c, CP_PAIRS, rows, len, rows, len);
}

/* Trains steps SGD (or, with adam != NULL, Adam) steps at rate lr;
 * returns the mean loss of the first and last 20. */
static void train_copy(Model *m, int steps, float lr, uint64_t seed, double *first, double *last,
                       float *adam)
{
    Corpus c;
    Batcher bat;
    Batch bt;
    Workspace ws;
    S2sErr err;
    Rng r;
    rng_seed(&r, seed);
    copy_corpus(&c, &r);
    model_init_uniform(m, 0.1f, &r);
    CHECK(batcher_init(&bat, &c, CP_B, &err) == 0 && batch_init(&bt, CP_B, 6, 6, &err) == 0 &&
          workspace_init(&ws, m, CP_B, 6, 7, &err) == 0);
    *first = *last = 0;
    for (int step = 0, epoch = 1; step < steps; epoch++) {
        batcher_epoch(&bat, &c, seed, epoch);
        for (int k = 0; k < bat.nbatches && step < steps; k++, step++) {
            batch_fill(&bt, &c, &bat, k, 1);
            double loss = model_forward_backward(m, &ws, &bt, 0.1f, &r) / (double)bt.tgt_tokens;
            optim_clip(ws.grads, m->nparams, optim_grad_norm(ws.grads, m->nparams), 5.0);
            if (adam)
                optim_adam(m->params, ws.grads, adam, adam + m->nparams, m->nparams, lr, step + 1,
                           1.0f);
            else
                optim_sgd(m->params, ws.grads, m->nparams, lr, 1.0f);
            if (step < 20)
                *first += loss / 20;
            if (step >= steps - 20)
                *last += loss / 20;
        }
    }
    workspace_free(&ws);
    batch_free(&bt);
    batcher_free(&bat);
    corpus_free(&c);
}

/* Every architecture and cell learns the copy task; the plain RNN wants a
 * smaller rate and more steps (measured: at rate 2 it diverges), and
 * attention rate 1 (at 2 its GRU diverged: 2.25 -> 2.49). With
 * check_determinism, a second run must give bit-identical parameters. */
static void test_copy_task(ModelArch arch, CellKind cell, int check_determinism)
{
    ModelConfig cfg = {.src_vocab = CP_V, .tgt_vocab = CP_V, .embed = 16, .hidden = 48,
                       .layers = 1, .reverse = 1, .arch = arch, .cell = cell};
    Model a, b;
    S2sErr err;
    double first, last, first2, last2;
    int steps = cell == CELL_RNN ? 2500 : 1200;
    float lr = cell == CELL_RNN ? 0.3f : arch == ARCH_ATTENTION ? 1.0f : 2.0f;
    CHECK(model_init(&a, &cfg, &err) == 0 && model_init(&b, &cfg, &err) == 0);
    train_copy(&a, steps, lr, 42, &first, &last, NULL);
    fprintf(stderr, "copy task %s/%s: loss %.3f over the first 20 steps, %.3f over the last 20\n",
            model_arch_name(arch), cell_name(cell), first, last);
    CHECK_MSG(last < 0.25 * first, "%s/%s: loss %.3f -> %.3f", model_arch_name(arch),
              cell_name(cell), first, last);
    if (check_determinism) {
        train_copy(&b, steps, lr, 42, &first2, &last2, NULL);
        CHECK(memcmp(a.params, b.params, a.nparams * sizeof(float)) == 0);
        CHECK(first == first2 && last == last2);
    }
    model_free(&a);
    model_free(&b);
}

/* optim_adam against Kingma & Ba's algorithm written out in double
 * precision (bias-corrected m_hat / (sqrt(v_hat) + eps)), over 5 steps. */
static void test_adam_reference(void)
{
    enum { N = 7 };
    float p[N], st[2 * N] = {0}, g[N];
    double q[N], m[N] = {0}, v[N] = {0};
    Rng r;
    rng_seed(&r, 3);
    for (int i = 0; i < N; i++)
        q[i] = p[i] = rng_uniform(&r) - 0.5f;
    for (int t = 1; t <= 5; t++) {
        float k = t == 4 ? 0.5f : 1.0f; /* a clipped step */
        for (int i = 0; i < N; i++) {
            g[i] = (rng_uniform(&r) - 0.5f) * (i == 0 ? 1e-6f : 2.0f);
            double gi = (double)(k * g[i]);
            m[i] = 0.9 * m[i] + 0.1 * gi;
            v[i] = 0.999 * v[i] + 0.001 * gi * gi;
            double mh = m[i] / (1 - pow(0.9, t)), vh = v[i] / (1 - pow(0.999, t));
            q[i] -= 0.01 * mh / (sqrt(vh) + 1e-8);
        }
        optim_adam(p, g, st, st + N, N, 0.01f, t, k);
    }
    for (int i = 0; i < N; i++)
        CHECK_MSG(fabs(p[i] - q[i]) < 1e-6, "adam param %d: %.9f vs %.9f", i, p[i], q[i]);
}

/* Adam learns the copy task too (at its usual rate scale). */
static void test_copy_task_adam(void)
{
    ModelConfig cfg = {.src_vocab = CP_V, .tgt_vocab = CP_V, .embed = 16, .hidden = 48,
                       .layers = 1, .reverse = 1};
    Model a;
    S2sErr err;
    double first, last;
    CHECK(model_init(&a, &cfg, &err) == 0);
    float *st = calloc(2 * a.nparams, sizeof(float));
    train_copy(&a, 800, 0.01f, 42, &first, &last, st);
    fprintf(stderr, "copy task seq2seq/lstm, adam: loss %.3f -> %.3f\n", first, last);
    CHECK_MSG(last < 0.25 * first, "adam: loss %.3f -> %.3f", first, last);
    free(st);
    model_free(&a);
}

/* Attention learns the copy task markedly faster than seq2seq: the same
 * size, data, optimizer (Adam 0.01) and 300 steps; seq2seq must squeeze the
 * sentence through its final state, attention looks each word up. The
 * threshold: attention's loss over the last 20 steps below a quarter of
 * seq2seq's (measured 2026-12-01, LSTM: 0.066 against 0.420; 0.017 with
 * an earlier summation order of the attention products). */
static void test_attention_learns_faster(void)
{
    double first[2], last[2];
    for (int i = 0; i < 2; i++) {
        ModelConfig cfg = {.src_vocab = CP_V, .tgt_vocab = CP_V, .embed = 16, .hidden = 48,
                           .layers = 1, .reverse = 1, .arch = i ? ARCH_ATTENTION : ARCH_SEQ2SEQ};
        Model a;
        S2sErr err;
        CHECK(model_init(&a, &cfg, &err) == 0);
        float *st = calloc(2 * a.nparams, sizeof(float));
        train_copy(&a, 300, 0.01f, 42, &first[i], &last[i], st);
        free(st);
        model_free(&a);
    }
    fprintf(stderr, "copy task, 300 Adam steps: seq2seq loss %.3f -> %.3f, attention %.3f -> %.3f\n",
            first[0], last[0], first[1], last[1]);
    CHECK_MSG(last[1] < 0.25 * last[0], "attention %.3f is not well below seq2seq %.3f", last[1],
              last[0]);
}

/* encdec feeds c to every step: with the initial-state weights zeroed (so
 * every decoder starts from 0), two sources give different next-word
 * distributions at step 3 of the same target; with c's columns of the
 * decoder input and output weights zeroed too, they give the same. */
static void probs_at(Model *m, Corpus *c, int pair, float *out)
{
    Workspace ws;
    Batch bt;
    S2sErr err;
    CHECK(workspace_init(&ws, m, 1, c->max_src_len, c->max_tgt_len + 1, &err) == 0);
    CHECK(batch_init(&bt, 1, c->max_src_len, c->max_tgt_len, &err) == 0);
    batch_fill_pairs(&bt, c, &pair, 1, 1);
    model_forward(m, &ws, &bt, 0.0f, NULL);
    memcpy(out, ws.probs + 3 * m->cfg.tgt_vocab, sizeof(float) * m->cfg.tgt_vocab);
    batch_free(&bt);
    workspace_free(&ws);
}

static void test_context_every_step(void)
{
    static const int s0[] = {4, 5, 6}, s1[] = {7, 8, 4}, t[] = {5, 6, 7, 8, 4};
    const int *src[] = {s0, s1}, *tgt[] = {t, t};
    int sl[] = {3, 3}, tl[] = {5, 5};
    ModelConfig cfg = {.src_vocab = 9, .tgt_vocab = 10, .embed = 5, .hidden = 6, .layers = 2,
                       .reverse = 1, .arch = ARCH_ENCDEC, .cell = CELL_GRU};
    Model m;
    Corpus c;
    Rng r;
    S2sErr err;
    float pa[10], pb[10];
    int E = cfg.embed, H = cfg.hidden, G = 3, X0 = E + H, F = 2 * H + E;
    rng_seed(&r, 9);
    fixture_corpus(&c, 2, src, sl, tgt, tl);
    CHECK(model_init(&m, &cfg, &err) == 0);
    model_init_uniform(&m, 0.5f, &r);
    for (int l = 0; l < cfg.layers; l++) {
        memset(m.w.init_W[l], 0, sizeof(float) * H * H);
        memset(m.w.init_b[l], 0, sizeof(float) * H);
    }
    probs_at(&m, &c, 0, pa);
    probs_at(&m, &c, 1, pb);
    CHECK_MSG(memcmp(pa, pb, sizeof pa) != 0, "c does not reach step 3");
    for (int i = 0; i < G * H; i++)
        memset(m.w.dec[0].Wx + (size_t)i * X0 + E, 0, sizeof(float) * H);
    for (int v = 0; v < cfg.tgt_vocab; v++)
        memset(m.w.out_W + (size_t)v * F + H + E, 0, sizeof(float) * H);
    probs_at(&m, &c, 0, pa);
    probs_at(&m, &c, 1, pb);
    CHECK_MSG(memcmp(pa, pb, sizeof pa) == 0, "something besides c carries the source");
    model_free(&m);
    corpus_free(&c);
}

int main(void)
{
    test_context_every_step();
    test_reversal();
    test_initial_state();
    test_masking();
    setup_arch = ARCH_ATTENTION; /* padding is masked out of attention too */
    test_masking();
    setup_arch = ARCH_SEQ2SEQ;
    test_adam_reference();
    test_copy_task_adam();
    test_attention_learns_faster();
    for (int arch = 0; arch <= ARCH_ATTENTION; arch++)
        for (int cell = 0; cell < 3; cell++)
            test_copy_task((ModelArch)arch, (CellKind)cell, arch == 0 && cell == 0);
    return check_exit_code("test_model");
}
