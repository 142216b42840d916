/* WebAssembly SIMD128 kernels of the virtual DUT (included by tb_opt.c when
 * TB_WASM_SIMD), bit-exact with tb_ref.c like the rest of tb_opt.c.
 *
 * What the profile of the scalar-requantizing build showed (bench/wasm-op-profile.mjs):
 * the multiply-accumulate loops were already 8-wide, but every output still
 * paid a horizontal sum and a scalar 64-bit requantization, which made layers
 * with few MACs per output (vww01's pointwise and depthwise layers, first
 * layers, ic01's ADDs) cost ~3 ns per output. So here the vector lanes are
 * chosen so that requantization is vectorized too:
 * - convolution: the lanes are 4 output pixels of one output channel. Four
 *   pixels' receptive fields are widened to int16 and interleaved by pairs of
 *   depth elements, so one i32x4.dot_i16x8 of a broadcast weight pair with a
 *   packed vector adds two MACs to each of 4 pixels; 4 output channels per
 *   pass reuse every packed vector 4 times; no horizontal sums.
 * - requantization of 4 lanes that share a channel's multiplier and shift:
 *   i64x2.extmul for the 64-bit product, a lane-uniform rounding shift
 *   (TFLM's double rounding, as requantize() in tb_opt.c).
 * - depthwise: lanes are channels (8 per pass), 4 pixels accumulated at once
 *   and transposed so that requantization again sees one channel per vector.
 * - ADD: 16 elements per pass, every step in i32x4 / i64x2 lanes. */

/* ---- requantization ------------------------------------------------------ */

/* LLVM 14 (Debian's emscripten 3.1.6) turns i64x2.extmul into extend + i64x2.mul
 * (emulated with several multiplies by V8) once its operands are hoisted out
 * of a loop, and scalarizes a vector shift whose splat count was hoisted, so
 * these few are written as the instructions themselves. */
