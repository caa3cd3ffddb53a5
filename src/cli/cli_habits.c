/* Other toolkits' option names (Marian, OpenNMT-py) in s2s: one table for
 * every command. A name for a feature s2s has under another name is
 * accepted (a getopt alias of ours: same meaning); a name for something
 * s2s does otherwise or not at all is refused, saying what to type. The
 * table also makes the docs' table (`s2s help --markdown habits`). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define TR CLI_TRAIN
#define T CLI_TRANSLATE
#define S CLI_SCORE
#define V CLI_SERVE
#define ALL (TR | T | S | V)

typedef enum {
    HABIT_SAME,  /* our option `ours`, the same meaning */
    HABIT_STEPS, /* ours, the value in steps: Marian's N or Nu (updates) */
    HABIT_PAIR,  /* two values: ours's first word takes the first, the second the second */
    HABIT_USE,   /* refused: `say` is what to type */
    HABIT_NONE,  /* refused: `say` is why s2s has none */
} HabitKind;

typedef struct {
    const char *name; /* as the tool spells it, dashes included */
    const char *tool;
    unsigned cmds;
    HabitKind kind;
    const char *ours; /* SAME, STEPS: our long option; PAIR: "first second" */
    const char *say;  /* USE, NONE: the message; else NULL */
} CliHabit;

