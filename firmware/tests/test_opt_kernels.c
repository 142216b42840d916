/* Optimized kernels against the reference kernels (the spec, itself checked
 * against TFLM's golden outputs): thousands of random shapes and parameters,
 * including odd channel counts, padding, stride 2, dilation, per-tensor and
 * per-channel requantization and saturating accumulators. Every buffer is
 * malloc'ed at its exact size so ASan catches any over-read. Prints
 * "N passed, N failed". */
#include "../engine/kernels/tb_kernel_api.h"
#include "../engine/kernels/tb_requant_fast.h"
#include "../engine/tb_quant.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed, failed;
static uint32_t rng = 12345u;

static uint32_t next(void) {
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return rng;
}
static int32_t range(int32_t lo, int32_t hi) { return lo + (int32_t)(next() % (uint32_t)(hi - lo + 1)); }

/* Random int8 data; `extreme` fills with -128/127 only, to drive accumulators to their limits. */
static int8_t *bytes(size_t n, int extreme) {
  int8_t *p = malloc(n ? n : 1);
  for (size_t i = 0; i < n; ++i) p[i] = extreme ? (next() & 1 ? 127 : -128) : (int8_t)range(-128, 127);
  return p;
}

typedef struct {
  int32_t *mult, *shift;
  tb_requant q;
} requant_set;

static requant_set requants(int channels, int per_channel, int big_shift) {
  requant_set r;
  const int n = per_channel ? channels : 1;
  r.mult = malloc(sizeof(int32_t) * (size_t)n);
  r.shift = malloc(sizeof(int32_t) * (size_t)n);
  for (int i = 0; i < n; ++i) {
    r.mult[i] = range(1 << 30, 0x7fffffff);
    r.shift[i] = big_shift ? range(-31, 6) : range(-12, 1);
    /* A channel whose scale quantized to 0 (multiplier 0, shift 0), as in vww01. */
    if (per_channel && next() % 16 == 0) r.mult[i] = 0, r.shift[i] = 0;
  }
  r.q.multiplier = r.mult;
  r.q.shift = r.shift;
  r.q.stride = per_channel ? 1 : 0;
  return r;
}

static int32_t *biases(int n, int big) {
  int32_t *b = malloc(sizeof(int32_t) * (size_t)(n ? n : 1));
  for (int i = 0; i < n; ++i) b[i] = big ? (int32_t)next() / 4 : range(-5000, 5000);
  return b;
}

static void compare(const char *what, int id, const int8_t *got, const int8_t *want, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (got[i] != want[i]) {
      failed++;
      printf("FAIL %s case %d: output %zu opt %d ref %d\n", what, id, i, got[i], want[i]);
      return;
    }
  passed++;
}

static void act_range(tb_conv_params *p) {
  p->output_offset = range(-128, 127);
  p->act_min = -128, p->act_max = 127;
  if (next() % 3 == 0) p->act_min = range(-128, 0), p->act_max = range(p->act_min, 127);
}

static int out_size(int in, int f, int stride, int dil, int pad) {
  const int eff = (f - 1) * dil + 1, n = (in + 2 * pad - eff) / stride + 1;
  return n > 0 ? n : 0;
}

/* The shape-independent half of every case: random data, weights, biases and
 * requantization for the shape given, then ref and opt compared. Shared with
 * test_opt_kernels_wide.c, which picks model-sized shapes. */
static void check_conv(const char *what, int id, const tb_conv_params *p, const tb_dims *in, const tb_dims *filter, const tb_dims *out) {
  const int extreme = next() % 5 == 0, out_c = filter->n;
  int8_t *x = bytes((size_t)in->n * in->h * in->w * in->c, extreme), *w = bytes((size_t)out_c * filter->h * filter->w * filter->c, extreme);
  int32_t *b = next() % 4 ? biases(out_c, extreme) : NULL;
  requant_set r = requants(out_c, next() & 1, extreme);
  const size_t n = (size_t)out->n * out->h * out->w * out->c;
  int8_t *y_ref = malloc(n), *y_opt = malloc(n);
  void *s_ref = malloc(tb_conv_s8_scratch_ref(p, in, filter, out) + 1);
  void *s_opt = malloc(tb_conv_s8_scratch_opt(p, in, filter, out) + 1);
  tb_conv_s8_ref(p, &r.q, in, x, filter, w, b, out, y_ref, s_ref);
  tb_conv_s8_opt(p, &r.q, in, x, filter, w, b, out, y_opt, s_opt);
  compare(what, id, y_opt, y_ref, n);
  free(x), free(w), free(b), free(r.mult), free(r.shift), free(y_ref), free(y_opt), free(s_ref), free(s_opt);
}

