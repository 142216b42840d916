/**
 * How many inferences a measured window needs, for performance and energy
 * mode alike: a probe that grows until it is long enough to time, then
 * windows sized for the rules' minimum with a margin.
 */
import { MAX_PLAUSIBLE_WINDOW_US, MIN_WINDOW_INFERENCES } from '../core/window-rules.js';
import { WrongAnswerError } from '../errors.js';

export { MAX_PLAUSIBLE_WINDOW_US, MIN_WINDOW_INFERENCES };

/** A probe shorter than this is repeated with more inferences, so timer resolution and loop overhead do not dominate. */
const PROBE_MIN_US = 100_000;
/** Windows are sized 10 % above the minimum so ordinary jitter never forces a re-run. */
const CALIBRATION_MARGIN = 1.1;
/**
 * Microseconds per inference from probes of 1, then up to 10x more
 * inferences (at most 8 probes). `measureUs(n, estimate)` runs n inferences
 * and returns their duration in µs, never below the clock's resolution.
 */
export async function probeUsPerInference(measureUs: (inferences: number, estimateUs: number | undefined) => Promise<number>): Promise<number> {
  let n = 1;
  let perInference: number | undefined;
  for (let attempt = 0; attempt < 8; ++attempt) {
    const elapsed = await measureUs(n, perInference);
    perInference = elapsed / n;
    if (elapsed >= PROBE_MIN_US) break;
    n = Math.min(n * 10, Math.ceil(PROBE_MIN_US / Math.max(perInference, 1)));
  }
  return perInference!;
}

/** Inferences for a window of at least `minWindowUs` (with the margin), at least `atLeast` and at least MIN_WINDOW_INFERENCES. */
export function windowInferences(minWindowUs: number, usPerInference: number, atLeast = 1): number {
  return Math.max(atLeast, MIN_WINDOW_INFERENCES, Math.ceil((minWindowUs * CALIBRATION_MARGIN) / usPerInference));
}

/**
 * The calibration is held to the windows' rules: a time per inference that is
 * not a positive finite number, or one so long that even a single
 * inference would outlast any window the rules need, is a broken timer.
 */
export function checkCalibration(usPerInference: number, what: string): number {
  if (!Number.isFinite(usPerInference) || usPerInference <= 0 || usPerInference > MAX_PLAUSIBLE_WINDOW_US / MIN_WINDOW_INFERENCES) {
    throw new WrongAnswerError(`${what}: ${usPerInference} us per inference is not a plausible measurement; the DUT's timer is wrong`, [], 'calibration');
  }
  return usPerInference;
}
