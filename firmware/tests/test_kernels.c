/* Hand-computed kernel cases. Each expected value is worked out in the
 * comment beside it from TFLite's integer definitions, not taken from the
 * code under test. Prints "N passed, N failed". */
#include "../engine/kernels/tb_kernels.h"
#include "../engine/tb_quant.h"

#include <stdio.h>
#include <string.h>

static int passed, failed;

#define CHECK_EQ(what, got, want)                                                     \
  do {                                                                                \
    long g_ = (long)(got), w_ = (long)(want);                                         \
    if (g_ == w_) passed++;                                                           \
    else {                                                                            \
      failed++;                                                                       \
      printf("FAIL %s:%d %s: got %ld, want %ld\n", __FILE__, __LINE__, what, g_, w_); \
    }                                                                                 \
  } while (0)

static tb_interpreter it;
static uint8_t arena[4096];
static float scale_store[64][8];
static int scale_slots;

/* A tensor: const when data is given, else placed at the next arena offset. */
static int add_tensor(int type, int ndim, const int32_t *dims, const void *data, const float *scales, int nscales, int32_t zp) {
  static uint32_t next_offset;
  if (it.ntensors == 0) next_offset = 0;
  tb_tensor *t = &it.tensors[it.ntensors];
  memset(t, 0, sizeof *t);
  t->type = (uint8_t)type;
  t->ndim = (uint8_t)ndim;
  t->elements = 1;
  for (int i = 0; i < ndim; ++i) {
    t->dims[i] = dims[i];
    t->elements *= (uint32_t)dims[i];
  }
  t->bytes = t->elements * (type == TB_TYPE_INT32 ? 4u : 1u);
  memcpy(scale_store[scale_slots], scales, sizeof(float) * (size_t)nscales);
  t->scales = (const uint8_t *)scale_store[scale_slots++];
  t->nscales = (uint32_t)nscales;
  t->scale = scales[0];
  t->zero_point = zp;
  t->const_data = (const uint8_t *)data;
  t->arena_offset = data ? -1 : (int32_t)next_offset;
  if (!data) next_offset += (t->bytes + 15u) & ~15u;
  it.scratch_offset = next_offset; /* kernel scratch after the tensors, as tb_load places it */
  return it.ntensors++;
}

static void reset(void) {
  memset(&it, 0, sizeof it);
  memset(arena, 0, sizeof arena);
  it.arena = arena;
  it.arena_len = sizeof arena;
  scale_slots = 0;
}

static tb_op *add_op(int code, int in0, int in1, int in2, int out) {
  tb_op *op = &it.ops[it.nops++];
  memset(op, 0, sizeof *op);
  op->code = code;
  op->inputs[0] = (int16_t)in0;
  op->inputs[1] = (int16_t)in1;
  op->inputs[2] = (int16_t)in2;
  op->ninputs = in2 >= 0 ? 3 : (in1 >= 0 ? 2 : 1);
  op->outputs[0] = (int16_t)out;
  op->noutputs = 1;
  op->p.stride_w = op->p.stride_h = op->p.dilation_w = op->p.dilation_h = op->p.depth_multiplier = 1;
  return op;
}

static const float one = 1.0f;

static void test_quant_helpers(void) {
  int32_t m;
  int shift;
  tb_quantize_multiplier(1.0, &m, &shift); /* 1.0 = 0.5 * 2^1 -> 2^30, shift 1 */
  CHECK_EQ("quantize 1.0 multiplier", m, 1 << 30);
  CHECK_EQ("quantize 1.0 shift", shift, 1);
  tb_quantize_multiplier(0.75, &m, &shift); /* 0.75 * 2^31 = 1610612736, shift 0 */
  CHECK_EQ("quantize 0.75", m, 1610612736);
  CHECK_EQ("quantize 0.75 shift", shift, 0);
  /* rounding divide by 2: 5/2 = 2.5 -> 3, -5/2 -> -3 (half away from zero), 3/4 = 0.75 -> 1 */
  CHECK_EQ("rdbp 5>>1", tb_rounding_divide_by_pot(5, 1), 3);
  CHECK_EQ("rdbp -5>>1", tb_rounding_divide_by_pot(-5, 1), -3);
  CHECK_EQ("rdbp 3>>2", tb_rounding_divide_by_pot(3, 2), 1);
  /* SRDHM(a, 2^30) = a/2 with gemmlowp's nudge: 7 -> 3.5 -> 4, -7 -> -3.5 -> -3 (nudge 1-2^30, truncation) */
  CHECK_EQ("srdhm 7", tb_srdhm(7, 1 << 30), 4);
  CHECK_EQ("srdhm -7", tb_srdhm(-7, 1 << 30), -3);
  CHECK_EQ("srdhm overflow", tb_srdhm(INT32_MIN, INT32_MIN), INT32_MAX);
  /* multiplier 1.0 is the identity */
  CHECK_EQ("mbqm identity", tb_multiply_by_quantized_multiplier(-1234, 1 << 30, 1), -1234);
  /* x * 0.75 with x = 10 -> 7.5 -> SRDHM rounds to 8 */
  CHECK_EQ("mbqm 0.75", tb_multiply_by_quantized_multiplier(10, 1610612736, 0), 8);
  int32_t lo, hi;
  tb_activation_range_int8(TB_ACT_RELU6, 0.05f, -10, &lo, &hi); /* 6/0.05 = 120 -> -10+120 = 110 */
  CHECK_EQ("relu6 min", lo, -10);
  CHECK_EQ("relu6 max", hi, 110);
}

