import { describe, expect, it } from 'vitest';

import { argmax, legacyAdAccuracy, median, normalize, rocAuc, rocAucOneVsRest, ruleViolations, throughput, top1Percent } from '../../host/core/scoring.js';

describe('AUC (sklearn roc_auc_score semantics)', () => {
  it('is 1 for a perfect ranking and 0 for a reversed one', () => {
    expect(rocAuc([0.1, 0.2, 0.8, 0.9], [false, false, true, true])).toBe(1);
    expect(rocAuc([0.9, 0.8, 0.2, 0.1], [false, false, true, true])).toBe(0);
  });
  it('counts tied positive/negative pairs as one half', () => {
    // pairs (pos, neg): 4 pairs; (0.5,0.5) tie = 0.5, (0.5,0.1) = 1, (0.9,0.5) = 1, (0.9,0.1) = 1 -> 3.5/4
    expect(rocAuc([0.1, 0.5, 0.5, 0.9], [false, false, true, true])).toBe(0.875);
  });
  it('is 0.5 when every score ties', () => {
    expect(rocAuc([3, 3, 3, 3, 3], [true, false, true, false, false])).toBe(0.5);
  });
  it('matches a hand count with mixed ties', () => {
    // scores: neg 1,2,2,4 ; pos 2,3,4
    // pos 2: beats 1 (1), ties two 2s (0.5+0.5) -> 2 ; pos 3: beats 1,2,2 -> 3 ; pos 4: beats 1,2,2 (3) + tie 4 (0.5) -> 3.5
    // total 8.5 / (3*4) = 0.708333...
    expect(rocAuc([1, 2, 2, 4, 2, 3, 4], [false, false, false, false, true, true, true])).toBeCloseTo(8.5 / 12, 12);
  });
  it('is undefined when a class is absent', () => {
    expect(rocAuc([0.1, 0.2], [true, true])).toBeUndefined();
  });
  it('uses column 1 for two-class vectors and macro one-vs-rest otherwise', () => {
    expect(
      rocAucOneVsRest(
        [
          [0.9, 0.1],
          [0.2, 0.8],
        ],
        [0, 1],
        2,
      ),
    ).toBe(1);
    expect(
      rocAucOneVsRest(
        [
          [1, 0, 0],
          [0, 1, 0],
          [0, 0, 1],
        ],
        [0, 1, 2],
        3,
      ),
    ).toBe(1);
  });
});

describe('median', () => {
  it('takes the middle of an odd count', () => {
    expect(median([5, 1, 3])).toBe(3);
  });
  it('averages the two middle values of an even count', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
  it('refuses no values instead of returning NaN', () => {
    expect(() => median([])).toThrow(/no values/);
  });
});

describe('classification helpers', () => {
  it('argmax: the first maximum wins on ties', () => {
    expect(argmax([0.1, 0.4, 0.4, 0.1])).toBe(1);
  });
  it('top-1 percent', () => {
    expect(top1Percent([1, 2, 3, 4], [1, 2, 0, 4])).toBe(75);
  });
  it('normalize never divides by zero', () => {
    expect(normalize([0, 0])).toEqual([0, 0]);
    expect(normalize([1, 3])).toEqual([0.25, 0.75]);
  });
  it('throughput = N / elapsed seconds, and refuses a non-positive window', () => {
    expect(throughput(70, 10_000_000)).toBe(7);
    expect(() => throughput(1, 0)).toThrow(/positive time/);
  });
  it('legacy AD accuracy: a perfectly separable set reaches 100', () => {
    expect(legacyAdAccuracy([1, 2, 10, 11], [false, false, true, true])).toBe(100);
  });
});

describe('result rules (issue 12 #2)', () => {
  const good = { file: 'a.bin', inferences: 42, elapsedUs: 11_154_360, throughput: 3.765 };
  it('a clean performance result breaks no rule', () => {
    expect(ruleViolations({ mode: 'performance', windows: Array(5).fill(good), medianThroughput: 3.765 })).toEqual([]);
    expect(ruleViolations({ mode: 'accuracy' })).toEqual([]);
  });
  it('the windows of laps read as wraps: 1 inference in 4294.97 s, median 0.000 inf./sec, is INVALID', () => {
    const wrapped = { file: 'tst_000000_Stop_7.bin', inferences: 1, elapsedUs: 4_294_966_796, throughput: 1 / 4294.966796 };
    const broken = ruleViolations({ mode: 'performance', windows: Array(5).fill(wrapped), medianThroughput: wrapped.throughput });
    expect(broken).toContain('window 1 (tst_000000_Stop_7.bin) ran 1 inference, under the minimum of 10');
    expect(broken).toContain("window 1 (tst_000000_Stop_7.bin) lasted 4295 s, longer than any window the rules need: the DUT's timer is wrong");
  });
  it('short windows, zero throughput, no windows at all', () => {
    expect(ruleViolations({ mode: 'performance', windows: [{ ...good, elapsedUs: 9_999_999 }], medianThroughput: 3 })).toEqual([
      'window 1 (a.bin) lasted 9.999999 s, under the 10 s minimum',
    ]);
    expect(ruleViolations({ mode: 'performance', windows: [{ ...good, throughput: 0 }], medianThroughput: 0 })).toEqual([
      'window 1 (a.bin) has a throughput of 0',
      'median throughput 0 is not above 0',
    ]);
    expect(ruleViolations({ mode: 'energy', energyWindows: [], energyUjPerInference: 5 })).toEqual(['no measured window']);
    expect(
      ruleViolations({
        mode: 'energy',
        energyWindows: [{ file: 'e.bin', inferences: 20, elapsedS: 4, throughput: 5, energyUjPerInference: 1 }],
        energyUjPerInference: 1,
      }),
    ).toEqual(['window 1 (e.bin) lasted 4.000000 s, under the 10 s minimum']);
  });
});

describe('rules for the streaming wakeword', () => {
  const streaming = { dutyCycle: 0.46, estimatedThroughput: 68.2, powerMw: 20.9, streams: [{}] };
  it('a stream step with real duty cycle, throughput and power meets them; a missing power in energy mode does not', () => {
    expect(ruleViolations({ mode: 'energy', streaming })).toEqual([]);
    expect(ruleViolations({ mode: 'performance', streaming: { ...streaming, powerMw: undefined } })).toEqual([]);
    expect(ruleViolations({ mode: 'energy', streaming: { ...streaming, powerMw: undefined } })).toEqual(['power undefined mW is not above 0']);
    expect(ruleViolations({ mode: 'performance', streaming: { ...streaming, dutyCycle: 1.5, streams: [] } })).toEqual([
      'no stream was played',
      'duty cycle 1.5 is not between 0 and 1',
    ]);
  });
});
