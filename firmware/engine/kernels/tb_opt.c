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
 * - with the full int8 output range a conv layer's weights are widened to
 *   int16 once per call (in chunks of channel pairs within a scratch budget),
 *   so the 2x2 loop is loads and SMLAD only;
 * - 3x3 depthwise widens its padded input rows once into int16 column pairs
 *   (columns x and x+1 of a channel in one word) and computes two output
 *   pixels per pass with SMLAD; other depthwise shapes keep four channels'
 *   accumulators in registers, with the tap ranges clipped once per pixel;
 * - fully connected widens the input once per batch and runs two or four
 *   rows at a time over it;
 * - requantization once per output, with the same double rounding as TFLM
 *   (tb_quant.h) in four instructions (tb_requant_fast.h), per-channel
 *   constants computed once per call;
 * - on Cortex-M the innermost loops (2x2 conv, 3x3 depthwise rows, column
 *   widening, fully connected rows, ADD's table loop) are small naked
 *   assembly functions: gcc spills their pointers and bounds, which costs
 *   30-40 % more instructions;
 * - 3x3 depthwise and conv borders read zero-point padded copies (the zero
 *   point widens to 0, like a skipped tap), so edges need no special path. */
#include "tb_kernel_api.h"
#include "tb_simd.h"
#include "tb_requant_fast.h"
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

/* ---- the fast requantization table (tb_requant_fast.h) ------------------ */

/* Scratch bytes of a table for `channels` channels (a multiple of 16, so what follows stays aligned). */
static size_t fast_table_size(int32_t channels) { return ((size_t)channels * sizeof(tb_fast_rq) + 15u) & ~(size_t)15u; }

/* Fills the table (one entry, or one per channel: index channel * q->stride)
 * once per kernel call, outside every pixel loop; NULL when a channel needs
 * the exact 64-bit path, which then serves the whole call. */
static const tb_fast_rq *fast_table(void *where, const tb_requant *q, int32_t channels) {
  tb_fast_rq *t = (tb_fast_rq *)where;
  const int32_t n = q->stride ? channels : 1;
  for (int32_t c = 0; c < n; ++c) {
    if (!tb_fast_rq_ok(q->multiplier[c * q->stride], q->shift[c * q->stride])) return NULL;
    t[c] = tb_fast_rq_of(q->multiplier[c * q->stride], q->shift[c * q->stride]);
  }
  return t;
}

#if !TB_WASM_SIMD
/* (The fused kernels that use these two are not in the WebAssembly build,
 * whose kernels keep their own requantization table.) */
/* Whether a channel's output offset can be folded into the fast
 * requantization's rounding term (as the fused kernels do): a nonzero
 * multiplier and a right shift of at most 22, so that ((y >> 1) + 2^(r-2) +
 * offset * 2^(r-1)) stays inside int32 (|y >> 1| <= 2^30, |offset| <= 128). */
static inline int rq_offset_folds(int32_t multiplier, int32_t shift) { return multiplier != 0 && -shift - 1 <= 22; }

/* 1 when every channel takes the fast requantization; *folded then says
 * whether every channel's offset folds (rq_offset_folds). */
static int fast_channels(const tb_requant *q, int32_t channels, int *folded) {
  const int32_t *const mult = q->multiplier, *const shift = q->shift, stride = q->stride, n = stride ? channels : 1;
  int all = 1;
  for (int32_t c = 0; c < n; ++c) {
    if (!tb_fast_rq_ok(mult[c * stride], shift[c * stride])) return *folded = 0, 0;
    all &= rq_offset_folds(mult[c * stride], shift[c * stride]);
  }
  *folded = all;
  return 1;
}
#endif

/* One output through a table entry with the activation clamp; `full` (a
 * constant where it is inlined) marks the range [-128, 127], one SSAT. */
static inline __attribute__((always_inline)) int8_t fast_out(int32_t acc, const tb_fast_rq *e, int32_t offset, int32_t lo, int32_t hi,
                                                             int full) {
  const int32_t v = tb_fast_rq_apply(acc, e->m2, e->half, e->right) + offset;
  return (int8_t)(full ? tb_ssat(v, 8) : tb_clamp_i32(v, lo, hi));
}

/* The four outputs of a 2 pixel x 2 channel block. */
static inline __attribute__((always_inline)) void fast_block(int8_t *o0, int8_t *o1, const int32_t acc[4], const tb_fast_rq *ea,
                                                             const tb_fast_rq *eb, int32_t offset, int32_t lo, int32_t hi, int full) {
  o0[0] = fast_out(acc[0], ea, offset, lo, hi, full);
  o1[0] = fast_out(acc[1], ea, offset, lo, hi, full);
  o0[1] = fast_out(acc[2], eb, offset, lo, hi, full);
  o1[1] = fast_out(acc[3], eb, offset, lo, hi, full);
}

/* One output through a table entry, with the activation clamp. */
#define FAST_REQUANT(acc, e) ((int8_t)tb_clamp_i32(tb_fast_rq_apply((acc), (e)->m2, (e)->half, (e)->right) + rq_offset, rq_lo, rq_hi))

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

#if !TB_WASM_SIMD
/* Bytes of the raw sums of one pixel pair (mac_2x2_rows) and of the
 * per-channel-pair table of mac_2x2_rows_rq, 32 bytes per pair (Cortex-M
 * only; reserved in the emulated build too so its arena figures are the ARM
 * ones). */
static size_t raw_size(int32_t channels) { return (size_t)(channels & ~1) * 2u * sizeof(int32_t); }
static size_t pair_table_size(int32_t channels) { return (size_t)(channels & ~1) * 4u * sizeof(int32_t); }
#else
static size_t raw_size(int32_t channels) { return (void)channels, 0; }
static size_t pair_table_size(int32_t channels) { return (void)channels, 0; }
#endif
/* The start of conv scratch holds either the fast table and the raw sums or
 * (full output range on Cortex-M) the pair table alone. */
static size_t requant_region_size(int32_t channels) {
  const size_t a = fast_table_size(channels) + raw_size(channels), b = pair_table_size(channels);
  return a > b ? a : b;
}

#if !TB_WASM_SIMD
/* Layers whose depth is not a multiple of 4 (first layers: 3 x 3 x 3 = 27)
 * copy their weight rows into scratch padded with zeros to the next multiple
 * (at most 4 KB of them; the padding meets zero activations), so the
 * whole-pixel-pair assembly path serves them too (Cortex-M; reserved in the
 * emulated build for the same arena figures). */
static size_t padded_weights_size(int32_t channels, int32_t depth) {
  const size_t n = (size_t)channels * (size_t)((depth + 3) & ~3);
  return (depth & 3) && n <= 4096u ? (n + 15u) & ~(size_t)15u : 0;
}
#else
static size_t padded_weights_size(int32_t channels, int32_t depth) { return (void)channels, (void)depth, 0; }
#endif

#if TB_WASM_SIMD
static size_t stage_size(int32_t depth, int32_t channels) { return (void)depth, (void)channels, 0; }
#else
/* Bytes of the int8 staging copy of one receptive field; layers with padded
 * weights (padded_weights_size) stage both fields of a pixel
 * pair, the second stage_field(depth) bytes after the first. */
static size_t stage_field(int32_t depth) { return ((size_t)depth + 15u) & ~(size_t)15u; }
static size_t stage_size(int32_t depth, int32_t channels) { return (padded_weights_size(channels, depth) ? 2u : 1u) * stage_field(depth); }

static inline void copy_bytes(int8_t *d, const int8_t *s, int32_t n) {
  for (; n >= 4; n -= 4, d += 4, s += 4) tb_store32(d, tb_load32(s));
  for (; n > 0; --n) *d++ = *s++;
}

/* One input row (src; NULL: a row outside the input) in a padded row of prow
 * bytes: left and right pixels of padding around copied pixels of C channels,
 * the padding at the zero point. */
static inline void dw_padded_row(int8_t *dst, const int8_t *src, int32_t left, int32_t copied, int32_t right, int C, int32_t prow, int zp) {
  if (!src) {
    memset(dst, zp, (size_t)prow);
    return;
  }
  memset(dst, zp, (size_t)(left * C));
  copy_bytes(dst + left * C, src, copied * C);
  if (right > 0) memset(dst + (left + copied) * C, zp, (size_t)(right * C));
}

/* n bytes of value v: words (the last overlapping) from 4 on, else one by
 * one (volatile: gcc would call memset, about 15 instructions, for the loop). */
static inline void fill_bytes(int8_t *d, int v, int32_t n) {
  if (n >= 4) {
    const uint32_t w = (uint32_t)(uint8_t)v * 0x01010101u;
    for (int32_t i = 0; i + 4 < n; i += 4) tb_store32(d + i, w);
    tb_store32(d + n - 4, w);
    return;
  }
  for (int32_t i = 0; i < n; ++i) ((volatile int8_t *)d)[i] = (int8_t)v;
}

/* The receptive field of output pixel (b, oy, ox) as int8 in filter order,
 * copied run by run; taps outside the input hold the zero point, which
 * widens to 0 like TFLM's skipped taps. */
static const int8_t *gather(const tb_conv_params *p, const tb_dims *in, const int8_t *input, const tb_dims *filter, int b, int oy, int ox,
                            int8_t *stage) {
  const int in_c = in->c, fw = filter->w, run = fw * in_c;
  const int pad = -p->input_offset;
  const int x0 = ox * p->stride_w - p->pad_w;
  const int row_whole = p->dilation_w == 1 && x0 >= 0 && x0 + fw <= in->w;
  /* Taps left and right of the input, and those inside, of a row without dilation. */
  const int left = x0 < 0 ? (-x0 < fw ? -x0 : fw) : 0, over = x0 + fw - in->w, right = over > 0 ? (over < fw - left ? over : fw - left) : 0;
  const int inside = fw - left - right;
  int8_t *dst = stage;
  for (int fy = 0; fy < filter->h; ++fy) {
    const int y = oy * p->stride_h - p->pad_h + fy * p->dilation_h;
    if (y < 0 || y >= in->h) {
      fill_bytes(dst, pad, run);
      dst += run;
      continue;
    }
    const int8_t *row = input + ((size_t)b * in->h + y) * in->w * in_c;
    if (row_whole) {
      copy_bytes(dst, row + (size_t)x0 * in_c, run);
      dst += run;
      continue;
    }
    if (p->dilation_w == 1) {
      /* Padding, the taps inside, padding: three runs instead of one per tap. */
      fill_bytes(dst, pad, left * in_c);
      if (inside > 0) copy_bytes(dst + left * in_c, row + (size_t)(x0 + left) * in_c, inside * in_c);
      fill_bytes(dst + (left + inside) * in_c, pad, right * in_c);
      dst += run;
      continue;
    }
    for (int fx = 0; fx < fw; ++fx, dst += in_c) {
      const int x = x0 + fx * p->dilation_w;
      if (x < 0 || x >= in->w) fill_bytes(dst, pad, in_c);
      else copy_bytes(dst, row + (size_t)x * in_c, in_c);
    }
  }
  return stage;
}

/* `groups` groups of four int8 values into one column of two (dst points at
 * the column's slot of the first group): per group one load, two SXTAB16
 * and one 8-byte store, two groups per pass. */
static inline int16_t *widen_groups(int16_t *dst, const int8_t *src, int32_t groups, uint32_t off2) {
  for (; groups >= 2; groups -= 2, src += 8, dst += 16) {
    const uint32_t w0 = tb_load32(src), w1 = tb_load32(src + 4);
    tb_store_pairs(dst, tb_sxtab16(off2, w0), tb_sxtab16_ror8(off2, w0));
    tb_store_pairs(dst + 8, tb_sxtab16(off2, w1), tb_sxtab16_ror8(off2, w1));
  }
  if (groups) {
    const uint32_t w = tb_load32(src);
    tb_store_pairs(dst, tb_sxtab16(off2, w), tb_sxtab16_ror8(off2, w));
    dst += 8;
  }
  return dst;
}

/* Column j (of two) from depth int8 values: the whole groups, then the tail. */
static void widen_column(int16_t *col, int32_t j, const int8_t *src, int32_t depth, int32_t grouped, int32_t offset) {
  widen_groups(col + j * 4, src, grouped >> 2, tb_pair_splat(offset));
  int16_t *tail = col + 2 * grouped + j * 4;
  for (int32_t k = grouped; k < depth; ++k) tail[k - grouped] = (int16_t)(src[k] + offset);
}

/* Column j of output pixel (b, oy, ox). A window inside the input whose
 * filter rows are whole groups (in_c * fw % 4 == 0) is widened straight
 * from the input rows; others (borders, 1-3 channel first layers) go
 * through the int8 staging copy. */
static void im2col_column(const tb_conv_params *p, const tb_dims *in, const int8_t *input, const tb_dims *filter, int b, int oy, int ox,
                          int16_t *col, int32_t j, int32_t depth, int32_t grouped, int8_t *stage) {
  const int in_c = in->c, fw = filter->w, run = fw * in_c;
  const int x0 = ox * p->stride_w - p->pad_w, y0 = oy * p->stride_h - p->pad_h;
  if ((run & 3) == 0 && p->dilation_w == 1 && p->dilation_h == 1 && x0 >= 0 && x0 + fw <= in->w && y0 >= 0 && y0 + filter->h <= in->h) {
    const uint32_t off2 = tb_pair_splat(p->input_offset);
    const int8_t *row = input + (((size_t)b * in->h + y0) * in->w + x0) * in_c;
    const size_t row_step = (size_t)in->w * in_c;
    int16_t *dst = col + j * 4;
    for (int fy = 0; fy < filter->h; ++fy, row += row_step) dst = widen_groups(dst, row, run >> 2, off2);
    return;
  }
  widen_column(col, j, gather(p, in, input, filter, b, oy, ox, stage), depth, grouped, p->input_offset);
}

/* The first byte of output pixel i's receptive field when it lies inside the
 * input and its filter rows are whole groups (read straight from the input
 * rows), else NULL. */
static const int8_t *interior_window(const tb_conv_params *p, const tb_dims *in, const int8_t *input, const tb_dims *filter, int b, int oy,
                                     int ox) {
  const int x0 = ox * p->stride_w - p->pad_w, y0 = oy * p->stride_h - p->pad_h;
  if ((filter->w * in->c) & 3 || p->dilation_w != 1 || p->dilation_h != 1 || x0 < 0 || x0 + filter->w > in->w || y0 < 0 ||
      y0 + filter->h > in->h)
    return NULL;
  return input + (((size_t)b * in->h + y0) * in->w + x0) * in->c;
}

/* Both columns of a pixel pair at once: `rows` runs of `groups` groups of
 * four, row_step bytes apart, from p0 and p1; per group two loads, four
 * SXTAB16 and one 16-byte store of both columns' slots (about 1 instruction
 * per element instead of 1.4 column by column, with one call per pair). */
#if TB_SIMD_DSP
__attribute__((naked, noinline)) static void widen_pair_rows(int16_t *dst __attribute__((unused)), const int8_t *p0 __attribute__((unused)),
                                                             const int8_t *p1 __attribute__((unused)),
                                                             int32_t groups __attribute__((unused)), int32_t rows __attribute__((unused)),
                                                             int32_t row_step __attribute__((unused)),
                                                             uint32_t off2 __attribute__((unused))) {
#define WIDEN_PAIR_GROUP            \
  "ldr r9, [r1], #4\n\t"            \
  "ldr r10, [r2], #4\n\t"           \
  "sxtab16 r4, r8, r9\n\t"          \
  "sxtab16 r5, r8, r9, ror #8\n\t"  \
  "sxtab16 r6, r8, r10\n\t"         \
  "sxtab16 r7, r8, r10, ror #8\n\t" \
  "stm r0!, {r4-r7}\n\t"
  __asm__ volatile(
      "push {r4-r11, lr}\n\t"
      "ldr r11, [sp, #36]\n\t"
      "ldr r12, [sp, #40]\n\t"
      "ldr r8, [sp, #44]\n\t"
      "sub r12, r12, r3, lsl #2\n"
      "1:\n\t"
      "tst r3, #1\n\t"
      "beq 3f\n\t" WIDEN_PAIR_GROUP
      "3:\n\t"
      "lsrs lr, r3, #1\n\t"
      "beq 4f\n"
      "2:\n\t" WIDEN_PAIR_GROUP WIDEN_PAIR_GROUP
      "subs lr, lr, #1\n\t"
      "bne 2b\n"
      "4:\n\t"
      "add r1, r1, r12\n\t"
      "add r2, r2, r12\n\t"
      "subs r11, r11, #1\n\t"
      "bne 1b\n\t"
      "pop {r4-r11, pc}\n\t");
#undef WIDEN_PAIR_GROUP
}
#else
static void widen_pair_rows(int16_t *dst, const int8_t *p0, const int8_t *p1, int32_t groups, int32_t rows, int32_t row_step,
                            uint32_t off2) {
  for (; rows > 0; --rows, p0 += row_step, p1 += row_step)
    for (int32_t g = 0; g < groups; ++g, dst += 8) {
      const uint32_t a = tb_load32(p0 + 4 * g), b = tb_load32(p1 + 4 * g);
      tb_store_pairs(dst, tb_sxtab16(off2, a), tb_sxtab16_ror8(off2, a));
      tb_store_pairs(dst + 4, tb_sxtab16(off2, b), tb_sxtab16_ror8(off2, b));
    }
}
#endif
#endif

/* The receptive field of output pixel (b, oy, ox), widened, in column order. */
static inline void im2col(const tb_conv_params *p, const tb_dims *in, const int8_t *input, const tb_dims *filter, int b, int oy, int ox,
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
#if TB_SIMD_DSP
/* The 2x2 loop on a Cortex-M4 in 16 instructions per 16 MACs: one LDM
 * fetches both columns' four pairs of a group, each weight word is loaded
 * with post-increment and unpacked in place by two SXTB16, then eight
 * SMLAD, two groups per pass; four accumulators, four pairs and two weight
 * registers stay in registers, which gcc does not manage for this loop (it
 * spills the loop bounds: 22 instructions per group). acc[0..3] (a00 a01 a10 a11) are read and
 * written; groups >= 1. Arguments: r0 wa, r1 wb, r2 col, r3 groups, [sp] acc. */
__attribute__((naked, noinline)) static void mac_2x2_groups(const int8_t *wa __attribute__((unused)),
                                                            const int8_t *wb __attribute__((unused)),
                                                            const int16_t *col __attribute__((unused)),
                                                            int32_t groups __attribute__((unused)), int32_t *acc __attribute__((unused))) {
#define MAC_2X2_ASM_GROUP       \
  "ldm r2!, {r8-r11}\n\t"       \
  "ldr r12, [r0], #4\n\t"       \
  "sxtb16 lr, r12\n\t"          \
  "sxtb16 r12, r12, ror #8\n\t" \
  "smlad r4, lr, r8, r4\n\t"    \
  "smlad r5, lr, r10, r5\n\t"   \
  "smlad r4, r12, r9, r4\n\t"   \
  "smlad r5, r12, r11, r5\n\t"  \
  "ldr r12, [r1], #4\n\t"       \
  "sxtb16 lr, r12\n\t"          \
  "sxtb16 r12, r12, ror #8\n\t" \
  "smlad r6, lr, r8, r6\n\t"    \
  "smlad r7, lr, r10, r7\n\t"   \
  "smlad r6, r12, r9, r6\n\t"   \
  "smlad r7, r12, r11, r7\n\t"
  /* Two groups per pass (16 instructions per 16 MACs); an odd count does one first. */
  __asm__ volatile(
      "push {r4-r11, lr}\n\t"
      "ldr r12, [sp, #36]\n\t"
      "ldm r12, {r4-r7}\n\t"
      "tst r3, #1\n\t"
      "beq 1f\n\t" MAC_2X2_ASM_GROUP
      "subs r3, r3, #1\n\t"
      "beq 2f\n"
      "1:\n\t" MAC_2X2_ASM_GROUP MAC_2X2_ASM_GROUP
      "subs r3, r3, #2\n\t"
      "bne 1b\n"
      "2:\n\t"
      "ldr r12, [sp, #36]\n\t"
      "stm r12, {r4-r7}\n\t"
      "pop {r4-r11, pc}\n\t");
#undef MAC_2X2_ASM_GROUP
}

static inline void mac_2x2(const int8_t *wa, const int8_t *wb, const int16_t *col, int32_t depth, int32_t grouped, int32_t acc[4]) {
  if (grouped > 0) mac_2x2_groups(wa, wb, col, grouped >> 2, acc);
  if (depth == grouped) return;
  /* The tail (depth % 4 elements) with the sums in registers, not in acc[]. */
  const int16_t *c = col + 2 * grouped;
  int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
  wa += grouped, wb += grouped;
  for (int32_t k = 0; k < depth - grouped; ++k) {
    const int32_t x0 = c[k], x1 = c[4 + k];
    a00 += wa[k] * x0, a01 += wa[k] * x1, a10 += wb[k] * x0, a11 += wb[k] * x1;
  }
  acc[0] = a00, acc[1] = a01, acc[2] = a10, acc[3] = a11;
}
/* Every output channel pair of one pixel pair in one call (depth % 4 == 0,
 * so each pair's rows follow the previous pair's): the same 16-instruction
 * loop, then the four sums go to raw[] and the next pair starts, about 17
 * instructions per pair instead of a C call and block set-up per pair.
 * r0 weights, r1 col, r2 groups (>= 1), r3 raw, [sp] pairs (>= 1), [sp + 4] depth. */
__attribute__((naked, noinline)) static void mac_2x2_rows(const int8_t *w __attribute__((unused)),
                                                          const int16_t *col __attribute__((unused)),
                                                          int32_t groups __attribute__((unused)), int32_t *raw __attribute__((unused)),
                                                          int32_t pairs __attribute__((unused)), int32_t depth __attribute__((unused))) {
/* One group of the 2x2 block: four bytes of depth for two channels and two pixels, 16 MACs in 15 instructions. */
#define MAC_2X2_GROUP         \
  "ldm r1!, {r8-r11}\n\t"     \
  "ldr r2, [r0], #4\n\t"      \
  "sxtb16 lr, r2\n\t"         \
  "sxtb16 r2, r2, ror #8\n\t" \
  "smlad r4, lr, r8, r4\n\t"  \
  "smlad r5, lr, r10, r5\n\t" \
  "smlad r4, r2, r9, r4\n\t"  \
  "smlad r5, r2, r11, r5\n\t" \
  "ldr r2, [r12], #4\n\t"     \
  "sxtb16 lr, r2\n\t"         \
  "sxtb16 r2, r2, ror #8\n\t" \
  "smlad r6, lr, r8, r6\n\t"  \
  "smlad r7, lr, r10, r7\n\t" \
  "smlad r6, r2, r9, r6\n\t"  \
  "smlad r7, r2, r11, r7\n\t"
  __asm__ volatile(
      "push {r4-r11, lr}\n\t"
      "sub sp, sp, #16\n\t"
      "str r3, [sp]\n\t"
      "ldr r3, [sp, #52]\n\t"
      "str r3, [sp, #4]\n\t"
      "str r2, [sp, #8]\n\t"
      "ldr r3, [sp, #56]\n\t"
      "str r3, [sp, #12]\n"
      "3:\n\t"
      "ldr r12, [sp, #12]\n\t"
      "add r12, r0, r12\n\t"
      "movs r4, #0\n\t"
      "movs r5, #0\n\t"
      "movs r6, #0\n\t"
      "movs r7, #0\n\t"
      "ldr r3, [sp, #8]\n\t"
      "tst r3, #1\n\t"
      "beq 1f\n\t" MAC_2X2_GROUP
      "subs r3, r3, #1\n\t"
      "beq 2f\n"
      "1:\n\t" MAC_2X2_GROUP MAC_2X2_GROUP
      "subs r3, r3, #2\n\t"
      "bne 1b\n"
      "2:\n\t"
      "ldr r2, [sp]\n\t"
      "stm r2!, {r4-r7}\n\t"
      "str r2, [sp]\n\t"
      "ldr r2, [sp, #8]\n\t"
      "sub r1, r1, r2, lsl #4\n\t"
      "mov r0, r12\n\t"
      "ldr r2, [sp, #4]\n\t"
      "subs r2, r2, #1\n\t"
      "str r2, [sp, #4]\n\t"
      "bne 3b\n\t"
      "add sp, sp, #16\n\t"
      "pop {r4-r11, pc}\n\t");
}

/* mac_2x2_rows with the bias and the requantization of every output fused
 * in (full int8 range only): per channel pair the table holds both biases,
 * which start the four sums, then each channel's fast constants {m2, half,
 * right}; the four outputs go straight to o0[oc], o1[oc] = o0[oc + out_c]
 * and the next column. About 35 instructions per pair outside the MAC loop
 * instead of the raw sums' round trip through C (about 75). In the _folded
 * variant the table's half already holds half + offset * 2^right (every
 * channel's right shift at most 22, no zero multiplier; see rq_offset_folds), so
 * the offset needs no instruction.
 * r0 weights, r1 col, r2 groups (>= 1), r3 table, [sp] pairs (>= 1),
 * [sp + 4] depth, [sp + 8] o0, [sp + 12] out_c, [sp + 16] output offset. */
/* tb_requant_fast.h's exact requantization of accumulator a, before the
 * saturation, with the constants in registers m (m2), h (half), r (the
 * right shift) and t scratch; RQ_FAST_ASM with r8, r9, r10, r11. */
#define RQ_FAST_REGS(a, m, h, r, t) \
  "add " t ", " a ", " a            \
  ", asr #31\n\t"                   \
  "smmlar " a ", " a ", " m ", " t  \
  "\n\t"                            \
  "add " a ", " h ", " a            \
  ", asr #1\n\t"                    \
  "asr " a ", " a ", " r "\n\t"
#define RQ_FAST_ASM(a) RQ_FAST_REGS(a, "r8", "r9", "r10", "r11")
#define MAC_2X2_RQ_OUT(a) \
  RQ_FAST_ASM(a)          \
  "add " a ", " a         \
  ", r3\n\t"              \
  "ssat " a ", #8, " a "\n\t"
#define MAC_2X2_RQ_OUT_FOLDED(a) RQ_FAST_ASM(a) "ssat " a ", #8, " a "\n\t"
/* Locals: [sp] table, [sp + 4] table end, [sp + 8] groups, [sp + 12] o0,
 * [sp + 16] col; arguments from [sp + 60]. */
#define MAC_2X2_ROWS_RQ_ASM(LOAD_OFFSET, OUT) \
  "push {r4-r11, lr}\n\t"                                                                              \
  "sub sp, sp, #24\n\t"                                                                                \
  "str r3, [sp]\n\t"                                                                                   \
  "str r2, [sp, #8]\n\t"                                                                               \
  "str r1, [sp, #16]\n\t"                                                                              \
  "ldr r2, [sp, #60]\n\t"                                                                              \
  "add r3, r3, r2, lsl #5\n\t"                                                                         \
  "str r3, [sp, #4]\n\t"                                                                               \
  "ldr r3, [sp, #68]\n\t"                                                                              \
  "str r3, [sp, #12]\n"                                                                                \
  "3:\n\t"                                                                                             \
  "ldr r12, [sp, #64]\n\t"                                                                             \
  "add r12, r0, r12\n\t"                                                                               \
  "ldr lr, [sp]\n\t"                                                                                   \
  "ldm lr!, {r4, r6}\n\t"                                                                              \
  "str lr, [sp]\n\t"                                                                                   \
  "mov r5, r4\n\t"                                                                                     \
  "mov r7, r6\n\t" /* groups % 4 first (one, then two), then four per pass: 15.5 per 16 MACs */       \
  "ldr r3, [sp, #8]\n\t"                                                                               \
  "tst r3, #1\n\t"                                                                                     \
  "beq 4f\n\t" MAC_2X2_GROUP "4:\n\t"                                                               \
  "tst r3, #2\n\t"                                                                                     \
  "beq 5f\n\t" MAC_2X2_GROUP MAC_2X2_GROUP "5:\n\t"                                              \
  "lsrs r3, r3, #2\n\t"                                                                                \
  "beq 2f\n"                                                                                           \
  "1:\n\t" MAC_2X2_GROUP MAC_2X2_GROUP MAC_2X2_GROUP MAC_2X2_GROUP "subs r3, r3, #1\n\t"   \
  "bne 1b\n"                                                                                           \
  "2:\n\t"                                                                                             \
  "ldr lr, [sp]\n\t" LOAD_OFFSET "ldm lr!, {r8, r9, r10}\n\t" OUT("r4") OUT("r5")                      \
  "ldm lr!, {r8, r9, r10}\n\t" OUT("r6") OUT("r7") "str lr, [sp]\n\t"                                  \
  "ldr r2, [sp, #12]\n\t"                                                                              \
  "ldr r3, [sp, #72]\n\t"                                                                              \
  "strb r5, [r2, r3]\n\t"                                                                              \
  "strb r4, [r2], #1\n\t"                                                                              \
  "strb r7, [r2, r3]\n\t"                                                                              \
  "strb r6, [r2], #1\n\t"                                                                              \
  "str r2, [sp, #12]\n\t"                                                                              \
  "ldr r1, [sp, #16]\n\t"                                                                              \
  "mov r0, r12\n\t"                                                                                    \
  "ldr r2, [sp, #4]\n\t"                                                                               \
  "cmp lr, r2\n\t"                                                                                     \
  "bne 3b\n\t"                                                                                         \
  "add sp, sp, #24\n\t"                                                                                \
  "pop {r4-r11, pc}\n\t"
__attribute__((naked, noinline)) static void mac_2x2_rows_rq(
    const int8_t *w __attribute__((unused)), const int16_t *col __attribute__((unused)), int32_t groups __attribute__((unused)),
    const int32_t *table __attribute__((unused)), int32_t pairs __attribute__((unused)), int32_t depth __attribute__((unused)),
    int8_t *o0 __attribute__((unused)), int32_t out_c __attribute__((unused)), int32_t offset __attribute__((unused))) {
  __asm__ volatile(MAC_2X2_ROWS_RQ_ASM("ldr r3, [sp, #76]\n\t", MAC_2X2_RQ_OUT));
}
__attribute__((naked, noinline)) static void mac_2x2_rows_rq_folded(
    const int8_t *w __attribute__((unused)), const int16_t *col __attribute__((unused)), int32_t groups __attribute__((unused)),
    const int32_t *table __attribute__((unused)), int32_t pairs __attribute__((unused)), int32_t depth __attribute__((unused)),
    int8_t *o0 __attribute__((unused)), int32_t out_c __attribute__((unused)), int32_t offset __attribute__((unused))) {
  __asm__ volatile(MAC_2X2_ROWS_RQ_ASM("", MAC_2X2_RQ_OUT_FOLDED));
}
#undef MAC_2X2_ROWS_RQ_ASM
#undef MAC_2X2_GROUP
#undef MAC_2X2_RQ_OUT
#undef MAC_2X2_RQ_OUT_FOLDED
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

#endif

#if !TB_WASM_SIMD
/* The first byte of the receptive field of output pixel (b, oy, ox) when it
 * lies inside the input (rows of fw * in_c bytes, in->w * in_c apart), else NULL. */
static const int8_t *inside_window(const tb_conv_params *p, const tb_dims *in, const int8_t *input, const tb_dims *filter, int b, int oy,
                                   int ox) {
  const int x0 = ox * p->stride_w - p->pad_w, y0 = oy * p->stride_h - p->pad_h;
  if (p->dilation_w != 1 || p->dilation_h != 1 || x0 < 0 || x0 + filter->w > in->w || y0 < 0 || y0 + filter->h > in->h) return NULL;
  return input + (((size_t)b * in->h + y0) * in->w + x0) * in->c;
}

/* What pair_columns needs of a layer, set once per kernel call. */
typedef struct {
  const tb_conv_params *p;
  const tb_dims *in, *filter, *out;
  const int8_t *input;
  int16_t *col;
  int8_t *stage;
  int32_t depth, grouped, dpad, run, row_step;
  uint32_t off2;
  int pointwise, padded, staged2;
} conv_src;

/* `padded`: the fields are padded with zero points (which widen to 0) to the
 * next multiple of four, for weights padded alike. `staged2`: stage holds
 * two fields, so every pair not widened straight from the input is staged
 * (rows of inside windows copied, others gathered) and widened together;
 * else border columns go one by one through one staged field. */
static conv_src conv_src_of(const tb_conv_params *p, const tb_dims *in, const int8_t *input, const tb_dims *filter, const tb_dims *out,
                            int padded, int staged2, int16_t *col, int8_t *stage) {
  conv_src c;
  c.p = p, c.in = in, c.filter = filter, c.out = out, c.input = input, c.col = col, c.stage = stage;
  c.depth = conv_depth(filter), c.grouped = column_layout(c.depth), c.dpad = (c.depth + 3) & ~3;
  c.run = filter->w * in->c, c.row_step = in->w * in->c;
  c.off2 = tb_pair_splat(p->input_offset);
  c.pointwise = filter->h == 1 && filter->w == 1 && p->stride_w == 1 && p->stride_h == 1 && p->pad_w == 0 && p->pad_h == 0 &&
                in->h == out->h && in->w == out->w;
  c.padded = padded, c.staged2 = staged2;
  return c;
}

/* n bytes (n >= 4) with word copies, the last one overlapping the one before. */
static inline void copy_run(int8_t *d, const int8_t *s, int32_t n) {
  int32_t i = 0;
  for (; i + 4 < n; i += 4) tb_store32(d + i, tb_load32(s + i));
  tb_store32(d + n - 4, tb_load32(s + n - 4));
}

/* `rows` runs of run (>= 4) bytes, step bytes apart, one after another into d. */
static void stage_rows(int8_t *d, const int8_t *s, int32_t rows, int32_t run, int32_t step) {
  for (; rows > 0; --rows, d += run, s += step) copy_run(d, s, run);
}

/* Both columns of a pixel pair of a 3x3 RGB layer (rows of 9 bytes, step
 * apart, from w0 and w1) widened straight from the input: the 27 elements
 * in seven groups of four, the groups that straddle two rows assembled from
 * a byte or halfword and a shifted load; the 28th element is 0 + offset
 * (its weight is 0). Per group 2-6 loads and ORRs, four SXTAB16, one STM:
 * about 70 instructions per pair instead of about 190 staged. */
#if TB_SIMD_DSP
#define RGB_WIDEN                    \
  "sxtab16 r3, r12, r8\n\t"          \
  "sxtab16 r10, r12, r8, ror #8\n\t" \
  "sxtab16 r11, r12, r9\n\t"         \
  "sxtab16 lr, r12, r9, ror #8\n\t"  \
  "stm r0!, {r3, r10, r11, lr}\n\t"
__attribute__((naked, noinline)) static void widen_rgb3x3_pair(int16_t *col __attribute__((unused)),
                                                               const int8_t *w0 __attribute__((unused)),
                                                               const int8_t *w1 __attribute__((unused)),
                                                               int32_t step __attribute__((unused)),
                                                               uint32_t off2 __attribute__((unused))) {
  __asm__ volatile(
      "push {r4-r11, lr}\n\t"
      "ldr r12, [sp, #36]\n\t"
      "add r4, r1, r3\n\t"
      "add r5, r4, r3\n\t"
      "add r6, r2, r3\n\t"
      "add r7, r6, r3\n\t"
      "ldr r8, [r1]\n\t"
      "ldr r9, [r2]\n\t" RGB_WIDEN
      "ldr r8, [r1, #4]\n\t"
      "ldr r9, [r2, #4]\n\t" RGB_WIDEN
      "ldrb r8, [r1, #8]\n\t"
      "ldr r3, [r4]\n\t"
      "orr r8, r8, r3, lsl #8\n\t"
      "ldrb r9, [r2, #8]\n\t"
      "ldr r3, [r6]\n\t"
      "orr r9, r9, r3, lsl #8\n\t" RGB_WIDEN
      "ldr r8, [r4, #3]\n\t"
      "ldr r9, [r6, #3]\n\t" RGB_WIDEN
      "ldrh r8, [r4, #7]\n\t"
      "ldrh r3, [r5]\n\t"
      "orr r8, r8, r3, lsl #16\n\t"
      "ldrh r9, [r6, #7]\n\t"
      "ldrh r3, [r7]\n\t"
      "orr r9, r9, r3, lsl #16\n\t" RGB_WIDEN
      "ldr r8, [r5, #2]\n\t"
      "ldr r9, [r7, #2]\n\t" RGB_WIDEN
      "ldrh r8, [r5, #6]\n\t"
      "ldrb r3, [r5, #8]\n\t"
      "orr r8, r8, r3, lsl #16\n\t"
      "ldrh r9, [r7, #6]\n\t"
      "ldrb r3, [r7, #8]\n\t"
      "orr r9, r9, r3, lsl #16\n\t" RGB_WIDEN "pop {r4-r11, pc}\n\t");
}
#undef RGB_WIDEN
#else
static void widen_rgb3x3_pair(int16_t *col, const int8_t *w0, const int8_t *w1, int32_t step, uint32_t off2) {
  for (int32_t g = 0; g < 7; ++g, col += 8) {
    uint32_t a = 0, b = 0;
    for (int32_t i = 0; i < 4 && 4 * g + i < 27; ++i) {
      const int32_t k = 4 * g + i, at = (k / 9) * step + k % 9;
      a |= (uint32_t)(uint8_t)w0[at] << (8 * i), b |= (uint32_t)(uint8_t)w1[at] << (8 * i);
    }
    tb_store_pairs(col, tb_sxtab16(off2, a), tb_sxtab16_ror8(off2, a));
    tb_store_pairs(col + 4, tb_sxtab16(off2, b), tb_sxtab16_ror8(off2, b));
  }
}
#endif

/* Two fields of `rows` runs of run (>= 4) bytes, step bytes apart, from s0
 * and s1 into d and d + field, each followed by pad zero points. */
__attribute__((noinline)) static void stage_pair(int8_t *d, const int8_t *s0, const int8_t *s1, int32_t rows, int32_t run, int32_t step,
                                                 int32_t field, int32_t pad, int32_t zp) {
  int8_t *d1 = d + field;
  for (; rows > 0; --rows, d += run, d1 += run, s0 += step, s1 += step) copy_run(d, s0, run), copy_run(d1, s1, run);
  /* 1-3 bytes, stored one by one (gcc would call memset for a loop). */
  switch (pad) {
    case 3: d[2] = d1[2] = (int8_t)zp; /* fall through */
    case 2: d[1] = d1[1] = (int8_t)zp; /* fall through */
    case 1: d[0] = d1[0] = (int8_t)zp; /* fall through */
    default: break;
  }
}

typedef const int8_t *(*window_fn)(const tb_conv_params *, const tb_dims *, const int8_t *, const tb_dims *, int, int, int);
/* The window of pixel (b, oy, ox) by `window` (inside or interior), given
 * f0, the one of the pixel before it: in the same row, one stride on when
 * it ends inside the row. */
static inline const int8_t *next_window(const conv_src *c, const int8_t *f0, int b, int oy, int ox, window_fn window) {
  const tb_conv_params *const p = c->p;
  if (ox == 0) return window(p, c->in, c->input, c->filter, b, oy, ox);
  return ox * p->stride_w - p->pad_w + c->filter->w <= c->in->w ? f0 + p->stride_w * c->in->c : NULL;
}

/* Both columns of output pixels px and px + 1 (px in both when `two` is 0:
 * a lone last pixel, whose outputs are then stored once). */
static void pair_columns(const conv_src *c, int32_t px, int two) {
  const tb_conv_params *const p = c->p;
  const tb_dims *const in = c->in, *const filter = c->filter, *const out = c->out;
  const int32_t depth = c->depth;
  /* Pixel px at (b, oy, ox); px + 1 one column on, wrapping to the next row and batch (px again when alone). */
  int b[2] = {0, 0}, oy[2] = {0, 0}, ox[2] = {0, 0};
  if (!c->pointwise) {
    const int32_t r = px / out->w;
    ox[0] = px - r * out->w, b[0] = r / out->h, oy[0] = r - b[0] * out->h;
    b[1] = b[0], oy[1] = oy[0], ox[1] = ox[0];
    if (two && ++ox[1] == out->w) {
      ox[1] = 0;
      if (++oy[1] == out->h) oy[1] = 0, ++b[1];
    }
  }
  /* Both pixels' fields straight from the input (1x1 layers with depth % 4 == 0, interior windows). */
  const int8_t *f0 = NULL, *f1 = NULL;
  if (!c->padded && c->pointwise && (depth & 3) == 0) f0 = c->input + (size_t)px * depth, f1 = two ? f0 + depth : f0;
  else if (!c->padded && !c->pointwise) {
    f0 = interior_window(p, in, c->input, filter, b[0], oy[0], ox[0]);
    if (f0) f1 = two ? next_window(c, f0, b[1], oy[1], ox[1], interior_window) : f0;
  }
  if (f0 && f1) {
    if (c->pointwise) widen_pair_rows(c->col, f0, f1, depth >> 2, 1, 0, c->off2);
    else widen_pair_rows(c->col, f0, f1, c->run >> 2, filter->h, c->row_step, c->off2);
    return;
  }
  if (c->padded && !c->pointwise && c->run >= 4 && (f0 = inside_window(p, in, c->input, filter, b[0], oy[0], ox[0])) != NULL &&
      (f1 = two ? next_window(c, f0, b[1], oy[1], ox[1], inside_window) : f0) != NULL) {
    /* Both windows inside (RGB first layers): 3x3x3 ones widened from the rows directly, others staged in one pass. */
    if (c->run == 9 && filter->h == 3) widen_rgb3x3_pair(c->col, f0, f1, c->row_step, c->off2);
    else {
      stage_pair(c->stage, f0, f1, filter->h, c->run, c->row_step, stage_field(depth), c->dpad - depth, -p->input_offset);
      widen_pair_rows(c->col, c->stage, c->stage + stage_field(depth), c->dpad >> 2, 1, 0, c->off2);
    }
    return;
  }
  if (c->staged2 || c->padded) {
    const int32_t run = c->run, rows = filter->h, step = c->row_step, pad = c->dpad - depth;
    const int8_t zp = (int8_t)-p->input_offset;
    for (int j = 0; j < 2; ++j) {
      int8_t *const field = c->stage + j * stage_field(depth);
      const int8_t *w = NULL;
      if (c->pointwise) copy_bytes(field, c->input + (size_t)(px + (two ? j : 0)) * depth, depth);
      else if (run >= 4 && (w = inside_window(p, in, c->input, filter, b[j], oy[j], ox[j])) != NULL) stage_rows(field, w, rows, run, step);
      else gather(p, in, c->input, filter, b[j], oy[j], ox[j], field);
      for (int32_t k = 0; k < pad; ++k) ((volatile int8_t *)field)[depth + k] = zp; /* 1-3 bytes (volatile: no memset call) */
    }
    widen_pair_rows(c->col, c->stage, c->stage + stage_field(depth), c->dpad >> 2, 1, 0, c->off2);
    return;
  }
  for (int j = 0; j < 2; ++j) {
    if (c->pointwise) widen_column(c->col, j, c->input + (size_t)(px + (two ? j : 0)) * depth, depth, c->grouped, p->input_offset);
    else im2col_column(p, in, c->input, filter, b[j], oy[j], ox[j], c->col, j, depth, c->grouped, c->stage);
  }
}
#endif

#if !TB_WASM_SIMD
/* ---- 2x2 blocks over weights widened once per call ----------------------
 * The layer's weights, widened to int16 pairs in the SXTB16 order of the
 * columns, go to scratch once per kernel call (per chunk of channel pairs
 * when they do not fit WIDE_BUDGET bytes), so a group of 16 MACs is one LDM
 * of both columns' four pairs, one LDM of both rows' four pairs and eight
 * SMLAD: 10 instructions instead of 15 with SXTB16 per use. One stream per
 * chunk walks every channel pair: {ba, ba, bb, bb} (the four sums start at
 * the biases), groups x {wa 0 2, wa 1 3, wb 0 2, wb 1 3}, then a word that
 * is nonzero when another pair follows and the fast requantization of both
 * channels {m2, half, right} x 2. Full output range only; channel pairs
 * of at most WIDE_MAX_GROUPS groups of four (the unrolled loop's length). */
#define WIDE_MAX_GROUPS 144
/* 12 KB: ic01's 64-channel 3x3 layers in 7 chunks (6 KB: 16 chunks, about 12 % more instructions on ic01). */
#ifndef TB_CONV_WIDE_BUDGET
#define TB_CONV_WIDE_BUDGET 12288
#endif
#define WIDE_BUDGET TB_CONV_WIDE_BUDGET
#define WIDE_STR2(x) #x
#define WIDE_STR(x) WIDE_STR2(x)
/* Stream words of one channel pair. */
static int32_t wide_pair_words(int32_t groups) { return 4 + 4 * groups + 7; }
static int wide_shape_ok(const tb_conv_params *p, const tb_dims *filter, const tb_dims *out) {
  const int32_t groups = (conv_depth(filter) + 3) >> 2;
  return p->act_min == -128 && p->act_max == 127 && out->c >= 2 && groups >= 1 && groups <= WIDE_MAX_GROUPS;
}
/* Channel pairs per chunk: as many as fit the budget, at least one. */
static int32_t wide_chunk_pairs(int32_t groups, int32_t pairs) {
  const int32_t fit = WIDE_BUDGET / (int32_t)(sizeof(int32_t) * (size_t)wide_pair_words(groups));
  return fit < 1 ? 1 : fit < pairs ? fit : pairs;
}
static size_t wide_stream_size(int32_t groups, int32_t pairs) {
  return ((size_t)wide_chunk_pairs(groups, pairs) * (size_t)wide_pair_words(groups) * sizeof(int32_t) + 15u) & ~(size_t)15u;
}
static size_t wide_scratch_size(const tb_dims *filter, const tb_dims *out) {
  const int32_t depth = conv_depth(filter), dpad = (depth + 3) & ~3;
  return wide_stream_size(dpad >> 2, out->c >> 1) + columns_size(dpad, 2) * sizeof(int16_t) + 2u * stage_field(depth);
}

/* `groups` (>= 1) groups of four weights of rows wa and wb into the stream,
 * {wa 0 2, wa 1 3, wb 0 2, wb 1 3} each; returns the end. */
#if TB_SIMD_DSP
/* Two loads, four SXTB16 and one STM per group: 9 instructions per 8 weights (gcc: 15). */
__attribute__((naked, noinline)) static int32_t *widen_weight_rows(int32_t *s __attribute__((unused)),
                                                                   const int8_t *wa __attribute__((unused)),
                                                                   const int8_t *wb __attribute__((unused)),
                                                                   int32_t groups __attribute__((unused))) {
  __asm__ volatile(
      "push {r4-r9}\n"
      "1:\n\t"
      "ldr r4, [r1], #4\n\t"
      "ldr r5, [r2], #4\n\t"
      "sxtb16 r6, r4\n\t"
      "sxtb16 r7, r4, ror #8\n\t"
      "sxtb16 r8, r5\n\t"
      "sxtb16 r9, r5, ror #8\n\t"
      "stm r0!, {r6-r9}\n\t"
      "subs r3, r3, #1\n\t"
      "bne 1b\n\t"
      "pop {r4-r9}\n\t"
      "bx lr\n\t");
}
#else
static int32_t *widen_weight_rows(int32_t *s, const int8_t *wa, const int8_t *wb, int32_t groups) {
  for (; groups > 0; --groups, wa += 4, wb += 4, s += 4) {
    const uint32_t ua = tb_load32(wa), ub = tb_load32(wb);
    s[0] = (int32_t)tb_sxtb16(ua), s[1] = (int32_t)tb_sxtb16_ror8(ua), s[2] = (int32_t)tb_sxtb16(ub), s[3] = (int32_t)tb_sxtb16_ror8(ub);
  }
  return s;
}
#endif

/* The stream of n channel pairs from output channel oc on; rows padded with
 * zero weights to dpad. `folded`: each half holds half + offset * 2^right. */
static void wide_stream(int32_t *s, const int8_t *weights, const int32_t *bias, const tb_requant *q, int32_t oc, int32_t n, int32_t depth,
                        int32_t dpad, int folded, int32_t offset) {
  for (int32_t i = 0; i < n; ++i, oc += 2) {
    const int32_t ba = bias ? bias[oc] : 0, bb = bias ? bias[oc + 1] : 0;
    s[0] = s[1] = ba, s[2] = s[3] = bb, s += 4;
    const int8_t *wa = weights + (size_t)oc * depth, *wb = wa + depth;
    const int32_t whole = depth >> 2;
    if (whole) s = widen_weight_rows(s, wa, wb, whole);
    if (dpad > depth) {
      /* The last 1-3 weights of each row, then zeros. */
      int8_t ta[4] = {0, 0, 0, 0}, tb[4] = {0, 0, 0, 0};
      memcpy(ta, wa + 4 * whole, (size_t)(depth & 3)), memcpy(tb, wb + 4 * whole, (size_t)(depth & 3));
      s = widen_weight_rows(s, ta, tb, 1);
    }
    *s++ = i + 1 < n;
    for (int j = 0; j < 2; ++j, s += 3) {
      const tb_fast_rq e = tb_fast_rq_of(q->multiplier[(oc + j) * q->stride], q->shift[(oc + j) * q->stride]);
      s[0] = e.m2, s[1] = e.half + (folded ? offset * (int32_t)(1u << e.right) : 0), s[2] = e.right;
    }
  }
}

/* What wide_rows_rq needs beyond the pixel pair (word offsets fixed: the assembly reads them). */
typedef struct {
  int32_t offset;     /* the output offset (unfolded only) */
  int32_t folded;     /* the stream's halves hold the offset */
  int32_t more;       /* further whole pixel pairs of a 1x1 layer to run through */
  const int8_t *next; /* their input, 2 x groups x 4 bytes per pixel pair */
  int32_t out_c;      /* their outputs 2 x out_c bytes apart */
  uint32_t off2;      /* the input offset in both lanes */
} wide_call;

#if TB_SIMD_DSP
/* RQ_FAST_REGS, then the output offset (OFF) and SSAT. */
#define WIDE_RQ(a, m, h, r, t, OFF) RQ_FAST_REGS(a, m, h, r, t) OFF "ssat " a ", #8, " a "\n\t"
#define WIDE_OFF(a) "add " a ", " a ", lr\n\t"
/* One stream's epilogue: the constants, four outputs (the unfolded one adds
 * the offset from lr), the stores, then the next pair or the pixel pair's end. */
#define WIDE_EPILOGUE(LOAD_OFF, OFF4, OFF5, OFF6, OFF7, T) \
  "ldm r0!, {r1, r2, r3, r8, r9, r10, r12}\n\t" LOAD_OFF             \
  WIDE_RQ("r4", "r2", "r3", "r8", "r11", OFF4)                       \
  WIDE_RQ("r5", "r2", "r3", "r8", T, OFF5)                           \
  WIDE_RQ("r6", "r9", "r10", "r12", "r11", OFF6)                     \
  WIDE_RQ("r7", "r9", "r10", "r12", T, OFF7)                         \
  "ldrd r2, r3, [sp, #8]\n\t"                                        \
  "strb r4, [r2], #1\n\t"                                            \
  "strb r6, [r2], #1\n\t"                                            \
  "strb r5, [r3], #1\n\t"                                            \
  "strb r7, [r3], #1\n\t"                                            \
  "strd r2, r3, [sp, #8]\n\t"                                        \
  "cbnz r1, 4f\n\t"                                                  \
  "b 7f\n"                                                           \
  "4:\n\t" WIDE_PAIR_START
/* A pair's start: the sums at the biases, the columns' start, the jump into the groups. */
#define WIDE_PAIR_START  \
  "ldm r0!, {r4-r7}\n\t" \
  "ldr r1, [sp]\n\t"     \
  "ldr pc, [sp, #4]\n"
/* Every pair of a stream for one pixel pair, then for k->more further
 * pixel pairs of a 1x1 layer, whose columns it widens itself. The group
 * loop is unrolled WIDE_MAX_GROUPS times with no counter (all 14 registers
 * hold sums, pairs and pointers); each pair jumps to the group `groups`
 * before its end, whose last instruction jumps to the epilogue (folded or
 * not). r0 stream, r1 col, r2 groups (1 .. WIDE_MAX_GROUPS), r3 o0 (pixel
 * 0's outputs of the first pair), [sp] o1 (pixel 1's; o0 for a lone pixel),
 * [sp + 4] k. Locals: [sp] col, [sp + 4] the entry, [sp + 8] o0, [sp + 12]
 * o1, [sp + 16] offset, [sp + 20] epilogue, [sp + 24] stream, [sp + 28]
 * this pixel pair's o0, [sp + 32] groups, [sp + 36] more, [sp + 40] next,
 * [sp + 44] out_c, [sp + 48] off2; the arguments from [sp + 92]. */
__attribute__((naked, noinline)) static void wide_rows_rq(const int32_t *s __attribute__((unused)),
                                                          const int16_t *col __attribute__((unused)),
                                                          int32_t groups __attribute__((unused)), int8_t *o0 __attribute__((unused)),
                                                          int8_t *o1 __attribute__((unused)), const wide_call *k __attribute__((unused))) {
  __asm__ volatile(
      "b 8f\n"
      ".rept " WIDE_STR(WIDE_MAX_GROUPS) "\n\t"
      "ldm r1!, {r8-r11}\n\t"
      "ldm r0!, {r2, r3, r12, lr}\n\t"
      "smlad r4, r2, r8, r4\n\t"
      "smlad r4, r3, r9, r4\n\t"
      "smlad r5, r2, r10, r5\n\t"
      "smlad r5, r3, r11, r5\n\t"
      "smlad r6, r12, r8, r6\n\t"
      "smlad r6, lr, r9, r6\n\t"
      "smlad r7, r12, r10, r7\n\t"
      "smlad r7, lr, r11, r7\n\t"
      ".endr\n"
      "9:\n\t"
      "ldr pc, [sp, #20]\n"
      "8:\n\t"
      "push {r4-r11, lr}\n\t"
      "sub sp, sp, #56\n\t"
      "str r1, [sp]\n\t"
      "str r0, [sp, #24]\n\t"
      "str r3, [sp, #28]\n\t"
      "str r2, [sp, #32]\n\t"
      "adr r12, 9b\n\t"
      "add r12, r12, #1\n\t"
      "sub r12, r12, r2, lsl #5\n\t"
      "sub r12, r12, r2, lsl #3\n\t"
      "str r12, [sp, #4]\n\t"
      "ldrd r12, lr, [sp, #92]\n\t"
      "strd r3, r12, [sp, #8]\n\t"
      "ldm lr, {r4-r9}\n\t"
      "str r4, [sp, #16]\n\t"
      "add r12, sp, #36\n\t"
      "stm r12, {r6-r9}\n\t"
      "mov r12, r5\n\t"
      "adr r2, 5f\n\t"
      "adr r3, 6f\n\t"
      "cmp r12, #0\n\t"
      "it eq\n\t"
      "moveq r2, r3\n\t"
      "add r2, r2, #1\n\t"
      "str r2, [sp, #20]\n"
      "1:\n\t" WIDE_PAIR_START
      ".balign 4\n"
      "5:\n\t" WIDE_EPILOGUE("", "", "", "", "", "lr")
      ".balign 4\n"
      "6:\n\t" WIDE_EPILOGUE("ldr lr, [sp, #16]\n\t", WIDE_OFF("r4"), WIDE_OFF("r5"), WIDE_OFF("r6"), WIDE_OFF("r7"), "r11")
      /* The next pixel pair of a 1x1 layer: its outputs 2 x out_c on, its columns widened from next. */
      "7:\n\t"
      "ldr r3, [sp, #36]\n\t"
      "cbz r3, 3f\n\t"
      "subs r3, r3, #1\n\t"
      "str r3, [sp, #36]\n\t"
      "ldr r2, [sp, #28]\n\t"
      "ldr r3, [sp, #44]\n\t"
      "add r2, r2, r3, lsl #1\n\t"
      "str r2, [sp, #28]\n\t"
      "add r3, r2, r3\n\t"
      "strd r2, r3, [sp, #8]\n\t"
      "ldr r1, [sp, #40]\n\t"
      "ldr lr, [sp, #32]\n\t"
      "add r2, r1, lr, lsl #2\n\t"
      "add r3, r2, lr, lsl #2\n\t"
      "str r3, [sp, #40]\n\t"
      "ldr r3, [sp]\n\t"
      "ldr r8, [sp, #48]\n"
      "2:\n\t"
      "ldr r4, [r1], #4\n\t"
      "ldr r5, [r2], #4\n\t"
      "sxtab16 r6, r8, r4\n\t"
      "sxtab16 r7, r8, r4, ror #8\n\t"
      "sxtab16 r9, r8, r5\n\t"
      "sxtab16 r10, r8, r5, ror #8\n\t"
      "stm r3!, {r6, r7, r9, r10}\n\t"
      "subs lr, lr, #1\n\t"
      "bne 2b\n\t"
      "ldr r0, [sp, #24]\n\t"
      "b 1b\n"
      "3:\n\t"
      "add sp, sp, #56\n\t"
      "pop {r4-r11, pc}\n\t");
}
#undef WIDE_EPILOGUE
#undef WIDE_PAIR_START
#undef WIDE_OFF
#undef WIDE_RQ
#else
static inline int8_t wide_out(int32_t a, const int32_t *c, int32_t offset, int folded) {
  const int32_t y = tb_smmlar(a, c[0], (int32_t)((uint32_t)a + (uint32_t)(a >> 31)));
  const int32_t v = (int32_t)((uint32_t)c[1] + (uint32_t)(y >> 1)) >> c[2];
  return (int8_t)tb_ssat(v + (folded ? 0 : offset), 8);
}
/* wide_rows_rq's arithmetic in C, pair by pair, pixel pair by pixel pair. */
static void wide_rows_rq(const int32_t *const stream, int16_t *col, int32_t groups, int8_t *o0, int8_t *o1, const wide_call *k) {
  const int32_t *s = stream;
  int8_t *base = o0;
  const int32_t offset = k->offset, folded = k->folded, out_c = k->out_c;
  int32_t more = k->more;
  const int8_t *next = k->next;
  for (;;) {
    int32_t a00 = s[0], a01 = s[1], a10 = s[2], a11 = s[3];
    s += 4;
    for (int32_t g = 0; g < groups; ++g, s += 4) {
      uint32_t x0, x0h, x1, x1h;
      tb_load_pairs(col + 8 * g, &x0, &x0h);
      tb_load_pairs(col + 8 * g + 4, &x1, &x1h);
      const uint32_t wa0 = (uint32_t)s[0], wa1 = (uint32_t)s[1], wb0 = (uint32_t)s[2], wb1 = (uint32_t)s[3];
      a00 = tb_smlad(wa1, x0h, tb_smlad(wa0, x0, a00));
      a01 = tb_smlad(wa1, x1h, tb_smlad(wa0, x1, a01));
      a10 = tb_smlad(wb1, x0h, tb_smlad(wb0, x0, a10));
      a11 = tb_smlad(wb1, x1h, tb_smlad(wb0, x1, a11));
    }
    const int32_t another = s[0];
    *o0++ = wide_out(a00, s + 1, offset, folded), *o0++ = wide_out(a10, s + 4, offset, folded);
    *o1++ = wide_out(a01, s + 1, offset, folded), *o1++ = wide_out(a11, s + 4, offset, folded);
    s += 7;
    if (another) continue;
    if (!more--) return;
    base += 2 * out_c, o0 = base, o1 = base + out_c;
    widen_pair_rows(col, next, next + 4 * groups, groups, 1, 0, k->off2);
    next += 8 * groups, s = stream;
  }
}
#endif

/* The whole layer through the stream when its shape and requantization
 * allow (0: the caller's paths take it): chunk by chunk of channel pairs,
 * every pixel pair's columns are widened and meet the chunk's stream. An odd
 * last channel is computed from the same columns in C. */
static int wide_conv(const tb_conv_params *p, const tb_requant *q, const tb_dims *in, const int8_t *input, const tb_dims *filter,
                     const int8_t *weights, const int32_t *bias, const tb_dims *out, int8_t *output, void *scratch) {
  if (!wide_shape_ok(p, filter, out)) return 0;
  REQUANT_LOCALS(q, p);
  const int32_t out_c = out->c;
  int folded;
  if (!fast_channels(q, out_c, &folded)) return 0;
  const int32_t depth = conv_depth(filter), dpad = (depth + 3) & ~3, groups = dpad >> 2, pairs = out_c >> 1;
  const int32_t chunk = wide_chunk_pairs(groups, pairs);
  int32_t *const stream = (int32_t *)scratch;
  int16_t *const col = (int16_t *)(void *)((char *)scratch + wide_stream_size(groups, pairs));
  int8_t *const stage = (int8_t *)(col + columns_size(dpad, 2));
  const int32_t pixels = out->n * out->h * out->w;
  const conv_src src = conv_src_of(p, in, input, filter, out, depth & 3, 1, col, stage);
  /* 1x1 layers whose pixels are whole groups: both columns straight from the input, no call per pair. */
  const int direct = src.pointwise && (depth & 3) == 0;
  wide_call k = {rq_offset, folded, 0, NULL, out_c, src.off2};
  for (int32_t c0 = 0; c0 < pairs; c0 += chunk) {
    const int32_t n = pairs - c0 < chunk ? pairs - c0 : chunk;
    const int odd = (out_c & 1) && c0 + n == pairs;
    wide_stream(stream, weights, bias, q, 2 * c0, n, depth, dpad, folded, rq_offset);
    for (int32_t px = 0; px < pixels; px += 2) {
      const int two = px + 1 < pixels;
      /* The kernel runs on through the further whole pixel pairs of a 1x1 layer itself. */
      if (direct) {
        k.more = !odd && two ? ((pixels - px) >> 1) - 1 : 0;
        k.next = k.more ? input + (size_t)(px + 2) * depth : input; /* no pointer past the input's end */
        widen_pair_rows(col, input + (size_t)px * depth, input + (size_t)(px + two) * depth, groups, 1, 0, src.off2);
      } else pair_columns(&src, px, two);
      int8_t *const o0 = output + (size_t)px * out_c, *const o1 = two ? o0 + out_c : o0;
      wide_rows_rq(stream, col, groups, o0 + 2 * c0, o1 + 2 * c0, &k);
      px += 2 * k.more;
      if (odd) {
        const int32_t oc = out_c - 1;
        const int8_t *w = weights + (size_t)oc * depth;
        int32_t a0 = bias ? bias[oc] : 0, a1 = a0;
        for (int32_t k = 0; k < depth; ++k) a0 += w[k] * col[column_slot(k, 0, 2, dpad)], a1 += w[k] * col[column_slot(k, 1, 2, dpad)];
        o0[oc] = REQUANT(a0, oc);
        o1[oc] = REQUANT(a1, oc);
      }
    }
  }
  return 1;
}
#endif

size_t tb_conv_s8_scratch_opt(const tb_conv_params *p, const tb_dims *in, const tb_dims *filter, const tb_dims *out) {
  (void)in;
#if TB_WASM_SIMD
  /* tb_opt_wasm.h: a requantization table (64 bytes per output channel), four widened rows, then eight interleaved. */
  return (size_t)out->c * 64 + columns_size(conv_depth(filter), 12) * sizeof(int16_t);
#endif
  const size_t base = requant_region_size(out->c) + columns_size(conv_depth(filter), 2) * sizeof(int16_t) +
                      stage_size(conv_depth(filter), out->c) + padded_weights_size(out->c, conv_depth(filter));
  /* The stream path's scratch, when the shape allows it (its requantization may still send the call to the others). */
#if !TB_WASM_SIMD
  const size_t wide = wide_shape_ok(p, filter, out) ? wide_scratch_size(filter, out) : 0;
  return base > wide ? base : wide;
#else
  return (void)p, base;
#endif
}

void tb_conv_s8_opt(const tb_conv_params *p, const tb_requant *q, const tb_dims *in, const int8_t *input, const tb_dims *filter,
                    const int8_t *weights, const int32_t *bias, const tb_dims *out, int8_t *output, void *scratch) {
#if TB_WASM_SIMD
  if (wasm_conv(p, q, in, input, filter, weights, bias, out, output, scratch)) return;
#endif
#if !TB_WASM_SIMD
  if (wide_conv(p, q, in, input, filter, weights, bias, out, output, scratch)) return;
#endif
  REQUANT_LOCALS(q, p);
  const int32_t depth = conv_depth(filter), grouped = column_layout(depth);
  const int out_c = out->c;
  const int full = rq_lo == -128 && rq_hi == 127;
#if TB_SIMD_DSP
  /* With the full output range, the fused kernel's table of channel pairs
   * (biases, then fast constants) replaces the fast table and the raw sums;
   * the few outputs outside it (a lone last pixel, an odd last channel) take
   * the exact path. */
  int folded = 0;
  const int fast_ok = full && out_c >= 2 && fast_channels(q, out_c, &folded);
  int32_t *const ptab = fast_ok ? (int32_t *)scratch : NULL;
  folded = folded && ptab != NULL;
  if (ptab)
    for (int oc = 0; oc + 1 < out_c; oc += 2) {
      int32_t *t = ptab + 4 * oc;
      const tb_fast_rq ea = tb_fast_rq_of(rq_mult[oc * rq_stride], rq_shift[oc * rq_stride]);
      const tb_fast_rq eb = tb_fast_rq_of(rq_mult[(oc + 1) * rq_stride], rq_shift[(oc + 1) * rq_stride]);
      t[0] = bias ? bias[oc] : 0, t[1] = bias ? bias[oc + 1] : 0;
      t[2] = ea.m2, t[3] = ea.half + (folded ? rq_offset * (int32_t)(1u << ea.right) : 0), t[4] = ea.right;
      t[5] = eb.m2, t[6] = eb.half + (folded ? rq_offset * (int32_t)(1u << eb.right) : 0), t[7] = eb.right;
    }
  const tb_fast_rq *const fq = ptab ? NULL : fast_table(scratch, q, out_c);
#else
  const tb_fast_rq *const fq = fast_table(scratch, q, out_c);
#endif
  int16_t *col = (int16_t *)((char *)scratch + requant_region_size(out_c));
#if !TB_WASM_SIMD
  int8_t *stage = (int8_t *)(col + columns_size(depth, 2));
#endif
#if TB_SIMD_DSP
  int32_t *raw = (int32_t *)(void *)((char *)scratch + fast_table_size(out_c));
  int8_t *const wpad = padded_weights_size(out_c, depth) && (fq || ptab) ? (int8_t *)(stage + stage_size(depth, out_c)) : NULL;
  const int32_t dpad = (depth + 3) & ~3;
  if (wpad)
    for (int oc = 0; oc < out_c; ++oc) {
      memcpy(wpad + (size_t)oc * dpad, weights + (size_t)oc * depth, (size_t)depth);
      memset(wpad + (size_t)oc * dpad + depth, 0, (size_t)(dpad - depth));
    }
  /* From here on the weights, their depth and the column layout are the padded ones. */
  const int8_t *const wts = wpad ? wpad : weights;
  const int32_t wdepth = wpad ? dpad : depth, wgrouped = wpad ? dpad : grouped;
#else
  const int8_t *const wts = weights, *const wpad = NULL;
  const int32_t wdepth = depth, wgrouped = grouped;
  (void)wpad;
#endif
  const int32_t pixels = out->n * out->h * out->w;
#if !TB_WASM_SIMD
  const conv_src src = conv_src_of(p, in, input, filter, out, wpad != NULL, 0, col, stage);
#else
  const int pointwise = filter->h == 1 && filter->w == 1 && p->stride_w == 1 && p->stride_h == 1 && p->pad_w == 0 && p->pad_h == 0 &&
                        in->h == out->h && in->w == out->w;
#endif
  for (int32_t px = 0; px < pixels; px += 2) {
    const int two = px + 1 < pixels;
#if !TB_WASM_SIMD
    pair_columns(&src, px, two);
#else
    /* A lone last pixel fills both columns and is stored once. */
    for (int j = 0; j < 2; ++j) {
      const int32_t i = two ? px + j : px;
      if (pointwise) widen_run(col, j, 2, 0, input + (size_t)i * depth, depth, p->input_offset, grouped);
      else im2col(p, in, input, filter, i / (out->h * out->w), (i / out->w) % out->h, i % out->w, col, j, grouped);
    }
#endif
    int8_t *o0 = output + (size_t)px * out_c, *o1 = o0 + out_c;
    int oc0 = 0;
#if TB_SIMD_DSP
    if (ptab && two && wdepth == wgrouped && wdepth > 0) {
      if (folded) mac_2x2_rows_rq_folded(wts, col, wdepth >> 2, ptab, out_c >> 1, wdepth, o0, out_c, rq_offset);
      else mac_2x2_rows_rq(wts, col, wdepth >> 2, ptab, out_c >> 1, wdepth, o0, out_c, rq_offset);
      oc0 = out_c & ~1;
    } else if (fq && two && wdepth == wgrouped && wdepth > 0 && out_c >= 2) {
      const int32_t pairs = out_c >> 1;
      mac_2x2_rows(wts, col, wdepth >> 2, raw, pairs, wdepth);
      for (int oc = 0; oc < 2 * pairs; oc += 2) {
        int32_t acc[4] = {raw[2 * oc], raw[2 * oc + 1], raw[2 * oc + 2], raw[2 * oc + 3]};
        if (bias) acc[0] += bias[oc], acc[1] += bias[oc], acc[2] += bias[oc + 1], acc[3] += bias[oc + 1];
        const tb_fast_rq *ea = fq + oc * rq_stride, *eb = ea + rq_stride;
        if (full) fast_block(o0 + oc, o1 + oc, acc, ea, eb, rq_offset, rq_lo, rq_hi, 1);
        else fast_block(o0 + oc, o1 + oc, acc, ea, eb, rq_offset, rq_lo, rq_hi, 0);
      }
      oc0 = 2 * pairs;
    }
#endif
    for (int oc = oc0; oc < out_c; oc += 2) {
      const int pair = oc + 1 < out_c;
      const int8_t *wa = wts + (size_t)oc * wdepth, *wb = pair ? wa + wdepth : wa;
      const int32_t ba = bias ? bias[oc] : 0, bb = bias && pair ? bias[oc + 1] : ba;
      int32_t acc[4] = {ba, ba, bb, bb};
      mac_2x2(wa, wb, col, wdepth, wgrouped, acc);
      if (fq && two && pair) {
        const tb_fast_rq *ea = fq + oc * rq_stride, *eb = ea + rq_stride;
        if (full) fast_block(o0 + oc, o1 + oc, acc, ea, eb, rq_offset, rq_lo, rq_hi, 1);
        else fast_block(o0 + oc, o1 + oc, acc, ea, eb, rq_offset, rq_lo, rq_hi, 0);
        continue;
      }
      if (fq) {
        const tb_fast_rq *ea = fq + oc * rq_stride, *eb = fq + (oc + 1) * rq_stride;
        o0[oc] = FAST_REQUANT(acc[0], ea);
        if (two) o1[oc] = FAST_REQUANT(acc[1], ea);
        if (pair) {
          o0[oc + 1] = FAST_REQUANT(acc[2], eb);
          if (two) o1[oc + 1] = FAST_REQUANT(acc[3], eb);
        }
        continue;
      }
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

#if !TB_WASM_SIMD
/* 3x3 depthwise layers with C % 4 == 0 run row by row over three input rows
 * copied into scratch with zero-point borders (taps outside the input then
 * widen to 0, as TFLM skips them), so every pixel takes the two-pixel 3x3
 * kernel, edges included. The rows are wide enough for an even number of
 * output columns; an odd last one writes its twin to a dummy row. */
static int dw_rows(const tb_conv_params *p, const tb_dims *filter, const tb_dims *out) {
  return depthwise_fast(p) && filter->h == 3 && filter->w == 3 && (out->c & 3) == 0;
}
static int32_t dw_padded_width(const tb_conv_params *p, const tb_dims *out) { return (((out->w + 1) & ~1) - 1) * p->stride_w + 3; }
static size_t dw_rows_size(const tb_conv_params *p, const tb_dims *out) {
  return ((size_t)(3 * dw_padded_width(p, out) + 1) * (size_t)out->c + 15u) & ~(size_t)15u;
}

/* The fused 3x3 row kernel's table: per group of four channels, their four
 * biases, the nine taps' weights widened to int16 pairs (lanes {0,2} and
 * {1,3}, in the order the kernel reads them: columns 1, 2, 0 of each row)
 * and each channel's requantization constants with the output offset folded
 * into the rounding term, so that every tap is one table load and each
 * output is six instructions. Built once per call; layers with more than
 * 128 channels (tiny ones) keep the plain path to bound the scratch. */
#define DW_GROUP_WORDS 34
static size_t dw_table_size(int32_t channels) {
  const size_t fused = channels <= 128 ? (size_t)(channels / 4) * DW_GROUP_WORDS * sizeof(int32_t) : 0;
  const size_t plain = fast_table_size(channels);
  return fused > plain ? fused : plain;
}

/* Whether the fused kernel reproduces TFLM for this layer: every channel on
 * the fast requantization with its offset folded (rq_offset_folds) and the
 * full int8 output range (one SSAT). */
static int dw_fused_ok(const tb_conv_params *p, const tb_requant *q, int32_t C) {
  if (C > 128 || p->act_min != -128 || p->act_max != 127 || p->output_offset < -128 || p->output_offset > 127) return 0;
  for (int32_t c = 0; c < (q->stride ? C : 1); ++c) {
    const int32_t m = q->multiplier[c * q->stride], s = q->shift[c * q->stride];
    if (!tb_fast_rq_ok(m, s) || !rq_offset_folds(m, s)) return 0;
  }
  return 1;
}

static void dw_fill_table(int32_t *t, const tb_conv_params *p, const tb_requant *q, const int8_t *weights, const int32_t *bias, int32_t C) {
  static const int8_t order[9] = {1, 2, 0, 4, 5, 3, 7, 8, 6}; /* tap fy * 3 + fx as the kernel reads them */
  for (int32_t c = 0; c < C; c += 4, t += DW_GROUP_WORDS) {
    for (int j = 0; j < 4; ++j) t[j] = bias ? bias[c + j] : 0;
    for (int k = 0; k < 9; ++k) {
      const int8_t *w = weights + (size_t)order[k] * C + c;
      t[4 + 2 * k] = (int32_t)(((uint32_t)w[0] & 0xffffu) | ((uint32_t)w[2] << 16));
      t[5 + 2 * k] = (int32_t)(((uint32_t)w[1] & 0xffffu) | ((uint32_t)w[3] << 16));
    }
    for (int j = 0; j < 4; ++j) {
      const int32_t ch = (c + j) * q->stride;
      const tb_fast_rq e = tb_fast_rq_of(q->multiplier[ch], q->shift[ch]);
      t[22 + 3 * j] = e.m2;
      t[23 + 3 * j] = e.half + p->output_offset * (int32_t)(1u << e.right);
      t[24 + 3 * j] = e.right;
    }
  }
}

#if TB_SIMD_DSP
/* `pixels` output pixels of one 3x3 row, all channels: r0 the first
 * window's top-left tap (channel 0) in the top padded row, r1 the table,
 * r2 C, r3 the output; [sp] the middle row, [sp + 4] groups (C / 4),
 * [sp + 8] off2, [sp + 12] (stride - 1) * C, [sp + 16] pixels, [sp + 20]
 * the bottom row (the rows are slots of a ring, in any order).
 * Per group of four channels 106 instructions for 36 MACs and four
 * outputs: bias LDM, per tap one LDR, one LDM of the widened weights, two
 * SXTAB16 and four SMLABB/SMLATT, per output LDM of its constants, SMMLAR,
 * three ALU operations, SSAT and its byte store. */
#define DW_ROW_TAP(xaddr)          \
  "ldr r8, " xaddr                 \
  "\n\t"                           \
  "ldm lr!, {r10, r11}\n\t"        \
  "sxtab16 r9, r3, r8\n\t"         \
  "sxtab16 r8, r3, r8, ror #8\n\t" \
  "smlabb r4, r10, r9, r4\n\t"     \
  "smlatt r6, r10, r9, r6\n\t"     \
  "smlabb r5, r11, r8, r5\n\t"     \
  "smlatt r7, r11, r8, r7\n\t"
#define DW_ROW_ROW(r) DW_ROW_TAP("[" r ", r12]") DW_ROW_TAP("[" r ", r12, lsl #1]") DW_ROW_TAP("[" r "], #4")
#define DW_ROW_REQUANT(a) "ldm lr!, {r8, r9, r10}\n\t" RQ_FAST_ASM(a) "ssat " a ", #8, " a "\n\t"
__attribute__((naked, noinline)) static void dw_3x3_row(const int8_t *ip __attribute__((unused)),
                                                        const int32_t *table __attribute__((unused)), int32_t C __attribute__((unused)),
                                                        int8_t *out __attribute__((unused)), const int8_t *ip1 __attribute__((unused)),
                                                        int32_t groups __attribute__((unused)), uint32_t off2 __attribute__((unused)),
                                                        int32_t xs __attribute__((unused)), int32_t pixels __attribute__((unused)),
                                                        const int8_t *ip2 __attribute__((unused))) {
  /* Locals: [sp] out, [sp + 4] table end, [sp + 8] table; arguments from [sp + 48]. */
  __asm__ volatile(
      "push {r4-r11, lr}\n\t"
      "sub sp, sp, #12\n\t"
      "str r3, [sp]\n\t"
      "str r1, [sp, #8]\n\t"
      "ldr r8, [sp, #52]\n\t"
      "movs r9, #136\n\t"
      "mla r8, r8, r9, r1\n\t"
      "str r8, [sp, #4]\n\t"
      "mov r12, r2\n\t"
      "ldr r1, [sp, #48]\n\t"
      "ldr r2, [sp, #68]\n\t"
      "ldr r3, [sp, #56]\n"
      "1:\n\t"
      "ldr lr, [sp, #8]\n"
      "2:\n\t"
      "ldm lr!, {r4-r7}\n\t" DW_ROW_ROW("r0") DW_ROW_ROW("r1") DW_ROW_ROW("r2") DW_ROW_REQUANT("r4") DW_ROW_REQUANT("r5")
          DW_ROW_REQUANT("r6") DW_ROW_REQUANT("r7") "ldr r8, [sp]\n\t"
      "strb r4, [r8], #1\n\t"
      "strb r5, [r8], #1\n\t"
      "strb r6, [r8], #1\n\t"
      "strb r7, [r8], #1\n\t"
      "str r8, [sp]\n\t"
      "ldr r8, [sp, #4]\n\t"
      "cmp lr, r8\n\t"
      "bne 2b\n\t"
      "ldr r8, [sp, #60]\n\t"
      "add r0, r0, r8\n\t"
      "add r1, r1, r8\n\t"
      "add r2, r2, r8\n\t"
      "ldr r8, [sp, #64]\n\t"
      "subs r8, r8, #1\n\t"
      "str r8, [sp, #64]\n\t"
      "bne 1b\n\t"
      "add sp, sp, #12\n\t"
      "pop {r4-r11, pc}\n\t");
}
#undef DW_ROW_TAP
#undef DW_ROW_ROW
#undef DW_ROW_REQUANT
#else
/* The same computation in portable C (the x86 and emulated builds). */
static void dw_3x3_row(const int8_t *ip, const int32_t *table, int32_t C, int8_t *out, const int8_t *ip1, int32_t groups, uint32_t off2,
                       int32_t xs, int32_t pixels, const int8_t *ip2) {
  for (; pixels > 0; --pixels, ip += xs, ip1 += xs, ip2 += xs) {
    const int32_t *t = table;
    for (int32_t g = 0; g < groups; ++g, t += DW_GROUP_WORDS, ip += 4, ip1 += 4, ip2 += 4) {
      int32_t a[4] = {t[0], t[1], t[2], t[3]};
      for (int k = 0; k < 9; ++k) {
        static const int8_t col[9] = {1, 2, 0, 1, 2, 0, 1, 2, 0};
        const int8_t *const row = k < 3 ? ip : k < 6 ? ip1 : ip2;
        const uint32_t x = tb_load32(row + col[k] * C);
        const uint32_t x02 = tb_sxtab16(off2, x), x13 = tb_sxtab16_ror8(off2, x);
        const uint32_t w02 = (uint32_t)t[4 + 2 * k], w13 = (uint32_t)t[5 + 2 * k];
        a[0] = tb_smlabb(w02, x02, a[0]);
        a[2] = tb_smlatt(w02, x02, a[2]);
        a[1] = tb_smlabb(w13, x13, a[1]);
        a[3] = tb_smlatt(w13, x13, a[3]);
      }
      for (int j = 0; j < 4; ++j) {
        const int32_t *e = t + 22 + 3 * j;
        const int32_t y = tb_smmlar(a[j], e[0], (int32_t)((uint32_t)a[j] + (uint32_t)(a[j] >> 31)));
        *out++ = (int8_t)tb_ssat(((y >> 1) + e[1]) >> e[2], 8);
      }
    }
  }
}
#endif

/* ---- 3x3 stride-1 rows: two pixels per pass on pre-widened column pairs -- */

/* Stride-1 layers take a second row kernel whose ring slots hold the padded
 * rows widened once (offset added, padding 0) as int16 column pairs: word
 * (pair j, channel c) = (x[2j][c], x[2j + 1][c]), all C channels of a pair
 * one after another. Two output pixels x, x + 1 (x even) then read, per row
 * and channel, the words D0 = (x, x + 1) and D1 = (x + 2, x + 3):
 *   pixel x:     SMLAD(D0, (w0, w1)) + SMLABT(D1, (w1, w2))
 *   pixel x + 1: SMLAD(D1, (w1, w2)) + SMLATB(D0, (w0, w1))
 * which is two loads and four multiplies for six MACs, with the weights of
 * one row as two words. The table holds per channel DW_PAIR_WORDS words:
 * bias, the three rows' (w0, w1), (w1, w2) pairs, C, a "more channels"
 * flag, the fast requantization constants with the offset folded in (as in
 * dw_fill_table). */
#define DW_PAIR_WORDS 12
/* Column pairs a ring slot holds: up to column ow + 1 (stride 1, ow rounded
 * up to even) or 2 ow (stride 2). */
static int32_t dw_pair_count(const tb_conv_params *p, const tb_dims *out) { return p->stride_w == 1 ? (out->w + 1) / 2 + 1 : out->w + 1; }
/* Layers with more than 128 channels run in blocks of 128 (the table and
 * the ring hold one block). */
#define DW_PAIR_BLOCK 128
static size_t dw_pairs_size(const tb_conv_params *p, const tb_dims *out) {
  if (p->stride_w > 2) return 0;
  const size_t block = out->c < DW_PAIR_BLOCK ? (size_t)out->c : DW_PAIR_BLOCK;
  return block * (DW_PAIR_WORDS * 4u + 3u * 4u * (size_t)dw_pair_count(p, out) + 1u);
}

/* Fills the table for channels [c0, c0 + n) of C and returns 1, or returns
 * 0 when one of them fails dw_fused_ok's conditions (then the caller takes
 * another path). Four channels at a time: word loads of a row's three taps,
 * sign-extended in lane order {0,2} / {1,3} and packed into the (w0, w1),
 * (w1, w2) pairs. */
static int dw_fill_pairs(int32_t *t, const tb_conv_params *p, const tb_requant *q, const int8_t *weights, const int32_t *bias, int32_t C,
                         int32_t c0, int32_t n) {
  if (p->act_min != -128 || p->act_max != 127 || p->output_offset < -128 || p->output_offset > 127) return 0;
  for (int32_t c = c0; c < c0 + n; c += 4, t += 4 * DW_PAIR_WORDS) {
    for (int fy = 0; fy < 3; ++fy) {
      const int8_t *w = weights + (size_t)fy * 3 * C + c;
      const uint32_t u0 = tb_load32(w), u1 = tb_load32(w + C), u2 = tb_load32(w + 2 * C);
      const uint32_t a02 = tb_sxtb16(u0), a13 = tb_sxtb16_ror8(u0), b02 = tb_sxtb16(u1), b13 = tb_sxtb16_ror8(u1);
      const uint32_t d02 = tb_sxtb16(u2), d13 = tb_sxtb16_ror8(u2);
      int32_t *const r = t + 1 + 2 * fy;
      r[0] = (int32_t)tb_pkhbt(a02, b02), r[1] = (int32_t)tb_pkhbt(b02, d02);
      r[DW_PAIR_WORDS] = (int32_t)tb_pkhbt(a13, b13), r[DW_PAIR_WORDS + 1] = (int32_t)tb_pkhbt(b13, d13);
      r[2 * DW_PAIR_WORDS] = (int32_t)tb_pkhtb(b02, a02), r[2 * DW_PAIR_WORDS + 1] = (int32_t)tb_pkhtb(d02, b02);
      r[3 * DW_PAIR_WORDS] = (int32_t)tb_pkhtb(b13, a13), r[3 * DW_PAIR_WORDS + 1] = (int32_t)tb_pkhtb(d13, b13);
    }
    for (int j = 0; j < 4; ++j) {
      int32_t *const e = t + j * DW_PAIR_WORDS;
      const int32_t m = q->multiplier[(c + j) * q->stride], sh = q->shift[(c + j) * q->stride];
      if (!tb_fast_rq_ok(m, sh) || !rq_offset_folds(m, sh)) return 0;
      const tb_fast_rq f = tb_fast_rq_of(m, sh);
      e[0] = bias ? bias[c + j] : 0;
      e[7] = C;
      e[8] = c + j + 1 < c0 + n;
      e[9] = f.m2;
      e[10] = f.half + p->output_offset * (int32_t)(1u << f.right);
      e[11] = f.right;
    }
  }
  return 1;
}

/* n channels of `run` column pairs whose first columns are s0, s0 + 2C,
 * ... and second columns s1, s1 + 2C, ... (a single edge pair: any two
 * columns; skip = 2C - n). The two columns' words are interleaved by
 * halfword before the widening, so that SXTAB16 yields the pairs directly:
 * (x0[c], x1[c]) from bytes 0 and 2 of PKHBT(x0, x1), and so on. Returns
 * the slot's next free word. */
static uint32_t *dw_widen_run(uint32_t *dst, const int8_t *s0, const int8_t *s1, int32_t n, int32_t skip, int32_t run, uint32_t off2) {
#if TB_SIMD_DSP
  /* 12 instructions per four channels' two columns (gcc's own: 23). */
  uint32_t u0, u1, a, b;
  int32_t k;
  __asm__ volatile(
      "1:\n\t"
      "mov %[k], %[n]\n"
      "2:\n\t"
      "ldr %[u0], [%[s0]], #4\n\t"
      "ldr %[u1], [%[s1]], #4\n\t"
      "pkhbt %[a], %[u0], %[u1], lsl #16\n\t"
      "pkhtb %[u1], %[u1], %[u0], asr #16\n\t"
      "sxtab16 %[b], %[off2], %[a]\n\t"
      "sxtab16 %[a], %[off2], %[a], ror #8\n\t"
      "sxtab16 %[u0], %[off2], %[u1]\n\t"
      "sxtab16 %[u1], %[off2], %[u1], ror #8\n\t"
      "strd %[u0], %[u1], [%[dst], #8]\n\t"
      "strd %[b], %[a], [%[dst]], #16\n\t"
      "subs %[k], %[k], #4\n\t"
      "bne 2b\n\t"
      "add %[s0], %[s0], %[skip]\n\t"
      "add %[s1], %[s1], %[skip]\n\t"
      "subs %[run], %[run], #1\n\t"
      "bne 1b\n\t"
      : [u0] "=&r"(u0), [u1] "=&r"(u1), [a] "=&r"(a), [b] "=&r"(b), [k] "=&r"(k), [s0] "+r"(s0), [s1] "+r"(s1), [dst] "+r"(dst),
        [run] "+r"(run)
      : [off2] "r"(off2), [n] "r"(n), [skip] "r"(skip)
      : "cc", "memory");
#else
  for (; run > 0; --run, s0 += skip, s1 += skip)
    for (const int8_t *const end = s0 + n; s0 < end; s0 += 4, s1 += 4, dst += 4) {
      const uint32_t u0 = tb_load32(s0), u1 = tb_load32(s1), lo = tb_pkhbt(u0, u1), hi = tb_pkhtb(u1, u0);
      dst[0] = tb_sxtab16(off2, lo);
      dst[1] = tb_sxtab16_ror8(off2, lo);
      dst[2] = tb_sxtab16(off2, hi);
      dst[3] = tb_sxtab16_ror8(off2, hi);
    }
#endif
  return dst;
}

/* Channels [0, n) of one padded input row (src: its channel c0, C per
 * pixel; NULL: a row outside the input) widened into a ring slot of `pairs`
 * column pairs: column x is input column x - left; columns outside
 * [0, in_w) read `zero`, n bytes of the zero point, which widen to 0 like
 * TFLM's skipped taps, so the channel loop has no edge test. */
static void dw_widen_pairs(uint32_t *dst, const int8_t *src, int32_t left, int32_t in_w, int32_t pairs, int C, int32_t n, uint32_t off2,
                           const int8_t *zero) {
  if (!src) {
    memset(dst, 0, (size_t)pairs * (size_t)n * 4u);
    return;
  }
  /* Pairs [first, last] have both columns inside the input: one run. */
  const int32_t first = (left + 1) / 2, last = in_w + left >= 2 ? (in_w + left - 2) / 2 : -1;
  for (int32_t j = 0; j < pairs; ++j) {
    const int32_t x0 = 2 * j - left, x1 = x0 + 1;
    /* Both columns outside: the slot's zeros from the caller's clearing stay. */
    if (x1 < 0 || x0 >= in_w) {
      dst += n;
      continue;
    }
    if (j == first && last >= first) {
      const int32_t run = (last < pairs - 1 ? last : pairs - 1) - first + 1;
      dst = dw_widen_run(dst, src + (size_t)x0 * C, src + (size_t)x1 * C, n, 2 * C - n, run, off2);
      j += run - 1;
      continue;
    }
    const int8_t *s0 = x0 >= 0 && x0 < in_w ? src + (size_t)x0 * C : zero, *s1 = x1 >= 0 && x1 < in_w ? src + (size_t)x1 * C : zero;
    dst = dw_widen_run(dst, s0, s1, n, 2 * C - n, 1, off2);
  }
}

#if TB_SIMD_DSP
/* `pairs` output pixel pairs of one row, the table's channels, four per
 * loop pass: r0, r1, r2 the three rows' first pair (ring slots, any order),
 * r3 4n (the distance to the next column pair), r12 the output, lr the
 * table; 33 instructions per channel and pixel pair (18 MACs, two outputs)
 * and half a loop branch. */
/* One row of pixel a (DW_ROW_A: the two column pairs' loads, SMLAD and
 * SMLABT), then pixel b's SMLAD and SMLATB on the same words. */
#define DW_ROW_A(r, wa, wb) \
  "ldr r7, [" r             \
  ", r3]\n\t"               \
  "ldr r6, [" r             \
  "], #4\n\t"               \
  "smlad r4, r6, " wa       \
  ", r4\n\t"                \
  "smlabt r4, r7, " wb ", r4\n\t"
#define DW_PAIR_ROW(r, wa, wb) \
  DW_ROW_A(r, wa, wb)          \
  "smlad r5, r7, " wb          \
  ", r5\n\t"                   \
  "smlatb r5, r6, " wa ", r5\n\t"
/* The first row starts both sums at the bias. */
#define DW_PAIR_CHANNEL \
  "ldm lr!, {r4, r8, r9, r10, r11}\n\t"  \
  "ldr r7, [r0, r3]\n\t"                 \
  "ldr r6, [r0], #4\n\t"                 \
  "smlad r5, r7, r9, r4\n\t"             \
  "smlad r4, r6, r8, r4\n\t"             \
  "smlabt r4, r7, r9, r4\n\t"            \
  "smlatb r5, r6, r8, r5\n\t"            \
  DW_PAIR_ROW("r1", "r10", "r11")        \
  "ldm lr!, {r8, r9}\n\t"                \
  DW_PAIR_ROW("r2", "r8", "r9")          \
  "ldm lr!, {r6, r7, r8, r9, r10}\n\t"   \
  RQ_FAST_ASM("r4") "ssat r4, #8, r4\n\t" \
  RQ_FAST_ASM("r5") "ssat r5, #8, r5\n\t" \
  "strb r5, [r12, r6]\n\t"               \
  "strb r4, [r12], #1\n\t"
/* A pixel-pair kernel's frame: per pixel pair the channels (four per pass)
 * until the table's last, the output on by the pair's second pixel, the
 * input rows on by ADVANCE, until the pair count (arguments from [sp + 36]:
 * ip2, table, pairs, counted down in place) runs out. */
#define DW_PAIRS_ASM(CHANNEL, ADVANCE)     \
  "push {r4-r11, lr}\n\t"                  \
  "mov r12, r3\n\t"                        \
  "mov r3, r2\n\t"                         \
  "ldr r2, [sp, #36]\n"                    \
  "1:\n\t"                                 \
  "ldr lr, [sp, #40]\n"                    \
  "2:\n\t" CHANNEL CHANNEL CHANNEL CHANNEL \
  "cmp r7, #0\n\t"                         \
  "bne 2b\n\t"                             \
  "add r12, r12, r6\n\t" ADVANCE           \
  "ldr r8, [sp, #44]\n\t"                  \
  "subs r8, r8, #1\n\t"                    \
  "str r8, [sp, #44]\n\t"                  \
  "bne 1b\n\t"                             \
  "pop {r4-r11, pc}\n\t"
__attribute__((naked, noinline)) static void dw_3x3_pairs(const uint32_t *ip0 __attribute__((unused)),
                                                          const uint32_t *ip1 __attribute__((unused)), int32_t step __attribute__((unused)),
                                                          int8_t *out __attribute__((unused)), const uint32_t *ip2 __attribute__((unused)),
                                                          const int32_t *table __attribute__((unused)),
                                                          int32_t pairs __attribute__((unused))) {
  __asm__ volatile(DW_PAIRS_ASM(DW_PAIR_CHANNEL, ""));
}
/* Stride 2: pixels x and x + 1 start at column pairs x and x + 1, so per
 * row and channel three loads D0, D1, D2 (pairs x, x + 1, x + 2) and
 *   pixel x:     SMLAD(D0, (w0, w1)) + SMLABT(D1, (w1, w2))
 *   pixel x + 1: SMLAD(D1, (w0, w1)) + SMLABT(D2, (w1, w2));
 * the third data register costs the preloaded second row of weights: each
 * row's pair comes with its own LDM (37 instructions per channel and pixel
 * pair). Same table and registers as dw_3x3_pairs. */
#define DW_PAIR2_ROW(r)       \
  "ldm lr!, {r8, r9}\n\t"     \
  "ldr r10, [" r              \
  ", r3, lsl #1]\n\t"         \
  "ldr r7, [" r               \
  ", r3]\n\t"                 \
  "ldr r6, [" r               \
  "], #4\n\t"                 \
  "smlad r4, r6, r8, r4\n\t"  \
  "smlad r5, r7, r8, r5\n\t"  \
  "smlabt r4, r7, r9, r4\n\t" \
  "smlabt r5, r10, r9, r5\n\t"
#define DW_PAIR2_CHANNEL \
  "ldm lr!, {r4, r8, r9}\n\t"             \
  "ldr r10, [r0, r3, lsl #1]\n\t"         \
  "ldr r7, [r0, r3]\n\t"                  \
  "ldr r6, [r0], #4\n\t"                  \
  "smlad r5, r7, r8, r4\n\t"              \
  "smlad r4, r6, r8, r4\n\t"              \
  "smlabt r4, r7, r9, r4\n\t"             \
  "smlabt r5, r10, r9, r5\n\t"            \
  DW_PAIR2_ROW("r1")                      \
  DW_PAIR2_ROW("r2")                      \
  "ldm lr!, {r6, r7, r8, r9, r10}\n\t"    \
  RQ_FAST_ASM("r4") "ssat r4, #8, r4\n\t" \
  RQ_FAST_ASM("r5") "ssat r5, #8, r5\n\t" \
  "strb r5, [r12, r6]\n\t"                \
  "strb r4, [r12], #1\n\t"
__attribute__((naked, noinline)) static void dw_3x3_pairs_s2(const uint32_t *ip0 __attribute__((unused)),
                                                             const uint32_t *ip1 __attribute__((unused)),
                                                             int32_t step __attribute__((unused)), int8_t *out __attribute__((unused)),
                                                             const uint32_t *ip2 __attribute__((unused)),
                                                             const int32_t *table __attribute__((unused)),
                                                             int32_t pairs __attribute__((unused))) {
  __asm__ volatile(DW_PAIRS_ASM(DW_PAIR2_CHANNEL, "add r0, r0, r3\n\tadd r1, r1, r3\n\tadd r2, r2, r3\n\t"));
}
#undef DW_PAIR2_CHANNEL
#undef DW_PAIR2_ROW
#undef DW_PAIRS_ASM

/* The last pixel of an odd row alone: per row and channel SMLAD(D0, (w0,
 * w1)) + SMLABT(D1, (w1, w2)); 21 instructions per channel (18 MACs' 35
 * through the pair kernel, half of them wasted). Registers as above. */
#define DW_SINGLE_ROW(r, wa, wb) DW_ROW_A(r, wa, wb)
#define DW_SINGLE_CHANNEL \
  "ldm lr!, {r4, r8, r9, r10, r11}\n\t"    \
  DW_SINGLE_ROW("r0", "r8", "r9")          \
  DW_SINGLE_ROW("r1", "r10", "r11")        \
  "ldm lr!, {r8, r9}\n\t"                  \
  DW_SINGLE_ROW("r2", "r8", "r9")          \
  "ldm lr!, {r6, r7, r8, r9, r10}\n\t"     \
  RQ_FAST_ASM("r4") "ssat r4, #8, r4\n\t" \
  "strb r4, [r12], #1\n\t"
__attribute__((naked, noinline)) static void dw_3x3_single(const uint32_t *ip0 __attribute__((unused)),
                                                           const uint32_t *ip1 __attribute__((unused)),
                                                           int32_t step __attribute__((unused)), int8_t *out __attribute__((unused)),
                                                           const uint32_t *ip2 __attribute__((unused)),
                                                           const int32_t *table __attribute__((unused))) {
  __asm__ volatile(
      "push {r4-r11, lr}\n\t"
      "mov r12, r3\n\t"
      "mov r3, r2\n\t"
      "ldr r2, [sp, #36]\n\t"
      "ldr lr, [sp, #40]\n"
      "1:\n\t" DW_SINGLE_CHANNEL DW_SINGLE_CHANNEL DW_SINGLE_CHANNEL DW_SINGLE_CHANNEL
      "cmp r7, #0\n\t"
      "bne 1b\n\t"
      "pop {r4-r11, pc}\n\t");
}
/* The same pixel when its third column is right padding (kws01's 5-pixel
 * rows): that tap is 0, so per row one load and one SMLAD, 15 instructions
 * per channel. */
#define DW_EDGE_CHANNEL \
  "ldm lr!, {r4, r8, r9, r10, r11}\n\t"    \
  "ldr r6, [r0], #4\n\t"                   \
  "ldr r7, [r1], #4\n\t"                   \
  "smlad r4, r6, r8, r4\n\t"               \
  "smlad r4, r7, r10, r4\n\t"              \
  "ldm lr!, {r8, r9}\n\t"                  \
  "ldr r6, [r2], #4\n\t"                   \
  "smlad r4, r6, r8, r4\n\t"               \
  "ldm lr!, {r6, r7, r8, r9, r10}\n\t"     \
  RQ_FAST_ASM("r4") "ssat r4, #8, r4\n\t" \
  "strb r4, [r12], #1\n\t"
__attribute__((naked, noinline)) static void dw_3x3_edge(const uint32_t *ip0 __attribute__((unused)),
                                                         const uint32_t *ip1 __attribute__((unused)), int32_t step __attribute__((unused)),
                                                         int8_t *out __attribute__((unused)), const uint32_t *ip2 __attribute__((unused)),
                                                         const int32_t *table __attribute__((unused))) {
  __asm__ volatile(
      "push {r4-r11, lr}\n\t"
      "mov r12, r3\n\t"
      "ldr r2, [sp, #36]\n\t"
      "ldr lr, [sp, #40]\n"
      "1:\n\t" DW_EDGE_CHANNEL DW_EDGE_CHANNEL DW_EDGE_CHANNEL DW_EDGE_CHANNEL
      "cmp r7, #0\n\t"
      "bne 1b\n\t"
      "pop {r4-r11, pc}\n\t");
}
#undef DW_EDGE_CHANNEL
#undef DW_SINGLE_CHANNEL
#undef DW_SINGLE_ROW
#undef DW_PAIR_CHANNEL
#undef DW_PAIR_ROW
#undef DW_ROW_A
#undef RQ_FAST_ASM
#undef RQ_FAST_REGS
#else
/* The same computation in portable C (the x86 and emulated builds). */
/* One output from its sum and the channel's constants t[9..11] (offset folded in). */
static inline int8_t dw_pair_out(int32_t a, const int32_t *t) {
  const int32_t y = tb_smmlar(a, t[9], (int32_t)((uint32_t)a + (uint32_t)(a >> 31)));
  return (int8_t)tb_ssat(((y >> 1) + t[10]) >> t[11], 8);
}
/* Both pixel-pair kernels: at stride 1 pixel b's columns are a's shifted
 * by one (words d0 and d1 give both), at stride 2 by two (d1 and d2). */
static void dw_3x3_pairs_at(const uint32_t *ip0, const uint32_t *ip1, int32_t step, int8_t *out, const uint32_t *ip2, const int32_t *table,
                            int32_t pairs, int stride2) {
  const int32_t next = step / 4, advance = stride2 ? next : 0;
  for (; pairs > 0; --pairs, ip0 += advance, ip1 += advance, ip2 += advance) {
    const int32_t *t = table;
    int32_t C = 0, more = 1;
    while (more) {
      int32_t a = t[0], b = t[0];
      const uint32_t *rows[3] = {ip0, ip1, ip2};
      for (int fy = 0; fy < 3; ++fy) {
        const uint32_t d0 = rows[fy][0], d1 = rows[fy][next], wa = (uint32_t)t[1 + 2 * fy], wb = (uint32_t)t[2 + 2 * fy];
        a = tb_smlad(d0, wa, a);
        a = tb_smlabt(d1, wb, a);
        if (stride2) {
          b = tb_smlad(d1, wa, b);
          b = tb_smlabt(rows[fy][2 * next], wb, b);
        } else {
          b = tb_smlad(d1, wb, b);
          b = tb_smlatb(d0, wa, b);
        }
      }
      ++ip0, ++ip1, ++ip2;
      C = t[7], more = t[8];
      out[C] = dw_pair_out(b, t);
      *out++ = dw_pair_out(a, t);
      t += DW_PAIR_WORDS;
    }
    out += C;
  }
}
static void dw_3x3_pairs(const uint32_t *ip0, const uint32_t *ip1, int32_t step, int8_t *out, const uint32_t *ip2, const int32_t *table,
                         int32_t pairs) {
  dw_3x3_pairs_at(ip0, ip1, step, out, ip2, table, pairs, 0);
}
static void dw_3x3_pairs_s2(const uint32_t *ip0, const uint32_t *ip1, int32_t step, int8_t *out, const uint32_t *ip2, const int32_t *table,
                            int32_t pairs) {
  dw_3x3_pairs_at(ip0, ip1, step, out, ip2, table, pairs, 1);
}
static void dw_3x3_single(const uint32_t *ip0, const uint32_t *ip1, int32_t step, int8_t *out, const uint32_t *ip2, const int32_t *table) {
  const int32_t next = step / 4;
  for (const int32_t *t = table;; t += DW_PAIR_WORDS, ++ip0, ++ip1, ++ip2) {
    int32_t a = t[0];
    const uint32_t *rows[3] = {ip0, ip1, ip2};
    for (int fy = 0; fy < 3; ++fy) {
      a = tb_smlad(rows[fy][0], (uint32_t)t[1 + 2 * fy], a);
      a = tb_smlabt(rows[fy][next], (uint32_t)t[2 + 2 * fy], a);
    }
    *out++ = dw_pair_out(a, t);
    if (!t[8]) return;
  }
}
static void dw_3x3_edge(const uint32_t *ip0, const uint32_t *ip1, int32_t step, int8_t *out, const uint32_t *ip2, const int32_t *table) {
  (void)step;
  for (const int32_t *t = table;; t += DW_PAIR_WORDS, ++ip0, ++ip1, ++ip2) {
    int32_t a = t[0];
    a = tb_smlad(*ip0, (uint32_t)t[1], a);
    a = tb_smlad(*ip1, (uint32_t)t[3], a);
    a = tb_smlad(*ip2, (uint32_t)t[5], a);
    *out++ = dw_pair_out(a, t);
    if (!t[8]) return;
  }
}
#endif
#endif

size_t tb_depthwise_conv_s8_scratch_opt(const tb_conv_params *p, const tb_dims *in, const tb_dims *filter, const tb_dims *out) {
#if TB_WASM_SIMD
  /* tb_opt_wasm.h: a requantization table (64 bytes per channel) when C % 8 == 0. */
  if (depthwise_fast(p) && (out->c & 7) == 0) return (size_t)out->c * 64;
#endif
  if (!depthwise_fast(p)) return tb_depthwise_conv_s8_scratch_ref(p, in, filter, out);
#if !TB_WASM_SIMD
  if (dw_rows(p, filter, out)) {
    const size_t rows = dw_table_size(out->c) + dw_rows_size(p, out), pairs = dw_pairs_size(p, out);
    return rows > pairs ? rows : pairs;
  }
#endif
  return fast_table_size(out->c);
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

#if !TB_WASM_SIMD
#if TB_SIMD_DSP
/* acc[0..3] += one 3x3 window of four channels: ip and wp point at the
 * window's and the filter's first tap of channel c, C apart per tap, rows
 * prow (input) and 3C (filter) apart. Ten instructions per tap (two loads,
 * four unpacks, four SMLABB/SMLATT) with every pointer and accumulator in a
 * register, which gcc does not manage here. r0 ip, r1 wp, r2 C, r3 acc,
 * [sp] off2 (the input offset in both lanes), [sp + 4] prow. */
#define DW_ASM_TAP(xaddr, waddr)   \
  "ldr r8, " xaddr                 \
  "\n\t"                           \
  "ldr r9, " waddr                 \
  "\n\t"                           \
  "sxtab16 r10, r3, r8\n\t"        \
  "sxtab16 r8, r3, r8, ror #8\n\t" \
  "sxtb16 r11, r9\n\t"             \
  "sxtb16 r9, r9, ror #8\n\t"      \
  "smlabb r4, r11, r10, r4\n\t"    \
  "smlatt r6, r11, r10, r6\n\t"    \
  "smlabb r5, r9, r8, r5\n\t"      \
  "smlatt r7, r9, r8, r7\n\t"
#define DW_ASM_ROW DW_ASM_TAP("[r0]", "[r1]") DW_ASM_TAP("[r0, r2]", "[r1, r2]") DW_ASM_TAP("[r0, r2, lsl #1]", "[r1, r2, lsl #1]")
__attribute__((naked, noinline)) static void dw_3x3_group(const int8_t *ip __attribute__((unused)),
                                                          const int8_t *wp __attribute__((unused)), int32_t C __attribute__((unused)),
                                                          int32_t *acc __attribute__((unused)), uint32_t off2 __attribute__((unused)),
                                                          int32_t prow __attribute__((unused))) {
  __asm__ volatile(
      "push {r3-r11, lr}\n\t"
      "ldm r3, {r4-r7}\n\t"
      "ldr r3, [sp, #40]\n\t"
      "ldr r12, [sp, #44]\n\t"
      "add lr, r2, r2, lsl #1\n\t" DW_ASM_ROW
      "add r0, r0, r12\n\t"
      "add r1, r1, lr\n\t" DW_ASM_ROW
      "add r0, r0, r12\n\t"
      "add r1, r1, lr\n\t" DW_ASM_ROW
      "ldr r3, [sp]\n\t"
      "stm r3, {r4-r7}\n\t"
      "pop {r3-r11, pc}\n\t");
}
#undef DW_ASM_ROW
#undef DW_ASM_TAP
#else
static void dw_3x3_group(const int8_t *ip, const int8_t *wp, int32_t C, int32_t *acc, uint32_t off2, int32_t prow) {
  int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
  for (int fy = 0; fy < 3; ++fy, ip += prow, wp += 3 * C) {
    DW_TAP(ip, wp);
    DW_TAP(ip + C, wp + C);
    DW_TAP(ip + 2 * C, wp + 2 * C);
  }
  acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
}
#endif
#endif

/* Two adjacent interior pixels of a 3x3 depthwise layer with C % 4 == 0:
 * weights unpacked and per-channel requantization terms computed once for both. */
static void depthwise_3x3_pair(const int8_t *in0, const int8_t *w0, int8_t *o, int8_t *o1, int C, int32_t in_row, int32_t w_row, int32_t xs,
                               uint32_t off2, const int32_t *bias, const tb_requant *q, const tb_conv_params *p, const tb_fast_rq *fq) {
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
    if (fq) {
      const tb_fast_rq *e = fq + c * rq_stride;
      o[c] = FAST_REQUANT(a0, e), o1[c] = FAST_REQUANT(b0, e);
      e += rq_stride;
      o[c + 1] = FAST_REQUANT(a1, e), o1[c + 1] = FAST_REQUANT(b1, e);
      e += rq_stride;
      o[c + 2] = FAST_REQUANT(a2, e), o1[c + 2] = FAST_REQUANT(b2, e);
      e += rq_stride;
      o[c + 3] = FAST_REQUANT(a3, e), o1[c + 3] = FAST_REQUANT(b3, e);
      continue;
    }
    const int32_t acc_a[4] = {a0, a1, a2, a3}, acc_b[4] = {b0, b1, b2, b3};
    for (int j = 0; j < 4; ++j) {
      const channel_requant r = channel_of(rq_mult[(c + j) * rq_stride], rq_shift[(c + j) * rq_stride]);
      o[c + j] = (int8_t)tb_clamp_i32(requantize_with(acc_a[j], r) + rq_offset, rq_lo, rq_hi);
      o1[c + j] = (int8_t)tb_clamp_i32(requantize_with(acc_b[j], r) + rq_offset, rq_lo, rq_hi);
    }
  }
}

#if !TB_WASM_SIMD
/* One-dimensional depthwise layers (sww01: filters of 3, 5, 10 and 15 taps
 * down a column of width 1), C % 4 == 0: per output row and group of four
 * channels the in-range taps go straight into four register sums, each tap
 * one activation and one weight word (DW_TAP), then the fast requantization;
 * the general loop below spent about 86 instructions per output on them
 * (13 per MAC), this about a third of that. */
static int dw_column(const tb_conv_params *p, const tb_dims *in, const tb_dims *filter, const tb_dims *out) {
  return depthwise_fast(p) && filter->w == 1 && in->w == 1 && out->w == 1 && p->pad_w == 0 && (out->c & 3) == 0;
}
__attribute__((noinline)) static void dw_column_run(const tb_conv_params *p, const tb_dims *in, const int8_t *input, const tb_dims *filter,
                                                    const int8_t *weights, const int32_t *bias, const tb_dims *out, int8_t *output,
                                                    const tb_fast_rq *fq, int32_t rq_stride) {
  const int32_t C = out->c, fh = filter->h, rq_offset = p->output_offset, rq_lo = p->act_min, rq_hi = p->act_max;
  const uint32_t off2 = tb_pair_splat(p->input_offset);
  for (int b = 0; b < in->n; ++b)
    for (int oy = 0; oy < out->h; ++oy) {
      const int y0 = oy * p->stride_h - p->pad_h;
      const int k0 = y0 < 0 ? -y0 : 0, k1 = fh < in->h - y0 ? fh : in->h - y0;
      const int8_t *const x0 = input + ((size_t)b * in->h + (size_t)(y0 + k0)) * (size_t)C;
      const int8_t *const w0 = weights + (size_t)k0 * (size_t)C;
      int8_t *const o = output + ((size_t)b * out->h + (size_t)oy) * (size_t)C;
      for (int32_t c = 0; c < C; c += 4) {
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        if (bias) a0 = bias[c], a1 = bias[c + 1], a2 = bias[c + 2], a3 = bias[c + 3];
        const int8_t *xp = x0 + c, *wp = w0 + c;
        for (int k = k0; k < k1; ++k, xp += C, wp += C) DW_TAP(xp, wp);
        o[c] = FAST_REQUANT(a0, fq + c * rq_stride);
        o[c + 1] = FAST_REQUANT(a1, fq + (c + 1) * rq_stride);
        o[c + 2] = FAST_REQUANT(a2, fq + (c + 2) * rq_stride);
        o[c + 3] = FAST_REQUANT(a3, fq + (c + 3) * rq_stride);
      }
    }
}
#endif

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
#if !TB_WASM_SIMD
  for (int32_t c0 = 0; dw_rows(p, filter, out) && p->stride_w <= 2 && c0 < C; c0 += DW_PAIR_BLOCK) {
    /* Strides 1 and 2, in blocks of up to 128 channels: the pixel-pair
     * kernels on widened column pairs, whose ring (input row y in slot
     * y mod 3) follows the block's table, then n bytes of the zero point
     * for the columns outside the input; an odd last pixel takes the
     * single-pixel kernel. A block that fails the table's conditions hands
     * the whole layer to the paths below, which rewrite every output. */
    const int32_t n = C - c0 < DW_PAIR_BLOCK ? C - c0 : DW_PAIR_BLOCK;
    const int32_t pairs = dw_pair_count(p, out), slot = pairs * n, whole = out->w / 2;
    int32_t *const table = (int32_t *)scratch;
    uint32_t *const rows = (uint32_t *)(table + (size_t)n * DW_PAIR_WORDS);
    int8_t *const zero = (int8_t *)(rows + 3 * (size_t)slot);
    if (!dw_fill_pairs(table, p, q, weights, bias, C, c0, n)) break;
    memset(zero, -in_offset, (size_t)n);
    /* Column pairs wholly outside the input are cleared here once and never widened. */
    for (int32_t j = 0; j < pairs; ++j)
      if (2 * j + 1 < p->pad_w || 2 * j - p->pad_w >= in->w)
        for (int k = 0; k < 3; ++k) memset(rows + (size_t)k * slot + (size_t)j * n, 0, (size_t)n * 4u);
    for (int b = 0; b < in->n; ++b) {
      int32_t ring[3] = {INT32_MIN, INT32_MIN, INT32_MIN};
      for (int oy = 0; oy < out->h; ++oy) {
        const uint32_t *s[3];
        for (int fy = 0; fy < 3; ++fy) {
          const int y = oy * p->stride_h - p->pad_h + fy, k = ((y % 3) + 3) % 3;
          uint32_t *dst = rows + (size_t)k * slot;
          s[fy] = dst;
          if (ring[k] == y) continue;
          ring[k] = y;
          dw_widen_pairs(dst, y < 0 || y >= in->h ? NULL : input + (((size_t)b * in->h + y) * in->w) * C + c0, p->pad_w, in->w, pairs, C, n,
                         off2, zero);
        }
        int8_t *const o = output + (((size_t)b * out->h + oy) * out->w) * C + c0;
        void (*const pair_kernel)(const uint32_t *, const uint32_t *, int32_t, int8_t *, const uint32_t *, const int32_t *, int32_t) =
            p->stride_w == 1 ? dw_3x3_pairs : dw_3x3_pairs_s2;
        /* The kernels step from pair to pair by the table's C, so a block
         * narrower than the layer takes one call per pixel pair. */
        if (whole && n == C) pair_kernel(s[0], s[1], 4 * n, o, s[2], table, whole);
        for (int32_t k = 0; n < C && k < whole; ++k) {
          const size_t at = (size_t)k * p->stride_w * n;
          pair_kernel(s[0] + at, s[1] + at, 4 * n, o + (size_t)2 * k * C, s[2] + at, table, 1);
        }
        if (out->w & 1) {
          /* Pixel 2 whole starts at column pair whole (stride 1) or 2 whole. */
          const size_t at = (size_t)whole * p->stride_w * n;
          const int edge = 2 * whole * p->stride_w + 2 - p->pad_w >= in->w; /* its third column is padding */
          (edge ? dw_3x3_edge : dw_3x3_single)(s[0] + at, s[1] + at, 4 * n, o + (size_t)2 * whole * C, s[2] + at, table);
        }
      }
    }
    if (c0 + n == C) return;
  }
#endif
  const tb_fast_rq *const fq = fast_table(scratch, q, C);
#if !TB_WASM_SIMD
  if (fq && dw_column(p, in, filter, out)) {
    dw_column_run(p, in, input, filter, weights, bias, out, output, fq, rq_stride);
    return;
  }
  if (dw_rows(p, filter, out)) {
    const int32_t wp = dw_padded_width(p, out), prow = wp * C;
    int8_t *rows = (int8_t *)scratch + dw_table_size(C), *dummy = rows + 3 * prow;
    const int zp = -in_offset, full = rq_lo == -128 && rq_hi == 127;
    const int32_t left = p->pad_w, copied = in->w < wp - left ? in->w : wp - left, right = wp - left - copied;
    /* The fused row kernel's table replaces the fast one (both at the start of scratch). */
    int32_t *const table = dw_fused_ok(p, q, C) ? (int32_t *)scratch : NULL;
    if (table) dw_fill_table(table, p, q, weights, bias, C);
    for (int b = 0; b < in->n; ++b) {
      /* The fused kernel reads its three rows from a ring of three slots
       * (input row y in slot y mod 3), so each input row is copied once,
       * not once per output row it feeds. */
      int32_t ring[3] = {INT32_MIN, INT32_MIN, INT32_MIN};
      for (int oy = 0; table && oy < out->h; ++oy) {
        const int8_t *slot[3];
        for (int fy = 0; fy < 3; ++fy) {
          const int y = oy * p->stride_h - p->pad_h + fy, s = ((y % 3) + 3) % 3;
          int8_t *dst = rows + s * prow;
          slot[fy] = dst;
          if (ring[s] == y) continue;
          ring[s] = y;
          dw_padded_row(dst, y < 0 || y >= in->h ? NULL : input + (((size_t)b * in->h + y) * in->w) * C, left, copied, right, C, prow, zp);
        }
        dw_3x3_row(slot[0], table, C, output + (((size_t)b * out->h + oy) * out->w) * C, slot[1], C / 4, off2, (p->stride_w - 1) * C,
                   out->w, slot[2]);
      }
      for (int oy = 0; !table && oy < out->h; ++oy) {
        for (int fy = 0; fy < 3; ++fy) {
          const int y = oy * p->stride_h - p->pad_h + fy;
          dw_padded_row(rows + fy * prow, y < 0 || y >= in->h ? NULL : input + (((size_t)b * in->h + y) * in->w) * C, left, copied, right,
                        C, prow, zp);
        }
        int8_t *o = output + (((size_t)b * out->h + oy) * out->w) * C;
        if (!fq) {
          for (int ox = 0; ox < out->w; ox += 2, o += 2 * C)
            depthwise_3x3_pair(rows + (size_t)ox * p->stride_w * C, weights, o, ox + 1 < out->w ? o + C : dummy, C, prow, 3 * C,
                               p->stride_w * C, off2, bias, q, p, fq);
          continue;
        }
        for (int ox = 0; ox < out->w; ++ox, o += C) {
          const int8_t *ip = rows + (size_t)ox * p->stride_w * C;
          for (int c = 0; c < C; c += 4) {
            int32_t acc[4] = {0, 0, 0, 0};
            if (bias) acc[0] = bias[c], acc[1] = bias[c + 1], acc[2] = bias[c + 2], acc[3] = bias[c + 3];
            dw_3x3_group(ip + c, weights + c, C, acc, off2, prow);
            const tb_fast_rq *e = fq + c * rq_stride;
            if (full) {
              o[c] = fast_out(acc[0], e, rq_offset, rq_lo, rq_hi, 1);
              o[c + 1] = fast_out(acc[1], e + rq_stride, rq_offset, rq_lo, rq_hi, 1);
              o[c + 2] = fast_out(acc[2], e + 2 * rq_stride, rq_offset, rq_lo, rq_hi, 1);
              o[c + 3] = fast_out(acc[3], e + 3 * rq_stride, rq_offset, rq_lo, rq_hi, 1);
            } else {
              o[c] = fast_out(acc[0], e, rq_offset, rq_lo, rq_hi, 0);
              o[c + 1] = fast_out(acc[1], e + rq_stride, rq_offset, rq_lo, rq_hi, 0);
              o[c + 2] = fast_out(acc[2], e + 2 * rq_stride, rq_offset, rq_lo, rq_hi, 0);
              o[c + 3] = fast_out(acc[3], e + 3 * rq_stride, rq_offset, rq_lo, rq_hi, 0);
            }
          }
        }
      }
    }
    return;
  }
#endif
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
          depthwise_3x3_pair(in0, w0, o, o + C, C, in_row, w_row, p->stride_w * C, off2, bias, q, p, fq);
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
          if (fq) {
            o[c] = FAST_REQUANT(a0, fq + c * rq_stride);
            o[c + 1] = FAST_REQUANT(a1, fq + (c + 1) * rq_stride);
            o[c + 2] = FAST_REQUANT(a2, fq + (c + 2) * rq_stride);
            o[c + 3] = FAST_REQUANT(a3, fq + (c + 3) * rq_stride);
            continue;
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
          o[c] = fq ? FAST_REQUANT(acc, fq + c * rq_stride) : REQUANT(acc, c);
        }
      }
    }
  }
}

/* ---- FULLY_CONNECTED ---------------------------------------------------- */

#if TB_SIMD_DSP
/* acc[0..3] = four weight rows times the widened input over `groups` (>= 1)
 * groups of four: one LDM for the input's two pairs, then per row a
 * post-incremented load, two SXTB16 and two SMLAD (23 instructions per 16
 * MACs; gcc spills the row pointers here: 30). r0-r3 the rows, [sp] col,
 * [sp + 4] groups, [sp + 8] acc. */
__attribute__((naked, noinline)) static void fc_4_groups(const int8_t *w0 __attribute__((unused)), const int8_t *w1 __attribute__((unused)),
                                                         const int8_t *w2 __attribute__((unused)), const int8_t *w3 __attribute__((unused)),
                                                         const int16_t *col __attribute__((unused)), int32_t groups __attribute__((unused)),
                                                         int32_t *acc __attribute__((unused))) {
  __asm__ volatile(
      "push {r4-r11, lr}\n\t"
      "ldr r12, [sp, #36]\n\t"
      "ldr lr, [sp, #40]\n\t"
      "movs r4, #0\n\t"
      "movs r5, #0\n\t"
      "movs r6, #0\n\t"
      "movs r7, #0\n"
      "1:\n\t"
      "ldm r12!, {r8, r9}\n\t"
      "ldr r10, [r0], #4\n\t"
      "sxtb16 r11, r10\n\t"
      "sxtb16 r10, r10, ror #8\n\t"
      "smlad r4, r11, r8, r4\n\t"
      "smlad r4, r10, r9, r4\n\t"
      "ldr r10, [r1], #4\n\t"
      "sxtb16 r11, r10\n\t"
      "sxtb16 r10, r10, ror #8\n\t"
      "smlad r5, r11, r8, r5\n\t"
      "smlad r5, r10, r9, r5\n\t"
      "ldr r10, [r2], #4\n\t"
      "sxtb16 r11, r10\n\t"
      "sxtb16 r10, r10, ror #8\n\t"
      "smlad r6, r11, r8, r6\n\t"
      "smlad r6, r10, r9, r6\n\t"
      "ldr r10, [r3], #4\n\t"
      "sxtb16 r11, r10\n\t"
      "sxtb16 r10, r10, ror #8\n\t"
      "smlad r7, r11, r8, r7\n\t"
      "smlad r7, r10, r9, r7\n\t"
      "subs lr, lr, #1\n\t"
      "bne 1b\n\t"
      "ldr r12, [sp, #44]\n\t"
      "stm r12, {r4-r7}\n\t"
      "pop {r4-r11, pc}\n\t");
}
#endif

#if TB_SIMD_DSP
/* acc[0..1] = two word-aligned weight rows times the widened input over
 * `n8` (>= 1) steps of eight: one LDM for four input pairs, per row one
 * 8-byte weight load, four SXTB16 and four SMLAD. r0 w0, r1 w1, r2 col,
 * r3 n8, [sp] acc. */
__attribute__((naked, noinline)) static void fc_2_rows8(const int8_t *w0 __attribute__((unused)), const int8_t *w1 __attribute__((unused)),
                                                        const int16_t *col __attribute__((unused)), int32_t n8 __attribute__((unused)),
                                                        int32_t *acc __attribute__((unused))) {
#define FC_ROW8(w, a)           \
  "ldrd r10, r11, [" w          \
  "], #8\n\t"                   \
  "sxtb16 r12, r10\n\t"         \
  "smlad " a ", r12, r6, " a    \
  "\n\t"                        \
  "sxtb16 r10, r10, ror #8\n\t" \
  "smlad " a ", r10, r7, " a    \
  "\n\t"                        \
  "sxtb16 r12, r11\n\t"         \
  "smlad " a ", r12, r8, " a    \
  "\n\t"                        \
  "sxtb16 r11, r11, ror #8\n\t" \
  "smlad " a ", r11, r9, " a "\n\t"
  /* Two steps per pass (20 instructions per 16 MACs); an odd count does one first. */
  __asm__ volatile(
      "push {r4-r11, lr}\n\t"
      "movs r4, #0\n\t"
      "movs r5, #0\n\t"
      "tst r3, #1\n\t"
      "beq 1f\n\t"
      "ldm r2!, {r6-r9}\n\t" FC_ROW8("r0", "r4") FC_ROW8("r1", "r5") "subs r3, r3, #1\n\t"
      "beq 2f\n"
      "1:\n\t"
      "ldm r2!, {r6-r9}\n\t" FC_ROW8("r0", "r4") FC_ROW8("r1", "r5") "ldm r2!, {r6-r9}\n\t" FC_ROW8("r0", "r4")
          FC_ROW8("r1", "r5") "subs r3, r3, #2\n\t"
      "bne 1b\n"
      "2:\n\t"
      "ldr r12, [sp, #36]\n\t"
      "stm r12, {r4, r5}\n\t"
      "pop {r4-r11, pc}\n\t");
#undef FC_ROW8
}
#endif

/* Fully connected scratch is sized by depth alone, so its few outputs (each
 * with its own weights row) derive their fast constants as they go. */
static inline int8_t fc_requant(int32_t acc, const tb_requant *q, int32_t u, int32_t offset, int32_t lo, int32_t hi) {
  const tb_fast_rq e = tb_fast_rq_of(q->multiplier[u * q->stride], q->shift[u * q->stride]);
  return (int8_t)tb_clamp_i32(tb_fast_rq_apply(acc, e.m2, e.half, e.right) + offset, lo, hi);
}

size_t tb_fully_connected_s8_scratch_opt(int32_t depth) { return columns_size(depth, 1) * sizeof(int16_t); }

void tb_fully_connected_s8_opt(const tb_fc_params *p, const tb_requant *q, int32_t batches, int32_t depth, int32_t units,
                               const int8_t *input, const int8_t *weights, const int32_t *bias, int8_t *output, void *scratch) {
  REQUANT_LOCALS(q, p);
  int16_t *col = (int16_t *)scratch;
  const int32_t grouped = column_layout(depth);
  int fast = 1;
  for (int32_t u = 0; u < (q->stride ? units : 1); ++u) fast &= tb_fast_rq_ok(rq_mult[u * rq_stride], rq_shift[u * rq_stride]);
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
#if TB_SIMD_DSP
    /* Word-aligned rows of a multiple of 8: two rows per pass with 8-byte weight loads. */
    if (fast && depth == grouped && (depth & 7) == 0 && depth > 0 && ((uintptr_t)weights & 3) == 0) {
      const tb_fast_rq e0 = tb_fast_rq_of(rq_mult[0], rq_shift[0]);
      const int32_t n8 = depth >> 3;
      const int8_t *w0 = weights + (size_t)u * depth;
      if (rq_stride == 0 && bias) {
        /* The common case (per-tensor, with bias) without per-pair tests. */
        for (; u + 2 <= units; u += 2, w0 += 2 * depth) {
          int32_t acc[2];
          fc_2_rows8(w0, w0 + depth, col, n8, acc);
          o[u] = (int8_t)tb_clamp_i32(tb_fast_rq_apply(acc[0] + bias[u], e0.m2, e0.half, e0.right) + rq_offset, rq_lo, rq_hi);
          o[u + 1] = (int8_t)tb_clamp_i32(tb_fast_rq_apply(acc[1] + bias[u + 1], e0.m2, e0.half, e0.right) + rq_offset, rq_lo, rq_hi);
        }
      }
      for (; u + 2 <= units; u += 2, w0 += 2 * depth) {
        int32_t acc[2];
        fc_2_rows8(w0, w0 + depth, col, n8, acc);
        if (bias) acc[0] += bias[u], acc[1] += bias[u + 1];
        o[u] = fc_requant(acc[0], q, u, rq_offset, rq_lo, rq_hi);
        o[u + 1] = fc_requant(acc[1], q, u + 1, rq_offset, rq_lo, rq_hi);
      }
    }
#endif
    for (; u + 4 <= units; u += 4) {
      const int8_t *w0 = weights + (size_t)u * depth, *w1 = w0 + depth, *w2 = w1 + depth, *w3 = w2 + depth;
      int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      int32_t k = 0;
#if TB_SIMD_DSP
      if (grouped > 0) {
        int32_t acc[4] = {0, 0, 0, 0};
        fc_4_groups(w0, w1, w2, w3, col, grouped >> 2, acc);
        a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
        k = grouped;
      }
#endif
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
      if (fast) {
        o[u] = fc_requant(a0, q, u, rq_offset, rq_lo, rq_hi);
        o[u + 1] = fc_requant(a1, q, u + 1, rq_offset, rq_lo, rq_hi);
        o[u + 2] = fc_requant(a2, q, u + 2, rq_offset, rq_lo, rq_hi);
        o[u + 3] = fc_requant(a3, q, u + 3, rq_offset, rq_lo, rq_hi);
        continue;
      }
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
      o[u] = fast ? fc_requant(a0, q, u, rq_offset, rq_lo, rq_hi) : REQUANT(a0, u);
    }
  }
}

