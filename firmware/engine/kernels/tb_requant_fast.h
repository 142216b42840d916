/* TFLM's double-rounding requantization (tb_quant.h: high multiply with
 * rounding, then a rounding right shift, then the output offset) in five
 * instructions on a Cortex-M with DSP: SSAT, two ADDs, SMMLAR, ASR.
 *
 * Why it is exact, for multipliers M in [2^30, 2^31) (every multiplier
 * tb_quantize_multiplier makes, apart from 0) and right shifts r in [1, 19]:
 * - TFLM computes x = floor((aM + 2^30) / 2^31), then rounds x / 2^r half
 *   away from zero: floor((x + 2^(r-1) - [x < 0]) / 2^r).
 * - x - [x < 0] equals floor((aM + N) / 2^31) with N = +2^30 for a >= 0 and
 *   -2^30 for a < 0, except for aM in [-2^30, 0), where it gives -1 instead
 *   of 0; both then round to 0 since r >= 1. So the result is
 *   floor((2aM + 2N + 2^(r-1) 2^32) / 2^(32+r)), one rounding of one sum.
 * - 2M does not fit an int32, but 2aM = a (2M - 2^32) + a 2^32, so SMMLAR
 *   (bits 63..32 of (c << 32) + a m2 + 2^31) with m2 = 2M - 2^32 and
 *   c = a + 2^(r-1) + (a >> 31) gives floor((2aM + 2N + 2^(r-1) 2^32) / 2^32);
 *   the output offset folds in as + offset << r, then one shift by r.
 * - Accumulators are saturated to [-2^29, 2^29) first so the high word cannot
 *   overflow. That changes no int8 output: beyond those bounds TFLM's result
 *   is at least 512 in magnitude (M >= 2^30, r <= 19), so after any offset
 *   in [-128, 127] it is clamped to the same end of the int8 range either way.
 * Channels outside these ranges take the exact 64-bit path (tb_opt.c). The
 * claim is tested against tb_quant.h on random and boundary values in
 * firmware/tests/test_opt_kernels.c, on x86 (emulated instructions) and on
 * the Cortex-M4 image under QEMU (tb_requant_selftest). */
#ifndef TB_REQUANT_FAST_H
#define TB_REQUANT_FAST_H

#include "tb_simd.h"

#include <stdint.h>

/* One channel's constants (12 bytes; a table of them sits in kernel scratch). */
typedef struct {
  int32_t m2;    /* 2M - 2^32 */
  int32_t add;   /* 2^(r-1) + output_offset * 2^r */
  int32_t right; /* r */
} tb_fast_rq;

/* Whether (multiplier, shift) can take the fast path. */
static inline int tb_fast_rq_ok(int32_t multiplier, int32_t shift) { return multiplier >= (1 << 30) && shift <= -1 && shift >= -19; }

static inline tb_fast_rq tb_fast_rq_of(int32_t multiplier, int32_t shift, int32_t output_offset) {
  tb_fast_rq c;
  c.m2 = (int32_t)((uint32_t)multiplier << 1);
  c.right = -shift;
  c.add = (int32_t)((1u << (c.right - 1)) + ((uint32_t)output_offset << c.right));
  return c;
}

/* requantize(acc) + output_offset, before the activation clamp. */
static inline int32_t tb_fast_rq_apply(int32_t acc, int32_t m2, int32_t add, int32_t right) {
  const int32_t a = tb_ssat(acc, 30);
  return tb_smmlar(a, m2, a + add + (a >> 31)) >> right;
}

#endif
