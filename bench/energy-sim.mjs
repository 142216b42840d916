#!/usr/bin/env node
// Energy mode on the simulated bench for every benchmark and both virtual
// monitors: the measured median energy per inference against the power
// model's analytic value for the same windows (exact edge times), the virtual
// time a session covers and the wall time it took. All energies SIMULATED.
//
//   node bench/energy-sim.mjs [--data-dir ../shared/tinyml]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { runSession } from '../dist/host/run/bench-run.js';
import { silentProgress } from '../dist/host/core/progress.js';

const dataDir = resolve(
  process.argv.includes('--data-dir') ? process.argv[process.argv.indexOf('--data-dir') + 1] : (process.env.TINY_BENCH_DATA ?? '../shared/tinyml'),
);
const out = mkdtempSync(join(tmpdir(), 'tb-energy-bench-'));
console.log('benchmark monitor  uJ/inference (SIMULATED)  power model  error      mW      windows x inferences  DUT time in windows  wall');
for (const monitor of ['lpm01a', 'ppk2']) {
  for (const id of ['kws01', 'vww01', 'ic01', 'ad01']) {
    const t0 = performance.now();
    const { documents } = await runSession(
      {
        benchmarks: [id],
        modes: ['energy'],
        dut: { kind: 'sim' },
        dataDir,
        command: ['bench'],
        energy: { bench: { kind: 'sim', monitor }, voltageV: 1.8, dutBaud: 9600 },
      },
      { outDir: out, progress: silentProgress, say: () => {} },
    );
    const d = documents[0];
    const truth = d.monitor.powerModel.truthUjPerInference;
    const inWindows = d.energyWindows.reduce((s, w) => s + w.elapsedS, 0);
    console.log(
      `${id.padEnd(9)} ${monitor.padEnd(8)} ${d.energyUjPerInference.toFixed(3).padStart(24)}  ${truth.toFixed(3).padStart(11)}  ${(((d.energyUjPerInference - truth) / truth) * 100).toFixed(4).padStart(8)} %  ${d.powerMw.toFixed(3).padStart(6)}  ${d.energyWindows.length} x ${String(d.energyWindows[0].inferences).padEnd(14)}  ${inWindows.toFixed(1).padStart(17)} s  ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
  }
}
