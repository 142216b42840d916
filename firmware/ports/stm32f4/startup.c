/* Vector table and reset handler for STM32F4 (Cortex-M4F). */
#include <stdint.h>

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _sccm, _eccm, _estack;
extern int main(void);
void usart2_irq(void);

void Reset_Handler(void);
static void Default_Handler(void) {
  for (;;) {
  }
}

#define CPACR (*(volatile uint32_t *)0xE000ED88u)

void Reset_Handler(void) {
  CPACR |= 0xFu << 20; /* FPU on before any floating-point instruction */
  __asm volatile("dsb\n isb");
  for (uint32_t *src = &_sidata, *dst = &_sdata; dst < &_edata;) *dst++ = *src++;
  for (uint32_t *dst = &_sbss; dst < &_ebss;) *dst++ = 0;
  for (uint32_t *dst = &_sccm; dst < &_eccm;) *dst++ = 0;
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
