/* FULLY_CONNECTED, int8, filter [out, depth]; per-tensor or per-channel scales. */
#include "tb_kernels.h"
#include "../tb_quant.h"

tb_status tb_fully_connected_prepare(tb_interpreter *it, tb_op *op) {
  const tb_tensor *in = &it->tensors[op->inputs[0]];
  const tb_tensor *f = &it->tensors[op->inputs[1]];
  const tb_tensor *out = &it->tensors[op->outputs[0]];
  if (f->ndim != 2) return tb_op_error(it, "FULLY_CONNECTED", "filter must be 2-D");
  if (f->zero_point != 0) return tb_op_error(it, "FULLY_CONNECTED", "filter zero point must be 0");
  const int32_t depth = f->dims[1], units = f->dims[0];
  if (depth <= 0 || in->elements % (uint32_t)depth != 0)
    return tb_op_error(it, "FULLY_CONNECTED", "input size is not a multiple of the filter depth");
  if (out->elements != (in->elements / (uint32_t)depth) * (uint32_t)units)
    return tb_op_error(it, "FULLY_CONNECTED", "output size does not match batches x units");
  return tb_channel_multipliers(it, op, "FULLY_CONNECTED", units);
}

void tb_fully_connected_eval(tb_interpreter *it, const tb_op *op) {
  const tb_tensor *in_t = &it->tensors[op->inputs[0]];
  const tb_tensor *f_t = &it->tensors[op->inputs[1]];
  const tb_tensor *out_t = &it->tensors[op->outputs[0]];
  const int8_t *in = tb_data_i8(it, op->inputs[0]);
  const int8_t *filter = tb_data_i8(it, op->inputs[1]);
  const int32_t *bias = op->ninputs > 2 ? tb_data_i32(it, op->inputs[2]) : NULL;
  int8_t *out = tb_data_i8(it, op->outputs[0]);
  const int depth = f_t->dims[1], units = f_t->dims[0];
  const int batches = (int)(in_t->elements / (uint32_t)depth);
  const int32_t in_offset = -in_t->zero_point, out_offset = out_t->zero_point;
  const int32_t *mult = &it->channel_mult[op->p.channel_base];
  const int32_t *shift = &it->channel_shift[op->p.channel_base];
  const int32_t cs = op->p.channel_stride;
  for (int b = 0; b < batches; ++b) {
    const int8_t *x = in + (size_t)b * depth;
    for (int u = 0; u < units; ++u) {
      const int8_t *w = filter + (size_t)u * depth;
      int32_t acc = 0;
      for (int d = 0; d < depth; ++d) acc += (int32_t)w[d] * ((int32_t)x[d] + in_offset);
      if (bias) acc += bias[u];
      acc = tb_multiply_by_quantized_multiplier(acc, mult[u * cs], shift[u * cs]) + out_offset;
      out[(size_t)b * units + u] = (int8_t)tb_clamp_i32(acc, op->p.act_min, op->p.act_max);
    }
  }
  it->work.macs[2] += (uint32_t)(batches * units * depth);
  it->work.taps[2] += (uint32_t)(batches * units);
  it->work.outputs[2] += out_t->elements;
}