static inline v128_t wasm_extmul_lo_i32(v128_t a, v128_t b) {
  v128_t r;
  __asm__("local.get %1\n\tlocal.get %2\n\ti64x2.extmul_low_i32x4_s\n\tlocal.set %0" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
static inline v128_t wasm_extmul_hi_i32(v128_t a, v128_t b) {
  v128_t r;
  __asm__("local.get %1\n\tlocal.get %2\n\ti64x2.extmul_high_i32x4_s\n\tlocal.set %0" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
static inline v128_t wasm_shl(v128_t a, int32_t n) {
  v128_t r;
  __asm__("local.get %1\n\tlocal.get %2\n\ti32x4.shl\n\tlocal.set %0" : "=r"(r) : "r"(a), "r"(n));
  return r;
}
static inline v128_t wasm_shr(v128_t a, int32_t n) {
  v128_t r;
  __asm__("local.get %1\n\tlocal.get %2\n\ti32x4.shr_s\n\tlocal.set %0" : "=r"(r) : "r"(a), "r"(n));
  return r;
}

/* (a * m + 2^30) >> 31 per lane: the doubling high multiply of requantize(). */
static inline v128_t wasm_high_mul(v128_t a, v128_t m) {
  const v128_t nudge = wasm_i64x2_const_splat(1LL << 30);
  /* The result fits in 32 bits, so a logical shift gives its low word as well. */
  const v128_t lo = wasm_u64x2_shr(wasm_i64x2_add(wasm_extmul_lo_i32(a, m), nudge), 31);
  const v128_t hi = wasm_u64x2_shr(wasm_i64x2_add(wasm_extmul_hi_i32(a, m), nudge), 31);
  return wasm_i32x4_shuffle(lo, hi, 0, 2, 4, 6);
}

/* x / 2^right per lane, rounded to nearest, ties away from zero (a gt lane of -1 is +1). */
static inline v128_t wasm_rounding_shift(v128_t x, int32_t right) {
  const v128_t mask = wasm_i32x4_splat((int32_t)((1u << right) - 1u));
  const v128_t threshold = wasm_i32x4_sub(wasm_i32x4_shr(mask, 1), wasm_i32x4_shr(x, 31));
  return wasm_i32x4_sub(wasm_shr(x, right), wasm_i32x4_gt(wasm_v128_and(x, mask), threshold));
}

/* requantize(lane, m, shift) + offset in every lane (the clamp comes with the narrowing to int8). */
static inline v128_t wasm_requant(v128_t acc, int32_t m, int32_t shift, v128_t out_offset) {
  const int32_t left = shift > 0 ? shift : 0, right = left - shift;
  const v128_t x = wasm_high_mul(wasm_shl(acc, left), wasm_i32x4_splat(m));
  return wasm_i32x4_add(wasm_rounding_shift(x, right), out_offset);
}

/* One channel's requantization constants, splatted once per kernel call
 * (in the kernel's scratch) instead of once per 4 outputs. */
typedef struct {
  v128_t m, mask, half;
  int32_t left, right, unused[2];
} wasm_rq;
enum { WASM_RQ_BYTES = 64 }; /* sizeof(wasm_rq), for the scratch size in tb_opt.c */
typedef char wasm_rq_size_check[sizeof(wasm_rq) == WASM_RQ_BYTES ? 1 : -1];

static void wasm_rq_table(wasm_rq *t, const tb_requant *q, int32_t n) {
  for (int32_t i = 0; i < n; ++i) {
    const int32_t shift = q->shift[i * q->stride], left = shift > 0 ? shift : 0, right = left - shift;
    const int32_t mask = (int32_t)((1u << right) - 1u);
    t[i].m = wasm_i32x4_splat(q->multiplier[i * q->stride]);
    t[i].mask = wasm_i32x4_splat(mask), t[i].half = wasm_i32x4_splat(mask >> 1);
    t[i].left = left, t[i].right = right, t[i].unused[0] = t[i].unused[1] = 0;
  }
}

/* wasm_requant with the constants of r; (x & mask) > half - (x >> 31) written as
 * (x & mask) + (x >> 31) > half, which needs no per-call threshold. */
static inline v128_t wasm_requant_t(v128_t acc, const wasm_rq *r, v128_t out_offset) {
  /* Left shifts are rare (multipliers below 1 dominate): skip the shift then. */
  const v128_t x = wasm_high_mul(r->left ? wasm_shl(acc, r->left) : acc, r->m);
  const v128_t up = wasm_i32x4_gt(wasm_i32x4_add(wasm_v128_and(x, r->mask), wasm_i32x4_shr(x, 31)), r->half);
  return wasm_i32x4_add(wasm_i32x4_sub(wasm_shr(x, r->right), up), out_offset);
}

/* Four i32x4 to 16 int8 with saturation, then the activation clamp. */
static inline v128_t wasm_narrow4(v128_t a, v128_t b, v128_t c, v128_t d, v128_t lo, v128_t hi) {
  const v128_t n = wasm_i8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4(a, b), wasm_i16x8_narrow_i32x4(c, d));
  return wasm_i8x16_min(wasm_i8x16_max(n, lo), hi);
}

/* 4x4 transpose of 32-bit lanes. */
#define WASM_TRANSPOSE4(a, b, c, d)                                                                      \
  do {                                                                                                   \
    const v128_t t0_ = wasm_i32x4_shuffle(a, b, 0, 4, 1, 5), t1_ = wasm_i32x4_shuffle(a, b, 2, 6, 3, 7); \
    const v128_t t2_ = wasm_i32x4_shuffle(c, d, 0, 4, 1, 5), t3_ = wasm_i32x4_shuffle(c, d, 2, 6, 3, 7); \
    a = wasm_i64x2_shuffle(t0_, t2_, 0, 2), b = wasm_i64x2_shuffle(t0_, t2_, 1, 3);                      \
    c = wasm_i64x2_shuffle(t1_, t3_, 0, 2), d = wasm_i64x2_shuffle(t1_, t3_, 1, 3);                      \
  } while (0)

/* ---- CONV_2D ------------------------------------------------------------- */

#define WASM_TILE 8 /* output pixels per pass: two i32x4 of 4 pixels ("quads") */

/* Scratch (tb_conv_s8_scratch_opt): the requantization table (wasm_rq per output
 * channel), one quad's widened rows (im2col), then both quads interleaved. */

/* Rows r0..r3 (int16, `layout` long) interleaved: for each pair of depth
 * elements, the pair of pixel 0, of 1, of 2, of 3 (one v128); chunks of 8
 * depth elements (4 v128) are `stride` int16 apart, so two quads can share
 * a chunk. */
static inline void wasm_pack_rows(const int16_t *r0, const int16_t *r1, const int16_t *r2, const int16_t *r3, int32_t layout, int16_t *pk,
                                  int32_t stride) {
  for (int32_t k = 0; k < layout; k += 8, pk += stride) {
    v128_t a = wasm_v128_load(r0 + k), b = wasm_v128_load(r1 + k), c = wasm_v128_load(r2 + k), d = wasm_v128_load(r3 + k);
    WASM_TRANSPOSE4(a, b, c, d);
    wasm_v128_store(pk, a), wasm_v128_store(pk + 8, b), wasm_v128_store(pk + 16, c), wasm_v128_store(pk + 24, d);
  }
}

/* The same straight from four int8 pixel rows (1x1 convolution, depth % 8 == 0), widening on the way. */
static inline void wasm_pack_pixels(const int8_t *x0, const int8_t *x1, const int8_t *x2, const int8_t *x3, int32_t depth, int32_t offset,
                                    int16_t *pk, int32_t stride) {
  const v128_t off = wasm_i16x8_splat((int16_t)offset);
  for (int32_t k = 0; k < depth; k += 8, pk += stride) {
    v128_t a = wasm_i16x8_add(wasm_i16x8_load8x8(x0 + k), off), b = wasm_i16x8_add(wasm_i16x8_load8x8(x1 + k), off);
    v128_t c = wasm_i16x8_add(wasm_i16x8_load8x8(x2 + k), off), d = wasm_i16x8_add(wasm_i16x8_load8x8(x3 + k), off);
    WASM_TRANSPOSE4(a, b, c, d);
    wasm_v128_store(pk, a), wasm_v128_store(pk + 8, b), wasm_v128_store(pk + 16, c), wasm_v128_store(pk + 24, d);
  }
}

/* Output pixel coordinates walked forward without a division per pixel
 * (integer division is among the slowest WebAssembly instructions). */
typedef struct {
  int b, y, x;
} wasm_pos;

static inline void wasm_step(wasm_pos *q, const tb_dims *out) {
  if (++q->x == out->w) {
    q->x = 0;
    if (++q->y == out->h) q->y = 0, ++q->b;
  }
}

/* d[0 .. n) = s[0 .. n) + offset: 8 at a time, the last 8 overlapping when n is not a multiple of 8. */
static inline void wasm_widen(int16_t *d, const int8_t *s, int n, v128_t off) {
  int i = 0;
  for (; i + 8 <= n; i += 8) wasm_v128_store(d + i, wasm_i16x8_add(wasm_i16x8_load8x8(s + i), off));
  if (i == n) return;
  if (n >= 8) {
    wasm_v128_store(d + n - 8, wasm_i16x8_add(wasm_i16x8_load8x8(s + n - 8), off));
    return;
  }
  const int16_t o = (int16_t)wasm_i16x8_extract_lane(off, 0);
  for (; i < n; ++i) d[i] = (int16_t)(s[i] + o);
}

static inline void wasm_zero(int16_t *d, int n) {
  int i = 0;
  for (; i + 8 <= n; i += 8) wasm_v128_store(d + i, wasm_i16x8_splat(0));
  if (i == n) return;
  if (n >= 8) {
    wasm_v128_store(d + n - 8, wasm_i16x8_splat(0));
    return;
  }
  for (; i < n; ++i) d[i] = 0;
}

/* im2col() of tb_opt.c for one pixel into one row, with whole runs widened 8 at a time. */
static void wasm_im2col(const tb_conv_params *p, const tb_dims *in, const int8_t *input, const tb_dims *filter, wasm_pos at, int16_t *row,
                        v128_t off) {
  const int in_c = in->c, fw = filter->w, run = fw * in_c;
  const int x0 = at.x * p->stride_w - p->pad_w;
  const int whole = p->dilation_w == 1 && x0 >= 0 && x0 + fw <= in->w;
  for (int fy = 0; fy < filter->h; ++fy, row += run) {
    const int y = at.y * p->stride_h - p->pad_h + fy * p->dilation_h;
    if (y < 0 || y >= in->h) {
      wasm_zero(row, run);
      continue;
    }
    const int8_t *src = input + ((size_t)at.b * in->h + y) * in->w * in_c;
    if (whole) {
      wasm_widen(row, src + (size_t)x0 * in_c, run, off);
      continue;
    }
    for (int fx = 0; fx < fw; ++fx) {
      const int x = x0 + fx * p->dilation_w;
      if (x < 0 || x >= in->w) wasm_zero(row + fx * in_c, in_c);
      else wasm_widen(row + fx * in_c, src + (size_t)x * in_c, in_c, off);
    }
  }
}

/* im2col and interleaving in one pass when in_c % 8 == 0: every chunk of 8
 * depth elements is 8 channels of one filter tap, so each pixel's chunk is
 * one 8-byte load from the input (zeros where the tap is off the edge). */
static void wasm_pack_taps(const tb_conv_params *p, const tb_dims *in, const int8_t *input, const tb_dims *filter, const wasm_pos *pos,
                           v128_t off, int16_t *pk, int32_t stride) {
  const int C = in->c, fh = filter->h, fw = filter->w, sh = p->stride_h, sw = p->stride_w, dh = p->dilation_h, dw = p->dilation_w;
  const int8_t *base[4];
  int y0[4], x0[4], inside = 1;
  for (int j = 0; j < 4; ++j) {
    y0[j] = pos[j].y * sh - p->pad_h, x0[j] = pos[j].x * sw - p->pad_w;
    base[j] = input + (size_t)pos[j].b * in->h * in->w * C;
    inside &= y0[j] >= 0 && y0[j] + (fh - 1) * dh < in->h && x0[j] >= 0 && x0[j] + (fw - 1) * dw < in->w;
  }
  const v128_t zero = wasm_i16x8_splat(0);
  for (int fy = 0; fy < fh; ++fy)
    for (int fx = 0; fx < fw; ++fx) {
      const int8_t *src[4];
      for (int j = 0; j < 4; ++j) {
        const int y = y0[j] + fy * dh, x = x0[j] + fx * dw;
        src[j] = inside || (y >= 0 && y < in->h && x >= 0 && x < in->w) ? base[j] + ((size_t)y * in->w + x) * C : NULL;
      }
      for (int c = 0; c < C; c += 8, pk += stride) {
        v128_t a = src[0] ? wasm_i16x8_add(wasm_i16x8_load8x8(src[0] + c), off) : zero;
        v128_t b = src[1] ? wasm_i16x8_add(wasm_i16x8_load8x8(src[1] + c), off) : zero;
        v128_t d = src[2] ? wasm_i16x8_add(wasm_i16x8_load8x8(src[2] + c), off) : zero;
        v128_t e = src[3] ? wasm_i16x8_add(wasm_i16x8_load8x8(src[3] + c), off) : zero;
        WASM_TRANSPOSE4(a, b, d, e);
        wasm_v128_store(pk, a), wasm_v128_store(pk + 8, b), wasm_v128_store(pk + 16, d), wasm_v128_store(pk + 24, e);
      }
    }
}

/* First layers on RGB input (3x3 filter, 3 channels: depth 27): each filter
 * row of a pixel is 9 contiguous bytes, so a pixel's receptive field is three
 * 9-byte loads and two byte shuffles, widened and interleaved in registers.
 * Used when all four pixels of the quad are inside the input; the 5 padding
 * elements meet the zero-padded last weight chunk (wtail). */
static inline v128_t wasm_load9(const int8_t *s) { return wasm_v128_load8_lane(s + 8, wasm_v128_load64_zero(s), 8); }

static int wasm_pack_rgb3x3(const tb_conv_params *p, const tb_dims *in, const int8_t *input, const wasm_pos *pos, v128_t off, int16_t *pk,
                            int32_t stride) {
  const int8_t *src[4];
  const int32_t row = in->w * 3 * p->dilation_h;
  for (int j = 0; j < 4; ++j) {
    const int y0 = pos[j].y * p->stride_h - p->pad_h, x0 = pos[j].x * p->stride_w - p->pad_w;
    if (y0 < 0 || y0 + 2 * p->dilation_h >= in->h || x0 < 0 || x0 + 3 > in->w) return 0;
    src[j] = input + (((size_t)pos[j].b * in->h + y0) * in->w + x0) * 3;
  }
  v128_t c[4][4];
  for (int j = 0; j < 4; ++j) {
    const v128_t r0 = wasm_load9(src[j]), r1 = wasm_load9(src[j] + row), r2 = wasm_load9(src[j] + 2 * row);
    const v128_t a = wasm_i8x16_shuffle(r0, r1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 16, 17, 18, 19, 20, 21, 22);
    const v128_t b = wasm_i8x16_shuffle(r1, r2, 7, 8, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 25, 25, 25, 25);
    c[0][j] = wasm_i16x8_add(wasm_i16x8_extend_low_i8x16(a), off), c[1][j] = wasm_i16x8_add(wasm_i16x8_extend_high_i8x16(a), off);
    c[2][j] = wasm_i16x8_add(wasm_i16x8_extend_low_i8x16(b), off), c[3][j] = wasm_i16x8_add(wasm_i16x8_extend_high_i8x16(b), off);
  }
  for (int i = 0; i < 4; ++i, pk += stride) {
    WASM_TRANSPOSE4(c[i][0], c[i][1], c[i][2], c[i][3]);
    wasm_v128_store(pk, c[i][0]), wasm_v128_store(pk + 8, c[i][1]), wasm_v128_store(pk + 16, c[i][2]), wasm_v128_store(pk + 24, c[i][3]);
  }
  return 1;
}

/* One quad: acc += eight weights (int8 at w) . the packed chunk x0..x3, per pixel lane. */
#define WASM_CHUNK(w, acc)                                                                       \
  do {                                                                                           \
    const v128_t w_ = wasm_i16x8_load8x8(w);                                                     \
    acc = wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(wasm_i32x4_shuffle(w_, w_, 0, 0, 0, 0), x0)); \
    acc = wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(wasm_i32x4_shuffle(w_, w_, 1, 1, 1, 1), x1)); \
    acc = wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(wasm_i32x4_shuffle(w_, w_, 2, 2, 2, 2), x2)); \
    acc = wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(wasm_i32x4_shuffle(w_, w_, 3, 3, 3, 3), x3)); \
  } while (0)

