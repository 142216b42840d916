/**
 * Synthesized sww01 test streams: the wakeword clip mixed into a background
 * at known times, with the truth windows that placement implies. The window
 * of one placement is where the clip is audible: from the first to the last
 * 20 ms block whose RMS is within 30 dB of the clip's loudest block.
 * Pure and deterministic (seeded noise).
 */
import type { PcmAudio } from './wav.js';

export interface Placement {
  /** Where the clip starts in the stream, s. */
  atS: number;
  /** Linear gain on the clip. */
  gain?: number;
  /** Leave this placement out of the truth (a detection of it must score as a false positive). */
  omitFromTruth?: boolean;
}

export interface SynthesisOptions {
  lengthS: number;
  sampleRate?: number;
  /** RMS of the seeded white-noise background, in int16 units (0: silence). */
  noiseRms?: number;
  seed?: number;
  placements: Placement[];
  /** Truth windows with no clip in them (each must score as a false negative). */
  emptyWindows?: Array<{ startS: number; stopS: number }>;
}

/** Where the clip is audible (s from its start), by 20 ms block RMS within 30 dB of its peak. */
export function audibleSpan(clip: PcmAudio): { startS: number; stopS: number } {
  const block = Math.round(clip.sampleRate * 0.02);
  const frames = clip.samples.length / clip.channels;
  const rms: number[] = [];
  for (let b = 0; b * block < frames; ++b) {
    let e = 0;
    let n = 0;
    for (let i = b * block; i < Math.min(frames, (b + 1) * block); ++i, ++n) e += clip.samples[i * clip.channels]! ** 2;
    rms.push(Math.sqrt(e / Math.max(1, n)));
  }
  const peak = Math.max(...rms);
  const floor = peak * 10 ** (-30 / 20);
  const first = rms.findIndex((r) => r >= floor);
  const last = rms.length - 1 - [...rms].reverse().findIndex((r) => r >= floor);
  return { startS: (first * block) / clip.sampleRate, stopS: Math.min(frames, (last + 1) * block) / clip.sampleRate };
}

export function synthesizeStream(clip: PcmAudio, options: SynthesisOptions): { audio: PcmAudio; truth: Array<{ startS: number; stopS: number }> } {
  const rate = options.sampleRate ?? 16000;
  if (clip.sampleRate !== rate) throw new Error(`The clip is ${clip.sampleRate} Hz; the stream is ${rate} Hz`);
  const frames = Math.round(options.lengthS * rate);
  const mono = new Float64Array(frames);
  let seed = options.seed ?? 1;
  const noise = options.noiseRms ?? 0;
  // Uniform noise in [-a, a] has RMS a / sqrt(3).
  for (let i = 0; i < frames && noise > 0; ++i) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    mono[i] = ((seed / 2 ** 32) * 2 - 1) * noise * Math.sqrt(3);
  }
  const span = audibleSpan(clip);
  const clipFrames = clip.samples.length / clip.channels;
  const truth: Array<{ startS: number; stopS: number }> = [];
  for (const p of options.placements) {
    const at = Math.round(p.atS * rate);
    for (let i = 0; i < clipFrames && at + i < frames; ++i) mono[at + i]! += clip.samples[i * clip.channels]! * (p.gain ?? 1);
    if (!p.omitFromTruth) truth.push({ startS: at / rate + span.startS, stopS: at / rate + span.stopS });
  }
  truth.push(...(options.emptyWindows ?? []));
  truth.sort((a, b) => a.startS - b.startS);
  const samples = new Int16Array(frames * 2);
  for (let i = 0; i < frames; ++i) {
    const v = Math.max(-32768, Math.min(32767, Math.round(mono[i]!)));
    samples[2 * i] = v;
    samples[2 * i + 1] = v;
  }
  return { audio: { sampleRate: rate, channels: 2, samples }, truth };
}
