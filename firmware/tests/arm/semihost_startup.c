/* Minimal Cortex-M4F start for firmware tests run under QEMU (mps2-an386)
 * with semihosting: printf goes to the host through librdimon, main's
 * return value ends QEMU. Used by test/firmware/arm-kernels.test.ts to run
 * tests/test_opt_kernels.c with the real DSP instructions and the assembly
 * loops, which the x86 build replaces with their plain-C emulation. */
#include <stdint.h>
#include <stdlib.h>

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
extern int main(void);
extern void initialise_monitor_handles(void); /* librdimon: opens the host's stdin/stdout */

void Reset_Handler(void);
static void fault(void) { exit(3); }

__attribute__((section(".vectors"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))(&_estack), Reset_Handler, fault, fault, fault, fault, fault, 0, 0, 0, 0, fault, fault, 0, fault, fault,
};

void Reset_Handler(void) {
  for (uint32_t *s = &_sidata, *d = &_sdata; d < &_edata;) *d++ = *s++;
  for (uint32_t *d = &_sbss; d < &_ebss;) *d++ = 0;
  *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20; /* CPACR: CP10, CP11 full access (the FPU) */
  __asm__ volatile("dsb\n\tisb");
  initialise_monitor_handles();
  exit(main());
}
