/**
 * A virtual wire whose two ends each have a UART rate (WireModel.lineRate):
 * bytes are paced at the sender's rate, and arrive garbled (NULs) between
 * ends at different rates or above the wire's maxBaudRate.
 */
import { describe, expect, it } from 'vitest';

import { type WireClock, createVirtualPair } from '../../host/link/virtual-link.js';

/** A clock that runs each scheduled delivery at once and remembers when it was due. */
function recordingClock(): WireClock & { due: number[] } {
  const due: number[] = [];
  return { nowUs: 0, due, at: (atUs, run) => (due.push(atUs), run()) };
}

function received(link: { onData(l: (c: Uint8Array) => void): () => void }): number[] {
  const bytes: number[] = [];
  link.onData((c) => bytes.push(...c));
  return bytes;
}

describe('virtual wire with a rate at each end', () => {
  it('equal rates carry bytes intact; after one end switches, its bytes arrive as NULs of the same length', async () => {
    const { host, device } = createVirtualPair('t', { lineRate: 115200, clock: recordingClock() });
    const got = received(device);
    await host.write(Buffer.from('name%'));
    expect(Buffer.from(got).toString()).toBe('name%');
    got.length = 0;
    await host.setBaudRate(921600);
    await host.write(Buffer.from('name%'));
    expect(got).toEqual([0, 0, 0, 0, 0]);
    got.length = 0;
    await device.setBaudRate(921600);
    await host.write(Buffer.from('ok%'));
    expect(Buffer.from(got).toString()).toBe('ok%');
  });

  it('bytes above the wire maxBaudRate arrive garbled even when both ends agree', async () => {
    const { host, device } = createVirtualPair('t', { lineRate: 115200, maxBaudRate: 460800, clock: recordingClock() });
    const got = received(host);
    await host.setBaudRate(921600);
    await device.setBaudRate(921600);
    await device.write(Buffer.from('m-ready\r\n'));
    expect(got.every((b) => b === 0)).toBe(true);
  });

  it('pacing follows the sender: 1152 bytes take 100 ms of wire at 115200, 12.5 ms at 921600', async () => {
    const clock = recordingClock();
    const { host, device } = createVirtualPair('t', { baudRate: 115200, lineRate: 115200, clock });
    received(device);
    await host.write(new Uint8Array(1152));
    expect(clock.due.at(-1)).toBeCloseTo(100_000, 3);
    await host.setBaudRate(921600);
    await device.setBaudRate(921600);
    await host.write(new Uint8Array(1152));
    expect(clock.due.at(-1)! - 100_000).toBeCloseTo(12_500, 3);
  });
});
