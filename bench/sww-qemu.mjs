#!/usr/bin/env node
// sww01 firmware on an emulated Cortex-M4F (qemu-system-arm mps2-an386,
// -icount shift=0: one instruction per ns, so m-lap-us x 1000 = instructions):
// instructions per feature hop (bench_features) and per model inference
// (infer), and — as the anchor — the int8 features and activations of 40 hops
// of the 10 s stream on QEMU against the WebAssembly DUT's (must be equal).
// The WebAssembly cost model's feature-hop constant is compared with it.
//
//   npm run build && node bench/sww-qemu.mjs [--data-dir ../shared/tinyml]
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { parseWav } from '../dist/datasets/wav.js';
import { SWW01 } from '../dist/host/bench/sww01.js';
import { Dut } from '../dist/host/devices/dut.js';
import { LineChannel } from '../dist/host/devices/line-channel.js';
import { startQemuDut } from '../dist/host/sim/qemu-dut.js';
import { WasmDut, openVirtualDut } from '../dist/host/sim/wasm-dut.js';

const dataDir = resolve(
  process.argv.includes('--data-dir') ? process.argv[process.argv.indexOf('--data-dir') + 1] : (process.env.TINY_BENCH_DATA ?? '../shared/tinyml'),
);
const WASM_FEATURE_HOP_CYCLES = 129460; // firmware/ports/wasm/wasm_sww.c
const wav = parseWav(readFileSync(join(dataDir, 'datasets', 'sww01', 'short_wav_easy10s.wav')), 'short_wav_easy10s.wav');
const hops = 40;
const hopBytes = (h) => {
  const mono = Int16Array.from({ length: 512 }, (_, i) => wav.samples[2 * (h * 512 + i) + 2 * 16000]); // from 1.0 s: the first wakeword
  return new Uint8Array(mono.buffer);
};

async function client(link, settleMs) {
  const channel = new LineChannel(link);
  await channel.settle(settleMs, 5000);
  const dut = new Dut(channel, { commandTimeoutMs: 20000 });
  await dut.identify();
  return { dut, channel };
}

async function featureRun(dut) {
  const rows = [];
  for (let h = 0; h < hops; ++h) {
    await dut.load(hopBytes(h));
    const lines = await dut.send('extract_uart_stream', 20000);
    rows.push(lines.filter((l) => /^m-(features|activations)-/.test(l)).join(' '));
  }
  return rows;
}

const laps = (lines) => lines.filter((l) => /^m-lap-us-\d+$/.test(l)).map((l) => Number(l.slice('m-lap-us-'.length)));
const t0 = performance.now();
const qemu = await startQemuDut({ benchmark: SWW01, modelPath: join(dataDir, 'models', SWW01.modelFile), shift: 0 });
try {
  const { dut } = await client(qemu.link, 300);
  await dut.load(hopBytes(10));
  const n = 50;
  const [a, b] = laps(await dut.send(`bench_features ${n}`, 60000));
  const perHop = ((b - a) * 1000) / n;
  await dut.load(new Uint8Array(1200));
  const infer = await dut.infer(5, 0);
  const perInference = (infer.elapsedUs * 1000) / 5;
  await dut.send('reset_stream');
  const onQemu = await featureRun(dut);
  const { link, dut: _wasm } = await openVirtualDut({ benchmark: SWW01, dataDir });
  const wasm = await client(link, 20);
  const onWasm = await featureRun(wasm.dut);
  await link.close();
  const equal = onQemu.filter((row, i) => row === onWasm[i]).length;
  console.log(
    `instructions per feature hop (QEMU, ${n} hops timed inside the command): ${perHop.toFixed(0)}  (wasm cost model constant: ${WASM_FEATURE_HOP_CYCLES}, ${(((WASM_FEATURE_HOP_CYCLES - perHop) / perHop) * 100).toFixed(1)} %)`,
  );
  // The WebAssembly cost model's cycles for the model alone: one frame's clock advance minus the feature hop.
  const sim = await WasmDut.create({ benchmark: SWW01, model: readFileSync(join(dataDir, 'models', SWW01.modelFile)) }, () => {});
  sim.receive(new TextEncoder().encode('start%'));
  sim.i2sChunk(new Int16Array(1024), sim.clockUs);
  const f0 = sim.clockUs;
  sim.i2sChunk(new Int16Array(1024), f0);
  const modelCycles = (sim.clockUs - f0) * 120 - WASM_FEATURE_HOP_CYCLES;
  console.log(
    `instructions per model inference (QEMU infer 5 0): ${perInference.toFixed(0)}  (wasm cost model, not fitted to this model: ${modelCycles.toFixed(0)} cycles, ${(((modelCycles - perInference) / perInference) * 100).toFixed(1)} %)`,
  );
  console.log(`features + activations equal on QEMU and WebAssembly: ${equal} of ${hops} hops`);
  console.log(`wall ${((performance.now() - t0) / 1000).toFixed(1)} s (EMULATED instruction counts, not silicon)`);
} finally {
  await qemu.close();
}
