/**
 * Optimized against reference kernels on model-sized random shapes (firmware/tests/test_opt_kernels_wide.c):
 * the WebAssembly SIMD build (emcc -msimd128, the virtual DUT's kernels, whose tiles and channel groups
 * only engage above the small shapes of test_opt_kernels.c) and the native build under ASan/UBSan.
 */
import { spawnSync } from 'node:child_process';

import { describe, expect, it } from 'vitest';

import { SANITIZE, compileNative, compileSimd128 } from './native.js';

describe('optimized kernels on model-sized shapes', () => {
  it('WebAssembly SIMD kernels equal the reference kernels', () => {
    const out = compileSimd128('test_opt_kernels_wide_simd128', 'tests/test_opt_kernels_wide.c');
    const run = spawnSync(process.execPath, [out], { encoding: 'utf8' });
    process.stdout.write(`wide opt (simd128) vs ref: ${run.stdout.trim().split('\n').at(-1)}\n`);
    expect(run.stdout).toMatch(/^\d{4,} passed, 0 failed$/m);
    expect(run.status).toBe(0);
  }, 300_000);

  it('native kernels (SIMD emulation) equal the reference kernels under sanitizers', () => {
    const exe = compileNative('test_opt_kernels_wide', ['tests/test_opt_kernels_wide.c'], SANITIZE);
    const run = spawnSync(exe, { encoding: 'utf8' });
    process.stdout.write(`wide opt vs ref: ${run.stdout.trim().split('\n').at(-1)}\n`);
    expect(run.stderr).not.toMatch(/AddressSanitizer|runtime error/);
    expect(run.stdout).toMatch(/^\d{4,} passed, 0 failed$/m);
    expect(run.status).toBe(0);
  }, 300_000);
});
