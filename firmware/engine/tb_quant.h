/* Fixed-point helpers shared by every kernel.
 *
 * These reproduce TensorFlow Lite Micro's reference integer arithmetic in its
 * default build (double rounding in MultiplyByQuantizedMultiplier, gemmlowp
 * fixed-point for softmax). Bit-exactness against TFLM depends on every
 * rounding step here, so each function documents the rounding it performs. */
#ifndef TB_QUANT_H
#define TB_QUANT_H

#include <stdint.h>

/* Splits a positive real multiplier into a Q31 significand and a power-of-two
 * exponent (frexp), rounding the significand half away from zero. */
void tb_quantize_multiplier(double real, int32_t *multiplier, int *shift);

/* (a * b * 2) >> 32 with round-to-nearest (ties away from zero) and the single
 * overflow case INT32_MIN * INT32_MIN saturated. */
static inline int32_t tb_srdhm(int32_t a, int32_t b) {
  if (a == b && a == INT32_MIN) return INT32_MAX;
  int64_t ab = (int64_t)a * (int64_t)b;
  int64_t nudge = ab >= 0 ? (1LL << 30) : (1 - (1LL << 30));
  /* C division truncates toward zero, as gemmlowp relies on. */
  return (int32_t)((ab + nudge) / (1LL << 31));
}

/* x / 2^exponent rounded to nearest, ties away from zero. */
static inline int32_t tb_rounding_divide_by_pot(int32_t x, int exponent) {
  const int32_t mask = (int32_t)((1LL << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* TFLM default (double rounding): left shift first, then high-mul, then a
 * rounding right shift. */
static inline int32_t tb_multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int shift) {
  const int left = shift > 0 ? shift : 0;
  const int right = shift > 0 ? 0 : -shift;
  return tb_rounding_divide_by_pot(tb_srdhm((int32_t)((uint32_t)x << left), multiplier), right);
}

/* Saturating x * 2^exponent for exponent > 0, rounding x / 2^-exponent otherwise. */
static inline int32_t tb_saturating_rounding_mul_by_pot(int32_t x, int exponent) {
  if (exponent > 0) {
    const int32_t threshold = (int32_t)((1LL << (31 - exponent)) - 1);
    if (x > threshold) return INT32_MAX;
    if (x < -threshold) return INT32_MIN;
    return (int32_t)((uint32_t)x << exponent);
  }
  if (exponent < 0) return tb_rounding_divide_by_pot(x, -exponent);
  return x;
}

static inline int32_t tb_clamp_i32(int32_t v, int32_t lo, int32_t hi) { return v < lo ? lo : (v > hi ? hi : v); }

/* Round half away from zero, like TfLiteRound / std::round. */
float tb_roundf(float x);
double tb_round(double x);

/* Activation clamp range in the quantized domain of an int8 output tensor. */
void tb_activation_range_int8(int activation, float scale, int32_t zero_point, int32_t *act_min, int32_t *act_max);

#endif
