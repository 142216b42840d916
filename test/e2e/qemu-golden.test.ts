/**
 * The optimized firmware image (ACLE SIMD kernels) on the emulated Cortex-M4F
 * against TFLite Micro's golden outputs: kws01 and ic01 200 files, vww01 30,
 * ad01 10 files with every window. The DUT prints probabilities with three
 * decimals, which recovers each int8 softmax level exactly: q = round(p * 256) - 128.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import type { BenchmarkId } from '../../host/bench/benchmark.js';
import { silentProgress } from '../../host/core/progress.js';
import { runningHelpers } from '../../host/sim/child-processes.js';
import { type GoldenAnomaly, type GoldenClassifier, dataDir, golden, runTestSession } from '../helpers.js';

const out = mkdtempSync(join(tmpdir(), 'tb-qemu-golden-'));
const common = {
  modes: ['accuracy' as const],
  dut: { kind: 'qemu' as const },
  dataDir: dataDir(),
  outDir: out,
  command: ['test'],
  progress: silentProgress,
  say: () => {},
};

describe('optimized image on QEMU matches TFLite Micro golden outputs', () => {
  it.each([
    ['kws01', 200],
    ['ic01', 200],
    ['vww01', 30],
  ] as Array<[BenchmarkId, number]>)(
    '%s: %d files, every int8 output',
    async (id, files) => {
      const run = await runTestSession({ ...common, benchmarks: [id], limit: files });
      const perFile = run.documents[0]!.perFile as Array<{ file: string; results: number[] }>;
      const want = new Map(golden<GoldenClassifier>(id).perFile.map((f) => [f.file, f.out]));
      expect(perFile).toHaveLength(files);
      const mismatches = perFile.filter((f) => f.results.map((p) => Math.round(p * 256) - 128).join() !== want.get(f.file)!.join());
      process.stdout.write(`qemu ${id}: ${files - mismatches.length}/${files} outputs equal golden\n`);
      expect(mismatches.map((f) => f.file)).toEqual([]);
      expect(runningHelpers()).toBe(0);
    },
    1_200_000,
  );

  // ic01's convolution scratch fits the stm32f4 parts' 128 KB of RAM only with its 3 072-byte
  // input buffer (firmware/build.json armInputBuffer): a failed link would fail this run.
  it('ic01 on the stm32f4 port (netduinoplus2): 10 files, every int8 output', async () => {
    const run = await runTestSession({ ...common, dut: { kind: 'qemu', board: 'stm32f4' }, benchmarks: ['ic01'], limit: 10 });
    const perFile = run.documents[0]!.perFile as Array<{ file: string; results: number[] }>;
    const want = new Map(golden<GoldenClassifier>('ic01').perFile.map((f) => [f.file, f.out]));
    expect(run.documents[0]!.dut.link).toMatch(/stm32f4|netduino/i);
    expect(perFile).toHaveLength(10);
    expect(perFile.filter((f) => f.results.map((p) => Math.round(p * 256) - 128).join() !== want.get(f.file)!.join()).map((f) => f.file)).toEqual([]);
    expect(runningHelpers()).toBe(0);
  }, 1_200_000);

  it('ad01: 10 files, every window score within 1e-4 relative of golden', async () => {
    const run = await runTestSession({ ...common, benchmarks: ['ad01'], limit: 10 });
    const perFile = run.documents[0]!.perFile as Array<{ file: string; windowScores: number[] }>;
    const want = new Map(golden<GoldenAnomaly>('ad01').perFile.map((f) => [f.file, f.windowScores]));
    let windows = 0;
    let worst = 0;
    for (const f of perFile) {
      const g = want.get(f.file)!;
      expect(f.windowScores).toHaveLength(g.length);
      f.windowScores.forEach((s, w) => {
        worst = Math.max(worst, Math.abs(s - g[w]!) / Math.max(Math.abs(g[w]!), 1e-9));
        windows++;
      });
    }
    process.stdout.write(`qemu ad01: ${perFile.length} files, ${windows} windows, worst relative error ${worst.toExponential(2)}\n`);
    expect(perFile).toHaveLength(10);
    expect(worst).toBeLessThan(1e-4);
    expect(runningHelpers()).toBe(0);
  }, 1_200_000);
});
