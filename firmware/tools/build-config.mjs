#!/usr/bin/env node
// Prints pieces of firmware/build.json for the shell build scripts, one item per line:
//   build-config.mjs sources            every shared source (harness, dsp, engine), globs expanded, relative to firmware/
//   build-config.mjs port-sources <p>   the port's own sources (mps2-an386 | stm32f4 | wasm)
//   build-config.mjs engine-sources     engine sources only
//   build-config.mjs flags <target>     common + engine + target flags (arm | wasm | native)
//   build-config.mjs bench <id>         "<index> <armArena> <model file> <armInputBuffer>" (the last 27648, the harness default, unless given)
//   build-config.mjs ids                benchmark ids in firmware order
// Exits 2 with a one-line message on an unknown target or benchmark.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const firmware = join(dirname(fileURLToPath(import.meta.url)), '..');
const config = JSON.parse(readFileSync(join(firmware, 'build.json'), 'utf8'));

/** 'dir/*.c' lists dir's .c files (sorted by code point, like the C locale's shell glob); other entries are taken as they are. */
function expand(pattern) {
  const star = pattern.lastIndexOf('*');
  if (star < 0) return [pattern];
  const dir = dirname(pattern);
  const suffix = pattern.slice(star + 1);
  return readdirSync(join(firmware, dir))
    .filter((f) => f.endsWith(suffix))
    .sort()
    .map((f) => `${dir}/${f}`);
}

function fail(message) {
  process.stderr.write(`build-config: ${message}\n`);
  process.exit(2);
}

const [what, arg] = process.argv.slice(2);
let lines;
switch (what) {
  case 'sources':
    lines = Object.values(config.sources).flat().flatMap(expand);
    break;
  case 'port-sources':
    if (!config.ports[arg]) fail(`unknown port '${arg}'; expected one of ${Object.keys(config.ports).join(', ')}`);
    lines = config.ports[arg].flatMap(expand);
    break;
  case 'engine-sources':
    lines = config.sources.engine.flatMap(expand);
    break;
  case 'flags':
    if (!config.flags[arg] || ['common', 'engine'].includes(arg)) fail(`unknown target '${arg}'; expected one of arm, wasm, native`);
    lines = [...config.flags.common, ...config.flags.engine, ...config.flags[arg]];
    break;
  case 'bench': {
    const index = config.benchmarks.findIndex((b) => b.id === arg);
    if (index < 0) fail(`unknown benchmark '${arg}'; expected one of ${config.benchmarks.map((b) => b.id).join(', ')}`);
    const b = config.benchmarks[index];
    lines = [`${index} ${b.armArena} ${b.model} ${b.armInputBuffer ?? 27648}`];
    break;
  }
  case 'ids':
    lines = config.benchmarks.map((b) => b.id);
    break;
  default:
    fail(`unknown request '${what ?? ''}'; expected sources, port-sources <port>, engine-sources, flags <target>, bench <id> or ids`);
}
process.stdout.write(lines.map((l) => `${l}\n`).join(''));
