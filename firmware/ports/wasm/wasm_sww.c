/* WebAssembly port, streaming-wakeword part: the pins the virtual interface
 * board watches, the virtual I2S input and the cost of a feature hop. */
#include "../../harness/ee_harness.h"
#include "../../harness/tb_sww.h"
#include "../../harness/tb_sww_port.h"
#include "../../dsp/tb_sww_features.h"
#include "wasm_sww.h"

#include <emscripten.h>

extern void js_sww_pin(int pin, int level, double time_us);

/* Feature extraction per hop on a Cortex-M4F: the instructions of the same C
 * (arm-none-eabi-gcc -O2) under qemu-system-arm -icount, one per cycle as the
 * engine's constants (bench/sww-qemu.mjs measures it: 129 460, deterministic). */
#define CYCLES_PER_FEATURE_HOP 129460.0
/* WW_DETECTED is pulsed low this long (the reference: about 1 µs). */
#define DETECTION_PULSE_US 1.0

enum { PIN_PROCESSING = 0, PIN_DETECTION = 1 };

static int16_t i2s_buf[2 * TB_SWW_HOP];
static int i2s_on;

void th_sww_processing_pin(int high) { js_sww_pin(PIN_PROCESSING, high, wp_now_us()); }

void th_sww_detection_pulse(void) {
  js_sww_pin(PIN_DETECTION, 0, wp_now_us());
  wp_add_us(DETECTION_PULSE_US);
  js_sww_pin(PIN_DETECTION, 1, wp_now_us());
}

void th_sww_i2s_enable(int on) { i2s_on = on; }

void th_sww_account_features(void) { wp_add_cycles(CYCLES_PER_FEATURE_HOP); }

ee_command_extension wp_sww_boot(tb_interpreter *it) {
  i2s_on = 0;
  tb_sww_init(it);
  return tb_sww_command;
}

EMSCRIPTEN_KEEPALIVE int16_t *wp_sww_i2s_buffer(void) { return i2s_buf; }

/* A chunk of 512 stereo frames completed by the I2S at virtual time at_us:
 * the DUT slept until then (its clock never runs backwards). Returns 1 when
 * the DUT's DMA was running and took it. */
EMSCRIPTEN_KEEPALIVE int wp_sww_i2s_chunk(double at_us) {
  wp_advance_to_us(at_us);
  if (!i2s_on) return 0;
  tb_sww_i2s_chunk(i2s_buf);
  return 1;
}

EMSCRIPTEN_KEEPALIVE void wp_set_clock_us(double at_us) { wp_advance_to_us(at_us); }
EMSCRIPTEN_KEEPALIVE float wp_sww_scaled(int i) { return tb_sww_scaled_features()[i]; }
