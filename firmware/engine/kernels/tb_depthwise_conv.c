/* DEPTHWISE_CONV_2D, int8, filters [1, fh, fw, in_c * depth_multiplier]. */
#include "tb_kernels.h"
#include "../tb_quant.h"

tb_status tb_depthwise_conv_prepare(tb_interpreter *it, tb_op *op) {
  const tb_tensor *in = &it->tensors[op->inputs[0]];
  const tb_tensor *f = &it->tensors[op->inputs[1]];
  const tb_tensor *out = &it->tensors[op->outputs[0]];
  if (in->ndim != 4 || f->ndim != 4 || out->ndim != 4)
    return tb_op_error(it, "DEPTHWISE_CONV_2D", "expects 4-D tensors");
  if (op->p.depth_multiplier <= 0 || out->dims[3] != in->dims[3] * op->p.depth_multiplier || f->dims[3] != out->dims[3])
    return tb_op_error(it, "DEPTHWISE_CONV_2D", "channel counts do not match the depth multiplier");
  if (out->dims[3] > TB_MAX_SCRATCH) return tb_op_error(it, "DEPTHWISE_CONV_2D", "more output channels than TB_MAX_SCRATCH");
  op->p.filter_h = (int16_t)f->dims[1];
  op->p.filter_w = (int16_t)f->dims[2];
  tb_status s = tb_conv_geometry(it, op, "DEPTHWISE_CONV_2D", in->dims[1], in->dims[2], out->dims[1], out->dims[2]);
  if (s != TB_OK) return s;
  return tb_channel_multipliers(it, op, "DEPTHWISE_CONV_2D", out->dims[3]);
}

/* Per output pixel: walk each in-bounds filter tap once and accumulate every
 * channel in a contiguous inner loop (channels are innermost in both the
 * input and the filter). Integer sums do not depend on the order, so this
 * equals TFLite's per-channel loop bit for bit. */
void tb_depthwise_conv_eval(tb_interpreter *it, const tb_op *op) {
  const tb_tensor *in_t = &it->tensors[op->inputs[0]];
  const tb_tensor *out_t = &it->tensors[op->outputs[0]];
  const int8_t *in = tb_data_i8(it, op->inputs[0]);
  const int8_t *filter = tb_data_i8(it, op->inputs[1]);
  const int32_t *bias = op->ninputs > 2 ? tb_data_i32(it, op->inputs[2]) : NULL;
  int8_t *out = tb_data_i8(it, op->outputs[0]);
  const tb_op_params *p = &op->p;
  const int batches = in_t->dims[0], in_h = in_t->dims[1], in_w = in_t->dims[2], in_c = in_t->dims[3];
  const int out_h = out_t->dims[1], out_w = out_t->dims[2], out_c = out_t->dims[3];
  const int dm = p->depth_multiplier;
  const int32_t in_offset = -in_t->zero_point, out_offset = out_t->zero_point;
  const int32_t *mult = &it->channel_mult[p->channel_base];
  const int32_t *shift = &it->channel_shift[p->channel_base];
  const int32_t cs = p->channel_stride;
  int32_t *acc = it->scratch;
  uint32_t macs = 0;
  for (int b = 0; b < batches; ++b) {
    for (int oy = 0; oy < out_h; ++oy) {
      const int y0 = oy * p->stride_h - p->pad_h;
      for (int ox = 0; ox < out_w; ++ox) {
        const int x0 = ox * p->stride_w - p->pad_w;
        for (int oc = 0; oc < out_c; ++oc) acc[oc] = bias ? bias[oc] : 0;
        for (int fy = 0; fy < p->filter_h; ++fy) {
          const int y = y0 + p->dilation_h * fy;
          if (y < 0 || y >= in_h) continue;
          for (int fx = 0; fx < p->filter_w; ++fx) {
            const int x = x0 + p->dilation_w * fx;
            if (x < 0 || x >= in_w) continue;
            const int8_t *ip = in + (((size_t)b * in_h + y) * in_w + x) * in_c;
            const int8_t *fp = filter + ((size_t)fy * p->filter_w + fx) * out_c;
            if (dm == 1) {
              for (int c = 0; c < out_c; ++c) acc[c] += (int32_t)fp[c] * ((int32_t)ip[c] + in_offset);
            } else {
              for (int ic = 0; ic < in_c; ++ic) {
                const int32_t v = (int32_t)ip[ic] + in_offset;
                for (int m = 0; m < dm; ++m) acc[ic * dm + m] += (int32_t)fp[ic * dm + m] * v;
              }
            }
            macs += (uint32_t)out_c;
          }
        }
        int8_t *op_out = out + (((size_t)b * out_h + oy) * out_w + ox) * out_c;
        for (int oc = 0; oc < out_c; ++oc) {
          const int32_t v = tb_multiply_by_quantized_multiplier(acc[oc], mult[oc * cs], shift[oc * cs]) + out_offset;
          op_out[oc] = (int8_t)tb_clamp_i32(v, p->act_min, p->act_max);
        }
      }
    }
  }
  it->work.macs[1] += macs;
  it->work.taps[1] += macs / (uint32_t)out_c;
  it->work.outputs[1] += out_t->elements;
}
