/**
 * Dependency direction, checked on the source: each folder may import only the
 * folders listed for it (architecture.md's layer table), so nothing low
 * reaches up. A forbidden import fails this test with the file and line.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

/** Layer of a source file (path relative to the repository root). */
export function layerOf(file: string): string {
  if (file === 'host/errors.ts' || file === 'host/paths.ts' || file.startsWith('host/core/')) return 'core';
  if (file === 'host/cli.ts' || file.startsWith('host/cli/')) return 'cli';
  const [top, second] = file.split('/');
  if (top === 'host') return second!;
  return top!;
}

/** What each layer may import besides itself (and node / npm packages). */
export const ALLOWED: Record<string, readonly string[]> = {
  core: [],
  protocol: ['core'],
  link: ['core', 'protocol'],
  config: ['core', 'protocol'],
  datasets: ['core'],
  devices: ['core', 'link', 'protocol', 'config'],
  energy: ['core', 'link', 'protocol'],
  bench: ['core', 'datasets'],
  report: ['core', 'bench'],
  sim: ['core', 'link', 'protocol', 'devices', 'energy', 'bench', 'datasets'],
  run: ['core', 'link', 'protocol', 'config', 'datasets', 'devices', 'energy', 'bench', 'report', 'sim'],
  cli: ['core', 'link', 'protocol', 'config', 'datasets', 'devices', 'energy', 'bench', 'report', 'sim', 'run'],
};

function sources(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

export function forbiddenImports(files: readonly string[], read: (file: string) => string): string[] {
  const problems: string[] = [];
  for (const file of files) {
    const from = layerOf(file);
    const allowed = ALLOWED[from];
    if (!allowed) {
      problems.push(`${file}: folder '${from}' has no row in the layer table`);
      continue;
    }
    read(file)
      .split('\n')
      .forEach((line, i) => {
        const m = /^\s*(?:import|export)\b[^'"]*from\s+['"](\.[^'"]+)['"]/.exec(line) ?? /^\s*import\s+['"](\.[^'"]+)['"]/.exec(line);
        if (!m) return;
        const target = relative(root, resolve(root, dirname(file), m[1]!)).replace(/\.js$/, '.ts');
        const to = layerOf(target);
        if (to !== from && !allowed.includes(to)) problems.push(`${file}:${i + 1}: ${from} may not import ${to} (${m[1]})`);
      });
  }
  return problems;
}

describe('import direction', () => {
  it('flags an upward import (the check itself works)', () => {
    const files = { 'energy/x.ts': "import { median } from '../host/run/scoring.js';\n", 'host/run/y.ts': "import { z } from '../../energy/x.js';\n" };
    expect(forbiddenImports(Object.keys(files), (f) => files[f as keyof typeof files])).toEqual([
      'energy/x.ts:1: energy may not import run (../host/run/scoring.js)',
    ]);
  });

  it('holds for every source file of the host, energy and datasets folders', () => {
    const files = [...sources('host'), ...sources('energy'), ...sources('datasets')];
    expect(files.length).toBeGreaterThan(50);
    expect(forbiddenImports(files, (f) => readFileSync(join(root, f), 'utf8'))).toEqual([]);
  });
});
