/* STM32F4 clock set-up: the PLL from the 16 MHz HSI to the part's rated core
 * clock, with the flash wait states, prefetch and caches that clock needs.
 * Every wait on a ready bit is bounded; on any failure the core stays on HSI
 * and the result says why. */
#ifndef STM32F4_CLOCK_H
#define STM32F4_CLOCK_H

#include <stdint.h>

typedef struct {
  uint32_t core_hz;  /* SYSCLK = HCLK */
  uint32_t pclk1_hz; /* APB1: USART2 */
  uint32_t tim2_hz;  /* APB1 timer clock: TIM2 */
  /* For the profile reply, e.g. "core 180000000 Hz, PLL from HSI (f446)" or
   * "core 16000000 Hz, HSI fallback: PLL did not lock". */
  const char *note;
} stm32_clocks;

/* Brings the core to the rated clock of the part chosen with
 * -DTB_STM32_PART=f401|f411|f446 (default f446). */
stm32_clocks stm32_clock_init(void);

#endif
