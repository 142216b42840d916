/** The committed virtual DUT must be exactly what the sources build to. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { BENCHMARKS } from '../../host/bench/benchmark.js';
import { WasmDut } from '../../host/sim/wasm-dut.js';
import { dataDir, repoRoot } from '../helpers.js';
import { compileSimd128 } from './native.js';

describe('committed WebAssembly DUT', () => {
  it('is byte-identical to a fresh emscripten build of firmware/', () => {
    const which = spawnSync('emcc', ['--version'], { encoding: 'utf8' });
    if (which.error) throw new Error('emcc is not installed: run scripts/install-toolchain.sh (Debian package emscripten)');
    const fresh = join(repoRoot, 'build', 'tiny_dut.rebuilt.cjs');
    const build = spawnSync('bash', [join(repoRoot, 'firmware/ports/wasm/build.sh'), fresh], { encoding: 'utf8' });
    expect(build.status, build.stderr).toBe(0);
    const committed = readFileSync(join(repoRoot, 'firmware/ports/wasm/dist/tiny_dut.cjs'));
    expect(readFileSync(fresh).equals(committed), 'firmware/ports/wasm/dist/tiny_dut.cjs is stale: run firmware/ports/wasm/build.sh and commit it').toBe(true);
  }, 300_000);

  it('has WebAssembly SIMD kernels equal to the reference kernels on random shapes', () => {
    const out = compileSimd128('test_opt_kernels_simd128', 'tests/test_opt_kernels.c');
    const run = spawnSync(process.execPath, [out], { encoding: 'utf8' });
    process.stdout.write(`opt (simd128) vs ref: ${run.stdout.trim().split('\n').at(-1)}\n`);
    expect(run.stdout).toMatch(/^\d{4,} passed, 0 failed$/m);
    expect(run.status).toBe(0);
  }, 300_000);

  it('leaves the process alone: no error handlers added per instance (each would keep its module alive)', async () => {
    const model = readFileSync(join(dataDir(), 'models', BENCHMARKS.kws01.modelFile));
    const before = ['uncaughtException', 'unhandledRejection'].map((e) => process.listenerCount(e));
    for (let i = 0; i < 3; ++i) await WasmDut.create({ benchmark: BENCHMARKS.kws01, model }, () => {});
    expect(['uncaughtException', 'unhandledRejection'].map((e) => process.listenerCount(e))).toEqual(before);
  });
});
