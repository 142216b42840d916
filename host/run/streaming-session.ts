/**
 * One sww01 mode of a `tiny-bench run`: set up the interface board (and, in
 * energy mode, the monitor), identify the DUT behind it, play every stream
 * of the truth file, and write results.json / results.txt / log.txt. Every
 * mode is the same stream step (as in the official tests_*.yaml); energy
 * mode adds the power between the start and stop timestamps.
 *
 * Simulated bench: the WebAssembly DUT behind the virtual H573 on a 115200
 * UART, the WAVs on its SD card, powered from USB (or by the virtual
 * monitor in energy mode). Hardware: `--interface` (and `--emon`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { modelPath } from '../../datasets/data-dir.js';
import { SWW01, type SwwStream, readSwwTruth } from '../bench/sww01.js';
import { DutSession, type Reconnectable } from '../devices/dut-session.js';
import { saysSimulated } from '../protocol/replies.js';
import { InterfaceBoard } from '../devices/interface-board.js';
import type { TranscriptSink } from '../devices/line-channel.js';
import { ConfigError, DutMismatchError } from '../errors.js';
import type { EnergyMonitor } from '../../energy/energy-monitor.js';
import { toolVersion } from '../paths.js';
import { powerTracePng } from '../report/png-plot.js';
import type { ResultsDocument, StreamingResults } from '../report/results-schema.js';
import { VirtualEnergyBench } from '../sim/energy-bench.js';
import type { RunContext } from './bench-run.js';
import { EarlyTranscript } from './early-transcript.js';
import { failTest, finishTest, recoveryRecord } from './test-outcome.js';
import { fsStep, makeFolder, writeFileOrExplain } from '../core/fs-errors.js';
import type { Mode, RunPlan } from './plan.js';
import { type EnergyRig, openEnergyRig } from './energy-rig.js';
import { TranscriptLog, insideDir } from './session.js';
import { type StreamingResult, runStreaming } from './streaming.js';

interface StreamingRig extends Reconnectable {
  board: InterfaceBoard;
  monitor?: EnergyMonitor;
  simulated: boolean;
  description: string;
  commandTimeoutMs: number;
  settleQuietMs: number;
  edgeTimeoutMs: number;
  dutClockHz?: number;
  close(): Promise<void>;
}

function sdCard(streams: SwwStream[]): Map<string, Uint8Array> {
  return new Map(streams.map((s) => [s.wavFile, readFileSync(s.path)]));
}

async function openRig(options: RunPlan, mode: Mode, streams: SwwStream[], transcript: TranscriptSink): Promise<StreamingRig> {
  const dutClockHz = options.dutClockMhz ? options.dutClockMhz * 1e6 : undefined;
  if (mode === 'energy') {
    if (!options.energy) throw new ConfigError('Energy mode needs an energy bench (--interface and --emon, or the simulated one)');
    const plan = { ...options.energy, ...(options.energy.bench.kind === 'sim' ? { dutBaud: SWW01.dutBaud } : {}) };
    const rig: EnergyRig = await openEnergyRig(plan, SWW01, options.dataDir, transcript, {
      streamFiles: sdCard(streams),
      ...(dutClockHz ? { dutClockHz } : {}),
    });
    return {
      link: rig.link,
      resync: rig.resync,
      bootWaitMs: rig.timing.bootWaitMs,
      board: rig.board,
      monitor: rig.monitor,
      simulated: rig.simulated,
      description: rig.board.description,
      commandTimeoutMs: rig.timing.commandTimeoutMs,
      settleQuietMs: rig.timing.settleQuietMs,
      edgeTimeoutMs: rig.timing.edgeTimeoutMs,
      ...(dutClockHz ? { dutClockHz } : {}),
      close: () => rig.close(),
    };
  }
  if (options.dut.kind !== 'sim')
    throw new ConfigError(
      `sww01 ${mode} mode runs on the simulated bench here; on hardware run it with --mode energy --interface <board> --emon <monitor> (the stream step needs the interface board)`,
    );
  const bench = await VirtualEnergyBench.create({
    benchmark: SWW01,
    model: readFileSync(modelPath(options.dataDir, SWW01)),
    dutBaud: SWW01.dutBaud,
    streamFiles: sdCard(streams),
    ...(dutClockHz ? { dutClockHz } : {}),
  });
  try {
    bench.powerOnFromUsb();
    const board = await InterfaceBoard.connect(bench.boardLink, { transcript, resetWaitMs: 50, commandTimeoutMs: 2000 });
    await board.setBaud(SWW01.dutBaud);
    return {
      link: board.dutLink(),
      resync: () => board.resync(SWW01.dutBaud),
      bootWaitMs: 100,
      board,
      simulated: true,
      description: board.description,
      commandTimeoutMs: 2000,
      settleQuietMs: 20,
      edgeTimeoutMs: 3000,
      dutClockHz: dutClockHz ?? 120e6,
      close: async () => {
        board.close();
        await bench.close();
      },
    };
  } catch (error) {
    await bench.close();
    throw error;
  }
}

/** Totals and means over the streams, and the rules' quality target. */
export function streamingResults(results: StreamingResult[], dutClockHz?: number): StreamingResults {
  const sum = (f: (r: StreamingResult) => number): number => results.reduce((a, r) => a + f(r), 0);
  const mean = (f: (r: StreamingResult) => number): number => sum(f) / results.length;
  const powers = results.flatMap((r) => (r.energy ? [r.energy.powerMw] : []));
  const tp = sum((r) => r.score.truePositives);
  const fn = sum((r) => r.score.falseNegatives);
  const fp = sum((r) => r.score.falsePositives);
  return {
    streams: results.map(({ dutyStartTicks: _s, dutyStopTicks: _e, ...r }) => r),
    truePositives: tp,
    falseNegatives: fn,
    falsePositives: fp,
    officialCodeTotals: {
      truePositives: sum((r) => r.officialCodeScore.truePositives),
      falseNegatives: sum((r) => r.officialCodeScore.falseNegatives),
      falsePositives: sum((r) => r.officialCodeScore.falsePositives),
    },
    dutyCycle: mean((r) => r.duty.dutyCycle),
    estimatedThroughput: mean((r) => r.duty.estimatedThroughput),
    ...(powers.length ? { powerMw: powers.reduce((a, b) => a + b, 0) / powers.length } : {}),
    ...(dutClockHz ? { dutClockHz } : {}),
    quality: {
      maxFalsePositives: SWW01.maxFalsePositives,
      maxFalseNegatives: SWW01.maxFalseNegatives,
      pass: fp <= SWW01.maxFalsePositives && fn <= SWW01.maxFalseNegatives,
      wakewords: tp + fn,
      checkerWakewords: SWW01.checkerWakewords,
    },
  };
}

