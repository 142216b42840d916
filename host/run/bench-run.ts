/**
 * One `tiny-bench run`: for each benchmark connect a DUT, identify it, run
 * the requested modes and write the session folder. Knows DUTs only through
 * Link -> LineChannel -> Dut.
 */
import { mkdirSync, readFileSync } from 'node:fs';

import { openDataset } from '../../datasets/dataset.js';
import { datasetDir, modelPath } from '../../datasets/data-dir.js';
import { BENCHMARKS, type Benchmark, type BenchmarkId, benchmarkForModelId } from '../bench/benchmark.js';
import { Dut } from '../devices/dut.js';
import { LineChannel } from '../devices/line-channel.js';
import { ConfigError, DutMismatchError, TinyBenchError } from '../errors.js';
import type { Link } from '../link/link.js';
import { SerialLink } from '../link/serial-link.js';
import { toolVersion } from '../paths.js';
import type { ResultsDocument } from '../report/results-schema.js';
import { type QemuBoardName, startQemuDut } from '../sim/qemu-dut.js';
import { openVirtualDut } from '../sim/wasm-dut.js';
import { runAccuracy } from './accuracy.js';
import { runPerformance } from './performance.js';
import type { Progress } from './progress.js';
import { TranscriptLog, createSessionDir, insideDir, writeResults } from './session.js';

export type Mode = 'performance' | 'accuracy';

export type DutChoice =
  | { kind: 'sim'; commandBuffer?: number }
  | { kind: 'qemu'; board?: QemuBoardName; shift?: number }
  | { kind: 'serial'; path: string; baudRate: number };

export interface RunOptions {
  /** Undefined: every benchmark on the virtual DUT, the DUT's own model on a port. */
  benchmarks?: BenchmarkId[];
  modes: Mode[];
  dut: DutChoice;
  dataDir: string;
  datasetPath?: string;
  labels?: string;
  limit?: number;
  windows?: number;
  outDir: string;
  command: string[];
  progress: Progress;
  /** Writes a line for the person running (stderr or stdout). */
  say: (line: string) => void;
}

export interface SessionResult {
  sessionDir: string;
  documents: ResultsDocument[];
}

interface Connection {
  link: Link;
  simulated: boolean;
  /** How long the DUT may take to print its boot banner after the link opens. */
  bootWaitMs: number;
  close(): Promise<void>;
}

async function connect(choice: DutChoice, benchmark: Benchmark | undefined, dataDir: string): Promise<Connection> {
  if (choice.kind === 'sim') {
    if (!benchmark) throw new ConfigError('The virtual DUT needs a benchmark');
    const model = readFileSync(modelPath(dataDir, benchmark));
    const { link } = await openVirtualDut({ benchmark, model, ...(choice.commandBuffer ? { commandBuffer: choice.commandBuffer } : {}) });
    return { link, simulated: true, bootWaitMs: 50, close: () => link.close() };
  }
  if (choice.kind === 'qemu') {
    if (!benchmark) throw new ConfigError('The QEMU DUT needs a benchmark');
    const qemu = await startQemuDut({ benchmark, modelPath: modelPath(dataDir, benchmark), ...(choice.board ? { board: choice.board } : {}), ...(choice.shift !== undefined ? { shift: choice.shift } : {}) });
    // Emulated timing (instruction counts), so labelled simulated like the virtual DUT.
    return { link: qemu.link, simulated: true, bootWaitMs: 2000, close: () => qemu.close() };
  }
  const link = await SerialLink.open({ path: choice.path, baudRate: choice.baudRate });
  // Many boards reset when the port opens (DTR); the official runner waits 2 s.
  return { link, simulated: false, bootWaitMs: 2000, close: () => link.close() };
}

export async function runSession(options: RunOptions): Promise<SessionResult> {
  const sessionDir = createSessionDir(options.outDir);
  const documents: ResultsDocument[] = [];
  const wanted = options.benchmarks ?? (options.dut.kind === 'serial' ? [undefined] : (Object.keys(BENCHMARKS) as BenchmarkId[]));
  for (const id of wanted) {
    const requested = id ? BENCHMARKS[id] : undefined;
    for (const mode of options.modes) {
      documents.push(await runOne(options, sessionDir, requested, mode));
    }
  }
  return { sessionDir, documents };
}

async function runOne(options: RunOptions, sessionDir: string, requested: Benchmark | undefined, mode: Mode): Promise<ResultsDocument> {
  const started = new Date();
  const connection = await connect(options.dut, requested, options.dataDir);
  let log: TranscriptLog | undefined;
  const lines: Array<[ 'tx' | 'rx', string ]> = [];
  const channel = new LineChannel(connection.link, {
    transcript: (direction, text) => (log ? log.write(direction, text) : lines.push([direction, text])),
  });
  try {
    const dut = new Dut(channel);
    await channel.settle(Math.min(connection.bootWaitMs, 200), connection.bootWaitMs);
    const identity = await dut.identify();
    const benchmark = benchmarkForModelId(identity.model);
    if (!benchmark) throw new DutMismatchError(`DUT '${identity.name}' reports model '${identity.model}', which is not one of kws01, vww01, ic01, ad01`);
    if (requested && benchmark.id !== requested.id) {
      throw new DutMismatchError(`--benchmark ${requested.id} was asked, but the DUT on ${connection.link.description} runs ${identity.model}; flash the ${requested.id} firmware or drop --benchmark`);
    }
    const modeDir = insideDir(sessionDir, benchmark.id, mode);
    mkdirSync(modeDir, { recursive: true });
    log = new TranscriptLog(insideDir(modeDir, 'log.txt'));
    log.write('note', `tiny-bench ${toolVersion()} ${benchmark.id} ${mode} on ${connection.link.description}${connection.simulated ? ' (SIMULATED)' : ''}`);
    for (const [direction, text] of lines) log.write(direction, text);

    const dataset = openDataset(datasetDir(options.dataDir, benchmark, options.datasetPath), benchmark, options.labels);
    const base = {
      schemaVersion: 1 as const,
      tool: { name: 'tiny-bench' as const, version: toolVersion() },
      benchmark: benchmark.id,
      mode,
      simulated: connection.simulated,
      startedAt: started.toISOString(),
      command: options.command,
      dut: { name: identity.name, firmware: identity.firmware, model: identity.model, commandBuffer: dut.commandBuffer, link: connection.link.description },
      labelsFile: dataset.labelsPath,
    };
    let doc: ResultsDocument;
    if (mode === 'performance') {
      const perf = await runPerformance(dut, benchmark, dataset, options.progress, options.windows ? { windows: options.windows } : {});
      doc = { ...base, finishedAt: '', wallSeconds: 0, files: perf.windows.length, subset: false, medianThroughput: perf.medianThroughput, latencyMs: perf.latencyMs, windows: perf.windows };
    } else {
      const acc = await runAccuracy(dut, benchmark, dataset, options.progress, options.limit !== undefined ? { limit: options.limit } : {});
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
    writeResults(modeDir, doc);
    log.write('note', `results written to ${modeDir}`);
    return doc;
  } catch (error) {
    if (log && error instanceof Error) log.write('note', `FAILED: ${error.message}`);
    if (error instanceof TinyBenchError) throw error;
    throw error;
  } finally {
    channel.close();
    await log?.close();
    await connection.close();
  }
}