static void check_depthwise(const char *what, int id, const tb_conv_params *p, const tb_dims *in, const tb_dims *filter,
                            const tb_dims *out) {
  const int extreme = next() % 5 == 0, out_c = filter->c;
  int8_t *x = bytes((size_t)in->n * in->h * in->w * in->c, extreme), *w = bytes((size_t)filter->h * filter->w * out_c, extreme);
  int32_t *b = next() % 4 ? biases(out_c, extreme) : NULL;
  requant_set r = requants(out_c, next() & 1, extreme);
  const size_t n = (size_t)out->n * out->h * out->w * out->c;
  int8_t *y_ref = malloc(n), *y_opt = malloc(n);
  void *s_ref = malloc(tb_depthwise_conv_s8_scratch_ref(p, in, filter, out) + 1);
  void *s_opt = malloc(tb_depthwise_conv_s8_scratch_opt(p, in, filter, out) + 1);
  tb_depthwise_conv_s8_ref(p, &r.q, in, x, filter, w, b, out, y_ref, s_ref);
  tb_depthwise_conv_s8_opt(p, &r.q, in, x, filter, w, b, out, y_opt, s_opt);
  compare(what, id, y_opt, y_ref, n);
  free(x), free(w), free(b), free(r.mult), free(r.shift), free(y_ref), free(y_opt), free(s_ref), free(s_opt);
}

static void check_fc(const char *what, int id, int batches, int depth, int units) {
  tb_fc_params p;
  tb_conv_params a = {0};
  act_range(&a);
  p.input_offset = range(-127, 128), p.output_offset = a.output_offset, p.act_min = a.act_min, p.act_max = a.act_max;
  const int extreme = next() % 5 == 0;
  int8_t *x = bytes((size_t)batches * depth, extreme), *w = bytes((size_t)units * depth, extreme);
  int32_t *b = next() % 4 ? biases(units, extreme) : NULL;
  requant_set r = requants(units, next() & 1, extreme);
  const size_t n = (size_t)batches * units;
  int8_t *y_ref = malloc(n), *y_opt = malloc(n);
  void *s_ref = malloc(tb_fully_connected_s8_scratch_ref(depth) + 1), *s_opt = malloc(tb_fully_connected_s8_scratch_opt(depth) + 1);
  tb_fully_connected_s8_ref(&p, &r.q, batches, depth, units, x, w, b, y_ref, s_ref);
  tb_fully_connected_s8_opt(&p, &r.q, batches, depth, units, x, w, b, y_opt, s_opt);
  compare(what, id, y_opt, y_ref, n);
  free(x), free(w), free(b), free(r.mult), free(r.shift), free(y_ref), free(y_opt), free(s_ref), free(s_opt);
}

static tb_add_params random_add_params(void) {
  tb_add_params p;
  p.input1_offset = range(-127, 128), p.input2_offset = range(-127, 128), p.output_offset = range(-128, 127);
  /* TFLM's int8 ADD always has left shift 20 and output shifts near -20;
   * half the cases take small shifts, whose outputs do not saturate, so
   * that an off-by-one before the output's rounding shows. */
  const int small = next() & 1;
  p.left_shift = small ? range(0, 6) : 20;
  p.input1_multiplier = range(1 << 30, 0x7fffffff), p.input2_multiplier = range(1 << 30, 0x7fffffff);
  p.output_multiplier = range(1 << 30, 0x7fffffff);
  p.input1_shift = range(-3, 0), p.input2_shift = range(-3, 0), p.output_shift = small ? range(-8, -1) : range(-24, -14);
  p.act_min = -128, p.act_max = 127;
  if (next() & 1) p.act_min = range(-128, 0), p.act_max = range(p.act_min, 127);
  return p;
}

static void check_add(const char *what, int id, const tb_add_params *p, uint32_t n) {
  int8_t *a = bytes(n, next() % 4 == 0), *b = bytes(n, next() % 4 == 0), *y_ref = malloc(n), *y_opt = malloc(n);
  tb_add_s8_ref(p, n, a, b, y_ref);
  tb_add_s8_opt(p, n, a, b, y_opt);
  compare(what, id, y_opt, y_ref, n);
  free(a), free(b), free(y_ref), free(y_opt);
}

/* Average pool: global windows (the fast path, up to and past its 255-tap
 * bound, all -128 or all 127 to reach the lanes' limits) and random ones. */
