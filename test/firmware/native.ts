import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { repoRoot } from '../helpers.js';

/** Every engine source, as the firmware builds glob them (engine/*.c engine/kernels/*.c). */
const ENGINE = ['engine', 'engine/kernels'].flatMap((dir) =>
  readdirSync(join(repoRoot, 'firmware', dir)).filter((f) => f.endsWith('.c')).sort().map((f) => `${dir}/${f}`));

export const SANITIZE = ['-O1', '-g', '-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-fno-omit-frame-pointer'];

/** Compiles firmware sources with the host gcc into build/<name>; throws with the compiler output on failure. */
export function compileNative(name: string, sources: string[], flags: string[]): string {
  const out = join(repoRoot, 'build', name);
  mkdirSync(join(repoRoot, 'build'), { recursive: true });
  const args = ['-std=c99', '-D_POSIX_C_SOURCE=200809L', '-D_ISOC11_SOURCE', '-Wall', '-Wextra', '-Werror', ...flags, '-o', out,
    ...[...sources, ...ENGINE].map((s) => join(repoRoot, 'firmware', s)), '-lm'];
  const result = spawnSync('gcc', args, { encoding: 'utf8' });
  if (result.error) throw new Error(`gcc could not be started (${result.error.message}); install it with scripts/install-toolchain.sh`);
  if (result.status !== 0) throw new Error(`gcc failed:\n${result.stderr}`);
  return out;
}
