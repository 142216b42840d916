/* Benchmark-specific input and output handling, as the MLPerf Tiny reference
 * firmware does it (protocol reference §1.9): raw db bytes in, the printed
 * result vector out. Shared by every port. */
#ifndef TB_BENCH_IO_H
#define TB_BENCH_IO_H

#include "../engine/tb_engine.h"

/* In the order of "benchmarks" in firmware/build.json (the build passes the
 * index as -DTB_BENCH); test/firmware/build-description.test.ts checks it. */
typedef enum {
  TB_BENCH_KWS01 = 0,
  TB_BENCH_VWW01,
  TB_BENCH_IC01,
  TB_BENCH_AD01,
  TB_BENCH_IC02,
  TB_BENCH_SWW01,
  TB_BENCH_COUNT
} tb_bench_id;

/* "kws01" ... "sww01" */
const char *tb_bench_name(tb_bench_id id);
/* Bytes one db load must carry for this benchmark (ad01: one float32 window). */
uint32_t tb_bench_input_bytes(const tb_interpreter *it, tb_bench_id id);
/* Converts db bytes into the model input tensor. len must equal tb_bench_input_bytes. */
void tb_bench_set_input(tb_interpreter *it, tb_bench_id id, const uint8_t *db, uint32_t len);
/* Number of values in the result vector. */
int tb_bench_result_count(const tb_interpreter *it, tb_bench_id id);
/* Result value i after an invoke: dequantized probability, or for ad01 the
 * mean squared error of the dequantized reconstruction against the float
 * window that is still in db. */
float tb_bench_result(const tb_interpreter *it, tb_bench_id id, const uint8_t *db, int i);
/* Decimal places printed for each value. */
int tb_bench_result_decimals(tb_bench_id id);

#endif
