/**
 * What the energy runner needs from a monitor, whichever it is (LPM01A,
 * PPK2): supply the DUT, acquire, and report the energy between two of the
 * DUT's timestamp edges. Edges are numbered from 0 in the order the monitor
 * saw them since `start`.
 */
import type { Listeners } from '../host/link/link.js';

export type MonitorKind = 'lpm01a' | 'ppk2';

/** Energy and time between two timestamp edges, as the monitor measured them. */
export interface EdgeSpan {
  energyJ: number;
  /** Elapsed time from the sample count at the monitor's nominal rate. */
  elapsedS: number;
  samples: number;
  /** The same interval by the monitor's own clock (LPM01A TimeStamp lines), when it reported one. */
  monitorElapsedS?: number;
  /** Samples the monitor reported lost inside the span. */
  lostSamples: number;
}

/** Average power in bins between two edges, for the report's trace. */
export interface PowerTrace {
  binMs: number;
  powerMw: number[];
  /** Edge times relative to the first bin, ms. */
  edgesMs: number[];
}

export interface MonitorHealth {
  /** Stream tokens that were neither samples nor known lines. */
  garbled: number;
  /** Samples the monitor itself reported lost (TimeStamp cadence, PPK2 counter). */
  lostSamples: number;
}

export interface EnergyMonitor {
  readonly kind: MonitorKind;
  readonly description: string;
  readonly firmware: string | undefined;
  readonly sampleRateHz: number;
  /** The monitor identified itself as tiny-bench's virtual one: its energies come from a power model. */
  readonly simulated: boolean;
  /** Puts the monitor in the state the runner needs: DUT supply at `voltageV`, energy stream, D7/GPIO edges. */
  configure(voltageV: number): Promise<void>;
  powerOn(): Promise<void>;
  powerOff(): Promise<void>;
  /** Starts a fresh acquisition: edge 0 is the first one seen after this. */
  start(): Promise<void>;
  stop(): Promise<void>;
  edgeCount(): number;
  /** Resolves once `count` edges have been seen (and the samples up to the last one); rejects after `timeoutMs`. */
  waitForEdges(count: number, timeoutMs: number): Promise<void>;
  span(fromEdge: number, toEdge: number): EdgeSpan;
  trace(fromEdge: number, toEdge: number, bins: number): PowerTrace;
  health(): MonitorHealth;
  close(): Promise<void>;
}

/** Checks `ready` each time `changes` fires (every chunk the monitor delivers), bounded by `timeoutMs`. */
export function waitUntil(ready: () => boolean, changes: Listeners<[]>, timeoutMs: number, onTimeout: () => Error): Promise<void> {
  if (ready()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(onTimeout());
    }, timeoutMs);
    const off = changes.add(() => {
      if (!ready()) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

/**
 * Average power in at most `bins` bins around the span between periods `a`
 * and `b` of `energyJ` (one value per `periodS`), with 5 % context either
 * side so the edges show.
 */
export function binnedPowerTrace(energyJ: ArrayLike<number>, periodS: number, a: number, b: number, bins: number): PowerTrace {
  const margin = Math.round((b - a) * 0.05);
  const from = Math.max(0, a - margin);
  const to = Math.min(energyJ.length, b + margin);
  const per = Math.max(1, Math.ceil((to - from) / bins));
  const powerMw: number[] = [];
  for (let k = from; k < to; k += per) {
    const end = Math.min(to, k + per);
    let e = 0;
    for (let j = k; j < end; ++j) e += energyJ[j]!;
    powerMw.push((e / ((end - k) * periodS)) * 1e3);
  }
  return { binMs: per * periodS * 1e3, powerMw, edgesMs: [(a - from) * periodS * 1e3, (b - from) * periodS * 1e3] };
}
