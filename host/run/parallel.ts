/**
 * Several benchmarks at once: each benchmark's tests run in a worker thread
 * (run-worker.ts) with its own DUT, at most `jobs` at a time. Results come
 * back in plan order, identical to a sequential run (the same pipeline runs
 * in each worker). A failure stops new work, lets running tests finish, and
 * is then reported; finished tests stay finished.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

import type { BenchmarkId } from '../bench/benchmark.js';
import type { Progress } from '../core/progress.js';
import { TinyBenchError } from '../errors.js';
import { packageRoot } from '../paths.js';
import type { ResultsDocument } from '../report/results-schema.js';
import type { Mode, RunPlan } from './plan.js';

export type WorkerMessage =
  | { type: 'progress'; call: 'start' | 'advance' | 'finish'; args: unknown[] }
  | { type: 'say'; line: string }
  | { type: 'result'; mode: Mode; doc: ResultsDocument }
  | { type: 'done' }
  | { type: 'error'; message: string; exitCode: number; stack?: string };

/** A test failed in a worker: its message and exit code, as the main thread would have reported them. */
export class WorkerTestError extends TinyBenchError {
  constructor(
    message: string,
    override readonly exitCode: number,
  ) {
    super(message);
  }
}

export interface BenchmarkTask {
  benchmark: BenchmarkId;
  modes: Mode[];
}

/** The compiled worker; undefined when running from sources that were never built (then tests run one after the other). */
export function workerScript(): string | undefined {
  const path = join(packageRoot(), 'dist', 'host', 'run', 'run-worker.js');
  return existsSync(path) ? path : undefined;
}

/**
 * Whether a plan's benchmarks can run side by side: each needs its own
 * in-process virtual DUT. QEMU DUTs stay sequential: their helper processes
 * are stopped by signal handlers that worker threads do not get.
 */
export function canRunInParallel(plan: RunPlan): boolean {
  return plan.dut.kind === 'sim' && (plan.benchmarks?.length ?? 0) > 1 && !plan.benchmarks?.includes('sww01');
}

/**
 * Rough relative cost of a task on the virtual DUT (default run, measured: ad01 accuracy ~11 s for its
 * 48 608 windows, vww01 accuracy ~4 s, kws01 ~1.5 s, performance runs under 1 s). Only the order matters.
 */
const ACCURACY_WEIGHT: Partial<Record<BenchmarkId, number>> = { ad01: 10, vww01: 4, ic02: 2, kws01: 1.5, ic01: 0.7 };

function taskWeight(task: BenchmarkTask): number {
  return task.modes.reduce((sum, mode) => sum + (mode === 'accuracy' ? (ACCURACY_WEIGHT[task.benchmark] ?? 1) : 0.5), 0);
}

export async function runInWorkers(
  plan: RunPlan,
  sessionDir: string,
  tasks: readonly BenchmarkTask[],
  jobs: number,
  makeProgress: () => Progress,
  say: (line: string) => void,
  onResult: (benchmark: BenchmarkId, mode: Mode, doc: ResultsDocument) => void,
): Promise<void> {
  const script = workerScript();
  if (!script) throw new TinyBenchError('The worker script is not built (run npm run build), so benchmarks cannot run in parallel; use --jobs 1');
  // Longest first, so the last lane to finish is not the one that drew the longest task last.
  const queue = [...tasks].sort((a, b) => taskWeight(b) - taskWeight(a));
  let failure: Error | undefined;
  const runTask = (task: BenchmarkTask): Promise<void> =>
    new Promise((resolve) => {
      const progress = makeProgress();
      const worker = new Worker(script, { workerData: { plan, sessionDir, benchmark: task.benchmark, modes: task.modes } });
      let settled = false;
      const end = (error?: Error): void => {
        if (settled) return;
        settled = true;
        failure ??= error;
        void worker.terminate().finally(resolve);
      };
      worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'progress') (progress[m.call] as (...a: unknown[]) => void)(...m.args);
        else if (m.type === 'say') say(m.line);
        else if (m.type === 'result') onResult(task.benchmark, m.mode, m.doc);
        else if (m.type === 'done') end();
        else
          end(
            new WorkerTestError(
              m.exitCode === 70
                ? `internal error in the ${task.benchmark} worker: ${m.message}${m.stack && process.env.TINY_BENCH_DEBUG ? `\n${m.stack}` : ''}`
                : m.message,
              m.exitCode,
            ),
          );
      });
      worker.on('error', (error: Error) => end(new WorkerTestError(`internal error in the ${task.benchmark} worker: ${error.message}`, 70)));
      worker.on('exit', (code) =>
        end(code === 0 ? undefined : new WorkerTestError(`the ${task.benchmark} worker stopped (exit code ${code}) before finishing`, 70)),
      );
    });
  const lane = async (): Promise<void> => {
    for (let task = queue.shift(); task && !failure; task = queue.shift()) await runTask(task);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, tasks.length)) }, lane));
  if (failure) throw failure;
}
