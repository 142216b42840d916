/** The engine built natively: hand-computed kernel cases, optimized against reference kernels, and every model under ASan/UBSan. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { BENCHMARKS, type BenchmarkId } from '../../host/bench/benchmark.js';
import { type GoldenAnomaly, type GoldenClassifier, dataDir, golden } from '../helpers.js';
import { SANITIZE, compileNative } from './native.js';

describe('native engine', () => {
  it('passes the hand-computed kernel cases under address and undefined-behaviour sanitizers', () => {
    const exe = compileNative('test_kernels', ['tests/test_kernels.c'], SANITIZE);
    const run = spawnSync(exe, { encoding: 'utf8' });
    process.stdout.write(`kernel cases: ${run.stdout.trim().split('\n').at(-1)}\n`);
    expect(run.stdout).toMatch(/^\d+ passed, 0 failed$/m);
    expect(run.status).toBe(0);
  });

  it('optimized kernels equal the reference kernels on random shapes under sanitizers', () => {
    const exe = compileNative('test_opt_kernels', ['tests/test_opt_kernels.c'], SANITIZE);
    const run = spawnSync(exe, { encoding: 'utf8' });
    process.stdout.write(`opt vs ref: ${run.stdout.trim().split('\n').at(-1)}\n`);
    expect(run.stderr).not.toMatch(/AddressSanitizer|runtime error/);
    expect(run.stdout).toMatch(/^\d{4,} passed, 0 failed$/m);
    expect(run.status).toBe(0);
  });

  // The optimized kernels with the plain-C SIMD emulation, -O2, over every golden sample.
  it.each(['kws01', 'vww01', 'ic01', 'ad01', 'ic02'] as BenchmarkId[])('optimized build matches golden on every %s sample', (id) => {
    const exe = compileNative('tb_run_opt', ['tools/tb_run.c', 'harness/tb_bench_io.c'], ['-O2', '-DTB_KERNELS=opt']);
    const bench = BENCHMARKS[id];
    const g = golden<{ perFile: Array<GoldenClassifier['perFile'][number] & GoldenAnomaly['perFile'][number]> }>(id);
    const run = spawnSync(exe, [id, join(dataDir(), 'models', bench.modelFile), ...g.perFile.map((f) => join(dataDir(), 'datasets', bench.dataset, f.file))], {
      encoding: 'utf8',
      maxBuffer: 256 << 20,
    });
    expect(run.status).toBe(0);
    const rows = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { file: string; out: number[] });
    expect(rows).toHaveLength(g.perFile.length);
    const mismatches = rows.filter((row, i) => row.out.join() !== (id === 'ad01' ? g.perFile[i]!.firstWindow.out : g.perFile[i]!.out).join());
    process.stdout.write(`${id} native opt: ${rows.length - mismatches.length}/${rows.length} bit-exact\n`);
    expect(mismatches.map((r) => r.file)).toEqual([]);
  });

  const SUBSET = 12;
  it.each(
    ['kws01', 'vww01', 'ic01', 'ad01', 'ic02'].flatMap((id) => [
      [id, 'opt'],
      [id, 'ref'],
    ]) as Array<[BenchmarkId, string]>,
  )('runs %s (%s kernels) on a subset cleanly under sanitizers, matching golden', (id, kernels) => {
    const exe = compileNative(`tb_run_asan_${kernels}`, ['tools/tb_run.c', 'harness/tb_bench_io.c'], [...SANITIZE, `-DTB_KERNELS=${kernels}`]);
    const bench = BENCHMARKS[id];
    const g = golden<{ perFile: Array<GoldenClassifier['perFile'][number] & GoldenAnomaly['perFile'][number]> }>(id);
    const files = g.perFile.slice(0, SUBSET);
    const run = spawnSync(exe, [id, join(dataDir(), 'models', bench.modelFile), ...files.map((f) => join(dataDir(), 'datasets', bench.dataset, f.file))], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    expect(run.stderr).not.toMatch(/AddressSanitizer|runtime error/);
    expect(run.status).toBe(0);
    const rows = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { file: string; out: number[]; in?: number[]; windowScores?: number[] });
    expect(rows).toHaveLength(SUBSET);
    rows.forEach((row, i) => {
      const want = files[i]!;
      expect(row.file).toBe(want.file);
      if (id === 'ad01') {
        expect(row.in).toEqual(want.firstWindow.in);
        expect(row.out).toEqual(want.firstWindow.out);
      } else {
        expect(row.out).toEqual(want.out);
      }
    });
  });
});
