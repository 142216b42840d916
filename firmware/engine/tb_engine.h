/* Public engine API: load a .tflite model into a caller-owned interpreter and
 * arena, then run it. No allocation, no I/O. */
#ifndef TB_ENGINE_H
#define TB_ENGINE_H

#include "tb_types.h"

/* Parses and validates the model, plans the arena and prepares every op.
 * On failure returns non-zero and it->error names the problem (operator,
 * version or tensor type). The model buffer must outlive the interpreter. */
tb_status tb_load(tb_interpreter *it, const uint8_t *model, size_t model_len, uint8_t *arena, size_t arena_len);

/* Runs every operator once. Adds the work done to it->work. */
void tb_invoke(tb_interpreter *it);

const tb_tensor *tb_input(const tb_interpreter *it);
const tb_tensor *tb_output(const tb_interpreter *it);
int8_t *tb_input_data(tb_interpreter *it);
const int8_t *tb_output_data(tb_interpreter *it);

#endif
