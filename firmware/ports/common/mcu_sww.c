/* The streaming-wakeword mode on the Cortex-M ports that have no I2S or
 * spare pins wired (mps2-an386 under QEMU, the NUCLEO stm32f4 port): the
 * UART commands (extract_uart_stream, run_model, bench_features, ...) work,
 * start/stop run without audio. A board port with I2S provides its own. */
#include "mcu.h"

#include "../../harness/ee_harness.h"
#include "../../harness/tb_sww.h"
#include "../../harness/tb_sww_port.h"

void th_sww_processing_pin(int high) { (void)high; }
void th_sww_detection_pulse(void) {}
void th_sww_i2s_enable(int on) { (void)on; }
void th_sww_account_features(void) {}

/* A constant condition: in other benchmarks' images the compiler drops the
 * branch and the linker (--gc-sections) drops the streaming code with it. */
void mcu_extend(tb_interpreter *it) {
  if (TB_BENCH != TB_BENCH_SWW01) return;
  tb_sww_init(it);
  ee_harness_extend(tb_sww_command);
}
