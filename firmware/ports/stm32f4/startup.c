/* Vector table and reset handler for STM32F4 (Cortex-M4F). */
#include <stdint.h>

#include "../common/mcu.h"

extern uint32_t _sccm, _eccm, _estack;
extern int main(void);
void usart2_irq(void);

void Reset_Handler(void);
static void Default_Handler(void) {
  for (;;) {
  }
}

void Reset_Handler(void) {
  mcu_start(&_sccm, &_eccm);
  main();
  for (;;) {
  }
}

/* 16 system exceptions, then IRQs 0..81; USART2 is IRQ 38. */
__attribute__((section(".vectors"), used)) static void (*const vectors[16 + 82])(void) = {
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
    [16 + 38] = usart2_irq,
};
