import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { encodeWav, parseWav } from '../../datasets/wav.js';
import { readSwwTruth } from '../../host/bench/sww01.js';
import { DatasetError } from '../../host/errors.js';
import { dataDir } from '../helpers.js';

describe('sww01 truth files', () => {
  it("reads the shared 10 s stream's truth", () => {
    const { streams } = readSwwTruth(join(dataDir(), 'datasets', 'sww01'));
    expect(streams).toHaveLength(1);
    expect(streams[0]).toMatchObject({ wavFile: 'short_wav_easy10s.wav', lengthS: 10, sampleRate: 16000 });
    expect(streams[0]!.truth.map((w) => w.startS)).toEqual([1, 4, 7]);
  });

  it('names the file and what is wrong', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tb-truth-'));
    const write = (name: string, text: string): string => (writeFileSync(join(dir, name), text), name);
    expect(() => readSwwTruth(dir, 'none.json')).toThrow(/none\.json does not exist/);
    expect(() => readSwwTruth(dir, write('bad.json', '[{'))).toThrow(/bad\.json: not valid JSON/);
    expect(() => readSwwTruth(dir, write('shape.json', '[{"wav_file": "a.wav", "detection_windows": [[1]]}]'))).toThrow(
      /shape\.json: at 0\.detection_windows\.0/,
    );
    expect(() => readSwwTruth(dir, write('missing.json', '[{"wav_file": "a.wav", "detection_windows": []}]'))).toThrow(/entry 0: a\.wav is not in/);
    expect(() => readSwwTruth(dir, write('out.json', '[{"wav_file": "../x.wav", "detection_windows": []}]'))).toThrow(/points outside/);
    write('a.wav', '');
    expect(() => readSwwTruth(dir, write('order.json', '[{"wav_file": "a.wav", "detection_windows": [[2, 1]]}]'))).toThrow(
      /window 0: end 1 s is before start 2 s/,
    );
  });
});

describe('WAV files', () => {
  it('round-trips 16-bit PCM and refuses other files with the byte where they went wrong', () => {
    const audio = { sampleRate: 16000, channels: 2, samples: Int16Array.from([1, -2, 32767, -32768]) };
    expect(parseWav(encodeWav(audio), 'x.wav')).toEqual(audio);
    expect(() => parseWav(new Uint8Array(8), 'z.wav')).toThrow(DatasetError);
    const eight = encodeWav(audio);
    eight[34] = 8;
    expect(() => parseWav(eight, 'e.wav')).toThrow(/e\.wav: 8 bits per sample at byte 34; expected 16/);
  });
});
