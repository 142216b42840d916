/* Operator glue: option parsing, shape checks, quantization parameters,
 * scratch sizing and work counting at prepare time; tensor lookup and one
 * kernel call at eval time. Field ids of the options follow schema.fbs. */
#include "kernels/tb_kernels.h"
#include "tb_quant.h"

#include <math.h>

/* ---- option parsing ---------------------------------------------------- */

static void parse_conv(tb_fb *fb, tb_fb_table o, tb_op *op) {
  tb_op_params *p = &op->p;
  p->padding = tb_fb_u8(fb, o, 0, 0);
  p->stride_w = (int16_t)tb_fb_i32(fb, o, 1, 0);
  p->stride_h = (int16_t)tb_fb_i32(fb, o, 2, 0);
  op->activation = tb_fb_u8(fb, o, 3, 0);
  p->dilation_w = (int16_t)tb_fb_i32(fb, o, 4, 1);
  p->dilation_h = (int16_t)tb_fb_i32(fb, o, 5, 1);
}

static void parse_depthwise(tb_fb *fb, tb_fb_table o, tb_op *op) {
  tb_op_params *p = &op->p;
  p->padding = tb_fb_u8(fb, o, 0, 0);
  p->stride_w = (int16_t)tb_fb_i32(fb, o, 1, 0);
  p->stride_h = (int16_t)tb_fb_i32(fb, o, 2, 0);
  p->depth_multiplier = (int16_t)tb_fb_i32(fb, o, 3, 0);
  op->activation = tb_fb_u8(fb, o, 4, 0);
  p->dilation_w = (int16_t)tb_fb_i32(fb, o, 5, 1);
  p->dilation_h = (int16_t)tb_fb_i32(fb, o, 6, 1);
}

/* FULLY_CONNECTED and ADD: the fused activation is field 0. */
static void parse_activation(tb_fb *fb, tb_fb_table o, tb_op *op) { op->activation = tb_fb_u8(fb, o, 0, 0); }

static void parse_pool(tb_fb *fb, tb_fb_table o, tb_op *op) {
  tb_op_params *p = &op->p;
  p->padding = tb_fb_u8(fb, o, 0, 0);
  p->stride_w = (int16_t)tb_fb_i32(fb, o, 1, 0);
  p->stride_h = (int16_t)tb_fb_i32(fb, o, 2, 0);
  p->filter_w = (int16_t)tb_fb_i32(fb, o, 3, 0);
  p->filter_h = (int16_t)tb_fb_i32(fb, o, 4, 0);
  op->activation = tb_fb_u8(fb, o, 5, 0);
}

static void parse_softmax(tb_fb *fb, tb_fb_table o, tb_op *op) { op->p.beta = tb_fb_f32(fb, o, 0, 0.0f); }

static void parse_none(tb_fb *fb, tb_fb_table o, tb_op *op) { (void)fb, (void)o, (void)op; }

static const tb_op_kind kinds[] = {
    {TB_OP_CONV_2D, "CONV_2D", 5, TB_WORK_CONV, parse_conv, tb_conv_prepare, tb_conv_eval},
    {TB_OP_DEPTHWISE_CONV_2D, "DEPTHWISE_CONV_2D", 6, TB_WORK_DEPTHWISE, parse_depthwise, tb_depthwise_conv_prepare,
     tb_depthwise_conv_eval},
    {TB_OP_FULLY_CONNECTED, "FULLY_CONNECTED", 9, TB_WORK_FC, parse_activation, tb_fully_connected_prepare, tb_fully_connected_eval},
    {TB_OP_ADD, "ADD", 4, TB_WORK_ADD, parse_activation, tb_add_prepare, tb_add_eval},
    {TB_OP_AVERAGE_POOL_2D, "AVERAGE_POOL_2D", 3, TB_WORK_POOL, parse_pool, tb_average_pool_prepare, tb_average_pool_eval},
    {TB_OP_RESHAPE, "RESHAPE", 1, TB_WORK_RESHAPE, parse_none, tb_reshape_prepare, tb_reshape_eval},
    {TB_OP_SOFTMAX, "SOFTMAX", 3, TB_WORK_SOFTMAX, parse_softmax, tb_softmax_prepare, tb_softmax_eval},
};

const tb_op_kind *tb_find_op(int32_t code) {
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; ++i)
    if (kinds[i].code == code) return &kinds[i];
  return NULL;
}

