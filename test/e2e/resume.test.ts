/**
 * A run killed with SIGKILL and resumed with --resume gives the same metrics
 * and per-file results as an uninterrupted run.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { ResultsDocument } from '../../host/report/results-schema.js';
import { dataDir, repoRoot } from '../helpers.js';

const cli = join(repoRoot, 'dist', 'host', 'cli.js');
const env = { ...process.env, TINY_BENCH_DATA: dataDir() };

function checkpointLines(path: string): number {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean).length : 0;
}

async function killMidRun(args: string[], out: string, checkpoint: (session: string) => string, atLines: number): Promise<string> {
  const child = spawn(process.execPath, [cli, 'run', ...args, '--out', out], { env, stdio: 'ignore' });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const sessions = existsSync(out) ? readdirSync(out) : [];
    if (sessions.length && checkpointLines(checkpoint(join(out, sessions[0]!))) >= atLines) break;
    if (Date.now() > deadline) throw new Error('the run never reached the kill point');
    await new Promise((r) => setTimeout(r, 5));
  }
  child.kill('SIGKILL');
  await new Promise((r) => child.on('exit', r));
  return join(out, readdirSync(out)[0]!);
}

function resume(session: string): ResultsDocument[] {
  const r = spawnSync(process.execPath, [cli, 'run', '--resume', session, '--json'], { env, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return (JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { results: unknown[] }).results.map((d) => ResultsDocument.parse(d));
}

function uninterrupted(args: string[]): ResultsDocument[] {
  const r = spawnSync(process.execPath, [cli, 'run', ...args, '--out', mkdtempSync(join(tmpdir(), 'tb-full-')), '--json'], { env, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return (JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { results: unknown[] }).results.map((d) => ResultsDocument.parse(d));
}

describe('resume after SIGKILL', () => {
  it('kws01 accuracy killed after 300 files resumes to the same per-file results and top-1', async () => {
    const args = ['--benchmark', 'kws01', '--mode', 'accuracy', '--limit', '600'];
    const out = mkdtempSync(join(tmpdir(), 'tb-resume-'));
    const session = await killMidRun(args, out, (s) => join(s, 'kws01', 'accuracy', 'checkpoint.jsonl'), 301);
    const before = checkpointLines(join(session, 'kws01', 'accuracy', 'checkpoint.jsonl'));
    expect(before).toBeGreaterThan(300);
    expect(before).toBeLessThan(601);
    expect(existsSync(join(session, 'kws01', 'accuracy', 'results.json'))).toBe(false);
    const [resumed] = resume(session);
    const [full] = uninterrupted(args);
    expect(resumed!.perFile).toEqual(full!.perFile);
    expect(resumed!.top1).toBe(full!.top1);
    expect(resumed!.files).toBe(600);
    // Every file scored once: the resumed run did not repeat the checkpointed ones.
    expect(checkpointLines(join(session, 'kws01', 'accuracy', 'checkpoint.jsonl'))).toBe(601);
  });

  it('ad01 accuracy (whole files streamed) killed after 5 files resumes to the same window scores', async () => {
    const args = ['--benchmark', 'ad01', '--mode', 'accuracy', '--limit', '20'];
    const out = mkdtempSync(join(tmpdir(), 'tb-resume-'));
    const checkpoint = (s: string) => join(s, 'ad01', 'accuracy', 'checkpoint.jsonl');
    const session = await killMidRun(args, out, checkpoint, 6);
    expect(checkpointLines(checkpoint(session))).toBeLessThan(21);
    const [resumed] = resume(session);
    const [full] = uninterrupted(args);
    // The file cut mid-way was scored again from its first window, as in the uninterrupted run.
    expect(resumed!.perFile).toEqual(full!.perFile);
    expect(resumed!.auc).toBe(full!.auc);
    expect(checkpointLines(checkpoint(session))).toBe(21);
  });

  it('ad01 performance killed after two windows resumes to the same windows and median', async () => {
    const args = ['--benchmark', 'ad01', '--mode', 'performance'];
    const out = mkdtempSync(join(tmpdir(), 'tb-resume-'));
    // header + calibration + 2 windows
    const session = await killMidRun(args, out, (s) => join(s, 'ad01', 'performance', 'checkpoint.jsonl'), 4);
    const [resumed] = resume(session);
    const [full] = uninterrupted(args);
    expect(resumed!.windows).toEqual(full!.windows);
    expect(resumed!.medianThroughput).toBe(full!.medianThroughput);
  });

  it('kws01 energy on the simulated bench killed after two windows resumes without repeating them', async () => {
    const args = ['--benchmark', 'kws01', '--mode', 'energy'];
    const out = mkdtempSync(join(tmpdir(), 'tb-resume-'));
    const checkpoint = (s: string): string => join(s, 'kws01', 'energy', 'checkpoint.jsonl');
    const session = await killMidRun(args, out, checkpoint, 4);
    const done = readFileSync(checkpoint(session), 'utf8')
      .split('\n')
      .filter(Boolean)
      .slice(2, 4)
      .map((l) => (JSON.parse(l) as { value: { file: string; energyUj: number } }).value);
    const [resumed] = resume(session);
    const [full] = uninterrupted(args);
    // The two checkpointed windows are kept as measured; the rest were run after the resume.
    expect(resumed!.energyWindows!.slice(0, done.length)).toEqual(done);
    expect(checkpointLines(checkpoint(session))).toBe(2 + 5);
    expect(resumed!.energyWindows!.map((w) => [w.file, w.warmups])).toEqual(full!.energyWindows!.map((w) => [w.file, w.warmups]));
    // Window edges fall on a different phase of the monitor's 1 ms samples in each run, and each window is
    // sized from the time the one before measured: the counts agree within a percent, every window lasts 10 s.
    resumed!.energyWindows!.forEach((w, i) => {
      expect(Math.abs(w.inferences - full!.energyWindows![i]!.inferences) / w.inferences).toBeLessThan(0.01);
      expect(w.elapsedS).toBeGreaterThanOrEqual(10);
    });
    expect(Math.abs(resumed!.energyUjPerInference! - full!.energyUjPerInference!) / full!.energyUjPerInference!).toBeLessThan(1e-3);
    expect(resumed!.simulated).toBe(true);
  });
});
