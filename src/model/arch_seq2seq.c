/* seq2seq (Sutskever et al. 2014): decoder layer l starts from encoder
 * layer l's final state ([c, h] for the LSTM); nothing else links the two,
 * so the architecture adds no tensors and is made of the shared pieces
 * (arch.c) alone. */
#include "s2s/model/arch.h"

const ArchOps arch_seq2seq = {
    .name = "seq2seq",
    .dec_input = arch_width_embed,
    .out_input = arch_width_hidden,
    .start = arch_start_copy,
    .start_backward = arch_start_copy_backward,
    .dec_rows = arch_rows_embed_ctx,
    .dec_rows_backward = arch_rows_embed_ctx_backward,
    .out_rows = arch_rows_h,
    .out_rows_backward = arch_rows_h_backward,
    .step_forward = arch_step_plain,
};
