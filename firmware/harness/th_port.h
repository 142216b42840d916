/* What a port (wasm, mps2-an386, stm32f4, ...) provides to the harness. */
#ifndef TH_PORT_H
#define TH_PORT_H

#include <stdint.h>
#include "../engine/tb_types.h"

/* Sends bytes on the UART; may block until they are queued. */
void th_write(const char *buf, unsigned len);
/* Free-running microsecond counter (32-bit, wraps). Performance mode only. */
uint32_t th_time_us(void);
/* Energy mode: a falling edge on the timestamp pin, held low >= 1 us. */
void th_timestamp_edge(void);
/* Non-zero when built (or, for the wasm port, started) for energy mode. */
int th_energy_mode(void);
/* Called after every inference with the work it did; simulated targets
 * advance their virtual clock here, real ones ignore it. */
void th_account_inference(const tb_work *work);
/* Optional: how the port clocks the core (e.g. "core 180000000 Hz, PLL from
 * HSI (f446)"), added to the profile reply as m-clock-[...]. The harness has a
 * weak default returning NULL (no line) for ports that do not say. */
const char *th_clock_note(void);
/* Optional: the name `name` reports (m-name-dut-[...]). Simulated ports say
 * SIMULATED in it, so a host that reaches them over a pty (tiny-bench serve)
 * can label what it measures; the weak default is EE_VENDOR. */
const char *th_device_name(void);
/* Optional: how many received bytes the port holds while the harness is busy
 * (an inference, a reply), e.g. an interrupt-fed ring. Advertised as
 * m-rx-buffer-[N]: a host may then send the next input while the current one
 * runs, keeping at most N bytes unanswered. The weak default 0 advertises
 * nothing, and hosts then send one command at a time. */
unsigned th_rx_buffer_bytes(void);

#endif
