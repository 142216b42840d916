import { crc32 } from 'node:zlib';

import { describe, expect, it } from 'vitest';

import { type AheadStep, dbBinCommand, dbPutCommand, planAhead, stepBytes } from '../../host/protocol/overlap.js';

const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 37) & 255);
const hex = (v: number): string => v.toString(16).padStart(8, '0');
const link = { binary: true, put: true, commandBuffer: 8192, rxBuffer: 4095 };

describe('db put / db bin commands', () => {
  it('carry the length, the data CRC and the CRC of their own text', () => {
    const data = bytes(490);
    const text = `db put 490 ${hex(crc32(data))}`;
    expect(dbPutCommand(data)).toBe(`${text} #${hex(crc32(text))}`);
    const bin = `db bin 2048 490 ${hex(crc32(data))}`;
    expect(dbBinCommand(2048, data)).toBe(`${bin} #${hex(crc32(bin))}`);
  });
});

describe('planAhead', () => {
  it('a small input: one db put, its block, infer 1 0 — 40 bytes of commands for kws01', () => {
    const data = bytes(490);
    const steps = planAhead(data, link)!;
    expect(steps.map((s) => s.kind)).toEqual(['header', 'block', 'infer']);
    expect(steps[1]).toMatchObject({ offset: 0, last: true, bytes: data });
    expect(steps[2]).toEqual({ kind: 'infer', text: 'infer 1 0' });
    const commands = steps.filter((s) => s.kind !== 'block').reduce((n, s) => n + stepBytes(s), 0);
    expect(commands).toBe(40);
  });

  it('an input beyond half the RX buffer: db load, then blocks that fit half of it with their header', () => {
    const data = bytes(27648);
    const steps = planAhead(data, link)!;
    expect(steps[0]).toEqual({ kind: 'load', text: 'db load 27648', length: 27648 });
    const blocks = steps.filter((s): s is Extract<AheadStep, { kind: 'block' }> => s.kind === 'block');
    expect(blocks.every((b) => b.bytes.length <= 2047)).toBe(true);
    expect(Buffer.concat(blocks.map((b) => b.bytes)).equals(Buffer.from(data))).toBe(true);
    expect(blocks.map((b) => b.last)).toEqual(blocks.map((_, i) => i === blocks.length - 1));
    // Each block follows its own header.
    steps.forEach((s, i) => {
      if (s.kind !== 'block') return;
      expect(steps[i - 1]).toMatchObject({ kind: 'header', blockBytes: s.bytes.length });
      // Two blocks with their headers fit the buffer behind an infer the DUT still runs.
      expect(2 * (stepBytes(steps[i - 1]!) + s.bytes.length)).toBeLessThanOrEqual(4095);
    });
    expect(steps.at(-1)!.kind).toBe('infer');
  });

  it('without db put a small input still gets db load first', () => {
    expect(planAhead(bytes(490), { ...link, put: false })!.map((s) => s.kind)).toEqual(['load', 'header', 'block', 'infer']);
  });

  it('hex: positioned chunks with their CRC, each command within half the RX buffer and the command buffer', () => {
    const data = bytes(5000);
    const steps = planAhead(data, { ...link, binary: false, commandBuffer: 1500 })!;
    const chunks = steps.filter((s) => s.kind === 'chunk');
    for (const c of chunks) expect(stepBytes(c)).toBeLessThanOrEqual(1501);
    const joined = chunks.map((c) => /^db @\d+ ([0-9a-f]+) #[0-9a-f]{8}$/.exec((c as { text: string }).text)![1]).join('');
    expect(joined).toBe(Buffer.from(data).toString('hex'));
    expect(chunks.map((c) => (c as { last: boolean }).last).filter(Boolean)).toHaveLength(1);
    const small = planAhead(data, { ...link, binary: false, rxBuffer: 1024 })!;
    for (const s of small) expect(stepBytes(s)).toBeLessThanOrEqual(512);
  });

  it('a buffer too small to be worth it: no plan', () => {
    expect(planAhead(bytes(490), { ...link, rxBuffer: 255 })).toBeUndefined();
  });
});