const tb_op_kind *tb_op_kind_of(const tb_op *op) { return &kinds[op->kind]; }
uint8_t tb_op_kind_index(const tb_op_kind *kind) { return (uint8_t)(kind - kinds); }

/* ---- shared prepare helpers -------------------------------------------- */

static void reserve_scratch(tb_interpreter *it, size_t bytes) {
  if (bytes > it->scratch_bytes) it->scratch_bytes = (uint32_t)bytes;
}

static int conv_out_size(int padding, int in, int filter, int stride, int dilation) {
  const int effective = (filter - 1) * dilation + 1;
  if (stride == 0) return 0;
  return padding == TB_PAD_SAME ? (in + stride - 1) / stride : (in + stride - effective) / stride;
}

static int conv_pad(int stride, int dilation, int in, int filter, int out) {
  const int effective = (filter - 1) * dilation + 1;
  const int pad = ((out - 1) * stride + effective - in) / 2;
  return pad > 0 ? pad : 0;
}

/* SAME/VALID output size and padding as TFLite computes them (the smaller
 * half of the total padding goes first). */
static tb_status conv_geometry(tb_interpreter *it, tb_op *op, const char *name, int in_h, int in_w, int out_h, int out_w) {
  tb_op_params *p = &op->p;
  if (p->stride_w <= 0 || p->stride_h <= 0 || p->dilation_w <= 0 || p->dilation_h <= 0)
    return tb_op_error(it, name, "stride and dilation must be positive");
  const int want_h = conv_out_size(p->padding, in_h, p->filter_h, p->stride_h, p->dilation_h);
  const int want_w = conv_out_size(p->padding, in_w, p->filter_w, p->stride_w, p->dilation_w);
  if (want_h != out_h || want_w != out_w) return tb_op_error(it, name, "output shape does not match padding/stride");
  p->pad_h = (int16_t)conv_pad(p->stride_h, p->dilation_h, in_h, p->filter_h, out_h);
  p->pad_w = (int16_t)conv_pad(p->stride_w, p->dilation_w, in_w, p->filter_w, out_w);
  return TB_OK;
}

/* In-bounds filter taps summed over one output axis (axes are independent). */
static uint32_t taps_on_axis(int out, int in, int filter, int stride, int dilation, int pad) {
  uint32_t n = 0;
  for (int o = 0; o < out; ++o)
    for (int f = 0; f < filter; ++f) {
      const int i = o * stride - pad + f * dilation;
      if (i >= 0 && i < in) ++n;
    }
  return n;
}

/* Output pixels x in-bounds taps of a conv-like op over the whole batch. */
static uint32_t pixel_taps(const tb_op *op, const tb_tensor *in, const tb_tensor *out) {
  const tb_op_params *p = &op->p;
  return (uint32_t)in->dims[0] * taps_on_axis(out->dims[1], in->dims[1], p->filter_h, p->stride_h, p->dilation_h, p->pad_h) *
         taps_on_axis(out->dims[2], in->dims[2], p->filter_w, p->stride_w, p->dilation_w, p->pad_w);
}

/* Per-channel multipliers for conv-like ops: input_scale * filter_scale[c] / output_scale. */
static tb_status channel_multipliers(tb_interpreter *it, tb_op *op, const char *name, int channels) {
  const tb_tensor *in = &it->tensors[op->inputs[0]];
  const tb_tensor *filter = &it->tensors[op->inputs[1]];
  const tb_tensor *out = &it->tensors[op->outputs[0]];
  if (filter->nscales != 1 && filter->nscales != (uint32_t)channels)
    return tb_op_error(it, name, "filter needs one scale or one per output channel");
  /* Per-tensor quantization needs one multiplier, not one per channel. */
  const int entries = filter->nscales == 1 ? 1 : channels;
  if (it->nchannel_params + (uint32_t)entries > TB_MAX_CHANNEL_PARAMS)
    return tb_op_error(it, name, "too many output channels for TB_MAX_CHANNEL_PARAMS");
  op->p.channel_base = (int32_t)it->nchannel_params;
  op->p.channel_stride = entries == 1 ? 0 : 1;
  for (int c = 0; c < entries; ++c) {
    /* FULLY_CONNECTED forms the input x filter scale product in float
     * (GetQuantizedConvolutionMultipler); conv-like ops use doubles throughout
     * (PopulateConvolutionQuantizationParams). Either choice alone flips LSBs. */
    const float filter_scale = tb_tensor_scale(filter, (uint32_t)c);
    const double product =
        op->code == TB_OP_FULLY_CONNECTED ? (double)(in->scale * filter_scale) : (double)in->scale * (double)filter_scale;
    const double effective = product / (double)out->scale;
    int shift;
    tb_quantize_multiplier(effective, &it->channel_mult[it->nchannel_params], &shift);
    it->channel_shift[it->nchannel_params] = shift;
    it->nchannel_params++;
  }
  tb_activation_range_int8(op->activation, out->scale, out->zero_point, &op->p.act_min, &op->p.act_max);
  return TB_OK;
}

