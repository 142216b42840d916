/* Optimized kernels, bit-exact with tb_ref.c (tested against it in
 * firmware/tests/test_opt_kernels.c and against TFLM's golden outputs).
 *
 * Techniques (as in CMSIS-NN, written here from the idea, not the code):
 * - convolution as im2col: each output pixel's receptive field is copied once
 *   to int16 with the input offset already added (padding becomes 0), so the
 *   inner loop is pure multiply-accumulate; two pixels x two output channels
 *   per pass reuse every loaded weight and activation twice;
 * - the widened activations are stored in the order SXTB16 produces weights:
 *   bytes {0,2} then {1,3} of each group of four, so a weight word needs two
 *   SXTB16 and no repacking before its two SMLADs;
 * - depthwise keeps four channels' accumulators in registers over the taps,
 *   with the tap ranges clipped once per pixel instead of tested per tap;
 * - fully connected widens the input once per batch and runs four rows at a
 *   time over it;
 * - requantization once per output, with the same double rounding as TFLM
 *   (tb_quant.h) but without its 64-bit division. */
#include "tb_kernel_api.h"
#include "tb_simd.h"
#include "../tb_quant.h"

/* tb_multiply_by_quantized_multiplier for multipliers from
 * tb_quantize_multiplier (0 <= m < 2^31, so the INT32_MIN * INT32_MIN case
 * cannot occur). (ab + 2^30) >> 31 with an arithmetic shift equals gemmlowp's
 * nudge-then-truncate for both signs. */
static inline int32_t requantize(int32_t acc, int32_t multiplier, int32_t shift) {
  const int32_t left = shift > 0 ? shift : 0;
  const int32_t right = left - shift;
  const int64_t ab = (int64_t)(int32_t)((uint32_t)acc << left) * multiplier + (1LL << 30);
  const int32_t x = (int32_t)(ab >> 31);
  /* tb_rounding_divide_by_pot without branches: ties away from zero. */
  const int32_t mask = (int32_t)((1u << right) - 1u);
  const int32_t threshold = (mask >> 1) - (x >> 31);
  return (x >> right) + ((x & mask) > threshold);
}

static inline int8_t requantize_s8(int32_t acc, int32_t multiplier, int32_t shift, int32_t out_offset, int32_t lo, int32_t hi) {
  return (int8_t)tb_clamp_i32(requantize(acc, multiplier, shift) + out_offset, lo, hi);
}

/* requantize() split into what depends on the channel only (computed once
 * for the outputs sharing it) and what depends on the accumulator. */
typedef struct {
  int32_t multiplier, left, right, mask, half;
} channel_requant;

static inline channel_requant channel_of(int32_t multiplier, int32_t shift) {
  channel_requant c;
  c.multiplier = multiplier;
  c.left = shift > 0 ? shift : 0;
  c.right = c.left - shift;
  c.mask = (int32_t)((1u << c.right) - 1u);
  c.half = c.mask >> 1;
  return c;
}

static inline int32_t requantize_with(int32_t acc, const channel_requant c) {
  const int64_t ab = (int64_t)(int32_t)((uint32_t)acc << c.left) * c.multiplier + (1LL << 30);
  const int32_t x = (int32_t)(ab >> 31);
  return (x >> c.right) + ((x & c.mask) > c.half - (x >> 31));
}

/* Kernel-local copies of the requantization parameters: outputs are int8_t
 * stores, which may alias anything, so fields read through pointers would be
 * reloaded after every store. */
#define REQUANT_LOCALS(q, p)                                                    \
  const int32_t *const rq_mult = (q)->multiplier, *const rq_shift = (q)->shift; \
  const int32_t rq_stride = (q)->stride, rq_offset = (p)->output_offset, rq_lo = (p)->act_min, rq_hi = (p)->act_max
#define REQUANT(acc, ch) requantize_s8((acc), rq_mult[(ch)*rq_stride], rq_shift[(ch)*rq_stride], rq_offset, rq_lo, rq_hi)

/* ---- widening with the SXTB16 ordering ---------------------------------- */

#if TB_WASM_SIMD
/* WebAssembly SIMD: columns one after another, each in natural order and
 * padded to a multiple of 8 (`layout` is that padded length), so eight
 * weights sign-extend with one load and meet eight activations in one
 * i32x4.dot_i16x8 (four SMLADs at once). */
