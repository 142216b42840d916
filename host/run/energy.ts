/**
 * Energy mode: the DUT's timestamp is a GPIO edge the monitor records, so
 * every measurement comes from the monitor. Calibrate the inference count
 * from a probe's edges, then per window: load one file, `infer N W`, take
 * the two edges this infer raised (counted from the known sequence), check
 * the window lasted >= 10 s and the monitor lost nothing, and divide the
 * energy between the edges by N. Result: median energy per inference.
 */
import { z } from 'zod';

import type { Benchmark } from '../bench/benchmark.js';
import type { Dataset } from '../../datasets/dataset.js';
import type { Dut } from '../devices/dut.js';
import type { DutRunner } from '../devices/dut-session.js';
import { DutMismatchError, MonitorError, TinyBenchError } from '../errors.js';
import type { EnergyMonitor, PowerTrace } from '../../energy/energy-monitor.js';
import { WindowTooShortError, energyPerInference } from '../../energy/energy-math.js';
import { EnergyWindow } from '../report/results-schema.js';
import type { ModeRunner } from './mode-runner.js';
import type { Progress } from '../core/progress.js';
import { median } from '../core/scoring.js';
import { checkCalibration, probeUsPerInference, windowInferences } from './window-sizing.js';

export interface EnergyOptions {
  windows?: number;
  /** Rules: 10 s between the edges. */
  minWindowS?: number;
  maxReruns?: number;
  warmups?: number;
  /** How long the monitor may take to report an edge after the DUT's reply (its stream lags). */
  edgeTimeoutMs?: number;
  done?: { usPerInference?: number; windows: EnergyWindow[] };
  onCalibrated?: (usPerInference: number) => void;
  onWindow?: (window: EnergyWindow) => void;
  /** Simulated bench: the analytic µJ/inference between two edges, recorded beside the measurement. */
  truth?: (fromEdge: number, toEdge: number, inferences: number) => number | undefined;
}

export interface EnergyResult {
  windows: EnergyWindow[];
  energyUjPerInference: number;
  powerMw: number;
  medianThroughput: number;
  usPerInference: number;
  /** Power around the median window (undefined after a resume that ran no window). */
  trace?: PowerTrace & { file: string };
}

/**
 * Checks the wiring before any window: `timestamp` on an energy-mode DUT
 * prints no lap and makes exactly one edge at the monitor.
 */
export async function checkTimestampWiring(runner: DutRunner, monitor: EnergyMonitor, edgeTimeoutMs = 3000): Promise<void> {
  await runner.run('timestamp wiring check', async (dut) => {
    const before = monitor.edgeCount();
    if ((await dut.timestampMode()) === 'performance') {
      throw new DutMismatchError(
        'The DUT answered `timestamp` with a lap (m-lap-us): it runs performance-mode firmware; energy mode needs a build with EE_CFG_ENERGY_MODE 1',
      );
    }
    await monitor.waitForEdges(before + 1, edgeTimeoutMs);
  });
}

/** Runs `infer` and returns the energy span of exactly the two edges it raised. */
async function measuredInfer(
  dut: Dut,
  monitor: EnergyMonitor,
  iterations: number,
  warmups: number,
  usPerInference: number | undefined,
  edgeTimeoutMs: number,
): Promise<{ energyJ: number; elapsedS: number; samples: number; monitorElapsedS?: number; from: number }> {
  const before = monitor.edgeCount();
  await dut.infer(iterations, warmups, usPerInference);
  await monitor.waitForEdges(before + 2, edgeTimeoutMs);
  const seen = monitor.edgeCount() - before;
  if (seen !== 2)
    throw new MonitorError(
      `Expected 2 timestamp edges for 'infer ${iterations} ${warmups}', the monitor saw ${seen}; something else toggles the D7/timestamp line`,
    );
  const span = monitor.span(before, before + 1);
  if (span.lostSamples > 0) throw new MonitorError(`The monitor lost ${span.lostSamples} samples inside this window; its energy cannot be trusted`);
  return { ...span, from: before };
}

