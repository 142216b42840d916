/* Vector table of an STM32F4 (IRQs 0..81): USART2 is IRQ 38. */
#include "../common/mcu.h"

void usart2_irq(void);

__attribute__((section(".vectors"), used)) static void (*const vectors[16 + 82])(void) = {
    MCU_SYSTEM_VECTORS,
    [16 + 38] = usart2_irq,
};
