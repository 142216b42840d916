/**
 * firmware/build.json is the one description of the firmware build. The C enum
 * of benchmarks cannot read it, so this test compares what the compiled code
 * says (native and WebAssembly) and what the host's benchmark table holds
 * with it, and checks that the build scripts keep no list of their own.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { BENCHMARKS, BENCHMARK_IDS, type BenchmarkId } from '../../host/bench/benchmark.js';
import { SWW01 } from '../../host/bench/sww01.js';
import { WasmDut } from '../../host/sim/wasm-dut.js';
import { dataDir, repoRoot } from '../helpers.js';
import { buildConfig, compileNative } from './native.js';

interface BuildDescription {
  benchmarks: Array<{ id: string; model: string; armArena: number; armInputBuffer?: number }>;
  sources: Record<string, string[]>;
}

const description = JSON.parse(readFileSync(join(repoRoot, 'firmware/build.json'), 'utf8')) as BuildDescription;
const ids = description.benchmarks.map((b) => b.id);

describe('firmware build description (firmware/build.json)', () => {
  it('lists the benchmarks in the order of the C enum (tb_bench_io.h), as a native build reports them', () => {
    const exe = compileNative('tb_run_list', ['tools/tb_run.c', 'harness/tb_bench_io.c'], ['-O0']);
    const run = spawnSync(exe, ['--list'], { encoding: 'utf8' });
    expect(run.stdout.trim().split('\n')).toEqual(ids);
  });

  it('lists the benchmarks in the order the committed WebAssembly DUT uses', async () => {
    const model = readFileSync(join(dataDir(), 'models', BENCHMARKS.kws01.modelFile));
    const dut = await WasmDut.create({ benchmark: BENCHMARKS.kws01, model }, () => {});
    expect(dut.benchmarkIds).toEqual(ids);
    const unknown = { ...BENCHMARKS.kws01, id: 'zz01' as BenchmarkId };
    await expect(WasmDut.create({ benchmark: unknown, model }, () => {})).rejects.toThrow(`does not know benchmark zz01 (it knows ${ids.join(', ')})`);
  });

  it('names the same benchmarks and model files as the host benchmark tables (sww01 streams, so it has its own)', () => {
    expect([...ids].sort()).toEqual([...BENCHMARK_IDS, SWW01.id].sort());
    for (const b of description.benchmarks) expect(b.model, b.id).toBe(b.id === SWW01.id ? SWW01.modelFile : BENCHMARKS[b.id as BenchmarkId].modelFile);
  });

  it('is the only place the build scripts get benchmark ids and engine sources from', () => {
    for (const script of ['firmware/ports/build-arm.sh', 'firmware/ports/wasm/build.sh']) {
      const text = readFileSync(join(repoRoot, script), 'utf8');
      for (const id of ids) expect(text, `${script} names ${id}`).not.toMatch(new RegExp(`\\b${id}\\b`));
      expect(text, `${script} lists engine sources`).not.toMatch(/engine\/|tb_\w+\.c/);
    }
    const native = readFileSync(join(repoRoot, 'test/firmware/native.ts'), 'utf8');
    expect(native).not.toMatch(/engine\/|kernels\//);
  });

  it('expands the engine globs to every C file of engine/ and engine/kernels/', () => {
    expect(description.sources.engine).toEqual(['engine/*.c', 'engine/kernels/*.c']);
    const onDisk = ['engine', 'engine/kernels'].flatMap((dir) =>
      readdirSync(join(repoRoot, 'firmware', dir))
        .filter((f) => f.endsWith('.c'))
        .map((f) => `${dir}/${f}`),
    );
    expect(buildConfig('engine-sources').sort()).toEqual(onDisk.sort());
  });

  it('refuses an unknown benchmark or target with one line', () => {
    expect(() => buildConfig('bench', 'nope01')).toThrow(/unknown benchmark 'nope01'; expected one of kws01, vww01, ic01, ad01, ic02/);
    expect(() => buildConfig('flags', 'avr')).toThrow(/unknown target 'avr'/);
  });
});