static inline int32_t column_layout(int32_t depth) { return (depth + 7) & ~7; }
static size_t columns_size(int32_t depth, int32_t ncols) { return (size_t)column_layout(depth) * (size_t)ncols; }
static inline int32_t column_slot(int32_t k, int32_t j, int32_t ncols, int32_t layout) {
  (void)ncols;
  return j * layout + k;
}

static void widen_run(int16_t *col, int32_t j, int32_t ncols, int32_t k, const int8_t *src, int32_t n, int32_t offset, int32_t layout) {
  int16_t *dst = col + column_slot(k, j, ncols, layout);
  const v128_t off = wasm_i16x8_splat((int16_t)offset);
  int32_t i = 0;
  for (; i + 8 <= n; i += 8) wasm_v128_store(dst + i, wasm_i16x8_add(wasm_i16x8_load8x8(src + i), off));
  for (; i < n; ++i) dst[i] = (int16_t)(src[i] + offset);
}

static void zero_run(int16_t *col, int32_t j, int32_t ncols, int32_t k, int32_t n, int32_t layout) {
  memset(col + column_slot(k, j, ncols, layout), 0, sizeof(int16_t) * (size_t)n);
}

#else
/* Columns are stored interleaved, `ncols` at a time: for each group of four
 * elements, column 0's x0 x2 x1 x3, then column 1's, and so on; the last
 * depth % 4 elements (the tail) follow per column in order. One pointer then
 * walks all columns with sequential loads. */
static inline int32_t column_layout(int32_t depth) { return depth & ~3; }

static inline int32_t column_slot(int32_t k, int32_t j, int32_t ncols, int32_t grouped) {
  return k < grouped ? ((k & ~3) * ncols + j * 4 + ((k & 1) << 1) + ((k >> 1) & 1)) : grouped * ncols + j * 4 + (k - grouped);
}

/* Column j, elements [k, k+n) = src[0 .. n) + offset: single elements up to
 * the next group boundary, then whole groups of four with two SXTAB16, then
 * the rest. */
static void widen_run(int16_t *col, int32_t j, int32_t ncols, int32_t k, const int8_t *src, int32_t n, int32_t offset, int32_t grouped) {
  for (; n > 0 && (k & 3) != 0; --n) col[column_slot(k++, j, ncols, grouped)] = (int16_t)(*src++ + offset);
  const uint32_t off2 = tb_pair_splat(offset);
  int16_t *dst = col + k * ncols + j * 4;
  for (; n >= 4 && k + 4 <= grouped; k += 4, src += 4, n -= 4, dst += 4 * ncols) {
    const uint32_t w = tb_load32(src);
    tb_store32(dst, tb_sxtab16(off2, w));
    tb_store32(dst + 2, tb_sxtab16_ror8(off2, w));
  }
  for (int32_t i = 0; i < n; ++i) col[column_slot(k + i, j, ncols, grouped)] = (int16_t)(src[i] + offset);
}

static void zero_run(int16_t *col, int32_t j, int32_t ncols, int32_t k, int32_t n, int32_t grouped) {
  for (int32_t i = 0; i < n; ++i) col[column_slot(k + i, j, ncols, grouped)] = 0;
}

/* int16 elements of ncols interleaved columns (tails padded to 4 each). */
static size_t columns_size(int32_t depth, int32_t ncols) { return (size_t)((depth & ~3) + 4) * (size_t)ncols; }

#endif

/* ---- CONV_2D ------------------------------------------------------------ */

static int32_t conv_depth(const tb_dims *filter) { return filter->h * filter->w * filter->c; }

size_t tb_conv_s8_scratch_opt(const tb_conv_params *p, const tb_dims *in, const tb_dims *filter, const tb_dims *out) {
  (void)p, (void)in, (void)out;
#if TB_WASM_SIMD
  /* tb_opt_wasm.h: a requantization table (64 bytes per output channel), four widened rows, then eight interleaved. */
  return (size_t)out->c * 64 + columns_size(conv_depth(filter), 12) * sizeof(int16_t);
#endif
  return columns_size(conv_depth(filter), 2) * sizeof(int16_t);
}

