/**
 * Energy per inference from a monitor's samples and the DUT's timestamp
 * edges. The edges of a window are the two the host expects for that `infer`
 * (counted from the known sequence), not "the last two"; each window must
 * last at least 10 s; the sample count between the edges is cross-checked
 * against the monitor's own clock. Nothing here can yield NaN.
 */
import { TinyBenchError } from '../host/errors.js';
import { median } from '../host/core/scoring.js';

export interface EnergyWindow {
  inferences: number;
  energyJ: number;
  elapsedS: number;
  energyPerInferenceUj: number;
  powerMw: number;
  throughput: number;
}

/**
 * The two edges of one `infer`: the DUT raises one edge before and one after
 * the timed inferences, so they are the first two edges after the
 * `edgesBefore` already seen. Any other count is an error naming it.
 */
export function windowEdges(edgeSampleIndexes: readonly number[], edgesBefore: number): [number, number] {
  const fresh = edgeSampleIndexes.slice(edgesBefore);
  if (fresh.length !== 2) {
    throw new TinyBenchError(`Expected exactly 2 timestamp edges for this infer, the monitor saw ${fresh.length} (after ${edgesBefore} earlier ones); check the D7/GPIO wiring and the DUT's energy-mode build`);
  }
  return [fresh[0]!, fresh[1]!];
}

/**
 * Energy between two edges: sum of per-period energies (samples in joules,
 * one per 1/sampleRateHz) from the first edge's sample up to the second's.
 */
export function windowEnergy(samplesJ: ArrayLike<number>, sampleRateHz: number, start: number, end: number, inferences: number, minWindowS = 10): EnergyWindow {
  if (!(end > start) || start < 0 || end > samplesJ.length) throw new TinyBenchError(`Edge samples ${start}..${end} are outside the ${samplesJ.length} samples received`);
  let energyJ = 0;
  for (let k = start; k < end; ++k) {
    const v = samplesJ[k]!;
    if (!Number.isFinite(v)) throw new TinyBenchError(`Sample ${k} is not a number; the monitor stream was damaged`);
    energyJ += v;
  }
  return energyPerInference({ energyJ, elapsedS: (end - start) / sampleRateHz }, inferences, minWindowS);
}

/** Per-inference energy, power and throughput of a span the monitor measured; refuses spans under `minWindowS`. */
export function energyPerInference(span: { energyJ: number; elapsedS: number }, inferences: number, minWindowS = 10): EnergyWindow {
  if (!(inferences > 0)) throw new TinyBenchError('A window needs at least one inference');
  const { energyJ, elapsedS } = span;
  if (!Number.isFinite(energyJ) || !(elapsedS > 0)) throw new TinyBenchError(`The monitor reported ${energyJ} J over ${elapsedS} s; the stream was damaged`);
  if (elapsedS < minWindowS) throw new WindowTooShortError(`The window lasted ${elapsedS.toFixed(3)} s between its edges; the rules ask for at least ${minWindowS} s`, elapsedS);
  return { inferences, energyJ, elapsedS, energyPerInferenceUj: (energyJ / inferences) * 1e6, powerMw: (energyJ / elapsedS) * 1e3, throughput: inferences / elapsedS };
}

/** A window shorter than the rules allow: the runner re-runs it with more inferences. */
export class WindowTooShortError extends TinyBenchError {
  constructor(message: string, readonly elapsedS: number) {
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
    throw new TinyBenchError(`The monitor delivered ${samples} samples for ${monitorElapsedS.toFixed(3)} s of its own clock (${Math.round(expected)} expected at ${sampleRateHz} Hz): samples were lost or time is stretched`);
  }
}

export function medianEnergyPerInference(windows: readonly EnergyWindow[]): number {
  return median(windows.map((w) => w.energyPerInferenceUj));
}
