/**
 * Baud switching between the host (baud-switch.ts) and the C harness (the
 * WebAssembly build) over a virtual wire whose two ends each have a rate:
 * bytes between ends at different rates, or faster than the wire carries,
 * arrive garbled, as on a real line.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { BENCHMARKS } from '../../host/bench/benchmark.js';
import { LinkRate, binaryBlockFor, findDutRate, switchBaud } from '../../host/devices/baud-switch.js';
import { binaryBlockCommand } from '../../host/devices/binary-load.js';
import { Dut } from '../../host/devices/dut.js';
import { DutSession } from '../../host/devices/dut-session.js';
import { LineChannel } from '../../host/devices/line-channel.js';
import type { Link } from '../../host/link/link.js';
import type { WireModel } from '../../host/link/virtual-link.js';
import { VirtualDutConnection } from '../../host/sim/wasm-dut.js';
import { dataDir } from '../helpers.js';

const kws = BENCHMARKS.kws01;
const model = readFileSync(join(dataDir(), 'models', kws.modelFile));

async function connect(wire: WireModel = {}) {
  const virtual = await VirtualDutConnection.open({ benchmark: kws, model, wire });
  const channel = new LineChannel(virtual.link, { integrityGraceMs: 50 });
  const dut = new Dut(channel, { commandTimeoutMs: 1000, settleQuietMs: 5 });
  await channel.settle(5, 200);
  await dut.identify();
  return { virtual, dut, channel };
}

const input = new Uint8Array(kws.inputBytes).map((_, i) => (i * 7) & 0xff);

/** The host's view of `link` with the first reply chunk containing `marker` damaged (one byte changed). */
function damagingReply(link: Link, marker: string): Link {
  let done = false;
  return {
    get description() {
      return link.description;
    },
    get isOpen() {
      return link.isOpen;
    },
    write: (d) => link.write(d),
    setBaudRate: (b) => link.setBaudRate!(b),
    onData: (listener) =>
      link.onData((chunk) => {
        const at = Buffer.from(chunk).toString('latin1').indexOf(marker);
        if (done || at < 0) return listener(chunk);
        done = true;
        const copy = new Uint8Array(chunk);
        copy[at + marker.length]! ^= 0x01;
        listener(copy);
      }),
    onClose: (l) => link.onClose(l),
    close: () => link.close(),
  };
}

async function connectDamaging(marker: string) {
  const virtual = await VirtualDutConnection.open({ benchmark: kws, model, wire: { lineRate: 115200 } });
  const channel = new LineChannel(damagingReply(virtual.link, marker), { integrityGraceMs: 50 });
  const dut = new Dut(channel, { commandTimeoutMs: 1000, settleQuietMs: 5 });
  await channel.settle(5, 200);
  await dut.identify();
  return { virtual, dut };
}

