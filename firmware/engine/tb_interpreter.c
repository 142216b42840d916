#include "tb_engine.h"
#include "kernels/tb_kernels.h"

#include <string.h>

tb_status tb_read_model(tb_interpreter *it);
tb_status tb_plan_arena(tb_interpreter *it);

typedef struct {
  int32_t code;
  tb_status (*prepare)(tb_interpreter *, tb_op *);
  void (*eval)(tb_interpreter *, const tb_op *);
} tb_registration;

static const tb_registration registry[] = {
    {TB_OP_CONV_2D, tb_conv_prepare, tb_conv_eval},
    {TB_OP_DEPTHWISE_CONV_2D, tb_depthwise_conv_prepare, tb_depthwise_conv_eval},
    {TB_OP_FULLY_CONNECTED, tb_fully_connected_prepare, tb_fully_connected_eval},
    {TB_OP_ADD, tb_add_prepare, tb_add_eval},
    {TB_OP_AVERAGE_POOL_2D, tb_average_pool_prepare, tb_average_pool_eval},
    {TB_OP_RESHAPE, tb_reshape_prepare, tb_reshape_eval},
    {TB_OP_SOFTMAX, tb_softmax_prepare, tb_softmax_eval},
};

static const tb_registration *find(int32_t code) {
  for (size_t i = 0; i < sizeof registry / sizeof registry[0]; ++i)
    if (registry[i].code == code) return &registry[i];
  return NULL;
}

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
    s = find(it->ops[i].code)->prepare(it, &it->ops[i]);
    if (s != TB_OK) return s;
  }
  return TB_OK;
}

void tb_invoke(tb_interpreter *it) {
  for (uint16_t i = 0; i < it->nops; ++i) find(it->ops[i].code)->eval(it, &it->ops[i]);
  it->work.ops += it->nops;
}

const tb_tensor *tb_input(const tb_interpreter *it) { return &it->tensors[it->input]; }
const tb_tensor *tb_output(const tb_interpreter *it) { return &it->tensors[it->output]; }
int8_t *tb_input_data(tb_interpreter *it) { return tb_data_i8(it, it->input); }
const int8_t *tb_output_data(tb_interpreter *it) { return tb_data_i8(it, it->output); }
