/* Cycle cost model of a Cortex-M4F-class MCU running this engine, used by the
 * simulated DUT's virtual clock (never host wall time).
 *
 * cycles(inference) = sum over operator kinds k of
 *                       CYCLES_PER_MAC[k] * macs[k] + CYCLES_PER_TAP * taps[k]
 *                       + CYCLES_PER_OUTPUT[k] * outputs[k]
 *                     + CYCLES_PER_OP * operators + CYCLES_PER_INFERENCE
 *
 * The MAC and tap constants are fitted to the instructions per inference of
 * the same C code built with arm-none-eabi-gcc -O2 and run under
 * qemu-system-arm -icount (one instruction per cycle: an M4 with zero-wait-
 * state memory) for the four reference models; on a second input per model
 * the model is within 0.01 % of QEMU. The per-output, per-op and per-
 * inference terms are estimates held fixed in the fit.
 * bench/qemu-instructions.mjs re-measures and re-fits them. Kinds index tb_work: 0 conv,
 * 1 depthwise conv, 2 fully connected, 3 add, 4 average pool (per tap),
 * 5 reshape, 6 softmax. */
#ifndef COST_MODEL_H
#define COST_MODEL_H

#define COST_CLOCK_HZ 120000000u /* NUCLEO-L4R5ZI-class core clock */

static const double CYCLES_PER_MAC[8] = {6.792, 17.771, 5.974, 0.0, 4.0, 0.0, 0.0, 0.0};
static const double CYCLES_PER_OUTPUT[8] = {40.0, 40.0, 40.0, 60.0, 20.0, 2.0, 600.0, 0.0};
static const double CYCLES_PER_TAP = 28.948;
static const double CYCLES_PER_OP = 300.0;
static const double CYCLES_PER_INFERENCE = 500.0;

#endif
