/**
 * log.txt stays small and complete in meaning: no hex payload in full
 * (plain `db <hex>`, positioned `db @<offset> <hex> #<crc>`, relayed
 * `dut db <hex>`), but its offset, length and checksum; a reply on one line.
 */
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

import { describe, expect, it } from 'vitest';

import { silentProgress } from '../../host/core/progress.js';
import { TranscriptLog, loggable } from '../../host/run/session.js';
import { dataDir, runTestSession } from '../helpers.js';

const hex = (n: number, seed = 1): string => Array.from({ length: n }, (_, i) => ((i * 7 + seed) % 16).toString(16)).join('');
const crcHex = (text: string): string => crc32(text).toString(16).padStart(8, '0');

describe('loggable', () => {
  it.each([
    ['db <hex>', (h: string) => `db ${h}`],
    ['db @<offset> <hex> #<crc>', (h: string) => `db @2048 ${h} #0cdaee07`],
    ['[board] dut db <hex>', (h: string) => `[board] dut db ${h}`],
  ])('%s: keeps offset, checksum, length and CRC of the payload, not its digits', (_, form) => {
    const payload = hex(5120);
    const shown = loggable(form(payload));
    expect(shown).not.toMatch(/[0-9a-f]{64}/);
    expect(shown.length).toBeLessThan(100);
    expect(shown).toContain(`…(5120 hex digits, crc32 ${crcHex(payload)})`);
    expect(shown.startsWith(form(payload.slice(0, 16)).split(' #')[0]!)).toBe(true);
    if (form('x').includes('@')) expect(shown).toMatch(/^db @2048 [0-9a-f]{16}…\(5120 hex digits, crc32 [0-9a-f]{8}\) #0cdaee07$/);
  });

  it('leaves short lines alone', () => {
    expect(loggable('m-results-[0.000,0.996]')).toBe('m-results-[0.000,0.996]');
    expect(loggable('db load 2560')).toBe('db load 2560');
  });
});

describe('TranscriptLog', () => {
  it('writes one line per reply and checks integrity lines itself', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tb-log-')), 'log.txt');
    const log = new TranscriptLog(path, new Date('2026-01-02T03:04:05.000Z'));
    const command = 'infer 1 0';
    const body = ['m-warmup-start-0', 'm-infer-done', 'm-results-[11.765988]'];
    const good = `m-crc-[${crcHex(command)},${crcHex(body.map((l) => `${l}\r\n`).join(''))}]`;
    log.write('tx', command);
    for (const line of [...body, good, 'm-ready']) log.write('rx', line);
    log.write('tx', command);
    for (const line of [...body, 'm-crc-[00000000,11111111]', 'm-ready']) log.write('rx', line);
    log.write('tx', 'name');
    log.write('rx', 'm-name-dut-[x]');
    log.write('note', 'RECOVERY something');
    await log.close();
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    expect(lines[0]).toMatch(/^# log of 2026-01-02T03:04:05\.000Z: seconds since then/);
    expect(lines[1]).toMatch(/^\d+\.\d{3} > infer 1 0$/);
    expect(lines[2]).toMatch(/^\d+\.\d{3} < m-warmup-start-0\|m-infer-done\|m-results-\[11\.765988\]\|m-crc ok$/);
    // A mismatching integrity line is kept as received.
    expect(lines[4]).toMatch(/< m-warmup-start-0\|m-infer-done\|m-results-\[11\.765988\]\|m-crc-\[00000000,11111111\]$/);
    // A reply cut short (no m-ready) is visible as such.
    expect(lines[6]).toMatch(/< m-name-dut-\[x\]\|\(no m-ready\)$/);
    expect(lines[7]).toMatch(/# RECOVERY something$/);
  });
});

describe('the log of a real run', () => {
  it('ad01 accuracy: every line is in the log, at most 400 bytes per window, no payload in full', async () => {
    const out = mkdtempSync(join(tmpdir(), 'tb-log-run-'));
    const r = await runTestSession({
      dataDir: dataDir(),
      outDir: out,
      command: ['test'],
      progress: silentProgress,
      say: () => {},
      benchmarks: ['ad01'],
      modes: ['accuracy'],
      dut: { kind: 'sim' },
      limit: 2,
    });
    const doc = r.documents[0]!;
    const windows = doc.perFile!.reduce((n, f) => n + ('windows' in f ? f.windows : 0), 0);
    const path = join(r.sessionDir, 'ad01', 'accuracy', 'log.txt');
    const text = readFileSync(path, 'utf8');
    expect(text).not.toMatch(/[0-9a-f]{64}/);
    // Every load and inference is still there, with its offset and the DUT's answer. The virtual DUT
    // streams each file (db-window): one db load a file, db bin blocks logged by count, and
    // windows a few to an infer, each answered on its own m-window line.
    expect(text.match(/> db load \d+$/gm)!.length).toBe(2);
    expect(text.match(/> db bin \d+ \d+ [0-9a-f]{8} #[0-9a-f]{8}$/gm)!.length).toBeGreaterThanOrEqual((2 * 102_400) / 4096);
    // Each block's own reply is checked by the log (its CRC is the block's): one line, 'm-crc ok'.
    expect(text.match(/< m-bin-done\|(m-load-done\|m-load-crc-\[[0-9a-f]{8}\]\|)?m-crc ok$/gm)!.length).toBeGreaterThanOrEqual((2 * 102_400) / 4096);
    const asked = [...text.matchAll(/> infer 1 0 @\d+,512,(\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
    expect(asked).toBe(windows);
    expect(text.match(/m-window-\[\d+,\d+,[0-9a-f]{8},[-0-9.]+\]/g)!.length).toBe(windows);
    expect(statSync(path).size / windows).toBeLessThan(400);
  }, 120_000);
});
