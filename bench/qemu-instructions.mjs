#!/usr/bin/env node
// Instructions per inference and per MAC of the tiny-bench engine on a Cortex-M4F
// (qemu-system-arm mps2-an386 with -icount shift=0: one instruction = 1 ns, so
// m-lap-us x 1000 = instructions), reference kernels (-DTB_KERNELS=ref) beside the
// optimized ones (the default), per operator class, image sizes and arena + kernel
// scratch; then the virtual DUT's cost model against the optimized counts, with a
// least-squares fit of its constants, checked on a second input per model.
//
// Per-class figures come from profiling builds (-DTB_PROFILE_REPEAT=<class>) that
// run one class of operators twice per inference: the extra instructions are that
// class's cost, measured, not modelled.
//
//   node bench/qemu-instructions.mjs [--data-dir ../shared/tinyml] [--models kws01,ad01] [--perf]
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { BENCHMARKS } from '../dist/host/bench/benchmark.js';
import { Dut } from '../dist/host/devices/dut.js';
import { LineChannel } from '../dist/host/devices/line-channel.js';
import { runSession } from '../dist/host/run/bench-run.js';
import { silentProgress } from '../dist/host/run/progress.js';
import { startQemuDut } from '../dist/host/sim/qemu-dut.js';
import { WasmDut } from '../dist/host/sim/wasm-dut.js';

const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const dataDir = resolve(opt('--data-dir', process.env.TINY_BENCH_DATA ?? '../shared/tinyml'));
const ids = opt('--models', 'kws01,vww01,ic01,ad01').split(',');
const perf = args.includes('--perf');
const MACS = { kws01: 2.657e6, vww01: 7.49e6, ic01: 12.502e6, ad01: 0.264e6 }; // published MAC counts
const ITER = { kws01: 5, vww01: 3, ic01: 3, ad01: 50 };
// Must match firmware/ports/wasm/cost_model.h.
const COST_MODEL = [1.6, 3.4, 1.2, 10.0];
const CLASSES = ['first conv', 'conv', 'depthwise', 'fc', 'add'];
const VARIANTS = { ref: ['-DTB_KERNELS=ref'], opt: ['-DTB_KERNELS=opt'] };

/** Native build of tools/tb_run.c for a kernel variant; its stderr names the arena and kernel scratch. */
function nativeArena(variant, id, modelPath, file) {
  const fw = resolve('firmware');
  const exe = join(tmpdir(), `tiny-bench-tb_run-${variant}`);
  const sources = ['engine', 'engine/kernels'].flatMap((d) => readdirSync(join(fw, d)).filter((f) => f.endsWith('.c')).map((f) => join(fw, d, f)));
  const cc = spawnSync('gcc', ['-std=c99', '-O1', '-D_POSIX_C_SOURCE=200809L', '-D_ISOC11_SOURCE', ...VARIANTS[variant], '-o', exe, join(fw, 'tools/tb_run.c'), join(fw, 'harness/tb_bench_io.c'), ...sources, '-lm'], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`gcc failed: ${cc.stderr}`);
  const run = spawnSync(exe, [id, modelPath, file], { encoding: 'utf8' });
  const m = /arena (\d+) bytes \(kernel scratch (\d+)\)/.exec(run.stderr);
  if (!m) throw new Error(`tb_run printed no arena line: ${run.stderr}`);
  return { arena: Number(m[1]), scratch: Number(m[2]) };
}

/** Instructions per inference on QEMU for each input, with one retry if the DUT's boot races the first command. */
async function qemuInstructions(bench, modelPath, flags, inputs) {
  for (let attempt = 0; ; ++attempt) {
    const q = await startQemuDut({ benchmark: bench, modelPath, shift: 0, buildFlags: flags });
    try {
      const channel = new LineChannel(q.link);
      await channel.settle(500, 20_000);
      const dut = new Dut(channel, { probeTimeoutMs: 300_000 });
      await dut.identify();
      const counts = [];
      for (const input of inputs) {
        await dut.load(input);
        counts.push(((await dut.infer(ITER[bench.id], 1)).elapsedUs * 1000) / ITER[bench.id]);
      }
      return { counts, sizes: q.buildOutput };
    } catch (e) {
      if (attempt > 0) throw e;
    } finally {
      await q.close();
    }
  }
}

