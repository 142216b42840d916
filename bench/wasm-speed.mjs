#!/usr/bin/env node
// Raw engine speed of the WebAssembly build (the virtual DUT) in Node: inferences
// per second per model on real inputs, bypassing the protocol, and in the same run
// LiteRT.js (@litertjs/core: XNNPACK in WebAssembly, single thread) on the same
// models and inputs, as a speed peer (its int8 arithmetic is not TFLite Micro's).
// Wall-clock figures of this machine, not simulated DUT time.
//
// The machine may be shared: each model is measured in --rounds alternating rounds (ours, then
// LiteRT's) and the best round of each is printed, so load that comes and goes biases neither side.
//
//   node bench/wasm-speed.mjs [--data-dir ../shared/tinyml] [--seconds 2] [--rounds 3] [--no-litert]
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { BENCHMARKS } from '../dist/host/bench/benchmark.js';
import { WasmDut } from '../dist/host/sim/wasm-dut.js';
import { liteRtLogLinesHidden, loadLiteRtForNode } from './lib/litert-node.mjs';

const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const dataDir = resolve(opt('--data-dir', process.env.TINY_BENCH_DATA ?? '../shared/tinyml'));
const seconds = Number(opt('--seconds', '2'));
const rounds = Number(opt('--rounds', '3'));
if (!(seconds > 0) || !Number.isInteger(rounds) || rounds < 1) {
  process.stderr.write('wasm-speed: --seconds must be > 0 and --rounds a positive integer\n');
  process.exit(2);
}
const withLiteRt = !args.includes('--no-litert');

/** Runs `once` over the inputs round-robin for `seconds` after a short warm-up; returns inferences per second. */
async function rate(inputs, once) {
  for (const input of inputs.slice(0, 3)) await once(input);
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) await once(inputs[n++ % inputs.length]);
  return n / ((performance.now() - t0) / 1000);
}

let litert = null;
if (withLiteRt) {
  // LiteRT logs its delegate set-up on stdout; keep the table clean.
  const log = console.log;
  console.log = () => {};
  try {
    litert = await loadLiteRtForNode();
  } finally {
    console.log = log;
  }
}

console.log(`model   arena B   tiny-bench inf/s   LiteRT inf/s   ratio   (WebAssembly in Node, this machine; best of ${rounds} x ${seconds} s each)`);
for (const id of ['kws01', 'vww01', 'ic01', 'ad01']) {
  const bench = BENCHMARKS[id];
  const modelBytes = readFileSync(join(dataDir, 'models', bench.modelFile));
  const dut = await WasmDut.create({ benchmark: bench, model: modelBytes }, () => {});
  const rows = readFileSync(join(dataDir, 'datasets', id, 'y_labels.csv'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .slice(0, 20);
  const inputs = rows.map((r) => bench.performanceInput(new Uint8Array(readFileSync(join(dataDir, 'datasets', id, r.split(',')[0])))));
  let model = null;
  let tensors = [];
  if (litert) {
    const log = console.log;
    console.log = () => {};
    model = await litert.loadAndCompile(new Uint8Array(modelBytes), { accelerator: 'wasm' });
    console.log = log;
    const [detail] = model.getInputDetails();
    // The same int8 input tensor the engine gets (runRaw quantizes ad01's float frames itself).
    tensors = inputs.map((input) => new litert.Tensor(new Int8Array(dut.runRaw(input).inputTensor), Array.from(detail.shape)));
  }
  let ours = 0;
  let theirs = null;
  for (let r = 0; r < rounds; r++) {
    ours = Math.max(ours, await rate(inputs, (input) => dut.runRaw(input)));
    if (model) {
      const t = await rate(tensors, async (tensor) => {
        const out = await model.run([tensor]);
        for (const o of out) o.delete();
      });
      theirs = Math.max(theirs ?? 0, t);
    }
  }
  for (const t of tensors) t.delete();
  model?.delete();
  console.log(
    `${id.padEnd(7)} ${String(dut.arenaBytes).padStart(7)} ${ours.toFixed(1).padStart(18)} ${theirs === null ? '-'.padStart(14) : theirs.toFixed(1).padStart(14)} ${theirs === null ? '' : `${(ours / theirs).toFixed(2)}x`.padStart(7)}`,
  );
}
if (litert) console.log(`(LiteRT's own set-up log on stderr: ${liteRtLogLinesHidden()} lines hidden)`);
