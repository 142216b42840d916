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
  if (it->tensors[it->input].const_data || it->tensors[it->input].type != TB_TYPE_INT8 || it->tensors[it->output].type != TB_TYPE_INT8)
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

#ifdef TB_PROFILE_REPEAT
/* 0 first CONV_2D, 1 other CONV_2D, 2 DEPTHWISE_CONV_2D, 3 FULLY_CONNECTED, 4 ADD, -1 other. */
static int tb_profile_class(const tb_interpreter *it, uint16_t i) {
  switch (it->ops[i].code) {
    case TB_OP_CONV_2D:
      for (uint16_t j = 0; j < i; ++j)
        if (it->ops[j].code == TB_OP_CONV_2D) return 1;
      return 0;
    case TB_OP_DEPTHWISE_CONV_2D: return 2;
    case TB_OP_FULLY_CONNECTED: return 3;
    case TB_OP_ADD: return 4;
    default: return -1;
  }
}
#endif

void tb_invoke(tb_interpreter *it) {
  for (uint16_t i = 0; i < it->nops; ++i) {
    const tb_op *op = &it->ops[i];
    const tb_op_kind *kind = tb_op_kind_of(op);
    kind->eval(it, op);
#ifdef TB_PROFILE_REPEAT
    /* Profiling builds only (bench/qemu-instructions.mjs): ops of one class run
     * twice, so instructions(this build) - instructions(normal build) is that
     * class's cost. Ops never write their inputs, so the output is unchanged. */
    if (tb_profile_class(it, i) == TB_PROFILE_REPEAT) kind->eval(it, op);
#endif
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
