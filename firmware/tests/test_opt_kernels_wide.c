/* Optimized against reference kernels on model-sized shapes: the random
 * cases of test_opt_kernels.c (whose helpers this file reuses) stay below
 * 8x8 pixels and 9 output channels, while the WebAssembly SIMD kernels
 * (tb_opt_wasm.h) switch paths on larger counts: 8-pixel tiles with a short
 * last tile, 4-channel blocks plus a remainder, in_c % 8 == 0 taps, RGB 3x3
 * first layers, 1x1 layers, depthwise channel groups of 8 over edges, fully
 * connected 4 rows at a time, ADD by lookup tables from 1024 elements on.
 * Prints "N passed, N failed". */
#define main test_opt_kernels_small_main
#include "test_opt_kernels.c"
#undef main

static void wide_conv_case(int id) {
  static const int channel_choices[] = {3, 3, 8, 16, 24, 32, 5};
  tb_conv_params p = {0};
  const int in_c = channel_choices[next() % 7], out_c = range(1, 40);
  const int f = next() % 3 ? 3 : 1;
  p.stride_w = p.stride_h = range(1, 2);
  p.dilation_w = p.dilation_h = 1;
  p.pad_w = p.pad_h = f == 3 ? range(0, 1) : 0;
  p.input_offset = range(-127, 128);
  act_range(&p);
  const tb_dims in = {1, range(3, 14), range(3, 14), in_c}, filter = {out_c, f, f, in_c};
  const tb_dims out = {1, out_size(in.h, f, p.stride_h, 1, p.pad_h), out_size(in.w, f, p.stride_w, 1, p.pad_w), out_c};
  if (out.h == 0 || out.w == 0) return;
  const int extreme = next() % 5 == 0;
  int8_t *x = bytes((size_t)in.h * in.w * in_c, extreme), *w = bytes((size_t)out_c * f * f * in_c, extreme);
  int32_t *b = next() % 4 ? biases(out_c, extreme) : NULL;
  requant_set r = requants(out_c, next() & 1, extreme);
  const size_t n = (size_t)out.h * out.w * out_c;
  int8_t *y_ref = malloc(n), *y_opt = malloc(n);
  void *s_ref = malloc(tb_conv_s8_scratch_ref(&p, &in, &filter, &out) + 1);
  void *s_opt = malloc(tb_conv_s8_scratch_opt(&p, &in, &filter, &out) + 1);
  tb_conv_s8_ref(&p, &r.q, &in, x, &filter, w, b, &out, y_ref, s_ref);
  tb_conv_s8_opt(&p, &r.q, &in, x, &filter, w, b, &out, y_opt, s_opt);
  compare("wide conv", id, y_opt, y_ref, n);
  free(x), free(w), free(b), free(r.mult), free(r.shift), free(y_ref), free(y_opt), free(s_ref), free(s_opt);
}

static void wide_depthwise_case(int id) {
  static const int channel_choices[] = {8, 16, 24, 64, 12};
  tb_conv_params p = {0};
  const int C = channel_choices[next() % 5];
  p.depth_multiplier = 1;
  p.stride_w = p.stride_h = range(1, 2);
  p.dilation_w = p.dilation_h = 1;
  p.pad_w = p.pad_h = range(0, 1);
  p.input_offset = range(-127, 128);
  act_range(&p);
  const tb_dims in = {1, range(3, 14), range(3, 14), C}, filter = {1, 3, 3, C};
  const tb_dims out = {1, out_size(in.h, 3, p.stride_h, 1, p.pad_h), out_size(in.w, 3, p.stride_w, 1, p.pad_w), C};
  if (out.h == 0 || out.w == 0) return;
  const int extreme = next() % 5 == 0;
  int8_t *x = bytes((size_t)in.h * in.w * C, extreme), *w = bytes((size_t)9 * C, extreme);
  int32_t *b = next() % 4 ? biases(C, extreme) : NULL;
  requant_set r = requants(C, next() & 1, extreme);
  const size_t n = (size_t)out.h * out.w * C;
  int8_t *y_ref = malloc(n), *y_opt = malloc(n);
  void *s_ref = malloc(tb_depthwise_conv_s8_scratch_ref(&p, &in, &filter, &out) + 1);
  void *s_opt = malloc(tb_depthwise_conv_s8_scratch_opt(&p, &in, &filter, &out) + 1);
  tb_depthwise_conv_s8_ref(&p, &r.q, &in, x, &filter, w, b, &out, y_ref, s_ref);
  tb_depthwise_conv_s8_opt(&p, &r.q, &in, x, &filter, w, b, &out, y_opt, s_opt);
  compare("wide depthwise", id, y_opt, y_ref, n);
  free(x), free(w), free(b), free(r.mult), free(r.shift), free(y_ref), free(y_opt), free(s_ref), free(s_opt);
}

