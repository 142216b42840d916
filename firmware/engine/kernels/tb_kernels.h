/* Interpreter glue of the operators: one row per operator (code, name,
 * version, option parsing, prepare, eval). prepare() runs once when the model
 * is loaded (checks shapes, computes multipliers, sizes scratch, counts the
 * work, may fail with a message); eval() runs per inference, looks up tensors
 * and calls the pure kernel (tb_kernel_api.h); it cannot fail or allocate. */
#ifndef TB_KERNELS_H
#define TB_KERNELS_H

#include "../tb_flatbuffer.h"
#include "../tb_types.h"
#include "tb_kernel_api.h"

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

static inline void *tb_scratch(tb_interpreter *it) { return it->arena + it->scratch_offset; }

/* Per-channel scales sit unaligned-safe in the flatbuffer. */
static inline float tb_tensor_scale(const tb_tensor *t, uint32_t i) {
  float f;
  memcpy(&f, t->scales + 4u * (t->nscales > 1 ? i : 0u), sizeof f);
  return f;
}

/* Sets it->error to "<op>: <why>" and returns TB_ERR_MODEL. */
tb_status tb_op_error(tb_interpreter *it, const char *op, const char *why);

/* Work counter slots of tb_work (and the cost model's kinds). */
enum {
  TB_WORK_CONV = 0,
  TB_WORK_DEPTHWISE = 1,
  TB_WORK_FC = 2,
  TB_WORK_ADD = 3,
  TB_WORK_POOL = 4,
  TB_WORK_RESHAPE = 5,
  TB_WORK_SOFTMAX = 6
};

typedef struct {
  int32_t code;
  const char *name;
  int32_t max_version; /* highest version whose int8 semantics we implement */
  uint8_t work_kind;
  void (*parse)(tb_fb *fb, tb_fb_table options, tb_op *op);
  tb_status (*prepare)(tb_interpreter *it, tb_op *op);
  void (*eval)(tb_interpreter *it, const tb_op *op);
} tb_op_kind;

/* The row for a builtin code, or NULL when the engine does not implement it. */
const tb_op_kind *tb_find_op(int32_t code);
const tb_op_kind *tb_op_kind_of(const tb_op *op);
uint8_t tb_op_kind_index(const tb_op_kind *kind);

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

#endif
