/* Native driver for the engine: runs a model over EEMBC dataset files and
 * prints the raw int8 outputs (and ad01 window scores) as JSON lines.
 * Used by the conformance and sanitizer tests; not part of any firmware. */
#include "../engine/tb_engine.h"
#include "../harness/tb_bench_io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tb_read_file.h"

static uint8_t arena[512 * 1024];
static tb_interpreter interp;

static int bench_from_name(const char *s) {
  for (int i = 0; i < TB_BENCH_COUNT; ++i)
    if (!strcmp(s, tb_bench_name((tb_bench_id)i))) return i;
  return -1;
}

int main(int argc, char **argv) {
  if (argc == 2 && !strcmp(argv[1], "--list")) {
    /* The benchmark ids in tb_bench_id order, for the test that checks them against build.json. */
    for (int i = 0; i < TB_BENCH_COUNT; ++i) printf("%s\n", tb_bench_name((tb_bench_id)i));
    return 0;
  }
  if (argc < 4) {
    fprintf(stderr, "usage: tb_run <benchmark id> <model.tflite> <input.bin>... | tb_run --list\n");
    return 2;
  }
  const int id = bench_from_name(argv[1]);
  if (id < 0) {
    fprintf(stderr, "unknown benchmark %s\n", argv[1]);
    return 2;
  }
  size_t model_len;
  uint8_t *model = read_file(argv[2], &model_len);
  if (!model) {
    fprintf(stderr, "cannot read %s\n", argv[2]);
    return 2;
  }
  if (tb_load(&interp, model, model_len, arena, sizeof arena) != TB_OK) {
    fprintf(stderr, "model error: %s\n", interp.error);
    return 1;
  }
  fprintf(stderr, "arena %zu bytes (kernel scratch %u), %u ops, %u tensors, %u multipliers\n", interp.arena_used,
          (unsigned)interp.scratch_bytes, interp.nops, interp.ntensors, (unsigned)interp.nchannel_params);
  const uint32_t need = tb_bench_input_bytes(&interp, (tb_bench_id)id);
  for (int a = 3; a < argc; ++a) {
    size_t len;
    uint8_t *data = read_file(argv[a], &len);
    if (!data) {
      fprintf(stderr, "cannot read %s\n", argv[a]);
      return 2;
    }
    const char *base = strrchr(argv[a], '/') ? strrchr(argv[a], '/') + 1 : argv[a];
    printf("{\"file\":\"%s\"", base);
    if (id == TB_BENCH_AD01) {
      /* Windows of one input tensor every 512 bytes (one frame of 128 float32);
       * the first window's int8 tensors are printed for the conformance check. */
      const size_t stride = 512;
      float scores[256];
      size_t windows = 0;
      for (size_t off = 0; off + need <= len && windows < 256; off += stride, ++windows) {
        tb_bench_set_input(&interp, (tb_bench_id)id, data + off, need);
        tb_invoke(&interp);
        scores[windows] = tb_bench_result(&interp, (tb_bench_id)id, data + off, 0);
        if (windows == 0) {
          printf(",\"in\":[");
          for (uint32_t k = 0; k < tb_input(&interp)->elements; ++k) printf(k ? ",%d" : "%d", tb_input_data(&interp)[k]);
          printf("],\"out\":[");
          for (uint32_t k = 0; k < tb_output(&interp)->elements; ++k) printf(k ? ",%d" : "%d", tb_output_data(&interp)[k]);
          printf("]");
        }
      }
      printf(",\"windowScores\":[");
      for (size_t w = 0; w < windows; ++w) printf(w ? ",%.9g" : "%.9g", (double)scores[w]);
      printf("]");
    } else {
      if (len != need) {
        fprintf(stderr, "%s: %zu bytes, expected %u\n", argv[a], len, need);
        return 2;
      }
      tb_bench_set_input(&interp, (tb_bench_id)id, data, need);
      tb_invoke(&interp);
      printf(",\"out\":[");
      for (uint32_t k = 0; k < tb_output(&interp)->elements; ++k) printf(k ? ",%d" : "%d", tb_output_data(&interp)[k]);
      printf("]");
    }
    printf("}\n");
    free(data);
  }
  free(model);
  return 0;
}
