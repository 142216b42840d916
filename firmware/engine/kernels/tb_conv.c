/* CONV_2D, int8 activations, int8 per-channel filters [out_c, fh, fw, in_c],
 * int32 bias; TFLite reference integer arithmetic. */
#include "tb_kernels.h"
#include "../tb_quant.h"

tb_status tb_conv_prepare(tb_interpreter *it, tb_op *op) {
  const tb_tensor *in = &it->tensors[op->inputs[0]];
  const tb_tensor *f = &it->tensors[op->inputs[1]];
  const tb_tensor *out = &it->tensors[op->outputs[0]];
  if (in->ndim != 4 || f->ndim != 4 || out->ndim != 4) return tb_op_error(it, "CONV_2D", "expects 4-D tensors");
  if (f->dims[3] != in->dims[3]) return tb_op_error(it, "CONV_2D", "filter depth differs from input depth");
  if (f->dims[0] != out->dims[3]) return tb_op_error(it, "CONV_2D", "filter count differs from output depth");
  op->p.filter_h = (int16_t)f->dims[1];
  op->p.filter_w = (int16_t)f->dims[2];
  tb_status s = tb_conv_geometry(it, op, "CONV_2D", in->dims[1], in->dims[2], out->dims[1], out->dims[2]);
  if (s != TB_OK) return s;
  return tb_channel_multipliers(it, op, "CONV_2D", out->dims[3]);
}

void tb_conv_eval(tb_interpreter *it, const tb_op *op) {
  const tb_tensor *in_t = &it->tensors[op->inputs[0]];
  const tb_tensor *out_t = &it->tensors[op->outputs[0]];
  const int8_t *in = tb_data_i8(it, op->inputs[0]);
  const int8_t *filter = tb_data_i8(it, op->inputs[1]);
  const int32_t *bias = op->ninputs > 2 ? tb_data_i32(it, op->inputs[2]) : NULL;
  int8_t *out = tb_data_i8(it, op->outputs[0]);
  const tb_op_params *p = &op->p;
  const int batches = in_t->dims[0], in_h = in_t->dims[1], in_w = in_t->dims[2], in_c = in_t->dims[3];
  const int out_h = out_t->dims[1], out_w = out_t->dims[2], out_c = out_t->dims[3];
  const int32_t in_offset = -in_t->zero_point, out_offset = out_t->zero_point;
  const int32_t *mult = &it->channel_mult[p->channel_base];
  const int32_t *shift = &it->channel_shift[p->channel_base];
  const int32_t cs = p->channel_stride;
  uint32_t macs = 0;
  for (int b = 0; b < batches; ++b) {
    for (int oy = 0; oy < out_h; ++oy) {
      const int y0 = oy * p->stride_h - p->pad_h;
      for (int ox = 0; ox < out_w; ++ox) {
        const int x0 = ox * p->stride_w - p->pad_w;
        for (int oc = 0; oc < out_c; ++oc) {
          int32_t acc = 0;
          const int8_t *fbase = filter + (size_t)oc * p->filter_h * p->filter_w * in_c;
          for (int fy = 0; fy < p->filter_h; ++fy) {
            const int y = y0 + p->dilation_h * fy;
            if (y < 0 || y >= in_h) continue;
            for (int fx = 0; fx < p->filter_w; ++fx) {
              const int x = x0 + p->dilation_w * fx;
              if (x < 0 || x >= in_w) continue;
              const int8_t *ip = in + (((size_t)b * in_h + y) * in_w + x) * in_c;
              const int8_t *fp = fbase + ((size_t)fy * p->filter_w + fx) * in_c;
              for (int ic = 0; ic < in_c; ++ic) acc += (int32_t)fp[ic] * ((int32_t)ip[ic] + in_offset);
              macs += (uint32_t)in_c;
            }
          }
          if (bias) acc += bias[oc];
          acc = tb_multiply_by_quantized_multiplier(acc, mult[oc * cs], shift[oc * cs]) + out_offset;
          out[(((size_t)b * out_h + oy) * out_w + ox) * out_c + oc] = (int8_t)tb_clamp_i32(acc, p->act_min, p->act_max);
        }
      }
    }
  }
  it->work.macs[0] += macs;
  it->work.taps[0] += macs / (uint32_t)in_c;
  it->work.outputs[0] += out_t->elements;
}
