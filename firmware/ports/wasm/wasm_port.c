/* WebAssembly port: the firmware as the built-in virtual DUT.
 * The host copies the model into model_buf, calls wp_boot, then feeds UART
 * bytes with wp_rx; output leaves through the imported js_uart_tx. */
#include "../../engine/tb_engine.h"
#include "../../harness/ee_harness.h"
#include "../../harness/tb_baud.h"
#include "../../harness/th_port.h"
#include "cost_model.h"
#include "wasm_sww.h"

#include <emscripten.h>
#include <string.h>

extern void js_uart_tx(const char *buf, unsigned len);
extern void js_timestamp_edge(double time_us);
extern void js_uart_baud(unsigned rate);
extern void js_baud_window(unsigned ms);
extern double js_wall_ms(void);

/* Sizes come from firmware/build.json (-DWP_MODEL_MAX, -DWP_ARENA_MAX): the
 * largest model any benchmark loads and the largest arena it plans. */
#ifndef WP_MODEL_MAX
#define WP_MODEL_MAX (512 * 1024)
#endif
#ifndef WP_ARENA_MAX
#define WP_ARENA_MAX (160 * 1024)
#endif
#define MODEL_MAX WP_MODEL_MAX
#define ARENA_MAX WP_ARENA_MAX
#define RX_MAX (64 * 1024)

static _Alignas(16) uint8_t model_buf[MODEL_MAX];
static _Alignas(16) uint8_t arena[ARENA_MAX];
static uint8_t rx_buf[RX_MAX];
static tb_interpreter interp;
static tb_bench_id bench;
static int energy_mode;
static double cycles; /* virtual clock; a double counts cycles exactly up to 2^53 */
/* The core clock the cycles are counted at (the cost model's, unless a host asks for another MCU). */
static double clock_hz = (double)COST_CLOCK_HZ;

void th_write(const char *buf, unsigned len) { js_uart_tx(buf, len); }

/* Baud switching: the host's wire model follows the rate (js_uart_baud), and
 * its timer calls wp_poll when an uncommitted rate's window ends. Any rate up
 * to 4 Mbaud is exact: the virtual UART has no divisor. */
static uint32_t uart_rate = 115200u;
uint32_t th_uart_baud(void) { return uart_rate; }
uint32_t th_uart_set_baud(uint32_t baud, int apply) {
  if (baud == 0 || baud > 4000000u) return 0;
  if (apply) {
    uart_rate = baud;
    js_uart_baud(uart_rate);
  }
  return baud;
}
uint32_t th_wall_ms(void) { return (uint32_t)(uint64_t)js_wall_ms(); }
void th_baud_window(uint32_t ms) { js_baud_window(ms); }
EMSCRIPTEN_KEEPALIVE void wp_poll(void) { tb_baud_poll(); }

static double now_us(void) { return cycles * 1e6 / clock_hz; }
double wp_now_us(void) { return now_us(); }
void wp_add_cycles(double c) { cycles += c; }
void wp_add_us(double us) { cycles += us * clock_hz / 1e6; }
void wp_advance_to_us(double at_us) {
  if (at_us > now_us()) cycles = at_us * clock_hz / 1e6;
}

uint32_t th_time_us(void) {
  /* A 32-bit microsecond counter, wrapping like a hardware timer. */
  const double us = now_us();
  return (uint32_t)(uint64_t)us;
}

/* The timestamp pulse is held low this long: the rules ask for at least
 * 1 µs, and a monitor that samples its logic inputs (PPK2: every 10 µs)
 * only sees a pulse that spans a sample. */
#define TIMESTAMP_PULSE_US 20.0

void th_timestamp_edge(void) {
  js_timestamp_edge(now_us());
  cycles += TIMESTAMP_PULSE_US * clock_hz / 1e6;
}

EMSCRIPTEN_KEEPALIVE double wp_timestamp_pulse_us(void) { return TIMESTAMP_PULSE_US; }

int th_energy_mode(void) { return energy_mode; }

/* The virtual DUT says what it is wherever a host can see it: its name (also
 * on the standard flavour, whose profile has no extra lines) and its clock. */
const char *th_device_name(void) { return "tiny-bench virtual DUT (SIMULATED)"; }
const char *th_clock_note(void) { return "SIMULATED: cost-model clock of the tiny-bench virtual DUT"; }
/* The JavaScript side queues whatever arrives while the harness runs, without
 * limit; the virtual DUT advertises what the MCU ports' RX ring holds
 * (ports/common/mcu.c), so a host drives it as it would a board. */
unsigned th_rx_buffer_bytes(void) { return 4095u; }

