/* Vector table and reset handler for a Cortex-M4F on mps2-an386. */
#include <stdint.h>

#include "../common/mcu.h"

extern uint32_t _estack;
extern int main(void);
void uart0_rx_irq(void);
void timer0_irq(void);

void Reset_Handler(void);
static void Default_Handler(void) {
  for (;;) {
  }
}

void Reset_Handler(void) {
  mcu_start(0, 0);
  main();
  for (;;) {
  }
}

/* 16 system exceptions, then external IRQs 0..31 (UART0 RX = 0, TIMER0 = 8). */
__attribute__((section(".vectors"), used)) static void (*const vectors[16 + 32])(void) = {
    (void (*)(void))(&_estack),
    Reset_Handler,
    Default_Handler, /* NMI */
    Default_Handler, /* HardFault */
    Default_Handler, /* MemManage */
    Default_Handler, /* BusFault */
    Default_Handler, /* UsageFault */
    0, 0, 0, 0,
    Default_Handler, /* SVCall */
    Default_Handler, /* DebugMon */
    0,
    Default_Handler, /* PendSV */
    Default_Handler, /* SysTick */
    [16 + 0] = uart0_rx_irq,
    [16 + 8] = timer0_irq,
};
