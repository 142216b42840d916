/* Optimized against reference kernels on model-sized shapes: the random
 * cases of test_opt_kernels.c (whose helpers this file reuses) stay below
 * 8x8 pixels and 9 output channels, while the WebAssembly SIMD kernels
 * (tb_opt_wasm.h) switch paths on larger counts: 8-pixel tiles with a short
 * last tile, 4-channel blocks plus a remainder, in_c % 8 == 0 taps, RGB 3x3
 * first layers, 1x1 layers, depthwise channel groups of 8 over edges, fully
 * connected 4 rows at a time, ADD by lookup tables from 1024 elements on;
 * on Cortex-M (test/firmware/arm-kernels.test.ts) the assembly paths at
 * these sizes. Prints "N passed, N failed". */
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
  check_conv("wide conv", id, &p, &in, &filter, &out);
}

/* Convolutions shaped like the models' layers and the stream kernel's
 * boundaries (tb_opt.c wide_conv): kws01's 10x4 first layer and 64-channel
 * 1x1 layers over an odd pixel count, RGB 3x3 first layers (depth 27,
 * padded to 28), vww01's shallow and 128/256-channel 1x1 layers (several
 * chunks of channel pairs), ic01's 3x3 layers up to 64 channels (144 groups,
 * the unrolled loop's length) and past it (145 and 147 groups: the older
 * paths), 1x1 stride 2, two batches, odd channel counts at a chunk's end,
 * one and two channels; each with every kind of requantization below. */
typedef struct {
  int ih, iw, ic, fh, fw, oc, stride, pad_h, pad_w, n;
} conv_shape;

/* 0 per-tensor, 1 per-channel, 2 zero multipliers, 3 right shifts above 22
 * (the offset cannot fold), 4 per-tensor right shift 30, 5 a channel the
 * fast requantization cannot take, 6 a narrower activation range. */
static void model_conv_case(int id, const conv_shape *s, int kind) {
  tb_conv_params p = {0};
  p.stride_w = p.stride_h = s->stride;
  p.dilation_w = p.dilation_h = 1;
  p.pad_w = s->pad_w, p.pad_h = s->pad_h;
  p.input_offset = range(-127, 128);
  p.output_offset = range(-128, 127);
  p.act_min = -128, p.act_max = 127;
  if (kind == 6) p.act_min = range(-128, 0), p.act_max = range(p.act_min, 127);
  const tb_dims in = {s->n, s->ih, s->iw, s->ic}, filter = {s->oc, s->fh, s->fw, s->ic};
  const tb_dims out = {s->n, out_size(s->ih, s->fh, s->stride, 1, s->pad_h), out_size(s->iw, s->fw, s->stride, 1, s->pad_w), s->oc};
  const int extreme = next() % 4 == 0, per_channel = kind != 0 && kind != 4, nq = per_channel ? s->oc : 1;
  int8_t *x = bytes((size_t)in.n * in.h * in.w * in.c, extreme), *w = bytes((size_t)s->oc * s->fh * s->fw * s->ic, extreme);
  int32_t *b = next() % 4 ? biases(s->oc, extreme) : NULL;
  int32_t *mult = malloc(sizeof(int32_t) * (size_t)nq), *shift = malloc(sizeof(int32_t) * (size_t)nq);
  for (int i = 0; i < nq; ++i) {
    mult[i] = range(1 << 30, 0x7fffffff), shift[i] = range(-12, -5);
    if (kind == 2 && next() % 4 == 0) mult[i] = 0, shift[i] = 0;
    if (kind == 3 && next() % 3 == 0) shift[i] = range(-31, -24);
    if (kind == 4) shift[i] = -31;
    if (kind == 5 && i == nq - 1) shift[i] = range(-1, 1);
  }
  const tb_requant q = {mult, shift, per_channel ? 1 : 0};
  const size_t n = (size_t)out.n * out.h * out.w * out.c;
  int8_t *y_ref = malloc(n), *y_opt = malloc(n);
  void *s_ref = malloc(tb_conv_s8_scratch_ref(&p, &in, &filter, &out) + 1);
  void *s_opt = malloc(tb_conv_s8_scratch_opt(&p, &in, &filter, &out) + 1);
  tb_conv_s8_ref(&p, &q, &in, x, &filter, w, b, &out, y_ref, s_ref);
  tb_conv_s8_opt(&p, &q, &in, x, &filter, w, b, &out, y_opt, s_opt);
  compare("model conv", id, y_opt, y_ref, n);
  free(x), free(w), free(b), free(mult), free(shift), free(y_ref), free(y_opt), free(s_ref), free(s_opt);
}

