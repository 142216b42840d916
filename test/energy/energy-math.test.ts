import { describe, expect, it } from 'vitest';

import { checkSampleCount, energyBetween, energyPerInference } from '../../energy/energy-math.js';

/** The runner's path: the energy between two edge samples, then per inference (1 kHz samples). */
const windowEnergy = (samples: number[], rateHz: number, start: number, end: number, inferences: number) =>
  energyPerInference({ energyJ: energyBetween(samples, start, end), elapsedS: (end - start) / rateHz }, inferences);

describe('energy per inference', () => {
  it('integrates between the two edges of the window and divides by the inference count', () => {
    // 12 s at 1 kHz, 1 uJ per 1 ms sample inside the window, 9 uJ outside: 12 000 uJ over 60 inferences = 200 uJ
    const samples = [...Array(500).fill(9e-6), ...Array(12_000).fill(1e-6), ...Array(500).fill(9e-6)];
    const w = windowEnergy(samples, 1000, 500, 12_500, 60);
    expect(w.energyJ).toBeCloseTo(0.012, 12);
    expect(w.energyPerInferenceUj).toBeCloseTo(200, 9);
    expect(w.elapsedS).toBe(12);
    expect(w.powerMw).toBeCloseTo(1, 9); // 12 mJ / 12 s
    expect(w.throughput).toBe(5);
  });

  it('refuses windows under 10 s and samples that are not numbers', () => {
    expect(() => windowEnergy(Array(9000).fill(1e-6), 1000, 0, 9000, 10)).toThrow(/lasted 9.000 s/);
    const bad = Array(12_000).fill(1e-6);
    bad[7000] = Number.NaN;
    expect(() => windowEnergy(bad, 1000, 0, 12_000, 10)).toThrow(/Sample 7000 is not a number/);
  });

  it('cross-checks the sample count against the monitor clock', () => {
    expect(() => checkSampleCount(12_000, 12.0, 1000)).not.toThrow();
    expect(() => checkSampleCount(11_800, 12.0, 1000)).toThrow(/11800 samples for 12.000 s .*\(12000 expected at 1000 Hz\)/);
  });
});
