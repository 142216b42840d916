/**
 * DutSession: recovery counts only real recoveries; a DUT that is still
 * booting when the port opens costs none.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { BENCHMARKS } from '../../host/bench/benchmark.js';
import { DutSession } from '../../host/devices/dut-session.js';
import { VirtualDutConnection } from '../../host/sim/wasm-dut.js';
import { scriptedDut } from '../fakes/scripted-dut.js';
import { dataDir } from '../helpers.js';

/** The timing bench-run gives a serial port: boards may take 2 s to boot. */
const serial = { bootWaitMs: 2000 };
const options = (recoveries: string[]) => ({ commandTimeoutMs: 1000, settleQuietMs: 200, onRecovery: (m: string) => recoveries.push(m) });

describe('DutSession start-up', () => {
  it('a board whose banner comes 800 ms after the port opens loses no command and counts no recovery', async () => {
    const dut = scriptedDut({ model: 'kws01', bootAfterMs: 800 });
    const recoveries: string[] = [];
    const t0 = Date.now();
    const session = await DutSession.open({ link: dut.link, ...serial }, options(recoveries));
    expect(session.identity.model).toBe('kws01');
    expect(recoveries).toEqual([]);
    expect(session.stats).toEqual({ retries: 0, resets: 0, reconnects: 0, resends: 0 });
    // `name` went out once, after the banner, not into a board still starting.
    expect(dut.commands.filter((c) => c === 'name')).toEqual(['name']);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(800);
    session.close();
  });

  it('a banner that arrives while the first name is answered is the boot, not a restart', async () => {
    let first = true;
    const dut = scriptedDut({
      model: 'kws01',
      answersWhileBooting: true,
      rewrite: (command, lines) => {
        if (command !== 'name' || !first) return lines;
        first = false;
        return ['m-timestamp-mode-performance', 'm-init-done', 'm-ready', ...lines];
      },
    });
    const recoveries: string[] = [];
    const session = await DutSession.open({ link: dut.link, bootWaitMs: 50 }, options(recoveries));
    expect(session.identity.model).toBe('kws01');
    expect(recoveries).toEqual([]);
    expect(session.stats).toEqual({ retries: 0, resets: 0, reconnects: 0, resends: 0 });
    session.close();
  });

  it('a board that never prints a banner is identified after the bounded boot wait', async () => {
    const dut = scriptedDut({ model: 'kws01' });
    const t0 = Date.now();
    const session = await DutSession.open({ link: dut.link, bootWaitMs: 300 }, options([]));
    expect(session.identity.model).toBe('kws01');
    expect(Date.now() - t0).toBeLessThan(2000);
    session.close();
  });
});

describe('a load cut by a lost link', () => {
  it('goes on where the DUT acknowledged it after the link is reopened (a replugged board keeps its buffer)', async () => {
    const virtual = await VirtualDutConnection.open({ benchmark: BENCHMARKS.kws01, dataDir: dataDir(), commandBuffer: 200 });
    const sent: string[] = [];
    let chunks = 0;
    const session = await DutSession.open(
      { link: virtual.link, bootWaitMs: 50, reopen: () => virtual.reopen() },
      {
        commandTimeoutMs: 500,
        settleQuietMs: 5,
        reopenBackoffMs: [5],
        // Positioned hex chunks: binary blocks resend themselves and never resume at an offset.
        binaryLoads: false,
        transcript: (direction, text) => {
          if (direction !== 'tx') return;
          sent.push(text);
          // Unplugged while the 3rd chunk is on its way.
          if (text.startsWith('db @') && ++chunks === 3) void virtual.link.close();
        },
      },
    );
    const sample = readFileSync(join(dataDir(), 'datasets', 'kws01', 'tst_000000_Stop_7.bin'));
    const results = await session.run('tst_000000_Stop_7.bin', async (dut) => {
      await dut.load(sample);
      return (await dut.infer(1, 0)).results;
    });
    expect(session.stats.reconnects).toBe(1);
    // One db load only: the chunks after the loss continue at the offset reached, the 3rd is sent again.
    expect(sent.filter((t) => t.startsWith('db load'))).toEqual(['db load 490']);
    const offsets = sent.filter((t) => t.startsWith('db @')).map((t) => Number(/^db @(\d+)/.exec(t)![1]));
    expect(offsets[3]).toBe(offsets[2]);
    expect(new Set(offsets).size).toBe(offsets.length - 1);
    expect(results.indexOf(Math.max(...results))).toBe(7);
    await session.close();
    await virtual.close();
  });
});
