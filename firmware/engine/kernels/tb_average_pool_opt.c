/* AVERAGE_POOL_2D, optimized: the global pool that ends kws01, vww01 and
 * ic01 (one window over the whole input, no padding) sums four channels per
 * word in int16 lanes with SXTAB16, exact while a window has at most 255
 * taps (|sum| <= 128 * 255 < 2^15). Every other geometry is the reference
 * kernel's. Rounding and clamping are tb_average_pool.c's. */
#include "tb_kernel_api.h"
#include "tb_simd.h"
#include "../tb_quant.h"

enum { POOL_LANE_TAPS = 255 };

static int8_t pool_average(int32_t sum, int32_t count, int32_t lo, int32_t hi) {
  const int32_t avg = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
  return (int8_t)tb_clamp_i32(avg, lo, hi);
}

static int global_pool(const tb_pool_params *p, const tb_dims *in, const tb_dims *out) {
  return out->h == 1 && out->w == 1 && p->pad_w == 0 && p->pad_h == 0 && p->filter_h == in->h && p->filter_w == in->w &&
         in->h * in->w <= POOL_LANE_TAPS;
}

void tb_average_pool_s8_opt(const tb_pool_params *p, const tb_dims *in, const int8_t *input, const tb_dims *out, int8_t *output) {
  if (!global_pool(p, in, out)) {
    tb_average_pool_s8_ref(p, in, input, out, output);
    return;
  }
  const int32_t C = in->c, taps = in->h * in->w;
  for (int b = 0; b < in->n; ++b, input += (size_t)taps * C, output += C) {
    int32_t c = 0;
    /* Eight channels per pass: lanes {0,2} and {1,3} of two words. */
    for (; c + 8 <= C; c += 8) {
      uint32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      const int8_t *x = input + c;
      for (int32_t t = 0; t < taps; ++t, x += C) {
        const uint32_t w0 = tb_load32(x), w1 = tb_load32(x + 4);
        s0 = tb_sxtab16(s0, w0), s1 = tb_sxtab16_ror8(s1, w0);
        s2 = tb_sxtab16(s2, w1), s3 = tb_sxtab16_ror8(s3, w1);
      }
      const uint32_t lanes[4] = {s0, s1, s2, s3};
      for (int j = 0; j < 4; ++j) {
        const int32_t base = c + 4 * (j >> 1) + (j & 1);
        output[base] = pool_average(tb_lane0(lanes[j]), taps, p->act_min, p->act_max);
        output[base + 2] = pool_average(tb_lane1(lanes[j]), taps, p->act_min, p->act_max);
      }
    }
    for (; c < C; ++c) {
      int32_t sum = 0;
      for (int32_t t = 0; t < taps; ++t) sum += input[(size_t)t * C + c];
      output[c] = pool_average(sum, taps, p->act_min, p->act_max);
    }
  }
}
