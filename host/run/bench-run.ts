/**
 * One `tiny-bench run`: for each benchmark connect a DUT, identify it, run
 * the requested modes and write the session folder. Knows DUTs only through
 * Link -> LineChannel -> Dut, wrapped in a recovering DutSession.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { openDataset } from '../../datasets/dataset.js';
import { datasetDir, modelPath } from '../../datasets/data-dir.js';
import { BENCHMARKS, type Benchmark, type BenchmarkId, benchmarkForModelId } from '../bench/benchmark.js';
import { DutSession, type Reconnectable } from '../devices/dut-session.js';
import { ConfigError, DutMismatchError, TinyBenchError } from '../errors.js';
import { FaultInjector, type FaultOptions } from '../link/faults.js';
import type { Link } from '../link/link.js';
import { openPortLink } from '../link/port-link.js';
import { toolVersion } from '../paths.js';
import { type EnergyWindow, ResultsDocument, type PerformanceWindow } from '../report/results-schema.js';
import type { TestPlan } from '../config/mlcommons.js';
import { type QemuBoardName, startQemuDut } from '../sim/qemu-dut.js';
import { VirtualDutConnection } from '../sim/wasm-dut.js';
import { type FileResult, runAccuracy } from './accuracy.js';
import { Checkpoint } from './checkpoint.js';
import { checkTimestampWiring, runEnergy } from './energy.js';
import { type EnergyPlan, type EnergyRig, openEnergyRig } from './energy-rig.js';
import { runPerformance } from './performance.js';
import { median } from './scoring.js';
import type { Progress } from './progress.js';
import { TranscriptLog, createSessionDir, insideDir, writeResults } from './session.js';

export type Mode = 'performance' | 'accuracy' | 'energy';

export type DutChoice =
  | { kind: 'sim'; commandBuffer?: number; energyMode?: boolean }
  /** Any Link the caller opens (library use, tests); it cannot be resumed from session.json. */
  | { kind: 'link'; open: () => Promise<Link>; simulated: boolean; commandTimeoutMs?: number }
  | { kind: 'qemu'; board?: QemuBoardName; shift?: number }
  | { kind: 'serial'; path: string; baudRate: number };

/** What a session was asked to do; saved as session.json so --resume can continue it. */
export interface RunPlan {
  /** Undefined: every benchmark on a virtual or emulated DUT, the DUT's own model on a port. */
  benchmarks?: BenchmarkId[];
  modes: Mode[];
  dut: DutChoice;
  dataDir: string;
  datasetPath?: string;
  labels?: string;
  limit?: number;
  windows?: number;
  /** Virtual DUT only: faults injected on its wire. */
  faults?: FaultOptions;
  /** Energy mode: where the interface board and monitor are, DUT voltage and baud. */
  energy?: EnergyPlan;
  /** From an MLCommons tests_*.yaml: windows (loop N), warm-ups (infer N W) and truth file per model. */
  testPlans?: Record<string, TestPlan>;
  command: string[];
}

export interface RunOptions extends RunPlan {
  outDir: string;
  progress: Progress;
  /** Writes a line for the person running (stderr or stdout). */
  say: (line: string) => void;
}

export interface SessionResult {
  sessionDir: string;
  documents: ResultsDocument[];
}

interface Connection extends Reconnectable {
  simulated: boolean;
  /** Timeout of short commands: a virtual DUT answers in microseconds, a board may take seconds. */
  commandTimeoutMs: number;
  /** Silence that means the DUT has finished talking. */
  settleQuietMs: number;
  faults?: FaultInjector;
  close(): Promise<void>;
}

