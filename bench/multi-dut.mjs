#!/usr/bin/env node
// Two DUTs in one session against running them one after the other. The DUTs are virtual boards behind
// ptys on a modelled 115200-baud wire (1 ms turnaround), so, as with real boards, the link is what each
// waits on. Prints both wall times (real) beside each other; the results inside are SIMULATED.
//   node bench/multi-dut.mjs [--data-dir DIR] [--limit N]
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { BENCHMARKS } from '../dist/host/bench/benchmark.js';
import { exposeOnPty } from '../dist/host/sim/pty-bridge.js';
import { VirtualDutConnection } from '../dist/host/sim/wasm-dut.js';

const args = process.argv.slice(2);
const dataDir = resolve(args.includes('--data-dir') ? args[args.indexOf('--data-dir') + 1] : (process.env.TINY_BENCH_DATA ?? '../shared/tinyml'));
const limit = args.includes('--limit') ? args[args.indexOf('--limit') + 1] : '100';
const cli = new URL('../dist/host/cli.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'tb-multi-bench-'));

const boards = [];
for (const name of ['board-a', 'board-b']) {
  const dut = await VirtualDutConnection.open({ benchmark: BENCHMARKS.kws01, dataDir, wire: { baudRate: 115200, latencyMs: 1 } });
  boards.push({ dut, pty: await exposeOnPty(dut.link, dir, name) });
}

function run(...ports) {
  return new Promise((done, fail) => {
    const t0 = performance.now();
    const child = spawn(
      process.execPath,
      [cli, 'run', ...ports.flatMap((p) => ['--port', p]), '--mode', 'accuracy', '--limit', limit, '--out', join(dir, 'sessions')],
      { env: { ...process.env, TINY_BENCH_DATA: dataDir }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => (code === 0 ? done((performance.now() - t0) / 1000) : fail(new Error(`exit ${code}: ${stderr}`))));
  });
}

try {
  const [a, b] = boards.map((x) => x.pty.path);
  const oneByOne = (await run(a)) + (await run(b));
  const together = await run(a, b);
  console.log(`kws01 accuracy, ${limit} files per DUT, 115200-baud wire with 1 ms turnaround (virtual boards behind ptys; SIMULATED results)`);
  console.log(`one after the other: ${oneByOne.toFixed(1)} s wall`);
  console.log(`two DUTs in one session: ${together.toFixed(1)} s wall (${(oneByOne / together).toFixed(2)}x faster)`);
} finally {
  for (const x of boards) {
    await x.pty.close();
    await x.dut.close();
  }
}