static void wide_fc_case(int id) {
  tb_fc_params p;
  const int depth = range(1, 1000), units = range(1, 40);
  tb_conv_params a = {0};
  act_range(&a);
  p.input_offset = range(-127, 128), p.output_offset = a.output_offset, p.act_min = a.act_min, p.act_max = a.act_max;
  const int extreme = next() % 5 == 0;
  int8_t *x = bytes((size_t)depth, extreme), *w = bytes((size_t)units * depth, extreme);
  int32_t *b = next() % 4 ? biases(units, extreme) : NULL;
  requant_set r = requants(units, next() & 1, extreme);
  int8_t *y_ref = malloc((size_t)units), *y_opt = malloc((size_t)units);
  void *s_ref = malloc(tb_fully_connected_s8_scratch_ref(depth) + 1), *s_opt = malloc(tb_fully_connected_s8_scratch_opt(depth) + 1);
  tb_fully_connected_s8_ref(&p, &r.q, 1, depth, units, x, w, b, y_ref, s_ref);
  tb_fully_connected_s8_opt(&p, &r.q, 1, depth, units, x, w, b, y_opt, s_opt);
  compare("wide fully connected", id, y_opt, y_ref, (size_t)units);
  free(x), free(w), free(b), free(r.mult), free(r.shift), free(y_ref), free(y_opt), free(s_ref), free(s_opt);
}

static void wide_add_case(int id) {
  tb_add_params p;
  p.input1_offset = range(-127, 128), p.input2_offset = range(-127, 128), p.output_offset = range(-128, 127);
  p.left_shift = 20;
  p.input1_multiplier = range(1 << 30, 0x7fffffff), p.input2_multiplier = range(1 << 30, 0x7fffffff);
  p.output_multiplier = range(1 << 30, 0x7fffffff);
  p.input1_shift = range(-3, 0), p.input2_shift = range(-3, 0), p.output_shift = range(-24, -14);
  p.act_min = -128, p.act_max = 127;
  if (next() & 1) p.act_min = range(-128, 0), p.act_max = range(p.act_min, 127);
  const uint32_t n = (uint32_t)range(1000, 5000);
  int8_t *a = bytes(n, next() % 4 == 0), *b = bytes(n, next() % 4 == 0), *y_ref = malloc(n), *y_opt = malloc(n);
  tb_add_s8_ref(&p, n, a, b, y_ref);
  tb_add_s8_opt(&p, n, a, b, y_opt);
  compare("wide add", id, y_opt, y_ref, n);
  free(a), free(b), free(y_ref), free(y_opt);
}

int main(void) {
  for (int i = 0; i < 400; ++i) wide_conv_case(i);
  for (int i = 0; i < 400; ++i) wide_depthwise_case(i);
  for (int i = 0; i < 300; ++i) wide_fc_case(i);
  for (int i = 0; i < 200; ++i) wide_add_case(i);
  printf("%d passed, %d failed\n", passed, failed);
  return failed != 0;
}
