/**
 * Scoring of the streaming-wakeword benchmark (protocol reference §4.5).
 * Pure: detection times and truth windows in, counts out.
 *
 * The DUT's first detection is its sync pulse (first frame after `start`):
 * it is dropped and becomes t = 0. Each truth window [t_start, t_stop]
 * claims every remaining detection in [t_start, t_stop + tail] and counts
 * one true positive (none: a false negative). What is left are false
 * positives, debounced: after a kept one, others within the next second are
 * dropped. The rules describe a 1 s tail; the official runner's code
 * effectively uses 2 s (it adds the suppression delay to t_stop and then
 * compares against t_stop + 1 s again), so both are computed and labelled.
 */
import { ProtocolError } from '../errors.js';

export interface TruthWindow {
  startS: number;
  stopS: number;
}

export const RULES_TAIL_S = 1;
export const OFFICIAL_CODE_TAIL_S = 2;
export const FALSE_POSITIVE_DEBOUNCE_S = 1;

export interface SwwScore {
  tailS: number;
  truePositives: number;
  falseNegatives: number;
  falsePositives: number;
  /** Per truth window, the detections (s after the sync pulse) it claimed. */
  windows: Array<TruthWindow & { detectionsS: number[] }>;
  /** The kept (debounced) false positives, s after the sync pulse. */
  falsePositivesS: number[];
}

/** Detection times (ms, as print_detections gives them) relative to the sync pulse, in s. */
export function detectionsAfterSync(detectionsMs: readonly number[]): number[] {
  if (!detectionsMs.length) {
    throw new ProtocolError(
      "The interface board recorded no detection at all, not even the DUT's sync pulse on its first frame: check the WW_DETECTED wire (DUT to the board's PG15) and that the DUT received audio",
    );
  }
  const [sync, ...rest] = detectionsMs;
  return rest.map((ms) => (ms - sync!) / 1000);
}

export function scoreDetections(detectionsS: readonly number[], truth: readonly TruthWindow[], tailS: number): SwwScore {
  const remaining = [...detectionsS].sort((a, b) => a - b);
  const used = Array.from({ length: remaining.length }, () => false);
  const windows = truth.map((w) => {
    const claimed: number[] = [];
    remaining.forEach((t, i) => {
      if (!used[i] && t >= w.startS && t <= w.stopS + tailS) {
        used[i] = true;
        claimed.push(t);
      }
    });
    return { ...w, detectionsS: claimed };
  });
  const falsePositivesS: number[] = [];
  for (let i = 0; i < remaining.length; ++i) {
    if (used[i]) continue;
    const t = remaining[i]!;
    const kept = falsePositivesS.at(-1);
    if (kept !== undefined && t > kept && t <= kept + FALSE_POSITIVE_DEBOUNCE_S) continue;
    falsePositivesS.push(t);
  }
  const truePositives = windows.filter((w) => w.detectionsS.length).length;
  return { tailS, truePositives, falseNegatives: truth.length - truePositives, falsePositives: falsePositivesS.length, windows, falsePositivesS };
}

export interface DutyCycle {
  /** Frames whose start and stop were both recorded. */
  frames: number;
  periodS: number;
  onTimeS: number;
  dutyCycle: number;
  /** 1 / mean on-time: inferences (frames) per second the DUT could sustain. */
  estimatedThroughput: number;
  /** (max - min) / mean of the frame periods; the official runner warns above 2 %. */
  periodSpread: number;
}

export const DUTY_TICK_S = 1e-5;

/**
 * Duty cycle of the processing pin from the board's start/stop ticks
 * (10 µs). Each start pairs with the first stop after it, so a stop recorded
 * before any start (the pin was already high) is not taken as a frame.
 */
export function dutyCycle(startTicks: readonly number[], stopTicks: readonly number[]): DutyCycle {
  const pairs: Array<[number, number]> = [];
  let j = 0;
  for (const start of startTicks) {
    while (j < stopTicks.length && stopTicks[j]! < start) ++j;
    if (j >= stopTicks.length) break;
    pairs.push([start, stopTicks[j++]!]);
  }
  if (pairs.length < 2)
    throw new ProtocolError(
      `The processing (duty-cycle) pin showed ${pairs.length} complete frame(s); at least 2 are needed: check the DUT's processing pin wire to the board's PB5`,
    );
  const periods = pairs.slice(1).map(([s], i) => (s - pairs[i]![0]) * DUTY_TICK_S);
  const periodS = periods.reduce((a, b) => a + b, 0) / periods.length;
  const onTimeS = (pairs.reduce((a, [s, e]) => a + (e - s), 0) / pairs.length) * DUTY_TICK_S;
  return {
    frames: pairs.length,
    periodS,
    onTimeS,
    dutyCycle: onTimeS / periodS,
    estimatedThroughput: onTimeS > 0 ? 1 / onTimeS : 0,
    periodSpread: (Math.max(...periods) - Math.min(...periods)) / periodS,
  };
}
