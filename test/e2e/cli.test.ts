/** The installed entry point: JSON on stdout, clear errors, exit codes, never a stack trace. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { ResultsDocument } from '../../host/report/results-schema.js';
import { dataDir, repoRoot } from '../helpers.js';

const cli = join(repoRoot, 'dist', 'host', 'cli.js');
const out = mkdtempSync(join(tmpdir(), 'tb-cli-'));

function run(...args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, TINY_BENCH_DATA: dataDir() } });
}

describe('tiny-bench run', () => {
  it('--json: the last stdout line is {session, report, results}; progress goes to stderr', () => {
    const r = run('run', '--benchmark', 'ic01', '--mode', 'accuracy', '--limit', '5', '--out', out, '--json');
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const out_ = JSON.parse(lines[0]!) as { session: string; report: string; results: unknown[] };
    expect(out_.results).toHaveLength(1);
    expect(out_.report).toBe(join(out_.session, 'report.html'));
    const doc = ResultsDocument.parse(out_.results[0]);
    expect(doc).toMatchObject({ benchmark: 'ic01', mode: 'accuracy', simulated: true, files: 5, subset: true });
    expect(doc.perFile).toHaveLength(5);
    expect(r.stderr).toMatch(/SIMULATED/);
  });

  it('prints a summary table naming simulated results', () => {
    const r = run('run', '--benchmark', 'kws01', '--mode', 'accuracy', '--limit', '3', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/kws01\s+accuracy\s+3\s+top-1 [\d.]+ %.*SIMULATED SUBSET/);
  });

  it('reports a bad data folder as one clear line with exit code 2', () => {
    const r = run('run', '--benchmark', 'kws01', '--data-dir', join(out, 'nowhere'), '--out', out);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^tiny-bench: Model kws_ref_model.tflite for kws01 is not in .*tiny-bench fetch/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('reports a port that cannot be opened without a stack trace', () => {
    const r = run('run', '--port', join(out, 'no-such-tty'), '--out', out);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/Cannot open serial port/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('follows an MLCommons tests_*.yaml (loop 3, infer N 2) and an EEMBC --dataset-path', () => {
    const tests = join(out, 'tests_performance.yaml');
    writeFileSync(tests, 'ad01:\n  model: ad01\n  truth_file: y_labels_alt.csv\n  script:\n    - loop 3:\n      - download\n      - infer 1500 2\n');
    const r = run(
      'run',
      '--benchmark',
      'ad01',
      '--mode',
      'performance',
      '--tests',
      tests,
      '--dataset-path',
      join(dataDir(), 'datasets'),
      '--out',
      out,
      '--json',
    );
    expect(r.status, r.stderr).toBe(0);
    const doc = ResultsDocument.parse((JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { results: unknown[] }).results[0]);
    expect(doc.windows).toHaveLength(3);
    expect(doc.windows!.every((w) => w.warmups === 2)).toBe(true);
    expect(doc.labelsFile).toMatch(/y_labels_alt\.csv$/);
  });

  it('rejects an unknown benchmark', () => {
    const r = run('run', '--benchmark', 'foo01');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/Allowed choices are kws01, vww01, ic01, ad01, ic02, sww01, all/);
  });
});