/* The receptive field of output pixel (b, oy, ox), widened, in column order. */
static void im2col(const tb_conv_params *p, const tb_dims *in, const int8_t *input, const tb_dims *filter, int b, int oy, int ox,
                   int16_t *col, int32_t j, int32_t grouped) {
  const int in_c = in->c, fw = filter->w;
  const int x0 = ox * p->stride_w - p->pad_w;
  const int row_whole = p->dilation_w == 1 && x0 >= 0 && x0 + fw <= in->w;
  int32_t k = 0;
  for (int fy = 0; fy < filter->h; ++fy) {
    const int y = oy * p->stride_h - p->pad_h + fy * p->dilation_h;
    if (y < 0 || y >= in->h) {
      zero_run(col, j, 2, k, fw * in_c, grouped);
      k += fw * in_c;
      continue;
    }
    const int8_t *row = input + ((size_t)b * in->h + y) * in->w * in_c;
    if (row_whole) {
      /* The filter row is one contiguous run of the input: no per-tap work
       * (this is what makes 1-3 channel first layers cheap). */
      widen_run(col, j, 2, k, row + (size_t)x0 * in_c, fw * in_c, p->input_offset, grouped);
      k += fw * in_c;
      continue;
    }
    for (int fx = 0; fx < fw; ++fx, k += in_c) {
      const int x = x0 + fx * p->dilation_w;
      if (x < 0 || x >= in->w) zero_run(col, j, 2, k, in_c, grouped);
      else widen_run(col, j, 2, k, row + (size_t)x * in_c, in_c, p->input_offset, grouped);
    }
  }
}

#if TB_WASM_SIMD
#include "tb_opt_wasm.h"

static inline void mac_2x2(const int8_t *wa, const int8_t *wb, const int16_t *col, int32_t depth, int32_t layout, int32_t acc[4]) {
  const int16_t *c0 = col, *c1 = col + layout;
  v128_t a00 = wasm_i32x4_splat(0), a01 = a00, a10 = a00, a11 = a00;
  int32_t k = 0;
  for (; k + 8 <= depth; k += 8) {
    const v128_t wA = wasm_i16x8_load8x8(wa + k), wB = wasm_i16x8_load8x8(wb + k);
    const v128_t x0 = wasm_v128_load(c0 + k), x1 = wasm_v128_load(c1 + k);
    a00 = wasm_i32x4_add(a00, wasm_i32x4_dot_i16x8(wA, x0));
    a01 = wasm_i32x4_add(a01, wasm_i32x4_dot_i16x8(wA, x1));
    a10 = wasm_i32x4_add(a10, wasm_i32x4_dot_i16x8(wB, x0));
    a11 = wasm_i32x4_add(a11, wasm_i32x4_dot_i16x8(wB, x1));
  }
  /* Four horizontal sums at once: two rounds of pairwise adds over shuffles. */
  const v128_t h0 = wasm_i32x4_add(wasm_i32x4_shuffle(a00, a01, 0, 4, 1, 5), wasm_i32x4_shuffle(a00, a01, 2, 6, 3, 7));
  const v128_t h1 = wasm_i32x4_add(wasm_i32x4_shuffle(a10, a11, 0, 4, 1, 5), wasm_i32x4_shuffle(a10, a11, 2, 6, 3, 7));
  const v128_t sums =
      wasm_i32x4_add(wasm_i32x4_add(wasm_i32x4_shuffle(h0, h1, 0, 1, 4, 5), wasm_i32x4_shuffle(h0, h1, 2, 3, 6, 7)), wasm_v128_load(acc));
  int32_t s00 = wasm_i32x4_extract_lane(sums, 0), s01 = wasm_i32x4_extract_lane(sums, 1), s10 = wasm_i32x4_extract_lane(sums, 2),
          s11 = wasm_i32x4_extract_lane(sums, 3);
  for (; k < depth; ++k) {
    s00 += wa[k] * c0[k];
    s01 += wa[k] * c1[k];
    s10 += wb[k] * c0[k];
    s11 += wb[k] * c1[k];
  }
  acc[0] = s00, acc[1] = s01, acc[2] = s10, acc[3] = s11;
}
#else
/* Dot products of weight rows wa and wb with the two interleaved columns. */
static inline void mac_2x2(const int8_t *wa, const int8_t *wb, const int16_t *col, int32_t depth, int32_t grouped, int32_t acc[4]) {
  int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
  const int16_t *c = col;
  /* Per group of four k: both columns' pairs stay in registers while one
   * weight row at a time is unpacked (few live registers, no spills). */
#define MAC_2X2_GROUP(g)                                \
  do {                                                  \
    uint32_t x0, x0h, x1, x1h;                          \
    tb_load_pairs(c + 8 * (g), &x0, &x0h);              \
    tb_load_pairs(c + 8 * (g) + 4, &x1, &x1h);          \
    uint32_t w = tb_load32(wa + 4 * (g));               \
    uint32_t lo = tb_sxtb16(w), hi = tb_sxtb16_ror8(w); \
    a00 = tb_smlad(lo, x0, a00);                        \
    a01 = tb_smlad(lo, x1, a01);                        \
    a00 = tb_smlad(hi, x0h, a00);                       \
    a01 = tb_smlad(hi, x1h, a01);                       \
    w = tb_load32(wb + 4 * (g));                        \
    lo = tb_sxtb16(w), hi = tb_sxtb16_ror8(w);          \
    a10 = tb_smlad(lo, x0, a10);                        \
    a11 = tb_smlad(lo, x1, a11);                        \
    a10 = tb_smlad(hi, x0h, a10);                       \
    a11 = tb_smlad(hi, x1h, a11);                       \
  } while (0)
  for (int32_t n = grouped >> 2; n > 0; --n, c += 8, wa += 4, wb += 4) MAC_2X2_GROUP(0);
#undef MAC_2X2_GROUP
  for (int32_t k = 0; k < depth - grouped; ++k) {
    a00 += wa[k] * c[k];
    a01 += wa[k] * c[4 + k];
    a10 += wb[k] * c[k];
    a11 += wb[k] * c[4 + k];
  }
  acc[0] = a00, acc[1] = a01, acc[2] = a10, acc[3] = a11;
}

