/**
 * One `tiny-bench run`: plan → open → identify → mode runner → finalize, for
 * each benchmark and mode of the plan. Every mode goes through the same
 * pipeline; what differs is one row of the mode table (modes.ts).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { type Dataset, openDataset } from '../../datasets/dataset.js';
import { datasetDir, modelPath } from '../../datasets/data-dir.js';
import { BENCHMARKS, type Benchmark, type BenchmarkId, DEFAULT_BENCHMARK_IDS, benchmarkForModelId } from '../bench/benchmark.js';
import { fsStep, makeFolder } from '../core/fs-errors.js';
import type { Progress } from '../core/progress.js';
import { describeZodIssue } from '../core/zod-issue.js';
import { LinkRate } from '../devices/baud-switch.js';
import { DutSession } from '../devices/dut-session.js';
import { saysSimulated } from '../protocol/replies.js';
import { ConfigError, DatasetError, DutMismatchError } from '../errors.js';
import { toolVersion } from '../paths.js';
import { readResultsFile } from '../report/results-file.js';
import type { ResultsDocument } from '../report/results-schema.js';
import { Checkpoint } from './checkpoint.js';
import { type Connection, openConnection } from './connection.js';
import { InputPins, changedInputs, pinInputs } from './input-pins.js';
import type { ModeRunner } from './mode-runner.js';
import { MODE_RUNNERS } from './modes.js';
import { type BenchmarkTask, canRunInParallel, runInWorkers } from './parallel.js';
import { type Mode, type RunPlan, ownModel } from './plan.js';
import { TranscriptLog, createSessionDir, faultSeedForRun, insideDir } from './session.js';
import { EarlyTranscript } from './early-transcript.js';
import { writeSessionPlan } from './session-file.js';
import { failTest, finishTest, recoveryRecord } from './test-outcome.js';
import { runStreamingMode } from './streaming-session.js';

export type { DutChoice, Mode, RunPlan } from './plan.js';
export { readSessionPlan } from './session-file.js';

/** What a run needs besides its plan: where sessions go and how to talk to the person running it. Never saved. */
export interface RunContext {
  outDir: string;
  progress: Progress;
  /** Writes a line for the person running (stderr or stdout). */
  say: (line: string) => void;
  /** Told the session folder as soon as it exists (for the Ctrl-C message). */
  onSessionDir?: (dir: string) => void;
  /** Benchmarks run side by side on virtual or emulated DUTs, each in a worker thread (default 1: one after the other). */
  jobs?: number;
  /** A progress display per benchmark running in parallel (default: `progress` for all). */
  makeProgress?: () => Progress;
  /** A new session in this existing folder instead of a new `<outDir>/<stamp>/` (a DUT's sub-session). */
  sessionDir?: string;
}

export interface SessionResult {
  sessionDir: string;
  documents: ResultsDocument[];
}

export async function runSession(saved: RunPlan, context: RunContext, resumeDir?: string): Promise<SessionResult> {
  const sessionDir = resumeDir ?? context.sessionDir ?? createSessionDir(context.outDir);
  context.onSessionDir?.(sessionDir);
  if (!resumeDir) writeSessionPlan(sessionDir, saved);
  // A resume meets new faults, not the sequence that stopped the run before (seeds recorded in the session).
  const plan: RunPlan = saved.faults ? { ...saved, faults: { ...saved.faults, seed: faultSeedForRun(sessionDir, saved.faults.seed ?? 1) } } : saved;
  const wanted: Array<BenchmarkId | 'sww01' | undefined> =
    plan.benchmarks ?? (ownModel(plan) ? [resumeDir ? benchmarkStartedIn(resumeDir) : undefined] : [...DEFAULT_BENCHMARK_IDS]);
  const results = new Map<string, ResultsDocument>();
  const key = (id: BenchmarkId | 'sww01' | undefined, mode: Mode, index: number): string => `${id ?? index}/${mode}`;
  const tasks: BenchmarkTask[] = [];
  wanted.forEach((id, index) => {
    const modes = plan.modes.filter((mode) => {
      const finished = resumeDir && id ? readFinished(join(sessionDir, id, mode, 'results.json')) : undefined;
      if (finished) {
        results.set(key(id, mode, index), finished);
        context.say(`${id} ${mode}: already finished in this session`);
      }
      return !finished;
    });
    // Side by side, each mode of a benchmark is a task of its own (its own virtual DUT).
    if (id && id !== 'sww01') for (const mode of modes) tasks.push({ benchmark: id, modes: [mode] });
  });
  const jobs = Math.min(context.jobs ?? 1, tasks.length);
  if (jobs > 1 && canRunInParallel(plan)) {
    context.say(`Running ${tasks.length} tests (benchmark and mode), ${jobs} at a time in worker threads`);
    await runInWorkers(plan, sessionDir, tasks, jobs, context.makeProgress ?? (() => context.progress), context.say, (id, mode, doc) =>
      results.set(key(id, mode, 0), doc),
    );
  } else {
    for (const [index, id] of wanted.entries()) {
      for (const mode of plan.modes) {
        if (results.has(key(id, mode, index))) continue;
        // The streaming wakeword plays streams through an interface board instead of loading inputs.
        const doc =
          id === 'sww01'
            ? await runStreamingMode(plan, context, sessionDir, mode)
            : await runOne(plan, context, sessionDir, id ? BENCHMARKS[id] : undefined, mode);
        results.set(key(id, mode, index), doc);
      }
    }
  }
  const documents = wanted.flatMap((id, index) =>
    plan.modes.map((mode) => results.get(key(id, mode, index))).filter((d): d is ResultsDocument => d !== undefined),
  );
  return { sessionDir, documents };
}

