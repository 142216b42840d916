/* The few packed-integer operations the optimized kernels are written in.
 *
 * On a Cortex-M with the DSP extension each is one instruction (ACLE
 * intrinsics, or inline asm where ACLE has no rotated form); everywhere else
 * (x86 tests, WebAssembly) a plain-C version computes exactly the same bits,
 * so one kernel source is bit-exact on every target. A "pair" is a 32-bit word
 * holding two int16 lanes: lane 0 in bits 0-15, lane 1 in bits 16-31.
 * Accumulation wraps modulo 2^32 like the instructions do (the models never
 * come near it: TFLM relies on int32 accumulators not overflowing either). */
#ifndef TB_SIMD_H
#define TB_SIMD_H

#include <stdint.h>
#include <string.h>

#if defined(__ARM_FEATURE_DSP) && !defined(TB_SIMD_EMULATE)
#include <arm_acle.h>
#define TB_SIMD_DSP 1
#endif

/* WebAssembly SIMD128 (emcc -msimd128): the kernels use 128-bit vectors
 * directly where they pay (8-wide widening, i32x4.dot_i16x8); the pair
 * operations below stay the plain-C ones. */
#if defined(__wasm_simd128__) && !defined(TB_SIMD_EMULATE)
#include <wasm_simd128.h>
#define TB_WASM_SIMD 1
#else
#define TB_WASM_SIMD 0
#endif

/* Unaligned little-endian 32-bit load: weights and activations sit at any byte offset. */
static inline uint32_t tb_load32(const void *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

static inline void tb_store32(void *p, uint32_t v) { memcpy(p, &v, 4); }

/* Two pairs from 8-byte aligned scratch in one load (LDRD on Cortex-M). */
static inline void tb_load_pairs(const void *p, uint32_t *lo, uint32_t *hi) {
  const uint32_t *q = (const uint32_t *)__builtin_assume_aligned(p, 8);
  memcpy(lo, q, 4);
  memcpy(hi, q + 1, 4);
}

/* Two pairs to 8-byte aligned scratch in one store (STRD on Cortex-M). */
static inline void tb_store_pairs(void *p, uint32_t lo, uint32_t hi) {
  uint32_t *q = (uint32_t *)__builtin_assume_aligned(p, 8);
  memcpy(q, &lo, 4);
  memcpy(q + 1, &hi, 4);
}

/* The two signed 16-bit lanes of a word (the emulation below and kernels that sum in lanes use them). */
static inline int32_t tb_lane0(uint32_t x) { return (int16_t)(uint16_t)(x & 0xffffu); }
static inline int32_t tb_lane1(uint32_t x) { return (int16_t)(uint16_t)(x >> 16); }

#if TB_SIMD_DSP

/* Bytes 0 and 2 sign-extended to the two lanes. */
static inline uint32_t tb_sxtb16(uint32_t x) { return (uint32_t)__sxtb16((int32_t)x); }
/* Bytes 1 and 3 sign-extended to the two lanes. */
static inline uint32_t tb_sxtb16_ror8(uint32_t x) {
  uint32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
  return r;
}
/* a's lanes plus bytes 0 and 2 of x (16-bit lane wrap). */
static inline uint32_t tb_sxtab16(uint32_t a, uint32_t x) { return (uint32_t)__sxtab16((int32_t)a, (int32_t)x); }
/* a's lanes plus bytes 1 and 3 of x. */
static inline uint32_t tb_sxtab16_ror8(uint32_t a, uint32_t x) {
  uint32_t r;
  __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(x));
  return r;
}
/* acc + lane0*lane0 + lane1*lane1. */
static inline int32_t tb_smlad(uint32_t x, uint32_t y, int32_t acc) { return __smlad((int32_t)x, (int32_t)y, acc); }
/* acc + lane0(x) * lane0(y). */
static inline int32_t tb_smlabb(uint32_t x, uint32_t y, int32_t acc) { return __smlabb((int32_t)x, (int32_t)y, acc); }
/* acc + lane1(x) * lane1(y). */
static inline int32_t tb_smlatt(uint32_t x, uint32_t y, int32_t acc) { return __smlatt((int32_t)x, (int32_t)y, acc); }
/* Bits 63..32 of (c << 32) + a * b + 2^31: the rounded high word of a
 * 64-bit multiply-accumulate in one instruction (no ACLE intrinsic). */
