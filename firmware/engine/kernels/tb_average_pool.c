/* AVERAGE_POOL_2D, int8: sum of in-bounds taps divided by their count,
 * rounded half away from zero, then clamped. */
#include "tb_kernel_api.h"
#include "../tb_quant.h"

void tb_average_pool_s8_ref(const tb_pool_params *p, const tb_dims *in, const int8_t *input, const tb_dims *out, int8_t *output) {
  const int in_h = in->h, in_w = in->w, depth = in->c;
  for (int b = 0; b < in->n; ++b) {
    for (int oy = 0; oy < out->h; ++oy) {
      const int y0 = oy * p->stride_h - p->pad_h;
      const int fy0 = y0 < 0 ? -y0 : 0;
      const int fy1 = p->filter_h < in_h - y0 ? p->filter_h : in_h - y0;
      for (int ox = 0; ox < out->w; ++ox) {
        const int x0 = ox * p->stride_w - p->pad_w;
        const int fx0 = x0 < 0 ? -x0 : 0;
        const int fx1 = p->filter_w < in_w - x0 ? p->filter_w : in_w - x0;
        for (int c = 0; c < depth; ++c) {
          int32_t acc = 0, count = 0;
          for (int fy = fy0; fy < fy1; ++fy)
            for (int fx = fx0; fx < fx1; ++fx) {
              acc += input[(((size_t)b * in_h + y0 + fy) * in_w + x0 + fx) * depth + c];
              ++count;
            }
          if (count == 0) count = 1; /* unreachable with valid geometry */
          acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
          output[(((size_t)b * out->h + oy) * out->w + ox) * depth + c] = (int8_t)tb_clamp_i32(acc, p->act_min, p->act_max);
        }
      }
    }
  }
}