static void pool_case(int id) {
  tb_pool_params p = {0};
  const int global = next() % 2, extreme = next() % 3 == 0;
  const tb_dims in = {range(1, 2), range(1, global ? 18 : 7), range(1, global ? 18 : 7), range(1, 21)};
  if (global) p.filter_h = in.h, p.filter_w = in.w, p.stride_h = p.stride_w = 1;
  else p.filter_h = range(1, 3), p.filter_w = range(1, 3), p.stride_h = range(1, 2), p.stride_w = range(1, 2);
  if (!global) p.pad_h = range(0, p.filter_h / 2), p.pad_w = range(0, p.filter_w / 2);
  p.act_min = -128, p.act_max = 127;
  if (next() % 3 == 0) p.act_min = range(-128, 0), p.act_max = range(p.act_min, 127);
  const tb_dims out = {in.n, out_size(in.h, p.filter_h, p.stride_h, 1, p.pad_h), out_size(in.w, p.filter_w, p.stride_w, 1, p.pad_w), in.c};
  if (out.h == 0 || out.w == 0) return;
  const size_t n_in = (size_t)in.n * in.h * in.w * in.c, n_out = (size_t)out.n * out.h * out.w * out.c;
  int8_t *x = bytes(n_in, 0), *y_ref = malloc(n_out), *y_opt = malloc(n_out);
  if (extreme) memset(x, next() & 1 ? 127 : -128, n_in);
  tb_average_pool_s8_ref(&p, &in, x, &out, y_ref);
  tb_average_pool_s8_opt(&p, &in, x, &out, y_opt);
  compare(global ? "global average pool" : "average pool", id, y_opt, y_ref, n_out);
  free(x), free(y_ref), free(y_opt);
}

static void conv_case(int id) {
  static const int channel_choices[] = {1, 2, 3, 4, 5, 7, 8, 13, 16};
  tb_conv_params p = {0};
  const int in_c = channel_choices[next() % 9], out_c = range(1, 9);
  const int fh = range(1, 4), fw = next() % 4 == 0 ? 1 : range(1, 4);
  p.stride_w = range(1, 2), p.stride_h = range(1, 2);
  p.dilation_w = next() % 6 == 0 ? 2 : 1, p.dilation_h = next() % 6 == 0 ? 2 : 1;
  p.pad_w = range(0, fw / 2 + 1), p.pad_h = range(0, fh / 2 + 1);
  p.input_offset = range(-127, 128);
  act_range(&p);
  const tb_dims in = {range(1, 2), range(1, 7), range(1, 7), in_c}, filter = {out_c, fh, fw, in_c};
  const tb_dims out = {in.n, out_size(in.h, fh, p.stride_h, p.dilation_h, p.pad_h), out_size(in.w, fw, p.stride_w, p.dilation_w, p.pad_w),
                       out_c};
  if (out.h == 0 || out.w == 0) return;
  check_conv("conv", id, &p, &in, &filter, &out);
}

static void depthwise_case(int id) {
  tb_conv_params p = {0};
  const int in_c = range(1, 18), dm = next() % 4 == 0 ? 2 : 1, out_c = in_c * dm;
  const int f = next() % 3 ? 3 : range(1, 5);
  p.depth_multiplier = dm;
  p.stride_w = range(1, 2), p.stride_h = range(1, 2);
  p.dilation_w = p.dilation_h = next() % 8 == 0 ? 2 : 1;
  p.pad_w = range(0, f / 2 + 1), p.pad_h = range(0, f / 2 + 1);
  p.input_offset = range(-127, 128);
  act_range(&p);
  const tb_dims in = {range(1, 2), range(1, 8), range(1, 8), in_c}, filter = {1, f, f, out_c};
  const tb_dims out = {in.n, out_size(in.h, f, p.stride_h, p.dilation_h, p.pad_h), out_size(in.w, f, p.stride_w, p.dilation_w, p.pad_w),
                       out_c};
  if (out.h == 0 || out.w == 0) return;
  check_depthwise("depthwise", id, &p, &in, &filter, &out);
}

static void fc_case(int id) {
  const int batches = range(1, 3), depth = next() % 4 ? range(1, 40) : range(60, 700), units = range(1, 11);
  check_fc("fully connected", id, batches, depth, units);
}

static void add_case(int id) {
  const tb_add_params p = random_add_params();
  check_add("add", id, &p, (uint32_t)range(1, 70));
}

