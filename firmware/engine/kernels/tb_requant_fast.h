/* TFLM's double-rounding requantization (tb_quant.h: high multiply with
 * rounding, then a rounding right shift) in four instructions on a Cortex-M
 * with DSP: ADD, SMMLAR, ADD, ASR (the output offset and the clamp follow).
 *
 * Why it is exact for every int32 accumulator a, multipliers M in
 * [2^30, 2^31) (every one tb_quantize_multiplier makes, apart from 0) and
 * right shifts r in [2, 31]:
 * - TFLM computes x = floor((aM + 2^30) / 2^31), then rounds x / 2^r half
 *   away from zero: floor((x + 2^(r-1) - [x < 0]) / 2^r).
 * - x - [x < 0] equals y = floor((aM + N) / 2^31) with N = +2^30 for a >= 0
 *   and -2^30 for a < 0 (M > 0, so aM has a's sign), except for aM in
 *   [-2^30, 0), where y = -1 and x = 0; both round to 0 since r >= 1.
 *   So the result is floor((y + 2^(r-1)) / 2^r).
 * - 2M does not fit an int32, but 2aM = a (2M - 2^32) + a 2^32, so SMMLAR
 *   (bits 63..32 of (c << 32) + a m2 + 2^31) with m2 = 2M - 2^32 and
 *   c = a + (a >> 31) is floor((2aM + 2N) / 2^32) = y. The sum is taken
 *   modulo 2^64 and y lies in [-2^31, 2^31 - 2], so c may wrap.
 * - y + 2^(r-1) can overflow; for r >= 2, floor((y + 2^(r-1)) / 2^r) =
 *   floor(((y >> 1) + 2^(r-2)) / 2^(r-1)), which cannot.
 * Channels outside these ranges take the exact 64-bit path (tb_opt.c). The
 * claim is tested against tb_quant.h on every shift, rounding boundaries,
 * int32's ends and random values in firmware/tests/test_opt_kernels.c. */
#ifndef TB_REQUANT_FAST_H
#define TB_REQUANT_FAST_H

#include "tb_simd.h"

#include <stdint.h>

/* One channel's constants (12 bytes; a table of them sits in kernel scratch). */
typedef struct {
  int32_t m2;    /* 2M - 2^32 */
  int32_t half;  /* 2^(r-2) */
  int32_t right; /* r - 1 */
} tb_fast_rq;

/* Whether (multiplier, shift) can take the fast path. A zero multiplier
 * (a channel whose scale quantized to 0; vww01 has a few) makes every output
 * 0, which the same formula gives with m2 = 0, half = 2^30 and r - 1 = 31:
 * y >> 1 lies in [-2^30, 2^30 - 1], so (y >> 1) + 2^30 is in [0, 2^31) and
 * shifts to 0. */
static inline int tb_fast_rq_ok(int32_t multiplier, int32_t shift) {
  return multiplier == 0 || (multiplier >= (1 << 30) && shift <= -2 && shift >= -31);
}

static inline tb_fast_rq tb_fast_rq_of(int32_t multiplier, int32_t shift) {
  tb_fast_rq c;
  if (multiplier == 0) {
    c.m2 = 0, c.half = 1 << 30, c.right = 31;
    return c;
  }
  c.m2 = (int32_t)((uint32_t)multiplier << 1);
  c.half = (int32_t)(1u << (-shift - 2));
  c.right = -shift - 1;
  return c;
}

/* tb_multiply_by_quantized_multiplier(acc, multiplier, shift). */
static inline int32_t tb_fast_rq_apply(int32_t acc, int32_t m2, int32_t half, int32_t right) {
  const int32_t y = tb_smmlar(acc, m2, (int32_t)((uint32_t)acc + (uint32_t)(acc >> 31)));
  return ((y >> 1) + half) >> right;
}

/* The same high multiply and rounding shift for right shifts r in [0, 31]
 * and small values (|x| < 2^29, as in ADD's rescaled inputs): then
 * y + 2^(r-1) cannot overflow, and r = 0 (no second rounding) needs the
 * sign term off: smask = r ? -1 : 0, half = r ? 2^(r-1) : 0. */
typedef struct {
  int32_t m2, smask, half, right;
} tb_fast_mul;

static inline tb_fast_mul tb_fast_mul_of(int32_t multiplier, int32_t right) {
  tb_fast_mul c;
  c.m2 = (int32_t)((uint32_t)multiplier << 1);
  c.smask = right ? -1 : 0;
  c.half = right ? (int32_t)(1u << (right - 1)) : 0;
  c.right = right;
  return c;
}

/* tb_rounding_divide_by_pot(tb_srdhm(x, multiplier), right) for |x| < 2^29. */
static inline int32_t tb_fast_mul_apply(int32_t x, const tb_fast_mul c) {
  const int32_t y = tb_smmlar(x, c.m2, x + ((x >> 31) & c.smask));
  return (y + c.half) >> c.right;
}

#endif
