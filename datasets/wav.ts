/**
 * 16-bit PCM WAV files, as the streaming-wakeword test streams come and as
 * the interface board plays them (2 channels, 16 kHz). Pure: bytes in,
 * samples out; a malformed file is named with the byte where it went wrong.
 */
import { DatasetError } from '../host/errors.js';

export interface PcmAudio {
  sampleRate: number;
  channels: number;
  /** Interleaved int16 samples. */
  samples: Int16Array;
}

export function frames(audio: PcmAudio): number {
  return audio.samples.length / audio.channels;
}

export function durationS(audio: PcmAudio): number {
  return frames(audio) / audio.sampleRate;
}

export function parseWav(bytes: Uint8Array, name: string): PcmAudio {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number): string => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (bytes.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw new DatasetError(`${name}: not a WAV file (expected 'RIFF....WAVE' at byte 0)`);
  let at = 12;
  let format: { channels: number; sampleRate: number; bits: number; code: number } | undefined;
  while (at + 8 <= bytes.length) {
    const id = tag(at);
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (body + size > bytes.length && id !== 'data')
      throw new DatasetError(`${name}: chunk '${id}' at byte ${at} claims ${size} bytes, past the end of the file (${bytes.length} bytes)`);
    if (id === 'fmt ') {
      if (size < 16) throw new DatasetError(`${name}: 'fmt ' chunk at byte ${at} has ${size} bytes, expected at least 16`);
      format = {
        code: view.getUint16(body, true),
        channels: view.getUint16(body + 2, true),
        sampleRate: view.getUint32(body + 4, true),
        bits: view.getUint16(body + 14, true),
      };
      if (format.code !== 1 && format.code !== 0xfffe) throw new DatasetError(`${name}: audio format ${format.code} at byte ${body}; expected 1 (PCM)`);
      if (format.bits !== 16) throw new DatasetError(`${name}: ${format.bits} bits per sample at byte ${body + 14}; expected 16`);
      if (format.channels < 1) throw new DatasetError(`${name}: ${format.channels} channels at byte ${body + 2}`);
    } else if (id === 'data') {
      if (!format) throw new DatasetError(`${name}: 'data' chunk at byte ${at} before any 'fmt ' chunk`);
      const length = Math.min(size, bytes.length - body);
      const count = Math.floor(length / 2 / format.channels) * format.channels;
      const samples = new Int16Array(count);
      for (let i = 0; i < count; ++i) samples[i] = view.getInt16(body + 2 * i, true);
      return { sampleRate: format.sampleRate, channels: format.channels, samples };
    }
    at = body + size + (size & 1);
  }
  throw new DatasetError(`${name}: no 'data' chunk found (${bytes.length} bytes)`);
}

/** A 16-bit PCM WAV file of the given audio. */
export function encodeWav(audio: PcmAudio): Uint8Array {
  const dataBytes = audio.samples.length * 2;
  const out = new Uint8Array(44 + dataBytes);
  const view = new DataView(out.buffer);
  const put = (at: number, s: string): void => {
    for (let i = 0; i < 4; ++i) out[at + i] = s.charCodeAt(i);
  };
  put(0, 'RIFF');
  view.setUint32(4, 36 + dataBytes, true);
  put(8, 'WAVE');
  put(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, audio.channels, true);
  view.setUint32(24, audio.sampleRate, true);
  view.setUint32(28, audio.sampleRate * audio.channels * 2, true);
  view.setUint16(32, audio.channels * 2, true);
  view.setUint16(34, 16, true);
  put(36, 'data');
  view.setUint32(40, dataBytes, true);
  for (let i = 0; i < audio.samples.length; ++i) view.setInt16(44 + 2 * i, audio.samples[i]!, true);
  return out;
}