/* The fast requantization against TFLM's (tb_quant.h) for one accumulator. */
static int requant_agrees(int32_t acc, int32_t m, int32_t shift) {
  const tb_fast_rq c = tb_fast_rq_of(m, shift);
  const int32_t want = tb_multiply_by_quantized_multiplier(acc, m, shift);
  const int32_t got = tb_fast_rq_apply(acc, c.m2, c.half, c.right);
  if (got == want) return 1;
  printf("FAIL fast requant acc %ld multiplier %ld shift %ld: fast %ld, TFLM %ld\n", (long)acc, (long)m, (long)shift, (long)got,
         (long)want);
  return 0;
}

/* Every shift with edge and random multipliers, accumulators at the rounding
 * boundaries of both steps (the exact quotient aM / 2^(31+r) near k and
 * k + 1/2), at int32's ends and around 0, then random ones. */
static void requant_cases(void) {
  int ok = 1;
  long n = 0;
  for (int32_t shift = -31; shift <= -2 && ok; ++shift) {
    const int32_t r = -shift;
    const int32_t mults[] = {
        1 << 30, (1 << 30) + 1, 0x5a827999, 0x7ffffffe, 0x7fffffff, range(1 << 30, 0x7fffffff), range(1 << 30, 0x7fffffff)};
    for (size_t mi = 0; mi < sizeof mults / sizeof *mults && ok; ++mi) {
      const int32_t m = mults[mi];
      const double unit = 2147483648.0 * (double)(1ull << r) / (double)m; /* accumulator per output step */
      for (int32_t k = -1000; k <= 1000 && ok; ++k)
        for (int32_t half = 0; half <= 1 && ok; ++half) {
          const double target = ((double)k + 0.5 * half) * unit;
          if (target < -2147483648.0 || target > 2147483647.0) continue;
          for (int32_t d = -3; d <= 3 && ok; ++d) {
            const int64_t acc = (int64_t)target + d;
            if (acc >= INT32_MIN && acc <= INT32_MAX) ok &= requant_agrees((int32_t)acc, m, shift), ++n;
          }
        }
      for (int32_t d = 0; d < 64 && ok; ++d) {
        const int32_t edges[] = {INT32_MIN + d, INT32_MAX - d, -d, d, -(1 << 30) - d, (1 << 30) + d};
        for (size_t e = 0; e < sizeof edges / sizeof *edges && ok; ++e) ok &= requant_agrees(edges[e], m, shift), ++n;
      }
    }
  }
  /* A zero multiplier (any shift TFLM can give it) on int32's ends and random accumulators. */
  for (int32_t shift = -31; shift <= 0 && ok; ++shift)
    for (int32_t d = 0; d < 2000 && ok; ++d, ++n) {
      const int32_t acc = d < 4 ? (d & 1 ? INT32_MIN : INT32_MAX) - (d >> 1) * (d & 1 ? -1 : 1) : (int32_t)next() >> range(0, 31);
      ok &= requant_agrees(acc, 0, shift);
    }
  for (long i = 0; i < 4000000 && ok; ++i, ++n) {
    const int32_t m = range(1 << 30, 0x7fffffff), shift = range(-31, -2);
    ok &= requant_agrees(i & 1 ? (int32_t)next() : (int32_t)next() >> range(0, 31), m, shift);
  }
  /* The small-value variant (ADD), every right shift including 0 and 1. */
  for (long i = 0; i < 2000000 && ok; ++i, ++n) {
    const int32_t m = i < 64 ? (i & 1 ? 0x7fffffff : 1 << 30) : range(1 << 30, 0x7fffffff), right = (int32_t)(i % 32);
    const int32_t x = i < 64 ? (i & 2 ? (1 << 29) - 1 : -(1 << 29) + 1) : (int32_t)next() >> range(3, 31);
    const int32_t want = tb_rounding_divide_by_pot(tb_srdhm(x, m), right), got = tb_fast_mul_apply(x, tb_fast_mul_of(m, right));
    if (got != want) {
      printf("FAIL fast multiply x %ld multiplier %ld right %ld: fast %ld, TFLM %ld\n", (long)x, (long)m, (long)right, (long)got,
             (long)want);
      ok = 0;
    }
  }
  printf("fast requantization: %ld accumulators %s\n", n, ok ? "agree with tb_quant.h" : "DISAGREE");
  if (ok) passed++;
  else failed++;
}

int main(void) {
  requant_cases();
  for (int i = 0; i < 1500; ++i) conv_case(i);
  for (int i = 0; i < 1500; ++i) depthwise_case(i);
  for (int i = 0; i < 1500; ++i) fc_case(i);
  for (int i = 0; i < 500; ++i) add_case(i);
  for (int i = 0; i < 600; ++i) pool_case(i);
  printf("%d passed, %d failed\n", passed, failed);
  return failed != 0;
}