/** A board runs the model it reports; a resumed session already knows which (its folder), or undefined. */
function benchmarkStartedIn(sessionDir: string): BenchmarkId | undefined {
  const started = (Object.keys(BENCHMARKS) as BenchmarkId[]).filter((id) => existsSync(join(sessionDir, id)));
  return started.length === 1 ? started[0] : undefined;
}

function readFinished(path: string): ResultsDocument | undefined {
  return existsSync(path) ? readResultsFile(path) : undefined;
}

export async function runOne(plan: RunPlan, context: RunContext, sessionDir: string, requested: Benchmark | undefined, mode: Mode): Promise<ResultsDocument> {
  const started = new Date();
  const runner = MODE_RUNNERS[mode];
  const transcript = new EarlyTranscript();
  let connection: Connection | undefined;
  let session: DutSession | undefined;
  try {
    connection = await openConnection(plan, mode, requested, transcript.sink);
    const linkRate = baudSwitchFor(plan, mode, connection, transcript, context);
    session = await openDutSession(connection, mode, transcript, context, linkRate, plan.overlap !== false);
    const benchmark = identifiedBenchmark(session, connection, requested);
    const modeDir = insideDir(sessionDir, benchmark.id, mode);
    makeFolder(modeDir);
    fsStep('write', join(modeDir, 'log.txt'), () =>
      transcript.attach(
        new TranscriptLog(insideDir(modeDir, 'log.txt')),
        `tiny-bench ${toolVersion()} ${benchmark.id} ${mode} on ${connection!.link.description}`,
      ),
    );
    const test = plan.testPlans?.[benchmark.id];
    const dataset = openDataset(datasetDir(plan.dataDir, benchmark, plan.datasetPath), benchmark, plan.labels ?? test?.truthFile);
    const checkpoint = openCheckpoint(modeDir, benchmark, mode, plan, dataset, runner, session, connection);
    const fields = await runner.run({ session, connection, benchmark, dataset, plan, test, checkpoint, progress: context.progress, say: context.say });
    const finished = new Date();
    const stats = session.stats;
    const doc: ResultsDocument = {
      schemaVersion: 1,
      tool: { name: 'tiny-bench', version: toolVersion() },
      benchmark: benchmark.id,
      mode,
      simulated: connection.simulated || saysSimulated(session.identity),
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      wallSeconds: (finished.getTime() - started.getTime()) / 1000,
      command: plan.command,
      dut: {
        name: session.identity.name,
        firmware: session.identity.firmware,
        model: session.identity.model,
        commandBuffer: session.dut.commandBuffer,
        link: connection.link.description,
        ...(linkRate?.outcome
          ? {
              baud: {
                bootRate: linkRate.bootRate,
                asked: linkRate.fastRate,
                rate: linkRate.current,
                switched: linkRate.outcome.switched,
                switches: linkRate.switches,
                note: linkRate.outcome.note,
              },
            }
          : {}),
      },
      labelsFile: dataset.labelsPath,
      ...fields,
      ...recoveryRecord(stats, connection.faults?.total),
    };
    return await finishTest(transcript, modeDir, doc);
  } catch (error) {
    throw await failTest(transcript, error, sessionDir, requested?.id, mode);
  } finally {
    await session?.close();
    await transcript.close().catch(() => {});
    await connection?.close();
  }
}