/* ---- ADD ---------------------------------------------------------------- */

/* High half of the doubled product, rounded as gemmlowp does (see requantize). */
static inline int32_t doubling_high_mul(int32_t a, int32_t b) { return (int32_t)(((int64_t)a * b + (1LL << 30)) >> 31); }

/* Whether ADD can use tb_fast_mul: multipliers in [2^30, 2^31), no left
 * shifts after the rescale, and rescaled inputs below 2^28 in magnitude
 * (|x + offset| <= 255 shifted by at most 20), so sums stay below 2^29. */
static int add_fast(const tb_add_params *p) {
  const int32_t lo = 1 << 30;
  return p->left_shift >= 0 && p->left_shift <= 20 && p->input1_multiplier >= lo && p->input2_multiplier >= lo &&
         p->output_multiplier >= lo && p->input1_shift <= 0 && p->input2_shift <= 0 && p->output_shift <= 0 && p->input1_shift >= -31 &&
         p->input2_shift >= -31 && p->output_shift >= -31 && p->input1_offset >= -255 && p->input1_offset <= 255 &&
         p->input2_offset >= -255 && p->input2_offset <= 255;
}

#if TB_SIMD_DSP
/* The folded table loop on a Cortex-M4 in 11 instructions per element
 * (gcc's takes 14: it keeps the smask AND and re-derives pointers): two
 * LDRSB with post-increment, two table loads indexed by the signed byte,
 * the sum, tb_fast_mul_apply for a right shift >= 1 (smask all ones, so
 * x + (x >> 31) is one ADD), SSAT and a post-incremented STRB.
 * r0 a, r1 b, r2 out, r3 quads (>= 1, four elements each),
 * [sp] k = {xa, xb, m2, half (offset folded in), right}. */