static tb_dims dims_of(const tb_tensor *t) {
  tb_dims d = {t->dims[0], t->dims[1], t->dims[2], t->dims[3]};
  return d;
}

static tb_conv_params conv_params(const tb_interpreter *it, const tb_op *op) {
  const tb_op_params *p = &op->p;
  tb_conv_params c = {-it->tensors[op->inputs[0]].zero_point,
                      it->tensors[op->outputs[0]].zero_point,
                      p->act_min,
                      p->act_max,
                      p->stride_w,
                      p->stride_h,
                      p->dilation_w,
                      p->dilation_h,
                      p->pad_w,
                      p->pad_h,
                      p->depth_multiplier};
  return c;
}

static tb_requant requant(const tb_interpreter *it, const tb_op *op) {
  tb_requant q = {&it->channel_mult[op->p.channel_base], &it->channel_shift[op->p.channel_base], op->p.channel_stride};
  return q;
}

/* ---- CONV_2D ----------------------------------------------------------- */

tb_status tb_conv_prepare(tb_interpreter *it, tb_op *op) {
  const tb_tensor *in = &it->tensors[op->inputs[0]];
  const tb_tensor *f = &it->tensors[op->inputs[1]];
  const tb_tensor *out = &it->tensors[op->outputs[0]];
  if (in->ndim != 4 || f->ndim != 4 || out->ndim != 4) return tb_op_error(it, "CONV_2D", "expects 4-D tensors");
  if (f->dims[3] != in->dims[3]) return tb_op_error(it, "CONV_2D", "filter depth differs from input depth");
  if (f->dims[0] != out->dims[3]) return tb_op_error(it, "CONV_2D", "filter count differs from output depth");
  op->p.filter_h = (int16_t)f->dims[1];
  op->p.filter_w = (int16_t)f->dims[2];
  tb_status s = conv_geometry(it, op, "CONV_2D", in->dims[1], in->dims[2], out->dims[1], out->dims[2]);
  if (s != TB_OK) return s;
  s = channel_multipliers(it, op, "CONV_2D", out->dims[3]);
  if (s != TB_OK) return s;
  const tb_conv_params cp = conv_params(it, op);
  const tb_dims di = dims_of(in), df = dims_of(f), dout = dims_of(out);
  reserve_scratch(it, TB_KERNEL(tb_conv_s8_scratch)(&cp, &di, &df, &dout));
  op->p.work_taps = pixel_taps(op, in, out) * (uint32_t)out->dims[3];
  op->p.work_macs = op->p.work_taps * (uint32_t)in->dims[3];
  return TB_OK;
}

void tb_conv_eval(tb_interpreter *it, const tb_op *op) {
  const tb_conv_params cp = conv_params(it, op);
  const tb_requant q = requant(it, op);
  const tb_dims di = dims_of(&it->tensors[op->inputs[0]]), df = dims_of(&it->tensors[op->inputs[1]]),
                dout = dims_of(&it->tensors[op->outputs[0]]);
  TB_KERNEL(tb_conv_s8)
  (&cp, &q, &di, tb_data_i8(it, op->inputs[0]), &df, tb_data_i8(it, op->inputs[1]), op->ninputs > 2 ? tb_data_i32(it, op->inputs[2]) : NULL,
   &dout, tb_data_i8(it, op->outputs[0]), tb_scratch(it));
}

/* ---- DEPTHWISE_CONV_2D ------------------------------------------------- */

