/* The arithmetic of each operator as a pure function on plain parameters,
 * dimensions and data (no interpreter, no tensors), like TFLM's reference_ops
 * and CMSIS-NN's arm_*_s8 functions.
 *
 * Every kernel exists as a reference version (_ref: TFLite Micro's reference
 * loops, the spec) and, where it pays, an optimized version (_opt: same
 * signature, same bits). The build picks one with -DTB_KERNELS=ref or
 * -DTB_KERNELS=opt (default opt); tests link both and compare them.
 *
 * Layouts are TFLite's: activations NHWC, conv filters [out_c, fh, fw, in_c],
 * depthwise filters [1, fh, fw, in_c * depth_multiplier], fully connected
 * filters [units, depth]. Scratch is caller-provided memory of the size the
 * matching *_scratch function returns (16-byte aligned); kernels never
 * allocate. */
#ifndef TB_KERNEL_API_H
#define TB_KERNEL_API_H

#include <stddef.h>
#include <stdint.h>

#ifndef TB_KERNELS
#define TB_KERNELS opt
#endif
#define TB_KERNEL_CAT2(a, b) a##_##b
#define TB_KERNEL_CAT(a, b) TB_KERNEL_CAT2(a, b)
/* TB_KERNEL(tb_conv_s8) is tb_conv_s8_opt or tb_conv_s8_ref. */
#define TB_KERNEL(name) TB_KERNEL_CAT(name, TB_KERNELS)

typedef struct {
  int32_t n, h, w, c;
} tb_dims;

/* Output requantization, one entry per channel (stride 1) or shared (stride 0). */
typedef struct {
  const int32_t *multiplier;
  const int32_t *shift;
  int32_t stride;
} tb_requant;

typedef struct {
  int32_t input_offset;  /* minus the input zero point */
  int32_t output_offset; /* the output zero point */
  int32_t act_min, act_max;
  int32_t stride_w, stride_h, dilation_w, dilation_h, pad_w, pad_h;
  int32_t depth_multiplier; /* depthwise only */
} tb_conv_params;

typedef struct {
  int32_t input_offset, output_offset, act_min, act_max;
} tb_fc_params;

typedef struct {
  int32_t input1_offset, input2_offset, output_offset;
  int32_t left_shift;
  int32_t input1_multiplier, input1_shift, input2_multiplier, input2_shift;
  int32_t output_multiplier, output_shift;
  int32_t act_min, act_max;
} tb_add_params;

typedef struct {
  int32_t stride_w, stride_h, pad_w, pad_h, filter_w, filter_h;
  int32_t act_min, act_max;
} tb_pool_params;

typedef struct {
  int32_t input_multiplier, input_left_shift, diff_min;
} tb_softmax_params;

size_t tb_conv_s8_scratch_ref(const tb_conv_params *p, const tb_dims *in, const tb_dims *filter, const tb_dims *out);
size_t tb_conv_s8_scratch_opt(const tb_conv_params *p, const tb_dims *in, const tb_dims *filter, const tb_dims *out);
void tb_conv_s8_ref(const tb_conv_params *p, const tb_requant *q, const tb_dims *in, const int8_t *input, const tb_dims *filter,
                    const int8_t *weights, const int32_t *bias, const tb_dims *out, int8_t *output, void *scratch);
void tb_conv_s8_opt(const tb_conv_params *p, const tb_requant *q, const tb_dims *in, const int8_t *input, const tb_dims *filter,
                    const int8_t *weights, const int32_t *bias, const tb_dims *out, int8_t *output, void *scratch);

size_t tb_depthwise_conv_s8_scratch_ref(const tb_conv_params *p, const tb_dims *in, const tb_dims *filter, const tb_dims *out);
size_t tb_depthwise_conv_s8_scratch_opt(const tb_conv_params *p, const tb_dims *in, const tb_dims *filter, const tb_dims *out);
void tb_depthwise_conv_s8_ref(const tb_conv_params *p, const tb_requant *q, const tb_dims *in, const int8_t *input, const tb_dims *filter,
                              const int8_t *weights, const int32_t *bias, const tb_dims *out, int8_t *output, void *scratch);
void tb_depthwise_conv_s8_opt(const tb_conv_params *p, const tb_requant *q, const tb_dims *in, const int8_t *input, const tb_dims *filter,
                              const int8_t *weights, const int32_t *bias, const tb_dims *out, int8_t *output, void *scratch);

size_t tb_fully_connected_s8_scratch_ref(int32_t depth);
size_t tb_fully_connected_s8_scratch_opt(int32_t depth);
void tb_fully_connected_s8_ref(const tb_fc_params *p, const tb_requant *q, int32_t batches, int32_t depth, int32_t units,
                               const int8_t *input, const int8_t *weights, const int32_t *bias, int8_t *output, void *scratch);
void tb_fully_connected_s8_opt(const tb_fc_params *p, const tb_requant *q, int32_t batches, int32_t depth, int32_t units,
                               const int8_t *input, const int8_t *weights, const int32_t *bias, int8_t *output, void *scratch);

void tb_add_s8_ref(const tb_add_params *p, uint32_t n, const int8_t *a, const int8_t *b, int8_t *out);
void tb_add_s8_opt(const tb_add_params *p, uint32_t n, const int8_t *a, const int8_t *b, int8_t *out);

void tb_average_pool_s8_ref(const tb_pool_params *p, const tb_dims *in, const int8_t *input, const tb_dims *out, int8_t *output);
void tb_average_pool_s8_opt(const tb_pool_params *p, const tb_dims *in, const int8_t *input, const tb_dims *out, int8_t *output);

/* Softmax has one implementation: it is a fraction of a percent of any
 * model's time. */
void tb_softmax_s8(const tb_softmax_params *p, int32_t rows, int32_t depth, const int8_t *input, int8_t *output);
#define tb_softmax_s8_ref tb_softmax_s8
#define tb_softmax_s8_opt tb_softmax_s8

#endif
