/* Reads a .tflite flatbuffer into tb_interpreter tensors and ops.
 * Field ids follow the TFLite schema (schema.fbs); only what the engine
 * implements is accepted, and anything else is refused by name. */
#include "tb_engine.h"
#include "tb_flatbuffer.h"
#include "kernels/tb_kernels.h"

/* Model */
enum { MODEL_OPERATOR_CODES = 1, MODEL_SUBGRAPHS = 2, MODEL_BUFFERS = 4 };
/* OperatorCode */
enum { OPCODE_DEPRECATED_BUILTIN = 0, OPCODE_CUSTOM = 1, OPCODE_VERSION = 2, OPCODE_BUILTIN = 3 };
/* SubGraph */
enum { SUBGRAPH_TENSORS = 0, SUBGRAPH_INPUTS = 1, SUBGRAPH_OUTPUTS = 2, SUBGRAPH_OPERATORS = 3 };
/* Tensor */
enum { TENSOR_SHAPE = 0, TENSOR_TYPE = 1, TENSOR_BUFFER = 2, TENSOR_QUANTIZATION = 4, TENSOR_SPARSITY = 6 };
/* QuantizationParameters */
enum { QUANT_SCALE = 2, QUANT_ZERO_POINT = 3 };
/* Operator */
enum { OP_OPCODE_INDEX = 0, OP_INPUTS = 1, OP_OUTPUTS = 2, OP_BUILTIN_OPTIONS = 4 };
/* Buffer */
enum { BUFFER_DATA = 0, BUFFER_OFFSET = 1 };

static void append(char *dst, size_t *n, const char *s) {
  while (*s && *n + 1 < TB_ERROR_LEN) dst[(*n)++] = *s++;
  dst[*n] = 0;
}

static void append_int(char *dst, size_t *n, long v) {
  char tmp[24];
  int i = 0;
  unsigned long u = v < 0 ? (unsigned long)(-v) : (unsigned long)v;
  do {
    tmp[i++] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0) tmp[i++] = '-';
  char out[24];
  int j = 0;
  while (i) out[j++] = tmp[--i];
  out[j] = 0;
  append(dst, n, out);
}

tb_status tb_op_error(tb_interpreter *it, const char *op, const char *why) {
  size_t n = 0;
  it->error[0] = 0;
  append(it->error, &n, op);
  append(it->error, &n, ": ");
  append(it->error, &n, why);
  return TB_ERR_MODEL;
}

static tb_status model_error(tb_interpreter *it, const char *what, const char *name, long num) {
  size_t n = 0;
  it->error[0] = 0;
  append(it->error, &n, what);
  if (name) append(it->error, &n, name);
  if (num >= 0) append_int(it->error, &n, num);
  return TB_ERR_MODEL;
}

static const char *op_name(int32_t code) {
  const tb_op_kind *k = tb_find_op(code);
  return k ? k->name : NULL;
}

