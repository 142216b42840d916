/* Reference kernels: TFLite Micro's reference integer loops, one MAC at a
 * time with the input offset applied per MAC. They are the spec the
 * optimized kernels are tested against. */
#include "tb_kernel_api.h"
#include "../tb_quant.h"

size_t tb_conv_s8_scratch_ref(const tb_conv_params *p, const tb_dims *in, const tb_dims *filter, const tb_dims *out) {
  (void)p, (void)in, (void)filter, (void)out;
  return 0;
}

void tb_conv_s8_ref(const tb_conv_params *p, const tb_requant *q, const tb_dims *in, const int8_t *input, const tb_dims *filter,
                    const int8_t *weights, const int32_t *bias, const tb_dims *out, int8_t *output, void *scratch) {
  (void)scratch;
  const int in_h = in->h, in_w = in->w, in_c = in->c, fh = filter->h, fw = filter->w;
  for (int b = 0; b < in->n; ++b) {
    for (int oy = 0; oy < out->h; ++oy) {
      const int y0 = oy * p->stride_h - p->pad_h;
      for (int ox = 0; ox < out->w; ++ox) {
        const int x0 = ox * p->stride_w - p->pad_w;
        for (int oc = 0; oc < out->c; ++oc) {
          int32_t acc = 0;
          const int8_t *fbase = weights + (size_t)oc * fh * fw * in_c;
          for (int fy = 0; fy < fh; ++fy) {
            const int y = y0 + p->dilation_h * fy;
            if (y < 0 || y >= in_h) continue;
            for (int fx = 0; fx < fw; ++fx) {
              const int x = x0 + p->dilation_w * fx;
              if (x < 0 || x >= in_w) continue;
              const int8_t *ip = input + (((size_t)b * in_h + y) * in_w + x) * in_c;
              const int8_t *fp = fbase + ((size_t)fy * fw + fx) * in_c;
              for (int ic = 0; ic < in_c; ++ic) acc += (int32_t)fp[ic] * ((int32_t)ip[ic] + p->input_offset);
            }
          }
          if (bias) acc += bias[oc];
          acc = tb_multiply_by_quantized_multiplier(acc, q->multiplier[oc * q->stride], q->shift[oc * q->stride]) + p->output_offset;
          output[(((size_t)b * out->h + oy) * out->w + ox) * out->c + oc] = (int8_t)tb_clamp_i32(acc, p->act_min, p->act_max);
        }
      }
    }
  }
}

size_t tb_depthwise_conv_s8_scratch_ref(const tb_conv_params *p, const tb_dims *in, const tb_dims *filter, const tb_dims *out) {
  (void)p, (void)in, (void)filter;
  return (size_t)out->c * sizeof(int32_t);
}

/* Per output pixel: walk each in-bounds filter tap once and accumulate every
 * channel in a contiguous inner loop (channels are innermost in both the
 * input and the filter). Integer sums do not depend on the order, so this
 * equals TFLite's per-channel loop bit for bit. */
void tb_depthwise_conv_s8_ref(const tb_conv_params *p, const tb_requant *q, const tb_dims *in, const int8_t *input, const tb_dims *filter,
                              const int8_t *weights, const int32_t *bias, const tb_dims *out, int8_t *output, void *scratch) {
  const int in_h = in->h, in_w = in->w, in_c = in->c, out_c = out->c, dm = p->depth_multiplier;
  int32_t *acc = (int32_t *)scratch;
  for (int b = 0; b < in->n; ++b) {
    for (int oy = 0; oy < out->h; ++oy) {
      const int y0 = oy * p->stride_h - p->pad_h;
      for (int ox = 0; ox < out->w; ++ox) {
        const int x0 = ox * p->stride_w - p->pad_w;
        for (int oc = 0; oc < out_c; ++oc) acc[oc] = bias ? bias[oc] : 0;
        for (int fy = 0; fy < filter->h; ++fy) {
          const int y = y0 + p->dilation_h * fy;
          if (y < 0 || y >= in_h) continue;
          for (int fx = 0; fx < filter->w; ++fx) {
            const int x = x0 + p->dilation_w * fx;
            if (x < 0 || x >= in_w) continue;
            const int8_t *ip = input + (((size_t)b * in_h + y) * in_w + x) * in_c;
            const int8_t *fp = weights + ((size_t)fy * filter->w + fx) * out_c;
            for (int ic = 0; ic < in_c; ++ic) {
              const int32_t v = (int32_t)ip[ic] + p->input_offset;
              for (int m = 0; m < dm; ++m) acc[ic * dm + m] += (int32_t)fp[ic * dm + m] * v;
            }
          }
        }
        int8_t *op_out = output + (((size_t)b * out->h + oy) * out->w + ox) * out_c;
        for (int oc = 0; oc < out_c; ++oc) {
          const int32_t v =
              tb_multiply_by_quantized_multiplier(acc[oc], q->multiplier[oc * q->stride], q->shift[oc * q->stride]) + p->output_offset;
          op_out[oc] = (int8_t)tb_clamp_i32(v, p->act_min, p->act_max);
        }
      }
    }
  }
}

size_t tb_fully_connected_s8_scratch_ref(int32_t depth) {
  (void)depth;
  return 0;
}

void tb_fully_connected_s8_ref(const tb_fc_params *p, const tb_requant *q, int32_t batches, int32_t depth, int32_t units,
                               const int8_t *input, const int8_t *weights, const int32_t *bias, int8_t *output, void *scratch) {
  (void)scratch;
  for (int b = 0; b < batches; ++b) {
    const int8_t *x = input + (size_t)b * depth;
    for (int u = 0; u < units; ++u) {
      const int8_t *w = weights + (size_t)u * depth;
      int32_t acc = 0;
      for (int d = 0; d < depth; ++d) acc += (int32_t)w[d] * ((int32_t)x[d] + p->input_offset);
      if (bias) acc += bias[u];
      acc = tb_multiply_by_quantized_multiplier(acc, q->multiplier[u * q->stride], q->shift[u * q->stride]) + p->output_offset;
      output[(size_t)b * units + u] = (int8_t)tb_clamp_i32(acc, p->act_min, p->act_max);
    }
  }
}

void tb_add_s8_ref(const tb_add_params *p, uint32_t n, const int8_t *a, const int8_t *b, int8_t *out) {
  for (uint32_t i = 0; i < n; ++i) {
    const int32_t va = (a[i] + p->input1_offset) * (1 << p->left_shift);
    const int32_t vb = (b[i] + p->input2_offset) * (1 << p->left_shift);
    const int32_t sa = tb_rounding_divide_by_pot(tb_srdhm(va, p->input1_multiplier), -p->input1_shift);
    const int32_t sb = tb_rounding_divide_by_pot(tb_srdhm(vb, p->input2_multiplier), -p->input2_shift);
    const int32_t raw = tb_rounding_divide_by_pot(tb_srdhm(sa + sb, p->output_multiplier), -p->output_shift) + p->output_offset;
    out[i] = (int8_t)tb_clamp_i32(raw, p->act_min, p->act_max);
  }
}
