/**
 * DutSession: recovery counts only real recoveries; a DUT that is still
 * booting when the port opens costs none.
 */
import { describe, expect, it } from 'vitest';

import { DutSession } from '../../host/devices/dut-session.js';
import { scriptedDut } from '../fakes/scripted-dut.js';

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
