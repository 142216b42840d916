/* AVERAGE_POOL_2D, int8: sum of in-bounds taps divided by their count,
 * rounded half away from zero, then clamped. */
#include "tb_kernels.h"
#include "../tb_quant.h"

tb_status tb_average_pool_prepare(tb_interpreter *it, tb_op *op) {
  const tb_tensor *in = &it->tensors[op->inputs[0]];
  const tb_tensor *out = &it->tensors[op->outputs[0]];
  if (in->ndim != 4 || out->ndim != 4 || in->dims[3] != out->dims[3])
    return tb_op_error(it, "AVERAGE_POOL_2D", "expects 4-D tensors with equal depth");
  if (in->scale != out->scale || in->zero_point != out->zero_point)
    return tb_op_error(it, "AVERAGE_POOL_2D", "input and output quantization must match");
  op->p.dilation_h = op->p.dilation_w = 1;
  tb_status s = tb_conv_geometry(it, op, "AVERAGE_POOL_2D", in->dims[1], in->dims[2], out->dims[1], out->dims[2]);
  if (s != TB_OK) return s;
  tb_activation_range_int8(op->activation, out->scale, out->zero_point, &op->p.act_min, &op->p.act_max);
  return TB_OK;
}

void tb_average_pool_eval(tb_interpreter *it, const tb_op *op) {
  const tb_tensor *in_t = &it->tensors[op->inputs[0]];
  const tb_tensor *out_t = &it->tensors[op->outputs[0]];
  const int8_t *in = tb_data_i8(it, op->inputs[0]);
  int8_t *out = tb_data_i8(it, op->outputs[0]);
  const tb_op_params *p = &op->p;
  const int batches = in_t->dims[0], in_h = in_t->dims[1], in_w = in_t->dims[2], depth = in_t->dims[3];
  const int out_h = out_t->dims[1], out_w = out_t->dims[2];
  uint32_t taps_total = 0;
  for (int b = 0; b < batches; ++b) {
    for (int oy = 0; oy < out_h; ++oy) {
      const int y0 = oy * p->stride_h - p->pad_h;
      const int fy0 = y0 < 0 ? -y0 : 0;
      const int fy1 = p->filter_h < in_h - y0 ? p->filter_h : in_h - y0;
      for (int ox = 0; ox < out_w; ++ox) {
        const int x0 = ox * p->stride_w - p->pad_w;
        const int fx0 = x0 < 0 ? -x0 : 0;
        const int fx1 = p->filter_w < in_w - x0 ? p->filter_w : in_w - x0;
        for (int c = 0; c < depth; ++c) {
          int32_t acc = 0, count = 0;
          for (int fy = fy0; fy < fy1; ++fy)
            for (int fx = fx0; fx < fx1; ++fx) {
              acc += in[(((size_t)b * in_h + y0 + fy) * in_w + x0 + fx) * depth + c];
              ++count;
            }
          taps_total += (uint32_t)count;
          if (count == 0) count = 1; /* unreachable with valid geometry */
          acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
          out[(((size_t)b * out_h + oy) * out_w + ox) * depth + c] = (int8_t)tb_clamp_i32(acc, p->act_min, p->act_max);
        }
      }
    }
  }
  it->work.macs[4] += taps_total;
  it->work.outputs[4] += out_t->elements;
}
