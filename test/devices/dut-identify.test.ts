/**
 * Re-identifying on a damaging link (Dut.profile): a profile reply damaged on
 * the way whose integrity line came intact, with the reply CRC of the last
 * intact one, is that reply — the same DUT — without sending profile again.
 */
import { describe, expect, it } from 'vitest';

import { BENCHMARKS } from '../../host/bench/benchmark.js';
import { Dut } from '../../host/devices/dut.js';
import { LineChannel } from '../../host/devices/line-channel.js';
import type { Link } from '../../host/link/link.js';
import { VirtualDutConnection } from '../../host/sim/wasm-dut.js';
import { dataDir } from '../helpers.js';

/** Changes one character of the next profile reply's features line on its way to the host. */
function damagingProfile(link: Link): { link: Link; damageNext: () => void; damaged: () => number } {
  let armed = false;
  let count = 0;
  return {
    damageNext: () => void (armed = true),
    damaged: () => count,
    link: {
      get description() {
        return link.description;
      },
      get isOpen() {
        return link.isOpen;
      },
      write: (data) => link.write(data),
      onData: (listener) =>
        link.onData((chunk) => {
          const text = Buffer.from(chunk).toString('latin1');
          if (armed && text.includes('db-window')) {
            armed = false;
            count++;
            listener(Buffer.from(text.replace('db-window', 'dB-window'), 'latin1'));
          } else listener(chunk);
        }),
      onClose: (l) => link.onClose(l),
      close: () => link.close(),
    },
  };
}

async function connect() {
  const virtual = await VirtualDutConnection.open({ benchmark: BENCHMARKS.kws01, dataDir: dataDir() });
  const wire = damagingProfile(virtual.link);
  const channel = new LineChannel(wire.link, { integrityGraceMs: 50 });
  await channel.settle(20, 1000);
  const dut = new Dut(channel, { commandTimeoutMs: 1000, settleQuietMs: 10 });
  return { dut, wire, close: () => virtual.link.close() };
}

describe('identifying again on a damaging link', () => {
  it('a damaged profile reply with the intact integrity line of the known reply is taken as that reply', async () => {
    const { dut, wire, close } = await connect();
    const first = await dut.identify();
    wire.damageNext();
    const again = await dut.identify();
    expect(wire.damaged()).toBe(1);
    expect(again).toEqual(first);
    expect(dut.resends).toBe(0);
    await close();
  });

  it('one whose reply CRC is not the known one is asked for again', async () => {
    const { dut, wire, close } = await connect();
    const first = await dut.identify();
    // As if the last intact reply had been another DUT's.
    dut.profileReplyCrc = (dut.profileReplyCrc! + 1) >>> 0;
    wire.damageNext();
    const again = await dut.identify();
    expect(wire.damaged()).toBe(1);
    expect(again).toEqual(first);
    expect(dut.resends).toBe(1);
    await close();
  });

  it('the first identification never takes a damaged reply (nothing known yet)', async () => {
    const { dut, wire, close } = await connect();
    wire.damageNext();
    const identity = await dut.identify();
    expect(wire.damaged()).toBe(1);
    expect(identity.features).toContain('db-window');
    expect(dut.resends).toBe(1);
    await close();
  });
});
