/**
 * The firmware's sww01 feature extractor (C, float32, packed real FFT) against
 * an independent float64 implementation written here from the protocol
 * reference §1.10 (direct DFT, dense mel matrix), hop by hop over the real
 * 10 s test stream, through the DUT's own extract_uart_stream command.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { parseWav } from '../../datasets/wav.js';
import { Dut } from '../../host/devices/dut.js';
import { LineChannel } from '../../host/devices/line-channel.js';
import { openVirtualDut } from '../../host/sim/wasm-dut.js';
import { dataDir } from '../helpers.js';

const N = 1024;
const HOP = 512;
const MELS = 40;
/** The sww01 model's input quantization scale (its flatbuffer; float32). */
const INPUT_SCALE = Math.fround(0.00370104262);

const hzToMel = (f: number): number => 1127 * Math.log(1 + f / 700);

/** TensorFlow's linear_to_mel_weight_matrix(40, 513, 16000, 0, 8000), dense, float64. */
function melMatrix(): number[][] {
  const edges = Array.from({ length: MELS + 2 }, (_, i) => hzToMel(0) + ((hzToMel(8000) - hzToMel(0)) * i) / (MELS + 1));
  return Array.from({ length: N / 2 + 1 }, (_, k) =>
    Array.from({ length: MELS }, (_, j) => {
      if (k === 0) return 0;
      const mel = hzToMel((8000 * k) / (N / 2));
      return Math.max(0, Math.min((mel - edges[j]!) / (edges[j + 1]! - edges[j]!), (edges[j + 2]! - mel) / (edges[j + 2]! - edges[j + 1]!)));
    }),
  );
}

/** Per hop: the scaled features in [0, 1] and their int8 values (reference cast: truncate, wrap). */
function referenceFeatures(mono: Int16Array, hops: number): { scaled: number[][]; q: number[][] } {
  const mel = melMatrix();
  const cos = Array.from({ length: N }, (_, i) => Math.cos((2 * Math.PI * i) / N));
  const sin = Array.from({ length: N }, (_, i) => Math.sin((2 * Math.PI * i) / N));
  const hamming = Array.from({ length: N }, (_, n) => 0.54 - 0.46 * Math.cos((2 * Math.PI * n) / N));
  // The stream behind a zeroed first half-window.
  const x = new Float64Array(HOP + mono.length);
  mono.forEach((s, i) => (x[HOP + i] = s / 32768));
  const scaled: number[][] = [];
  const q: number[][] = [];
  for (let h = 0; h < hops; ++h) {
    const start = h * HOP;
    const frame = Array.from({ length: N }, (_, n) => (x[start + n]! - 0.96875 * (start + n > 0 ? x[start + n - 1]! : 0)) * hamming[n]!);
    const power = Array.from({ length: N / 2 + 1 }, (_, k) => {
      let re = 0;
      let im = 0;
      for (let n = 0; n < N; ++n) {
        re += frame[n]! * cos[(k * n) % N]!;
        im -= frame[n]! * sin[(k * n) % N]!;
      }
      return (re * re + im * im) / N;
    });
    const row = Array.from({ length: MELS }, (_, j) => {
      let m = 0;
      for (let k = 0; k <= N / 2; ++k) m += power[k]! * mel[k]![j]!;
      const v = (10 * Math.log10(Math.max(m, 1e-30)) + 52) / 64;
      return Math.min(1, Math.max(0, v));
    });
    scaled.push(row);
    q.push(row.map((v) => (((Math.trunc(v / INPUT_SCALE - 128) & 0xff) + 128) & 0xff) - 128));
  }
  return { scaled, q };
}

/** Distance between two int8 values on the wrap-around circle (the cast wraps 128 to -128). */
const wrapDistance = (a: number, b: number): number => Math.min((a - b + 256) % 256, (b - a + 256) % 256);

interface Comparison {
  maxScaledDiff: number;
  maxWrap: number;
  mismatches: number;
  values: number;
  want: { scaled: number[][]; q: number[][] };
  got: number[][];
}

/** Streams `mono` hop by hop through a fresh virtual sww01 DUT (db + extract_uart_stream) and compares. */
async function compare(mono: Int16Array): Promise<Comparison> {
  const hops = mono.length / HOP;
  const want = referenceFeatures(mono, hops);
  const { link, dut: wasm } = await openVirtualDut({ benchmark: { id: 'sww01', modelFile: 'str_ww_ref_model.tflite' }, dataDir: dataDir() });
  const channel = new LineChannel(link);
  await channel.settle(20, 1000);
  const dut = new Dut(channel);
  expect((await dut.identify()).model).toBe('sww01');
  const result: Comparison = { maxScaledDiff: 0, maxWrap: 0, mismatches: 0, values: hops * MELS, want, got: [] };
  for (let h = 0; h < hops; ++h) {
    await dut.load(new Uint8Array(mono.buffer, mono.byteOffset + h * HOP * 2, HOP * 2));
    const lines = await dut.send('extract_uart_stream');
    const features = /^m-features-\[(.*)\]$/
      .exec(lines.find((l) => l.startsWith('m-features-'))!)![1]!
      .split(', ')
      .map(Number);
    expect(lines.some((l) => /^m-activations-\[-?\d+, -?\d+, -?\d+\]$/.test(l))).toBe(true);
    result.got.push(features);
    const scaled = wasm.scaledFeatures();
    for (let j = 0; j < MELS; ++j) {
      result.maxScaledDiff = Math.max(result.maxScaledDiff, Math.abs(scaled[j]! - want.scaled[h]![j]!));
      const d = wrapDistance(features[j]!, want.q[h]![j]!);
      result.maxWrap = Math.max(result.maxWrap, d);
      if (d) ++result.mismatches;
    }
  }
  channel.close();
  await link.close();
  return result;
}

function expectAgreement(r: Comparison): void {
  // float32 (C) against float64 (here): the scaled values agree closely ...
  expect(r.maxScaledDiff).toBeLessThan(1e-5);
  // ... and the truncating cast can only differ where a value sits on an integer boundary.
  expect(r.maxWrap).toBeLessThanOrEqual(1);
  expect(r.mismatches / r.values).toBeLessThan(0.01);
}

describe('sww01 feature extraction', () => {
  it('matches an independent float64 implementation hop by hop on the 10 s test stream', async () => {
    const wav = parseWav(readFileSync(join(dataDir(), 'datasets', 'sww01', 'short_wav_easy10s.wav')), 'short_wav_easy10s.wav');
    expect(wav).toMatchObject({ sampleRate: 16000, channels: 2 });
    const hops = 312; // the whole 10 s: silence and all three wakewords
    const r = await compare(Int16Array.from({ length: hops * HOP }, (_, i) => wav.samples[2 * i]!));
    // The stretch exercises speech, not only clamped silence (which quantizes to -128).
    expect(r.want.scaled.filter((row) => row.some((v) => v > 0.3)).length).toBeGreaterThan(15);
    expectAgreement(r);
  });

  it('saturates and wraps like the reference cast on full-scale noise (1.0 -> 142 -> -114)', async () => {
    let seed = 12345;
    const noise = Int16Array.from({ length: 8 * HOP }, () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return (seed >>> 16) & 1 ? 32767 : -32768;
    });
    const r = await compare(noise);
    expectAgreement(r);
    const last = r.got.at(-1)!;
    // Loud bands clip to 1.0 and wrap to -114; none may come out as the clamped 127 a saturating cast gives.
    expect(last.filter((v) => v === -114).length).toBeGreaterThan(0);
    expect(last.includes(127)).toBe(false);
  });
});
