/**
 * A worker thread that runs one benchmark's tests (its modes, in order) with
 * the same pipeline as the main thread, so a virtual or emulated DUT's
 * compute runs on another core. It talks to the main thread in messages:
 * progress and lines to show, then one result document per test, or the error.
 */
import { parentPort, workerData } from 'node:worker_threads';

import { BENCHMARKS, type BenchmarkId } from '../bench/benchmark.js';
import type { Progress } from '../core/progress.js';
import { TinyBenchError } from '../errors.js';
import { runOne } from './bench-run.js';
import type { Mode, RunPlan } from './plan.js';
import type { WorkerMessage } from './parallel.js';

interface Job {
  plan: RunPlan;
  sessionDir: string;
  benchmark: BenchmarkId;
  modes: Mode[];
}

const port = parentPort!;
const post = (message: WorkerMessage): void => port.postMessage(message);
const progress: Progress = {
  start: (label, total) => post({ type: 'progress', call: 'start', args: [label, total] }),
  advance: (done, detail) => post({ type: 'progress', call: 'advance', args: [done, detail] }),
  finish: (summary) => post({ type: 'progress', call: 'finish', args: [summary] }),
};

async function main(job: Job): Promise<void> {
  for (const mode of job.modes) {
    const doc = await runOne(job.plan, { outDir: '', progress, say: (line) => post({ type: 'say', line }) }, job.sessionDir, BENCHMARKS[job.benchmark], mode);
    post({ type: 'result', mode, doc });
  }
}

main(workerData as Job).then(
  () => post({ type: 'done' }),
  (error: unknown) => {
    if (error instanceof TinyBenchError) post({ type: 'error', message: error.message, exitCode: error.exitCode });
    else
      post({
        type: 'error',
        message: error instanceof Error ? error.message : String(error),
        exitCode: 70,
        ...(error instanceof Error && error.stack ? { stack: error.stack } : {}),
      });
  },
);
