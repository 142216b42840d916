/**
 * An sww01 submission the checker's sww rules accept (protocol reference §6),
 * from a synthesized 50-wakeword stream (the checker wants TP + FN = 50, the
 * long stream's count) on the simulated energy bench.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { synthesizeStream } from '../../datasets/sww-synth.js';
import { encodeWav, parseWav } from '../../datasets/wav.js';
import { writeSubmission } from '../../host/report/submission.js';
import { silentProgress } from '../../host/core/progress.js';
import { dataDir, runTestSession } from '../helpers.js';

/** The checker's sww rules, restated: energy required (performance optional), its file list with the plot, re.search patterns, targets. */
function checkSww(modelDir: string): string[] {
  const problems: string[] = [];
  const tests = readdirSync(modelDir);
  if (!tests.includes('energy')) problems.push('sww: missing energy');
  for (const test of tests) {
    if (!['energy', 'performance'].includes(test)) problems.push(`sww: unexpected test ${test}`);
    const dir = join(modelDir, test);
    const want = ['log.txt', 'results.json', 'results.txt', ...(test === 'energy' ? ['energy_inf_000.png'] : [])];
    const files = readdirSync(dir);
    const extra = files.filter((f) => !want.includes(f));
    const missing = want.filter((f) => !files.includes(f));
    if (extra.length || missing.length) problems.push(`${dir}: extra ${extra} missing ${missing}`);
    const txt = readFileSync(join(dir, 'results.txt'), 'utf8');
    if (!/Estimated throughput:\s*([\d.]+) inf\.\/sec\./.test(txt)) problems.push(`${dir}: no throughput`);
    if (!/Average duty cycle:\s*([\d.]+)/.test(txt)) problems.push(`${dir}: no duty cycle`);
    const acc = /Accuracy: (\d+) True positives, (\d+) False negatives, (\d+) False positives/.exec(txt);
    if (!acc) problems.push(`${dir}: no accuracy`);
    else {
      const [tp, fn, fp] = acc.slice(1).map(Number) as [number, number, number];
      if (tp + fn !== 50) problems.push(`${dir}: TP + FN = ${tp + fn}, not 50`);
      if (fp > 8 || fn > 8) problems.push(`${dir}: ${fp} FP, ${fn} FN (at most 8 each)`);
    }
    if (test === 'energy' && !/Power\s+: ([\d.]+) mW/.test(txt)) problems.push(`${dir}: no power`);
  }
  return problems;
}

describe('sww01 submission', () => {
  it("a 50-wakeword synthesized stream on the simulated energy bench passes the checker's sww rules", async () => {
    const clip = parseWav(readFileSync(join(dataDir(), 'datasets', 'sww01', 'marvin_617de221_0.wav')), 'marvin_617de221_0.wav');
    const placements = Array.from({ length: 50 }, (_, i) => ({ atS: 1 + 3 * i, gain: 0.4 + (0.6 * ((i * 7) % 10)) / 9 }));
    const { audio, truth } = synthesizeStream(clip, { lengthS: 152, noiseRms: 150, seed: 5, placements });
    const root = mkdtempSync(join(tmpdir(), 'tb-sww-sub-'));
    mkdirSync(join(root, 'data', 'sww01'), { recursive: true });
    writeFileSync(join(root, 'data', 'sww01', 'synth50.wav'), encodeWav(audio));
    writeFileSync(
      join(root, 'data', 'sww01', 'synth50.json'),
      JSON.stringify([{ wav_file: 'synth50.wav', sample_rate: 16000, length_sec: 152, detection_windows: truth.map((w) => [w.startS, w.stopS]) }]),
    );
    const session = await runTestSession({
      benchmarks: ['sww01'],
      modes: ['energy', 'performance'],
      dut: { kind: 'sim' },
      dataDir: dataDir(),
      datasetPath: join(root, 'data'),
      labels: 'synth50.json',
      dutClockMhz: 480,
      energy: { bench: { kind: 'sim', monitor: 'lpm01a' }, voltageV: 1.8, dutBaud: 115200 },
      outDir: join(root, 'sessions'),
      command: ['test'],
      progress: silentProgress,
      say: () => {},
    });
    const s = session.documents[0]!.streaming!;
    expect(s.truePositives + s.falseNegatives).toBe(50);
    expect(s.truePositives).toBe(50);
    expect(s.falsePositives).toBe(0);
    writeSubmission({ sessions: [session.sessionDir], out: join(root, 'sub'), division: 'open', submitter: 'tb', system: 'sim' });
    const modelDir = join(root, 'sub', 'open', 'tb', 'results', 'sim', 'sww');
    expect(existsSync(modelDir)).toBe(true);
    expect(checkSww(modelDir)).toEqual([]);
  }, 120_000);
});