void th_account_inference(const tb_work *w) {
  double c = CYCLES_PER_INFERENCE + CYCLES_PER_OP * w->ops;
  for (int k = 0; k < 8; ++k) c += CYCLES_PER_MAC[k] * w->macs[k] + CYCLES_PER_TAP * w->taps[k] + CYCLES_PER_OUTPUT[k] * w->outputs[k];
  /* Whole microseconds per inference: the clock then stays on a microsecond
   * boundary, so a window's truncated elapsed time does not depend on where
   * the clock started (a resumed session's fresh DUT gives the same laps). */
  const double cycles_per_us = (double)COST_CLOCK_HZ / 1e6;
  cycles += (double)(uint64_t)(c / cycles_per_us + 0.5) * cycles_per_us;
}

EMSCRIPTEN_KEEPALIVE uint8_t *wp_model_buffer(unsigned size) { return size <= MODEL_MAX ? model_buf : 0; }
EMSCRIPTEN_KEEPALIVE uint8_t *wp_rx_buffer(void) { return rx_buf; }
EMSCRIPTEN_KEEPALIVE unsigned wp_rx_capacity(void) { return RX_MAX; }
EMSCRIPTEN_KEEPALIVE const char *wp_error(void) { return interp.error; }
EMSCRIPTEN_KEEPALIVE unsigned wp_arena_used(void) { return (unsigned)interp.arena_used; }

/* The firmware's benchmark ids by tb_bench_id, so the host passes the index
 * this build uses instead of keeping its own copy of the order. */
EMSCRIPTEN_KEEPALIVE int wp_bench_count(void) { return TB_BENCH_COUNT; }
EMSCRIPTEN_KEEPALIVE const char *wp_bench_name(int i) { return tb_bench_name((tb_bench_id)i); }

/* Loads the model and prints the boot banner. Returns 0 or a tb_status. */
EMSCRIPTEN_KEEPALIVE int wp_boot(unsigned model_len, int bench_id, unsigned cmd_limit, int energy, double start_us) {
  if (bench_id < 0 || bench_id >= TB_BENCH_COUNT) return TB_ERR_STATE;
  tb_status st = tb_load(&interp, model_buf, model_len, arena, sizeof arena);
  if (st != TB_OK) return st;
  bench = (tb_bench_id)bench_id;
  energy_mode = energy;
  cycles = start_us * clock_hz / 1e6;
  /* A reset starts the UART at its boot rate again. */
  uart_rate = 115200u;
  js_uart_baud(uart_rate);
  js_baud_window(0);
  ee_harness_init(&interp, bench, cmd_limit);
  ee_harness_extend(bench == TB_BENCH_SWW01 ? wp_sww_boot(&interp) : 0);
  return 0;
}

EMSCRIPTEN_KEEPALIVE void wp_set_standard(int on) { ee_harness_set_standard(on); }

EMSCRIPTEN_KEEPALIVE void wp_rx(unsigned len) { ee_harness_rx(rx_buf, len <= RX_MAX ? len : RX_MAX); }

EMSCRIPTEN_KEEPALIVE double wp_clock_us(void) { return now_us(); }

/* Another core clock for the same cycle counts; the current time is kept. */
EMSCRIPTEN_KEEPALIVE void wp_set_clock_hz(double hz) {
  if (!(hz > 0)) return;
  const double us = now_us();
  clock_hz = hz;
  cycles = us * clock_hz / 1e6;
}

/* Direct engine access for conformance tests (bypasses the protocol). */
EMSCRIPTEN_KEEPALIVE unsigned wp_input_bytes(void) { return tb_bench_input_bytes(&interp, bench); }
EMSCRIPTEN_KEEPALIVE void wp_run_raw(unsigned len) {
  tb_bench_set_input(&interp, bench, rx_buf, len);
  tb_invoke(&interp);
}
EMSCRIPTEN_KEEPALIVE unsigned wp_input_elements(void) { return tb_input(&interp)->elements; }
EMSCRIPTEN_KEEPALIVE const int8_t *wp_input_tensor(void) { return tb_input_data(&interp); }
EMSCRIPTEN_KEEPALIVE const int8_t *wp_output_tensor(void) { return tb_output_data(&interp); }
EMSCRIPTEN_KEEPALIVE unsigned wp_output_len(void) { return tb_output(&interp)->elements; }
/* Cumulative work counters: 0-7 MACs by operator kind, 8-15 outputs, 16-23 taps, 24 operators. */
EMSCRIPTEN_KEEPALIVE double wp_work(int i) {
  if (i < 8) return interp.work.macs[i];
  if (i < 16) return interp.work.outputs[i - 8];
  if (i < 24) return interp.work.taps[i - 16];
  return interp.work.ops;
}
EMSCRIPTEN_KEEPALIVE float wp_result(int i) { return tb_bench_result(&interp, bench, rx_buf, i); }
