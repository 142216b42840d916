/** tiny-bench fetch against a local HTTP server serving the shared data folder. */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { fetchData, loadManifest } from '../../datasets/fetch.js';
import { silentProgress } from '../../host/core/progress.js';
import { dataDir } from '../helpers.js';

let server: Server;
let base = '';
const served: Array<{ path: string; range?: string }> = [];
/** Files whose first full transfer is cut in the middle. */
const cutOnce = new Set<string>();
/** Files served with one byte flipped. */
const corrupt = new Set<string>();

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url!, 'http://x').pathname).slice(1);
    const file = join(dataDir(), path);
    if (path.includes('..') || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    let body = readFileSync(file);
    if (corrupt.has(path)) {
      body = Buffer.from(body);
      body[body.length >> 1]! ^= 0xff;
    }
    served.push({ path, ...(req.headers.range ? { range: req.headers.range } : {}) });
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = m ? Number(m[1]) : 0;
    res.writeHead(m ? 206 : 200, {
      'content-length': body.length - start,
      ...(m ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
    });
    if (!m && cutOnce.delete(path)) {
      res.write(body.subarray(0, body.length >> 1), () => res.destroy());
      return;
    }
    res.end(body.subarray(start));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

describe('tiny-bench fetch', () => {
  it('downloads models and the kws01 set, verifies every checksum, and resumes an interrupted download', async () => {
    const dest = mkdtempSync(join(tmpdir(), 'tb-fetch-'));
    cutOnce.add('models/vww_96_int8.tflite');
    const summary = await fetchData({ dest, mirror: base, progress: silentProgress });
    const manifest = loadManifest();
    expect(summary.downloaded).toBe(manifest.files.length);
    for (const f of manifest.files) expect(sha(join(dest, f.path)), f.path).toBe(f.sha256);
    // The cut transfer was resumed with a Range request, not restarted.
    const vww = served.filter((s) => s.path === 'models/vww_96_int8.tflite');
    expect(vww).toHaveLength(2);
    expect(vww[1]!.range).toBe(`bytes=${Math.floor(statSync(join(dest, 'models/vww_96_int8.tflite')).size / 2)}-`);
    // A second run finds everything in place.
    const again = await fetchData({ dest, mirror: base, only: ['models'], progress: silentProgress });
    expect(again).toEqual({ downloaded: 0, alreadyPresent: 4, bytes: 0 });
  });

  it('rejects a corrupted file and does not install it', async () => {
    const dest = mkdtempSync(join(tmpdir(), 'tb-fetch-bad-'));
    corrupt.add('models/ad01_int8.tflite');
    await expect(fetchData({ dest, mirror: base, only: ['models'], progress: silentProgress })).rejects.toThrow(
      /models\/ad01_int8.tflite: checksum mismatch .* rejected and not installed/,
    );
    expect(existsSync(join(dest, 'models/ad01_int8.tflite'))).toBe(false);
    expect(existsSync(join(dest, 'models/ad01_int8.tflite.part'))).toBe(false);
    corrupt.clear();
  });

  it('copies from a mirror folder too', async () => {
    const dest = mkdtempSync(join(tmpdir(), 'tb-fetch-dir-'));
    const summary = await fetchData({ dest, mirror: dataDir(), only: ['models'], progress: silentProgress });
    expect(summary.downloaded).toBe(4);
  });
});