static tb_status read_tensor(tb_interpreter *it, tb_fb *fb, tb_fb_table t, tb_fb_vector buffers, tb_tensor *out) {
  tb_fb_vector shape = tb_fb_vec(fb, t, TENSOR_SHAPE, 4);
  if (shape.count > TB_MAX_DIMS) return model_error(it, "tensor has too many dimensions: ", NULL, shape.count);
  out->ndim = (uint8_t)shape.count;
  out->elements = 1;
  for (uint32_t d = 0; d < shape.count; ++d) {
    int32_t v = tb_fb_read_i32(fb, shape.pos + 4 * d);
    if (v <= 0) return model_error(it, "tensor has a non-positive dimension: ", NULL, v);
    out->dims[d] = v;
    out->elements *= (uint32_t)v;
  }
  out->type = tb_fb_u8(fb, t, TENSOR_TYPE, 0);
  switch (out->type) {
    case TB_TYPE_INT8: out->bytes = out->elements; break;
    case TB_TYPE_INT32: out->bytes = out->elements * 4; break;
    default: return model_error(it, "unsupported tensor type id ", NULL, out->type);
  }
  if (tb_fb_field(fb, t, TENSOR_SPARSITY)) return model_error(it, "sparse tensors are not supported", NULL, -1);
  tb_fb_table q = tb_fb_subtable(fb, t, TENSOR_QUANTIZATION);
  tb_fb_vector scales = tb_fb_vec(fb, q, QUANT_SCALE, 4);
  tb_fb_vector zps = tb_fb_vec(fb, q, QUANT_ZERO_POINT, 8);
  out->scales = scales.count ? fb->buf + scales.pos : NULL;
  out->nscales = scales.count;
  out->scale = scales.count ? tb_fb_read_f32(fb, scales.pos) : 0.0f;
  out->zero_point = zps.count ? (int32_t)tb_fb_read_i64(fb, zps.pos) : 0;
  out->const_data = NULL;
  out->arena_offset = -1;
  out->first_use = out->last_use = -1;
  uint32_t bi = tb_fb_u32(fb, t, TENSOR_BUFFER, 0);
  if (bi >= buffers.count) return model_error(it, "tensor refers to a missing buffer ", NULL, bi);
  tb_fb_table b = tb_fb_vec_table(fb, buffers, bi);
  if (tb_fb_field(fb, b, BUFFER_OFFSET))
    return model_error(it, "buffers stored outside the flatbuffer (>2 GB models) are not supported", NULL, -1);
  tb_fb_vector data = tb_fb_vec(fb, b, BUFFER_DATA, 1);
  if (data.count) {
    if (data.count != out->bytes) return model_error(it, "constant tensor size differs from its shape: ", NULL, data.count);
    if (out->type == TB_TYPE_INT32 && (((uintptr_t)(fb->buf + data.pos)) & 3u))
      return model_error(it, "int32 constant is not 4-byte aligned; load the model at an aligned address", NULL, -1);
    out->const_data = fb->buf + data.pos;
  }
  return TB_OK;
}

static tb_status read_io_list(tb_interpreter *it, tb_fb *fb, tb_fb_vector v, int16_t *dst, uint8_t *count) {
  if (v.count > TB_MAX_OP_IO) return model_error(it, "operator has too many inputs/outputs: ", NULL, v.count);
  *count = (uint8_t)v.count;
  for (uint32_t i = 0; i < v.count; ++i) {
    int32_t idx = tb_fb_read_i32(fb, v.pos + 4 * i);
    if (idx < -1 || idx >= it->ntensors) return model_error(it, "operator refers to a missing tensor ", NULL, idx);
    dst[i] = (int16_t)idx;
  }
  return TB_OK;
}

static void read_options(tb_fb *fb, tb_fb_table o, tb_op *op) {
  tb_op_params *p = &op->p;
  p->stride_w = p->stride_h = p->dilation_w = p->dilation_h = 1;
  p->depth_multiplier = 1;
  p->beta = 1.0f;
  tb_find_op(op->code)->parse(fb, o, op);
}

static tb_status check_int8(tb_interpreter *it, const tb_op *op) {
  /* Activations and weights int8; bias (input 2 of conv/fc) int32; RESHAPE's shape input int32. */
  for (int i = 0; i < op->ninputs; ++i) {
    if (op->inputs[i] < 0) continue;
    const tb_tensor *t = &it->tensors[op->inputs[i]];
    const int is_bias = i == 2 && (op->code == TB_OP_CONV_2D || op->code == TB_OP_DEPTHWISE_CONV_2D || op->code == TB_OP_FULLY_CONNECTED);
    const int is_shape = i == 1 && op->code == TB_OP_RESHAPE;
    const uint8_t want = (is_bias || is_shape) ? TB_TYPE_INT32 : TB_TYPE_INT8;
    if (t->type != want)
      return model_error(it, op_name(op->code),
                         is_bias ? ": bias must be int32" : (is_shape ? ": shape must be int32" : ": tensors must be int8"), -1);
  }
  for (int i = 0; i < op->noutputs; ++i)
    if (it->tensors[op->outputs[i]].type != TB_TYPE_INT8) return model_error(it, op_name(op->code), ": output must be int8", -1);
  return TB_OK;
}

