/**
 * Whole sessions against the built-in virtual DUT through the real Link ->
 * LineChannel -> Dut path. Expected values come from the independent golden
 * outputs in ../shared/tinyml/golden, never from this code.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { type BenchmarkId } from '../../host/bench/benchmark.js';
import { ResultsDocument } from '../../host/report/results-schema.js';
import type { Mode, RunContext, RunPlan } from '../../host/run/bench-run.js';
import { silentProgress } from '../../host/core/progress.js';
import { argmax, rocAuc } from '../../host/core/scoring.js';
import { type GoldenAnomaly, type GoldenClassifier, dataDir, golden, runTestSession } from '../helpers.js';

const out = mkdtempSync(join(tmpdir(), 'tb-e2e-'));

async function run(benchmark: BenchmarkId, mode: Mode, extra: Partial<RunPlan & RunContext> = {}) {
  const result = await runTestSession({
    benchmarks: [benchmark],
    modes: [mode],
    dut: { kind: 'sim' },
    dataDir: dataDir(),
    outDir: out,
    command: ['test'],
    progress: silentProgress,
    say: () => {},
    ...extra,
  });
  const doc = result.documents[0]!;
  const dir = join(result.sessionDir, benchmark, mode);
  for (const f of ['log.txt', 'results.txt', 'results.json']) expect(existsSync(join(dir, f)), f).toBe(true);
  // What was written is what was returned, and it passes the schema.
  expect(ResultsDocument.parse(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')))).toEqual(doc);
  return { doc, txt: readFileSync(join(dir, 'results.txt'), 'utf8'), log: readFileSync(join(dir, 'log.txt'), 'utf8') };
}

/** The submission checker's regexes (protocol reference §6), applied with re.match semantics. */
const CHECKER = {
  top1: /^.* Top[- ]1%?\s?[:=] ([\d.]+).*/m,
  auc: /^.* AUC\s?[:=] ([\d.]+).*/m,
  throughput: /^.* Median throughput is\s+([\d.]+) inf\.\/sec\..*/m,
};

describe('accuracy on the virtual DUT', () => {
  it('kws01 over all 1000 files: every prediction equals the golden argmax', async () => {
    const { doc, txt, log } = await run('kws01', 'accuracy');
    const g = golden<GoldenClassifier>('kws01');
    expect(doc.files).toBe(1000);
    expect(doc.subset).toBe(false);
    expect(doc.simulated).toBe(true);
    const preds = new Map(doc.perFile!.map((f) => [f.file, 'pred' in f ? f.pred : -1]));
    const disagreements = g.perFile.filter((s) => preds.get(s.file) !== argmax(s.out));
    expect(disagreements).toEqual([]);
    expect(doc.top1).toBeCloseTo(g.summary.top1, 6);
    expect(Number(CHECKER.top1.exec(txt)?.[1])).toBeCloseTo(g.summary.top1, 2);
    expect(doc.qualityTarget).toEqual({ metric: 'top1', threshold: 90, pass: g.summary.top1 >= 90 });
    expect(txt).toMatch(/SIMULATED/);
    expect(log).toMatch(/> infer 1 0/);
    process.stdout.write(`kws01 accuracy: top-1 ${doc.top1} % over ${doc.files} files in ${doc.wallSeconds} s\n`);
  });

  it('ad01 over all 248 files: per-file mean window scores match golden and AUC matches', async () => {
    const { doc, txt } = await run('ad01', 'accuracy');
    const g = golden<GoldenAnomaly>('ad01');
    expect(doc.files).toBe(248);
    const byFile = new Map(doc.perFile!.map((f) => [f.file, f]));
    let worst = 0;
    for (const s of g.perFile) {
      const f = byFile.get(s.file)!;
      expect('windows' in f && f.windows).toBe(s.windows);
      worst = Math.max(worst, Math.abs(('score' in f ? f.score : NaN) - s.score) / s.score);
    }
    expect(worst).toBeLessThan(1e-4);
    const goldenAuc = rocAuc(
      g.perFile.map((s) => s.score),
      g.perFile.map((s) => s.label === 1),
    )!;
    expect(goldenAuc).toBeCloseTo(g.summary.auc, 9);
    expect(doc.auc).toBeCloseTo(g.summary.auc, 4);
    expect(Number(CHECKER.auc.exec(txt)?.[1])).toBeCloseTo(g.summary.auc, 4);
    expect(doc.legacyAdAccuracy).toBeGreaterThan(0);
    expect(txt).not.toMatch(CHECKER.top1); // the legacy figure must not look like a Top-1 line
    process.stdout.write(`ad01 accuracy: AUC ${doc.auc} over ${doc.files} files (worst file-score error ${worst.toExponential(2)}) in ${doc.wallSeconds} s\n`);
  });

  it('ad01 with the 72-file official short index (--labels y_labels_alt.csv)', async () => {
    const { doc } = await run('ad01', 'accuracy', { labels: 'y_labels_alt.csv' });
    expect(doc.files).toBe(72);
    expect(doc.labelsFile).toMatch(/y_labels_alt\.csv$/);
    const g = golden<GoldenAnomaly>('ad01');
    const alt = new Set(doc.perFile!.map((f) => f.file));
    const subset = g.perFile.filter((s) => alt.has(s.file));
    expect(subset).toHaveLength(72);
    const want = rocAuc(
      subset.map((s) => s.score),
      subset.map((s) => s.label === 1),
    )!;
    expect(doc.auc).toBeCloseTo(want, 4);
    process.stdout.write(`ad01 alt index: AUC ${doc.auc} over 72 files\n`);
  });

  it('--limit runs a labelled subset', async () => {
    const { doc, txt } = await run('ic01', 'accuracy', { limit: 10 });
    expect(doc.files).toBe(10);
    expect(doc.subset).toBe(true);
    expect(txt).toMatch(/SUBSET: 10 files only/);
  });
});

describe('performance on the virtual DUT', () => {
  it.each(['kws01', 'vww01', 'ic01', 'ad01'] as BenchmarkId[])('%s: five windows on five files, each at least 10 s of DUT time', async (id) => {
    const { doc, txt } = await run(id, 'performance');
    const windows = doc.windows!;
    expect(windows).toHaveLength(5);
    expect(new Set(windows.map((w) => w.file)).size).toBe(5);
    for (const w of windows) {
      expect(w.elapsedUs).toBeGreaterThanOrEqual(10_000_000);
      expect(w.throughput).toBeCloseTo(w.inferences / (w.elapsedUs / 1e6), 9);
    }
    const sorted = windows.map((w) => w.throughput).sort((a, b) => a - b);
    expect(doc.medianThroughput).toBe(sorted[2]);
    expect(doc.latencyMs).toBeCloseTo(1000 / sorted[2]!, 9);
    expect(Number(CHECKER.throughput.exec(txt)?.[1])).toBeCloseTo(doc.medianThroughput!, 3);
    process.stdout.write(
      `${id} performance (SIMULATED): ${doc.medianThroughput!.toFixed(3)} inf/s, ${windows[0]!.inferences} inferences/window, wall ${doc.wallSeconds} s\n`,
    );
  });
});
