import { describe, expect, it } from 'vitest';

import { argmax, legacyAdAccuracy, median, normalize, rocAuc, rocAucOneVsRest, throughput, top1Percent } from '../../host/core/scoring.js';

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
    expect(rocAucOneVsRest([[0.9, 0.1], [0.2, 0.8]], [0, 1], 2)).toBe(1);
    expect(rocAucOneVsRest([[1, 0, 0], [0, 1, 0], [0, 0, 1]], [0, 1, 2], 3)).toBe(1);
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
