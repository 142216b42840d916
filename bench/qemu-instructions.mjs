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
//   node bench/qemu-instructions.mjs [--data-dir ../shared/tinyml] [--models kws01,ad01] [--kernels ref,opt] [--perf]
//   node bench/qemu-instructions.mjs --profile ic01   (one optimized inference's instructions per function, bench/lib/qemu-profile.mjs)
// (--kernels opt skips the reference builds, for quick iterations on the optimized kernels.)
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { BENCHMARKS } from '../dist/host/bench/benchmark.js';
import { Dut } from '../dist/host/devices/dut.js';
import { LineChannel } from '../dist/host/devices/line-channel.js';
import { runSession } from '../dist/host/run/bench-run.js';
import { silentProgress } from '../dist/host/core/progress.js';
import { ensureQemuImage, startQemuDut } from '../dist/host/sim/qemu-dut.js';
import { WasmDut } from '../dist/host/sim/wasm-dut.js';
import { profileInference } from './lib/qemu-profile.mjs';

const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const dataDir = resolve(opt('--data-dir', process.env.TINY_BENCH_DATA ?? '../shared/tinyml'));
const ids = opt('--models', 'kws01,vww01,ic01,ad01').split(',');
const perf = args.includes('--perf');
const MACS = { kws01: 2.657e6, vww01: 7.49e6, ic01: 12.502e6, ad01: 0.264e6 }; // published MAC counts
const ITER = { kws01: 5, vww01: 3, ic01: 3, ad01: 50 };
/** The virtual DUT's constants as firmware/ports/wasm/cost_model.h has them (kinds: conv, depthwise, fc, add, pool, reshape, softmax). */
function costModelHeader() {
  const text = readFileSync(resolve('firmware/ports/wasm/cost_model.h'), 'utf8');
  const table = (name) => {
    const m = text.match(new RegExp(`${name}\\[8\\] = \\{([^}]*)\\}`));
    if (!m) throw new Error(`firmware/ports/wasm/cost_model.h: no ${name}[8] = {...} table`);
    return m[1].split(',').map(Number);
  };
  const scalar = (name) => {
    const m = text.match(new RegExp(`${name} = ([0-9.]+);`));
    if (!m) throw new Error(`firmware/ports/wasm/cost_model.h: no ${name} = <number>;`);
    return Number(m[1]);
  };
  return { mac: table('CYCLES_PER_MAC'), out: table('CYCLES_PER_OUTPUT'), perOp: scalar('CYCLES_PER_OP'), perInference: scalar('CYCLES_PER_INFERENCE') };
}
const COST_MODEL = costModelHeader();
const CLASSES = ['first conv', 'conv', 'depthwise', 'fc', 'add'];
const ALL_VARIANTS = { ref: ['-DTB_KERNELS=ref'], opt: ['-DTB_KERNELS=opt'] };
const VARIANTS = Object.fromEntries(
  opt('--kernels', 'ref,opt')
    .split(',')
    .map((v) => [v, ALL_VARIANTS[v]]),
);

/** Native build of tools/tb_run.c for a kernel variant; its stderr names the arena and kernel scratch. */
function nativeArena(variant, id, modelPath, file) {
  const fw = resolve('firmware');
  const exe = join(tmpdir(), `tiny-bench-tb_run-${variant}`);
  const sources = ['engine', 'engine/kernels'].flatMap((d) =>
    readdirSync(join(fw, d))
      .filter((f) => f.endsWith('.c'))
      .map((f) => join(fw, d, f)),
  );
  const cc = spawnSync(
    'gcc',
    [
      '-std=c99',
      '-O1',
      '-D_POSIX_C_SOURCE=200809L',
      '-D_ISOC11_SOURCE',
      ...ALL_VARIANTS[variant],
      '-o',
      exe,
      join(fw, 'tools/tb_run.c'),
      join(fw, 'harness/tb_bench_io.c'),
      ...sources,
      '-lm',
    ],
    { encoding: 'utf8' },
  );
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

if (args.includes('--profile')) {
  // Per-function instructions of one optimized inference on the first file (SIMULATED instruction counts).
  const id = opt('--profile');
  const bench = BENCHMARKS[id];
  const modelPath = join(dataDir, 'models', bench.modelFile);
  const file = readFileSync(join(dataDir, 'datasets', id, 'y_labels.csv'), 'utf8')
    .split('\n')[0]
    .split(',')[0];
  const { elf } = ensureQemuImage(bench, modelPath);
  const rows = await profileInference(elf, bench.performanceInput(new Uint8Array(readFileSync(join(dataDir, 'datasets', id, file)))));
  const total = rows.reduce((t, [, n]) => t + n, 0);
  console.log(`${id} (${file}): ${total} instructions in one inference on qemu-system-arm mps2-an386, per function:`);
  for (const [fn, n] of rows.slice(0, 20)) console.log(`${n.toString().padStart(12)} ${((100 * n) / total).toFixed(1).padStart(5)} %  ${fn}`);
  process.exit(0);
}

const rows = [];
for (const id of ids) {
  const bench = BENCHMARKS[id];
  const modelPath = join(dataDir, 'models', bench.modelFile);
  const files = readFileSync(join(dataDir, 'datasets', id, 'y_labels.csv'), 'utf8')
    .split('\n')
    .slice(0, 2)
    .map((l) => join(dataDir, 'datasets', id, l.split(',')[0]));
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
    row.variants[variant] = {
      instructions: base.counts[0],
      instructions2: base.counts[1],
      classes,
      sizes: base.sizes,
      ...nativeArena(variant, id, modelPath, files[0]),
    };
    process.stderr.write(`${id} ${variant}: ${Math.round(base.counts[0])} instructions per inference\n`);
  }
  if (perf) {
    // What `tiny-bench run --dut qemu --icount-shift 0 --mode performance` reports, one window on the
    // first file: at shift 0 its latency in ns is instructions per inference, to compare with the count above.
    const t0 = performance.now();
    const s = await runSession(
      { benchmarks: [id], modes: ['performance'], dut: { kind: 'qemu', shift: 0 }, windows: 1, dataDir, command: ['bench'] },
      { outDir: join(tmpdir(), 'tiny-bench-bench'), progress: silentProgress, say: () => {} },
    );
    row.perfWall = (performance.now() - t0) / 1000;
    const w = s.documents[0].windows[0];
    row.perfFile = w.file;
    row.perfNs = (w.elapsedUs * 1000) / w.inferences;
  }
  rows.push(row);
}

