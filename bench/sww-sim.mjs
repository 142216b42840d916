#!/usr/bin/env node
// sww01 on the simulated bench at a few virtual DUT core clocks: the duty
// cycle and per-frame processing time the board measured from the DUT's pins
// (SIMULATED), beside their anchors from the same run: the DUT cost model's
// own time for one frame (WebAssembly DUT alone, no board) and, in energy
// mode, the power model applied to the pin-measured busy time.
//
//   npm run build && node bench/sww-sim.mjs [--data-dir ../shared/tinyml]
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { SWW01 } from '../dist/host/bench/sww01.js';
import { runSession } from '../dist/host/run/bench-run.js';
import { silentProgress } from '../dist/host/core/progress.js';
import { DEFAULT_POWER_MODEL } from '../dist/host/sim/power-model.js';
import { WasmDut } from '../dist/host/sim/wasm-dut.js';

const dataDir = resolve(
  process.argv.includes('--data-dir') ? process.argv[process.argv.indexOf('--data-dir') + 1] : (process.env.TINY_BENCH_DATA ?? '../shared/tinyml'),
);
const out = mkdtempSync(join(tmpdir(), 'tb-sww-bench-'));
const model = readFileSync(join(dataDir, 'models', SWW01.modelFile));
const VOLTAGE = 1.8;

/** The cost model's time for one frame (features + model + pin pulses), from the DUT's own clock. */
async function frameUs(clockHz) {
  const dut = await WasmDut.create({ benchmark: SWW01, model, clockHz }, () => {});
  dut.receive(new TextEncoder().encode('start%'));
  const chunk = new Int16Array(1024);
  dut.i2sChunk(chunk, dut.clockUs);
  const t0 = dut.clockUs;
  dut.i2sChunk(chunk, t0);
  return dut.clockUs - t0;
}

console.log('clock    frame (DUT clock)  on-time (pins)  duty (pins)  frames missed  TP FN FP   power mW (monitor)  power model x pin busy time  wall');
for (const mhz of [120, 240, 480]) {
  const t0 = performance.now();
  const anchorUs = await frameUs(mhz * 1e6);
  const { documents } = await runSession(
    {
      benchmarks: ['sww01'],
      modes: ['energy'],
      dut: { kind: 'sim' },
      dataDir,
      command: ['bench'],
      dutClockMhz: mhz,
      energy: { bench: { kind: 'sim', monitor: 'lpm01a' }, voltageV: VOLTAGE, dutBaud: SWW01.dutBaud },
    },
    { outDir: out, progress: silentProgress, say: () => {} },
  );
  const s = documents[0].streaming;
  const st = s.streams[0];
  const busyS = st.activations.length * st.duty.onTimeS;
  const { activeCurrentA: a, idleCurrentA: i } = DEFAULT_POWER_MODEL;
  const modelMw = VOLTAGE * (i + (a - i) * Math.min(1, busyS / st.energy.elapsedS)) * 1e3;
  console.log(
    `${String(mhz).padStart(3)} MHz  ${(anchorUs / 1e3).toFixed(3).padStart(14)} ms  ${(st.duty.onTimeS * 1e3).toFixed(3).padStart(11)} ms  ${(st.duty.dutyCycle * 100).toFixed(2).padStart(9)} %  ${String(st.framesMissed).padStart(6)} of ${st.framesInStream}  ${s.truePositives}  ${s.falseNegatives}  ${s.falsePositives}   ${st.energy.powerMw.toFixed(3).padStart(18)}  ${modelMw.toFixed(3).padStart(27)}  ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
}
console.log(
  'All figures SIMULATED: cost-model clock (engine constants fitted to QEMU on the four classic models, feature hop measured on QEMU by bench/sww-qemu.mjs) and power model.',
);
