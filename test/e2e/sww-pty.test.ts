/**
 * The sww01 hardware path (SerialLinks to an interface board and an LPM01A)
 * driven against the simulated bench on ptys, as `tiny-bench sim-bench -b
 * sww01` serves it: the same stream step, scored the same, still labelled
 * simulated because the monitor says it is virtual.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { modelPath } from '../../datasets/data-dir.js';
import { SWW01, swwSdCard } from '../../host/bench/sww01.js';
import { silentProgress } from '../../host/core/progress.js';
import { VirtualEnergyBench } from '../../host/sim/energy-bench.js';
import { exposeOnPty } from '../../host/sim/pty-bridge.js';
import { dataDir, runTestSession } from '../helpers.js';

describe('sww01 on the hardware path against the simulated bench on ptys', () => {
  it('energy mode through --interface and --emon on ptys: 2 TP, 1 FN, 0 FP on the 10 s stream, power between start and stop', async () => {
    const bench = await VirtualEnergyBench.create({
      benchmark: SWW01,
      model: readFileSync(modelPath(dataDir(), SWW01)),
      dutBaud: SWW01.dutBaud,
      streamFiles: swwSdCard(dataDir()),
      dutClockHz: 480e6,
    });
    const dir = mkdtempSync(join(tmpdir(), 'tb-sww-ptys-'));
    const board = await exposeOnPty(bench.boardLink, dir, 'interface');
    const monitor = await exposeOnPty(bench.monitorLink, dir, 'lpm01a');
    try {
      const result = await runTestSession({
        benchmarks: ['sww01'],
        modes: ['energy'],
        dut: { kind: 'sim' },
        dataDir: dataDir(),
        outDir: mkdtempSync(join(tmpdir(), 'tb-sww-out-')),
        command: ['test'],
        progress: silentProgress,
        say: () => {},
        energy: { bench: { kind: 'serial', interfacePath: board.path, monitor: 'lpm01a', monitorPath: monitor.path }, voltageV: 1.8, dutBaud: SWW01.dutBaud },
      });
      const doc = result.documents[0]!;
      expect(doc.dut.link).toContain(board.path);
      expect(doc.monitor!.description).toContain(monitor.path);
      expect(doc.simulated).toBe(true);
      const s = doc.streaming!;
      expect([s.truePositives, s.falseNegatives, s.falsePositives]).toEqual([2, 1, 0]);
      const st = s.streams[0]!;
      expect(st.framesMissed).toBe(0);
      // The monitor's span between the start and stop edges covers the 10 s play and the settle before stop.
      expect(st.energy!.elapsedS).toBeGreaterThan(10);
      expect(st.energy!.elapsedS).toBeLessThan(12);
      expect(st.energy!.powerMw).toBeGreaterThan(0);
    } finally {
      await board.close();
      await monitor.close();
      await bench.close();
    }
  }, 120_000);
});