/* Input 3x3 = 1..9, all scales 1 (multiplier identity), zero points 0. */
static const int8_t img[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};

static void test_conv_valid_stride1(void) {
  reset();
  const int32_t din[4] = {1, 3, 3, 1}, dfil[4] = {1, 2, 2, 1}, dbias[1] = {1}, dout[4] = {1, 2, 2, 1};
  static const int8_t filt[4] = {1, 0, 0, 1};
  static const int32_t bias[1] = {1};
  int in = add_tensor(TB_TYPE_INT8, 4, din, NULL, &one, 1, 0);
  int f = add_tensor(TB_TYPE_INT8, 4, dfil, filt, &one, 1, 0);
  int b = add_tensor(TB_TYPE_INT32, 1, dbias, bias, &one, 1, 0);
  int out = add_tensor(TB_TYPE_INT8, 4, dout, NULL, &one, 1, 0);
  tb_op *op = add_op(TB_OP_CONV_2D, in, f, b, out);
  op->p.padding = TB_PAD_VALID;
  CHECK_EQ("conv valid prepare", tb_conv_prepare(&it, op), TB_OK);
  memcpy(tb_data_i8(&it, in), img, 9);
  tb_conv_eval(&it, op);
  const int8_t *y = tb_data_i8(&it, out);
  /* diagonal sums + bias: 1+5+1, 2+6+1, 4+8+1, 5+9+1 */
  CHECK_EQ("conv valid [0]", y[0], 7);
  CHECK_EQ("conv valid [1]", y[1], 9);
  CHECK_EQ("conv valid [2]", y[2], 13);
  CHECK_EQ("conv valid [3]", y[3], 15);
}

