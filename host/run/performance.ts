import { z } from 'zod';

import type { Benchmark } from '../bench/benchmark.js';
import type { Dataset } from '../../datasets/dataset.js';
import type { DutRunner } from '../devices/dut-session.js';
import { TinyBenchError, WrongAnswerError } from '../errors.js';
import { PerformanceWindow } from '../report/results-schema.js';
import { type ModeRunner, requireLapTimestamps } from './mode-runner.js';
import type { Progress } from '../core/progress.js';
import { median, throughput } from '../core/scoring.js';
import { checkCalibration, probeUsPerInference, windowInferences } from './window-sizing.js';

export interface PerformanceOptions {
  /** Windows, each on a different dataset file (rules: 5). */
  windows?: number;
  /** Minimum DUT time per window (rules: 10 s). */
  minWindowUs?: number;
  /** Re-runs of a window that came out too short before giving up. */
  maxReruns?: number;
  /** Warm-up inferences per window (default: the official tests_performance.yaml value). */
  warmups?: number;
  /** Work already done (resume): the calibration and finished windows are not repeated. */
  done?: { usPerInference?: number; windows: PerformanceWindow[] };
  onCalibrated?: (usPerInference: number) => void;
  onWindow?: (window: PerformanceWindow) => void;
}

export interface PerformanceResult {
  windows: PerformanceWindow[];
  medianThroughput: number;
  latencyMs: number;
  /** Microseconds per inference measured by the calibration probe. */
  probeUsPerInference: number;
}

/** Above this the DUT's timer is broken, not the DUT fast: even 1 us per inference needs only 11 million. */
const MAX_INFERENCES = 100_000_000;
/** A window longer than this multiple of its expected length has bad laps (damage, or a stamp that went backwards). */
const LAP_PLAUSIBILITY = 20;

/**
 * Performance mode: calibrate the inference count from a short probe, then
 * run one window per file; a window shorter than the minimum is re-run with a
 * larger count, never accepted. Result: median throughput of the windows.
 */
export async function runPerformance(
  runner: DutRunner,
  benchmark: Benchmark,
  dataset: Dataset,
  progress: Progress,
  options: PerformanceOptions = {},
): Promise<PerformanceResult> {
  const windowCount = options.windows ?? 5;
  const minWindowUs = options.minWindowUs ?? 10_000_000;
  const maxReruns = options.maxReruns ?? 3;
  if (dataset.samples.length < windowCount) {
    throw new TinyBenchError(`Performance mode needs ${windowCount} different files; ${dataset.labelsPath} lists ${dataset.samples.length}`);
  }
  const samples = dataset.samples.slice(0, windowCount);
  const warmups = options.warmups ?? benchmark.performanceWarmups;

  progress.start(`${benchmark.id} performance: calibrating`, windowCount);
  const first = samples[0]!;
  let usPerInference =
    options.done?.usPerInference ??
    (await runner.run(`calibration probe (${first.row.file})`, async (dut) => {
      await dut.load(benchmark.performanceInput(dataset.read(first), first.row));
      return checkCalibration(await probeUsPerInference(async (n, estimate) => Math.max((await dut.infer(n, 0, estimate)).elapsedUs!, 1)), 'calibration probe');
    }));
  if (options.done?.usPerInference === undefined) options.onCalibrated?.(usPerInference);

  const windows: PerformanceWindow[] = [...(options.done?.windows ?? [])];
  for (const [index, sample] of samples.entries()) {
    if (index < windows.length) continue;
    const label = `window ${index + 1} (${sample.row.file})`;
    const window = await runner.run(label, async (dut) => {
      await dut.load(benchmark.performanceInput(dataset.read(sample), sample.row));
      let inferences = windowInferences(minWindowUs, usPerInference);
      let reruns = 0;
      for (;;) {
        progress.advance(index, `window ${index + 1}/${windowCount}: ${inferences} inferences on ${sample.row.file}`);
        const run = await dut.infer(inferences, warmups, usPerInference);
        const elapsedUs = run.elapsedUs!;
        // A lap that went backwards reads as a counter wrap: far too long a window.
        if (elapsedUs > LAP_PLAUSIBILITY * inferences * usPerInference) {
          throw new WrongAnswerError(
            `${inferences} inferences took ${elapsedUs} us, more than ${LAP_PLAUSIBILITY}x the ${Math.round(usPerInference)} us per inference measured; the laps are out of order or damaged`,
            [],
            'laps-implausible',
          );
        }
        if (elapsedUs >= minWindowUs) {
          usPerInference = elapsedUs / inferences;
          return { file: sample.row.file, inferences, warmups, elapsedUs, throughput: throughput(inferences, elapsedUs), rerunsTooShort: reruns };
        }
        if (++reruns > maxReruns) {
          throw new TinyBenchError(
            `Window ${index + 1} (${sample.row.file}) stayed under ${minWindowUs / 1e6} s after ${maxReruns} re-runs (last: ${inferences} inferences in ${elapsedUs} us); the DUT timer may be wrong`,
          );
        }
        // Too short: scale up from what this run measured, with the margin, and run it again.
        usPerInference = Math.max(elapsedUs, 1) / inferences;
        inferences = windowInferences(minWindowUs, usPerInference, inferences + 1);
        if (inferences > MAX_INFERENCES) {
          throw new TinyBenchError(
            `Window ${index + 1} (${sample.row.file}) would need ${inferences} inferences to last ${minWindowUs / 1e6} s (${elapsedUs} us measured); the DUT timer does not seem to advance`,
          );
        }
      }
    });
    windows.push(window);
    options.onWindow?.(window);
  }
  const medianThroughput = median(windows.map((w) => w.throughput));
  progress.finish(`${benchmark.id} performance: median ${medianThroughput.toFixed(3)} inf/s`);
  return { windows, medianThroughput, latencyMs: 1000 / medianThroughput, probeUsPerInference: usPerInference };
}

/** Performance mode's row of the mode table. */
export const performanceMode: ModeRunner = {
  mode: 'performance',
  checkpoint: { calibration: z.number().positive(), window: PerformanceWindow },
  async run(context) {
    const { session, benchmark, dataset, progress, plan, test, checkpoint } = context;
    await requireLapTimestamps(context, 'performance');
    const calibration = checkpoint.of<number>('calibration')[0];
    const windows = plan.windows ?? test?.loops;
    const perf = await runPerformance(session, benchmark, dataset, progress, {
      ...(windows ? { windows } : {}),
      ...(test?.warmups !== undefined ? { warmups: test.warmups } : {}),
      done: { windows: checkpoint.of<PerformanceWindow>('window'), ...(calibration !== undefined ? { usPerInference: calibration } : {}) },
      onCalibrated: (value) => checkpoint.append({ kind: 'calibration', value }),
      onWindow: (value) => checkpoint.append({ kind: 'window', value }),
    });
    return { files: perf.windows.length, subset: false, medianThroughput: perf.medianThroughput, latencyMs: perf.latencyMs, windows: perf.windows };
  },
};