const rows = [];
for (const id of ids) {
  const bench = BENCHMARKS[id];
  const modelPath = join(dataDir, 'models', bench.modelFile);
  const files = readFileSync(join(dataDir, 'datasets', id, 'y_labels.csv'), 'utf8').split('\n').slice(0, 2).map((l) => join(dataDir, 'datasets', id, l.split(',')[0]));
  const inputs = files.map((f) => bench.performanceInput(new Uint8Array(readFileSync(f))));

  // Engine work counters (the cost model's features) from the WebAssembly build, per input.
  const wasm = await WasmDut.create({ benchmark: bench, model: readFileSync(modelPath) }, () => {});
  const works = [];
  for (const input of inputs) {
    const before = wasm.work;
    wasm.runRaw(input);
    const after = wasm.work;
    const diff = (k) => after[k].map((v, i) => v - before[k][i]);
    works.push({ macs: diff('macs'), taps: diff('taps'), outputs: diff('outputs'), ops: after.ops - before.ops });
  }
  const w = works[0];
  const present = [w.macs[0] > 0, w.macs[0] > 0, w.macs[1] > 0, w.macs[2] > 0, w.outputs[3] > 0];

  const row = { id, works, variants: {} };
  for (const [variant, flags] of Object.entries(VARIANTS)) {
    const base = await qemuInstructions(bench, modelPath, flags, inputs);
    const classes = [];
    for (let c = 0; c < CLASSES.length; ++c) {
      if (!present[c]) {
        classes.push(null);
        continue;
      }
      const twice = await qemuInstructions(bench, modelPath, [...flags, `-DTB_PROFILE_REPEAT=${c}`], inputs.slice(0, 1));
      classes.push(Math.max(0, twice.counts[0] - base.counts[0]));
    }
    row.variants[variant] = { instructions: base.counts[0], instructions2: base.counts[1], classes, sizes: base.sizes, ...nativeArena(variant, id, modelPath, files[0]) };
    process.stderr.write(`${id} ${variant}: ${Math.round(base.counts[0])} instructions per inference\n`);
  }
  if (perf) {
    const t0 = performance.now();
    const s = await runSession({ benchmarks: [id], modes: ['performance'], dut: { kind: 'qemu' }, dataDir, outDir: join(tmpdir(), 'tiny-bench-bench'), command: ['bench'], progress: silentProgress, say: () => {} });
    row.perfWall = (performance.now() - t0) / 1000;
    row.perfThroughput = s.documents[0].medianThroughput;
  }
  rows.push(row);
}