static void model_conv_cases(void) {
  static const conv_shape shapes[] = {
      {25, 5, 64, 1, 1, 64, 1, 0, 0, 1},  {49, 10, 1, 10, 4, 64, 2, 4, 1, 1}, {15, 15, 3, 3, 3, 8, 2, 0, 0, 1},
      {9, 9, 3, 3, 3, 16, 1, 1, 1, 1},    {7, 7, 8, 1, 1, 16, 1, 0, 0, 1},    {5, 5, 16, 1, 1, 32, 1, 0, 0, 1},
      {6, 6, 128, 1, 1, 128, 1, 0, 0, 1}, {3, 3, 128, 1, 1, 256, 1, 0, 0, 1}, {3, 3, 256, 1, 1, 256, 1, 0, 0, 1},
      {8, 8, 16, 3, 3, 16, 1, 1, 1, 1},   {6, 6, 32, 3, 3, 32, 1, 1, 1, 1},   {7, 7, 32, 3, 3, 64, 2, 0, 0, 1},
      {5, 5, 64, 3, 3, 64, 1, 1, 1, 1},   {4, 4, 65, 3, 3, 6, 1, 1, 1, 1},    {3, 3, 577, 1, 1, 4, 1, 0, 0, 1},
      {3, 3, 576, 1, 1, 4, 1, 0, 0, 1},   {3, 3, 575, 1, 1, 5, 1, 0, 0, 1},   {8, 8, 16, 1, 1, 32, 2, 0, 0, 1},
      {5, 5, 16, 3, 3, 8, 1, 1, 1, 2},    {3, 5, 64, 1, 1, 65, 1, 0, 0, 1},   {3, 3, 128, 1, 1, 129, 1, 0, 0, 1},
      {6, 6, 16, 3, 3, 33, 1, 1, 1, 1},   {5, 5, 8, 1, 1, 1, 1, 0, 0, 1},     {5, 5, 8, 3, 3, 2, 1, 1, 1, 1},
      {5, 6, 5, 2, 3, 7, 1, 0, 1, 1},
  };
  int id = 0;
  for (size_t i = 0; i < sizeof shapes / sizeof *shapes; ++i)
    for (int kind = 0; kind < 7; ++kind) model_conv_case(id++, &shapes[i], kind);
}

static void wide_depthwise_case(int id) {
  /* Channels in groups of four take the pixel-pair 3x3 kernels on
   * Cortex-M when the requantization allows it (132: a block of 128 and
   * one of 4), the plain window routine otherwise. */
  static const int channel_choices[] = {8, 16, 24, 64, 12, 4, 128, 132};
  tb_conv_params p = {0};
  const int C = channel_choices[next() % 8];
  p.depth_multiplier = 1;
  p.stride_w = p.stride_h = range(1, 2);
  p.dilation_w = p.dilation_h = 1;
  p.pad_w = p.pad_h = range(0, 1);
  p.input_offset = range(-127, 128);
  act_range(&p);
  const tb_dims in = {1, range(3, 14), range(3, 14), C}, filter = {1, 3, 3, C};
  const tb_dims out = {1, out_size(in.h, 3, p.stride_h, 1, p.pad_h), out_size(in.w, 3, p.stride_w, 1, p.pad_w), C};
  if (out.h == 0 || out.w == 0) return;
  check_depthwise("wide depthwise", id, &p, &in, &filter, &out);
}

/* The pixel-pair depthwise kernels (dw_3x3_pairs, dw_3x3_pairs_s2,
 * dw_3x3_single and the column-pair widening) engage only with every
 * channel's multiplier nonzero, right shifts up to 22 and the full int8
 * range, which the random requantization of check_depthwise rarely gives
 * per channel: here it does, with odd and even widths, widths 1 and 2,
 * padding 0 to 2, strides 1 and 2 in each direction, two batches, right
 * shifts of exactly 22 and 132 and 256 channels (blocks of 128 and a
 * remainder); shift -24 (a right shift of 23) checks the way back to the
 * other paths, and stride_w 3 the 4-channel row kernel (dw_3x3_row), which
 * only such layers reach now. */
