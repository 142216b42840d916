#!/usr/bin/env node
// Per-operator wall time of the engine as the virtual DUT builds it (the wasm flags of
// firmware/build.json, emcc): compiles bench/lib/op-profile.c with the engine sources, then
// for each model prints every op's shape, MACs and microseconds per inference (fastest of 7
// rounds of --reps runs after 300 warm-up inferences, so other load on a shared machine shows up
// less and V8 has tiered every kernel up) and its share.
// Wall-clock figures of this machine, not simulated DUT time. Needs emcc (scripts/install-toolchain.sh).
//
//   node bench/wasm-op-profile.mjs [--data-dir ../shared/tinyml] [--reps 20] [--models kws01,vww01,ic01,ad01]
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const dataDir = resolve(opt('--data-dir', process.env.TINY_BENCH_DATA ?? '../shared/tinyml'));
const reps = opt('--reps', '20');
const ids = opt('--models', 'kws01,vww01,ic01,ad01').split(',');
const firmware = fileURLToPath(new URL('../firmware/', import.meta.url));
const tool = (...a) =>
  spawnSync(process.execPath, [join(firmware, 'tools/build-config.mjs'), ...a], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean);

const env = { ...process.env, NODE_PATH: process.env.NODE_PATH ?? '/usr/share/nodejs', EM_CACHE: process.env.EM_CACHE ?? join(tmpdir(), 'tiny-bench-emcache') };
const exe = join(mkdtempSync(join(tmpdir(), 'tb-opprof-')), 'op-profile.cjs');
const cc = spawnSync(
  'emcc',
  [
    ...tool('flags', 'wasm').filter((f) => !f.startsWith('-DWP_')),
    ...tool('engine-sources').map((s) => join(firmware, s)),
    fileURLToPath(new URL('lib/op-profile.c', import.meta.url)),
    '-sNODERAWFS=1',
    '-sENVIRONMENT=node',
    '-sSINGLE_FILE=1',
    '-sINITIAL_MEMORY=8388608',
    '-o',
    exe,
  ],
  { encoding: 'utf8', env },
);
if (cc.error || cc.status !== 0) {
  process.stderr.write(`wasm-op-profile: emcc failed: ${cc.error?.message ?? cc.stderr}\n`);
  process.exit(1);
}
for (const id of ids) {
  const [, , model] = tool('bench', id)[0]?.split(' ') ?? [];
  if (!model) {
    process.stderr.write(`wasm-op-profile: unknown benchmark ${id}\n`);
    process.exit(2);
  }
  const run = spawnSync(process.execPath, [exe, join(dataDir, 'models', model), reps], { encoding: 'utf8' });
  process.stdout.write(`${id} (${model}), WebAssembly in Node, this machine\n${run.stdout}${run.stderr}\n`);
}
