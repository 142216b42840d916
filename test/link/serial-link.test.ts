/**
 * SerialLink's polled I/O (reads and writes on the non-blocking descriptor,
 * the poller only on EAGAIN) against node-serialport's stock thread-pool I/O,
 * on a socat pty pair: every byte arrives, in order, both ways, also when the
 * pty's buffer fills and the writer has to wait; closing with a read pending
 * is a clean close; the peer going away is a lost link.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { LinkClosedError } from '../../host/errors.js';
import { SerialLink } from '../../host/link/serial-link.js';
import { type Helper, startHelper, waitForHelpers } from '../../host/sim/child-processes.js';

let socat: Helper | undefined;
afterEach(async () => {
  await socat?.stop();
  socat = undefined;
});

async function ptyPair(): Promise<[string, string]> {
  const dir = mkdtempSync(join(tmpdir(), 'tb-serial-link-'));
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  socat = startHelper('socat', [`pty,link=${a},raw,echo=0`, `pty,link=${b},raw,echo=0`], 'a pty pair');
  await waitForHelpers('the pty pair', () => existsSync(a) && existsSync(b), [socat], 5000);
  return [a, b];
}

/** Bytes a pseudo-random generator makes (not the code under test), so a lost, doubled or swapped chunk shows. */
function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; ++i) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function collect(link: SerialLink, length: number, timeoutMs: number): Promise<Uint8Array> {
  const got = new Uint8Array(length);
  let at = 0;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`only ${at} of ${length} bytes arrived`));
    }, timeoutMs);
    const off = link.onData((chunk) => {
      if (at + chunk.length > length) reject(new Error(`${at + chunk.length - length} bytes more than the ${length} expected arrived`));
      got.set(chunk.subarray(0, length - at), at);
      at += chunk.length;
      if (at >= length) {
        clearTimeout(timer);
        off();
        resolve(got);
      }
    });
  });
}

describe('SerialLink I/O', () => {
  for (const [writer, reader] of [
    ['polled', 'stock'],
    ['stock', 'polled'],
    ['polled', 'polled'],
  ] as const) {
    it(`moves 256 KiB intact from ${writer} to ${reader} I/O, in writes larger than the pty's buffer`, async () => {
      const [a, b] = await ptyPair();
      const tx = await SerialLink.open({ path: a, baudRate: 115200, io: writer });
      const rx = await SerialLink.open({ path: b, baudRate: 115200, io: reader });
      const data = pattern(256 * 1024, 7);
      const arrived = collect(rx, data.length, 20_000);
      for (let at = 0; at < data.length; at += 16 * 1024) await tx.write(data.subarray(at, at + 16 * 1024));
      expect(Buffer.from(await arrived).equals(Buffer.from(data))).toBe(true);
      await tx.close();
      await rx.close();
    });
  }

  it('answers a reply both ways (one command at a time, as the DUT exchange does)', async () => {
    const [a, b] = await ptyPair();
    const host = await SerialLink.open({ path: a, baudRate: 115200 });
    const dut = await SerialLink.open({ path: b, baudRate: 115200 });
    dut.onData((chunk) => void dut.write(chunk.map((c) => c ^ 0x20)));
    for (let i = 0; i < 200; ++i) {
      const sent = pattern(1 + (i % 80), i + 1);
      const reply = collect(host, sent.length, 2000);
      await host.write(sent);
      const expected = sent.map((c) => c ^ 0x20);
      expect(Buffer.from(await reply).equals(Buffer.from(expected))).toBe(true);
    }
    await host.close();
    await dut.close();
  });

  // node-serialport's poller starts polling for only the event last asked for: a read that re-armed 'readable'
  // while a write waited for room used to drop the write's interest, and the write hung until the next byte came in.
  it('a write waiting for room wakes when the peer reads, though the peer sent bytes while it waited', async () => {
    const [a, b] = await ptyPair();
    const host = await SerialLink.open({ path: a, baudRate: 115200 });
    const heard = collect(host, 5, 5000);
    // The peer reads nothing for a while (the host's write fills the pty), then answers, then reads it all.
    const peer = spawn('sh', ['-c', `sleep 0.5; printf hello > ${b}; sleep 0.5; head -c 65536 ${b} > /dev/null`]);
    const peerDone = new Promise((resolve) => peer.on('exit', resolve));
    const wrote = host.write(pattern(65536, 3)).then(() => 'written');
    const outcome = await Promise.race([wrote, new Promise((r) => setTimeout(() => r('still waiting after 10 s'), 10_000))]);
    expect(Buffer.from(await heard).toString()).toBe('hello');
    expect(outcome).toBe('written');
    expect(await peerDone).toBe(0);
    await host.close();
  }, 20_000);

  it('closes cleanly with a read pending, and reports the peer going away as a lost link', async () => {
    const [a, b] = await ptyPair();
    const quiet = await SerialLink.open({ path: a, baudRate: 115200 });
    const closedQuietly = new Promise((resolve) => quiet.onClose(resolve));
    await quiet.close();
    expect(await closedQuietly).toBeUndefined();

    const left = await SerialLink.open({ path: b, baudRate: 115200 });
    const lost = new Promise((resolve) => left.onClose(resolve));
    await socat!.stop();
    socat = undefined;
    const error = await lost;
    expect(error).toBeInstanceOf(LinkClosedError);
    expect(String((error as Error).message)).toMatch(/was lost/);
  });
});
