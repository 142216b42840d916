/* mps2-an386 port: CMSDK UART0 (RX interrupt into a ring buffer, polled TX),
 * CMSDK timer0 as a free-running 25 MHz counter extended in software, WFI
 * when idle.
 *
 * Timing is deterministic under qemu -icount: the timer raises no interrupt
 * (wraps are counted from its sticky INTSTATUS bit, one every 171.8 s), and
 * every lap is read on a microsecond boundary, so the difference of two laps
 * depends only on the instructions executed between them, not on when the
 * host's command happened to arrive. */
#include "../../engine/tb_engine.h"
#include "../../harness/ee_harness.h"
#include "../../harness/th_port.h"
#include "../common/mcu.h"

#include <stdint.h>

#define REG(addr) (*(volatile uint32_t *)(addr))
#define PCLK_HZ 25000000u

/* CMSDK APB UART0 */
#define UART0 0x40004000u
#define UART_DATA REG(UART0 + 0x00)
#define UART_STATE REG(UART0 + 0x04)
#define UART_CTRL REG(UART0 + 0x08)
#define UART_INTCLEAR REG(UART0 + 0x0C)
#define UART_BAUDDIV REG(UART0 + 0x10)
#define UART_STATE_TXFULL 1u
#define UART_STATE_RXFULL 2u
#define UART_CTRL_TXEN 1u
#define UART_CTRL_RXEN 2u
#define UART_CTRL_RXIRQ 8u

/* CMSDK APB timer0 */
#define TIMER0 0x40000000u
#define TIMER_CTRL REG(TIMER0 + 0x00)
#define TIMER_VALUE REG(TIMER0 + 0x04)
#define TIMER_RELOAD REG(TIMER0 + 0x08)
#define TIMER_INTSTATUS REG(TIMER0 + 0x0C)
#define TIMER_INTCLEAR REG(TIMER0 + 0x0C)
#define TICKS_PER_US (PCLK_HZ / 1000000u)

/* CMSDK GPIO0: the energy-mode timestamp pin (bit 0). */
#define GPIO0_DATAOUT REG(0x40010004u)
#define GPIO0_OUTENSET REG(0x40010010u)

#define NVIC_ISER0 REG(0xE000E100u)

/* ---- UART -------------------------------------------------------------- */

/* Takes what the UART holds while the ring has room. A byte left behind
 * (ring full) raises no new interrupt: th_rx_resume takes it. */
static void uart0_take(void) {
  while (UART_STATE & UART_STATE_RXFULL) {
    if (!mcu_rx_room()) {
      mcu_rx_hold();
      return;
    }
    mcu_rx_push((uint8_t)UART_DATA);
  }
}

void uart0_rx_irq(void) {
  /* Clear before draining: a byte that lands after the last read then raises
   * a fresh interrupt. Clearing after the drain would drop that interrupt and
   * leave the byte in the holding register, stalling reception for good. */
  UART_INTCLEAR = 2u;
  uart0_take();
}

void th_rx_resume(void) { uart0_take(); }

void th_write(const char *buf, unsigned len) {
  for (unsigned i = 0; i < len; ++i) {
    while (UART_STATE & UART_STATE_TXFULL) {
    }
    UART_DATA = (uint8_t)buf[i];
  }
}

/* ---- time -------------------------------------------------------------- */

static uint64_t wraps;
static uint64_t ticks(void);

/* Unused: the timer interrupt stays disabled (see the top of this file). */
void timer0_irq(void) { TIMER_INTCLEAR = 1u; }

/* 25 MHz ticks since boot. Must be called at least once per 171.8 s for the
 * absolute value to stay right; laps one window apart always are. */
static uint64_t ticks(void) {
  for (;;) {
    const uint32_t wrapped = TIMER_INTSTATUS & 1u;
    const uint32_t value = TIMER_VALUE;
    if ((TIMER_INTSTATUS & 1u) != wrapped) continue; /* wrapped while reading */
    if (wrapped) {
      TIMER_INTCLEAR = 1u;
      wraps++;
    }
    return (wraps << 32) + (0xFFFFFFFFu - value);
  }
}

uint32_t th_time_us(void) {
  /* Wait for the next microsecond boundary and report it exactly. */
  const uint64_t target = (ticks() / TICKS_PER_US + 1u) * TICKS_PER_US;
  while (ticks() < target) {
  }
  return (uint32_t)(target / TICKS_PER_US);
}

uint32_t th_wall_ms(void) { return (uint32_t)(ticks() / (PCLK_HZ / 1000u)); }

/* ---- baud switching (tb_baud.h) ------------------------------------------ */

/* BAUDDIV = PCLK / rate, at least 16 (the CMSDK UART's minimum). */
static uint32_t uart_rate = 115200u;

uint32_t th_uart_baud(void) { return uart_rate; }

uint32_t th_uart_set_baud(uint32_t baud, int apply) {
  uint32_t actual = 0;
  const uint32_t div = mcu_uart_divisor(PCLK_HZ, baud, &actual);
  if (!div) return 0;
  if (!apply) return actual;
  /* The UART has no transmitter-idle flag: wait for the holding register,
   * then two character times at the old rate for the shift register. */
  while (UART_STATE & UART_STATE_TXFULL) {
  }
  const uint64_t until = ticks() + 2u * 10u * (PCLK_HZ / uart_rate);
  while (ticks() < until) {
  }
  UART_BAUDDIV = div;
  uart_rate = actual;
  return actual;
}

void th_timestamp_edge(void) {
  GPIO0_DATAOUT &= ~1u;
  for (volatile int i = 0; i < 100; ++i) {
  }
  GPIO0_DATAOUT |= 1u;
}

int th_energy_mode(void) { return EE_ENERGY_MODE; }

void th_account_inference(const tb_work *work) { (void)work; }

/* ---- main -------------------------------------------------------------- */

#ifndef TB_ARENA_SIZE
#define TB_ARENA_SIZE (160 * 1024)
#endif
static _Alignas(16) uint8_t arena[TB_ARENA_SIZE];
static tb_interpreter interp;

int main(void) {
  UART_BAUDDIV = PCLK_HZ / 115200u;
  uart_rate = PCLK_HZ / (PCLK_HZ / 115200u);
  UART_CTRL = UART_CTRL_TXEN | UART_CTRL_RXEN | UART_CTRL_RXIRQ;
  TIMER_RELOAD = 0xFFFFFFFFu;
  TIMER_VALUE = 0xFFFFFFFFu;
  TIMER_CTRL = 1u; /* enable, no interrupt */
  GPIO0_OUTENSET = 1u;
  GPIO0_DATAOUT |= 1u;
  NVIC_ISER0 = 1u << 0; /* UART0 RX */

  mcu_serve(&interp, arena, sizeof arena, (tb_bench_id)TB_BENCH, EE_CMD_SIZE);
}
