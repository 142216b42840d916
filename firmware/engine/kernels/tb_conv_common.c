#include "tb_kernels.h"
#include "../tb_quant.h"

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

tb_status tb_conv_geometry(tb_interpreter *it, tb_op *op, const char *name, int in_h, int in_w,
                           int out_h, int out_w) {
  tb_op_params *p = &op->p;
  if (p->stride_w <= 0 || p->stride_h <= 0 || p->dilation_w <= 0 || p->dilation_h <= 0)
    return tb_op_error(it, name, "stride and dilation must be positive");
  const int want_h = conv_out_size(p->padding, in_h, p->filter_h, p->stride_h, p->dilation_h);
  const int want_w = conv_out_size(p->padding, in_w, p->filter_w, p->stride_w, p->dilation_w);
  if (want_h != out_h || want_w != out_w)
    return tb_op_error(it, name, "output shape does not match padding/stride");
  p->pad_h = (int16_t)conv_pad(p->stride_h, p->dilation_h, in_h, p->filter_h, out_h);
  p->pad_w = (int16_t)conv_pad(p->stride_w, p->dilation_w, in_w, p->filter_w, out_w);
  return TB_OK;
}

tb_status tb_channel_multipliers(tb_interpreter *it, tb_op *op, const char *name, int channels) {
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
    const double product = op->code == TB_OP_FULLY_CONNECTED ? (double)(in->scale * filter_scale)
                                                             : (double)in->scale * (double)filter_scale;
    const double effective = product / (double)out->scale;
    int shift;
    tb_quantize_multiplier(effective, &it->channel_mult[it->nchannel_params], &shift);
    it->channel_shift[it->nchannel_params] = shift;
    it->nchannel_params++;
  }
  tb_activation_range_int8(op->activation, out->scale, out->zero_point, &op->p.act_min, &op->p.act_max);
  return TB_OK;
}
