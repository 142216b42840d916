/**
 * Optimized against reference kernels on model-sized random shapes (firmware/tests/test_opt_kernels_wide.c):
 * the WebAssembly SIMD build (emcc -msimd128, the virtual DUT's kernels, whose tiles and channel groups
 * only engage above the small shapes of test_opt_kernels.c) and the native build under ASan/UBSan.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { repoRoot } from '../helpers.js';
import { SANITIZE, compileNative } from './native.js';

describe('optimized kernels on model-sized shapes', () => {
  it('WebAssembly SIMD kernels equal the reference kernels', () => {
    const fw = join(repoRoot, 'firmware');
    const sources = ['engine', 'engine/kernels'].flatMap((d) =>
      readdirSync(join(fw, d))
        .filter((f) => f.endsWith('.c'))
        .map((f) => join(fw, d, f)),
    );
    const out = join(repoRoot, 'build', 'test_opt_kernels_wide_simd128.cjs');
    const env = {
      ...process.env,
      NODE_PATH: process.env.NODE_PATH ?? '/usr/share/nodejs',
      EM_CACHE: process.env.EM_CACHE ?? join(tmpdir(), 'tiny-bench-emcache'),
    };
    const cc = spawnSync(
      'emcc',
      [
        '-std=c99',
        '-O2',
        '-msimd128',
        '-Wall',
        '-Wextra',
        '-Werror',
        '-sENVIRONMENT=node',
        '-sSINGLE_FILE=1',
        '-sINITIAL_MEMORY=33554432',
        '-o',
        out,
        join(fw, 'tests/test_opt_kernels_wide.c'),
        ...sources,
      ],
      { encoding: 'utf8', env },
    );
    if (cc.error) throw new Error('emcc is not installed: run scripts/install-toolchain.sh (Debian package emscripten)');
    expect(cc.status, cc.stderr).toBe(0);
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
