import { describe, expect, it } from 'vitest';

import { Lpm01a } from '../../energy/lpm01a.js';
import { MonitorError, TimeoutError } from '../../host/errors.js';
import { createVirtualPair } from '../../host/link/virtual-link.js';
import { DutPowerTrace } from '../../host/sim/power-model.js';
import { SimClock } from '../../host/sim/sim-clock.js';
import { VirtualLpm01a, formatLpmSample } from '../../host/sim/virtual-lpm01a.js';

function bench(firmware = '1.0.6') {
  const clock = new SimClock();
  const trace = new DutPowerTrace({ activeCurrentA: 20e-3, idleCurrentA: 2e-3 });
  const pair = createVirtualPair('virtual LPM01A (test)', { clock });
  const powered: boolean[] = [];
  const lpm = new VirtualLpm01a({ link: pair.device, clock, trace, firmware, onPower: (on) => powered.push(on) });
  clock.start();
  return { clock, trace, lpm, host: pair.host, powered };
}

const FAST = { commandTimeoutMs: 500, drainQuietMs: 20, drainMaxMs: 500, stopTimeoutMs: 500 };

describe('LPM01A driver', () => {
  it('sends the official configuration sequence, in order, after draining and taking control', async () => {
    const b = bench();
    const lpm = await Lpm01a.connect(b.host, FAST);
    expect(lpm.firmware).toBe('1.0.6');
    await lpm.configure(1.8);
    await lpm.powerOn();
    expect(b.lpm.received).toEqual([
      'stop',
      'htc',
      'version',
      'lcd 1 "MLPerf Tiny"',
      'lcd 2 "  tiny-bench    "',
      'pwr off',
      'acqtime inf',
      'trigdelay 0',
      'trigsrc sw',
      'eventsrc d7 fal',
      'output energy',
      'format ascii_dec',
      'freq 1k',
      'volt 1800m',
      'pwr on nostatus',
    ]);
    expect(b.trace.voltageV).toBe(1.8);
    expect(b.powered).toEqual([false, true]);
    b.clock.stop();
  });

  it('refuses firmware older than 1.0.6', async () => {
    const b = bench('1.0.5');
    await expect(Lpm01a.connect(b.host, FAST)).rejects.toThrow(/firmware 1\.0\.5; energy mode needs 1\.0\.6 or later/);
    b.clock.stop();
  });

  it('turns error + Error detail into a MonitorError naming the command', async () => {
    const b = bench();
    const lpm = await Lpm01a.connect(b.host, FAST);
    await expect(lpm.command('freq 7k')).rejects.toThrow(MonitorError);
    await expect(lpm.command('freq 7k')).rejects.toThrow(/refused 'freq 7k': freq '7k' is not one of/);
    await expect(lpm.configure(5)).rejects.toThrow(/1\.8 V to 3\.3 V; 5 V was asked/);
    b.clock.stop();
  });

  it('drains an acquisition a previous run left streaming before taking control', async () => {
    const b = bench();
    // A previous session started an acquisition and died.
    await b.host.write(Buffer.from('htc\r\nfreq 1k\r\noutput energy\r\npwr on\r\nstart\r\n'));
    await new Promise((r) => setTimeout(r, 100));
    const lpm = await Lpm01a.connect(b.host, FAST);
    await lpm.configure(3.3);
    await lpm.start();
    expect(lpm.edgeCount()).toBe(0);
    await lpm.stop();
    b.clock.stop();
  });

  it('never waits unboundedly on a silent monitor', async () => {
    const pair = createVirtualPair('silent monitor');
    const started = performance.now();
    await expect(Lpm01a.connect(pair.host, FAST)).rejects.toThrow(TimeoutError);
    await expect(Lpm01a.connect(pair.host, FAST)).rejects.toThrow(/did not acknowledge 'htc' within 500 ms/);
    expect(performance.now() - started).toBeLessThan(4000);
  });

  it('integrates the energy between two D7 edges of a known power profile', async () => {
    const b = bench();
    const lpm = await Lpm01a.connect(b.host, FAST);
    await lpm.configure(1.8);
    await lpm.powerOn();
    await lpm.start();
    // 12.5 s of computing between two edges, scheduled on the bench clock.
    const t0 = b.clock.nowUs + 200_000;
    b.clock.at(t0, () => {
      b.trace.compute(t0, t0 + 12_500_000);
      b.lpm.edge(t0 + 1000.5);
      b.lpm.edge(t0 + 12_499_000.5);
    });
    b.clock.at(t0 + 13_000_000, () => {});
    await lpm.waitForEdges(2, 3000);
    const span = lpm.span(0, 1);
    // 1.8 V x 20 mA over 12.498 s = 449.928 mJ; the 1 ms sampling moves the edges by under a sample.
    expect(span.elapsedS).toBeCloseTo(12.498, 3);
    expect(span.energyJ).toBeCloseTo(1.8 * 20e-3 * 12.498, 4);
    expect(span.lostSamples).toBe(0);
    expect(span.monitorElapsedS).toBeCloseTo(12.498, 3);
    await expect(lpm.waitForEdges(3, 200)).rejects.toThrow(/saw 2 timestamp edges, 3 expected within 200 ms: check .*D7/);
    await lpm.stop();
    await lpm.close();
    expect(b.lpm.received.at(-1)).toBe('hrc');
    b.clock.stop();
  });

  it('formats samples as four mantissa digits and a power of ten', () => {
    expect(formatLpmSample(6.409e-4)).toBe('6409-07');
    expect(formatLpmSample(3.96e-5)).toBe('3960-08');
    expect(formatLpmSample(0.99995)).toBe('1000-03');
    expect(formatLpmSample(0)).toBe('0000+00');
  });
});
