/* What every Cortex-M port shares: memory and FPU start-up, the UART receive
 * ring filled by the port's RX interrupt, and the idle loop that feeds the
 * harness. A port provides its vector table, UART/timer registers and th_*. */
#ifndef MCU_H
#define MCU_H

#include <stdint.h>

#include "../../harness/tb_bench_io.h"

/* Copies .data, zeroes .bss (and the extra zeroed region, if any), enables the FPU. */
void mcu_start(uint32_t *zero_extra_begin, uint32_t *zero_extra_end);

/* Called by the port's RX interrupt for each received byte. */
void mcu_rx_push(uint8_t byte);

/* Loads the linked-in model, prints the boot banner, then serves commands forever,
 * sleeping (WFI) whenever no byte is waiting. */
void mcu_serve(tb_interpreter *interp, uint8_t *arena, uint32_t arena_size, tb_bench_id bench, unsigned cmd_size);

#endif
