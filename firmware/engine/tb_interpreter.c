#include "tb_engine.h"
#include "kernels/tb_kernels.h"

#include <string.h>

tb_status tb_read_model(tb_interpreter *it);
tb_status tb_plan_arena(tb_interpreter *it);

tb_status tb_load(tb_interpreter *it, const uint8_t *model, size_t model_len, uint8_t *arena, size_t arena_len) {
  memset(it, 0, sizeof *it);
  it->model = model;
  it->model_len = model_len;
  it->arena = arena;
  it->arena_len = arena_len;
  tb_status s = tb_read_model(it);
  if (s != TB_OK) return s;
  if (it->tensors[it->input].const_data || it->tensors[it->input].type != TB_TYPE_INT8 ||
      it->tensors[it->output].type != TB_TYPE_INT8)
    return tb_op_error(it, "model", "input and output must be int8 activations");
  s = tb_plan_arena(it);
  if (s != TB_OK) return s;
  for (uint16_t i = 0; i < it->nops; ++i) {
    s = tb_op_kind_of(&it->ops[i])->prepare(it, &it->ops[i]);
    if (s != TB_OK) return s;
  }
  /* Kernel scratch goes after the tensors; ops run one at a time, so they share it. */
  it->arena_used = it->scratch_offset + ((it->scratch_bytes + 15u) & ~15u);
  if (it->arena_used > it->arena_len) {
    tb_op_error(it, "arena", "too small for this model's tensors and kernel scratch; see arena_used");
    return TB_ERR_ARENA;
  }
  return TB_OK;
}

void tb_invoke(tb_interpreter *it) {
  for (uint16_t i = 0; i < it->nops; ++i) {
    const tb_op *op = &it->ops[i];
    const tb_op_kind *kind = tb_op_kind_of(op);
    kind->eval(it, op);
    /* Work is a property of the model, counted at prepare time, not in the kernels' loops. */
    it->work.macs[kind->work_kind] += op->p.work_macs;
    it->work.taps[kind->work_kind] += op->p.work_taps;
    it->work.outputs[kind->work_kind] += it->tensors[op->outputs[0]].elements;
  }
  it->work.ops += it->nops;
}

const tb_tensor *tb_input(const tb_interpreter *it) { return &it->tensors[it->input]; }
const tb_tensor *tb_output(const tb_interpreter *it) { return &it->tensors[it->output]; }
int8_t *tb_input_data(tb_interpreter *it) { return tb_data_i8(it, it->input); }
const int8_t *tb_output_data(tb_interpreter *it) { return tb_data_i8(it, it->output); }