#endif

void tb_conv_s8_opt(const tb_conv_params *p, const tb_requant *q, const tb_dims *in, const int8_t *input, const tb_dims *filter,
                    const int8_t *weights, const int32_t *bias, const tb_dims *out, int8_t *output, void *scratch) {
#if TB_WASM_SIMD
  if (wasm_conv(p, q, in, input, filter, weights, bias, out, output, scratch)) return;
#endif
  REQUANT_LOCALS(q, p);
  const int32_t depth = conv_depth(filter), grouped = column_layout(depth);
  const int out_c = out->c;
  int16_t *col = (int16_t *)scratch;
  const int32_t pixels = out->n * out->h * out->w;
  const int pointwise = filter->h == 1 && filter->w == 1 && p->stride_w == 1 && p->stride_h == 1 && p->pad_w == 0 && p->pad_h == 0 &&
                        in->h == out->h && in->w == out->w;
  for (int32_t px = 0; px < pixels; px += 2) {
    const int two = px + 1 < pixels;
    /* A lone last pixel fills both columns and is stored once. */
    for (int j = 0; j < 2; ++j) {
      const int32_t i = two ? px + j : px;
      if (pointwise) widen_run(col, j, 2, 0, input + (size_t)i * depth, depth, p->input_offset, grouped);
      else im2col(p, in, input, filter, i / (out->h * out->w), (i / out->w) % out->h, i % out->w, col, j, grouped);
    }
    int8_t *o0 = output + (size_t)px * out_c, *o1 = o0 + out_c;
    for (int oc = 0; oc < out_c; oc += 2) {
      const int pair = oc + 1 < out_c;
      const int8_t *wa = weights + (size_t)oc * depth, *wb = pair ? wa + depth : wa;
      const int32_t ba = bias ? bias[oc] : 0, bb = bias && pair ? bias[oc + 1] : ba;
      int32_t acc[4] = {ba, ba, bb, bb};
      mac_2x2(wa, wb, col, depth, grouped, acc);
      const channel_requant ra = channel_of(rq_mult[oc * rq_stride], rq_shift[oc * rq_stride]);
      o0[oc] = (int8_t)tb_clamp_i32(requantize_with(acc[0], ra) + rq_offset, rq_lo, rq_hi);
      if (two) o1[oc] = (int8_t)tb_clamp_i32(requantize_with(acc[1], ra) + rq_offset, rq_lo, rq_hi);
      if (pair) {
        const channel_requant rb = channel_of(rq_mult[(oc + 1) * rq_stride], rq_shift[(oc + 1) * rq_stride]);
        o0[oc + 1] = (int8_t)tb_clamp_i32(requantize_with(acc[2], rb) + rq_offset, rq_lo, rq_hi);
        if (two) o1[oc + 1] = (int8_t)tb_clamp_i32(requantize_with(acc[3], rb) + rq_offset, rq_lo, rq_hi);
      }
    }
  }
}

