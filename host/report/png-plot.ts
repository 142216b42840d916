/**
 * A small PNG line plot with no dependencies: the power trace the submission
 * checker wants beside an sww01 energy result (`energy_inf_000.png`).
 * Pure: numbers in, PNG bytes out (zlib from Node for the deflate and CRC).
 */
import { crc32, deflateSync } from 'node:zlib';

type Rgb = [number, number, number];

/** An 8-bit RGB PNG of `rgb` (width x height x 3 bytes, rows top to bottom). */
export function encodePng(width: number, height: number, rgb: Uint8Array): Uint8Array {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; ++y) {
    raw[y * (width * 3 + 1)] = 0; // filter: none
    Buffer.from(rgb.buffer, rgb.byteOffset + y * width * 3, width * 3).copy(raw, y * (width * 3 + 1) + 1);
  }
  const chunk = (type: string, data: Buffer): Buffer => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * Power (mW per bin) as a stepped line from zero, with vertical markers
 * (e.g. the timestamp edges) at `markersAt` (bin positions, fractional).
 */
export function powerTracePng(powerMw: readonly number[], markersAt: readonly number[], width = 800, height = 300): Uint8Array {
  const rgb = new Uint8Array(width * height * 3).fill(255);
  const set = (x: number, y: number, c: Rgb): void => {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    rgb.set(c, (y * width + x) * 3);
  };
  const margin = 20;
  const top = Math.max(1e-9, ...powerMw) * 1.1;
  const px = (bin: number): number => Math.round(margin + (bin / Math.max(1, powerMw.length)) * (width - 2 * margin));
  const py = (mw: number): number => Math.round(height - margin - (mw / top) * (height - 2 * margin));
  for (let x = margin; x < width - margin; ++x) set(x, height - margin, [120, 120, 120]);
  for (let y = margin; y <= height - margin; ++y) set(margin, y, [120, 120, 120]);
  for (const m of markersAt) for (let y = margin; y < height - margin; y += 2) set(px(m), y, [179, 38, 30]);
  let lastY = py(powerMw[0] ?? 0);
  powerMw.forEach((p, i) => {
    const y = py(p);
    for (let yy = Math.min(y, lastY); yy <= Math.max(y, lastY); ++yy) set(px(i), yy, [74, 123, 208]);
    for (let x = px(i); x <= px(i + 1); ++x) set(x, y, [74, 123, 208]);
    lastY = y;
  });
  return encodePng(width, height, rgb);
}