/** The plan's --fast-baud where the link can change its rate (not in energy mode: the board's UART stays as it needs). */
function baudSwitchFor(plan: RunPlan, mode: Mode, connection: Connection, transcript: EarlyTranscript, context: RunContext): LinkRate | undefined {
  if (!plan.fastBaud || mode === 'energy' || !connection.link.setBaudRate) return undefined;
  const bootRate = plan.dut.kind === 'serial' ? plan.dut.baudRate : 115200;
  return new LinkRate(bootRate, plan.fastBaud, (line) => {
    transcript.note(line);
    context.say(`  ${line}`);
  });
}

function openDutSession(
  connection: Connection,
  mode: Mode,
  transcript: EarlyTranscript,
  context: RunContext,
  linkRate: LinkRate | undefined,
  overlap: boolean,
): Promise<DutSession> {
  return DutSession.open(connection, {
    ...(overlap ? {} : { overlapLoads: false }),
    ...(linkRate ? { linkRate } : {}),
    ...(mode === 'energy' ? { energyMode: true } : {}),
    commandTimeoutMs: connection.commandTimeoutMs,
    settleQuietMs: connection.settleQuietMs,
    channel: { integrityGraceMs: connection.simulated ? 50 : 250 },
    transcript: transcript.sink,
    onRecovery: (message) => {
      transcript.note(`RECOVERY ${message}`);
      context.say(`  recovering: ${message}`);
    },
  });
}

/** The benchmark the DUT says it runs, which must be the one asked for. */
function identifiedBenchmark(session: DutSession, connection: Connection, requested: Benchmark | undefined): Benchmark {
  const identity = session.identity;
  const benchmark = benchmarkForModelId(identity.model);
  if (!benchmark)
    throw new DutMismatchError(`DUT '${identity.name}' reports model '${identity.model}', which is not one of ${Object.keys(BENCHMARKS).join(', ')}`);
  if (requested && benchmark.id !== requested.id) {
    throw new DutMismatchError(
      `--benchmark ${requested.id} was asked, but the DUT on ${connection.link.description} runs ${identity.model}; flash the ${requested.id} firmware or drop --benchmark`,
    );
  }
  return benchmark;
}

/**
 * The mode's checkpoint: created with its header and the pinned inputs, or
 * reopened — then every entry is checked against the mode's schemas and the
 * inputs against what they are now.
 */
function openCheckpoint(
  modeDir: string,
  benchmark: Benchmark,
  mode: Mode,
  plan: RunPlan,
  dataset: Dataset,
  runner: ModeRunner,
  session: DutSession,
  connection: Connection,
): Checkpoint {
  const path = insideDir(modeDir, 'checkpoint.jsonl');
  const ownsModel = connection.simulated && plan.dut.kind !== 'link';
  const inputs = pinInputs(dataset, session.identity, ownsModel ? modelPath(plan.dataDir, benchmark) : undefined);
  const checkpoint = fsStep('write', path, () =>
    Checkpoint.open(path, { kind: 'header', version: 1, benchmark: benchmark.id, mode, labelsFile: dataset.labelsPath, limit: plan.limit ?? null, inputs }),
  );
  checkpoint.entries.forEach((entry, i) => {
    const schema = runner.checkpoint[entry.kind];
    if (!schema)
      throw new ConfigError(
        `${path}: entry ${i + 1} has kind ${JSON.stringify(entry.kind)}, which ${mode} mode does not write; the checkpoint is not from this mode`,
      );
    const checked = schema.safeParse(entry.value);
    if (!checked.success)
      throw new ConfigError(`${path}: entry ${i + 1} (${entry.kind}): ${describeZodIssue(checked.error, 'value')}; the checkpoint is damaged`);
  });
  // A checkpoint from before inputs were pinned has none to compare.
  if (checkpoint.header.inputs !== undefined) {
    const pins = InputPins.safeParse(checkpoint.header.inputs);
    if (!pins.success) throw new ConfigError(`${path}: pinned inputs: ${describeZodIssue(pins.error, 'inputs')}; the checkpoint is damaged`);
    const change = changedInputs(pins.data, inputs, dataset);
    if (change)
      throw new DatasetError(
        `Cannot resume ${benchmark.id} ${mode}: ${change} since this session started, and a result must come from one set of inputs. Restore it, or start a new session.`,
      );
  }
  return checkpoint;
}
