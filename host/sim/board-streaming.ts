/**
 * The streaming half of the virtual STM32H573I-DK (protocol reference §2.1):
 * plays a 2-channel WAV from its SD card to the DUT over I2S in virtual time
 * (one 512-frame chunk every 32 ms at 16 kHz), and timestamps the DUT's
 * WW_DETECTED falling edges and duty-cycle pin edges on a 10 µs TIM2 that
 * `record_detections` zeroes. Detections within 10 ms of the last stored one
 * are ignored, as the board does; unlike the board (first 100), every frame's
 * duty-cycle edges are kept, so a long stream is measured in full.
 */
import { type PcmAudio, parseWav } from '../../datasets/wav.js';
import { TinyBenchError } from '../errors.js';
import type { SimClock } from './sim-clock.js';

export const I2S_CHUNK_FRAMES = 512;
const TICK_US = 10;
const DETECTION_DEBOUNCE_MS = 10;
const MAX_DETECTIONS = 10_000;

export interface BoardStreamingOptions {
  clock: SimClock;
  /** The SD card: file name -> WAV bytes. */
  files: Map<string, Uint8Array>;
  /** Hands one I2S chunk (512 stereo frames, interleaved int16) to the DUT at virtual time atUs. */
  i2s: (chunk: Int16Array, atUs: number) => void;
}

export class BoardStreaming {
  private zeroUs = 0;
  readonly detectionsMs: number[] = [];
  readonly dutyStartTicks: number[] = [];
  readonly dutyStopTicks: number[] = [];
  private readonly decoded = new Map<string, PcmAudio | undefined>();

  constructor(private readonly options: BoardStreamingOptions) {}

  fileNames(): string[] {
    return [...this.options.files.keys()].sort();
  }

  private audio(name: string): PcmAudio | undefined {
    if (!this.decoded.has(name)) {
      const bytes = this.options.files.get(name);
      let audio: PcmAudio | undefined;
      try {
        audio = bytes ? parseWav(bytes, name) : undefined;
      } catch (error) {
        if (!(error instanceof TinyBenchError)) throw error;
      }
      this.decoded.set(name, audio && audio.channels === 2 ? audio : undefined);
    }
    return this.decoded.get(name);
  }

  /**
   * Streams the file chunk by chunk on the clock; `done(false)` at once when
   * it is missing or not a 2-channel WAV. `play` with no name would play the
   * board's internal flash, which the virtual board does not have.
   */
  play(name: string | undefined, done: (ok: boolean) => void): void {
    const audio = name === undefined ? undefined : this.audio(name);
    const clock = this.options.clock;
    if (!audio) {
      clock.after(0, () => done(false));
      return;
    }
    const chunkSamples = 2 * I2S_CHUNK_FRAMES;
    const chunks = Math.floor(audio.samples.length / chunkSamples);
    const chunkUs = (I2S_CHUNK_FRAMES / audio.sampleRate) * 1e6;
    const t0 = clock.nowUs;
    // One chunk at a time: the next is scheduled once this one ran, so the queue stays short.
    const send = (k: number): void => {
      if (k >= chunks) {
        // The tail shorter than a chunk still takes its time on the wire.
        const tailUs = ((audio.samples.length / 2 - chunks * I2S_CHUNK_FRAMES) / audio.sampleRate) * 1e6;
        clock.at(t0 + chunks * chunkUs + tailUs, () => done(true));
        return;
      }
      const at = t0 + (k + 1) * chunkUs;
      clock.at(at, () => {
        this.options.i2s(audio.samples.subarray(k * chunkSamples, (k + 1) * chunkSamples), at);
        send(k + 1);
      });
    };
    send(0);
  }

  recordDetections(): void {
    this.zeroUs = this.options.clock.nowUs;
    this.detectionsMs.length = 0;
    this.dutyStartTicks.length = 0;
    this.dutyStopTicks.length = 0;
  }

  private ticks(atUs: number): number {
    return Math.floor((atUs - this.zeroUs) / TICK_US);
  }

  /** A falling edge on WW_DETECTED_IN (PG15). */
  detectionEdge(atUs: number): void {
    const ms = Math.floor(this.ticks(atUs) / 100);
    const last = this.detectionsMs.at(-1);
    if (last !== undefined && ms - last < DETECTION_DEBOUNCE_MS) return;
    if (this.detectionsMs.length < MAX_DETECTIONS) this.detectionsMs.push(ms);
  }

  /** An edge on DUT_DUTY_CYCLE (PB5). */
  dutyEdge(high: boolean, atUs: number): void {
    (high ? this.dutyStartTicks : this.dutyStopTicks).push(this.ticks(atUs));
  }

  detectionLines(): string[] {
    return this.detectionsMs.map((ms) => `${ms},`);
  }

  /** print_dutycycle's body: 8 values a line, `v, ` each. */
  dutyCycleLines(): string[] {
    const rows = (values: number[]): string[] => {
      const out: string[] = [];
      for (let i = 0; i < values.length; i += 8)
        out.push(
          values
            .slice(i, i + 8)
            .map((v) => `${v}, `)
            .join(''),
        );
      return out.length ? out : [''];
    };
    return ['Duty cycle start times (s)', ...rows(this.dutyStartTicks), 'Duty cycle stop times (s)', ...rows(this.dutyStopTicks)];
  }
}