/* ---- DEPTHWISE_CONV_2D (depth multiplier 1, no dilation) ---------------- */

static int depthwise_fast(const tb_conv_params *p) { return p->depth_multiplier == 1 && p->dilation_w == 1 && p->dilation_h == 1; }

size_t tb_depthwise_conv_s8_scratch_opt(const tb_conv_params *p, const tb_dims *in, const tb_dims *filter, const tb_dims *out) {
#if TB_WASM_SIMD
  /* tb_opt_wasm.h: a requantization table (64 bytes per channel) when C % 8 == 0. */
  if (depthwise_fast(p) && (out->c & 7) == 0) return (size_t)out->c * 64;
#endif
  return depthwise_fast(p) ? 0 : tb_depthwise_conv_s8_scratch_ref(p, in, filter, out);
}

/* One tap for four channels: activations widened with the offset, weights
 * sign-extended, lanes {0,2} and {1,3} multiplied into a0..a3. */
#define DW_TAP(xp, wp)                                                            \
  do {                                                                            \
    const uint32_t x_ = tb_load32(xp), w_ = tb_load32(wp);                        \
    const uint32_t x02_ = tb_sxtab16(off2, x_), x13_ = tb_sxtab16_ror8(off2, x_); \
    const uint32_t w02_ = tb_sxtb16(w_), w13_ = tb_sxtb16_ror8(w_);               \
    a0 = tb_smlabb(w02_, x02_, a0);                                               \
    a2 = tb_smlatt(w02_, x02_, a2);                                               \
    a1 = tb_smlabb(w13_, x13_, a1);                                               \
    a3 = tb_smlatt(w13_, x13_, a3);                                               \
  } while (0)

/* One tap for four channels of two horizontally adjacent pixels (xs bytes
 * apart): the weights are unpacked once for both. */
#define DW_TAP2(ioff, woff)                                               \
  do {                                                                    \
    const uint32_t w_ = tb_load32(wp + (woff));                           \
    const uint32_t w02_ = tb_sxtb16(w_), w13_ = tb_sxtb16_ror8(w_);       \
    uint32_t x_ = tb_load32(ip + (ioff));                                 \
    uint32_t lo_ = tb_sxtab16(off2, x_), hi_ = tb_sxtab16_ror8(off2, x_); \
    a0 = tb_smlabb(w02_, lo_, a0);                                        \
    a2 = tb_smlatt(w02_, lo_, a2);                                        \
    a1 = tb_smlabb(w13_, hi_, a1);                                        \
    a3 = tb_smlatt(w13_, hi_, a3);                                        \
    x_ = tb_load32(ip + xs + (ioff));                                     \
    lo_ = tb_sxtab16(off2, x_), hi_ = tb_sxtab16_ror8(off2, x_);          \
    b0 = tb_smlabb(w02_, lo_, b0);                                        \
    b2 = tb_smlatt(w02_, lo_, b2);                                        \
    b1 = tb_smlabb(w13_, hi_, b1);                                        \
    b3 = tb_smlatt(w13_, hi_, b3);                                        \
  } while (0)

/* Two adjacent interior pixels of a 3x3 depthwise layer with C % 4 == 0:
 * weights unpacked and per-channel requantization terms computed once for both. */
