/**
 * The streaming-wakeword benchmark (sww01, MLPerf Tiny v1.3+): what the DUT
 * runs, where its test streams and truth come from, and the quality target.
 * Streams are not EEMBC label files: a truth JSON lists WAV files with their
 * wakeword windows (protocol reference §4.1, official datasets.py).
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';

import { z } from 'zod';

import { DatasetError } from '../errors.js';
import type { TruthWindow } from './sww-scoring.js';

export const SWW01 = {
  id: 'sww01',
  title: 'Streaming wakeword ("marvin", 1D DS-CNN on log-mel features)',
  modelFile: 'str_ww_ref_model.tflite',
  /** The official runner's truth for its 1200 s stream; the shared 10 s stream has sww_short_test.json. */
  defaultTruthFile: 'sww_short_test.json',
  /** Rules: at most 8 false positives and 8 false negatives (on the 50-wakeword long stream). */
  maxFalsePositives: 8,
  maxFalseNegatives: 8,
  /** The checker requires TP + FN = 50 (the long stream's wakewords). */
  checkerWakewords: 50,
  /** The reference DUT talks 115200 baud in every mode. */
  dutBaud: 115200,
} as const;

export interface SwwStream {
  wavFile: string;
  /** Absolute path of the WAV. */
  path: string;
  lengthS: number;
  sampleRate: number;
  truth: TruthWindow[];
}

const TruthEntry = z.object({
  wav_file: z.string().min(1),
  sample_rate: z.number().positive().optional(),
  length_sec: z.number().positive().optional(),
  detection_windows: z.array(z.tuple([z.number(), z.number()])),
});

/** Reads a truth JSON (`[{wav_file, sample_rate, length_sec, detection_windows}]`) and checks every WAV it names exists inside `dir`. */
export function readSwwTruth(dir: string, truthFile: string = SWW01.defaultTruthFile): { truthPath: string; streams: SwwStream[] } {
  const truthPath = resolve(dir, truthFile);
  if (!existsSync(truthPath)) throw new DatasetError(`sww01 truth file ${truthPath} does not exist (pass --labels <truth.json> inside ${dir})`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(truthPath, 'utf8'));
  } catch (error) {
    throw new DatasetError(`${truthPath}: not valid JSON (${(error as Error).message})`);
  }
  const parsed = z.array(TruthEntry).min(1).safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new DatasetError(
      `${truthPath}: at ${issue.path.join('.') || 'top level'}: ${issue.message} (expected a list of {wav_file, detection_windows: [[start_s, end_s], ...]})`,
    );
  }
  const root = resolve(dir);
  const streams = parsed.data.map((entry, i): SwwStream => {
    const path = resolve(root, entry.wav_file);
    const rel = relative(root, path);
    if (rel.startsWith('..') || isAbsolute(rel) || isAbsolute(entry.wav_file))
      throw new DatasetError(`${truthPath}: entry ${i}: ${JSON.stringify(entry.wav_file)} points outside ${root}`);
    if (!existsSync(path)) throw new DatasetError(`${truthPath}: entry ${i}: ${entry.wav_file} is not in ${root}`);
    entry.detection_windows.forEach(([a, b], k) => {
      if (!(b >= a)) throw new DatasetError(`${truthPath}: entry ${i} window ${k}: end ${b} s is before start ${a} s`);
    });
    return {
      wavFile: entry.wav_file,
      path: join(root, rel),
      // Without length_sec: from the size of a 2-channel 16-bit WAV (44-byte header).
      lengthS: entry.length_sec ?? Math.max(0, statSync(path).size - 44) / (4 * (entry.sample_rate ?? 16000)),
      sampleRate: entry.sample_rate ?? 16000,
      truth: entry.detection_windows.map(([startS, stopS]) => ({ startS, stopS })),
    };
  });
  return { truthPath, streams };
}

/** The WAV files of `<dataDir>/datasets/sww01`, as a simulated interface board's SD card. */
export function swwSdCard(dataDir: string): Map<string, Uint8Array> {
  const dir = join(dataDir, 'datasets', SWW01.id);
  if (!existsSync(dir)) throw new DatasetError(`No sww01 streams: ${dir} does not exist`);
  return new Map(
    readdirSync(dir)
      .filter((f) => f.toLowerCase().endsWith('.wav'))
      .map((f) => [f, readFileSync(join(dir, f))]),
  );
}
