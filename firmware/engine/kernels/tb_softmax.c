/* SOFTMAX, int8 in / int8 out (output zero point -128, scale 1/256), using the
 * gemmlowp fixed-point exp and reciprocal exactly as TFLite's reference does.
 * Fixed-point values below are named Qi.f for i integer bits (f = 31 - i). */
#include "tb_kernel_api.h"
#include "../tb_quant.h"

enum { SCALED_DIFF_INTEGER_BITS = 5, ACCUMULATION_INTEGER_BITS = 12 };

/* Q0 multiplication. */
static int32_t fx_mul(int32_t a, int32_t b) { return tb_srdhm(a, b); }

/* exp(x) for x in [-1/4, 0), x and result in Q0.31. */
static int32_t exp_on_interval_neg_quarter_to_zero(int32_t a) {
  const int32_t constant_term = 1895147668;    /* exp(-1/8) */
  const int32_t constant_1_over_3 = 715827883; /* 1/3 */
  const int32_t x = a + (1 << 28);             /* a + 1/8 */
  const int32_t x2 = fx_mul(x, x);
  const int32_t x3 = fx_mul(x2, x);
  const int32_t x4 = fx_mul(x2, x2);
  const int32_t x4_over_4 = tb_saturating_rounding_mul_by_pot(x4, -2);
  const int32_t poly = tb_saturating_rounding_mul_by_pot(fx_mul(x4_over_4 + x3, constant_1_over_3) + x2, -1);
  return constant_term + fx_mul(constant_term, x + poly);
}

/* exp(a) for a <= 0 given in Q5.26; result in Q0.31. */
static int32_t exp_on_negative_values(int32_t a) {
  const int fractional_bits = 31 - SCALED_DIFF_INTEGER_BITS;
  const int32_t one_quarter = 1 << (fractional_bits - 2);
  const int32_t mask = one_quarter - 1;
  const int32_t a_mod_quarter_minus_quarter = (a & mask) - one_quarter;
  int32_t result =
      exp_on_interval_neg_quarter_to_zero(tb_saturating_rounding_mul_by_pot(a_mod_quarter_minus_quarter, SCALED_DIFF_INTEGER_BITS));
  const int32_t remainder = a_mod_quarter_minus_quarter - a;
  /* exp(-2^k) for k = -2..4 in Q0.31: the barrel shifter over the remainder bits. */
  static const int32_t multipliers[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
  for (int k = -2; k <= 4; ++k) {
    if (SCALED_DIFF_INTEGER_BITS > k) {
      const int shift = fractional_bits + k;
      if (remainder & (1 << shift)) result = fx_mul(result, multipliers[k + 2]);
    }
  }
  if (a == 0) result = INT32_MAX;
  return result;
}

/* 1 / (1 + x) for x in [0, 1), Q0.31 in and out, Newton-Raphson in Q2.29. */
static int32_t one_over_one_plus_x(int32_t a) {
  const int64_t sum = (int64_t)a + INT32_MAX;
  const int32_t half_denominator = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
  const int32_t constant_48_over_17 = 1515870810;
  const int32_t constant_neg_32_over_17 = -1010580540;
  const int32_t one_q2 = 1 << 29;
  int32_t x = constant_48_over_17 + fx_mul(half_denominator, constant_neg_32_over_17);
  for (int i = 0; i < 3; ++i) {
    const int32_t half_denominator_times_x = fx_mul(half_denominator, x);
    const int32_t one_minus = one_q2 - half_denominator_times_x;
    x = x + tb_saturating_rounding_mul_by_pot(fx_mul(x, one_minus), 2);
  }
  /* x/2 reinterpreted as Q1.30, then rescaled to Q0.31. */
  return tb_saturating_rounding_mul_by_pot(x, 1);
}

static int count_leading_zeros(uint32_t x) {
  int n = 0;
  if (x == 0) return 32;
  while (!(x & 0x80000000u)) {
    x <<= 1;
    ++n;
  }
  return n;
}

void tb_softmax_s8(const tb_softmax_params *p, int32_t rows, int32_t depth, const int8_t *input, int8_t *output) {
  const int32_t mult = p->input_multiplier;
  const int left_shift = p->input_left_shift;
  for (int r = 0; r < rows; ++r) {
    const int8_t *x = input + (size_t)r * depth;
    int8_t *y = output + (size_t)r * depth;
    int32_t max_in_row = -128;
    for (int c = 0; c < depth; ++c)
      if (x[c] > max_in_row) max_in_row = x[c];
    int32_t sum_of_exps = 0; /* Q12.19 */
    for (int c = 0; c < depth; ++c) {
      const int32_t diff = x[c] - max_in_row;
      if (diff >= p->diff_min) {
        const int32_t scaled = tb_srdhm((int32_t)((uint32_t)diff << left_shift), mult);
        sum_of_exps += tb_rounding_divide_by_pot(exp_on_negative_values(scaled), ACCUMULATION_INTEGER_BITS);
      }
    }
    const int headroom_plus_one = count_leading_zeros((uint32_t)sum_of_exps);
    const int num_bits_over_unit = ACCUMULATION_INTEGER_BITS - headroom_plus_one;
    const int32_t shifted_sum_minus_one = (int32_t)(((uint32_t)sum_of_exps << headroom_plus_one) - ((uint32_t)1 << 31));
    const int32_t shifted_scale = one_over_one_plus_x(shifted_sum_minus_one);
    for (int c = 0; c < depth; ++c) {
      const int32_t diff = x[c] - max_in_row;
      if (diff >= p->diff_min) {
        const int32_t scaled = tb_srdhm((int32_t)((uint32_t)diff << left_shift), mult);
        const int32_t e = exp_on_negative_values(scaled);
        const int32_t unsat = tb_rounding_divide_by_pot(fx_mul(shifted_scale, e), num_bits_over_unit + 31 - 8);
        y[c] = (int8_t)tb_clamp_i32(unsat - 128, -128, 127);
      } else {
        y[c] = -128;
      }
    }
  }
}
