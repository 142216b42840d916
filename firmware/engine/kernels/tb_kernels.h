/* One prepare/eval pair per operator. prepare() runs once when the model is
 * loaded (computes multipliers, checks shapes, may fail with a message);
 * eval() runs per inference and cannot fail or allocate. */
#ifndef TB_KERNELS_H
#define TB_KERNELS_H

#include "../tb_types.h"

#include <string.h>

static inline int8_t *tb_data_i8(tb_interpreter *it, int idx) {
  tb_tensor *t = &it->tensors[idx];
  return t->const_data ? (int8_t *)t->const_data : (int8_t *)(it->arena + t->arena_offset);
}

static inline const int32_t *tb_data_i32(tb_interpreter *it, int idx) {
  if (idx < 0) return NULL;
  tb_tensor *t = &it->tensors[idx];
  return (const int32_t *)(t->const_data ? t->const_data : it->arena + t->arena_offset);
}

/* Per-channel scales sit unaligned-safe in the flatbuffer. */
static inline float tb_tensor_scale(const tb_tensor *t, uint32_t i) {
  float f;
  memcpy(&f, t->scales + 4u * (t->nscales > 1 ? i : 0u), sizeof f);
  return f;
}

/* Sets it->error to "<op>: <why>" and returns TB_ERR_MODEL. */
tb_status tb_op_error(tb_interpreter *it, const char *op, const char *why);

tb_status tb_conv_prepare(tb_interpreter *it, tb_op *op);
void tb_conv_eval(tb_interpreter *it, const tb_op *op);
tb_status tb_depthwise_conv_prepare(tb_interpreter *it, tb_op *op);
void tb_depthwise_conv_eval(tb_interpreter *it, const tb_op *op);
tb_status tb_fully_connected_prepare(tb_interpreter *it, tb_op *op);
void tb_fully_connected_eval(tb_interpreter *it, const tb_op *op);
tb_status tb_add_prepare(tb_interpreter *it, tb_op *op);
void tb_add_eval(tb_interpreter *it, const tb_op *op);
tb_status tb_average_pool_prepare(tb_interpreter *it, tb_op *op);
void tb_average_pool_eval(tb_interpreter *it, const tb_op *op);
tb_status tb_reshape_prepare(tb_interpreter *it, tb_op *op);
void tb_reshape_eval(tb_interpreter *it, const tb_op *op);
tb_status tb_softmax_prepare(tb_interpreter *it, tb_op *op);
void tb_softmax_eval(tb_interpreter *it, const tb_op *op);

/* Shared by conv and depthwise conv: SAME/VALID output size and padding as
 * TFLite computes them (the smaller half of the total padding goes first). */
tb_status tb_conv_geometry(tb_interpreter *it, tb_op *op, const char *name, int in_h, int in_w,
                           int out_h, int out_w);
/* Per-channel multipliers for conv-like ops: input_scale * filter_scale[c] / output_scale. */
tb_status tb_channel_multipliers(tb_interpreter *it, tb_op *op, const char *name, int channels);

#endif
