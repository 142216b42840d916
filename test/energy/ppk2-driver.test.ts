import { describe, expect, it } from 'vitest';

import { PPK2_OPCODES, Ppk2 } from '../../energy/ppk2.js';
import { createVirtualPair } from '../../host/link/virtual-link.js';
import { DutPowerTrace } from '../../host/sim/power-model.js';
import { SimClock } from '../../host/sim/sim-clock.js';
import { VirtualPpk2 } from '../../host/sim/virtual-ppk2.js';

/** One measurement word: ADC field (value/4), range, rolling counter, logic inputs. */
function word(adcField: number, range: number, counter: number, logic: number): number {
  return ((adcField & 0x3fff) | (range << 14) | ((counter & 0x3f) << 18) | ((logic & 0xff) << 24)) >>> 0;
}

/** The vendor formula restated for the calibration the fake sends: range 1 defaults, range 2 with its own terms. */
function current(adcField: number, range: number): number {
  const cal = range === 2 ? { R: 10.2, O: 40, GS: 0.002, GI: 1.01, S: 0.0001, I: 0.00002, UG: 0.99 } : { R: 101.65, O: 0, GS: 1, GI: 1, S: 0, I: 0, UG: 1 };
  const x = ((adcField * 4 - cal.O) * (1.8 / 163840)) / cal.R;
  return cal.UG * (x * (cal.GS * x + cal.GI) + (cal.S * 1800) / 1000 + cal.I);
}

/**
 * A fake PPK2: answers GetMetadata, records the opcodes it gets, and on
 * AverageStart streams `words` in pieces that split words across chunks.
 */
function fakePpk2(
  words: number[],
  metadata = 'Calibrated: 1\nR0: 1031.64\nR1: 101.65\nR2: 10.2\nO2: 40\nGS2: 0.002\nGI2: 1.01\nS2: 0.0001\nI2: 0.00002\nUG2: 0.99\nGS3: -nan\nHW: 9173\nIA: 56\nEND\n',
) {
  const pair = createVirtualPair('fake PPK2');
  const received: number[][] = [];
  pair.device.onData((chunk) => {
    received.push([...chunk]);
    if (chunk[0] === PPK2_OPCODES.getMetadata) void pair.device.write(Buffer.from(metadata));
    if (chunk[0] === PPK2_OPCODES.averageStart) {
      const bytes = new Uint8Array(words.length * 4);
      const view = new DataView(bytes.buffer);
      words.forEach((w, i) => view.setUint32(4 * i, w, true));
      void (async () => {
        for (let at = 0; at < bytes.length; at += 4099) await pair.device.write(bytes.subarray(at, at + 4099));
      })();
    }
  });
  return { link: pair.host, received };
}

describe('PPK2 driver', () => {
  it('sets source-meter mode and voltage, switches DUT power, reads metadata', async () => {
    const fake = fakePpk2([]);
    const ppk = await Ppk2.connect(fake.link);
    await ppk.configure(1.8);
    await ppk.powerOn();
    await ppk.powerOff();
    expect(fake.received).toEqual([[0x07], [0x19], [0x11, 2], [0x0d, 1800 >> 8, 1800 & 0xff], [0x0c, 1], [0x0c, 0]]);
    await expect(ppk.configure(6)).rejects.toThrow(/0\.8 V to 5 V/);
  });

  it('integrates I x V between two falling edges on the timestamp input, across range changes', async () => {
    // 0.3 s idle in range 1, then 1.2 s busy in range 2 with the timestamp (D2) low for 3 samples at
    // the start and the end, then idle again. Counter rolls every sample.
    const words: number[] = [];
    let expected = 0;
    let n = 0;
    const push = (adc: number, range: number, logic: number, inWindow: boolean): void => {
      words.push(word(adc, range, n++, logic));
      if (inWindow) expected += current(adc, range) * 1.8 * 10e-6;
    };
    const high = 0b0000_0100;
    for (let k = 0; k < 30_000; ++k) push(2000, 1, high, false);
    for (let k = 0; k < 120_000; ++k) {
      const low = k < 3 || (k >= 119_000 && k < 119_003);
      push(k % 2 ? 9000 : 8000, 2, low ? 0 : high, k < 119_000);
    }
    for (let k = 0; k < 20_000; ++k) push(2000, 1, high, false);

    const fake = fakePpk2(words);
    const ppk = await Ppk2.connect(fake.link, { timestampChannel: 2 });
    await ppk.configure(1.8);
    await ppk.start();
    await ppk.waitForEdges(2, 3000);
    const span = ppk.span(0, 1);
    expect(span.samples).toBe(119_000);
    expect(span.elapsedS).toBeCloseTo(1.19, 9);
    expect(span.energyJ / expected).toBeCloseTo(1, 9);
    expect(span.lostSamples).toBe(0);
    const trace = ppk.trace(0, 1, 100);
    expect(trace.edgesMs[1]! - trace.edgesMs[0]!).toBe(1190);
  });

  it('counts samples lost in a window from the rolling counter', async () => {
    const high = 1;
    const words: number[] = [];
    for (let k = 0; k < 5000; ++k) {
      if (k >= 2000 && k < 2005) continue; // 5 words lost on the USB link
      words.push(word(1000, 1, k, k === 100 || k === 4000 ? 0 : high));
    }
    const fake = fakePpk2(words);
    const ppk = await Ppk2.connect(fake.link, { timestampChannel: 0 });
    await ppk.start();
    await ppk.waitForEdges(2, 3000);
    expect(ppk.span(0, 1).lostSamples).toBe(5);
    expect(ppk.health().lostSamples).toBe(5);
  });

  it('fails clearly when the PPK2 sends no metadata', async () => {
    const pair = createVirtualPair('mute PPK2');
    await expect(Ppk2.connect(pair.host, { metadataTimeoutMs: 200 })).rejects.toThrow(/did not send its metadata \(ending 'END'\) within 200 ms/);
  });
});

describe('virtual PPK2 and short timestamp pulses', () => {
  async function edgesSeen(pulseUs: number): Promise<number> {
    const clock = new SimClock();
    const trace = new DutPowerTrace({ activeCurrentA: 20e-3, idleCurrentA: 2e-3 });
    const pair = createVirtualPair('virtual PPK2 (test)', { clock });
    const sim = new VirtualPpk2({ link: pair.device, clock, trace, onPower: () => {}, pulseUs });
    clock.start();
    const ppk = await Ppk2.connect(pair.host);
    await ppk.configure(1.8);
    await ppk.powerOn();
    await ppk.start();
    const t0 = clock.nowUs;
    // Ten pulses at arbitrary phases relative to the 10 µs sample grid.
    for (let k = 0; k < 10; ++k) clock.at(t0 + 1000 + k * 1003.7, () => sim.edge(clock.nowUs));
    clock.at(t0 + 20_000, () => {});
    await new Promise((r) => setTimeout(r, 300));
    const seen = ppk.edgeCount();
    clock.stop();
    return seen;
  }

  it('sees every pulse held for 20 µs, but misses most 1 µs pulses (shorter than its 10 µs sample)', async () => {
    expect(await edgesSeen(20)).toBe(10);
    expect(await edgesSeen(1)).toBeLessThan(5);
  });
});
