/** `tiny-bench run -b sww01` out of the box: the simulated bench, results the submission checker reads, a report timeline. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { ResultsDocument } from '../../host/report/results-schema.js';
import { dataDir, repoRoot } from '../helpers.js';

const cli = join(repoRoot, 'dist', 'host', 'cli.js');
const out = mkdtempSync(join(tmpdir(), 'tb-sww-'));

function run(...args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, TINY_BENCH_DATA: dataDir() } });
}

/** The submission checker's sww patterns (protocol reference §6; Python re.search). */
const CHECKER = {
  throughput: /Estimated throughput:\s*([\d.]+) inf\.\/sec\./,
  accuracy: /Accuracy: (\d+) True positives, (\d+) False negatives, (\d+) False positives/,
  duty: /Average duty cycle:\s*([\d.]+)/,
  power: /Power\s+: ([\d.]+) mW/,
};

describe('tiny-bench run -b sww01', () => {
  it('performance mode: labelled SIMULATED, the checker lines in results.txt, a timeline in the report', () => {
    const r = run('run', '-b', 'sww01', '-m', 'performance', '--out', out, '--json');
    expect(r.status, r.stderr).toBe(0);
    const doc = ResultsDocument.parse((JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { results: unknown[] }).results[0]);
    expect(doc).toMatchObject({ benchmark: 'sww01', mode: 'performance', simulated: true, files: 1 });
    expect(r.stderr).toMatch(/SIMULATED/);
    const session = /Session: (.*)/.exec(r.stderr)![1]!.trim();
    const txt = readFileSync(join(session, 'sww01', 'performance', 'results.txt'), 'utf8');
    expect(txt).toMatch(/SIMULATED/);
    expect(CHECKER.throughput.test(txt)).toBe(true);
    expect(CHECKER.duty.test(txt)).toBe(true);
    const [, tp, fn, fp] = CHECKER.accuracy.exec(txt)!.map(Number);
    expect([tp, fn, fp]).toEqual([doc.streaming!.truePositives, doc.streaming!.falseNegatives, doc.streaming!.falsePositives]);
    // Only one line may match the accuracy pattern (the official-code comparison must not).
    expect(txt.split('\n').filter((l) => CHECKER.accuracy.test(l))).toHaveLength(1);
    // At the cost model's 120 MHz the optimized engine keeps up with 32 ms hops: no frame lost, no warning.
    expect(doc.streaming!.streams[0]!.framesMissed).toBe(0);
    expect(txt).not.toMatch(/WARNING: the DUT missed/);
    const html = readFileSync(join(session, 'report.html'), 'utf8');
    expect(html).toMatch(/<svg class="timeline"/);
    expect(existsSync(join(session, 'sww01', 'performance', 'log.txt'))).toBe(true);
  });

  it('--mode energy on a DUT fast enough for real time: power between start and stop, the 10 s stream scored 2 TP 1 FN 0 FP, submission dir sww', () => {
    const r = run('run', '-b', 'sww01', '-m', 'energy', '--dut-clock-mhz', '480', '--out', out, '--json');
    expect(r.status, r.stderr).toBe(0);
    const doc = ResultsDocument.parse((JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { results: unknown[] }).results[0]);
    expect(doc).toMatchObject({ benchmark: 'sww01', mode: 'energy', simulated: true });
    const s = doc.streaming!;
    expect([s.truePositives, s.falseNegatives, s.falsePositives]).toEqual([2, 1, 0]);
    expect(s.streams[0]!.framesMissed).toBe(0);
    expect(s.streams[0]!.energy!.elapsedS).toBeGreaterThan(10);
    const session = /Session: (.*)/.exec(r.stderr)![1]!.trim();
    const txt = readFileSync(join(session, 'sww01', 'energy', 'results.txt'), 'utf8');
    expect(Number(CHECKER.power.exec(txt)![1])).toBeCloseTo(s.powerMw!, 3);
    const sub = run('submission', session, '--out', join(out, 'sub'), '--division', 'open', '--submitter', 'tb', '--system', 'sim');
    expect(sub.status, sub.stderr).toBe(0);
    expect(existsSync(join(out, 'sub', 'open', 'tb', 'results', 'sim', 'sww', 'energy', 'results.txt'))).toBe(true);
    // The checker requires the power plot with an sww energy result.
    expect(
      readFileSync(join(out, 'sub', 'open', 'tb', 'results', 'sim', 'sww', 'energy', 'energy_inf_000.png'))
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');
  });
});
