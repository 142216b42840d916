/* STM32F4 port, register level (no vendor libraries), for NUCLEO-F401RE,
 * -F411RE and -F446RE: USART2 on PA2/PA3 (the ST-LINK virtual COM port),
 * TIM2 as a free-running 32-bit microsecond counter, PA8 (Arduino D7) as the
 * energy-mode timestamp pin. clock.c brings the core to the part's rated clock
 * (-DTB_STM32_PART=f401 84 MHz | f411 100 MHz | f446 180 MHz, default f446) or,
 * when a ready bit does not come, leaves it on the 16 MHz HSI; `profile` says
 * which (m-clock-[...]), and the UART divisor and the timer prescaler follow
 * the clock it runs at.
 * Tested under qemu-system-arm -M netduinoplus2 (STM32F405), whose RCC locks no
 * PLL (the fallback runs) and whose TIM2 counts from a 1 GHz clock (QEMU 7.2):
 * build with -DTB_TIM2_HZ=1000000000 there.
 * vww01 needs about 136 KB of RAM and does not fit these 128 KB parts; ic02's
 * 512 KB model does not fit their 512 KB of flash. */
#include "../../engine/tb_engine.h"
#include "../../harness/ee_harness.h"
#include "../../harness/th_port.h"
#include "../common/mcu.h"
#include "clock.h"

#include <stdint.h>

#ifndef TB_ARENA_SIZE
#define TB_ARENA_SIZE (96 * 1024)
#endif
#ifndef TB_BAUD
#define TB_BAUD 115200u
#endif

#define REG(addr) (*(volatile uint32_t *)(addr))

#define RCC_AHB1ENR REG(0x40023830u)
#define RCC_APB1ENR REG(0x40023840u)

#define GPIOA_MODER REG(0x40020000u)
#define GPIOA_AFRL REG(0x40020020u)
#define GPIOA_BSRR REG(0x40020018u)

#define USART2_SR REG(0x40004400u)
#define USART2_DR REG(0x40004404u)
#define USART2_BRR REG(0x40004408u)
#define USART2_CR1 REG(0x4000440Cu)
#define USART_SR_RXNE (1u << 5)
#define USART_SR_TXE (1u << 7)
#define USART_SR_TC (1u << 6)
#define USART_CR1_UE (1u << 13)
#define USART_CR1_TE (1u << 3)
#define USART_CR1_RE (1u << 2)
#define USART_CR1_RXNEIE (1u << 5)

#define TIM2_CR1 REG(0x40000000u)
#define TIM2_EGR REG(0x40000014u)
#define TIM2_CNT REG(0x40000024u)
#define TIM2_PSC REG(0x40000028u)
#define TIM2_ARR REG(0x4000002Cu)

#define NVIC_ISER1 REG(0xE000E104u)
#define NVIC_ICER1 REG(0xE000E184u)
#define USART2_NVIC_BIT (1u << (38 - 32)) /* USART2 is interrupt 38 */

/* ---- UART ---------------------------------------------------------------- */

void usart2_irq(void) {
  /* RXNE is level-triggered and cleared by reading DR, so nothing is lost
   * between the last read and the return. With the ring full the byte stays
   * in DR and the interrupt is disabled in the NVIC (the line stays high: it
   * would fire again at once) until th_rx_resume. */
  while (USART2_SR & USART_SR_RXNE) {
    if (!mcu_rx_room()) {
      NVIC_ICER1 = USART2_NVIC_BIT;
      mcu_rx_hold();
      return;
    }
    mcu_rx_push((uint8_t)USART2_DR);
  }
}

/* The line is still high: the interrupt pends and runs as soon as interrupts are unmasked. */
void th_rx_resume(void) { NVIC_ISER1 = USART2_NVIC_BIT; }

void th_write(const char *buf, unsigned len) {
  for (unsigned i = 0; i < len; ++i) {
    while (!(USART2_SR & USART_SR_TXE)) {
    }
    USART2_DR = (uint8_t)buf[i];
  }
}

