/* Between wasm_port.c (the virtual clock, boot) and wasm_sww.c. */
#ifndef WASM_SWW_H
#define WASM_SWW_H

#include "../../engine/tb_engine.h"
#include "../../harness/ee_harness.h"
#include "cost_model.h"

double wp_now_us(void);
void wp_add_us(double us);
void wp_add_cycles(double cycles);
/* Moves the clock forward to at_us (never back): the DUT idled until then. */
void wp_advance_to_us(double at_us);
/* Initialises the streaming mode; returns the harness extension for its commands. */
ee_command_extension wp_sww_boot(tb_interpreter *it);

#endif
