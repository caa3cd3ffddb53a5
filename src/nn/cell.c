#include "s2s/nn/cell.h"

#include <string.h>

#include "s2s/nn/gru.h"
#include "s2s/nn/lstm.h"
#include "s2s/nn/rnn.h"

static const char *const names[] = {"lstm", "gru", "rnn"};

int cell_gates(CellKind k) { return k == CELL_LSTM ? 4 : k == CELL_GRU ? 3 : 1; }
int cell_has_c(CellKind k) { return k == CELL_LSTM; }
int cell_ln_floats(CellKind k, int H) { return 2 * cell_gates(k) * H + (k == CELL_LSTM ? 2 * H : 0); }
const char *cell_name(CellKind k) { return names[k]; }

int cell_from_name(const char *name, CellKind *k)
{
    for (int i = 0; i < 3; i++)
        if (name && strcmp(name, names[i]) == 0) {
            *k = (CellKind)i;
            return 0;
        }
    return -1;
}

void cell_forward(CellKind k, CellActs *a, const float *x, const float *mask, CellParams p,
                  int T, int B, int X, int H)
{
    if (k == CELL_LSTM)
        lstm_forward(a, x, mask, p, T, B, X, H);
    else if (k == CELL_GRU)
        gru_forward(a, x, mask, p, T, B, X, H);
    else
        rnn_forward(a, x, mask, p, T, B, X, H);
}

void cell_backward(CellKind k, float *dx, float *dh0, float *dc0, CellTensors g, const float *dh,
                   const float *dhT, const float *dcT, const CellActs *a, const float *x,
                   const float *mask, CellParams p, CellScratch s, int T, int B, int X, int H)
{
    if (k == CELL_LSTM)
        lstm_backward(dx, dh0, dc0, g, dh, dhT, dcT, a, x, mask, p, s, T, B, X, H);
    else if (k == CELL_GRU)
        gru_backward(dx, dh0, g, dh, dhT, a, x, mask, p, s, T, B, X, H);
    else
        rnn_backward(dx, dh0, g, dh, dhT, a, x, mask, p, s, T, B, X, H);
}