describe('baud switch', () => {
  it('binary blocks grow with the rate: a quarter second of wire, never below 2048 bytes', () => {
    expect(binaryBlockFor(9600)).toBe(2048);
    expect(binaryBlockFor(115200)).toBe(2048);
    expect(binaryBlockFor(921600)).toBe(16384);
    expect(binaryBlockFor(3_000_000)).toBe(65536);
  });

  it('the DUT advertises baud; after a switch both ends run at 921600 and a load and an inference go through', async () => {
    const { virtual, dut } = await connect({ lineRate: 115200 });
    expect(dut.identity?.features).toContain('baud');
    const outcome = await switchBaud(dut, 921600, 115200);
    expect(outcome).toMatchObject({ rate: 921600, switched: true });
    expect(virtual.dut.uartRate).toBe(921600);
    await dut.load(input);
    const reply = await dut.infer(1, 0);
    expect(reply.results.length).toBeGreaterThan(0);
    // The commit holds: past the window the DUT stays at the new rate.
    await new Promise((r) => setTimeout(r, 1700));
    expect(virtual.dut.uartRate).toBe(921600);
    await dut.resynchronise();
    await virtual.close();
  });

  it('a wire that cannot carry the rate: the probe fails, the host falls back and the DUT goes back by itself', async () => {
    const { virtual, dut } = await connect({ lineRate: 115200, maxBaudRate: 460800 });
    const t0 = performance.now();
    const outcome = await switchBaud(dut, 921600, 115200);
    expect(outcome.switched).toBe(false);
    expect(outcome.rate).toBe(115200);
    expect(outcome.note).toMatch(/no answer at 921600 baud.*both back at 115200/);
    // Bounded: the DUT's 1.5 s window and a few short exchanges.
    expect(performance.now() - t0).toBeLessThan(4000);
    expect(virtual.dut.uartRate).toBe(115200);
    await dut.load(input);
    expect((await dut.infer(1, 0)).results.length).toBeGreaterThan(0);
    await virtual.close();
  });

  it('the ack damaged on the way: the DUT switched unseen, goes back after its window; the host checks at 115200', async () => {
    const { virtual, dut } = await connectDamaging('m-baud-[');
    const outcome = await switchBaud(dut, 921600, 115200);
    expect(outcome).toMatchObject({ rate: 115200, switched: false, kind: 'damaged' });
    expect(outcome.note).toMatch(/reply CRC mismatch/);
    expect(virtual.dut.uartRate).toBe(115200);
    await dut.load(input);
    await virtual.close();
  });

  it("the commit's reply damaged: the DUT committed; the host finds it at 921600", async () => {
    const { virtual, dut } = await connectDamaging('m-baud-commit-[');
    const outcome = await switchBaud(dut, 921600, 115200);
    // The commit is resent within the window and answered: the switch stands.
    expect(outcome).toMatchObject({ rate: 921600, switched: true });
    expect(virtual.dut.uartRate).toBe(921600);
    await dut.load(input);
    await virtual.close();
  });

  it('a rate the UART cannot make is refused at the old rate, nothing switches', async () => {
    const { virtual, dut } = await connect({ lineRate: 115200 });
    const outcome = await switchBaud(dut, 8_000_000, 115200);
    expect(outcome).toMatchObject({ rate: 115200, switched: false });
    expect(outcome.note).toMatch(/refused 8000000 baud/);
    await dut.resynchronise();
    await virtual.close();
  });

  it('a restarted DUT is back at its boot rate and a reopened link starts there: relocate finds the DUT each time', async () => {
    const { virtual, dut } = await connect({ lineRate: 115200 });
    const rate = new LinkRate(115200, 921600);
    await rate.engage(dut);
    expect(rate.current).toBe(921600);
    // A reset: the DUT's banner goes out at 115200 to a host at 921600 (garbage); found at the boot rate.
    virtual.dut.reboot();
    expect(virtual.dut.uartRate).toBe(115200);
    await rate.relocate(dut, false);
    expect(rate.current).toBe(115200);
    await rate.engage(dut);
    expect(rate.current).toBe(921600);
    // A replug: the DUT keeps running at 921600, the new link opens at 115200.
    const link = await virtual.reopen();
    const channel = new LineChannel(link, { integrityGraceMs: 50 });
    const again = new Dut(channel, { commandTimeoutMs: 1000, settleQuietMs: 5 });
    again.identity = dut.identity;
    again.integrityChecked = true;
    rate.linkOpened();
    expect(await findDutRate(again, [115200, 921600])).toBe(921600);
    await virtual.close();
  });

  it('a DUT left at 921600 by an earlier session (its port does not reset it): the next session finds it there', async () => {
    const { virtual, dut } = await connect({ lineRate: 115200 });
    expect((await switchBaud(dut, 921600, 115200)).switched).toBe(true);
    dut.channel.close();
    // A new host process: a fresh link at 115200, a client that knows nothing of the DUT.
    const link = await virtual.reopen();
    const rate = new LinkRate(115200, 921600);
    const session = await DutSession.open(
      { link, bootWaitMs: 50, reopen: () => virtual.reopen() },
      { linkRate: rate, commandTimeoutMs: 400, settleQuietMs: 5, channel: { integrityGraceMs: 50 } },
    );
    try {
      expect(session.identity.model).toBe('kws01');
      expect(rate.current).toBe(921600);
      expect(rate.outcome?.note).toMatch(/already ran at 921600/);
      await session.run('sample', async (d) => {
        await d.load(input);
        return d.infer(1, 0);
      });
    } finally {
      await session.close();
      await virtual.close();
    }
  });

  it('a link lost in the middle of a db bin block at 921600: the DUT still waiting for its bytes is found and freed', async () => {
    const { virtual, dut } = await connect({ lineRate: 115200 });
    const rate = new LinkRate(115200, 921600);
    await rate.engage(dut);
    // A block announced, its bytes never sent: then the link goes and is plugged again (at 115200).
    await dut.send('db load 490');
    expect(await dut.send(binaryBlockCommand(0, input))).toContain('m-bin-ready');
    const link = await virtual.reopen();
    const again = new Dut(new LineChannel(link, { integrityGraceMs: 50 }), { commandTimeoutMs: 1000, settleQuietMs: 5 });
    again.identity = dut.identity;
    again.integrityChecked = true;
    again.binaryBytesOwed = input.length;
    rate.linkOpened();
    await rate.relocate(again, false);
    expect(rate.current).toBe(921600);
    expect(again.binaryBytesOwed).toBe(0);
    await again.identify();
    await again.load(input);
    expect((await again.infer(1, 0)).results.length).toBeGreaterThan(0);
    await virtual.close();
  });
});
