#!/usr/bin/env node
// The default virtual-DUT run (every benchmark, performance + accuracy) one benchmark after the other
// (--jobs 1) and side by side in worker threads (--jobs = cores): wall time of each, and whether every
// result document agrees (per-file results, windows, scores). Timings inside the documents are SIMULATED;
// the wall times printed here are real.
//   node bench/parallel-run.mjs [--data-dir DIR] [--jobs N]
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const args = process.argv.slice(2);
const dataDir = resolve(args.includes('--data-dir') ? args[args.indexOf('--data-dir') + 1] : (process.env.TINY_BENCH_DATA ?? '../shared/tinyml'));
const jobs = args.includes('--jobs') ? Number(args[args.indexOf('--jobs') + 1]) : availableParallelism();
const cli = new URL('../dist/host/cli.js', import.meta.url).pathname;

function run(n) {
  const out = mkdtempSync(join(tmpdir(), `tb-par-${n}-`));
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [cli, 'run', '--data-dir', dataDir, '--out', out, '--jobs', String(n), '--json'], {
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`--jobs ${n} failed: ${r.stderr.slice(-2000)}`);
  return { wall, results: JSON.parse(r.stdout.trim().split('\n').at(-1)).results };
}

// What must not depend on scheduling: everything but wall-clock times and the command line.
const essence = (d) => JSON.stringify({ ...d, startedAt: 0, finishedAt: 0, wallSeconds: 0, command: 0 });

console.log(
  `cores: ${availableParallelism()}; load average before: ${(await import('node:os'))
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
const sequential = run(1);
console.log(`--jobs 1 (sequential)   wall ${sequential.wall.toFixed(1)} s`);
const parallel = run(jobs);
console.log(`--jobs ${jobs} (worker threads) wall ${parallel.wall.toFixed(1)} s  (${((1 - parallel.wall / sequential.wall) * 100).toFixed(0)} % less)`);
const same = sequential.results.length === parallel.results.length && sequential.results.every((d, i) => essence(d) === essence(parallel.results[i]));
console.log(`results identical (${sequential.results.length} documents, per-file results and windows): ${same ? 'yes' : 'NO'}`);
process.exitCode = same ? 0 : 1;