static const CliHabit habits[] = {
    /* Marian */
    {"--train-sets", "Marian", TR, HABIT_PAIR, "src tgt", NULL},
    {"--valid-sets", "Marian", TR, HABIT_PAIR, "valid-src valid-tgt", NULL},
    {"--valid-freq", "Marian", TR, HABIT_STEPS, "valid-every", NULL},
    {"--save-freq", "Marian", TR, HABIT_STEPS, "save-every", NULL},
    {"--early-stopping", "Marian", TR, HABIT_SAME, "patience", NULL},
    {"--after-epochs", "Marian", TR, HABIT_SAME, "epochs", NULL},
    {"--after-batches", "Marian", TR, HABIT_SAME, "max-steps", NULL},
    {"--learn-rate", "Marian", TR, HABIT_SAME, "lr", NULL},
    {"--optimizer", "Marian", TR, HABIT_SAME, "optim", NULL},
    {"--dim-emb", "Marian", TR, HABIT_SAME, "embed", NULL},
    {"--dim-rnn", "Marian", TR, HABIT_SAME, "hidden", NULL},
    {"--mini-batch-words", "Marian", TR, HABIT_SAME, "batch-words", NULL},
    {"--mini-batch", "Marian", TR | T, HABIT_SAME, "batch", NULL},
    {"--cpu-threads", "Marian", ALL, HABIT_SAME, "threads", NULL},
    {"--max-length", "Marian", TR | T, HABIT_SAME, "max-len", NULL},
    {"--beam-size", "Marian", T, HABIT_SAME, "beam", NULL},
    {"--layer-normalization", "Marian", TR, HABIT_SAME, "layer-norm", NULL},
    {"--skip", "Marian", TR, HABIT_SAME, "residual", NULL},
    {"--quiet-translation", "Marian", T, HABIT_SAME, "quiet", NULL},
    {"--enc-depth", "Marian", TR, HABIT_USE, NULL, "--layers N: one depth for the encoder and the decoder"},
    {"--dec-depth", "Marian", TR, HABIT_USE, NULL, "--layers N: one depth for the encoder and the decoder"},
    {"--type", "Marian", TR, HABIT_USE, NULL,
     "--arch seq2seq, encdec or attention (Marian's s2s is --arch attention)"},
    {"--disp-freq", "Marian", TR, HABIT_USE, NULL, "--report-every SEC: a progress line every SEC seconds"},
    {"--lr-decay", "Marian", TR, HABIT_USE, NULL,
     "--decay-on-plateau (halve when no validation metric improves) or --decay-start N (halve every epoch after N)"},
    {"--tied-embeddings-all", "Marian", TR, HABIT_USE, NULL,
     "--tied-embeddings: the output layer shares the target embeddings (source and target vocabularies are apart)"},
    {"--vocabs", "Marian", TR, HABIT_NONE, NULL,
     "the vocabularies are built from --src and --tgt and stored in the model; --src-vocab N and --tgt-vocab N cap their sizes"},
    {"--models", "Marian", T | S | V, HABIT_USE, NULL, "-m FILE once for each model of the ensemble"},
    {"--max-length-factor", "Marian", T | V, HABIT_USE, NULL,
     "--max-len-ratio R: output at most R × source length + 10 tokens"},
    {"--output-sampling", "Marian", T, HABIT_USE, NULL,
     "--sample [--temperature T]: sampling from the whole distribution"},
    {"--word-scores", "Marian", T, HABIT_NONE, NULL, "no scores per word: --scores appends each sentence's"},
    {"--log-level", "Marian", ALL, HABIT_NONE, NULL,
     "no log levels: progress and warnings go to stderr, and -q silences the progress"},
    {"--devices", "Marian", ALL, HABIT_NONE, NULL, "s2s runs on the CPU: --threads N (default: all cores)"},
    {"--workspace", "Marian", ALL, HABIT_NONE, NULL, "memory is sized from the batch (--batch, --batch-words)"},
    /* OpenNMT-py (onmt_translate, onmt_train): a single dash works for every long option */
    {"-model", "OpenNMT-py", T | S | V, HABIT_SAME, "model", NULL},
    {"-src", "OpenNMT-py", T, HABIT_SAME, "input", NULL},
    {"-beam_size", "OpenNMT-py", T, HABIT_SAME, "beam", NULL},
    {"-n_best", "OpenNMT-py", T, HABIT_SAME, "nbest", NULL},
    {"-batch_size", "OpenNMT-py", ALL, HABIT_SAME, "batch", NULL},
    {"-random_sampling_temp", "OpenNMT-py", T, HABIT_SAME, "temperature", NULL},
    {"-save_model", "OpenNMT-py", TR, HABIT_SAME, "model", NULL},
    {"-train_from", "OpenNMT-py", TR, HABIT_SAME, "resume", NULL},
    {"-train_steps", "OpenNMT-py", TR, HABIT_SAME, "max-steps", NULL},
    {"-valid_steps", "OpenNMT-py", TR, HABIT_SAME, "valid-every", NULL},
    {"-save_checkpoint_steps", "OpenNMT-py", TR, HABIT_SAME, "save-every", NULL},
    {"-learning_rate", "OpenNMT-py", TR, HABIT_SAME, "lr", NULL},
    {"-rnn_size", "OpenNMT-py", TR, HABIT_SAME, "hidden", NULL},
    {"-hidden_size", "OpenNMT-py", TR, HABIT_SAME, "hidden", NULL},
    {"-word_vec_size", "OpenNMT-py", TR, HABIT_SAME, "embed", NULL},
    {"-global_attention", "OpenNMT-py", TR, HABIT_SAME, "attention", NULL},
    {"-early_stopping", "OpenNMT-py", TR, HABIT_SAME, "patience", NULL},
    {"-keep_checkpoint", "OpenNMT-py", TR, HABIT_SAME, "keep-checkpoints", NULL},
    {"-label_smoothing", "OpenNMT-py", TR, HABIT_SAME, "label-smoothing", NULL},
    {"-max_grad_norm", "OpenNMT-py", TR, HABIT_SAME, "clip", NULL},
    {"-param_init", "OpenNMT-py", TR, HABIT_SAME, "init", NULL},
    {"-max_length", "OpenNMT-py", T | V, HABIT_SAME, "max-out-len", NULL},
    {"-alpha", "OpenNMT-py", T | V, HABIT_USE, NULL,
     "--length-penalty A: GNMT's, as OpenNMT's -length_penalty wu -alpha A"},
    {"-random_sampling_topk", "OpenNMT-py", T, HABIT_USE, NULL, "--sample: from the whole distribution (no top-k)"},
    {"-verbose", "OpenNMT-py", T, HABIT_USE, NULL,
     "--scores (each line's score) or --nbest N; progress goes to stderr unless -q"},
    {"-replace_unk", "OpenNMT-py", T, HABIT_NONE, NULL,
     "no unknown-word replacement: BPE leaves few unknown tokens, and translate says how many there were"},
    {"-encoder_type", "OpenNMT-py", TR, HABIT_USE, NULL, "--bidirectional (OpenNMT's brnn) with --arch attention"},
    {"-rnn_type", "OpenNMT-py", TR, HABIT_USE, NULL, "--cell lstm, gru or rnn"},
    {"-world_size", "OpenNMT-py", TR, HABIT_USE, NULL, "mpirun -np N s2s train ... (docs/distributed.md)"},
    {"-gpu", "OpenNMT-py", ALL, HABIT_NONE, NULL, "s2s runs on the CPU: --threads N (default: all cores)"},
    {"-gpu_ranks", "OpenNMT-py", TR, HABIT_NONE, NULL, "s2s runs on the CPU: --threads N, or mpirun (docs/distributed.md)"},
};
enum { NHABITS = sizeof habits / sizeof habits[0] };

static const char *bare(const char *name)
{
    while (*name == '-')
        name++;
    return name;
}

/* The long option named name among longs[0..n): its index, or -1. */
static int find_long(const struct option *longs, int n, const char *name, size_t len)
{
    for (int j = 0; j < n; j++)
        if (strlen(longs[j].name) == len && !strncmp(longs[j].name, name, len))
            return j;
    return -1;
}

