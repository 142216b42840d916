import { inflateSync } from 'node:zlib';

import { describe, expect, it } from 'vitest';

import { encodePng, powerTracePng } from '../../host/report/png-plot.js';

/** Reads back an 8-bit RGB PNG (filter 0 rows) written by encodePng: independent of the writer's code paths. */
function decode(png: Uint8Array): { width: number; height: number; pixel: (x: number, y: number) => number[] } {
  const b = Buffer.from(png);
  expect(b.subarray(0, 8).toString('latin1')).toBe('\x89PNG\r\n\x1a\n');
  let at = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (at < b.length) {
    const len = b.readUInt32BE(at);
    const type = b.subarray(at + 4, at + 8).toString('latin1');
    const data = b.subarray(at + 8, at + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect([data[8], data[9]]).toEqual([8, 2]);
    }
    if (type === 'IDAT') idat.push(data);
    at += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  expect(raw.length).toBe((width * 3 + 1) * height);
  return { width, height, pixel: (x, y) => [...raw.subarray(y * (width * 3 + 1) + 1 + x * 3, y * (width * 3 + 1) + 4 + x * 3)] };
}

describe('PNG plot', () => {
  it('encodes pixels that decode back', () => {
    const rgb = new Uint8Array(2 * 2 * 3);
    rgb.set([255, 0, 0], 0);
    rgb.set([0, 0, 255], 9);
    const d = decode(encodePng(2, 2, rgb));
    expect([d.width, d.height]).toEqual([2, 2]);
    expect(d.pixel(0, 0)).toEqual([255, 0, 0]);
    expect(d.pixel(1, 1)).toEqual([0, 0, 255]);
    expect(d.pixel(1, 0)).toEqual([0, 0, 0]);
  });

  it('draws a higher power bin higher up', () => {
    const d = decode(powerTracePng([1, 1, 10, 10], [], 100, 100));
    const lineRow = (x: number): number => [...Array(100).keys()].find((y) => d.pixel(x, y).join() === '74,123,208') ?? -1;
    expect(lineRow(30)).toBeGreaterThan(lineRow(70));
  });
});
