import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { openDataset } from '../../datasets/dataset.js';
import { BENCHMARKS } from '../../host/bench/benchmark.js';
import { Dut } from '../../host/devices/dut.js';
import { directRunner } from '../../host/devices/dut-session.js';
import { LineChannel } from '../../host/devices/line-channel.js';
import { runPerformance } from '../../host/run/performance.js';
import { silentProgress } from '../../host/core/progress.js';
import { scriptedDut } from '../fakes/scripted-dut.js';

function vwwSet(files = 5) {
  const dir = mkdtempSync(join(tmpdir(), 'tb-perf-'));
  const rows: string[] = [];
  for (let i = 0; i < files; ++i) {
    writeFileSync(join(dir, `f${i}.bin`), new Uint8Array(27648));
    rows.push(`f${i}.bin,2,${i % 2}`);
  }
  writeFileSync(join(dir, 'y_labels.csv'), rows.join('\n'));
  return openDataset(dir, BENCHMARKS.vww01);
}

async function dutFor(script: Parameters<typeof scriptedDut>[0]) {
  const fake = scriptedDut(script);
  const dut = new Dut(new LineChannel(fake.link));
  await dut.identify();
  return { dut: directRunner(dut), commands: fake.commands };
}

describe('performance windows', () => {
  it('calibrates from a probe and gives each window at least 10 s', async () => {
    const { dut, commands } = await dutFor({ model: 'vww01', usPerInference: () => 500_000 });
    const result = await runPerformance(dut, BENCHMARKS.vww01, vwwSet(), silentProgress);
    // probe: 1 inference of 0.5 s = 500000 us; then >= 100 ms so no second probe.
    // count = ceil(10 s * 1.1 / 0.5 s) = 22 inferences -> 11 s per window.
    expect(commands.filter((c) => c.startsWith('infer'))).toEqual(['infer 1 0', ...Array(5).fill('infer 22 5')]);
    expect(result.windows.map((w) => w.elapsedUs)).toEqual(Array(5).fill(11_000_000));
    expect(result.medianThroughput).toBe(2);
  });

  it('re-runs a window that came out under 10 s with a larger count, never accepting it', async () => {
    // The probe says 0.5 s per inference, but window 1's first run goes 4x faster (0.125 s).
    const per = [500_000, 125_000];
    const { dut, commands } = await dutFor({ model: 'vww01', usPerInference: (call) => per[call] ?? 500_000 });
    const result = await runPerformance(dut, BENCHMARKS.vww01, vwwSet(), silentProgress);
    const infers = commands.filter((c) => c.startsWith('infer'));
    // 22 x 0.125 s = 2.75 s is too short: re-run with ceil(11 s / 0.125 s) = 88 inferences (11 s at 0.125 s... then 0.5 s -> 44 s)
    expect(infers.slice(0, 3)).toEqual(['infer 1 0', 'infer 22 5', 'infer 88 5']);
    expect(result.windows[0]!.rerunsTooShort).toBe(1);
    expect(result.windows[0]!.elapsedUs).toBe(44_000_000);
    for (const w of result.windows) expect(w.elapsedUs).toBeGreaterThanOrEqual(10_000_000);
  });

  it('recovers when the probe overestimated by far (1 us per inference after a 0.5 s probe)', async () => {
    const { dut } = await dutFor({ model: 'vww01', usPerInference: (call) => (call === 0 ? 500_000 : 1) });
    const result = await runPerformance(dut, BENCHMARKS.vww01, vwwSet(), silentProgress);
    // 22 inferences took 22 us: re-run with ceil(11 s / 1 us) = 11 000 000 inferences.
    expect(result.windows[0]).toMatchObject({ inferences: 11_000_000, elapsedUs: 11_000_000, rerunsTooShort: 1 });
  });

  it('gives up with a clear error when the DUT timer does not advance', async () => {
    const { dut } = await dutFor({ model: 'vww01', usPerInference: (call) => (call === 0 ? 500_000 : 0) });
    await expect(runPerformance(dut, BENCHMARKS.vww01, vwwSet(), silentProgress)).rejects.toThrow(/stayed under 10 s|timer/);
  });

  it('measures windows that straddle the 32-bit microsecond counter wrap', async () => {
    const { dut } = await dutFor({ model: 'vww01', usPerInference: () => 500_000, clockStartUs: 2 ** 32 - 3_000_000 });
    const result = await runPerformance(dut, BENCHMARKS.vww01, vwwSet(), silentProgress);
    expect(result.windows.map((w) => w.elapsedUs)).toEqual(Array(5).fill(11_000_000));
  });

  it('needs five different files', async () => {
    const { dut } = await dutFor({ model: 'vww01' });
    await expect(runPerformance(dut, BENCHMARKS.vww01, vwwSet(3), silentProgress)).rejects.toThrow(/needs 5 different files/);
  });
});
