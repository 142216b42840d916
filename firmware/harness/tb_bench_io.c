#include "tb_bench_io.h"
#include "../engine/tb_quant.h"

#include <string.h>

static const char *const names[TB_BENCH_COUNT] = {"kws01", "vww01", "ic01", "ad01", "ic02", "sww01"};

const char *tb_bench_name(tb_bench_id id) { return id < TB_BENCH_COUNT ? names[id] : "unknown"; }

uint32_t tb_bench_input_bytes(const tb_interpreter *it, tb_bench_id id) {
  const uint32_t elements = tb_input(it)->elements;
  return id == TB_BENCH_AD01 ? elements * 4u : elements;
}

static float load_f32le(const uint8_t *p) {
  uint32_t bits = (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}

void tb_bench_set_input(tb_interpreter *it, tb_bench_id id, const uint8_t *db, uint32_t len) {
  int8_t *in = tb_input_data(it);
  const tb_tensor *t = tb_input(it);
  switch (id) {
    case TB_BENCH_KWS01: /* MFCC features arrive already quantized to int8. */
    case TB_BENCH_SWW01: /* so do log-mel windows (30 x 40) */ memcpy(in, db, len); break;
    case TB_BENCH_VWW01:
    case TB_BENCH_IC01:
    case TB_BENCH_IC02: /* uint8 RGB shifted to int8. */
      for (uint32_t i = 0; i < len; ++i) in[i] = (int8_t)((int32_t)db[i] - 128);
      break;
    case TB_BENCH_AD01: /* float32 log-mel window, quantized with the model's input parameters. */
      for (uint32_t i = 0; i < len / 4; ++i) {
        const float q = tb_roundf(load_f32le(db + 4 * i) / t->scale) + (float)t->zero_point;
        in[i] = (int8_t)(q < -128.0f ? -128 : (q > 127.0f ? 127 : (int32_t)q));
      }
      break;
    default: break;
  }
}

int tb_bench_result_count(const tb_interpreter *it, tb_bench_id id) { return id == TB_BENCH_AD01 ? 1 : (int)tb_output(it)->elements; }

float tb_bench_result(const tb_interpreter *it, tb_bench_id id, const uint8_t *db, int i) {
  const tb_tensor *out = tb_output(it);
  const int8_t *y = tb_output_data((tb_interpreter *)it);
  if (id != TB_BENCH_AD01) return (float)(y[i] - out->zero_point) * out->scale;
  float sum = 0.0f;
  for (uint32_t k = 0; k < out->elements; ++k) {
    const float diff = (float)(y[k] - out->zero_point) * out->scale - load_f32le(db + 4 * k);
    sum += diff * diff;
  }
  return sum / (float)out->elements;
}

int tb_bench_result_decimals(tb_bench_id id) {
  /* Probabilities keep the reference firmware's three decimals, enough to
   * recover each of the 256 softmax levels; the anomaly score keeps six so
   * the host's AUC sees what the DUT computed. */
  return id == TB_BENCH_AD01 ? 6 : 3;
}
