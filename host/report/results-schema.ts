/**
 * results.json: one document per benchmark and mode, versioned and validated
 * before it is written and when it is read back.
 */
import { z } from 'zod';

export const RESULTS_SCHEMA_VERSION = 1;

const finite = z.number().finite();

export const ClassifierFileResult = z.object({
  file: z.string(),
  label: z.number().int(),
  pred: z.number().int(),
  /** The DUT's result vector exactly as parsed. */
  results: z.array(finite),
});

export const AnomalyFileResult = z.object({
  file: z.string(),
  label: z.number().int(),
  /** Mean of the window scores. */
  score: finite,
  windows: z.number().int().positive(),
  windowScores: z.array(finite),
});

export const PerformanceWindow = z.object({
  file: z.string(),
  inferences: z.number().int().positive(),
  warmups: z.number().int().nonnegative(),
  elapsedUs: z.number().int().positive(),
  throughput: finite,
  /** Runs of this window that were too short and re-run with more inferences. */
  rerunsTooShort: z.number().int().nonnegative(),
});

export const EnergyWindow = z.object({
  file: z.string(),
  inferences: z.number().int().positive(),
  warmups: z.number().int().nonnegative(),
  /** Energy between the window's two timestamp edges. */
  energyUj: finite,
  /** Time between the edges, from the monitor's samples. */
  elapsedS: finite,
  energyUjPerInference: finite,
  powerMw: finite,
  throughput: finite,
  /** Monitor samples between the edges, and the same span by the monitor's own clock (LPM01A TimeStamp lines). */
  samples: z.number().int().positive(),
  /** Which edges of the monitor's acquisition bracket this window (counted from 0 since its start). */
  edges: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]),
  monitorElapsedS: finite.optional(),
  /** Simulated bench only: the power model's exact value for this window. */
  truthUjPerInference: finite.optional(),
  rerunsTooShort: z.number().int().nonnegative(),
});

export const EnergyMonitorInfo = z.object({
  kind: z.enum(['lpm01a', 'ppk2']),
  description: z.string(),
  firmware: z.string().optional(),
  sampleRateHz: finite,
  voltageV: finite,
  interfaceBoard: z.string(),
  garbledTokens: z.number().int().nonnegative(),
  lostSamples: z.number().int().nonnegative(),
  /** Simulated bench only: the power model and its analytic energy per inference for the measured time per inference. */
  powerModel: z.object({ activeCurrentA: finite, idleCurrentA: finite, truthUjPerInference: finite }).optional(),
});

/** Average power around one window (the median one), for the report's trace. */
export const EnergyTrace = z.object({ file: z.string(), binMs: finite, powerMw: z.array(finite), edgesMs: z.array(finite) });

export const ResultsDocument = z.object({
  schemaVersion: z.literal(RESULTS_SCHEMA_VERSION),
  tool: z.object({ name: z.literal('tiny-bench'), version: z.string() }),
  benchmark: z.enum(['kws01', 'vww01', 'ic01', 'ad01']),
  mode: z.enum(['performance', 'accuracy', 'energy']),
  /** True when the figures come from the virtual DUT's cost model, not real hardware. */
  simulated: z.boolean(),
  startedAt: z.string(),
  finishedAt: z.string(),
  wallSeconds: finite,
  command: z.array(z.string()),
  dut: z.object({
    name: z.string(),
    firmware: z.string(),
    model: z.string(),
    commandBuffer: z.number().int().positive(),
    link: z.string(),
  }),
  labelsFile: z.string(),
  files: z.number().int().nonnegative(),
  /** True when --limit ran fewer files than the labels file lists: never a full result. */
  subset: z.boolean(),
  top1: finite.optional(),
  auc: finite.optional(),
  /** ad01 only: the official runner's threshold-sweep "Top 1%", for comparison. */
  legacyAdAccuracy: finite.optional(),
  perFile: z.array(z.union([ClassifierFileResult, AnomalyFileResult])).optional(),
  medianThroughput: finite.optional(),
  latencyMs: finite.optional(),
  windows: z.array(PerformanceWindow).optional(),
  /** Energy mode: median energy per inference over the windows, and the median window power. */
  energyUjPerInference: finite.optional(),
  powerMw: finite.optional(),
  energyWindows: z.array(EnergyWindow).optional(),
  monitor: EnergyMonitorInfo.optional(),
  energyTrace: EnergyTrace.optional(),
  qualityTarget: z
    .object({ metric: z.enum(['top1', 'auc']), threshold: finite, pass: z.boolean() })
    .optional(),
  /**
   * Rules of the benchmark the result breaks (a window under 10 s or under
   * 10 inferences, a timer that cannot be right, a throughput of 0): such a
   * result is INVALID, shown as such and refused by `submission`. Absent: valid.
   */
  invalid: z.array(z.string()).min(1).optional(),
  /** Link trouble the run recovered from (retried samples, DUT resets, reopened links) and faults injected on purpose. */
  recovery: z
    .object({
      retries: z.number().int(),
      resets: z.number().int(),
      reconnects: z.number().int(),
      /** Commands sent again inside a sample or window (damaged or incomplete replies) without restarting it. */
      resends: z.number().int().optional(),
      faultsInjected: z.number().int().optional(),
    })
    .optional(),
});

export type ResultsDocument = z.infer<typeof ResultsDocument>;
export type ClassifierFileResult = z.infer<typeof ClassifierFileResult>;
export type AnomalyFileResult = z.infer<typeof AnomalyFileResult>;
export type PerformanceWindow = z.infer<typeof PerformanceWindow>;
export type EnergyWindow = z.infer<typeof EnergyWindow>;
export type EnergyMonitorInfo = z.infer<typeof EnergyMonitorInfo>;
export type EnergyTrace = z.infer<typeof EnergyTrace>;
