#include "mcu.h"

#include "../../engine/tb_engine.h"
#include "../../harness/ee_harness.h"
#include "../../harness/tb_baud.h"
#include "../../harness/th_port.h"

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _sccm, _eccm;
extern int main(void);
extern const uint8_t tb_model_data[];
extern const uint8_t tb_model_end[];

#define CPACR (*(volatile uint32_t *)0xE000ED88u)

void mcu_default_handler(void) {
  for (;;) {
  }
}

/* Copies .data, zeroes .bss and .ccm (empty on parts without CCM), enables the FPU, runs main. */
void Reset_Handler(void) {
  /* The FPU must be on before any floating-point instruction runs. */
  CPACR |= 0xFu << 20;
  __asm volatile("dsb\n isb");
  for (uint32_t *src = &_sidata, *dst = &_sdata; dst < &_edata;) *dst++ = *src++;
  for (uint32_t *dst = &_sbss; dst < &_ebss;) *dst++ = 0;
  for (uint32_t *dst = &_sccm; dst < &_eccm;) *dst++ = 0;
  main();
  for (;;) {
  }
}

#define RX_RING 4096u /* power of two */
static volatile uint8_t rx_ring[RX_RING];
static volatile uint32_t rx_head, rx_tail;

static volatile int rx_held;

int mcu_rx_room(void) { return ((rx_head + 1u) & (RX_RING - 1u)) != rx_tail; }

/* One slot stays empty to tell a full ring from an empty one. */
unsigned th_rx_buffer_bytes(void) { return RX_RING - 1u; }

void mcu_rx_push(uint8_t byte) {
  if (!mcu_rx_room()) return; /* the port checks first; never overwrite unread bytes */
  rx_ring[rx_head] = byte;
  rx_head = (rx_head + 1u) & (RX_RING - 1u);
}

void mcu_rx_hold(void) { rx_held = 1; }

uint32_t mcu_uart_divisor(uint32_t clock_hz, uint32_t baud, uint32_t *actual) {
  if (baud == 0 || baud > clock_hz / 16u) return 0;
  const uint32_t div = (clock_hz + baud / 2u) / baud;
  *actual = clock_hz / div;
  const uint32_t error = *actual > baud ? *actual - baud : baud - *actual;
  return div < 16u || error > baud / 40u ? 0 : div;
}

static void say(const char *s) {
  unsigned n = 0;
  while (s[n]) n++;
  th_write(s, n);
}

/* A benchmark's own commands (mcu_sww.c for sww01); none by default. */
__attribute__((weak)) void mcu_extend(tb_interpreter *interp) { (void)interp; }

void mcu_serve(tb_interpreter *interp, uint8_t *arena, uint32_t arena_size, tb_bench_id bench, unsigned cmd_size) {
  if (tb_load(interp, tb_model_data, (size_t)(tb_model_end - tb_model_data), arena, arena_size) != TB_OK) {
    say("e-[model: ");
    say(interp->error);
    say("]\r\nm-ready\r\n");
    for (;;) __asm volatile("wfi");
  }
  ee_harness_init(interp, bench, cmd_size);
  mcu_extend(interp);
  for (;;) {
    __asm volatile("cpsid i");
    /* While a new baud rate waits for its commit the loop keeps polling: no
     * interrupt would wake it when the window ends. */
    if (rx_head == rx_tail && !tb_baud_pending()) __asm volatile("wfi"); /* a pending IRQ still wakes us with PRIMASK set */
    __asm volatile("cpsie i");
    tb_baud_poll();
    while (rx_tail != rx_head) {
      uint8_t chunk[64];
      unsigned n = 0;
      while (rx_tail != rx_head && n < sizeof chunk) {
        chunk[n++] = rx_ring[rx_tail];
        rx_tail = (rx_tail + 1u) & (RX_RING - 1u);
      }
      ee_harness_rx(chunk, n);
      if (rx_held) {
        __asm volatile("cpsid i");
        rx_held = 0;
        th_rx_resume();
        __asm volatile("cpsie i");
      }
    }
  }
}
