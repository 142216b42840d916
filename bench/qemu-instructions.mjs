#!/usr/bin/env node
// Instructions per inference and per MAC of the tiny-bench engine on a Cortex-M4F
// (qemu-system-arm mps2-an386 with -icount shift=0: one instruction = 1 ns, so
// m-lap-us x 1000 = instructions), image and RAM sizes, the wall time of a
// five-window performance run, and the virtual DUT's cost-model error against
// these counts, with a least-squares fit of its cycles-per-MAC constants.
//
//   node bench/qemu-instructions.mjs [--data-dir ../shared/tinyml] [--no-perf]
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { BENCHMARKS } from '../dist/host/bench/benchmark.js';
import { Dut } from '../dist/host/devices/dut.js';
import { LineChannel } from '../dist/host/devices/line-channel.js';
import { runSession } from '../dist/host/run/bench-run.js';
import { silentProgress } from '../dist/host/core/progress.js';
import { startQemuDut } from '../dist/host/sim/qemu-dut.js';
import { WasmDut } from '../dist/host/sim/wasm-dut.js';

const args = process.argv.slice(2);
const dataDir = resolve(args.includes('--data-dir') ? args[args.indexOf('--data-dir') + 1] : process.env.TINY_BENCH_DATA ?? '../shared/tinyml');
const perf = !args.includes('--no-perf');
const MACS = { kws01: 2.657e6, vww01: 7.49e6, ic01: 12.502e6, ad01: 0.264e6 }; // published MAC counts
const ITER = { kws01: 5, vww01: 3, ic01: 3, ad01: 50 };
// Must match firmware/ports/wasm/cost_model.h.
const COST_MODEL = [6.792, 17.771, 5.974, 28.948];

const rows = [];
for (const id of ['kws01', 'vww01', 'ic01', 'ad01']) {
  const bench = BENCHMARKS[id];
  const modelPath = join(dataDir, 'models', bench.modelFile);
  const files = readFileSync(join(dataDir, 'datasets', id, 'y_labels.csv'), 'utf8').split('\n').slice(0, 2).map((l) => l.split(',')[0]);
  const inputs = files.map((f) => bench.performanceInput(new Uint8Array(readFileSync(join(dataDir, 'datasets', id, f)))));
  const input = inputs[0];

  // Engine work counters and the cost model's figure, from the WebAssembly build.
  const wasm = await WasmDut.create({ benchmark: bench, model: readFileSync(modelPath) }, () => {});
  const before = wasm.work;
  const clock0 = wasm.clockUs;
  wasm.runRaw(input);
  const after = wasm.work;
  const diff = (a, b) => a.map((v, i) => v - b[i]);
  const work = { macs: diff(after.macs, before.macs), taps: diff(after.taps, before.taps), outputs: diff(after.outputs, before.outputs), ops: after.ops - before.ops };
  wasm.runRaw(inputs[1]);
  const after2 = wasm.work;
  const work2 = { macs: diff(after2.macs, after.macs), taps: diff(after2.taps, after.taps), outputs: diff(after2.outputs, after.outputs), ops: after2.ops - after.ops };
  const clockBefore = wasm.clockUs;

  // Instructions on QEMU.
  const q = await startQemuDut({ benchmark: bench, modelPath, shift: 0 });
  let instructions;
  let instructions2;
  try {
    const channel = new LineChannel(q.link);
    await channel.settle(200, 3000);
    const dut = new Dut(channel, { probeTimeoutMs: 300_000 });
    await dut.identify();
    await dut.load(input);
    instructions = ((await dut.infer(ITER[id], 1)).elapsedUs * 1000) / ITER[id];
    await dut.load(inputs[1]);
    instructions2 = ((await dut.infer(ITER[id], 1)).elapsedUs * 1000) / ITER[id];
  } finally {
    await q.close();
  }
  void clockBefore;
  void clock0;
  const row = { id, instructions, instructions2, work2, perMac: instructions / MACS[id], engineMacs: work.macs.reduce((a, b) => a + b, 0), work, sizes: q.buildOutput, arena: wasm.arenaBytes };
  if (perf) {
    const t0 = performance.now();
    const s = await runSession({ benchmarks: [id], modes: ['performance'], dut: { kind: 'qemu' }, dataDir, command: ['bench'] }, { outDir: '/tmp/tiny-bench-bench', progress: silentProgress, say: () => {} });
    row.perfWall = (performance.now() - t0) / 1000;
    row.perfThroughput = s.documents[0].medianThroughput;
  }
  // Wasm cost model: cycles for one inference (runRaw does not touch the clock, so recompute).
  row.costModelCycles = null;
  rows.push(row);
  process.stderr.write(`${id}: ${Math.round(instructions)} instructions per inference\n`);
}