#define WASM_LOAD_CHUNK(pk) \
  const v128_t x0 = wasm_v128_load(pk), x1 = wasm_v128_load((pk) + 8), x2 = wasm_v128_load((pk) + 16), x3 = wasm_v128_load((pk) + 24)

/* Two quads, four channels: weight pair kp of each channel broadcast once and
 * used for both quads (fewer shuffles per MAC than one quad at a time). */
#define WASM_PAIR2(w_, kp, a, b)                                  \
  do {                                                            \
    const v128_t s_ = wasm_i32x4_shuffle(w_, w_, kp, kp, kp, kp); \
    a = wasm_i32x4_add(a, wasm_i32x4_dot_i16x8(s_, xa));          \
    b = wasm_i32x4_add(b, wasm_i32x4_dot_i16x8(s_, xb));          \
  } while (0)
#define WASM_KP_4x8(c, kp)                                                                      \
  do {                                                                                          \
    const v128_t xa = wasm_v128_load((c) + 8 * (kp)), xb = wasm_v128_load((c) + 32 + 8 * (kp)); \
    WASM_PAIR2(w0_, kp, a00, a01);                                                              \
    WASM_PAIR2(w1_, kp, a10, a11);                                                              \
    WASM_PAIR2(w2_, kp, a20, a21);                                                              \
    WASM_PAIR2(w3_, kp, a30, a31);                                                              \
  } while (0)
#define WASM_CHUNK_4x8(c, p0, p1, p2, p3)                                    \
  do {                                                                       \
    const v128_t w0_ = wasm_i16x8_load8x8(p0), w1_ = wasm_i16x8_load8x8(p1); \
    const v128_t w2_ = wasm_i16x8_load8x8(p2), w3_ = wasm_i16x8_load8x8(p3); \
    WASM_KP_4x8(c, 0);                                                       \
    WASM_KP_4x8(c, 1);                                                       \
    WASM_KP_4x8(c, 2);                                                       \
    WASM_KP_4x8(c, 3);                                                       \
  } while (0)
#define WASM_CHUNK_1x8(c, p0)                                     \
  do {                                                            \
    const v128_t w_ = wasm_i16x8_load8x8(p0);                     \
    v128_t xa = wasm_v128_load(c), xb = wasm_v128_load((c) + 32); \
    WASM_PAIR2(w_, 0, a00, a01);                                  \
    xa = wasm_v128_load((c) + 8), xb = wasm_v128_load((c) + 40);  \
    WASM_PAIR2(w_, 1, a00, a01);                                  \
    xa = wasm_v128_load((c) + 16), xb = wasm_v128_load((c) + 48); \
    WASM_PAIR2(w_, 2, a00, a01);                                  \
    xa = wasm_v128_load((c) + 24), xb = wasm_v128_load((c) + 56); \
    WASM_PAIR2(w_, 3, a00, a01);                                  \
  } while (0)

