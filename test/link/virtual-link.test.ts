/** The wall-clock wire model: bytes arrive in the order they were written, whatever their arrival times. */
import { describe, expect, it } from 'vitest';

import { seededRandom } from '../../host/link/faults.js';
import { createVirtualPair } from '../../host/link/virtual-link.js';

describe('VirtualLink on a paced wire', () => {
  it('keeps write order when later chunks are due sooner than a timer can fire', async () => {
    // 0.1 ms a byte and 0.3 ms latency: chunks written half a millisecond apart are due
    // around the 1 ms a timer needs, the case where per-chunk timers delivered out of order.
    const { host, device } = createVirtualPair('paced', { baudRate: 100_000, latencyMs: 0.3 });
    const got: number[] = [];
    device.onData((chunk) => got.push(...chunk));
    const random = seededRandom(7);
    const sent: number[] = [];
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 60; ++i) {
      const chunk = Uint8Array.from({ length: 1 + Math.floor(random() * 12) }, (_, k) => (sent.length + k) % 251);
      sent.push(...chunk);
      writes.push(host.write(chunk));
      const until = performance.now() + random() * 0.8;
      while (performance.now() < until) await new Promise((r) => setImmediate(r));
    }
    await Promise.all(writes);
    expect(got).toEqual(sent);
  });

  it('an unpaced wire still delivers asynchronously, never inside write()', async () => {
    const { host, device } = createVirtualPair('instant');
    let got = 0;
    device.onData((chunk) => (got += chunk.length));
    const written = host.write(Uint8Array.of(1, 2, 3));
    expect(got).toBe(0);
    await written;
    expect(got).toBe(3);
  });
});
