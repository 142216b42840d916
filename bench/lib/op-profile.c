/* Per-operator wall time of the engine as built for the virtual DUT
 * (bench/wasm-op-profile.mjs compiles this with the same emcc flags as
 * firmware/ports/wasm/build.sh). It runs each op of a model `reps` times in
 * a row on a pseudo-random input and prints one line per op; ops never write
 * their inputs, so repeating one in place is the same work as the real run. */
#include "../../firmware/engine/kernels/tb_kernels.h"
#include "../../firmware/engine/tb_engine.h"

#include <emscripten.h>
#include <stdio.h>
#include <stdlib.h>

static _Alignas(16) uint8_t arena[1 << 20];
static tb_interpreter interp;

static const char *dims_of(const tb_tensor *t, char *buf) {
  char *p = buf;
  for (int i = 0; i < t->ndim; ++i) p += sprintf(p, i ? "x%d" : "%d", (int)t->dims[i]);
  return buf;
}

int main(int argc, char **argv) {
  if (argc < 3) return fprintf(stderr, "usage: op-profile MODEL REPS\n"), 2;
  FILE *f = fopen(argv[1], "rb");
  if (!f) return fprintf(stderr, "%s: cannot open\n", argv[1]), 2;
  static _Alignas(16) uint8_t model[1 << 20];
  const size_t n = fread(model, 1, sizeof model, f);
  fclose(f);
  const int reps = atoi(argv[2]);
  if (tb_load(&interp, model, n, arena, sizeof arena) != TB_OK) return fprintf(stderr, "%s: %s\n", argv[1], interp.error), 1;
  int8_t *in = tb_input_data(&interp);
  uint32_t seed = 12345;
  for (uint32_t i = 0; i < tb_input(&interp)->elements; ++i) in[i] = (int8_t)((seed = seed * 1103515245u + 12345u) >> 24);
  /* Every activation tensor filled, and every kernel hot enough for V8 to
   * have tiered it up from its baseline compiler. */
  for (int i = 0; i < 300; ++i) tb_invoke(&interp);
  /* The fastest of several rounds per op: the machine is shared, and other
   * load only ever adds time. */
  double total = 0, times[TB_MAX_OPS];
  for (uint16_t i = 0; i < interp.nops; ++i) times[i] = 1e30;
  for (int round = 0; round < 7; ++round)
    for (uint16_t i = 0; i < interp.nops; ++i) {
      const tb_op *op = &interp.ops[i];
      const tb_op_kind *kind = tb_op_kind_of(op);
      const double t0 = emscripten_get_now();
      for (int r = 0; r < reps; ++r) kind->eval(&interp, op);
      const double t = (emscripten_get_now() - t0) * 1000.0 / reps;
      if (t < times[i]) times[i] = t;
    }
  for (uint16_t i = 0; i < interp.nops; ++i) total += times[i];
  printf("op  kind                 input          filter         output         MACs      us/inf  share\n");
  for (uint16_t i = 0; i < interp.nops; ++i) {
    const tb_op *op = &interp.ops[i];
    char a[64], b[64], c[64];
    const tb_tensor *fl = op->ninputs > 1 && op->inputs[1] >= 0 ? &interp.tensors[op->inputs[1]] : NULL;
    printf("%-3u %-20s %-14s %-14s %-14s %-9u %7.1f %5.1f%%\n", i, tb_op_kind_of(op)->name, dims_of(&interp.tensors[op->inputs[0]], a),
           fl ? dims_of(fl, b) : "-", dims_of(&interp.tensors[op->outputs[0]], c), (unsigned)op->p.work_macs, times[i],
           100.0 * times[i] / total);
  }
  printf("total %.1f us/inf (%.0f inf/s)\n", total, 1e6 / total);
  return 0;
}