// MACs of each class as the engine counts them (first conv separately: the profiling build's class 0).
const fmt = (x, d = 2) => (x === null || x === undefined ? '-' : x.toFixed(d));
console.log('\nInstructions per inference on qemu-system-arm mps2-an386 (Cortex-M4F, -icount shift=0), arm-none-eabi-gcc -O2:');
console.log('model   kernels  instr/inference   instr/MAC (published MACs)   arena+scratch B (scratch)   image and RAM');
for (const r of rows) {
  for (const v of ['ref', 'opt']) {
    const x = r.variants[v];
    console.log(`${r.id.padEnd(7)} ${v.padEnd(8)} ${Math.round(x.instructions).toString().padStart(15)} ${fmt(x.instructions / MACS[r.id]).padStart(12)} ${`${x.arena} (${x.scratch})`.padStart(30)}   ${x.sizes}`);
  }
  const ref = r.variants.ref, o = r.variants.opt;
  console.log(`${r.id.padEnd(7)} speed-up ${(ref.instructions / o.instructions).toFixed(2)}x, arena + scratch ${o.arena - ref.arena >= 0 ? '+' : ''}${o.arena - ref.arena} B`);
}
console.log('\nPer operator class: instructions per inference (instructions per engine MAC; add: per output element), measured by running the class twice:');
console.log(`model   kernels  ${CLASSES.map((c) => c.padStart(22)).join('')}`);
for (const r of rows) {
  const w = r.works[0];
  for (const v of ['ref', 'opt']) {
    const x = r.variants[v];
    const cells = x.classes.map((instr, c) => {
      if (instr === null) return '-'.padStart(22);
      return `${Math.round(instr)}`.padStart(13) + ` (${c === 4 ? fmt(instr / w.outputs[3], 1) : c === 2 ? fmt(instr / w.macs[1]) : c === 3 ? fmt(instr / w.macs[2]) : '*'})`.padStart(9);
    });
    console.log(`${r.id.padEnd(7)} ${v.padEnd(8)} ${cells.join('')}`);
  }
}
console.log('* conv MACs are not split between the first and the other convolutions by the engine counters; the two conv columns together over');
for (const r of rows) {
  const w = r.works[0];
  if (w.macs[0] === 0) continue;
  const per = (v) => (r.variants[v].classes[0] + r.variants[v].classes[1]) / w.macs[0];
  console.log(`  ${r.id}: ${w.macs[0]} conv MACs = ${fmt(per('ref'))} (ref) / ${fmt(per('opt'))} (opt) instructions per conv MAC`);
}
if (perf) {
  console.log('\nFive-window performance run on the QEMU DUT (optimized build, -icount shift=3, 125 MIPS; SIMULATED timing):');
  for (const r of rows) console.log(`${r.id.padEnd(7)} ${r.perfThroughput.toFixed(3)} inf/s (${(1000 / r.perfThroughput).toFixed(1)} ms), wall ${r.perfWall.toFixed(1)} s`);
}

// Fit: cycles per MAC of conv, depthwise and fc, and one shared cycles-per-tap
// (inner-loop start), with the per-output, per-op and per-inference terms fixed
// as in cost_model.h. Four models, four unknowns: solved on the first input of
// each model (optimized build), then checked on the second input.
if (rows.length === 4) {
  const PER_OUTPUT = [40, 40, 40, 60, 20, 2, 600, 0];
  const PER_OP = 300;
  const PER_INFERENCE = 500;
  const POOL_PER_TAP = 4;
  const fixed = (w) => w.outputs.reduce((a, o, k) => a + o * PER_OUTPUT[k], 0) + PER_OP * w.ops + PER_INFERENCE + POOL_PER_TAP * w.macs[4];
  const features = (w) => [w.macs[0], w.macs[1], w.macs[2], w.taps[0] + w.taps[1] + w.taps[2]];
  const A = rows.map((r) => features(r.works[0]));
  const b = rows.map((r) => r.variants.opt.instructions - fixed(r.works[0]));
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
  const model = (coef, w) => features(w).reduce((s, x, i) => s + coef[i] * x, 0) + fixed(w);
  console.log(`\nCost model of the optimized build [cycles/MAC conv, depthwise, fc; cycles/tap]: in cost_model.h [${COST_MODEL.join(', ')}], fit [${fit.map((x) => x.toFixed(3)).join(', ')}]`);
  console.log('model   input   QEMU instructions   cost_model.h   error     fit        error');
  for (const r of rows) {
    for (const [label, instr, w] of [['first', r.variants.opt.instructions, r.works[0]], ['second', r.variants.opt.instructions2, r.works[1]]]) {
      const cur = model(COST_MODEL, w);
      const fitted = model(fit, w);
      const pct = (x) => `${((100 * (x - instr)) / instr).toFixed(2)}%`;
      console.log(`${r.id.padEnd(7)} ${label.padEnd(7)} ${Math.round(instr).toString().padStart(17)} ${Math.round(cur).toString().padStart(14)} ${pct(cur).padStart(8)} ${Math.round(fitted).toString().padStart(10)} ${pct(fitted).padStart(8)}`);
    }
  }
}