static void test_conv_same_stride2(int32_t input_zp) {
  reset();
  const int32_t din[4] = {1, 3, 3, 1}, dfil[4] = {1, 3, 3, 1}, dout[4] = {1, 2, 2, 1};
  static const int8_t ones[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
  int in = add_tensor(TB_TYPE_INT8, 4, din, NULL, &one, 1, input_zp);
  int f = add_tensor(TB_TYPE_INT8, 4, dfil, ones, &one, 1, 0);
  int out = add_tensor(TB_TYPE_INT8, 4, dout, NULL, &one, 1, 0);
  tb_op *op = add_op(TB_OP_CONV_2D, in, f, -1, out);
  op->p.padding = TB_PAD_SAME;
  op->p.stride_w = op->p.stride_h = 2;
  CHECK_EQ("conv same prepare", tb_conv_prepare(&it, op), TB_OK);
  /* out = ceil(3/2) = 2; total pad = (2-1)*2 + 3 - 3 = 2 -> 1 before */
  CHECK_EQ("conv same pad", op->p.pad_h, 1);
  memcpy(tb_data_i8(&it, in), img, 9);
  tb_conv_eval(&it, op);
  const int8_t *y = tb_data_i8(&it, out);
  /* in-bounds 2x2 taps of each corner; padded taps are skipped, so with zero
   * point z each sum drops by 4z: {1+2+4+5, 2+3+5+6, 4+5+7+8, 5+6+8+9} - 4z */
  CHECK_EQ("conv same [0]", y[0], 12 - 4 * input_zp);
  CHECK_EQ("conv same [1]", y[1], 16 - 4 * input_zp);
  CHECK_EQ("conv same [2]", y[2], 24 - 4 * input_zp);
  CHECK_EQ("conv same [3]", y[3], 28 - 4 * input_zp);
}

static void test_conv_per_channel_and_saturation(void) {
  reset();
  /* 1x1 conv, 1 input channel, 3 output channels with filter scales 1, 0.5, 1 */
  const int32_t din[4] = {1, 1, 1, 1}, dfil[4] = {3, 1, 1, 1}, dout[4] = {1, 1, 1, 3};
  static const int8_t filt[3] = {3, 3, 127};
  const float fscales[3] = {1.0f, 0.5f, 1.0f};
  int in = add_tensor(TB_TYPE_INT8, 4, din, NULL, &one, 1, 0);
  int f = add_tensor(TB_TYPE_INT8, 4, dfil, filt, fscales, 3, 0);
  int out = add_tensor(TB_TYPE_INT8, 4, dout, NULL, &one, 1, 0);
  tb_op *op = add_op(TB_OP_CONV_2D, in, f, -1, out);
  op->p.padding = TB_PAD_VALID;
  CHECK_EQ("per-channel prepare", tb_conv_prepare(&it, op), TB_OK);
  tb_data_i8(&it, in)[0] = 5;
  tb_conv_eval(&it, op);
  const int8_t *y = tb_data_i8(&it, out);
  CHECK_EQ("per-channel c0 = 15", y[0], 15);
  CHECK_EQ("per-channel c1 = 7.5 -> 8", y[1], 8);
  CHECK_EQ("saturate 635 -> 127", y[2], 127);
  tb_data_i8(&it, in)[0] = -128;
  tb_conv_eval(&it, op);
  CHECK_EQ("per-channel c1 = -192 (no tie)", y[1], -128 /* -192 saturates */);
  CHECK_EQ("saturate -16256 -> -128", y[2], -128);
}

static void test_depthwise_multiplier2(void) {
  reset();
  /* 2x2 input, 1 channel, depth multiplier 2, 2x2 filter VALID -> 1x1x2 */
  const int32_t din[4] = {1, 2, 2, 1}, dfil[4] = {1, 2, 2, 2}, dout[4] = {1, 1, 1, 2};
  static const int8_t filt[8] = {1, -1, 1, -1, 1, -1, 1, -1}; /* [fy][fx][oc] */
  int in = add_tensor(TB_TYPE_INT8, 4, din, NULL, &one, 1, 0);
  int f = add_tensor(TB_TYPE_INT8, 4, dfil, filt, &one, 1, 0);
  int out = add_tensor(TB_TYPE_INT8, 4, dout, NULL, &one, 1, 0);
  tb_op *op = add_op(TB_OP_DEPTHWISE_CONV_2D, in, f, -1, out);
  op->p.padding = TB_PAD_VALID;
  op->p.depth_multiplier = 2;
  CHECK_EQ("depthwise prepare", tb_depthwise_conv_prepare(&it, op), TB_OK);
  const int8_t x[4] = {1, 2, 3, 4};
  memcpy(tb_data_i8(&it, in), x, 4);
  tb_depthwise_conv_eval(&it, op);
  CHECK_EQ("depthwise oc0 = 10", tb_data_i8(&it, out)[0], 10);
  CHECK_EQ("depthwise oc1 = -10", tb_data_i8(&it, out)[1], -10);
}

static void test_fully_connected_offsets(void) {
  reset();
  const int32_t din[2] = {1, 3}, dfil[2] = {2, 3}, dbias[1] = {2}, dout[2] = {1, 2};
  static const int8_t w[6] = {1, 2, 3, -1, 0, 1};
  static const int32_t bias[2] = {10, -10};
  int in = add_tensor(TB_TYPE_INT8, 2, din, NULL, &one, 1, 2); /* input zero point 2 */
  int f = add_tensor(TB_TYPE_INT8, 2, dfil, w, &one, 1, 0);
  int b = add_tensor(TB_TYPE_INT32, 1, dbias, bias, &one, 1, 0);
  int out = add_tensor(TB_TYPE_INT8, 2, dout, NULL, &one, 1, -5); /* output zero point -5 */
  tb_op *op = add_op(TB_OP_FULLY_CONNECTED, in, f, b, out);
  op->activation = TB_ACT_RELU; /* clamp at the zero point -5 */
  CHECK_EQ("fc prepare", tb_fully_connected_prepare(&it, op), TB_OK);
  const int8_t x[3] = {3, 4, 5}; /* minus zero point: 1, 2, 3 */
  memcpy(tb_data_i8(&it, in), x, 3);
  tb_fully_connected_eval(&it, op);
  /* u0: 1+4+9+10 = 24 -> 24-5 = 19; u1: -1+0+3-10 = -8 -> -13 -> relu clamps to -5 */
  CHECK_EQ("fc u0", tb_data_i8(&it, out)[0], 19);
  CHECK_EQ("fc u1 relu", tb_data_i8(&it, out)[1], -5);
}

static void test_average_pool_rounding(void) {
  reset();
  /* 1x2x3x1 input, 2x2 filter, SAME, stride 2 -> 1x1x2: windows cols 0-1 and col 2 */
  const int32_t din[4] = {1, 2, 3, 1}, dout[4] = {1, 1, 2, 1};
  int in = add_tensor(TB_TYPE_INT8, 4, din, NULL, &one, 1, 0);
  int out = add_tensor(TB_TYPE_INT8, 4, dout, NULL, &one, 1, 0);
  tb_op *op = add_op(TB_OP_AVERAGE_POOL_2D, in, -1, -1, out);
  op->p.padding = TB_PAD_SAME;
  op->p.stride_w = op->p.stride_h = 2;
  op->p.filter_w = op->p.filter_h = 2;
  CHECK_EQ("pool prepare", tb_average_pool_prepare(&it, op), TB_OK);
  const int8_t x[6] = {1, 2, 4, 2, 2, 5};
  memcpy(tb_data_i8(&it, in), x, 6);
  tb_average_pool_eval(&it, op);
  /* (1+2+2+2)/4 = 1.75 -> (7+2)/4 = 2; (4+5)/2 = 4.5 -> (9+1)/2 = 5 (only 2 taps count) */
  CHECK_EQ("pool 1.75 -> 2", tb_data_i8(&it, out)[0], 2);
  CHECK_EQ("pool 4.5 -> 5", tb_data_i8(&it, out)[1], 5);
  const int8_t neg[6] = {-1, -2, -4, -2, -2, -5};
  memcpy(tb_data_i8(&it, in), neg, 6);
  tb_average_pool_eval(&it, op);
  /* -7/4 -> (-7-2)/4 = -2 (C truncation); -9/2 -> (-9-1)/2 = -5 */
  CHECK_EQ("pool -1.75 -> -2", tb_data_i8(&it, out)[0], -2);
  CHECK_EQ("pool -4.5 -> -5", tb_data_i8(&it, out)[1], -5);
}

static void test_add(void) {
  reset();
  const int32_t d[1] = {2};
  const float s = 0.5f;
  int a = add_tensor(TB_TYPE_INT8, 1, d, NULL, &s, 1, 0);
  int b = add_tensor(TB_TYPE_INT8, 1, d, NULL, &s, 1, 0);
  int out = add_tensor(TB_TYPE_INT8, 1, d, NULL, &one, 1, 0);
  tb_op *op = add_op(TB_OP_ADD, a, b, -1, out);
  CHECK_EQ("add prepare", tb_add_prepare(&it, op), TB_OK);
  tb_data_i8(&it, a)[0] = 10;  /* 5.0 */
  tb_data_i8(&it, b)[0] = 7;   /* 3.5 */
  tb_data_i8(&it, a)[1] = 127; /* 63.5 */
  tb_data_i8(&it, b)[1] = 127; /* 63.5 -> 127 */
  tb_add_eval(&it, op);
  CHECK_EQ("add 5 + 3.5 = 8.5 -> 9", tb_data_i8(&it, out)[0], 9);
  CHECK_EQ("add 127 saturates", tb_data_i8(&it, out)[1], 127);
}

static void test_softmax_equal_inputs(int n, int want) {
  reset();
  const int32_t d[2] = {1, n};
  const float in_scale = 0.1f, out_scale = 1.0f / 256.0f;
  int in = add_tensor(TB_TYPE_INT8, 2, d, NULL, &in_scale, 1, 0);
  int out = add_tensor(TB_TYPE_INT8, 2, d, NULL, &out_scale, 1, -128);
  tb_op *op = add_op(TB_OP_SOFTMAX, in, -1, -1, out);
  op->p.beta = 1.0f;
  CHECK_EQ("softmax prepare", tb_softmax_prepare(&it, op), TB_OK);
  memset(tb_data_i8(&it, in), 17, (size_t)n);
  tb_softmax_eval(&it, op);
  for (int i = 0; i < n; ++i) CHECK_EQ("softmax equal", tb_data_i8(&it, out)[i], want);
}

int main(void) {
  test_quant_helpers();
  test_conv_valid_stride1();
  test_conv_same_stride2(0);
  test_conv_same_stride2(1);
  test_conv_per_channel_and_saturation();
  test_depthwise_multiplier2();
  test_fully_connected_offsets();
  test_average_pool_rounding();
  test_add();
  /* 1/n of 256 levels, minus the -128 zero point: n=2 -> 0, n=4 -> -64 */
  test_softmax_equal_inputs(2, 0);
  test_softmax_equal_inputs(4, -64);
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