tb_status tb_depthwise_conv_prepare(tb_interpreter *it, tb_op *op) {
  const tb_tensor *in = &it->tensors[op->inputs[0]];
  const tb_tensor *f = &it->tensors[op->inputs[1]];
  const tb_tensor *out = &it->tensors[op->outputs[0]];
  if (in->ndim != 4 || f->ndim != 4 || out->ndim != 4) return tb_op_error(it, "DEPTHWISE_CONV_2D", "expects 4-D tensors");
  if (op->p.depth_multiplier <= 0 || out->dims[3] != in->dims[3] * op->p.depth_multiplier || f->dims[3] != out->dims[3])
    return tb_op_error(it, "DEPTHWISE_CONV_2D", "channel counts do not match the depth multiplier");
  op->p.filter_h = (int16_t)f->dims[1];
  op->p.filter_w = (int16_t)f->dims[2];
  tb_status s = conv_geometry(it, op, "DEPTHWISE_CONV_2D", in->dims[1], in->dims[2], out->dims[1], out->dims[2]);
  if (s != TB_OK) return s;
  s = channel_multipliers(it, op, "DEPTHWISE_CONV_2D", out->dims[3]);
  if (s != TB_OK) return s;
  const tb_conv_params cp = conv_params(it, op);
  const tb_dims di = dims_of(in), df = dims_of(f), dout = dims_of(out);
  reserve_scratch(it, TB_KERNEL(tb_depthwise_conv_s8_scratch)(&cp, &di, &df, &dout));
  op->p.work_macs = pixel_taps(op, in, out) * (uint32_t)out->dims[3];
  op->p.work_taps = pixel_taps(op, in, out);
  return TB_OK;
}

void tb_depthwise_conv_eval(tb_interpreter *it, const tb_op *op) {
  const tb_conv_params cp = conv_params(it, op);
  const tb_requant q = requant(it, op);
  const tb_dims di = dims_of(&it->tensors[op->inputs[0]]), df = dims_of(&it->tensors[op->inputs[1]]),
                dout = dims_of(&it->tensors[op->outputs[0]]);
  TB_KERNEL(tb_depthwise_conv_s8)
  (&cp, &q, &di, tb_data_i8(it, op->inputs[0]), &df, tb_data_i8(it, op->inputs[1]), op->ninputs > 2 ? tb_data_i32(it, op->inputs[2]) : NULL,
   &dout, tb_data_i8(it, op->outputs[0]), tb_scratch(it));
}

/* ---- FULLY_CONNECTED: filter [units, depth] ---------------------------- */

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
  tb_status s = channel_multipliers(it, op, "FULLY_CONNECTED", units);
  if (s != TB_OK) return s;
  reserve_scratch(it, TB_KERNEL(tb_fully_connected_s8_scratch)(depth));
  op->p.work_taps = out->elements;
  op->p.work_macs = out->elements * (uint32_t)depth;
  return TB_OK;
}

void tb_fully_connected_eval(tb_interpreter *it, const tb_op *op) {
  const tb_tensor *in = &it->tensors[op->inputs[0]];
  const tb_tensor *f = &it->tensors[op->inputs[1]];
  const tb_fc_params fp = {-in->zero_point, it->tensors[op->outputs[0]].zero_point, op->p.act_min, op->p.act_max};
  const tb_requant q = requant(it, op);
  const int32_t depth = f->dims[1];
  TB_KERNEL(tb_fully_connected_s8)
  (&fp, &q, (int32_t)(in->elements / (uint32_t)depth), depth, f->dims[0], tb_data_i8(it, op->inputs[0]), tb_data_i8(it, op->inputs[1]),
   op->ninputs > 2 ? tb_data_i32(it, op->inputs[2]) : NULL, tb_data_i8(it, op->outputs[0]), tb_scratch(it));
}

/* ---- ADD, same shapes (no broadcast: the reference models never need it) */

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
  const tb_op_params *p = &op->p;
  const tb_tensor *out = &it->tensors[op->outputs[0]];
  const tb_add_params ap = {-it->tensors[op->inputs[0]].zero_point,
                            -it->tensors[op->inputs[1]].zero_point,
                            out->zero_point,
                            p->left_shift,
                            p->in1_mult,
                            p->in1_shift,
                            p->in2_mult,
                            p->in2_shift,
                            p->multiplier,
                            p->shift,
                            p->act_min,
                            p->act_max};
  TB_KERNEL(tb_add_s8)(&ap, out->elements, tb_data_i8(it, op->inputs[0]), tb_data_i8(it, op->inputs[1]), tb_data_i8(it, op->outputs[0]));
}

/* ---- AVERAGE_POOL_2D --------------------------------------------------- */