static void depthwise_3x3_pair(const int8_t *in0, const int8_t *w0, int8_t *o, int C, int32_t in_row, int32_t w_row, int32_t xs,
                               uint32_t off2, const int32_t *bias, const tb_requant *q, const tb_conv_params *p) {
  REQUANT_LOCALS(q, p);
  for (int c = 0; c < C; c += 4) {
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    if (bias) a0 = bias[c], a1 = bias[c + 1], a2 = bias[c + 2], a3 = bias[c + 3];
    int32_t b0 = a0, b1 = a1, b2 = a2, b3 = a3;
    const int8_t *ip = in0 + c, *wp = w0 + c;
    for (int fy = 0; fy < 3; ++fy, ip += in_row, wp += w_row) {
      DW_TAP2(0, 0);
      DW_TAP2(C, C);
      DW_TAP2(2 * C, 2 * C);
    }
    const int32_t acc_a[4] = {a0, a1, a2, a3}, acc_b[4] = {b0, b1, b2, b3};
    for (int j = 0; j < 4; ++j) {
      const channel_requant r = channel_of(rq_mult[(c + j) * rq_stride], rq_shift[(c + j) * rq_stride]);
      o[c + j] = (int8_t)tb_clamp_i32(requantize_with(acc_a[j], r) + rq_offset, rq_lo, rq_hi);
      o[C + c + j] = (int8_t)tb_clamp_i32(requantize_with(acc_b[j], r) + rq_offset, rq_lo, rq_hi);
    }
  }
}

void tb_depthwise_conv_s8_opt(const tb_conv_params *p, const tb_requant *q, const tb_dims *in, const int8_t *input, const tb_dims *filter,
                              const int8_t *weights, const int32_t *bias, const tb_dims *out, int8_t *output, void *scratch) {
#if TB_WASM_SIMD
  if (wasm_depthwise(p, q, in, input, filter, weights, bias, out, output, scratch)) return;
#endif
  if (!depthwise_fast(p)) {
    tb_depthwise_conv_s8_ref(p, q, in, input, filter, weights, bias, out, output, scratch);
    return;
  }
  REQUANT_LOCALS(q, p);
  const int32_t in_offset = p->input_offset;
  const int C = out->c, fh = filter->h, fw = filter->w;
  const int32_t in_row = in->w * C, w_row = fw * C;
  const uint32_t off2 = tb_pair_splat(p->input_offset);
  for (int b = 0; b < in->n; ++b) {
    for (int oy = 0; oy < out->h; ++oy) {
      const int y0 = oy * p->stride_h - p->pad_h;
      const int fy0 = y0 < 0 ? -y0 : 0, fy1 = fh < in->h - y0 ? fh : in->h - y0;
      for (int ox = 0; ox < out->w; ++ox) {
        const int x0 = ox * p->stride_w - p->pad_w;
        const int fx0 = x0 < 0 ? -x0 : 0, fx1 = fw < in->w - x0 ? fw : in->w - x0;
        const int ny = fy1 - fy0, nx = fx1 - fx0;
        /* First in-range tap of the window (the window may hang over the edges). */
        const int8_t *in0 = input + (((size_t)b * in->h + (size_t)(y0 + fy0)) * in->w + (size_t)(x0 + fx0)) * C;
        const int8_t *w0 = weights + ((size_t)fy0 * fw + (size_t)fx0) * C;
        int8_t *o = output + (((size_t)b * out->h + oy) * out->w + ox) * C;
        const int full3x3 = fh == 3 && fw == 3 && ny == 3 && nx == 3;
        if (!TB_WASM_SIMD && full3x3 && (C & 3) == 0 && ox + 1 < out->w && x0 + p->stride_w + 3 <= in->w) {
          depthwise_3x3_pair(in0, w0, o, C, in_row, w_row, p->stride_w * C, off2, bias, q, p);
          ++ox; /* the pair covered ox + 1 too */
          continue;
        }
        int c = 0;
#if TB_WASM_SIMD
        /* Eight channels per tap: widened activations times widened weights, into two i32x4. */
        for (; c + 8 <= C; c += 8) {
          v128_t lo = wasm_i32x4_splat(0), hi = lo;
          if (bias) lo = wasm_v128_load(bias + c), hi = wasm_v128_load(bias + c + 4);
          const v128_t off8 = wasm_i16x8_splat((int16_t)in_offset);
          const int8_t *ip = in0 + c, *wp = w0 + c;
          for (int fy = 0; fy < ny; ++fy, ip += in_row, wp += w_row)
            for (int fx = 0; fx < nx; ++fx) {
              const v128_t x = wasm_i16x8_add(wasm_i16x8_load8x8(ip + fx * C), off8), w = wasm_i16x8_load8x8(wp + fx * C);
              lo = wasm_i32x4_add(lo, wasm_i32x4_extmul_low_i16x8(x, w));
              hi = wasm_i32x4_add(hi, wasm_i32x4_extmul_high_i16x8(x, w));
            }
          o[c] = REQUANT(wasm_i32x4_extract_lane(lo, 0), c);
          o[c + 1] = REQUANT(wasm_i32x4_extract_lane(lo, 1), c + 1);
          o[c + 2] = REQUANT(wasm_i32x4_extract_lane(lo, 2), c + 2);
          o[c + 3] = REQUANT(wasm_i32x4_extract_lane(lo, 3), c + 3);
          o[c + 4] = REQUANT(wasm_i32x4_extract_lane(hi, 0), c + 4);
          o[c + 5] = REQUANT(wasm_i32x4_extract_lane(hi, 1), c + 5);
          o[c + 6] = REQUANT(wasm_i32x4_extract_lane(hi, 2), c + 6);
          o[c + 7] = REQUANT(wasm_i32x4_extract_lane(hi, 3), c + 7);
        }
#endif
        for (; c + 4 <= C; c += 4) {
          int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
          if (bias) a0 = bias[c], a1 = bias[c + 1], a2 = bias[c + 2], a3 = bias[c + 3];
          const int8_t *ip = in0 + c, *wp = w0 + c;
          if (full3x3) {
            /* The interior 3x3 window, fully unrolled. */
            const int8_t *i1 = ip + in_row, *i2 = i1 + in_row, *w1 = wp + w_row, *w2 = w1 + w_row;
            DW_TAP(ip, wp);
            DW_TAP(ip + C, wp + C);
            DW_TAP(ip + 2 * C, wp + 2 * C);
            DW_TAP(i1, w1);
            DW_TAP(i1 + C, w1 + C);
            DW_TAP(i1 + 2 * C, w1 + 2 * C);
            DW_TAP(i2, w2);
            DW_TAP(i2 + C, w2 + C);
            DW_TAP(i2 + 2 * C, w2 + 2 * C);
          } else {
            for (int fy = 0; fy < ny; ++fy, ip += in_row, wp += w_row)
              for (int fx = 0; fx < nx; ++fx) DW_TAP(ip + fx * C, wp + fx * C);
          }
          o[c] = REQUANT(a0, c);
          o[c + 1] = REQUANT(a1, c + 1);
          o[c + 2] = REQUANT(a2, c + 2);
          o[c + 3] = REQUANT(a3, c + 3);
        }
        for (; c < C; ++c) {
          int32_t acc = bias ? bias[c] : 0;
          for (int fy = 0; fy < ny; ++fy)
            for (int fx = 0; fx < nx; ++fx) acc += w0[fy * w_row + fx * C + c] * (in0[fy * in_row + fx * C + c] + in_offset);
          o[c] = REQUANT(acc, c);
        }
      }
    }
  }
}

