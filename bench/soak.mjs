#!/usr/bin/env node
// Soak: kws01 accuracy repeated until 10 000 inferences on the virtual DUT with
// a byte fault about every 1 000 bytes (drop, duplicate, corrupt, stall) and an
// unplug or reset about every 100 000 bytes. Checks that every pass gives the
// fault-free per-file results, and prints retries, faults, RSS and wall time.
//
//   node --expose-gc --max-semi-space-size=1 bench/soak.mjs [--data-dir ../shared/tinyml] [--inferences 10000] [--rate 0.001]
//
// Why the flags: RSS is compared after a full GC, and V8 resizes its young
// generation (semi-spaces) as it likes; without a fixed size, RSS swings by
// ±6 MiB with V8's heap reservation (heapTotal 12-25 MiB) while the heap in
// use stays flat. Pinning the semi-space makes RSS measure what the runner keeps.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';

import { openDataset } from '../dist/datasets/dataset.js';
import { BENCHMARKS } from '../dist/host/bench/benchmark.js';
import { DutSession } from '../dist/host/devices/dut-session.js';
import { FaultInjector } from '../dist/host/link/faults.js';
import { runAccuracy } from '../dist/host/run/accuracy.js';
import { silentProgress } from '../dist/host/core/progress.js';
import { VirtualDutConnection } from '../dist/host/sim/wasm-dut.js';

const arg = (name, dflt) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : dflt);
const dataDir = resolve(arg('--data-dir', process.env.TINY_BENCH_DATA ?? '../shared/tinyml'));
const total = Number(arg('--inferences', '10000'));
const rate = Number(arg('--rate', '0.001'));
const bench = BENCHMARKS.kws01;
const model = readFileSync(join(dataDir, 'models', bench.modelFile));
const dataset = openDataset(join(dataDir, 'datasets', 'kws01'), bench);

async function session(faults) {
  const virtual = await VirtualDutConnection.open({ benchmark: bench, model, ...(faults ? { wire: { faults } } : {}) });
  const connection = { link: virtual.link, bootWaitMs: 50, reopen: () => virtual.reopen() };
  const s = await DutSession.open(connection, { commandTimeoutMs: 250, settleQuietMs: 5, channel: { integrityGraceMs: 50 } });
  return { s, virtual, connection };
}

const memoryLine = () => {
  const m = process.memoryUsage();
  return `RSS ${(m.rss / 2 ** 20).toFixed(1)} MiB (V8 heap reserved ${(m.heapTotal / 2 ** 20).toFixed(1)}, external ${(m.external / 2 ** 20).toFixed(1)})`;
};
if (!process.execArgv.some((a) => a.startsWith('--max-semi-space-size')) || !global.gc) {
  process.stderr.write('note: run with node --expose-gc --max-semi-space-size=1 for a comparable RSS (see the header)\n');
}
/** RSS after a full GC, lowest of five samples: V8 keeps freed pages for a while, so one sample is noisy. */
async function settledRss() {
  const samples = [];
  for (let i = 0; i < 5; ++i) {
    global.gc?.();
    await new Promise((r) => setTimeout(r, 50));
    samples.push(process.memoryUsage().rss / 2 ** 20);
  }
  return { rss: Math.min(...samples), heap: process.memoryUsage().heapUsed / 2 ** 20 };
}
const t0 = performance.now();
const clean = await session();
const baseline = await runAccuracy(clean.s, bench, dataset, silentProgress);
clean.s.close();
await clean.virtual.close();
process.stderr.write(`baseline: top-1 ${baseline.top1} % over ${baseline.files} files, ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

const faults = new FaultInjector({ rate, eventRate: rate / 100, seed: 42 });
const soak = await session(faults);
const t1 = performance.now();
let done = 0;
let rssAfterFirst1000;
let passes = 0;
let mismatches = 0;
while (done < total) {
  const limit = Math.min(dataset.samples.length, total - done);
  const pass = await runAccuracy(soak.s, bench, dataset, silentProgress, { limit });
  passes++;
  done += pass.files;
  if (!isDeepStrictEqual(pass.perFile, baseline.perFile.slice(0, pass.files))) mismatches++;
  if (rssAfterFirst1000 === undefined && done >= 1000) rssAfterFirst1000 = await settledRss();
  process.stderr.write(
    `pass ${passes}: ${done}/${total} inferences, top-1 ${pass.top1} %, ${faults.total} faults so far, ${soak.s.stats.retries} retries, ${memoryLine()}\n`,
  );
}
const rssEnd = await settledRss();
const wall = (performance.now() - t1) / 1000;
soak.s.close();
await soak.virtual.close();

console.log(`Soak on the virtual DUT (SIMULATED timing): ${done} kws01 inferences in ${passes} accuracy passes`);
console.log(
  `faults injected: ${faults.total} (${Object.entries(faults.counts)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}), about one per ${Math.round(1 / rate)} bytes`,
);
console.log(
  `recovery: ${soak.s.stats.retries} units retried, ${soak.s.stats.resets} resets, ${soak.s.stats.reconnects} reconnects (chunk- and command-level repeats not counted)`,
);
console.log(`per-file results equal to the fault-free run: ${mismatches === 0 ? 'yes, every pass' : `NO, ${mismatches} passes differ`}`);
console.log(
  `RSS after the first 1000 inferences ${rssAfterFirst1000.rss.toFixed(1)} MiB, at the end ${rssEnd.rss.toFixed(1)} MiB (${(((rssEnd.rss - rssAfterFirst1000.rss) / rssAfterFirst1000.rss) * 100).toFixed(1)} %); heap used ${rssAfterFirst1000.heap.toFixed(1)} -> ${rssEnd.heap.toFixed(1)} MiB (settled: after GC, lowest of five samples)`,
);
console.log(`wall time ${wall.toFixed(1)} s (${((wall * 1000) / done).toFixed(1)} ms per inference)`);
process.exitCode = mismatches === 0 && rssEnd.rss <= rssAfterFirst1000.rss * 1.1 ? 0 : 1;
