/* Vector table and reset handler for a Cortex-M4F on mps2-an386. */
#include <stdint.h>

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
extern int main(void);
void uart0_rx_irq(void);
void timer0_irq(void);

void Reset_Handler(void);
static void Default_Handler(void) {
  for (;;) {
  }
}

#define CPACR (*(volatile uint32_t *)0xE000ED88u)

void Reset_Handler(void) {
  /* Enable CP10/CP11 (the FPU) before any floating-point instruction runs. */
  CPACR |= 0xFu << 20;
  __asm volatile("dsb\n isb");
  for (uint32_t *src = &_sidata, *dst = &_sdata; dst < &_edata;) *dst++ = *src++;
  for (uint32_t *dst = &_sbss; dst < &_ebss;) *dst++ = 0;
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
