/**
 * Scoring as the MLPerf Tiny rules define it (protocol reference §4), pure
 * functions only. Nothing here can return NaN: empty or degenerate inputs
 * throw or return undefined, and the caller decides what to show.
 */
import { median as ssMedian } from 'simple-statistics';

import { TinyBenchError } from '../errors.js';
import { MAX_PLAUSIBLE_WINDOW_US, MIN_WINDOW_INFERENCES } from './window-rules.js';

/** Index of the largest value; the first one wins on ties. */
export function argmax(values: readonly number[]): number {
  if (values.length === 0) throw new TinyBenchError('argmax of an empty vector');
  let best = 0;
  for (let i = 1; i < values.length; ++i) if (values[i]! > values[best]!) best = i;
  return best;
}

/** Percentage of predictions equal to their labels. */
export function top1Percent(predictions: readonly number[], labels: readonly number[]): number {
  if (predictions.length === 0 || predictions.length !== labels.length) throw new TinyBenchError('top-1 needs as many predictions as labels, at least one');
  let hits = 0;
  predictions.forEach((p, i) => {
    if (p === labels[i]) hits++;
  });
  return (100 * hits) / predictions.length;
}

/**
 * Area under the ROC curve for binary labels (1 = positive), equal to
 * sklearn.metrics.roc_auc_score: tied scores count one half, computed from
 * average ranks (Mann-Whitney U). Undefined when one class is absent.
 */
export function rocAuc(scores: readonly number[], positives: readonly boolean[]): number | undefined {
  if (scores.length !== positives.length) throw new TinyBenchError('AUC needs one label per score');
  const order = scores.map((s, i) => ({ s, p: positives[i]! })).sort((a, b) => a.s - b.s);
  let nPos = 0;
  let rankSumPos = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j < order.length && order[j]!.s === order[i]!.s) j++;
    const averageRank = (i + 1 + j) / 2; // ranks i+1 .. j
    for (let k = i; k < j; ++k) {
      if (order[k]!.p) {
        nPos++;
        rankSumPos += averageRank;
      }
    }
    i = j;
  }
  const nNeg = order.length - nPos;
  if (nPos === 0 || nNeg === 0) return undefined;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/** One-vs-rest macro AUC over class probability vectors (sklearn multi_class='ovr'). */
export function rocAucOneVsRest(vectors: readonly (readonly number[])[], labels: readonly number[], classes: number): number | undefined {
  if (classes === 2)
    return rocAuc(
      vectors.map((v) => v[1]!),
      labels.map((l) => l === 1),
    );
  const normalized = vectors.map(normalize);
  let sum = 0;
  for (let c = 0; c < classes; ++c) {
    const auc = rocAuc(
      normalized.map((v) => v[c]!),
      labels.map((l) => l === c),
    );
    if (auc === undefined) return undefined;
    sum += auc;
  }
  return sum / classes;
}

/** Scales a vector to sum 1, as the official runner does; an all-zero vector stays zero instead of NaN. */
export function normalize(values: readonly number[]): number[] {
  const total = values.reduce((a, b) => a + b, 0);
  return total > 0 ? values.map((v) => v / total) : values.map(() => 0);
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) throw new TinyBenchError('mean of no values');
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Median; the mean of the two middle values for even counts. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new TinyBenchError('median of no values');
  return ssMedian([...values]);
}

/** Inferences per second of one window. */
export function throughput(inferences: number, elapsedUs: number): number {
  if (!(elapsedUs > 0)) throw new TinyBenchError(`A window must take positive time, got ${elapsedUs} us`);
  return inferences / (elapsedUs / 1e6);
}

/**
 * The official runner's "Top 1%" for ad01 (kept only as a labelled legacy
 * value): the best (precision + recall) / 2 over 100 thresholds spaced evenly
 * from the lowest to the highest file score, in percent.
 */
export function legacyAdAccuracy(scores: readonly number[], anomalous: readonly boolean[]): number {
  const lo = Math.min(...scores);
  const hi = Math.max(...scores);
  let best = 0;
  for (let k = 0; k < 100; ++k) {
    const threshold = lo + ((hi - lo) * k) / 99;
    let tp = 0;
    let fp = 0;
    let fn = 0;
    scores.forEach((s, i) => {
      const predicted = s > threshold;
      if (predicted && anomalous[i]) tp++;
      else if (predicted) fp++;
      else if (anomalous[i]) fn++;
    });
    const precision = tp + fp ? tp / (tp + fp) : 0;
    const recall = tp + fn ? tp / (tp + fn) : 0;
    best = Math.max(best, (precision + recall) / 2);
  }
  return best * 100;
}

