/**
 * Energy per inference from a monitor's samples between the DUT's two
 * timestamp edges of a window: each window must last at least 10 s; the
 * sample count between the edges is cross-checked against the monitor's own
 * clock. Nothing here can yield NaN.
 */
import { TinyBenchError } from '../host/errors.js';

export interface EnergyWindow {
  inferences: number;
  energyJ: number;
  elapsedS: number;
  energyPerInferenceUj: number;
  powerMw: number;
  throughput: number;
}

/**
 * Energy between two edges: the sum of per-period energies (samples in
 * joules, one per sample period) from the first edge's sample up to the
 * second's. Refuses edges outside the stream and samples that are not numbers.
 */
export function energyBetween(samplesJ: ArrayLike<number>, start: number, end: number): number {
  if (!(end > start) || start < 0 || end > samplesJ.length)
    throw new TinyBenchError(`Edge samples ${start}..${end} are outside the ${samplesJ.length} samples received`);
  let energyJ = 0;
  for (let k = start; k < end; ++k) {
    const v = samplesJ[k]!;
    if (!Number.isFinite(v)) throw new TinyBenchError(`Sample ${k} is not a number; the monitor stream was damaged`);
    energyJ += v;
  }
  return energyJ;
}

/** Per-inference energy, power and throughput of a span the monitor measured; refuses spans under `minWindowS`. */
export function energyPerInference(span: { energyJ: number; elapsedS: number }, inferences: number, minWindowS = 10): EnergyWindow {
  if (!(inferences > 0)) throw new TinyBenchError('A window needs at least one inference');
  const { energyJ, elapsedS } = span;
  if (!Number.isFinite(energyJ) || !(elapsedS > 0)) throw new TinyBenchError(`The monitor reported ${energyJ} J over ${elapsedS} s; the stream was damaged`);
  if (elapsedS < minWindowS)
    throw new WindowTooShortError(`The window lasted ${elapsedS.toFixed(3)} s between its edges; the rules ask for at least ${minWindowS} s`, elapsedS);
  return {
    inferences,
    energyJ,
    elapsedS,
    energyPerInferenceUj: (energyJ / inferences) * 1e6,
    powerMw: (energyJ / elapsedS) * 1e3,
    throughput: inferences / elapsedS,
  };
}

/** A window shorter than the rules allow: the runner re-runs it with more inferences. */
export class WindowTooShortError extends TinyBenchError {
  constructor(
    message: string,
    readonly elapsedS: number,
  ) {
    super(message);
  }
}

/**
 * A monitor that drops or stretches samples shows it here: the samples
 * between the edges must match the monitor's own elapsed time (from its
 * TimeStamp lines) within `tolerance`.
 */
export function checkSampleCount(samples: number, monitorElapsedS: number, sampleRateHz: number, tolerance = 0.005): void {
  const expected = monitorElapsedS * sampleRateHz;
  if (Math.abs(samples - expected) > Math.max(2, expected * tolerance)) {
    throw new TinyBenchError(
      `The monitor delivered ${samples} samples for ${monitorElapsedS.toFixed(3)} s of its own clock (${Math.round(expected)} expected at ${sampleRateHz} Hz): samples were lost or time is stretched`,
    );
  }
}
