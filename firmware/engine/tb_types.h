/* Types shared by the model reader, the planner and the kernels.
 *
 * Everything lives inside one tb_interpreter value with fixed capacities, so
 * the engine never allocates and keeps no global mutable state. */
#ifndef TB_TYPES_H
#define TB_TYPES_H

#include <stddef.h>
#include <stdint.h>

#ifndef TB_MAX_TENSORS
#define TB_MAX_TENSORS 160
#endif
#ifndef TB_MAX_OPS
#define TB_MAX_OPS 80
#endif
#define TB_MAX_DIMS 5
#define TB_MAX_OP_IO 4
/* Per-channel multipliers of all conv/depthwise layers together. */
#ifndef TB_MAX_CHANNEL_PARAMS
#define TB_MAX_CHANNEL_PARAMS 4096
#endif
#define TB_ERROR_LEN 160

typedef enum {
  TB_OK = 0,
  TB_ERR_MODEL = 1,    /* malformed or unsupported model */
  TB_ERR_ARENA = 2,    /* arena too small */
  TB_ERR_CAPACITY = 3, /* more tensors/ops/channels than compiled in */
  TB_ERR_STATE = 4     /* called out of order */
} tb_status;

/* TFLite TensorType values we can meet. */
enum { TB_TYPE_FLOAT32 = 0, TB_TYPE_INT32 = 2, TB_TYPE_UINT8 = 3, TB_TYPE_INT64 = 4, TB_TYPE_INT8 = 9 };

/* TFLite BuiltinOperator codes we implement. */
enum {
  TB_OP_ADD = 0,
  TB_OP_AVERAGE_POOL_2D = 1,
  TB_OP_CONV_2D = 3,
  TB_OP_DEPTHWISE_CONV_2D = 4,
  TB_OP_FULLY_CONNECTED = 9,
  TB_OP_RESHAPE = 22,
  TB_OP_SOFTMAX = 25
};

/* TFLite ActivationFunctionType. */
enum { TB_ACT_NONE = 0, TB_ACT_RELU = 1, TB_ACT_RELU_N1_TO_1 = 2, TB_ACT_RELU6 = 3 };

/* TFLite Padding. */
enum { TB_PAD_SAME = 0, TB_PAD_VALID = 1 };

typedef struct {
  uint8_t type;
  uint8_t ndim;
  int32_t dims[TB_MAX_DIMS];
  uint32_t elements;
  uint32_t bytes;
  float scale;
  int32_t zero_point;
  /* Per-channel scales stay in the flatbuffer; read them with tb_model_scale(). */
  const uint8_t *scales;
  uint32_t nscales;
  const uint8_t *const_data; /* non-NULL for weights/biases/shapes */
  int32_t arena_offset;      /* -1 when const */
  int16_t first_use;
  int16_t last_use;
} tb_tensor;

typedef struct {
  int32_t multiplier;
  int shift;
  int32_t act_min;
  int32_t act_max;
  /* Index into tb_interpreter.channel_mult/channel_shift for conv-like ops;
   * channel_stride is 1 for per-channel and 0 for per-tensor quantization
   * (one shared entry). */
  int32_t channel_base;
  int32_t channel_stride;
  /* Conv/pool geometry. */
  uint8_t padding;
  int16_t stride_w, stride_h, dilation_w, dilation_h;
  int16_t filter_w, filter_h, depth_multiplier;
  int16_t pad_w, pad_h;
  /* ADD. */
  int32_t in1_mult, in2_mult;
  int in1_shift, in2_shift;
  int left_shift;
  /* SOFTMAX. */
  float beta;
  int32_t diff_min;
  /* Work of one eval, counted once at prepare time from the geometry. */
  uint32_t work_macs, work_taps;
} tb_op_params;

typedef struct {
  int32_t code;
  uint8_t kind; /* row of the operator table (tb_ops.h) */
  uint8_t ninputs, noutputs;
  int16_t inputs[TB_MAX_OP_IO]; /* -1 = optional input absent */
  int16_t outputs[TB_MAX_OP_IO];
  uint8_t activation;
  tb_op_params p;
} tb_op;

/* Work done by one invoke, by operator kind: drives the virtual clock's cost
 * model on simulated targets and is free on real ones. */
typedef struct {
  uint32_t macs[8];
  /* Inner loops started (a conv filter tap for one output channel, a
   * depthwise tap for one pixel, a fully connected row): loop overhead. */
  uint32_t taps[8];
  uint32_t outputs[8];
  uint32_t ops;
} tb_work;

typedef struct {
  const uint8_t *model;
  size_t model_len;
  uint8_t *arena;
  size_t arena_len;
  size_t arena_used;
  uint16_t ntensors;
  uint16_t nops;
  int16_t input;
  int16_t output;
  tb_tensor tensors[TB_MAX_TENSORS];
  tb_op ops[TB_MAX_OPS];
  int32_t channel_mult[TB_MAX_CHANNEL_PARAMS];
  int32_t channel_shift[TB_MAX_CHANNEL_PARAMS];
  uint32_t nchannel_params;
  /* Kernel scratch (im2col columns, accumulators): one block after the
   * tensors, sized at prepare time for the largest need of any op. */
  uint32_t scratch_offset;
  uint32_t scratch_bytes;
  tb_work work;
  char error[TB_ERROR_LEN];
} tb_interpreter;

#endif
