#include "tb_sww.h"
#include "../dsp/tb_sww_features.h"
#include "ee_harness.h"
#include "th_port.h"
#include "tb_sww_port.h"

#include <string.h>

static struct {
  tb_interpreter *it;
  tb_sww_features features;
  int streaming;
  int first_frame;
  uint32_t frames;
  uint32_t logged;
  int8_t log[TB_SWW_LOG_MAX];
} w;

static void reset_stream(void) {
  tb_sww_features_reset(&w.features);
  /* The 30 x 40 model input starts as int8 0, not -128 (as the reference). */
  memset(tb_input_data(w.it), 0, tb_input(w.it)->elements);
}

void tb_sww_init(tb_interpreter *it) {
  w.it = it;
  w.streaming = 0;
  w.frames = w.logged = 0;
  tb_sww_features_tables();
  reset_stream();
}

const float *tb_sww_scaled_features(void) { return w.features.scaled; }
uint32_t tb_sww_frames(void) { return w.frames; }

static void run_model(void) { ee_invoke_counted(w.it); }

/* Features of one hop appended to the sliding model input, then the model. */
static void hop(const int16_t *mono, int8_t features[TB_SWW_MELS]) {
  int8_t *in = tb_input_data(w.it);
  const uint32_t n = tb_input(w.it)->elements;
  tb_sww_features_hop(&w.features, mono, tb_input(w.it)->scale, features);
  th_sww_account_features();
  memmove(in, in + TB_SWW_MELS, n - TB_SWW_MELS);
  memcpy(in + n - TB_SWW_MELS, features, TB_SWW_MELS);
  run_model();
}

void tb_sww_i2s_chunk(const int16_t *stereo) {
  if (!w.streaming) return;
  int16_t mono[TB_SWW_HOP];
  int8_t features[TB_SWW_MELS];
  for (int i = 0; i < TB_SWW_HOP; ++i) mono[i] = stereo[2 * i];
  th_sww_processing_pin(1);
  hop(mono, features);
  const int8_t out0 = tb_output_data(w.it)[0];
  if (w.logged < TB_SWW_LOG_MAX) w.log[w.logged++] = out0;
  ++w.frames;
  /* The first frame's pulse is the sync marker the host takes as t = 0. */
  if (out0 > TB_SWW_DETECT_THRESHOLD || w.first_frame) th_sww_detection_pulse();
  w.first_frame = 0;
  th_sww_processing_pin(0);
}

static void print_i8(int8_t v) {
  if (v < 0) {
    ee_print("-");
    ee_print_u32((uint32_t)(-(int32_t)v));
  } else {
    ee_print_u32((uint32_t)v);
  }
}

static void cmd_start(void) {
  if (w.streaming) {
    ee_say("I2S Rx currently in progress. Ignoring request");
    return;
  }
  ee_say("Listening for I2S data ... ");
  reset_stream();
  w.logged = 0;
  w.frames = 0;
  w.first_frame = 1;
  /* The timestamp pulse opens the energy window; the processing pin blips
   * once so the board sees the DUT is alive. */
  th_timestamp_edge();
  th_sww_processing_pin(1);
  th_sww_processing_pin(0);
  w.streaming = 1;
  th_sww_i2s_enable(1);
  ee_say("DMA receive initiated.");
}

static void cmd_stop(void) {
  if (!w.streaming) {
    ee_say("I2S is already idle.  Ignoring stop request");
    return;
  }
  th_sww_i2s_enable(0);
  w.streaming = 0;
  th_timestamp_edge();
  ee_say("Streaming stopped.");
  ee_say("target activations: ");
  ee_print("[");
  for (uint32_t i = 0; i < w.logged; ++i) {
    print_i8(w.log[i]);
    ee_print(", ");
    if (i % 16 == 15 && i + 1 < w.logged) ee_end_line();
  }
  ee_print("]");
  ee_end_line();
}