/* ---- FULLY_CONNECTED ---------------------------------------------------- */

size_t tb_fully_connected_s8_scratch_opt(int32_t depth) { return columns_size(depth, 1) * sizeof(int16_t); }

void tb_fully_connected_s8_opt(const tb_fc_params *p, const tb_requant *q, int32_t batches, int32_t depth, int32_t units,
                               const int8_t *input, const int8_t *weights, const int32_t *bias, int8_t *output, void *scratch) {
  REQUANT_LOCALS(q, p);
  int16_t *col = (int16_t *)scratch;
  const int32_t grouped = column_layout(depth);
  for (int32_t b = 0; b < batches; ++b) {
    widen_run(col, 0, 1, 0, input + (size_t)b * depth, depth, p->input_offset, grouped);
    int8_t *o = output + (size_t)b * units;
    int32_t u = 0;
#if TB_WASM_SIMD
    u = wasm_fc_rows4(p, q, depth, units, col, weights, bias, o);
    for (; u + 2 <= units; u += 2) {
      int32_t acc[4] = {0, 0, 0, 0};
      const int8_t *w0 = weights + (size_t)u * depth;
      /* Both "columns" are the one input: mac_2x2 with a zero column stride. */
      mac_2x2(w0, w0 + depth, col, depth, 0, acc);
      if (bias) acc[0] += bias[u], acc[2] += bias[u + 1];
      o[u] = REQUANT(acc[0], u);
      o[u + 1] = REQUANT(acc[2], u + 1);
    }
#endif
    for (; u + 4 <= units; u += 4) {
      const int8_t *w0 = weights + (size_t)u * depth, *w1 = w0 + depth, *w2 = w1 + depth, *w3 = w2 + depth;
      int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      int32_t k = 0;
      for (; k < grouped; k += 4) {
        uint32_t x, xh;
        tb_load_pairs(col + k, &x, &xh);
        uint32_t w = tb_load32(w0 + k);
        a0 = tb_smlad(tb_sxtb16(w), x, a0);
        a0 = tb_smlad(tb_sxtb16_ror8(w), xh, a0);
        w = tb_load32(w1 + k);
        a1 = tb_smlad(tb_sxtb16(w), x, a1);
        a1 = tb_smlad(tb_sxtb16_ror8(w), xh, a1);
        w = tb_load32(w2 + k);
        a2 = tb_smlad(tb_sxtb16(w), x, a2);
        a2 = tb_smlad(tb_sxtb16_ror8(w), xh, a2);
        w = tb_load32(w3 + k);
        a3 = tb_smlad(tb_sxtb16(w), x, a3);
        a3 = tb_smlad(tb_sxtb16_ror8(w), xh, a3);
      }
      for (; k < depth; ++k) {
        a0 += w0[k] * col[k];
        a1 += w1[k] * col[k];
        a2 += w2[k] * col[k];
        a3 += w3[k] * col[k];
      }
      if (bias) a0 += bias[u], a1 += bias[u + 1], a2 += bias[u + 2], a3 += bias[u + 3];
      o[u] = REQUANT(a0, u);
      o[u + 1] = REQUANT(a1, u + 1);
      o[u + 2] = REQUANT(a2, u + 2);
      o[u + 3] = REQUANT(a3, u + 3);
    }
    for (; u < units; ++u) {
      const int8_t *w0 = weights + (size_t)u * depth;
      int32_t a0 = 0, k = 0;
      /* In the WebAssembly layout the scalar loop covers the whole row. */
      for (; !TB_WASM_SIMD && k < grouped; k += 4) {
        const uint32_t w = tb_load32(w0 + k);
        a0 = tb_smlad(tb_sxtb16(w), tb_load32(col + k), a0);
        a0 = tb_smlad(tb_sxtb16_ror8(w), tb_load32(col + k + 2), a0);
      }
      for (; k < depth; ++k) a0 += w0[k] * col[k];
      if (bias) a0 += bias[u];
      o[u] = REQUANT(a0, u);
    }
  }
}