#define ADD_FOLDED_ELEMENT       \
  "ldrsb r4, [r0], #1\n\t"       \
  "ldrsb r5, [r1], #1\n\t"       \
  "ldr r4, [r6, r4, lsl #2]\n\t" \
  "ldr r5, [r7, r5, lsl #2]\n\t" \
  "add r4, r4, r5\n\t"           \
  "add r5, r4, r4, asr #31\n\t"  \
  "smmlar r4, r4, r8, r5\n\t"    \
  "add r4, r4, r9\n\t"           \
  "asr r4, r4, r10\n\t"          \
  "ssat r4, #8, r4\n\t"          \
  "strb r4, [r2], #1\n\t"
__attribute__((naked, noinline)) static void add_folded_quads(const int8_t *a __attribute__((unused)),
                                                              const int8_t *b __attribute__((unused)), int8_t *out __attribute__((unused)),
                                                              uint32_t quads __attribute__((unused)),
                                                              const int32_t *k __attribute__((unused))) {
  __asm__ volatile(
      "push {r4-r10, lr}\n\t"
      "ldr r12, [sp, #32]\n\t"
      "ldm r12, {r6-r10}\n"
      "1:\n\t" ADD_FOLDED_ELEMENT ADD_FOLDED_ELEMENT ADD_FOLDED_ELEMENT ADD_FOLDED_ELEMENT
      "subs r3, r3, #1\n\t"
      "bne 1b\n\t"
      "pop {r4-r10, pc}\n\t");
}
#undef ADD_FOLDED_ELEMENT
#endif