int cli_habits_longs(unsigned cmd, struct option *longs, int n, int cap)
{
    int ours = n;
    for (int i = 0; i < NHABITS && n < cap; i++) {
        const CliHabit *h = &habits[i];
        if (!(h->cmds & cmd))
            continue;
        if (find_long(longs, ours, bare(h->name), strlen(bare(h->name))) >= 0)
            continue; /* -model: getopt_long_only reads it as our --model */
        if (h->kind == HABIT_SAME) { /* an alias of ours: its key, its argument */
            int j = find_long(longs, ours, h->ours, strlen(h->ours));
            S2S_INVARIANT(j >= 0); /* the table names options the command has */
            longs[n++] = (struct option){bare(h->name), longs[j].has_arg, NULL, longs[j].val};
        } else {
            longs[n++] = (struct option){bare(h->name),
                                         h->kind == HABIT_PAIR || h->kind == HABIT_STEPS ? required_argument
                                                                                          : optional_argument,
                                         NULL, CLI_K_HABIT + i};
        }
    }
    longs[n] = (struct option){0, 0, 0, 0};
    return n;
}

/* Marian's step counts: N or Nu (updates); epochs (Ne) and target labels
 * (Nt) are refused, naming ours. */
static int steps_value(const char *cmd, const CliHabit *h, const char *v, char *buf, size_t cap)
{
    size_t n = strlen(v);
    if (n > 1 && v[n - 1] == 'u' && n < cap) {
        memcpy(buf, v, n - 1);
        buf[n - 1] = '\0';
        return 0;
    }
    if (n > 1 && (v[n - 1] == 'e' || v[n - 1] == 't')) {
        fprintf(stderr, "s2s %s: %s %s: s2s counts --%s in steps (updates): give N or Nu%s\n", cmd,
                h->name, v, h->ours, !strcmp(h->ours, "valid-every") ? "; by default it validates every epoch" : "");
        return CLI_USAGE;
    }
    snprintf(buf, cap, "%s", v);
    return 0;
}

int cli_habit_take(const char *cmd, int c, int argc, char **argv, CliHabitValue *out)
{
    S2S_INVARIANT(c >= CLI_K_HABIT && c < CLI_K_HABIT + NHABITS);
    const CliHabit *h = &habits[c - CLI_K_HABIT];
    memset(out, 0, sizeof *out);
    if (h->kind == HABIT_USE || h->kind == HABIT_NONE) {
        fprintf(stderr, "s2s %s: %s is %s's: %s%s\n", cmd, h->name, h->tool,
                h->kind == HABIT_USE ? "use " : "", h->say);
        return CLI_USAGE;
    }
    if (h->kind == HABIT_STEPS) {
        snprintf(out->name[0], sizeof out->name[0], "%s", h->ours);
        out->n = 1;
        return steps_value(cmd, h, optarg, out->value[0], sizeof out->value[0]);
    }
    /* HABIT_PAIR: --train-sets SRC TGT */
    size_t sp = strcspn(h->ours, " ");
    snprintf(out->name[0], sizeof out->name[0], "%.*s", (int)sp, h->ours);
    snprintf(out->name[1], sizeof out->name[1], "%s", h->ours + sp + 1);
    if (optind >= argc || (argv[optind][0] == '-' && argv[optind][1])) {
        fprintf(stderr, "s2s %s: %s takes two files, source then target (--%s and --%s)\n", cmd,
                h->name, out->name[0], out->name[1]);
        return CLI_USAGE;
    }
    snprintf(out->value[0], sizeof out->value[0], "%s", optarg);
    snprintf(out->value[1], sizeof out->value[1], "%s", argv[optind++]);
    out->n = 2;
    return 0;
}

int cli_habits_prescan(const char *cmd, int argc, char **argv, const struct option *longs)
{
    int n = 0;
    while (longs[n].name)
        n++;
    for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
        const char *w = argv[i];
        if (w[0] != '-' || w[1] == '-' || !strchr(w, '_'))
            continue;
        size_t len = strcspn(w + 1, "=");
        if (find_long(longs, n, w + 1, len) < 0) /* else getopt would read -m in_length */
            return cli_bad_option(cmd, '?', w, longs);
    }
    return 0;
}

void cli_habits_markdown(FILE *f)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {{TR, "train"}, {T, "translate"}, {S, "score"}, {V, "serve"}};
    fprintf(f, "| you type | tool | commands | s2s |\n|---|---|---|---|\n");
    for (int i = 0; i < NHABITS; i++) {
        const CliHabit *h = &habits[i];
        fprintf(f, "| `%s` | %s | ", h->name, h->tool);
        for (size_t k = 0, first = 1; k < sizeof names / sizeof names[0]; k++)
            if (h->cmds & names[k].bit)
                fprintf(f, "%s%s", first ? "" : ", ", names[k].name), first = 0;
        fprintf(f, " | ");
        if (h->kind == HABIT_SAME)
            fprintf(f, "accepted: `--%s`", h->ours);
        else if (h->kind == HABIT_STEPS)
            fprintf(f, "accepted: `--%s` (N or Nu: steps)", h->ours);
        else if (h->kind == HABIT_PAIR)
            fprintf(f, "accepted: `--%.*s` and `--%s`", (int)strcspn(h->ours, " "), h->ours,
                    h->ours + strcspn(h->ours, " ") + 1);
        else {
            fprintf(f, "refused (exit 2): %s", h->kind == HABIT_USE ? "use " : "");
            cli_markdown_cell(f, h->say);
        }
        fprintf(f, " |\n");
    }
}