/** ROC curve points (false-positive rate, true-positive rate), thresholds at every distinct score. */
export function rocCurve(scores: readonly number[], positives: readonly boolean[]): Array<[number, number]> {
  const nPos = positives.filter(Boolean).length;
  const nNeg = positives.length - nPos;
  if (nPos === 0 || nNeg === 0) return [];
  const order = scores.map((s, i) => ({ s, p: positives[i]! })).sort((a, b) => b.s - a.s);
  const points: Array<[number, number]> = [[0, 0]];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j < order.length && order[j]!.s === order[i]!.s) {
      if (order[j]!.p) tp++;
      else fp++;
      j++;
    }
    points.push([fp / nNeg, tp / nPos]);
    i = j;
  }
  return points;
}

/** counts[label][prediction]. */
export function confusionMatrix(labels: readonly number[], predictions: readonly number[], classes: number): number[][] {
  const m = Array.from({ length: classes }, () => Array<number>(classes).fill(0));
  labels.forEach((l, i) => {
    if (l < classes && predictions[i]! < classes) m[l]![predictions[i]!]!++;
  });
  return m;
}

/** The rules' minimum length of a measured window (performance and energy alike). */
export const MIN_WINDOW_S = 10;

interface RuledResult {
  mode: 'performance' | 'accuracy' | 'energy';
  windows?: ReadonlyArray<{ file: string; inferences: number; elapsedUs: number; throughput: number }>;
  energyWindows?: ReadonlyArray<{ file: string; inferences: number; elapsedS: number; throughput: number; energyUjPerInference: number }>;
  medianThroughput?: number;
  energyUjPerInference?: number;
  /** The streaming wakeword: one stream step per mode, judged by its own rules. */
  streaming?: { dutyCycle: number; estimatedThroughput: number; powerMw?: number; streams: readonly unknown[] };
}

/**
 * Every rule a measured result must meet, checked on the result itself (so
 * one read back from any session is judged the same way): each window at
 * least 10 s and MIN_WINDOW_INFERENCES inferences, no longer than a timer
 * can plausibly measure, and a throughput (energy) above zero. Returns one
 * line per broken rule; empty when the result is valid.
 */
export function ruleViolations(result: RuledResult): string[] {
  const broken: string[] = [];
  const positive = (x: number | undefined): boolean => x !== undefined && Number.isFinite(x) && x > 0;
  if (result.streaming) return streamingViolations(result.mode, result.streaming);
  const windows = [
    ...(result.windows ?? []).map((w) => ({ ...w, seconds: w.elapsedUs / 1e6 })),
    ...(result.energyWindows ?? []).map((w) => ({ ...w, seconds: w.elapsedS })),
  ];
  windows.forEach((w, i) => {
    const name = `window ${i + 1} (${w.file})`;
    if (!(w.seconds >= MIN_WINDOW_S)) broken.push(`${name} lasted ${w.seconds.toFixed(6)} s, under the ${MIN_WINDOW_S} s minimum`);
    if (w.seconds * 1e6 > MAX_PLAUSIBLE_WINDOW_US)
      broken.push(`${name} lasted ${w.seconds.toFixed(0)} s, longer than any window the rules need: the DUT's timer is wrong`);
    if (w.inferences < MIN_WINDOW_INFERENCES)
      broken.push(`${name} ran ${w.inferences} inference${w.inferences === 1 ? '' : 's'}, under the minimum of ${MIN_WINDOW_INFERENCES}`);
    if (!positive(w.throughput)) broken.push(`${name} has a throughput of ${w.throughput}`);
  });
  if (result.mode === 'performance' && !positive(result.medianThroughput)) broken.push(`median throughput ${result.medianThroughput} is not above 0`);
  if (result.mode === 'energy' && !positive(result.energyUjPerInference))
    broken.push(`median energy ${result.energyUjPerInference} uJ/inference is not above 0`);
  if (result.mode !== 'accuracy' && windows.length === 0) broken.push('no measured window');
  return broken;
}

/** The streaming wakeword has no windows: each mode plays its streams once; duty cycle, throughput and power must be real numbers. */
function streamingViolations(mode: RuledResult['mode'], s: NonNullable<RuledResult['streaming']>): string[] {
  const broken: string[] = [];
  if (s.streams.length === 0) broken.push('no stream was played');
  if (!(s.dutyCycle >= 0 && s.dutyCycle <= 1)) broken.push(`duty cycle ${s.dutyCycle} is not between 0 and 1`);
  if (!(s.estimatedThroughput > 0 && Number.isFinite(s.estimatedThroughput)))
    broken.push(`estimated throughput ${s.estimatedThroughput} inf./sec. is not above 0`);
  if (mode === 'energy' && !(s.powerMw !== undefined && s.powerMw > 0 && Number.isFinite(s.powerMw))) broken.push(`power ${s.powerMw} mW is not above 0`);
  return broken;
}
