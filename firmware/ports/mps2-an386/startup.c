/* Vector table of a Cortex-M4F on mps2-an386: UART0 RX is IRQ 0, TIMER0 is IRQ 8. */
#include "../common/mcu.h"

void uart0_rx_irq(void);
void timer0_irq(void);

__attribute__((section(".vectors"), used)) static void (*const vectors[16 + 32])(void) = {
    MCU_SYSTEM_VECTORS,
    [16 + 0] = uart0_rx_irq,
    [16 + 8] = timer0_irq,
};