void tb_add_s8_opt(const tb_add_params *params, uint32_t n, const int8_t *a, const int8_t *b, int8_t *out) {
#if TB_WASM_SIMD
  const uint32_t done = wasm_add(params, n, a, b, out);
  n -= done, a += done, b += done, out += done;
#endif
  const tb_add_params P = *params; /* a local copy: int8 stores could alias *params */
#if !TB_WASM_SIMD
  if (add_fast(&P) && n >= 1024) {
    /* Each input's rescaling depends on its int8 value alone: tabulate both
     * for the 256 values (2 KB of stack, as the WebAssembly build does),
     * then per element two lookups and the output rescale. */
    int32_t ta[256], tbt[256];
    const tb_fast_mul m1 = tb_fast_mul_of(P.input1_multiplier, -P.input1_shift), m2 = tb_fast_mul_of(P.input2_multiplier, -P.input2_shift);
    for (int32_t v = -128; v < 128; ++v) {
      ta[v + 128] = tb_fast_mul_apply((int32_t)((uint32_t)(v + P.input1_offset) << P.left_shift), m1);
      tbt[v + 128] = tb_fast_mul_apply((int32_t)((uint32_t)(v + P.input2_offset) << P.left_shift), m2);
    }
    const int32_t *const xa = ta + 128, *const xb = tbt + 128;
    tb_fast_mul mo = tb_fast_mul_of(P.output_multiplier, -P.output_shift);
    const int32_t off = P.output_offset, lo = P.act_min, hi = P.act_max;
    if (lo == -128 && hi == 127 && mo.right <= 22 && off >= -128 && off <= 128) {
      /* The offset folded into the rounding term: |y| < 2^29 and |off| 2^right <= 2^29 keep the sum inside int32. */
      mo.half += off * (int32_t)(1u << mo.right);
      uint32_t i = 0;
#if TB_SIMD_DSP
      if (mo.right > 0) {
        const int32_t k[5] = {(int32_t)(intptr_t)xa, (int32_t)(intptr_t)xb, mo.m2, mo.half, mo.right};
        add_folded_quads(a, b, out, n >> 2, k);
        i = n & ~3u;
      }
#endif
      for (; i + 4 <= n; i += 4) {
        out[i] = (int8_t)tb_ssat(tb_fast_mul_apply(xa[a[i]] + xb[b[i]], mo), 8);
        out[i + 1] = (int8_t)tb_ssat(tb_fast_mul_apply(xa[a[i + 1]] + xb[b[i + 1]], mo), 8);
        out[i + 2] = (int8_t)tb_ssat(tb_fast_mul_apply(xa[a[i + 2]] + xb[b[i + 2]], mo), 8);
        out[i + 3] = (int8_t)tb_ssat(tb_fast_mul_apply(xa[a[i + 3]] + xb[b[i + 3]], mo), 8);
      }
      for (; i < n; ++i) out[i] = (int8_t)tb_ssat(tb_fast_mul_apply(xa[a[i]] + xb[b[i]], mo), 8);
    } else if (lo == -128 && hi == 127)
      for (uint32_t i = 0; i < n; ++i) out[i] = (int8_t)tb_ssat(tb_fast_mul_apply(xa[a[i]] + xb[b[i]], mo) + off, 8);
    else
      for (uint32_t i = 0; i < n; ++i) out[i] = (int8_t)tb_clamp_i32(tb_fast_mul_apply(xa[a[i]] + xb[b[i]], mo) + off, lo, hi);
    return;
  }
#endif
  if (add_fast(&P)) {
    const tb_fast_mul m1 = tb_fast_mul_of(P.input1_multiplier, -P.input1_shift), m2 = tb_fast_mul_of(P.input2_multiplier, -P.input2_shift);
    const tb_fast_mul mo = tb_fast_mul_of(P.output_multiplier, -P.output_shift);
    for (uint32_t i = 0; i < n; ++i) {
      const int32_t sa = tb_fast_mul_apply((int32_t)((uint32_t)(a[i] + P.input1_offset) << P.left_shift), m1);
      const int32_t sb = tb_fast_mul_apply((int32_t)((uint32_t)(b[i] + P.input2_offset) << P.left_shift), m2);
      out[i] = (int8_t)tb_clamp_i32(tb_fast_mul_apply(sa + sb, mo) + P.output_offset, P.act_min, P.act_max);
    }
    return;
  }
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
