/**
 * Synthesized sww01 streams (the marvin clip mixed into seeded noise at known
 * times) through the whole simulated path: the counts must be what the
 * placements and truth windows were built to give, and the board's captured
 * detections must be the DUT's own per-frame decisions (its stop dump).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { type SynthesisOptions, audibleSpan, synthesizeStream } from '../../datasets/sww-synth.js';
import { encodeWav, parseWav } from '../../datasets/wav.js';
import { silentProgress } from '../../host/core/progress.js';
import { type StreamingResult, runStreaming } from '../../host/run/streaming.js';
import { dataDir } from '../helpers.js';
import { streamingBench } from './sww-bench.js';

const clip = () => parseWav(readFileSync(join(dataDir(), 'datasets', 'sww01', 'marvin_617de221_0.wav')), 'marvin_617de221_0.wav');

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

async function play(options: SynthesisOptions): Promise<StreamingResult> {
  const { audio, truth } = synthesizeStream(clip(), options);
  const rig = await streamingBench(new Map([['synth.wav', encodeWav(audio)]]));
  cleanup = rig.close;
  const r = await runStreaming(rig.session, rig.board, { wavFile: 'synth.wav', path: '', lengthS: options.lengthS, sampleRate: 16000, truth }, silentProgress, {
    settleMs: 10,
    commandTimeoutMs: 2000,
  });
  // The board's capture is the DUT's decisions: frame k above 115 -> a pulse k x 32 ms after the sync pulse.
  const fromDump = r.activations.flatMap((a, k) => (a > 115 ? [k * 0.032] : []));
  expect(r.detectionsS).toHaveLength(fromDump.length);
  r.detectionsS.forEach((t, i) => expect(Math.abs(t - fromDump[i]!)).toBeLessThanOrEqual(0.0011));
  return r;
}

const counts = (s: StreamingResult['score']): number[] => [s.truePositives, s.falseNegatives, s.falsePositives];

describe('synthesized sww01 streams', () => {
  it('finds the audible span of the clip', () => {
    const span = audibleSpan(clip());
    expect(span.startS).toBeGreaterThan(0.2);
    expect(span.stopS).toBeLessThanOrEqual(1);
    expect(span.stopS - span.startS).toBeGreaterThan(0.3);
  });

  it('two wakewords in their windows, one outside any window, one empty window: 2 TP, 1 FN, 1 FP', async () => {
    const r = await play({
      lengthS: 12,
      noiseRms: 100,
      seed: 7,
      placements: [{ atS: 1 }, { atS: 4.5, gain: 0.5, omitFromTruth: true }, { atS: 8, gain: 0.5 }],
      emptyWindows: [{ startS: 10.6, stopS: 11.0 }],
    });
    expect(counts(r.score)).toEqual([2, 1, 1]);
    expect(counts(r.officialCodeScore)).toEqual([2, 1, 1]);
    // The false positive is the unannounced wakeword, once (debounced).
    expect(r.score.falsePositivesS).toHaveLength(1);
    expect(r.score.falsePositivesS[0]!).toBeGreaterThan(4.5);
    expect(r.score.falsePositivesS[0]!).toBeLessThan(5.6);
  });

  it('a wakeword 1.6-2.6 s after a window ends: a miss and a false positive under the rules, a hit (and the rest a false positive) under the official code', async () => {
    const r = await play({ lengthS: 6, noiseRms: 100, seed: 3, placements: [{ atS: 3, omitFromTruth: true }], emptyWindows: [{ startS: 1.5, stopS: 1.7 }] });
    // Detections run from about 3.5 s to 4.3 s: past 1.7 + 1 s, straddling 1.7 + 2 s.
    expect(r.detectionsS[0]!).toBeLessThan(3.7);
    expect(r.detectionsS.at(-1)!).toBeGreaterThan(3.7);
    expect(counts(r.score)).toEqual([0, 1, 1]);
    expect(counts(r.officialCodeScore)).toEqual([1, 0, 1]);
  });

  it('background noise alone: no detections after the sync pulse, every window a false negative', async () => {
    const r = await play({ lengthS: 4, noiseRms: 300, seed: 11, placements: [], emptyWindows: [{ startS: 1, stopS: 1.5 }] });
    expect(r.detectionsS).toEqual([]);
    expect(counts(r.score)).toEqual([0, 1, 0]);
  });
});