static inline int32_t tb_smmlar(int32_t a, int32_t b, int32_t c) {
  int32_t r;
  __asm__("smmlar %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(c));
  return r;
}
/* x saturated to a signed `bits`-bit range (bits a constant). */
#define tb_ssat(x, bits) __ssat((x), (bits))

#else

static inline uint32_t tb_pair(int32_t lo, int32_t hi) { return ((uint32_t)lo & 0xffffu) | ((uint32_t)hi << 16); }

static inline uint32_t tb_sxtb16(uint32_t x) { return tb_pair((int8_t)(uint8_t)x, (int8_t)(uint8_t)(x >> 16)); }
static inline uint32_t tb_sxtb16_ror8(uint32_t x) { return tb_pair((int8_t)(uint8_t)(x >> 8), (int8_t)(uint8_t)(x >> 24)); }
static inline uint32_t tb_sxtab16(uint32_t a, uint32_t x) {
  return tb_pair(tb_lane0(a) + (int8_t)(uint8_t)x, tb_lane1(a) + (int8_t)(uint8_t)(x >> 16));
}
static inline uint32_t tb_sxtab16_ror8(uint32_t a, uint32_t x) {
  return tb_pair(tb_lane0(a) + (int8_t)(uint8_t)(x >> 8), tb_lane1(a) + (int8_t)(uint8_t)(x >> 24));
}
static inline int32_t tb_smlad(uint32_t x, uint32_t y, int32_t acc) {
  return (int32_t)((uint32_t)acc + (uint32_t)(tb_lane0(x) * tb_lane0(y)) + (uint32_t)(tb_lane1(x) * tb_lane1(y)));
}
static inline int32_t tb_smlabb(uint32_t x, uint32_t y, int32_t acc) {
  return (int32_t)((uint32_t)acc + (uint32_t)(tb_lane0(x) * tb_lane0(y)));
}
static inline int32_t tb_smlatt(uint32_t x, uint32_t y, int32_t acc) {
  return (int32_t)((uint32_t)acc + (uint32_t)(tb_lane1(x) * tb_lane1(y)));
}
/* Modulo 2^64 like the instruction: only bits 63..32 are kept. */
static inline int32_t tb_smmlar(int32_t a, int32_t b, int32_t c) {
  const uint64_t sum = ((uint64_t)(uint32_t)c << 32) + (uint64_t)((int64_t)a * b) + 0x80000000u;
  return (int32_t)(uint32_t)(sum >> 32);
}
static inline int32_t tb_ssat_c(int32_t x, int bits) {
  const int32_t hi = (int32_t)((1u << (bits - 1)) - 1u), lo = -hi - 1;
  return x < lo ? lo : (x > hi ? hi : x);
}
#define tb_ssat(x, bits) tb_ssat_c((x), (bits))

#endif

/* Both lanes set to v (the input offset, added while widening). */
static inline uint32_t tb_pair_splat(int32_t v) { return ((uint32_t)v & 0xffffu) * 0x10001u; }

/* acc + lane0(x) * lane1(y) and acc + lane1(x) * lane0(y) (the cross
 * products of the depthwise pixel pairs). */
#if TB_SIMD_DSP
static inline int32_t tb_smlabt(uint32_t x, uint32_t y, int32_t acc) { return __smlabt((int32_t)x, (int32_t)y, acc); }
static inline int32_t tb_smlatb(uint32_t x, uint32_t y, int32_t acc) { return __smlatb((int32_t)x, (int32_t)y, acc); }
#else
static inline int32_t tb_smlabt(uint32_t x, uint32_t y, int32_t acc) {
  return (int32_t)((uint32_t)acc + (uint32_t)(tb_lane0(x) * tb_lane1(y)));
}
static inline int32_t tb_smlatb(uint32_t x, uint32_t y, int32_t acc) {
  return (int32_t)((uint32_t)acc + (uint32_t)(tb_lane1(x) * tb_lane0(y)));
}
#endif
/* Lane 0 of a and lane 0 of b (PKHBT), lane 0 from b's lane 1 and lane 1 of a (PKHTB). */
#if TB_SIMD_DSP
static inline uint32_t tb_pkhbt(uint32_t a, uint32_t b) {
  uint32_t r;
  __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
static inline uint32_t tb_pkhtb(uint32_t a, uint32_t b) {
  uint32_t r;
  __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
#else
static inline uint32_t tb_pkhbt(uint32_t a, uint32_t b) { return (a & 0xffffu) | (b << 16); }
static inline uint32_t tb_pkhtb(uint32_t a, uint32_t b) { return (a & 0xffff0000u) | (b >> 16); }
#endif

#endif
