/**
 * The energy runner's rules with a scripted energy-mode DUT and a fake
 * monitor whose edges follow the DUT's infers: windows re-run when short,
 * stray edges and lost samples refused, the median taken over windows.
 */
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { openDataset } from '../../datasets/dataset.js';
import type { EdgeSpan, EnergyMonitor } from '../../energy/energy-monitor.js';
import { BENCHMARKS } from '../../host/bench/benchmark.js';
import { directRunner } from '../../host/devices/dut-session.js';
import { Dut } from '../../host/devices/dut.js';
import { LineChannel } from '../../host/devices/line-channel.js';
import { runEnergy } from '../../host/run/energy.js';
import { silentProgress } from '../../host/core/progress.js';
import { scriptedDut } from '../fakes/scripted-dut.js';
import { dataDir } from '../helpers.js';

const POWER_W = 0.04;

/** Edges at DUT time (s): two per infer, `per(call)` seconds per inference; `extra` edges or lost samples on demand. */
function rig(per: (call: number) => number, options: { strayEdgeOnCall?: number; lostOnCall?: number } = {}) {
  const edges: number[] = [];
  const lost = new Map<number, number>();
  let t = 0;
  const fake = scriptedDut({
    model: 'kws01',
    energyMode: true,
    rewrite: (command, lines, call) => {
      if (command.startsWith('infer ')) {
        const n = Number(command.split(' ')[1]);
        t += 1;
        edges.push(t);
        t += n * per(call);
        edges.push(t);
        if (call === options.strayEdgeOnCall) edges.push(t + 0.5);
        if (call === options.lostOnCall) lost.set(edges.length - 2, 3);
      }
      return lines;
    },
  });
  const monitor: EnergyMonitor = {
    kind: 'lpm01a',
    description: 'fake monitor',
    firmware: '1.0.6',
    sampleRateHz: 1000,
    simulated: true,
    configure: async () => {},
    powerOn: async () => {},
    powerOff: async () => {},
    start: async () => {},
    stop: async () => {},
    close: async () => {},
    edgeCount: () => edges.length,
    waitForEdges: async (count) => {
      if (edges.length < count) throw new Error(`only ${edges.length} edges`);
    },
    span: (a, b): EdgeSpan => {
      const elapsedS = edges[b]! - edges[a]!;
      return { energyJ: elapsedS * POWER_W, elapsedS, samples: Math.round(elapsedS * 1000), lostSamples: lost.get(a) ?? 0 };
    },
    trace: () => ({ binMs: 1, powerMw: [40], edgesMs: [0, 1] }),
    health: () => ({ garbled: 0, lostSamples: 0 }),
  };
  const dut = new Dut(new LineChannel(fake.link), { energyMode: true, commandTimeoutMs: 1000 });
  return { runner: directRunner(dut), monitor, commands: fake.commands };
}

const bench = BENCHMARKS.kws01;
const dataset = () => openDataset(join(dataDir(), 'datasets', 'kws01'), bench);

describe('energy runner', () => {
  it('sizes windows from the probe, re-runs one that came out under 10 s, takes the median', async () => {
    // The probe sees 100 ms per inference; from the first window on the DUT runs at 40 ms (e.g. a cache warming up).
    const r = rig((call) => (call === 0 ? 0.1 : 0.04));
    const result = await runEnergy(r.runner, r.monitor, bench, dataset(), silentProgress);
    expect(result.windows).toHaveLength(5);
    expect(result.windows[0]!.rerunsTooShort).toBe(1);
    for (const w of result.windows) expect(w.elapsedS).toBeGreaterThanOrEqual(10);
    expect(result.energyUjPerInference).toBeCloseTo(POWER_W * 0.04 * 1e6, 6);
    expect(result.powerMw).toBeCloseTo(40, 9);
    expect(result.medianThroughput).toBeCloseTo(25, 9);
    const infers = r.commands.filter((c) => c.startsWith('infer '));
    expect(infers.slice(0, 4)).toEqual(['infer 1 0', 'infer 110 10', 'infer 275 10', 'infer 275 10']);
  });

  it('refuses a window with a third edge (something else toggles the timestamp line)', async () => {
    const r = rig(() => 0.1, { strayEdgeOnCall: 3 });
    await expect(runEnergy(r.runner, r.monitor, bench, dataset(), silentProgress)).rejects.toThrow(
      /Expected 2 timestamp edges for 'infer 110 10', the monitor saw 3/,
    );
  });

  it('refuses a calibration probe whose edges are implausible (a broken timestamp line), before any window', async () => {
    // 200 s per inference between the probe's edges: longer than any window the rules need.
    const r = rig((call) => (call === 0 ? 200 : 0.04));
    await expect(runEnergy(r.runner, r.monitor, bench, dataset(), silentProgress)).rejects.toThrow(
      /energy calibration probe: 200000000 us per inference is not a plausible measurement; the DUT's timer is wrong/,
    );
    expect(r.commands.filter((c) => c.startsWith('infer '))).toEqual(['infer 1 0']);
  });

  it('refuses a window in which the monitor lost samples', async () => {
    const r = rig(() => 0.1, { lostOnCall: 2 });
    await expect(runEnergy(r.runner, r.monitor, bench, dataset(), silentProgress)).rejects.toThrow(/lost 3 samples inside this window/);
  });
});
