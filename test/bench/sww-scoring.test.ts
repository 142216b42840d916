import { describe, expect, it } from 'vitest';

import { OFFICIAL_CODE_TAIL_S, RULES_TAIL_S, detectionsAfterSync, dutyCycle, scoreDetections } from '../../host/bench/sww-scoring.js';
import { ProtocolError } from '../../host/errors.js';

const truth = [
  { startS: 1.0, stopS: 1.6 },
  { startS: 4.0, stopS: 4.8 },
  { startS: 7.0, stopS: 7.4 },
];

describe('sww01 scoring on hand-made detection lists', () => {
  it('drops the sync pulse and measures from it', () => {
    expect(detectionsAfterSync([500, 1500, 2750])).toEqual([1, 2.25]);
    expect(() => detectionsAfterSync([])).toThrow(ProtocolError);
  });

  it('counts one true positive per window however many detections fall in it, and a false negative for an empty window', () => {
    const s = scoreDetections([1.1, 1.2, 1.3, 4.5], truth, RULES_TAIL_S);
    expect([s.truePositives, s.falseNegatives, s.falsePositives]).toEqual([2, 1, 0]);
    expect(s.windows.map((w) => w.detectionsS)).toEqual([[1.1, 1.2, 1.3], [4.5], []]);
  });

  it('a detection 1.5 s after a window ends is a false positive under the rules (1 s) but a true positive in the official code (2 s)', () => {
    const detections = [1.2, 4.0 + 0.8 + 1.5];
    const rules = scoreDetections(detections, truth, RULES_TAIL_S);
    const official = scoreDetections(detections, truth, OFFICIAL_CODE_TAIL_S);
    expect([rules.truePositives, rules.falseNegatives, rules.falsePositives]).toEqual([1, 2, 1]);
    expect([official.truePositives, official.falseNegatives, official.falsePositives]).toEqual([2, 1, 0]);
    expect(rules.falsePositivesS).toEqual([6.3]);
  });

  it('the tail edge is inclusive and a detection before t_start is not claimed', () => {
    const s = scoreDetections([0.999, 1.6 + 1.0], truth, RULES_TAIL_S);
    expect(s.windows[0]!.detectionsS).toEqual([2.6]);
    expect(s.falsePositivesS).toEqual([0.999]);
  });

  it('debounces false positives by 1 s from the last kept one, not chained', () => {
    // 10.0 kept; 10.5 and 11.0 within (10, 11] dropped; 11.2 kept; 12.2 within (11.2, 12.2] dropped; 12.3 kept.
    const s = scoreDetections([12.3, 10.0, 10.5, 11.0, 11.2, 12.2], truth, RULES_TAIL_S);
    expect(s.falsePositivesS).toEqual([10.0, 11.2, 12.3]);
    expect(s.falsePositives).toBe(3);
    expect(s.falseNegatives).toBe(3);
  });

  it('a detection claimed by a window is not also a false positive, and overlapping windows claim in order', () => {
    const s = scoreDetections(
      [2.0],
      [
        { startS: 1, stopS: 1.5 },
        { startS: 1.8, stopS: 2.2 },
      ],
      OFFICIAL_CODE_TAIL_S,
    );
    expect(s.windows.map((w) => w.detectionsS.length)).toEqual([1, 0]);
    expect([s.truePositives, s.falseNegatives, s.falsePositives]).toEqual([1, 1, 0]);
  });
});

describe('sww01 duty cycle from the processing pin', () => {
  it('period from the starts, on-time from the pairs, throughput = 1 / on-time', () => {
    // Frames every 3200 ticks (32 ms), 400 ticks (4 ms) high.
    const starts = [100, 3300, 6500, 9700];
    const stops = starts.map((s) => s + 400);
    const d = dutyCycle(starts, stops);
    expect(d.frames).toBe(4);
    expect(d.periodS).toBeCloseTo(0.032, 12);
    expect(d.onTimeS).toBeCloseTo(0.004, 12);
    expect(d.dutyCycle).toBeCloseTo(0.125, 12);
    expect(d.estimatedThroughput).toBeCloseTo(250, 9);
    expect(d.periodSpread).toBe(0);
  });

  it('ignores a stop recorded before the first start and an unfinished last frame', () => {
    const d = dutyCycle([1000, 4200, 7400], [50, 1200, 4400]);
    expect(d.frames).toBe(2);
    expect(d.onTimeS).toBeCloseTo(0.002, 12);
  });

  it('refuses fewer than two frames with a wiring hint', () => {
    expect(() => dutyCycle([10], [20])).toThrow(/PB5/);
  });
});