tb_status tb_average_pool_prepare(tb_interpreter *it, tb_op *op) {
  const tb_tensor *in = &it->tensors[op->inputs[0]];
  const tb_tensor *out = &it->tensors[op->outputs[0]];
  if (in->ndim != 4 || out->ndim != 4 || in->dims[3] != out->dims[3])
    return tb_op_error(it, "AVERAGE_POOL_2D", "expects 4-D tensors with equal depth");
  if (in->scale != out->scale || in->zero_point != out->zero_point)
    return tb_op_error(it, "AVERAGE_POOL_2D", "input and output quantization must match");
  op->p.dilation_h = op->p.dilation_w = 1;
  tb_status s = conv_geometry(it, op, "AVERAGE_POOL_2D", in->dims[1], in->dims[2], out->dims[1], out->dims[2]);
  if (s != TB_OK) return s;
  tb_activation_range_int8(op->activation, out->scale, out->zero_point, &op->p.act_min, &op->p.act_max);
  op->p.work_macs = pixel_taps(op, in, out) * (uint32_t)in->dims[3];
  return TB_OK;
}

void tb_average_pool_eval(tb_interpreter *it, const tb_op *op) {
  const tb_op_params *p = &op->p;
  const tb_pool_params pp = {p->stride_w, p->stride_h, p->pad_w, p->pad_h, p->filter_w, p->filter_h, p->act_min, p->act_max};
  const tb_dims di = dims_of(&it->tensors[op->inputs[0]]), dout = dims_of(&it->tensors[op->outputs[0]]);
  TB_KERNEL(tb_average_pool_s8)(&pp, &di, tb_data_i8(it, op->inputs[0]), &dout, tb_data_i8(it, op->outputs[0]));
}

/* ---- RESHAPE: the planner gives input and output their own buffers ----- */

tb_status tb_reshape_prepare(tb_interpreter *it, tb_op *op) {
  const tb_tensor *in = &it->tensors[op->inputs[0]];
  const tb_tensor *out = &it->tensors[op->outputs[0]];
  if (in->bytes != out->bytes) return tb_op_error(it, "RESHAPE", "input and output sizes differ");
  return TB_OK;
}

void tb_reshape_eval(tb_interpreter *it, const tb_op *op) {
  int8_t *out = tb_data_i8(it, op->outputs[0]);
  const int8_t *in = tb_data_i8(it, op->inputs[0]);
  if (out != in) memmove(out, in, it->tensors[op->outputs[0]].bytes);
}

/* ---- SOFTMAX, int8 output with scale 1/256 and zero point -128 ---------- */

enum { SOFTMAX_SCALED_DIFF_INTEGER_BITS = 5 }; /* as in tb_softmax.c */

tb_status tb_softmax_prepare(tb_interpreter *it, tb_op *op) {
  const tb_tensor *in = &it->tensors[op->inputs[0]];
  const tb_tensor *out = &it->tensors[op->outputs[0]];
  if (in->elements != out->elements) return tb_op_error(it, "SOFTMAX", "input and output sizes differ");
  if (out->zero_point != -128 || out->scale != 1.0f / 256.0f)
    return tb_op_error(it, "SOFTMAX", "int8 output must have scale 1/256 and zero point -128");
  double real = (double)op->p.beta * (double)in->scale * (double)(1 << (31 - SOFTMAX_SCALED_DIFF_INTEGER_BITS));
  if (real > 2147483647.0) real = 2147483647.0;
  tb_quantize_multiplier(real, &op->p.multiplier, &op->p.shift);
  if (op->p.shift < 0) return tb_op_error(it, "SOFTMAX", "beta * input scale is too small");
  const double max_input_rescaled = 1.0 * ((1 << SOFTMAX_SCALED_DIFF_INTEGER_BITS) - 1) *
                                    (double)(1LL << (31 - SOFTMAX_SCALED_DIFF_INTEGER_BITS)) / (double)(1LL << op->p.shift);
  op->p.diff_min = -(int32_t)floor(max_input_rescaled);
  return TB_OK;
}

void tb_softmax_eval(tb_interpreter *it, const tb_op *op) {
  const tb_tensor *in = &it->tensors[op->inputs[0]];
  const int32_t depth = in->dims[in->ndim - 1];
  const tb_softmax_params sp = {op->p.multiplier, op->p.shift, op->p.diff_min};
  tb_softmax_s8(&sp, (int32_t)(in->elements / (uint32_t)depth), depth, tb_data_i8(it, op->inputs[0]), tb_data_i8(it, op->outputs[0]));
}