/* ---- ADD ---------------------------------------------------------------- */

/* High half of the doubled product, rounded as gemmlowp does (see requantize). */
static inline int32_t doubling_high_mul(int32_t a, int32_t b) { return (int32_t)(((int64_t)a * b + (1LL << 30)) >> 31); }

void tb_add_s8_opt(const tb_add_params *params, uint32_t n, const int8_t *a, const int8_t *b, int8_t *out) {
#if TB_WASM_SIMD
  const uint32_t done = wasm_add(params, n, a, b, out);
  n -= done, a += done, b += done, out += done;
#endif
  const tb_add_params P = *params; /* a local copy: int8 stores could alias *params */
  const int32_t r1 = -P.input1_shift, r2 = -P.input2_shift, ro = -P.output_shift;
  for (uint32_t i = 0; i < n; ++i) {
    const int32_t va = (int32_t)((uint32_t)(a[i] + P.input1_offset) << P.left_shift);
    const int32_t vb = (int32_t)((uint32_t)(b[i] + P.input2_offset) << P.left_shift);
    const int32_t sa = tb_rounding_divide_by_pot(doubling_high_mul(va, P.input1_multiplier), r1);
    const int32_t sb = tb_rounding_divide_by_pot(doubling_high_mul(vb, P.input2_multiplier), r2);
    const int32_t raw = tb_rounding_divide_by_pot(doubling_high_mul(sa + sb, P.output_multiplier), ro) + P.output_offset;
    out[i] = (int8_t)tb_clamp_i32(raw, P.act_min, P.act_max);
  }
}