export async function runStreamingMode(options: RunPlan, context: RunContext, sessionDir: string, mode: Mode): Promise<ResultsDocument> {
  const started = new Date();
  const dir = options.datasetPath ? join(options.datasetPath, SWW01.id) : join(options.dataDir, 'datasets', SWW01.id);
  const { truthPath, streams } = readSwwTruth(dir, options.labels ?? options.testPlans?.[SWW01.id]?.truthFile);
  const transcript = new EarlyTranscript();
  const rig = await openRig(options, mode, streams, transcript.sink);
  let session: DutSession | undefined;
  try {
    session = await DutSession.open(rig, {
      commandTimeoutMs: rig.commandTimeoutMs,
      settleQuietMs: rig.settleQuietMs,
      channel: { integrityGraceMs: rig.simulated ? 50 : 250 },
      transcript: transcript.sink,
      onRecovery: (message) => {
        transcript.note(`RECOVERY ${message}`);
        context.say(`  recovering: ${message}`);
      },
    });
    const identity = session.identity;
    if (identity.model !== SWW01.id)
      throw new DutMismatchError(
        `--benchmark sww01 was asked, but the DUT behind ${rig.description} runs ${identity.model}; flash the streaming-wakeword firmware`,
      );
    const modeDir = insideDir(sessionDir, SWW01.id, mode);
    makeFolder(modeDir);
    fsStep('write', insideDir(modeDir, 'log.txt'), () =>
      transcript.attach(
        new TranscriptLog(insideDir(modeDir, 'log.txt')),
        `tiny-bench ${toolVersion()} sww01 ${mode} behind ${rig.description}${rig.dutClockHz ? ` (virtual DUT core clock ${rig.dutClockHz / 1e6} MHz)` : ''}`,
      ),
    );
    const results: StreamingResult[] = [];
    for (const stream of streams) {
      results.push(
        await runStreaming(session, rig.board, stream, context.progress, {
          ...(rig.monitor ? { monitor: rig.monitor } : {}),
          edgeTimeoutMs: rig.edgeTimeoutMs,
          commandTimeoutMs: rig.commandTimeoutMs,
          ...(rig.simulated ? { settleMs: 50 } : {}),
        }),
      );
    }
    const streaming = streamingResults(results, rig.simulated ? rig.dutClockHz : undefined);
    const finished = new Date();
    const monitor = rig.monitor;
    const doc: ResultsDocument = {
      schemaVersion: 1,
      tool: { name: 'tiny-bench', version: toolVersion() },
      benchmark: 'sww01',
      mode,
      simulated: rig.simulated || saysSimulated(identity),
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      wallSeconds: (finished.getTime() - started.getTime()) / 1000,
      command: options.command,
      dut: { name: identity.name, firmware: identity.firmware, model: identity.model, commandBuffer: session.dut.commandBuffer, link: rig.link.description },
      labelsFile: truthPath,
      files: streams.length,
      subset: false,
      ...(monitor && options.energy
        ? {
            monitor: {
              kind: monitor.kind,
              description: monitor.description,
              ...(monitor.firmware ? { firmware: monitor.firmware } : {}),
              sampleRateHz: monitor.sampleRateHz,
              voltageV: options.energy.voltageV,
              interfaceBoard: rig.description,
              garbledTokens: monitor.health().garbled,
              lostSamples: monitor.health().lostSamples,
            },
          }
        : {}),
      streaming,
    };
    Object.assign(doc, recoveryRecord(session.stats));
    // The checker wants the power trace of an sww energy result beside it.
    const trace = results[0]?.energy?.trace;
    if (trace)
      writeFileOrExplain(
        insideDir(modeDir, 'energy_inf_000.png'),
        powerTracePng(
          trace.powerMw,
          trace.edgesMs.map((ms) => ms / trace.binMs),
        ),
      );
    return await finishTest(transcript, modeDir, doc);
  } catch (error) {
    throw await failTest(transcript, error, sessionDir, SWW01.id, mode);
  } finally {
    await session?.close();
    await transcript.close().catch(() => {});
    await rig.close();
  }
}
