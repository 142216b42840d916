/**
 * The stream step of sww01 (protocol reference §4.5), through an interface
 * board: `stop` (in case), `start`, `record_detections`, `play <wav>`, a
 * short settle, `stop` (the activation dump), `print_detections`,
 * `print_dutycycle`; with a monitor, the energy between the two timestamp
 * edges `start` and `stop` raised. Every wait is bounded. Returns a plain
 * result the session writer turns into results.json/results.txt.
 */
import type { DutRunner } from '../devices/dut-session.js';
import type { InterfaceBoard } from '../devices/interface-board.js';
import { MonitorError, ProtocolError } from '../errors.js';
import type { EnergyMonitor, PowerTrace } from '../../energy/energy-monitor.js';
import { parseActivations, parseDetections, parseDutyCycle } from '../protocol/sww.js';
import { type DutyCycle, OFFICIAL_CODE_TAIL_S, RULES_TAIL_S, type SwwScore, detectionsAfterSync, dutyCycle, scoreDetections } from '../bench/sww-scoring.js';
import type { SwwStream } from '../bench/sww01.js';
import type { Progress } from '../core/progress.js';

export interface StreamingOptions {
  /** Energy mode: the monitor that sees the DUT's timestamp edges. */
  monitor?: EnergyMonitor;
  edgeTimeoutMs?: number;
  /** After play returns, before stop (the official runner: 0.25 s). */
  settleMs?: number;
  /** Short DUT and board commands. */
  commandTimeoutMs?: number;
  /** Extra time play may take beyond the stream's length (the official runner: 10 s). */
  playMarginS?: number;
  /** Tells what was sent and received, for the log. */
  note?: (text: string) => void;
}

export interface StreamingEnergy {
  energyUj: number;
  elapsedS: number;
  powerMw: number;
  samples: number;
  edges: [number, number];
  monitorElapsedS?: number;
  /** Power in bins from before `start` to after `stop` (edge marks included). */
  trace?: PowerTrace;
}

export interface StreamingResult {
  wavFile: string;
  lengthS: number;
  /** print_detections as the board gave them (ms on its TIM2, the sync pulse first). */
  detectionsMs: number[];
  /** Detections after the sync pulse, s. */
  detectionsS: number[];
  /** The DUT's output[0] per frame (stop's dump). */
  activations: number[];
  /** 512-sample frames in the stream, and how many of them the DUT did not process (it was too slow: I2S overruns). */
  framesInStream: number;
  framesMissed: number;
  dutyStartTicks: number[];
  dutyStopTicks: number[];
  /** The rules' 1 s tail: the result. */
  score: SwwScore;
  /** The official runner code's effective 2 s tail, for comparison. */
  officialCodeScore: SwwScore;
  duty: DutyCycle;
  energy?: StreamingEnergy;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runStreaming(
  runner: DutRunner,
  board: InterfaceBoard,
  stream: SwwStream,
  progress: Progress,
  options: StreamingOptions = {},
): Promise<StreamingResult> {
  const commandMs = options.commandTimeoutMs ?? 5000;
  const lengthS = stream.lengthS;
  progress.start(`sww01 stream ${stream.wavFile}`, 1);
  const result = await runner.run(`stream ${stream.wavFile}`, async (dut) => {
    const monitor = options.monitor;
    await dut.send('stop', commandMs); // idle already, or a stream left running by an earlier session
    const edgesBefore = monitor?.edgeCount() ?? 0;
    const started = await dut.send('start', commandMs);
    if (!started.some((l) => /Listening for I2S data|DMA receive initiated/.test(l)))
      throw new ProtocolError(`The DUT did not start streaming: ${JSON.stringify(started)}`, started);
    await board.command('record_detections', commandMs);
    progress.advance(0, `playing ${stream.wavFile} (${lengthS} s)`);
    const played = await board.command(`play ${stream.wavFile}`, ((lengthS || 60) + (options.playMarginS ?? 10)) * 1000);
    if (!played.some((l) => l.trim() === 'succeeded.'))
      throw new ProtocolError(
        `The interface board could not play ${stream.wavFile} (is it on its SD card, a 2-channel 16-bit WAV?): ${JSON.stringify(played)}`,
        played,
      );
    await sleep(options.settleMs ?? 250);
    // The dump grows with the stream: 16 values a line.
    const stopped = await dut.send('stop', commandMs + Math.ceil(lengthS * 31.25) * 2);
    const activations = parseActivations(stopped);
    let energy: StreamingEnergy | undefined;
    if (monitor) {
      await monitor.waitForEdges(edgesBefore + 2, options.edgeTimeoutMs ?? 5000);
      const seen = monitor.edgeCount() - edgesBefore;
      if (seen !== 2) throw new MonitorError(`Expected 2 timestamp edges (start, stop), the monitor saw ${seen}; something else toggles the timestamp line`);
      const span = monitor.span(edgesBefore, edgesBefore + 1);
      if (span.lostSamples > 0) throw new MonitorError(`The monitor lost ${span.lostSamples} samples during the stream; its energy cannot be trusted`);
      energy = {
        energyUj: span.energyJ * 1e6,
        elapsedS: span.elapsedS,
        powerMw: (span.energyJ / span.elapsedS) * 1e3,
        samples: span.samples,
        edges: [edgesBefore, edgesBefore + 1],
        ...(span.monitorElapsedS !== undefined ? { monitorElapsedS: span.monitorElapsedS } : {}),
        trace: monitor.trace(edgesBefore, edgesBefore + 1, 800),
      };
    }
    const detectionsMs = parseDetections(await board.command('print_detections', commandMs));
    const duty = parseDutyCycle(await board.command('print_dutycycle', commandMs));
    return { activations, detectionsMs, duty, energy };
  });
  const detectionsS = detectionsAfterSync(result.detectionsMs);
  const score = scoreDetections(detectionsS, stream.truth, RULES_TAIL_S);
  const officialCodeScore = scoreDetections(detectionsS, stream.truth, OFFICIAL_CODE_TAIL_S);
  const duty = dutyCycle(result.duty.startTicks, result.duty.stopTicks);
  const framesInStream = Math.floor((lengthS * stream.sampleRate) / 512);
  progress.finish(
    `sww01 ${stream.wavFile}: ${score.truePositives} TP, ${score.falseNegatives} FN, ${score.falsePositives} FP; duty cycle ${(duty.dutyCycle * 100).toFixed(2)} %`,
  );
  return {
    wavFile: stream.wavFile,
    lengthS,
    detectionsMs: result.detectionsMs,
    detectionsS,
    activations: result.activations,
    framesInStream,
    framesMissed: Math.max(0, framesInStream - result.activations.length),
    dutyStartTicks: result.duty.startTicks,
    dutyStopTicks: result.duty.stopTicks,
    score,
    officialCodeScore,
    duty,
    ...(result.energy ? { energy: result.energy } : {}),
  };
}
