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

const SwwScoreSchema = z.object({
  tailS: finite,
  truePositives: z.number().int().nonnegative(),
  falseNegatives: z.number().int().nonnegative(),
  falsePositives: z.number().int().nonnegative(),
  /** Per truth window [startS, stopS], the detections (s after the sync pulse) it claimed. */
  windows: z.array(z.object({ startS: finite, stopS: finite, detectionsS: z.array(finite) })),
  falsePositivesS: z.array(finite),
});

/** sww01: one stream played to the DUT (host/run/streaming.ts). */
export const StreamingStream = z.object({
  wavFile: z.string(),
  lengthS: finite,
  /** print_detections as the board gave them (ms, the sync pulse first). */
  detectionsMs: z.array(z.number().int().nonnegative()),
  detectionsS: z.array(finite),
  /** The DUT's output[0] per processed frame (its stop dump). */
  activations: z.array(z.number().int()),
  framesInStream: z.number().int().nonnegative(),
  framesMissed: z.number().int().nonnegative(),
  /** The rules' 1 s tail (the result) and the official runner code's effective 2 s tail (for comparison). */
  score: SwwScoreSchema,
  officialCodeScore: SwwScoreSchema,
  duty: z.object({ frames: z.number().int(), periodS: finite, onTimeS: finite, dutyCycle: finite, estimatedThroughput: finite, periodSpread: finite }),
  energy: z
    .object({
      energyUj: finite,
      elapsedS: finite,
      powerMw: finite,
      samples: z.number().int(),
      edges: z.tuple([z.number().int(), z.number().int()]),
      monitorElapsedS: finite.optional(),
      trace: z.object({ binMs: finite, powerMw: z.array(finite), edgesMs: z.array(finite) }).optional(),
    })
    .optional(),
});

export const StreamingResults = z.object({
  streams: z.array(StreamingStream),
  /** Totals over the streams, rules' 1 s tail. */
  truePositives: z.number().int().nonnegative(),
  falseNegatives: z.number().int().nonnegative(),
  falsePositives: z.number().int().nonnegative(),
  officialCodeTotals: z.object({ truePositives: z.number().int(), falseNegatives: z.number().int(), falsePositives: z.number().int() }),
  /** Mean over the streams. */
  dutyCycle: finite,
  estimatedThroughput: finite,
  powerMw: finite.optional(),
  /** Simulated bench: the virtual DUT's core clock. */
  dutClockHz: finite.optional(),
  /** Rules: <= 8 FP and <= 8 FN; the checker also wants TP + FN = 50 (the long stream). */
  quality: z.object({
    maxFalsePositives: z.number().int(),
    maxFalseNegatives: z.number().int(),
    pass: z.boolean(),
    wakewords: z.number().int(),
    checkerWakewords: z.number().int(),
  }),
});

export const ResultsDocument = z.object({
  schemaVersion: z.literal(RESULTS_SCHEMA_VERSION),
  tool: z.object({ name: z.literal('tiny-bench'), version: z.string() }),
  benchmark: z.enum(['kws01', 'vww01', 'ic01', 'ad01', 'ic02', 'sww01']),
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
    /** A baud switch (run --fast-baud): the rate the link booted at, the one asked, the one the run ended at, what happened. */
    baud: z
      .object({
        bootRate: z.number().int().positive(),
        asked: z.number().int().positive(),
        rate: z.number().int().positive(),
        switched: z.boolean(),
        switches: z.number().int().nonnegative(),
        note: z.string(),
      })
      .optional(),
  }),
  labelsFile: z.string(),
  files: z.number().int().nonnegative(),
  /** True when --limit ran fewer files than the labels file lists: never a full result. */
  subset: z.boolean(),
  /** Why this is a subset (--limit, or an index shorter than the official one). */
  subsetReason: z.string().optional(),
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
  /** sww01: the streams, their detections against the truth windows, duty cycle and power. */
  streaming: StreamingResults.optional(),
  qualityTarget: z.object({ metric: z.enum(['top1', 'auc']), threshold: finite, pass: z.boolean() }).optional(),
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
export type StreamingResults = z.infer<typeof StreamingResults>;
export type StreamingStream = z.infer<typeof StreamingStream>;