/* Requantized channels oc..oc+3 of one quad (a0..a3: 4 pixels each) stored pixel-major. */
static inline void wasm_store_4x4(v128_t a0, v128_t a1, v128_t a2, v128_t a3, const wasm_rq *r, v128_t out_off, v128_t lo8, v128_t hi8,
                                  int8_t *d, int32_t out_c, int npx) {
  a0 = wasm_requant_t(a0, r, out_off);
  a1 = wasm_requant_t(a1, r + 1, out_off);
  a2 = wasm_requant_t(a2, r + 2, out_off);
  a3 = wasm_requant_t(a3, r + 3, out_off);
  /* Bytes channel-major (4 pixels of channel oc, then oc + 1, ...) to pixel-major. */
  const v128_t b = wasm_narrow4(a0, a1, a2, a3, lo8, hi8);
  const v128_t t = wasm_i8x16_shuffle(b, b, 0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  wasm_v128_store32_lane(d, t, 0);
  if (npx > 1) wasm_v128_store32_lane(d + out_c, t, 1);
  if (npx > 2) wasm_v128_store32_lane(d + 2 * out_c, t, 2);
  if (npx > 3) wasm_v128_store32_lane(d + 3 * out_c, t, 3);
}

/* One channel of one quad. */
static inline void wasm_store_1x4(v128_t a0, const wasm_rq *r, v128_t out_off, v128_t lo8, v128_t hi8, int8_t *d, int32_t out_c, int npx) {
  int8_t b[16];
  wasm_v128_store(b, wasm_narrow4(wasm_requant_t(a0, r, out_off), a0, a0, a0, lo8, hi8));
  for (int j = 0; j < npx; ++j) d[(size_t)j * out_c] = b[j];
}

/* One output pixel from its widened receptive field (row), fully connected
 * style: lanes are partial sums over the depth, reduced at the end. Used for a
 * last tile of 1-3 pixels, where a quad of repeated pixels would waste most
 * of its lanes (vww01's 3x3 layers: 9 pixels = 8 + 1). */
static void wasm_conv_pixel(const int16_t *row, int32_t depth, int32_t tail, const int8_t *weights, const int8_t (*wtail)[8],
                            const int32_t *bias, const tb_requant *q, const tb_conv_params *p, int32_t out_c, int8_t *o) {
  const int32_t nfull = depth >> 3;
  int32_t oc = 0;
  for (; oc + 4 <= out_c; oc += 4) {
    const int8_t *w0 = weights + (size_t)oc * depth, *w1 = w0 + depth, *w2 = w1 + depth, *w3 = w2 + depth;
    v128_t a0 = wasm_i32x4_splat(0), a1 = a0, a2 = a0, a3 = a0;
    for (int32_t n = 0; n < nfull; ++n) {
      const v128_t x = wasm_v128_load(row + 8 * n);
      a0 = wasm_i32x4_add(a0, wasm_i32x4_dot_i16x8(wasm_i16x8_load8x8(w0 + 8 * n), x));
      a1 = wasm_i32x4_add(a1, wasm_i32x4_dot_i16x8(wasm_i16x8_load8x8(w1 + 8 * n), x));
      a2 = wasm_i32x4_add(a2, wasm_i32x4_dot_i16x8(wasm_i16x8_load8x8(w2 + 8 * n), x));
      a3 = wasm_i32x4_add(a3, wasm_i32x4_dot_i16x8(wasm_i16x8_load8x8(w3 + 8 * n), x));
    }
    if (tail) {
      const v128_t x = wasm_v128_load(row + 8 * nfull);
      a0 = wasm_i32x4_add(a0, wasm_i32x4_dot_i16x8(wasm_i16x8_load8x8(wtail[oc]), x));
      a1 = wasm_i32x4_add(a1, wasm_i32x4_dot_i16x8(wasm_i16x8_load8x8(wtail[oc + 1]), x));
      a2 = wasm_i32x4_add(a2, wasm_i32x4_dot_i16x8(wasm_i16x8_load8x8(wtail[oc + 2]), x));
      a3 = wasm_i32x4_add(a3, wasm_i32x4_dot_i16x8(wasm_i16x8_load8x8(wtail[oc + 3]), x));
    }
    WASM_TRANSPOSE4(a0, a1, a2, a3);
    int32_t acc[4];
    wasm_v128_store(acc, wasm_i32x4_add(wasm_i32x4_add(a0, a1), wasm_i32x4_add(a2, a3)));
    for (int j = 0; j < 4; ++j)
      o[oc + j] = requantize_s8(acc[j] + (bias ? bias[oc + j] : 0), q->multiplier[(oc + j) * q->stride], q->shift[(oc + j) * q->stride],
                                p->output_offset, p->act_min, p->act_max);
  }
  for (; oc < out_c; ++oc) {
    const int8_t *w0 = weights + (size_t)oc * depth;
    v128_t a0 = wasm_i32x4_splat(0);
    for (int32_t n = 0; n < nfull; ++n)
      a0 = wasm_i32x4_add(a0, wasm_i32x4_dot_i16x8(wasm_i16x8_load8x8(w0 + 8 * n), wasm_v128_load(row + 8 * n)));
    if (tail) a0 = wasm_i32x4_add(a0, wasm_i32x4_dot_i16x8(wasm_i16x8_load8x8(wtail[oc]), wasm_v128_load(row + 8 * nfull)));
    a0 = wasm_i32x4_add(a0, wasm_i32x4_shuffle(a0, a0, 2, 3, 0, 1));
    a0 = wasm_i32x4_add(a0, wasm_i32x4_shuffle(a0, a0, 1, 0, 3, 2));
    o[oc] = requantize_s8(wasm_i32x4_extract_lane(a0, 0) + (bias ? bias[oc] : 0), q->multiplier[oc * q->stride], q->shift[oc * q->stride],
                          p->output_offset, p->act_min, p->act_max);
  }
}

/* Returns 0 (and does nothing) when the shape is not one this path covers. */
static int wasm_conv(const tb_conv_params *p, const tb_requant *q, const tb_dims *in, const int8_t *input, const tb_dims *filter,
                     const int8_t *weights, const int32_t *bias, const tb_dims *out, int8_t *output, void *scratch) {
  enum { MAX_OUT_C = 1024 };
  const int32_t depth = conv_depth(filter), layout = column_layout(depth), nfull = depth >> 3, out_c = out->c;
  const int32_t tail = depth & 7;
  if (out_c > MAX_OUT_C) return 0;
  const v128_t out_off = wasm_i32x4_splat(p->output_offset);
  const v128_t lo8 = wasm_i8x16_splat((int8_t)p->act_min), hi8 = wasm_i8x16_splat((int8_t)p->act_max);
  wasm_rq *const rq = (wasm_rq *)scratch;
  wasm_rq_table(rq, q, out_c);
  const int pointwise = filter->h == 1 && filter->w == 1 && p->stride_w == 1 && p->stride_h == 1 && p->pad_w == 0 && p->pad_h == 0 &&
                        in->h == out->h && in->w == out->w && tail == 0;
  int16_t *rows = (int16_t *)(rq + out_c), *pk = rows + 4 * layout;
  /* The last chunk of every weight row, zero-padded, so no load runs past the filter tensor. */
  int8_t wtail[MAX_OUT_C][8];
  if (tail) {
    memset(wtail, 0, (size_t)out_c * 8);
    for (int32_t oc = 0; oc < out_c; ++oc) memcpy(wtail[oc], weights + (size_t)oc * depth + 8 * nfull, (size_t)tail);
    /* The rows' padding stays zero: im2col writes elements [0, depth) only. */
    for (int j = 0; j < 4; ++j) memset(rows + j * layout + depth, 0, sizeof(int16_t) * (size_t)(layout - depth));
  }
  const int32_t plane = out->h * out->w, pixels = out->n * plane;
  const v128_t in_off = wasm_i16x8_splat((int16_t)p->input_offset);
  const int rgb3x3 = in->c == 3 && filter->h == 3 && filter->w == 3 && p->dilation_w == 1;
  wasm_pos next = {0, 0, 0};
  for (int32_t px = 0; px < pixels; px += WASM_TILE) {
    const int npx = pixels - px < WASM_TILE ? pixels - px : WASM_TILE;
    /* Two quads unless at most 4 pixels are left; a short quad repeats its last pixel, only real pixels are stored. */
    const int nq = npx > 4 ? 2 : 1;
    int32_t pix[WASM_TILE];
    wasm_pos pos[WASM_TILE];
    for (int j = 0; j < 4 * nq; ++j) {
      pix[j] = px + (j < npx ? j : npx - 1);
      pos[j] = next;
      if (j < npx) wasm_step(&next, out);
      else pos[j] = pos[j - 1];
    }
    if (npx <= 3) {
      for (int j = 0; j < npx; ++j) {
        if (pointwise) wasm_widen(rows, input + (size_t)(px + j) * depth, depth, in_off);
        else wasm_im2col(p, in, input, filter, pos[j], rows, in_off);
        wasm_conv_pixel(rows, depth, tail, weights, (const int8_t(*)[8])wtail, bias, q, p, out_c, output + (size_t)(px + j) * out_c);
      }
      continue;
    }
    for (int qd = 0; qd < nq; ++qd) {
      const int32_t *pq = pix + 4 * qd;
      if (pointwise) {
        wasm_pack_pixels(input + (size_t)pq[0] * depth, input + (size_t)pq[1] * depth, input + (size_t)pq[2] * depth,
                         input + (size_t)pq[3] * depth, depth, p->input_offset, pk + 32 * qd, 32 * nq);
      } else if ((in->c & 7) == 0) {
        wasm_pack_taps(p, in, input, filter, pos + 4 * qd, in_off, pk + 32 * qd, 32 * nq);
      } else if (rgb3x3 && wasm_pack_rgb3x3(p, in, input, pos + 4 * qd, in_off, pk + 32 * qd, 32 * nq)) {
      } else {
        for (int j = 0; j < 4; ++j) wasm_im2col(p, in, input, filter, pos[4 * qd + j], rows + j * layout, in_off);
        wasm_pack_rows(rows, rows + layout, rows + 2 * layout, rows + 3 * layout, layout, pk + 32 * qd, 32 * nq);
      }
    }
    int8_t *o = output + (size_t)px * out_c;
    const int npx1 = npx > 4 ? npx - 4 : 0; /* pixels of the second quad */
    int32_t oc = 0;
    if (nq == 2) {
      for (; oc + 4 <= out_c; oc += 4) {
        const int8_t *w0 = weights + (size_t)oc * depth, *w1 = w0 + depth, *w2 = w1 + depth, *w3 = w2 + depth;
        v128_t a00 = wasm_i32x4_splat(0), a10 = a00, a20 = a00, a30 = a00;
        if (bias)
          a00 = wasm_i32x4_splat(bias[oc]), a10 = wasm_i32x4_splat(bias[oc + 1]), a20 = wasm_i32x4_splat(bias[oc + 2]),
          a30 = wasm_i32x4_splat(bias[oc + 3]);
        v128_t a01 = a00, a11 = a10, a21 = a20, a31 = a30;
        const int16_t *c = pk;
        for (int32_t n = 0; n < nfull; ++n, c += 64) WASM_CHUNK_4x8(c, w0 + 8 * n, w1 + 8 * n, w2 + 8 * n, w3 + 8 * n);
        if (tail) WASM_CHUNK_4x8(c, wtail[oc], wtail[oc + 1], wtail[oc + 2], wtail[oc + 3]);
        wasm_store_4x4(a00, a10, a20, a30, rq + oc, out_off, lo8, hi8, o + oc, out_c, 4);
        wasm_store_4x4(a01, a11, a21, a31, rq + oc, out_off, lo8, hi8, o + 4 * out_c + oc, out_c, npx1);
      }
      for (; oc < out_c; ++oc) {
        const int8_t *w0 = weights + (size_t)oc * depth;
        v128_t a00 = wasm_i32x4_splat(bias ? bias[oc] : 0), a01 = a00;
        const int16_t *c = pk;
        for (int32_t n = 0; n < nfull; ++n, c += 64) WASM_CHUNK_1x8(c, w0 + 8 * n);
        if (tail) WASM_CHUNK_1x8(c, wtail[oc]);
        wasm_store_1x4(a00, rq + oc, out_off, lo8, hi8, o + oc, out_c, 4);
        wasm_store_1x4(a01, rq + oc, out_off, lo8, hi8, o + 4 * out_c + oc, out_c, npx1);
      }
      continue;
    }
    for (; oc + 4 <= out_c; oc += 4) {
      const int8_t *w0 = weights + (size_t)oc * depth, *w1 = w0 + depth, *w2 = w1 + depth, *w3 = w2 + depth;
      v128_t a0 = wasm_i32x4_splat(0), a1 = a0, a2 = a0, a3 = a0;
      if (bias)
        a0 = wasm_i32x4_splat(bias[oc]), a1 = wasm_i32x4_splat(bias[oc + 1]), a2 = wasm_i32x4_splat(bias[oc + 2]),
        a3 = wasm_i32x4_splat(bias[oc + 3]);
      const int16_t *c = pk;
      for (int32_t n = 0; n < nfull; ++n, c += 32) {
        WASM_LOAD_CHUNK(c);
        WASM_CHUNK(w0 + 8 * n, a0);
        WASM_CHUNK(w1 + 8 * n, a1);
        WASM_CHUNK(w2 + 8 * n, a2);
        WASM_CHUNK(w3 + 8 * n, a3);
      }
      if (tail) {
        WASM_LOAD_CHUNK(c);
        WASM_CHUNK(wtail[oc], a0);
        WASM_CHUNK(wtail[oc + 1], a1);
        WASM_CHUNK(wtail[oc + 2], a2);
        WASM_CHUNK(wtail[oc + 3], a3);
      }
      wasm_store_4x4(a0, a1, a2, a3, rq + oc, out_off, lo8, hi8, o + oc, out_c, npx);
    }
    for (; oc < out_c; ++oc) {
      const int8_t *w0 = weights + (size_t)oc * depth;
      v128_t a0 = wasm_i32x4_splat(bias ? bias[oc] : 0);
      const int16_t *c = pk;
      for (int32_t n = 0; n < nfull; ++n, c += 32) {
        WASM_LOAD_CHUNK(c);
        WASM_CHUNK(w0 + 8 * n, a0);
      }
      if (tail) {
        WASM_LOAD_CHUNK(c);
        WASM_CHUNK(wtail[oc], a0);
      }
      wasm_store_1x4(a0, rq + oc, out_off, lo8, hi8, o + oc, out_c, npx);
    }
  }
  return 1;
}

/* ---- DEPTHWISE_CONV_2D (depth multiplier 1, no dilation, C % 8 == 0) ---- */

/* One output pixel's window, clipped to the input once. */
typedef struct {
  const int8_t *x, *w; /* first in-range tap, channel 0 */
  int ny, nx;
  const int8_t *tp[9]; /* 3x3 windows over an edge: each tap's input, or zeros */
  unsigned outside;    /* bit t: tap t is outside the input */
} wasm_window;

#define WASM_DW_TAP(xo, wo)                                                                                   \
  do {                                                                                                        \
    const v128_t x_ = wasm_i16x8_add(wasm_i16x8_load8x8(ip + (xo)), off), w_ = wasm_i16x8_load8x8(wp + (wo)); \
    l = wasm_i32x4_add(l, wasm_i32x4_extmul_low_i16x8(x_, w_));                                               \
    h = wasm_i32x4_add(h, wasm_i32x4_extmul_high_i16x8(x_, w_));                                              \
  } while (0)

/* Channels [c, c + 8) of one pixel into *lo (c..c+3) and *hi (c+4..c+7). */
static inline void wasm_dw_pixel(const wasm_window *t, int c, int C, int32_t in_row, int32_t w_row, const int32_t *bias, v128_t off,
                                 v128_t *lo, v128_t *hi) {
  v128_t l = wasm_i32x4_splat(0), h = l;
  if (bias) l = wasm_v128_load(bias + c), h = wasm_v128_load(bias + c + 4);
  const int8_t *ip = t->x + c, *wp = t->w + c;
  if (t->ny == 3 && t->nx == 3) {
    WASM_DW_TAP(0, 0);
    WASM_DW_TAP(C, C);
    WASM_DW_TAP(2 * C, 2 * C);
    WASM_DW_TAP(in_row, w_row);
    WASM_DW_TAP(in_row + C, w_row + C);
    WASM_DW_TAP(in_row + 2 * C, w_row + 2 * C);
    WASM_DW_TAP(2 * in_row, 2 * w_row);
    WASM_DW_TAP(2 * in_row + C, 2 * w_row + C);
    WASM_DW_TAP(2 * in_row + 2 * C, 2 * w_row + 2 * C);
  } else {
    for (int fy = 0; fy < t->ny; ++fy, ip += in_row, wp += w_row)
      for (int fx = 0; fx < t->nx; ++fx) WASM_DW_TAP(fx * C, fx * C);
  }
  *lo = l, *hi = h;
}

/* A full 3x3 window with the input offset folded into the bias (bias_full):
 * taps paired per channel (x of tap 2j and 2j+1 interleaved by one shuffle)
 * so one i32x4.dot_i16x8 adds two taps of four channels; wv holds this
 * channel group's weights paired the same way (wasm_dw_pack_3x3). */
#define WASM_DW_PAIR(j) WASM_DW_PAIR_AT(j, xp + xo[2 * (j)], xp + xo[2 * (j) + 1])
#define WASM_DW_PAIR_AT(j, pa, pb)                                                                                                       \
  do {                                                                                                                                   \
    const v128_t xa = wasm_i16x8_load8x8(pa), xb = wasm_i16x8_load8x8(pb);                                                               \
    l = wasm_i32x4_add(l, wasm_i32x4_dot_i16x8(wasm_i16x8_shuffle(xa, xb, 0, 8, 1, 9, 2, 10, 3, 11), wasm_v128_load(wv + 16 * (j))));    \
    h = wasm_i32x4_add(h,                                                                                                                \
                       wasm_i32x4_dot_i16x8(wasm_i16x8_shuffle(xa, xb, 4, 12, 5, 13, 6, 14, 7, 15), wasm_v128_load(wv + 16 * (j) + 8))); \
  } while (0)

static inline void wasm_dw_full(const int8_t *xp, const int16_t *wv, const int32_t *xo, const int32_t *bias_full, v128_t *lo, v128_t *hi) {
  v128_t l = wasm_v128_load(bias_full), h = wasm_v128_load(bias_full + 4);
  WASM_DW_PAIR(0);
  WASM_DW_PAIR(1);
  WASM_DW_PAIR(2);
  WASM_DW_PAIR(3);
  const v128_t x = wasm_i16x8_load8x8(xp + xo[8]), w = wasm_v128_load(wv + 64);
  l = wasm_i32x4_add(l, wasm_i32x4_extmul_low_i16x8(x, w));
  h = wasm_i32x4_add(h, wasm_i32x4_extmul_high_i16x8(x, w));
  *lo = l, *hi = h;
}

enum { WASM_DW_MAX_C = 1024 };

/* Where the taps of a window that hang over the input edge read from: zeros
 * add nothing to the sum of weight * input, and the offset's share of those
 * taps is taken back out of bias_full. */
static const int8_t wasm_dw_zeros[WASM_DW_MAX_C];

/* A 3x3 window clipped by the edge: tp[t] is tap t's input (channel 0) or wasm_dw_zeros. */
static inline void wasm_dw_clipped(const int8_t *const *tp, unsigned outside, int c, int C, const int8_t *weights, const int16_t *wv,
                                   const int32_t *bias_full, v128_t off32, v128_t *lo, v128_t *hi) {
  v128_t l = wasm_v128_load(bias_full), h = wasm_v128_load(bias_full + 4);
  v128_t sl = wasm_i32x4_splat(0), sh = sl;
  for (int t = 0; t < 9; ++t)
    if (outside >> t & 1u) {
      const v128_t w = wasm_i16x8_load8x8(weights + t * C + c);
      sl = wasm_i32x4_add(sl, wasm_i32x4_extend_low_i16x8(w));
      sh = wasm_i32x4_add(sh, wasm_i32x4_extend_high_i16x8(w));
    }
  l = wasm_i32x4_sub(l, wasm_i32x4_mul(sl, off32));
  h = wasm_i32x4_sub(h, wasm_i32x4_mul(sh, off32));
  WASM_DW_PAIR_AT(0, tp[0] + c, tp[1] + c);
  WASM_DW_PAIR_AT(1, tp[2] + c, tp[3] + c);
  WASM_DW_PAIR_AT(2, tp[4] + c, tp[5] + c);
  WASM_DW_PAIR_AT(3, tp[6] + c, tp[7] + c);
  const v128_t x = wasm_i16x8_load8x8(tp[8] + c), w = wasm_v128_load(wv + 64);
  l = wasm_i32x4_add(l, wasm_i32x4_extmul_low_i16x8(x, w));
  h = wasm_i32x4_add(h, wasm_i32x4_extmul_high_i16x8(x, w));
  *lo = l, *hi = h;
}

/* Per group of 8 channels, 72 int16: taps (0,1) (2,3) (4,5) (6,7) interleaved
 * per channel, channels c..c+3 then c+4..c+7, then tap 8 of the 8 channels;
 * and bias_full[c] = bias[c] + input_offset * (sum of channel c's 9 weights). */
static void wasm_dw_pack_3x3(const int8_t *weights, const int32_t *bias, int C, int32_t input_offset, int16_t *wpk, int32_t *bias_full) {
  const v128_t off32 = wasm_i32x4_splat(input_offset);
  for (int c = 0; c < C; c += 8, wpk += 72) {
    v128_t sum = wasm_i16x8_splat(0); /* 9 * 128 fits in int16 */
    for (int j = 0; j < 4; ++j) {
      const v128_t a = wasm_i16x8_load8x8(weights + 2 * j * C + c), b = wasm_i16x8_load8x8(weights + (2 * j + 1) * C + c);
      sum = wasm_i16x8_add(sum, wasm_i16x8_add(a, b));
      wasm_v128_store(wpk + 16 * j, wasm_i16x8_shuffle(a, b, 0, 8, 1, 9, 2, 10, 3, 11));
      wasm_v128_store(wpk + 16 * j + 8, wasm_i16x8_shuffle(a, b, 4, 12, 5, 13, 6, 14, 7, 15));
    }
    const v128_t last = wasm_i16x8_load8x8(weights + 8 * C + c);
    sum = wasm_i16x8_add(sum, last);
    wasm_v128_store(wpk + 64, last);
    v128_t bl = wasm_i32x4_splat(0), bh = bl;
    if (bias) bl = wasm_v128_load(bias + c), bh = wasm_v128_load(bias + c + 4);
    wasm_v128_store(bias_full + c, wasm_i32x4_add(bl, wasm_i32x4_mul(wasm_i32x4_extend_low_i16x8(sum), off32)));
    wasm_v128_store(bias_full + c + 4, wasm_i32x4_add(bh, wasm_i32x4_mul(wasm_i32x4_extend_high_i16x8(sum), off32)));
  }
}

static int wasm_depthwise(const tb_conv_params *p, const tb_requant *q, const tb_dims *in, const int8_t *input, const tb_dims *filter,
                          const int8_t *weights, const int32_t *bias, const tb_dims *out, int8_t *output, void *scratch) {
  const int C = out->c, fh = filter->h, fw = filter->w;
  if (p->depth_multiplier != 1 || p->dilation_w != 1 || p->dilation_h != 1 || (C & 7) != 0) return 0;
  wasm_rq *const rq = (wasm_rq *)scratch; /* tb_depthwise_conv_s8_scratch_opt: C entries */
  wasm_rq_table(rq, q, C);
  const v128_t out_off = wasm_i32x4_splat(p->output_offset);
  const v128_t lo8 = wasm_i8x16_splat((int8_t)p->act_min), hi8 = wasm_i8x16_splat((int8_t)p->act_max);
  const v128_t off = wasm_i16x8_splat((int16_t)p->input_offset), off32 = wasm_i32x4_splat(p->input_offset);
  const int32_t in_row = in->w * C, w_row = fw * C;
  const int32_t plane = out->h * out->w, pixels = out->n * plane;
  const int paired = fh == 3 && fw == 3 && C <= WASM_DW_MAX_C;
  _Alignas(16) int16_t wpk[WASM_DW_MAX_C / 8 * 72];
  _Alignas(16) int32_t bias_full[WASM_DW_MAX_C];
  const int32_t xo[9] = {0, C, 2 * C, in_row, in_row + C, in_row + 2 * C, 2 * in_row, 2 * in_row + C, 2 * in_row + 2 * C};
  if (paired) wasm_dw_pack_3x3(weights, bias, C, p->input_offset, wpk, bias_full);
  wasm_pos next = {0, 0, 0}, at = next;
  for (int32_t px = 0; px < pixels; px += 4) {
    const int npx = pixels - px < 4 ? pixels - px : 4;
    wasm_window t[4];
    int8_t *o[4];
    for (int j = 0; j < 4; ++j) {
      /* A short last tile repeats its last pixel; only real pixels are stored. */
      const int32_t i = px + (j < npx ? j : npx - 1);
      if (j < npx) at = next, wasm_step(&next, out);
      const int b = at.b, oy = at.y, ox = at.x;
      const int y0 = oy * p->stride_h - p->pad_h, x0 = ox * p->stride_w - p->pad_w;
      const int fy0 = y0 < 0 ? -y0 : 0, fy1 = fh < in->h - y0 ? fh : in->h - y0;
      const int fx0 = x0 < 0 ? -x0 : 0, fx1 = fw < in->w - x0 ? fw : in->w - x0;
      t[j].ny = fy1 - fy0, t[j].nx = fx1 - fx0;
      t[j].x = input + (((size_t)b * in->h + (size_t)(y0 + fy0)) * in->w + (size_t)(x0 + fx0)) * C;
      t[j].w = weights + ((size_t)fy0 * fw + (size_t)fx0) * C;
      t[j].outside = 0;
      if (paired && (t[j].ny != 3 || t[j].nx != 3))
        for (int tap = 0; tap < 9; ++tap) {
          const int fy = tap / 3, fx = tap % 3;
          const int inside = fy >= fy0 && fy < fy1 && fx >= fx0 && fx < fx1;
          t[j].tp[tap] = inside ? t[j].x + (fy - fy0) * in_row + (fx - fx0) * C : wasm_dw_zeros;
          t[j].outside |= (unsigned)!inside << tap;
        }
      o[j] = output + (size_t)i * C;
    }
    for (int c = 0; c < C; c += 8) {
      v128_t l0, h0, l1, h1, l2, h2, l3, h3;
#define WASM_DW_ONE(j, l, h)                                                                                       \
  do {                                                                                                             \
    if ((j) >= npx) l = h = wasm_i32x4_splat(0); /* past the last pixel: never stored */                           \
    else if (!paired) wasm_dw_pixel(&t[j], c, C, in_row, w_row, bias, off, &l, &h);                                \
    else if (!t[j].outside) wasm_dw_full(t[j].x + c, wpk + (c >> 3) * 72, xo, bias_full + c, &l, &h);              \
    else wasm_dw_clipped(t[j].tp, t[j].outside, c, C, weights, wpk + (c >> 3) * 72, bias_full + c, off32, &l, &h); \
  } while (0)
      WASM_DW_ONE(0, l0, h0);
      WASM_DW_ONE(1, l1, h1);
      WASM_DW_ONE(2, l2, h2);
      WASM_DW_ONE(3, l3, h3);
#undef WASM_DW_ONE
      /* Pixel-major to channel-major: then each vector is one channel's 4 pixels. */
      WASM_TRANSPOSE4(l0, l1, l2, l3);
      WASM_TRANSPOSE4(h0, h1, h2, h3);
#define WASM_RQ(v, ch) v = wasm_requant_t(v, rq + (ch), out_off)
      WASM_RQ(l0, c), WASM_RQ(l1, c + 1), WASM_RQ(l2, c + 2), WASM_RQ(l3, c + 3);
      WASM_RQ(h0, c + 4), WASM_RQ(h1, c + 5), WASM_RQ(h2, c + 6), WASM_RQ(h3, c + 7);
#undef WASM_RQ
      const v128_t A = wasm_narrow4(l0, l1, l2, l3, lo8, hi8), B = wasm_narrow4(h0, h1, h2, h3, lo8, hi8);
      /* A holds channels c..c+3 (4 pixels each), B c+4..c+7: gather each pixel's 8 bytes. */
      const v128_t s01 = wasm_i8x16_shuffle(A, B, 0, 4, 8, 12, 16, 20, 24, 28, 1, 5, 9, 13, 17, 21, 25, 29);
      const v128_t s23 = wasm_i8x16_shuffle(A, B, 2, 6, 10, 14, 18, 22, 26, 30, 3, 7, 11, 15, 19, 23, 27, 31);
      wasm_v128_store64_lane(o[0] + c, s01, 0);
      if (npx > 1) wasm_v128_store64_lane(o[1] + c, s01, 1);
      if (npx > 2) wasm_v128_store64_lane(o[2] + c, s23, 0);
      if (npx > 3) wasm_v128_store64_lane(o[3] + c, s23, 1);
    }
  }
  return 1;
}

/* ---- FULLY_CONNECTED ----------------------------------------------------- */

/* Rows u..u+3 at once against the widened input (col, from widen_run): one
 * input load serves four rows, the four sums are reduced together, and a
 * per-tensor requantization (the usual case) runs on all four lanes. Returns
 * the number of rows done (units & ~3). */
static int32_t wasm_fc_rows4(const tb_fc_params *p, const tb_requant *q, int32_t depth, int32_t units, const int16_t *col,
                             const int8_t *weights, const int32_t *bias, int8_t *o) {
  const int32_t full = depth & ~7;
  const v128_t out_off = wasm_i32x4_splat(p->output_offset);
  const v128_t lo8 = wasm_i8x16_splat((int8_t)p->act_min), hi8 = wasm_i8x16_splat((int8_t)p->act_max);
  int32_t u = 0;
  for (; u + 4 <= units; u += 4) {
    const int8_t *w0 = weights + (size_t)u * depth, *w1 = w0 + depth, *w2 = w1 + depth, *w3 = w2 + depth;
    v128_t a0 = wasm_i32x4_splat(0), a1 = a0, a2 = a0, a3 = a0;
    for (int32_t k = 0; k < full; k += 8) {
      const v128_t x = wasm_v128_load(col + k);
      a0 = wasm_i32x4_add(a0, wasm_i32x4_dot_i16x8(wasm_i16x8_load8x8(w0 + k), x));
      a1 = wasm_i32x4_add(a1, wasm_i32x4_dot_i16x8(wasm_i16x8_load8x8(w1 + k), x));
      a2 = wasm_i32x4_add(a2, wasm_i32x4_dot_i16x8(wasm_i16x8_load8x8(w2 + k), x));
      a3 = wasm_i32x4_add(a3, wasm_i32x4_dot_i16x8(wasm_i16x8_load8x8(w3 + k), x));
    }
    WASM_TRANSPOSE4(a0, a1, a2, a3);
    v128_t sum = wasm_i32x4_add(wasm_i32x4_add(a0, a1), wasm_i32x4_add(a2, a3)); /* lane j: row u + j */
    int32_t t0 = 0, t1 = 0, t2 = 0, t3 = 0;
    for (int32_t k = full; k < depth; ++k) t0 += w0[k] * col[k], t1 += w1[k] * col[k], t2 += w2[k] * col[k], t3 += w3[k] * col[k];
    sum = wasm_i32x4_add(sum, wasm_i32x4_make(t0, t1, t2, t3));
    if (bias) sum = wasm_i32x4_add(sum, wasm_v128_load(bias + u));
    if (q->stride == 0) {
      const v128_t r = wasm_narrow4(wasm_requant(sum, q->multiplier[0], q->shift[0], out_off), out_off, out_off, out_off, lo8, hi8);
      wasm_v128_store32_lane(o + u, r, 0);
    } else {
      int32_t acc[4];
      wasm_v128_store(acc, sum);
      for (int j = 0; j < 4; ++j)
        o[u + j] = requantize_s8(acc[j], q->multiplier[u + j], q->shift[u + j], p->output_offset, p->act_min, p->act_max);
    }
  }
  return u;
}

/* ---- ADD ----------------------------------------------------------------- */

/* tb_add_s8 on four lanes already widened to int32. */
static inline v128_t wasm_add4(v128_t a, v128_t b, const tb_add_params *P) {
  const v128_t va = wasm_shl(wasm_i32x4_add(a, wasm_i32x4_splat(P->input1_offset)), P->left_shift);
  const v128_t vb = wasm_shl(wasm_i32x4_add(b, wasm_i32x4_splat(P->input2_offset)), P->left_shift);
  const v128_t sa = wasm_rounding_shift(wasm_high_mul(va, wasm_i32x4_splat(P->input1_multiplier)), -P->input1_shift);
  const v128_t sb = wasm_rounding_shift(wasm_high_mul(vb, wasm_i32x4_splat(P->input2_multiplier)), -P->input2_shift);
  const v128_t s = wasm_rounding_shift(wasm_high_mul(wasm_i32x4_add(sa, sb), wasm_i32x4_splat(P->output_multiplier)), -P->output_shift);
  return wasm_i32x4_add(s, wasm_i32x4_splat(P->output_offset));
}

/* Each input's rescaling depends on its int8 value only: for long inputs,
 * tabulate it for all 256 values (with the vector code itself) and look it up. */
static inline v128_t wasm_add_scale(v128_t v, int32_t offset, int32_t left, int32_t m, int32_t shift) {
  return wasm_rounding_shift(wasm_high_mul(wasm_shl(wasm_i32x4_add(v, wasm_i32x4_splat(offset)), left), wasm_i32x4_splat(m)), -shift);
}

static inline v128_t wasm_add_out(v128_t sa, v128_t sb, const tb_add_params *P) {
  const v128_t s = wasm_rounding_shift(wasm_high_mul(wasm_i32x4_add(sa, sb), wasm_i32x4_splat(P->output_multiplier)), -P->output_shift);
  return wasm_i32x4_add(s, wasm_i32x4_splat(P->output_offset));
}

#define WASM_LOOKUP4(t, x, i) \
  wasm_i32x4_make((t)[(x)[(i)] + 128], (t)[(x)[(i) + 1] + 128], (t)[(x)[(i) + 2] + 128], (t)[(x)[(i) + 3] + 128])

static uint32_t wasm_add_tables(const tb_add_params *P, uint32_t n, const int8_t *a, const int8_t *b, int8_t *out) {
  _Alignas(16) int32_t ta[256], tbl[256];
  for (int v = 0; v < 256; v += 4) {
    const v128_t x = wasm_i32x4_make(v - 128, v - 127, v - 126, v - 125);
    wasm_v128_store(ta + v, wasm_add_scale(x, P->input1_offset, P->left_shift, P->input1_multiplier, P->input1_shift));
    wasm_v128_store(tbl + v, wasm_add_scale(x, P->input2_offset, P->left_shift, P->input2_multiplier, P->input2_shift));
  }
  const v128_t lo8 = wasm_i8x16_splat((int8_t)P->act_min), hi8 = wasm_i8x16_splat((int8_t)P->act_max);
  uint32_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const v128_t r0 = wasm_add_out(WASM_LOOKUP4(ta, a, i), WASM_LOOKUP4(tbl, b, i), P);
    const v128_t r1 = wasm_add_out(WASM_LOOKUP4(ta, a, i + 4), WASM_LOOKUP4(tbl, b, i + 4), P);
    const v128_t r2 = wasm_add_out(WASM_LOOKUP4(ta, a, i + 8), WASM_LOOKUP4(tbl, b, i + 8), P);
    const v128_t r3 = wasm_add_out(WASM_LOOKUP4(ta, a, i + 12), WASM_LOOKUP4(tbl, b, i + 12), P);
    wasm_v128_store(out + i, wasm_narrow4(r0, r1, r2, r3, lo8, hi8));
  }
  return i;
}

