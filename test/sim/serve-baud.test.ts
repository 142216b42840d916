/**
 * A baud switch against `tiny-bench serve`: the DUT switches its UART, the
 * host sets the pty, and the modelled wire follows the pty's rate.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { modelPath } from '../../datasets/data-dir.js';
import { BENCHMARKS } from '../../host/bench/benchmark.js';
import { LinkRate } from '../../host/devices/baud-switch.js';
import { Dut } from '../../host/devices/dut.js';
import { LineChannel } from '../../host/devices/line-channel.js';
import { SerialLink } from '../../host/link/serial-link.js';
import { type ServedDut, ptySpeed, serveVirtualDut } from '../../host/sim/serve.js';
import { dataDir } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'tb-serve-baud-'));
const served: ServedDut[] = [];
afterAll(async () => {
  for (const s of served) await s.close();
});

describe('tiny-bench serve and a baud switch', () => {
  it('switches to 921600: the DUT reports it, the pty and the modelled wire follow, commands still go through', async () => {
    const s = await serveVirtualDut({
      benchmark: BENCHMARKS.kws01,
      model: readFileSync(modelPath(dataDir(), BENCHMARKS.kws01)),
      linkPath: join(dir, 'dut'),
      wireBaud: 115200,
      wireRttMs: 1,
      baudPollMs: 50,
    });
    served.push(s);
    const link = await SerialLink.open({ path: s.path, baudRate: 115200 });
    const channel = new LineChannel(link);
    try {
      await channel.settle(50, 1000);
      const dut = new Dut(channel, { settleQuietMs: 20 });
      await dut.identify();
      const rate = new LinkRate(115200, 921600);
      await rate.engage(dut);
      expect(rate.outcome).toMatchObject({ switched: true, rate: 921600 });
      expect(link.description).toMatch(/@ 921600 baud$/);
      expect(await ptySpeed(s.path)).toBe(921600);
      const deadline = Date.now() + 3000;
      while (s.wire.baudRate !== 921600 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(s.wire.baudRate).toBe(921600);
      expect(s.dutRates).toEqual([921600]);
      await dut.load(new Uint8Array(BENCHMARKS.kws01.inputBytes));
      expect((await dut.infer(1, 0)).results.length).toBeGreaterThan(0);
    } finally {
      channel.close();
      await link.close();
    }
  });
});
