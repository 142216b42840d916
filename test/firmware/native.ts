import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { repoRoot } from '../helpers.js';

/** One piece of firmware/build.json, as the build scripts read it (firmware/tools/build-config.mjs). */
export function buildConfig(...request: string[]): string[] {
  const result = spawnSync(process.execPath, [join(repoRoot, 'firmware/tools/build-config.mjs'), ...request], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`build-config ${request.join(' ')} failed: ${result.stderr}`);
  return result.stdout.split('\n').filter(Boolean);
}

export const SANITIZE = ['-O1', '-g', '-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-fno-omit-frame-pointer'];

/** Compiles firmware sources with the host gcc into build/<name>; throws with the compiler output on failure. */
export function compileNative(name: string, sources: string[], flags: string[]): string {
  const out = join(repoRoot, 'build', name);
  mkdirSync(join(repoRoot, 'build'), { recursive: true });
  const args = [
    ...buildConfig('flags', 'native'),
    ...flags,
    '-o',
    out,
    ...[...sources, ...buildConfig('engine-sources')].map((s) => join(repoRoot, 'firmware', s)),
    '-lm',
  ];
  const result = spawnSync('gcc', args, { encoding: 'utf8' });
  if (result.error) throw new Error(`gcc could not be started (${result.error.message}); install it with scripts/install-toolchain.sh`);
  if (result.status !== 0) throw new Error(`gcc failed:\n${result.stderr}`);
  return out;
}

/**
 * Compiles a kernel test with the engine for WebAssembly SIMD (emcc -msimd128, the virtual DUT's
 * kernels) into build/<name>.cjs, runnable with node; throws with the compiler output on failure.
 */
export function compileSimd128(name: string, testSource: string): string {
  const fw = join(repoRoot, 'firmware');
  const sources = buildConfig('engine-sources').map((s) => join(fw, s));
  const out = join(repoRoot, 'build', `${name}.cjs`);
  mkdirSync(join(repoRoot, 'build'), { recursive: true });
  const env = {
    ...process.env,
    NODE_PATH: process.env.NODE_PATH ?? '/usr/share/nodejs',
    EM_CACHE: process.env.EM_CACHE ?? join(tmpdir(), 'tiny-bench-emcache'),
  };
  const flags = ['-std=c99', '-O2', '-msimd128', '-Wall', '-Wextra', '-Werror', '-sENVIRONMENT=node', '-sSINGLE_FILE=1', '-sINITIAL_MEMORY=33554432'];
  const cc = spawnSync('emcc', [...flags, '-o', out, join(fw, testSource), ...sources], { encoding: 'utf8', env });
  if (cc.error) throw new Error('emcc is not installed: run scripts/install-toolchain.sh (Debian package emscripten)');
  if (cc.status !== 0) throw new Error(`emcc failed:\n${cc.stderr}`);
  return out;
}