tb_status tb_read_model(tb_interpreter *it) {
  tb_fb fb = {it->model, it->model_len, 0};
  if (it->model_len < 8) return model_error(it, "model is shorter than a flatbuffer header", NULL, -1);
  if (it->model[4] != 'T' || it->model[5] != 'F' || it->model[6] != 'L' || it->model[7] != '3')
    return model_error(it, "not a TFLite model (file identifier is not TFL3)", NULL, -1);
  tb_fb_table model = tb_fb_root(&fb);
  tb_fb_vector codes = tb_fb_vec(&fb, model, MODEL_OPERATOR_CODES, 4);
  tb_fb_vector subgraphs = tb_fb_vec(&fb, model, MODEL_SUBGRAPHS, 4);
  tb_fb_vector buffers = tb_fb_vec(&fb, model, MODEL_BUFFERS, 4);
  if (fb.bad) return model_error(it, "model flatbuffer is truncated or corrupt", NULL, -1);
  if (subgraphs.count != 1) return model_error(it, "model must have exactly one subgraph, has ", NULL, subgraphs.count);
  tb_fb_table sg = tb_fb_vec_table(&fb, subgraphs, 0);
  tb_fb_vector tensors = tb_fb_vec(&fb, sg, SUBGRAPH_TENSORS, 4);
  tb_fb_vector operators = tb_fb_vec(&fb, sg, SUBGRAPH_OPERATORS, 4);
  tb_fb_vector inputs = tb_fb_vec(&fb, sg, SUBGRAPH_INPUTS, 4);
  tb_fb_vector outputs = tb_fb_vec(&fb, sg, SUBGRAPH_OUTPUTS, 4);
  if (tensors.count > TB_MAX_TENSORS) return model_error(it, "too many tensors for TB_MAX_TENSORS: ", NULL, tensors.count);
  if (operators.count > TB_MAX_OPS) return model_error(it, "too many operators for TB_MAX_OPS: ", NULL, operators.count);
  if (inputs.count != 1 || outputs.count != 1) return model_error(it, "model must have one input and one output", NULL, -1);
  it->ntensors = (uint16_t)tensors.count;
  it->nops = (uint16_t)operators.count;
  for (uint32_t i = 0; i < tensors.count; ++i) {
    tb_status s = read_tensor(it, &fb, tb_fb_vec_table(&fb, tensors, i), buffers, &it->tensors[i]);
    if (s != TB_OK) return s;
  }
  it->input = (int16_t)tb_fb_read_i32(&fb, inputs.pos);
  it->output = (int16_t)tb_fb_read_i32(&fb, outputs.pos);
  if (it->input < 0 || it->input >= it->ntensors || it->output < 0 || it->output >= it->ntensors)
    return model_error(it, "model input/output refers to a missing tensor", NULL, -1);
  for (uint32_t i = 0; i < operators.count; ++i) {
    tb_op *op = &it->ops[i];
    tb_fb_table o = tb_fb_vec_table(&fb, operators, i);
    uint32_t ci = tb_fb_u32(&fb, o, OP_OPCODE_INDEX, 0);
    if (ci >= codes.count) return model_error(it, "operator refers to a missing operator code ", NULL, ci);
    tb_fb_table code = tb_fb_vec_table(&fb, codes, ci);
    int32_t builtin = tb_fb_i32(&fb, code, OPCODE_BUILTIN, 0);
    int32_t deprecated = tb_fb_i8(&fb, code, OPCODE_DEPRECATED_BUILTIN, 0);
    op->code = builtin > deprecated ? builtin : deprecated;
    int32_t version = tb_fb_i32(&fb, code, OPCODE_VERSION, 1);
    const tb_op_kind *kind = tb_find_op(op->code);
    if (tb_fb_field(&fb, code, OPCODE_CUSTOM) || kind == NULL)
      return model_error(it, "unsupported operator: builtin code ", NULL, op->code);
    if (version > kind->max_version) return model_error(it, kind->name, ": unsupported version ", version);
    op->kind = tb_op_kind_index(kind);
    tb_status s = read_io_list(it, &fb, tb_fb_vec(&fb, o, OP_INPUTS, 4), op->inputs, &op->ninputs);
    if (s == TB_OK) s = read_io_list(it, &fb, tb_fb_vec(&fb, o, OP_OUTPUTS, 4), op->outputs, &op->noutputs);
    if (s != TB_OK) return s;
    if (op->ninputs < 1 || op->noutputs != 1 || op->inputs[0] < 0)
      return model_error(it, op_name(op->code), ": needs an input and exactly one output", -1);
    read_options(&fb, tb_fb_subtable(&fb, o, OP_BUILTIN_OPTIONS), op);
    s = check_int8(it, op);
    if (s != TB_OK) return s;
  }
  if (fb.bad) return model_error(it, "model flatbuffer is truncated or corrupt", NULL, -1);
  return TB_OK;
}
