/* What every Cortex-M port shares: memory and FPU start-up, the UART receive
 * ring filled by the port's RX interrupt, and the idle loop that feeds the
 * harness. A port provides its vector table, UART/timer registers and th_*. */
#ifndef MCU_H
#define MCU_H

#include <stdint.h>

#include "../../harness/tb_bench_io.h"

#ifndef TB_BENCH
#error "build with -DTB_BENCH=<index of the benchmark in firmware/build.json> (build-arm.sh does)"
#endif
#ifndef EE_CMD_SIZE
#define EE_CMD_SIZE 1024
#endif
#ifndef EE_ENERGY_MODE
#define EE_ENERGY_MODE 0
#endif

void Reset_Handler(void);
void mcu_default_handler(void);
extern uint32_t _estack;

/* The 16 Cortex-M system entries that start every vector table. */
#define MCU_SYSTEM_VECTORS                                                                                                       \
  (void (*)(void))(&_estack), Reset_Handler, mcu_default_handler /* NMI */, mcu_default_handler /* HardFault */,                 \
      mcu_default_handler /* MemManage */, mcu_default_handler /* BusFault */, mcu_default_handler /* UsageFault */, 0, 0, 0, 0, \
      mcu_default_handler /* SVCall */, mcu_default_handler /* DebugMon */, 0, mcu_default_handler /* PendSV */,                 \
      mcu_default_handler /* SysTick */

/* The port's RX interrupt takes each received byte into the ring with
 * mcu_rx_push while mcu_rx_room() says there is room. With the ring full it
 * leaves the byte in the UART and calls mcu_rx_hold: the UART then takes no
 * more (QEMU holds the rest back; real silicon overruns, which loses them as
 * dropping would), and once the harness has made room the idle loop calls
 * the port's th_rx_resume, with interrupts masked, to take bytes again. */
int mcu_rx_room(void);
void mcu_rx_push(uint8_t byte);
void mcu_rx_hold(void);
void th_rx_resume(void);

/* The divisor clock / baud (rounded) that both ports' UARTs take, at least
 * 16, with the rate it gives in *actual; 0 when no divisor comes within 2.5 %
 * of the asked rate (what a UART pair tolerates). */
uint32_t mcu_uart_divisor(uint32_t clock_hz, uint32_t baud, uint32_t *actual);

/* Loads the linked-in model, prints the boot banner, then serves commands forever,
 * sleeping (WFI) whenever no byte is waiting. */
void mcu_serve(tb_interpreter *interp, uint8_t *arena, uint32_t arena_size, tb_bench_id bench, unsigned cmd_size);
/* Registers a benchmark's own commands after the harness starts (weak: none). */
void mcu_extend(tb_interpreter *interp);

#endif