// MACs of each class as the engine counts them (first conv separately: the profiling build's class 0).
const fmt = (x, d = 2) => (x === null || x === undefined ? '-' : x.toFixed(d));
console.log('\nInstructions per inference on qemu-system-arm mps2-an386 (Cortex-M4F, -icount shift=0), arm-none-eabi-gcc -O2:');
console.log('model   kernels  instr/inference   instr/MAC (published MACs)   arena+scratch B (scratch)   image and RAM');
for (const r of rows) {
  for (const v of Object.keys(r.variants)) {
    const x = r.variants[v];
    console.log(
      `${r.id.padEnd(7)} ${v.padEnd(8)} ${Math.round(x.instructions).toString().padStart(15)} ${fmt(x.instructions / MACS[r.id]).padStart(12)} ${`${x.arena} (${x.scratch})`.padStart(30)}   ${x.sizes}`,
    );
  }
  const ref = r.variants.ref,
    o = r.variants.opt;
  if (!ref || !o) continue;
  console.log(
    `${r.id.padEnd(7)} speed-up ${(ref.instructions / o.instructions).toFixed(2)}x, arena + scratch ${o.arena - ref.arena >= 0 ? '+' : ''}${o.arena - ref.arena} B`,
  );
}
console.log('\nPer operator class: instructions per inference (instructions per engine MAC; add: per output element), measured by running the class twice:');
console.log(`model   kernels  ${CLASSES.map((c) => c.padStart(22)).join('')}`);
for (const r of rows) {
  const w = r.works[0];
  for (const v of Object.keys(r.variants)) {
    const x = r.variants[v];
    const cells = x.classes.map((instr, c) => {
      if (instr === null) return '-'.padStart(22);
      return (
        `${Math.round(instr)}`.padStart(13) +
        ` (${c === 4 ? fmt(instr / w.outputs[3], 1) : c === 2 ? fmt(instr / w.macs[1]) : c === 3 ? fmt(instr / w.macs[2]) : '*'})`.padStart(9)
      );
    });
    console.log(`${r.id.padEnd(7)} ${v.padEnd(8)} ${cells.join('')}`);
  }
}
console.log('* conv MACs are not split between the first and the other convolutions by the engine counters; the two conv columns together over');
for (const r of rows) {
  const w = r.works[0];
  if (w.macs[0] === 0) continue;
  const per = (v) => (r.variants[v] ? (r.variants[v].classes[0] + r.variants[v].classes[1]) / w.macs[0] : null);
  console.log(`  ${r.id}: ${w.macs[0]} conv MACs = ${fmt(per('ref'))} (ref) / ${fmt(per('opt'))} (opt) instructions per conv MAC`);
}
if (perf) {
  console.log('\ntiny-bench run --dut qemu --icount-shift 0 --mode performance (optimized build, one window; SIMULATED: 1 instruction = 1 ns)');
  console.log('against the instructions per inference above, same first file:');
  console.log('model   file                          run ns/inference   instructions above   difference   wall');
  for (const r of rows) {
    const instr = r.variants.opt?.instructions;
    const diff = instr ? `${((100 * (r.perfNs - instr)) / instr).toFixed(3)}%` : '-';
    console.log(
      `${r.id.padEnd(7)} ${r.perfFile.padEnd(29)} ${Math.round(r.perfNs).toString().padStart(16)} ${instr ? Math.round(instr).toString().padStart(20) : '-'.padStart(20)} ${diff.padStart(12)}   ${r.perfWall.toFixed(1)} s`,
    );
  }
}

