/**
 * `tiny-bench serve` in-process: the virtual DUT on a pty, opened the way a
 * board is (SerialLink), in both flavours; a rate the host sets reaches the
 * wire model; closing removes the pty links; what a host measures through the
 * pty is labelled SIMULATED, as the virtual DUT says it is.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { BENCHMARKS } from '../../host/bench/benchmark.js';
import { LineChannel } from '../../host/devices/line-channel.js';
import { SerialLink } from '../../host/link/serial-link.js';
import { type ServedDut, ptySpeed, serveVirtualDut } from '../../host/sim/serve.js';
import { modelPath } from '../../datasets/data-dir.js';
import { silentProgress } from '../../host/core/progress.js';
import { ResultsDocument } from '../../host/report/results-schema.js';
import { dataDir, runTestSession } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'tb-serve-'));
const model = readFileSync(modelPath(dataDir(), BENCHMARKS.kws01));
const served: ServedDut[] = [];
afterAll(async () => {
  for (const s of served) await s.close();
});

async function serve(name: string, extra: { standard?: boolean; wireBaud?: number } = {}): Promise<ServedDut> {
  const s = await serveVirtualDut({ benchmark: BENCHMARKS.kws01, model, linkPath: join(dir, name), baudPollMs: 50, ...extra });
  served.push(s);
  return s;
}

async function ask(path: string, command: string, baudRate = 115200): Promise<string[]> {
  const link = await SerialLink.open({ path, baudRate });
  const channel = new LineChannel(link);
  try {
    await channel.settle(50, 500);
    return await channel.command(command, 3000);
  } finally {
    channel.close();
    await link.close();
  }
}

describe('tiny-bench serve', () => {
  it('tiny-bench flavour advertises its buffer and features and ends replies with an integrity line', async () => {
    const s = await serve('tb');
    const lines = await ask(s.path, 'profile');
    expect(lines).toContain('m-model-[kws01]');
    expect(lines).toContain('m-cmd-buffer-[8192]');
    expect(lines.some((l) => l.startsWith('m-features-['))).toBe(true);
    expect(lines.at(-1)).toMatch(/^m-crc-\[[0-9a-f]{8},[0-9a-f]{8}\]$/);
  });

  it('--standard answers like the reference harness: no extension lines, no positioned chunks', async () => {
    const s = await serve('std', { standard: true });
    expect(await ask(s.path, 'profile')).toEqual(['m-profile-[tiny-bench firmware 0.1.0]', 'm-model-[kws01]']);
    expect(await ask(s.path, 'db load 2')).toEqual(['m-[Expecting 2 bytes]']);
    expect(await ask(s.path, 'db 0102')).toEqual(['m-load-done']);
    const positioned = await ask(s.path, 'db @0 0102');
    expect(positioned.some((l) => l.startsWith('e-['))).toBe(true);
  });

  it('a rate the host sets on the pty becomes the modelled wire rate', async () => {
    const s = await serve('rate', { wireBaud: 115200 });
    expect(s.wire.baudRate).toBe(115200);
    const link = await SerialLink.open({ path: s.path, baudRate: 57600 });
    try {
      expect(await ptySpeed(s.path)).toBe(57600);
      const deadline = Date.now() + 3000;
      while (s.wire.baudRate !== 57600 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(s.wire.baudRate).toBe(57600);
      expect(s.rateChanges).toEqual([57600]);
    } finally {
      await link.close();
    }
  });

  for (const standard of [false, true]) {
    it(`a run on its pty (${standard ? 'standard' : 'tiny-bench'} flavour) is labelled SIMULATED: the DUT says so in its name`, async () => {
      const s = await serve(standard ? 'run-std' : 'run-tb', { standard });
      expect(await ask(s.path, 'name')).toContain('m-name-dut-[tiny-bench virtual DUT (SIMULATED)]');
      const { sessionDir } = await runTestSession({
        dataDir: dataDir(),
        outDir: mkdtempSync(join(tmpdir(), 'tb-serve-run-')),
        command: ['test'],
        progress: silentProgress,
        say: () => {},
        benchmarks: ['kws01'],
        modes: ['accuracy'],
        limit: 2,
        dut: { kind: 'serial', path: s.path, baudRate: 115200 },
      });
      const doc = ResultsDocument.parse(JSON.parse(readFileSync(join(sessionDir, 'kws01', 'accuracy', 'results.json'), 'utf8')));
      expect(doc.simulated).toBe(true);
      expect(readFileSync(join(sessionDir, 'kws01', 'accuracy', 'results.txt'), 'utf8')).toMatch(/ulp-mlperf: SIMULATED: /);
    });
  }

  it('refuses a link path that exists, and close removes both pty links', async () => {
    const s = await serve('gone');
    await expect(serve('gone')).rejects.toThrow(/already exists/);
    await s.close();
    expect(existsSync(join(dir, 'gone'))).toBe(false);
    expect(existsSync(join(dir, '.gone.dut'))).toBe(false);
  });
});
