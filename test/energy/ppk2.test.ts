import { describe, expect, it } from 'vitest';

import { PPK2_DEFAULT_CALIBRATION, decodePpk2Stream, decodePpk2Word, fallingEdges, parsePpk2Metadata, ppk2Current } from '../../energy/ppk2-samples.js';

/** A measurement word from its fields (the layout under test, built by hand). */
function word(adcRaw: number, range: number, counter: number, digital: number): number {
  return ((digital << 24) | (counter << 18) | (range << 14) | adcRaw) >>> 0;
}

function bytes(words: number[]): Uint8Array {
  const b = new Uint8Array(words.length * 4);
  const v = new DataView(b.buffer);
  words.forEach((w, i) => v.setUint32(4 * i, w, true));
  return b;
}

describe('PPK2 samples', () => {
  it('splits a word into ADC (x4), range, rolling counter and digital inputs', () => {
    expect(decodePpk2Word(word(1000, 3, 42, 0b1000_0001))).toEqual({ adc: 4000, range: 3, counter: 42, digital: 0x81 });
  });

  it('converts to current with the range resistor: default calibration, range 2 (10.15 ohm)', () => {
    // x = 4000 * (1.8 / 163840) / 10.15 = 0.0043296...; I = x * (1 * x + 1) + 0 + 0
    const x = (4000 * (1.8 / 163840)) / 10.15;
    expect(ppk2Current({ adc: 4000, range: 2, counter: 0, digital: 0 }, PPK2_DEFAULT_CALIBRATION, 3300)).toBeCloseTo(x * (x + 1), 15);
  });

  it('uses metadata calibration, ignoring -nan', () => {
    const cal = parsePpk2Metadata('Calibrated: 0\nR0: 1000.0\nR1: -nan\nO2: 12\nUG2: 1.5\nEND\n');
    expect(cal.r[0]).toBe(1000);
    expect(cal.r[1]).toBe(101.65);
    expect(cal.o[2]).toBe(12);
    expect(cal.ug[2]).toBe(1.5);
  });

  it('tracks range changes across a stream and counts samples lost from counter gaps (mod 64)', () => {
    const words = [word(100, 4, 62, 0xff), word(100, 1, 63, 0xff), word(100, 1, 0, 0xff), word(100, 1, 3, 0xff)];
    const d = decodePpk2Stream(bytes(words), PPK2_DEFAULT_CALIBRATION, 3000);
    expect(d.lost).toBe(2); // 0 -> 3 skips counters 1 and 2; 63 -> 0 wraps without loss
    // Same ADC value on range 4 (0.043 ohm) and range 1 (101.65 ohm): x = 400 * 1.8/163840 / R, I = x * (x + 1)
    const x4 = (400 * (1.8 / 163840)) / 0.043;
    const x1 = (400 * (1.8 / 163840)) / 101.65;
    expect(d.currents[0]).toBeCloseTo(x4 * (x4 + 1), 12);
    expect(d.currents[1]).toBeCloseTo(x1 * (x1 + 1), 15);
    expect(d.lastCounter).toBe(3);
  });

  it('finds the timestamp pulse as a 1 -> 0 edge on the chosen digital channel', () => {
    const digital = Uint8Array.from([0x80, 0x80, 0x00, 0x00, 0x80, 0x00]);
    expect(fallingEdges(digital, 7)).toEqual([2, 5]);
    expect(fallingEdges(digital, 0)).toEqual([]);
  });
});
