/**
 * Virtual-DUT benchmarks side by side in worker threads (the compiled run-worker in dist/, which
 * npm test builds first): the same documents as one after the other, in plan order.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { silentProgress } from '../../host/core/progress.js';
import type { ResultsDocument } from '../../host/report/results-schema.js';
import { runSession } from '../../host/run/bench-run.js';
import { workerScript } from '../../host/run/parallel.js';
import { dataDir } from '../helpers.js';

const essence = (d: ResultsDocument) => JSON.stringify({ ...d, startedAt: 0, finishedAt: 0, wallSeconds: 0 });

describe('worker threads', () => {
  it('kws01 and ic01, performance and accuracy, two at a time: identical to the sequential run', async () => {
    expect(workerScript(), 'dist/host/run/run-worker.js is built by npm test').toBeDefined();
    const plan = {
      benchmarks: ['kws01' as const, 'ic01' as const],
      modes: ['performance' as const, 'accuracy' as const],
      dut: { kind: 'sim' as const },
      dataDir: dataDir(),
      limit: 40,
      command: ['test'],
    };
    const said: string[] = [];
    const context = (jobs: number) => ({
      outDir: mkdtempSync(join(tmpdir(), `tb-par-${jobs}-`)),
      progress: silentProgress,
      say: (l: string) => void said.push(l),
      jobs,
    });
    const sequential = await runSession(plan, context(1));
    const parallel = await runSession(plan, context(2));
    expect(said).toContain('Running 4 tests (benchmark and mode), 2 at a time in worker threads');
    expect(parallel.documents.map((d) => `${d.benchmark} ${d.mode}`)).toEqual(['kws01 performance', 'kws01 accuracy', 'ic01 performance', 'ic01 accuracy']);
    expect(parallel.documents.map(essence)).toEqual(sequential.documents.map(essence));
  }, 120_000);
});