/* The first n & ~15 elements; returns how many it did. */
static uint32_t wasm_add(const tb_add_params *params, uint32_t n, const int8_t *a, const int8_t *b, int8_t *out) {
  const tb_add_params P = *params;
  if (n >= 1024) return wasm_add_tables(&P, n, a, b, out);
  const v128_t lo8 = wasm_i8x16_splat((int8_t)P.act_min), hi8 = wasm_i8x16_splat((int8_t)P.act_max);
  uint32_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const v128_t xa = wasm_v128_load(a + i), xb = wasm_v128_load(b + i);
    const v128_t a0 = wasm_i16x8_extend_low_i8x16(xa), a1 = wasm_i16x8_extend_high_i8x16(xa);
    const v128_t b0 = wasm_i16x8_extend_low_i8x16(xb), b1 = wasm_i16x8_extend_high_i8x16(xb);
    const v128_t r0 = wasm_add4(wasm_i32x4_extend_low_i16x8(a0), wasm_i32x4_extend_low_i16x8(b0), &P);
    const v128_t r1 = wasm_add4(wasm_i32x4_extend_high_i16x8(a0), wasm_i32x4_extend_high_i16x8(b0), &P);
    const v128_t r2 = wasm_add4(wasm_i32x4_extend_low_i16x8(a1), wasm_i32x4_extend_low_i16x8(b1), &P);
    const v128_t r3 = wasm_add4(wasm_i32x4_extend_high_i16x8(a1), wasm_i32x4_extend_high_i16x8(b1), &P);
    wasm_v128_store(out + i, wasm_narrow4(r0, r1, r2, r3, lo8, hi8));
  }
  return i;
}