static void pairs_depthwise_case(int id) {
  static const int channel_choices[] = {4, 8, 12, 16, 32, 64, 124, 128, 132, 256};
  tb_conv_params p = {0};
  const int C = channel_choices[next() % 10];
  p.depth_multiplier = 1;
  p.stride_w = next() % 5 ? range(1, 2) : 3, p.stride_h = range(1, 2);
  p.dilation_w = p.dilation_h = 1;
  p.pad_w = range(0, 2), p.pad_h = range(0, 2);
  p.input_offset = range(-127, 128);
  p.output_offset = range(-128, 127), p.act_min = -128, p.act_max = 127;
  const tb_dims in = {range(1, 2), range(1, 9), range(1, 15), C}, filter = {1, 3, 3, C};
  const tb_dims out = {in.n, out_size(in.h, 3, p.stride_h, 1, p.pad_h), out_size(in.w, 3, p.stride_w, 1, p.pad_w), C};
  if (out.h == 0 || out.w == 0) return;
  const int extreme = next() % 5 == 0, per_channel = next() & 1, n_q = per_channel ? C : 1;
  int8_t *x = bytes((size_t)in.n * in.h * in.w * C, extreme), *w = bytes((size_t)9 * C, extreme);
  int32_t *b = next() % 4 ? biases(C, extreme) : NULL;
  int32_t *mult = malloc(sizeof(int32_t) * (size_t)n_q), *shift = malloc(sizeof(int32_t) * (size_t)n_q);
  for (int i = 0; i < n_q; ++i) {
    mult[i] = range(1 << 30, 0x7fffffff);
    shift[i] = next() % 4 == 0 ? -23 : range(-20, 1);
  }
  if (next() % 8 == 0) shift[range(0, n_q - 1)] = -24;
  const tb_requant q = {mult, shift, per_channel ? 1 : 0};
  const size_t n = (size_t)out.n * out.h * out.w * C;
  int8_t *y_ref = malloc(n), *y_opt = malloc(n);
  void *s_ref = malloc(tb_depthwise_conv_s8_scratch_ref(&p, &in, &filter, &out) + 1);
  void *s_opt = malloc(tb_depthwise_conv_s8_scratch_opt(&p, &in, &filter, &out) + 1);
  tb_depthwise_conv_s8_ref(&p, &q, &in, x, &filter, w, b, &out, y_ref, s_ref);
  tb_depthwise_conv_s8_opt(&p, &q, &in, x, &filter, w, b, &out, y_opt, s_opt);
  compare("pairs depthwise", id, y_opt, y_ref, n);
  free(x), free(w), free(b), free(mult), free(shift), free(y_ref), free(y_opt), free(s_ref), free(s_opt);
}

/* One-dimensional depthwise layers as in sww01 (filters of 1-15 taps down
 * a column of width 1, 4-128 channels): the column path, and with a zero
 * multiplier or a clamped range the general one. */
static void column_depthwise_case(int id) {
  static const int channel_choices[] = {4, 8, 40, 128}, tap_choices[] = {1, 3, 5, 10, 15};
  tb_conv_params p = {0};
  const int C = channel_choices[next() % 4], fh = tap_choices[next() % 5];
  p.depth_multiplier = 1, p.dilation_w = p.dilation_h = 1;
  p.stride_w = 1, p.stride_h = range(1, 2);
  p.pad_h = next() % 3 ? 0 : range(0, fh / 2);
  p.input_offset = range(-127, 128);
  act_range(&p);
  const tb_dims in = {range(1, 2), range(fh, 32), 1, C}, filter = {1, fh, 1, C};
  const tb_dims out = {in.n, out_size(in.h, fh, p.stride_h, 1, p.pad_h), 1, C};
  if (out.h == 0) return;
  check_depthwise("column depthwise", id, &p, &in, &filter, &out);
}

static void wide_fc_case(int id) {
  const int depth = range(1, 1000), units = range(1, 40);
  check_fc("wide fully connected", id, 1, depth, units);
}

static void wide_add_case(int id) {
  const tb_add_params p = random_add_params();
  check_add("wide add", id, &p, (uint32_t)range(1000, 5000));
}

int main(void) {
  for (int i = 0; i < 400; ++i) wide_conv_case(i);
  model_conv_cases();
  for (int i = 0; i < 400; ++i) wide_depthwise_case(i);
  for (int i = 0; i < 800; ++i) pairs_depthwise_case(i);
  for (int i = 0; i < 300; ++i) column_depthwise_case(i);
  for (int i = 0; i < 300; ++i) wide_fc_case(i);
  for (int i = 0; i < 200; ++i) wide_add_case(i);
  printf("%d passed, %d failed\n", passed, failed);
  return failed != 0;
}