// Fit: cycles per MAC of conv, depthwise and fc, and one shared cycles-per-tap
// (inner-loop start), with the per-output, per-op and per-inference terms fixed
// as in cost_model.h. Four models, four unknowns: solved exactly on the first
// input of each model, then checked on the second input.
const PER_OUTPUT = [40, 40, 40, 60, 20, 2, 600, 0];
const PER_OP = 300;
const PER_INFERENCE = 500;
const POOL_PER_TAP = 4;
const fixed = (w) => w.outputs.reduce((a, o, k) => a + o * PER_OUTPUT[k], 0) + PER_OP * w.ops + PER_INFERENCE + POOL_PER_TAP * w.macs[4];
const features = (w) => [w.macs[0], w.macs[1], w.macs[2], w.taps[0] + w.taps[1] + w.taps[2]];
const A = rows.map((r) => features(r.work));
const b = rows.map((r) => r.instructions - fixed(r.work));
const n = 4;
const AtA = [...Array(n).keys()].map((i) => [...Array(n).keys()].map((j) => A.reduce((s, row) => s + row[i] * row[j], 0)));
const Atb = [...Array(n).keys()].map((i) => A.reduce((s, row, k) => s + row[i] * b[k], 0));
const solve = (M, v) => {
  const m = M.map((row, i) => [...row, v[i]]);
  for (let c = 0; c < n; ++c) {
    let p = c;
    for (let r = c + 1; r < n; ++r) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    [m[c], m[p]] = [m[p], m[c]];
    for (let r = 0; r < n; ++r) if (r !== c) {
      const f = m[r][c] / m[c][c];
      for (let k = c; k <= n; ++k) m[r][k] -= f * m[c][k];
    }
  }
  return m.map((row, i) => row[n] / row[i]);
};
const fit = solve(AtA, Atb);
const current = COST_MODEL;
const model = (coef, w) => features(w).reduce((s, x, i) => s + coef[i] * x, 0) + fixed(w);

console.log('\nInstructions per inference on qemu-system-arm mps2-an386 (Cortex-M4F, -icount shift=0), engine built with arm-none-eabi-gcc -O2:');
console.log('model   instr/inference   MACs (published)  instr/MAC   engine MACs   arena B   image and RAM');
for (const r of rows) {
  console.log(`${r.id.padEnd(7)} ${Math.round(r.instructions).toString().padStart(15)} ${MACS[r.id].toExponential(3).padStart(17)} ${r.perMac.toFixed(2).padStart(10)} ${String(r.engineMacs).padStart(13)} ${String(r.arena).padStart(9)}   ${r.sizes}`);
}
if (perf) {
  console.log('\nFive-window performance run on the QEMU DUT (-icount shift=3, 125 MIPS; SIMULATED timing):');
  for (const r of rows) console.log(`${r.id.padEnd(7)} ${r.perfThroughput.toFixed(3)} inf/s (${(1000 / r.perfThroughput).toFixed(1)} ms), wall ${r.perfWall.toFixed(1)} s`);
}
console.log(`\nCost model [cycles/MAC conv, depthwise, fc; cycles/tap]: in cost_model.h [${current.join(', ')}], fit [${fit.map((x) => x.toFixed(3)).join(', ')}]`);
console.log('model   input   QEMU instructions   cost_model.h   error     fit        error');
for (const r of rows) {
  for (const [label, instr, w] of [['first', r.instructions, r.work], ['second', r.instructions2, r.work2]]) {
    const cur = model(current, w);
    const fitted = model(fit, w);
    const pct = (x) => `${((100 * (x - instr)) / instr).toFixed(2)}%`;
    console.log(`${r.id.padEnd(7)} ${label.padEnd(7)} ${Math.round(instr).toString().padStart(17)} ${Math.round(cur).toString().padStart(14)} ${pct(cur).padStart(8)} ${Math.round(fitted).toString().padStart(10)} ${pct(fitted).padStart(8)}`);
  }
}
