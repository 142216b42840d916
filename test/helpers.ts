import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { type RunContext, type RunPlan, type SessionResult, runSession } from '../host/run/bench-run.js';

export const repoRoot = resolve(import.meta.dirname, '..');

/** Models and evaluation sets: $TINY_BENCH_DATA, else the shared folder beside the checkout. */
export function dataDir(): string {
  const dir = resolve(process.env.TINY_BENCH_DATA ?? join(repoRoot, '..', 'shared', 'tinyml'));
  if (!existsSync(join(dir, 'models'))) {
    throw new Error(`Test data not found at ${dir}: set TINY_BENCH_DATA to a folder with models/, datasets/ and golden/`);
  }
  return dir;
}

export interface GoldenClassifier {
  summary: { files: number; top1: number };
  perFile: Array<{ file: string; label: number; out: number[] }>;
}

export interface GoldenAnomaly {
  summary: { files: number; auc: number };
  perFile: Array<{ file: string; label: number; score: number; windows: number; windowScores: number[]; firstWindow: { in: number[]; out: number[] } }>;
}

export function golden<T>(benchmark: string): T {
  return JSON.parse(readFileSync(join(dataDir(), 'golden', `${benchmark}.json`), 'utf8')) as T;
}

/** Tests describe a run as one object; the runner takes the plan (saved) apart from the context (never saved). */
export function runTestSession(options: RunPlan & RunContext, resumeDir?: string): Promise<SessionResult> {
  const { outDir, progress, say, onSessionDir, ...plan } = options;
  return runSession(plan, { outDir, progress, say, ...(onSessionDir ? { onSessionDir } : {}) }, resumeDir);
}
