/* ADD, int8, same shapes (no broadcast: the reference models never need it). */
#include "tb_kernels.h"
#include "../tb_quant.h"

tb_status tb_add_prepare(tb_interpreter *it, tb_op *op) {
  const tb_tensor *a = &it->tensors[op->inputs[0]];
  const tb_tensor *b = &it->tensors[op->inputs[1]];
  const tb_tensor *out = &it->tensors[op->outputs[0]];
  if (a->elements != b->elements || a->elements != out->elements)
    return tb_op_error(it, "ADD", "broadcasting is not supported (input shapes differ)");
  op->p.left_shift = 20;
  const float max_scale = a->scale > b->scale ? a->scale : b->scale;
  const double twice_max = 2.0 * (double)max_scale;
  const double real_a = (double)a->scale / twice_max;
  const double real_b = (double)b->scale / twice_max;
  const double real_out = twice_max / ((double)(1 << op->p.left_shift) * (double)out->scale);
  tb_quantize_multiplier(real_a, &op->p.in1_mult, &op->p.in1_shift);
  tb_quantize_multiplier(real_b, &op->p.in2_mult, &op->p.in2_shift);
  tb_quantize_multiplier(real_out, &op->p.multiplier, &op->p.shift);
  if (op->p.in1_shift > 0 || op->p.in2_shift > 0 || op->p.shift > 0)
    return tb_op_error(it, "ADD", "input/output scales need a multiplier above one");
  tb_activation_range_int8(op->activation, out->scale, out->zero_point, &op->p.act_min, &op->p.act_max);
  return TB_OK;
}

void tb_add_eval(tb_interpreter *it, const tb_op *op) {
  const tb_tensor *a_t = &it->tensors[op->inputs[0]];
  const tb_tensor *b_t = &it->tensors[op->inputs[1]];
  const tb_tensor *out_t = &it->tensors[op->outputs[0]];
  const int8_t *a = tb_data_i8(it, op->inputs[0]);
  const int8_t *b = tb_data_i8(it, op->inputs[1]);
  int8_t *out = tb_data_i8(it, op->outputs[0]);
  const tb_op_params *p = &op->p;
  for (uint32_t i = 0; i < out_t->elements; ++i) {
    const int32_t va = (a[i] - a_t->zero_point) * (1 << p->left_shift);
    const int32_t vb = (b[i] - b_t->zero_point) * (1 << p->left_shift);
    const int32_t sa = tb_rounding_divide_by_pot(tb_srdhm(va, p->in1_mult), -p->in1_shift);
    const int32_t sb = tb_rounding_divide_by_pot(tb_srdhm(vb, p->in2_mult), -p->in2_shift);
    const int32_t raw = tb_rounding_divide_by_pot(tb_srdhm(sa + sb, p->multiplier), -p->shift) + out_t->zero_point;
    out[i] = (int8_t)tb_clamp_i32(raw, p->act_min, p->act_max);
  }
  it->work.outputs[3] += out_t->elements;
}