export async function runEnergy(
  runner: DutRunner,
  monitor: EnergyMonitor,
  benchmark: Benchmark,
  dataset: Dataset,
  progress: Progress,
  options: EnergyOptions = {},
): Promise<EnergyResult> {
  const windowCount = options.windows ?? 5;
  const minWindowS = options.minWindowS ?? 10;
  const maxReruns = options.maxReruns ?? 3;
  const warmups = options.warmups ?? benchmark.energyWarmups;
  const edgeTimeoutMs = options.edgeTimeoutMs ?? 5000;
  if (dataset.samples.length < windowCount)
    throw new TinyBenchError(`Energy mode needs ${windowCount} different files; ${dataset.labelsPath} lists ${dataset.samples.length}`);
  const samples = dataset.samples.slice(0, windowCount);

  progress.start(`${benchmark.id} energy: calibrating`, windowCount);
  const first = samples[0]!;
  let usPerInference =
    options.done?.usPerInference ??
    (await runner.run(`energy calibration probe (${first.row.file})`, async (dut) => {
      await dut.load(benchmark.performanceInput(dataset.read(first), first.row));
      // Never shorter than one monitor sample: that is the clock's resolution here.
      const probed = await probeUsPerInference(
        async (n, estimate) => Math.max((await measuredInfer(dut, monitor, n, 0, estimate, edgeTimeoutMs)).elapsedS, 1 / monitor.sampleRateHz) * 1e6,
      );
      // Held to the same rules as the performance probe: a broken timestamp line must not size the windows.
      return checkCalibration(probed, 'energy calibration probe');
    }));
  if (options.done?.usPerInference === undefined) options.onCalibrated?.(usPerInference);

  const windows: EnergyWindow[] = [...(options.done?.windows ?? [])];
  const traces = new Map<number, PowerTrace>();
  for (const [index, sample] of samples.entries()) {
    if (index < windows.length) continue;
    const label = `energy window ${index + 1} (${sample.row.file})`;
    const window = await runner.run(label, async (dut) => {
      await dut.load(benchmark.performanceInput(dataset.read(sample), sample.row));
      let inferences = windowInferences(minWindowS * 1e6, usPerInference);
      for (let reruns = 0; ; ++reruns) {
        progress.advance(index, `window ${index + 1}/${windowCount}: ${inferences} inferences on ${sample.row.file}`);
        const span = await measuredInfer(dut, monitor, inferences, warmups, usPerInference, edgeTimeoutMs);
        try {
          const w = energyPerInference(span, inferences, minWindowS);
          usPerInference = (span.elapsedS * 1e6) / inferences;
          traces.set(index, monitor.trace(span.from, span.from + 1, 400));
          const truth = options.truth?.(span.from, span.from + 1, inferences);
          return {
            ...(truth !== undefined ? { truthUjPerInference: truth } : {}),
            file: sample.row.file,
            inferences,
            warmups,
            energyUj: w.energyJ * 1e6,
            elapsedS: w.elapsedS,
            energyUjPerInference: w.energyPerInferenceUj,
            powerMw: w.powerMw,
            throughput: w.throughput,
            samples: span.samples,
            edges: [span.from, span.from + 1],
            ...(span.monitorElapsedS !== undefined ? { monitorElapsedS: span.monitorElapsedS } : {}),
            rerunsTooShort: reruns,
          } satisfies EnergyWindow;
        } catch (error) {
          if (!(error instanceof WindowTooShortError) || reruns >= maxReruns) throw error;
          usPerInference = (Math.max(span.elapsedS, 1e-3) * 1e6) / inferences;
          inferences = windowInferences(minWindowS * 1e6, usPerInference, inferences + 1);
        }
      }
    });
    windows.push(window);
    options.onWindow?.(window);
  }
  const energyUjPerInference = median(windows.map((w) => w.energyUjPerInference));
  // The median window's trace, else (an even count, or a resume) the first one measured here.
  const medianIndex = windows.findIndex((w) => w.energyUjPerInference === energyUjPerInference);
  const traceIndex = traces.has(medianIndex) ? medianIndex : traces.keys().next().value;
  const trace = traceIndex === undefined ? undefined : traces.get(traceIndex);
  progress.finish(`${benchmark.id} energy: median ${energyUjPerInference.toFixed(1)} uJ/inference`);
  return {
    windows,
    energyUjPerInference,
    powerMw: median(windows.map((w) => w.powerMw)),
    medianThroughput: median(windows.map((w) => w.throughput)),
    usPerInference,
    ...(trace ? { trace: { ...trace, file: windows[traceIndex!]!.file } } : {}),
  };
}

/** Energy mode's row of the mode table: the DUT behind the bench's interface board, measured by its monitor. */
export const energyMode: ModeRunner = {
  mode: 'energy',
  checkpoint: { calibration: z.number().positive(), 'energy-window': EnergyWindow },
  async run({ session, connection, benchmark, dataset, progress, plan, test, checkpoint }) {
    const rig = connection.rig;
    if (!rig) throw new TinyBenchError('Energy mode needs the energy bench connection');
    await checkTimestampWiring(session, rig.monitor, rig.timing.edgeTimeoutMs);
    const calibration = checkpoint.of<number>('calibration')[0];
    const windows = plan.windows ?? test?.loops;
    const energy = await runEnergy(session, rig.monitor, benchmark, dataset, progress, {
      ...(windows ? { windows } : {}),
      ...(test?.warmups !== undefined ? { warmups: test.warmups } : {}),
      edgeTimeoutMs: rig.timing.edgeTimeoutMs,
      ...(rig.truth ? { truth: rig.truth } : {}),
      done: { windows: checkpoint.of<EnergyWindow>('energy-window'), ...(calibration !== undefined ? { usPerInference: calibration } : {}) },
      onCalibrated: (value) => checkpoint.append({ kind: 'calibration', value }),
      onWindow: (value) => checkpoint.append({ kind: 'energy-window', value }),
    });
    const health = rig.monitor.health();
    return {
      files: energy.windows.length,
      subset: false,
      energyUjPerInference: energy.energyUjPerInference,
      powerMw: energy.powerMw,
      medianThroughput: energy.medianThroughput,
      latencyMs: 1000 / energy.medianThroughput,
      energyWindows: energy.windows,
      monitor: {
        kind: rig.monitor.kind,
        description: rig.monitor.description,
        ...(rig.monitor.firmware ? { firmware: rig.monitor.firmware } : {}),
        sampleRateHz: rig.monitor.sampleRateHz,
        voltageV: rig.voltageV,
        interfaceBoard: rig.board.description,
        garbledTokens: health.garbled,
        lostSamples: health.lostSamples,
        ...(rig.powerModel
          ? { powerModel: { ...rig.powerModel, truthUjPerInference: median(energy.windows.map((w) => w.truthUjPerInference ?? Number.NaN)) } }
          : {}),
      },
      ...(energy.trace ? { energyTrace: energy.trace } : {}),
    };
  },
};