async function connect(plan: RunPlan, benchmark: Benchmark | undefined): Promise<Connection> {
  const choice = plan.dut;
  if (choice.kind === 'sim') {
    if (!benchmark) throw new ConfigError('The virtual DUT needs a benchmark');
    const model = readFileSync(modelPath(plan.dataDir, benchmark));
    const faults = plan.faults && (plan.faults.rate > 0 || (plan.faults.eventRate ?? 0) > 0) ? new FaultInjector(plan.faults) : undefined;
    const virtual = await VirtualDutConnection.open({
      benchmark,
      model,
      ...(choice.commandBuffer ? { commandBuffer: choice.commandBuffer } : {}),
      ...(choice.energyMode ? { energyMode: true } : {}),
      ...(faults ? { wire: { faults } } : {}),
    });
    const connection: Connection = {
      link: virtual.link,
      simulated: true,
      bootWaitMs: 50,
      // In-process: replies take microseconds, so short waits cost little when faults are injected.
      commandTimeoutMs: 250,
      settleQuietMs: 5,
      reopen: () => virtual.reopen(),
      close: () => virtual.close(),
      ...(faults ? { faults } : {}),
    };
    return connection;
  }
  if (plan.faults) throw new ConfigError('Fault injection (--fault-rate) only applies to the virtual DUT (--dut sim)');
  if (choice.kind === 'link') {
    const link = await choice.open();
    return { link, simulated: choice.simulated, bootWaitMs: 100, commandTimeoutMs: choice.commandTimeoutMs ?? 5000, settleQuietMs: 20, reopen: choice.open, close: () => link.close() };
  }
  if (choice.kind === 'qemu') {
    if (!benchmark) throw new ConfigError('The QEMU DUT needs a benchmark');
    const qemu = await startQemuDut({ benchmark, modelPath: modelPath(plan.dataDir, benchmark), ...(choice.board ? { board: choice.board } : {}), ...(choice.shift !== undefined ? { shift: choice.shift } : {}) });
    // Emulated timing (instruction counts), so labelled simulated like the virtual DUT.
    return { link: qemu.link, simulated: true, bootWaitMs: 2000, commandTimeoutMs: 5000, settleQuietMs: 200, close: () => qemu.close() };
  }
  // A device path or a network-exported UART (rfc2217://, tcp://): the link kind follows --port.
  const open = (): Promise<Link> => openPortLink(choice.path, choice.baudRate);
  const link = await open();
  // Many boards reset when the port opens (DTR); the official runner waits 2 s.
  // close() closes the link in use now: after a reconnect that is the reopened one (a socket left open keeps the process alive).
  const connection: Connection = { link, simulated: false, bootWaitMs: 2000, commandTimeoutMs: 5000, settleQuietMs: 200, reopen: open, close: () => connection.link.close() };
  return connection;
}

export async function runSession(options: RunOptions, resumeDir?: string): Promise<SessionResult> {
  const sessionDir = resumeDir ?? createSessionDir(options.outDir);
  if (!resumeDir) {
    const plan: RunPlan = pickPlan(options);
    writeFileSync(join(sessionDir, 'session.json'), `${JSON.stringify({ version: 1, tool: toolVersion(), plan }, null, 2)}\n`);
  }
  const documents: ResultsDocument[] = [];
  const ownModel = options.dut.kind === 'serial' || options.dut.kind === 'link' || options.energy?.bench.kind === 'serial';
  const wanted = options.benchmarks ?? (ownModel ? [undefined] : (Object.keys(BENCHMARKS) as BenchmarkId[]));
  for (const id of wanted) {
    const requested = id ? BENCHMARKS[id] : undefined;
    for (const mode of options.modes) {
      const finished = requested ? join(sessionDir, requested.id, mode, 'results.json') : undefined;
      if (resumeDir && finished && existsSync(finished)) {
        documents.push(ResultsDocument.parse(JSON.parse(readFileSync(finished, 'utf8'))));
        options.say(`${requested!.id} ${mode}: already finished in this session`);
        continue;
      }
      documents.push(await runOne(options, sessionDir, requested, mode));
    }
  }
  return { sessionDir, documents };
}

/** Reads the plan of an earlier session for --resume. */
export function readSessionPlan(sessionDir: string): RunPlan {
  const path = join(sessionDir, 'session.json');
  if (!existsSync(path)) throw new ConfigError(`${sessionDir} is not a tiny-bench session (no session.json)`);
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as { version: number; plan: RunPlan };
  if (parsed.version !== 1) throw new ConfigError(`${path}: unsupported session version ${parsed.version}`);
  if (parsed.plan.dut.kind === 'link') throw new ConfigError(`${sessionDir} ran on a link opened by a program, which --resume cannot reopen; resume it from that program`);
  return parsed.plan;
}

function pickPlan(o: RunOptions): RunPlan {
  const { outDir: _outDir, progress: _progress, say: _say, ...plan } = o;
  return plan;
}

