/* RESHAPE: the planner gives input and output their own buffers, so this is a copy. */
#include "tb_kernels.h"

tb_status tb_reshape_prepare(tb_interpreter *it, tb_op *op) {
  const tb_tensor *in = &it->tensors[op->inputs[0]];
  const tb_tensor *out = &it->tensors[op->outputs[0]];
  if (in->bytes != out->bytes) return tb_op_error(it, "RESHAPE", "input and output sizes differ");
  return TB_OK;
}

void tb_reshape_eval(tb_interpreter *it, const tb_op *op) {
  const tb_tensor *out_t = &it->tensors[op->outputs[0]];
  int8_t *out = tb_data_i8(it, op->outputs[0]);
  const int8_t *in = tb_data_i8(it, op->inputs[0]);
  if (out != in) memmove(out, in, out_t->bytes);
  it->work.outputs[5] += out_t->elements;
}
