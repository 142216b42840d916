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
 * fits (conv: in relative terms, so that no model's latency takes all the
 * error; depthwise: per MAC only, two models have it; add: per output) to the
 * per-operator-class instructions of the optimized image built
 * with arm-none-eabi-gcc -O2 and run under qemu-system-arm -icount shift=0
 * (one instruction per cycle: an M4 with zero-wait-state memory), measured by
 * bench/qemu-instructions.mjs with profiling builds; that script also checks
 * the whole model against QEMU's totals on a first and a second input per
 * model: kws01 +5.1 %, ad01 +0.8 %, vww01 -3.5 %, ic01 -1.7 % (the optimized
 * conv kernels' cost is not proportional to MACs and outputs alone: kws01's
 * 64-deep 1x1 layers cost less per MAC than vww01's shallow ones, and ic01's
 * 64-channel 3x3 layers widen their columns once per chunk of the widened
 * weights). The average pool constant is the optimized kernel's per-function
 * count on QEMU (kws01 1.43, ic01 1.61 instructions per tap and channel); the
 * reshape, softmax, per-op and per-inference terms are estimates. Kinds index
 * tb_work: 0 conv, 1 depthwise conv, 2 fully connected, 3 add, 4 average pool
 * (per tap), 5 reshape, 6 softmax. */
#ifndef COST_MODEL_H
#define COST_MODEL_H

#define COST_CLOCK_HZ 120000000u /* NUCLEO-L4R5ZI-class core clock */

static const double CYCLES_PER_MAC[8] = {0.890, 2.707, 1.053, 0.0, 1.5, 0.0, 0.0, 0.0};
static const double CYCLES_PER_OUTPUT[8] = {0.850, 0.0, 64.382, 12.079, 20.0, 2.0, 600.0, 0.0};
static const double CYCLES_PER_TAP = 0.0;
static const double CYCLES_PER_OP = 300.0;
static const double CYCLES_PER_INFERENCE = 500.0;

#endif
