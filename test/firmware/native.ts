import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
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
