/* Cycle cost model of a Cortex-M4F-class MCU running this engine's optimized
 * kernels (the default -DTB_KERNELS=opt build), used by the simulated DUT's
 * virtual clock (never host wall time).
 *
 * cycles(inference) = sum over operator kinds k of
 *                       CYCLES_PER_MAC[k] * macs[k] + CYCLES_PER_TAP * taps[k]
 *                       + CYCLES_PER_OUTPUT[k] * outputs[k]
 *                     + CYCLES_PER_OP * operators + CYCLES_PER_INFERENCE
 *
 * The conv, depthwise, fully connected and add constants are least-squares
 * fits (depthwise: per MAC only, two models have it; add: per output) to the
 * per-operator-class instructions of the optimized image built
 * with arm-none-eabi-gcc -O2 and run under qemu-system-arm -icount shift=0
 * (one instruction per cycle: an M4 with zero-wait-state memory), measured by
 * bench/qemu-instructions.mjs with profiling builds; that script also checks
 * the whole model against QEMU's totals on a first and a second input per
 * model: kws01 +3.9 %, ad01 +0.8 %, vww01 -0.4 %, ic01 -0.1 % (kws01's
 * 64-deep pointwise layers cost less per output than the shared conv fit
 * says; the optimized kernels' cost is not proportional to MACs alone:
 * requantization and block set-up are per-output costs). The pool, reshape,
 * softmax, per-op and per-inference terms are estimates. Kinds index tb_work:
 * 0 conv, 1 depthwise conv, 2 fully connected, 3 add, 4 average pool (per
 * tap), 5 reshape, 6 softmax. */
#ifndef COST_MODEL_H
#define COST_MODEL_H

#define COST_CLOCK_HZ 120000000u /* NUCLEO-L4R5ZI-class core clock */

static const double CYCLES_PER_MAC[8] = {1.184, 3.860, 0.910, 0.0, 4.0, 0.0, 0.0, 0.0};
static const double CYCLES_PER_OUTPUT[8] = {11.862, 0.0, 86.942, 14.579, 20.0, 2.0, 600.0, 0.0};
static const double CYCLES_PER_TAP = 0.0;
static const double CYCLES_PER_OP = 300.0;
static const double CYCLES_PER_INFERENCE = 500.0;

#endif