async function runOne(options: RunOptions, sessionDir: string, requested: Benchmark | undefined, mode: Mode): Promise<ResultsDocument> {
  const started = new Date();
  let log: TranscriptLog | undefined;
  const early: Array<['tx' | 'rx', string]> = [];
  const transcript = (direction: 'tx' | 'rx', text: string): void => (log ? log.write(direction, text) : void early.push([direction, text]));
  let rig: EnergyRig | undefined;
  let connection: Connection;
  if (mode === 'energy') {
    if (!options.energy) throw new ConfigError('Energy mode needs an energy bench (--interface and --emon, or --dut sim)');
    rig = await openEnergyRig(options.energy, requested, options.dataDir, transcript);
    connection = { link: rig.link, resync: rig.resync, simulated: rig.simulated, ...rig.timing, close: () => rig!.close() };
  } else {
    connection = await connect(options, requested);
  }
  let session: DutSession | undefined;
  try {
    session = await DutSession.open(connection, {
      ...(rig ? { energyMode: true } : {}),
      commandTimeoutMs: connection.commandTimeoutMs,
      settleQuietMs: connection.settleQuietMs,
      channel: { integrityGraceMs: connection.simulated ? 50 : 250 },
      transcript,
      onRecovery: (message) => {
        log?.write('note', `RECOVERY ${message}`);
        options.say(`  recovering: ${message}`);
      },
    });
    const identity = session.identity;
    const benchmark = benchmarkForModelId(identity.model);
    if (!benchmark) throw new DutMismatchError(`DUT '${identity.name}' reports model '${identity.model}', which is not one of kws01, vww01, ic01, ad01`);
    if (requested && benchmark.id !== requested.id) {
      throw new DutMismatchError(`--benchmark ${requested.id} was asked, but the DUT on ${connection.link.description} runs ${identity.model}; flash the ${requested.id} firmware or drop --benchmark`);
    }
    if (rig) {
      await checkTimestampWiring(session, rig.monitor, rig.timing.edgeTimeoutMs);
    } else if ((await session.run('timestamp mode check', (dut) => dut.timestampMode())) === 'energy') {
      throw new DutMismatchError(`The DUT firmware on ${connection.link.description} is built for energy mode (its timestamp is a GPIO edge, not a lap); ${mode} mode needs a performance-mode build`);
    }
    const modeDir = insideDir(sessionDir, benchmark.id, mode);
    mkdirSync(modeDir, { recursive: true });
    log = new TranscriptLog(insideDir(modeDir, 'log.txt'));
    log.write('note', `tiny-bench ${toolVersion()} ${benchmark.id} ${mode} on ${connection.link.description}`);
    for (const [direction, text] of early) log.write(direction, text);

    const test = options.testPlans?.[benchmark.id];
    const dataset = openDataset(datasetDir(options.dataDir, benchmark, options.datasetPath), benchmark, options.labels ?? test?.truthFile);
    const checkpoint = Checkpoint.open(insideDir(modeDir, 'checkpoint.jsonl'), {
      kind: 'header', version: 1, benchmark: benchmark.id, mode, labelsFile: dataset.labelsPath, limit: options.limit ?? null,
    });
    const base = {
      schemaVersion: 1 as const,
      tool: { name: 'tiny-bench' as const, version: toolVersion() },
      benchmark: benchmark.id,
      mode,
      simulated: connection.simulated,
      startedAt: started.toISOString(),
      command: options.command,
      dut: { name: identity.name, firmware: identity.firmware, model: identity.model, commandBuffer: session.dut.commandBuffer, link: connection.link.description },
      labelsFile: dataset.labelsPath,
    };
    let doc: ResultsDocument;
    if (mode === 'energy') {
      const r = rig!;
      const calibration = checkpoint.of<number>('calibration')[0];
      const windows = options.windows ?? test?.loops;
      const energy = await runEnergy(session, r.monitor, benchmark, dataset, options.progress, {
        ...(windows ? { windows } : {}),
        ...(test?.warmups !== undefined ? { warmups: test.warmups } : {}),
        edgeTimeoutMs: r.timing.edgeTimeoutMs,
        ...(r.truth ? { truth: r.truth } : {}),
        done: { windows: checkpoint.of<EnergyWindow>('energy-window'), ...(calibration !== undefined ? { usPerInference: calibration } : {}) },
        onCalibrated: (value) => checkpoint.append({ kind: 'calibration', value }),
        onWindow: (value) => checkpoint.append({ kind: 'energy-window', value }),
      });
      const health = r.monitor.health();
      doc = {
        ...base,
        finishedAt: '',
        wallSeconds: 0,
        files: energy.windows.length,
        subset: false,
        energyUjPerInference: energy.energyUjPerInference,
        powerMw: energy.powerMw,
        medianThroughput: energy.medianThroughput,
        latencyMs: 1000 / energy.medianThroughput,
        energyWindows: energy.windows,
        monitor: {
          kind: r.monitor.kind,
          description: r.monitor.description,
          ...(r.monitor.firmware ? { firmware: r.monitor.firmware } : {}),
          sampleRateHz: r.monitor.sampleRateHz,
          voltageV: r.voltageV,
          interfaceBoard: r.board.description,
          garbledTokens: health.garbled,
          lostSamples: health.lostSamples,
          ...(r.powerModel ? { powerModel: { ...r.powerModel, truthUjPerInference: median(energy.windows.map((w) => w.truthUjPerInference ?? Number.NaN)) } } : {}),
        },
        ...(energy.trace ? { energyTrace: energy.trace } : {}),
      };
    } else if (mode === 'performance') {
      const calibration = checkpoint.of<number>('calibration')[0];
      const windows = options.windows ?? test?.loops;
      const perf = await runPerformance(session, benchmark, dataset, options.progress, {
        ...(windows ? { windows } : {}),
        ...(test?.warmups !== undefined ? { warmups: test.warmups } : {}),
        done: { windows: checkpoint.of<PerformanceWindow>('window'), ...(calibration !== undefined ? { usPerInference: calibration } : {}) },
        onCalibrated: (value) => checkpoint.append({ kind: 'calibration', value }),
        onWindow: (value) => checkpoint.append({ kind: 'window', value }),
      });
      doc = { ...base, finishedAt: '', wallSeconds: 0, files: perf.windows.length, subset: false, medianThroughput: perf.medianThroughput, latencyMs: perf.latencyMs, windows: perf.windows };
    } else {
      const done = new Map(checkpoint.of<FileResult>('file').map((f) => [f.file, f]));
      if (done.size) options.say(`${benchmark.id} accuracy: resuming, ${done.size} files already scored`);
      const acc = await runAccuracy(session, benchmark, dataset, options.progress, {
        ...(options.limit !== undefined ? { limit: options.limit } : {}),
        done,
        onFile: (value) => checkpoint.append({ kind: 'file', value }),
      });
      const value = benchmark.metric === 'top1' ? acc.top1 : acc.auc;
      doc = {
        ...base,
        finishedAt: '',
        wallSeconds: 0,
        files: acc.files,
        subset: acc.subset,
        ...(acc.top1 !== undefined ? { top1: acc.top1 } : {}),
        ...(acc.auc !== undefined ? { auc: acc.auc } : {}),
        ...(acc.legacyAdAccuracy !== undefined ? { legacyAdAccuracy: acc.legacyAdAccuracy } : {}),
        perFile: acc.perFile,
        ...(value !== undefined ? { qualityTarget: { metric: benchmark.metric, threshold: benchmark.target, pass: value >= benchmark.target } } : {}),
      };
    }
    const finished = new Date();
    doc.finishedAt = finished.toISOString();
    doc.wallSeconds = (finished.getTime() - started.getTime()) / 1000;
    const stats = session.stats;
    if (stats.retries || stats.resets || stats.reconnects || connection.faults) {
      doc.recovery = { ...stats, ...(connection.faults ? { faultsInjected: connection.faults.total } : {}) };
    }
    writeResults(modeDir, doc);
    log.write('note', `results written to ${modeDir}`);
    return doc;
  } catch (error) {
    if (log && error instanceof Error) log.write('note', `FAILED: ${error.message}`);
    if (error instanceof TinyBenchError && log) {
      throw new TinyBenchError(`${error.message}\nThe session is kept in ${sessionDir}; continue it with: tiny-bench run --resume ${sessionDir}`);
    }
    throw error;
  } finally {
    session?.close();
    await log?.close();
    await connection.close();
  }
}