// Cost model of the optimized build. Per operator kind k the virtual clock charges
// CYCLES_PER_MAC[k] x MACs + CYCLES_PER_OUTPUT[k] x output elements; for conv,
// fully connected both constants are least-squares fits to the per-class
// instructions measured above (over the models that have the class), depthwise
// and add have one constant (per MAC, per output element); pool, softmax, reshape, per-op and per-inference
// terms stay the estimates in cost_model.h. The whole model is then checked
// against QEMU's total on the first and a second input of every model.
if (rows.length === 4 && rows.every((r) => r.variants.opt)) {
  const lstsq2 = (pts) => {
    // Normal equations of [macs, outputs] -> instructions.
    let a = 0,
      b = 0,
      c = 0,
      d = 0,
      e = 0;
    for (const [m, o, y] of pts) {
      a += m * m;
      b += m * o;
      c += o * o;
      d += m * y;
      e += o * y;
    }
    const det = a * c - b * b;
    return [(d * c - b * e) / det, (a * e - b * d) / det];
  };
  const classPoints = (pick) => rows.map((r) => pick(r.works[0], r.variants.opt.classes)).filter((p) => p !== null);
  // Conv in relative terms (each model's row divided by its instructions): its cost per MAC differs
  // between models (kws01's 64-deep 1x1 layers run cheaper than vww01's shallow ones), and a plain
  // fit would spend all its error on the smallest model's latency.
  const relative = (pts) => pts.map(([m, o, y]) => [m / y, o / y, 1]);
  const conv = lstsq2(relative(classPoints((w, c) => (w.macs[0] > 0 ? [w.macs[0], w.outputs[0], c[0] + c[1]] : null))));
  // Depthwise: only two models have it, with the same outputs per MAC (3x3 filters), so a
  // two-constant fit is exact but ill-conditioned: one constant per MAC, outputs included.
  const dwPts = classPoints((w, c) => (w.macs[1] > 0 ? [w.macs[1], c[2]] : null));
  const dw = [dwPts.reduce((s, [m, y]) => s + m * y, 0) / dwPts.reduce((s, [m]) => s + m * m, 0), 0];
  const fc = lstsq2(classPoints((w, c) => (w.macs[2] > 0 ? [w.macs[2], w.outputs[2], c[3]] : null)));
  const addPts = classPoints((w, c) => (w.outputs[3] > 0 ? [w.outputs[3], c[4]] : null));
  const add = addPts.reduce((s, [, y]) => s + y, 0) / addPts.reduce((s, [o]) => s + o, 0);
  // The fitted kinds replace their constants; pool, reshape and softmax keep the header's estimates.
  const fitted = {
    mac: COST_MODEL.mac.map((v, k) => [conv[0], dw[0], fc[0]][k] ?? v),
    out: COST_MODEL.out.map((v, k) => [conv[1], dw[1], fc[1], add][k] ?? v),
  };
  const current = { mac: [...COST_MODEL.mac], out: [...COST_MODEL.out] };
  const cycles = (m, w) => w.macs.reduce((s, x, k) => s + m.mac[k] * x + m.out[k] * w.outputs[k], 0) + COST_MODEL.perOp * w.ops + COST_MODEL.perInference;
  const list = (v) =>
    v
      .slice(0, 4)
      .map((x) => x.toFixed(3))
      .join(', ');
  console.log(`\nCost model of the optimized build, kinds conv, depthwise, fc, add:`);
  console.log(`  cycles/MAC    in cost_model.h [${list(current.mac)}], fit [${list(fitted.mac)}]`);
  console.log(`  cycles/output in cost_model.h [${list(current.out)}], fit [${list(fitted.out)}]`);
  console.log('model   input   QEMU instructions   cost_model.h   error     fit        error');
  for (const r of rows) {
    for (const [label, instr, w] of [
      ['first', r.variants.opt.instructions, r.works[0]],
      ['second', r.variants.opt.instructions2, r.works[1]],
    ]) {
      const cur = cycles(current, w);
      const fit = cycles(fitted, w);
      const pct = (x) => `${((100 * (x - instr)) / instr).toFixed(2)}%`;
      console.log(
        `${r.id.padEnd(7)} ${label.padEnd(7)} ${Math.round(instr).toString().padStart(17)} ${Math.round(cur).toString().padStart(14)} ${pct(cur).padStart(8)} ${Math.round(fit).toString().padStart(10)} ${pct(fit).padStart(8)}`,
      );
    }
  }
}