static void print_activations(void) {
  const int8_t *y = tb_output_data(w.it);
  const uint32_t n = tb_output(w.it)->elements;
  ee_print("m-activations-[");
  for (uint32_t i = 0; i < n; ++i) {
    if (i) ee_print(", ");
    print_i8(y[i]);
  }
  ee_print("]");
  ee_end_line();
}

/* Features and model on the 512 int16 little-endian mono samples in db,
 * continuing the extractor's history (a stream sent over the UART). */
static void cmd_extract(const uint8_t *db, uint32_t db_len) {
  if (w.streaming) {
    ee_error("extract_uart_stream while I2S streaming; send stop first");
    return;
  }
  if (db_len < 2 * TB_SWW_HOP) {
    ee_print("e-[extract_uart_stream needs 1024 bytes (512 int16 samples) in db, has ");
    ee_print_u32(db_len);
    ee_print("]");
    ee_end_line();
    return;
  }
  int16_t mono[TB_SWW_HOP];
  int8_t features[TB_SWW_MELS];
  for (int i = 0; i < TB_SWW_HOP; ++i) mono[i] = (int16_t)(uint16_t)(db[2 * i] | (uint16_t)db[2 * i + 1] << 8);
  hop(mono, features);
  ee_print("m-features-[");
  for (int j = 0; j < TB_SWW_MELS; ++j) {
    if (j) ee_print(", ");
    print_i8(features[j]);
  }
  ee_print("]");
  ee_end_line();
  print_activations();
}

int tb_sww_command(char **tok, int n, const uint8_t *db, uint32_t db_len) {
  if (!strcmp(tok[0], "start")) cmd_start();
  else if (!strcmp(tok[0], "stop")) cmd_stop();
  else if (!strcmp(tok[0], "extract_uart_stream")) cmd_extract(db, db_len);
  else if (!strcmp(tok[0], "reset_stream")) {
    /* tiny-bench extension: a fresh extractor history for extract_uart_stream. */
    reset_stream();
    ee_say("m-stream-reset");
  } else if (!strcmp(tok[0], "bench_features")) {
    /* tiny-bench extension: N feature hops on the db samples, no model, timed
     * inside the command (m-lap-us before and after, as infer does), so the
     * extractor's time excludes the UART and the idle time between commands. */
    uint32_t count = 0;
    for (const char *c = n > 1 ? tok[1] : "1"; *c >= '0' && *c <= '9'; ++c) count = count * 10u + (uint32_t)(*c - '0');
    if (db_len < 2 * TB_SWW_HOP || count == 0) {
      ee_error("bench_features N needs N > 0 and 1024 bytes (512 int16 samples) in db");
    } else {
      int16_t mono[TB_SWW_HOP];
      int8_t features[TB_SWW_MELS];
      for (int i = 0; i < TB_SWW_HOP; ++i) mono[i] = (int16_t)(uint16_t)(db[2 * i] | (uint16_t)db[2 * i + 1] << 8);
      const uint32_t t0 = th_time_us();
      for (uint32_t k = 0; k < count; ++k) tb_sww_features_hop(&w.features, mono, tb_input(w.it)->scale, features);
      const uint32_t t1 = th_time_us();
      ee_print("m-lap-us-");
      ee_print_u32(t0);
      ee_end_line();
      ee_print("m-lap-us-");
      ee_print_u32(t1);
      ee_end_line();
      ee_say("m-bench-features-done");
    }
  } else if (!strcmp(tok[0], "state")) {
    ee_print(w.streaming ? "m-state-[streaming," : "m-state-[idle,");
    ee_print_u32(w.frames);
    ee_print(" frames]");
    ee_end_line();
  } else if (!strcmp(tok[0], "proc_hi")) th_sww_processing_pin(1);
  else if (!strcmp(tok[0], "proc_lo")) th_sww_processing_pin(0);
  else if (!strcmp(tok[0], "run_model")) {
    if (w.streaming) ee_error("run_model while I2S streaming; send stop first");
    else {
      run_model();
      print_activations();
    }
  } else return 0;
  (void)n;
  return 1;
}