/* ---- baud switching (tb_baud.h) ------------------------------------------ */

static stm32_clocks clocks;
static uint32_t uart_rate;

uint32_t th_uart_baud(void) { return uart_rate; }

/* BRR = PCLK1 / rate with oversampling by 16 (mantissa and fraction in one
 * number), at least 16. */
uint32_t th_uart_set_baud(uint32_t baud, int apply) {
  uint32_t actual = 0;
  const uint32_t brr = mcu_uart_divisor(clocks.pclk1_hz, baud, &actual);
  if (!brr) return 0;
  if (!apply) return actual;
  while (!(USART2_SR & USART_SR_TC)) { /* the last reply byte has left the shift register */
  }
  USART2_BRR = brr;
  uart_rate = actual;
  return actual;
}

/* ---- time ---------------------------------------------------------------- */

uint32_t th_time_us(void) {
  /* TIM2 counts microseconds and wraps at 32 bits like the reference us_ticker.
   * Wait for the next tick so a lap is read on a microsecond boundary. */
  const uint32_t start = TIM2_CNT;
  uint32_t now;
  while ((now = TIM2_CNT) == start) {
  }
  return now;
}

/* TIM2's 32-bit microseconds extended in software; called often enough
 * (every poll of a baud window) for the extension to stay right. */
uint32_t th_wall_ms(void) {
  static uint32_t last_cnt;
  static uint64_t us;
  const uint32_t now = TIM2_CNT;
  us += (uint32_t)(now - last_cnt);
  last_cnt = now;
  return (uint32_t)(us / 1000u);
}

void th_timestamp_edge(void) {
  GPIOA_BSRR = 1u << (8 + 16); /* PA8 low */
  for (volatile int i = 0; i < 200; ++i) {
  }
  GPIOA_BSRR = 1u << 8; /* PA8 high */
}

/* The harness adds it to the profile reply. */
const char *th_clock_note(void) { return clocks.note; }

int th_energy_mode(void) { return EE_ENERGY_MODE; }

void th_account_inference(const tb_work *work) { (void)work; }

/* ---- main ---------------------------------------------------------------- */

static _Alignas(16) uint8_t arena[TB_ARENA_SIZE];
#ifdef TB_USE_CCM
__attribute__((section(".ccm")))
#endif
static tb_interpreter interp;

int main(void) {
  clocks = stm32_clock_init();
  RCC_AHB1ENR |= 1u;              /* GPIOA */
  RCC_APB1ENR |= (1u << 17) | 1u; /* USART2, TIM2 */
  /* PA2/PA3 alternate function 7 (USART2), PA8 output high. */
  GPIOA_MODER = (GPIOA_MODER & ~((3u << 4) | (3u << 6) | (3u << 16))) | (2u << 4) | (2u << 6) | (1u << 16);
  GPIOA_AFRL = (GPIOA_AFRL & ~((0xFu << 8) | (0xFu << 12))) | (7u << 8) | (7u << 12);
  GPIOA_BSRR = 1u << 8;

  USART2_BRR = (clocks.pclk1_hz + TB_BAUD / 2u) / TB_BAUD; /* oversampling by 16 */
  uart_rate = clocks.pclk1_hz / USART2_BRR;
  USART2_CR1 = USART_CR1_UE | USART_CR1_TE | USART_CR1_RE | USART_CR1_RXNEIE;

#ifdef TB_TIM2_HZ
  TIM2_PSC = TB_TIM2_HZ / 1000000u - 1u; /* an emulator's timer clock, whatever its RCC says */
#else
  TIM2_PSC = clocks.tim2_hz / 1000000u - 1u;
#endif
  TIM2_ARR = 0xFFFFFFFFu;
  TIM2_EGR = 1u; /* load the prescaler */
  TIM2_CNT = 0;
  TIM2_CR1 = 1u;

  NVIC_ISER1 = USART2_NVIC_BIT;

  mcu_serve(&interp, arena, sizeof arena, (tb_bench_id)TB_BENCH, EE_CMD_SIZE);
}
