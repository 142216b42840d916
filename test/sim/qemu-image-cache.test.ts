/**
 * The QEMU image cache when two processes need the same image at once (test
 * files run side by side after a firmware change): each builds in a folder of
 * its own and moves it into place whole, so no process ever sees the image's
 * folder half built, and both end with the same complete image.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { describe, expect, it } from 'vitest';

import { dataDir, repoRoot } from '../helpers.js';

describe('QEMU image cache', () => {
  it('two builds of one image at once: the cached folder only ever appears complete', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'tb-image-cache-'));
    const images = join(cache, 'tiny-bench', 'qemu-images');
    const module = pathToFileURL(join(repoRoot, 'dist', 'host', 'sim', 'qemu-dut.js')).href;
    const model = join(dataDir(), 'models', 'kws_ref_model.tflite');
    const script = `const { ensureQemuImage } = await import(${JSON.stringify(module)}); console.log(ensureQemuImage({ id: 'kws01' }, ${JSON.stringify(model)}).elf);`;
    const build = () =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, XDG_CACHE_HOME: cache } });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.on('exit', (code) => resolve({ code, out: out.trim() }));
      });
    const halfBuilt = new Set<string>();
    const watch = setInterval(() => {
      if (!existsSync(images)) return;
      for (const entry of readdirSync(images)) {
        if (entry.includes('.building-')) continue;
        const files = existsSync(join(images, entry)) ? readdirSync(join(images, entry)) : [];
        if (!files.includes('build.txt') || !files.some((f) => f.endsWith('.elf'))) halfBuilt.add(`${entry}: ${files.join(' ')}`);
      }
    }, 2);
    const [a, b] = await Promise.all([build(), build()]);
    clearInterval(watch);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(a.out).toBe(b.out);
    expect(existsSync(a.out)).toBe(true);
    expect([...halfBuilt]).toEqual([]);
    expect(readdirSync(images).filter((e) => e.includes('.building-'))).toEqual([]);
  }, 180_000);
});
