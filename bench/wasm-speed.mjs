#!/usr/bin/env node
// Raw engine speed of the WebAssembly build (the virtual DUT) in Node: inferences
// per second per model on real inputs, bypassing the protocol, plus arena sizes.
// Wall-clock figures of this machine, not simulated DUT time.
//
//   node bench/wasm-speed.mjs [--data-dir ../shared/tinyml]
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { BENCHMARKS } from '../dist/host/bench/benchmark.js';
import { WasmDut } from '../dist/host/sim/wasm-dut.js';

const dataDir = resolve(process.argv.includes('--data-dir') ? process.argv[process.argv.indexOf('--data-dir') + 1] : process.env.TINY_BENCH_DATA ?? '../shared/tinyml');
console.log('model   arena B   inferences/s (WebAssembly in Node, this machine)');
for (const id of ['kws01', 'vww01', 'ic01', 'ad01']) {
  const bench = BENCHMARKS[id];
  const dut = await WasmDut.create({ benchmark: bench, model: readFileSync(join(dataDir, 'models', bench.modelFile)) }, () => {});
  const rows = readFileSync(join(dataDir, 'datasets', id, 'y_labels.csv'), 'utf8').split('\n').filter(Boolean).slice(0, 20);
  const inputs = rows.map((r) => bench.performanceInput(new Uint8Array(readFileSync(join(dataDir, 'datasets', id, r.split(',')[0])))));
  for (const input of inputs.slice(0, 3)) dut.runRaw(input); // warm-up
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 2000) dut.runRaw(inputs[n++ % inputs.length]);
  const rate = n / ((performance.now() - t0) / 1000);
  console.log(`${id.padEnd(7)} ${String(dut.arenaBytes).padStart(7)}   ${rate.toFixed(1)}`);
}
