/**
 * Accuracy inputs sent ahead of replies (host/devices/overlapped-infer.ts)
 * end to end: per-file results equal to one command at a time (`run
 * --no-overlap`) in a virtual-DUT session, clean and at --fault-rate 0.01,
 * and on both QEMU ports, whose firmware advertises its RX ring.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { openDataset } from '../../datasets/dataset.js';
import { datasetDir, modelPath } from '../../datasets/data-dir.js';
import { BENCHMARKS } from '../../host/bench/benchmark.js';
import { silentProgress } from '../../host/core/progress.js';
import { Dut } from '../../host/devices/dut.js';
import { directRunner } from '../../host/devices/dut-session.js';
import { LineChannel } from '../../host/devices/line-channel.js';
import { runAccuracy } from '../../host/run/accuracy.js';
import type { RunPlan } from '../../host/run/bench-run.js';
import { runningHelpers } from '../../host/sim/child-processes.js';
import { startQemuDut } from '../../host/sim/qemu-dut.js';
import { dataDir, runTestSession } from '../helpers.js';

const out = mkdtempSync(join(tmpdir(), 'tb-overlap-'));
const base = { dataDir: dataDir(), outDir: out, command: ['test'], progress: silentProgress, say: () => {} };

const session = async (limit: number, extra: Partial<RunPlan> = {}) => {
  const run = await runTestSession({ ...base, benchmarks: ['kws01'], modes: ['accuracy'], dut: { kind: 'sim' }, limit, ...extra });
  const log = readFileSync(join(run.sessionDir, 'kws01', 'accuracy', 'log.txt'), 'utf8').split('\n');
  // Inputs sent ahead: the second file's db put goes out before the first file's results come back.
  const puts = log.flatMap((l, i) => (l.includes('> db put ') ? [i] : []));
  const firstResults = log.findIndex((l) => / < .*m-results-\[/.test(l));
  return { ...run.documents[0]!, sentAhead: puts.length > 1 && puts[1]! < firstResults };
};

describe('inputs sent ahead in a session (virtual DUT)', () => {
  it('kws01: the same per-file results as --no-overlap, clean and at --fault-rate 0.01', async () => {
    const sequential = await session(20, { overlap: false });
    const ahead = await session(20);
    expect(sequential.sentAhead).toBe(false);
    expect(ahead.sentAhead).toBe(true);
    expect(ahead.perFile).toEqual(sequential.perFile);
    expect(ahead.perFile).toHaveLength(20);
    const faulty = await session(15, { faults: { rate: 0.01, seed: 3 } });
    expect(faulty.perFile).toEqual(sequential.perFile!.slice(0, 15));
    expect(faulty.recovery!.faultsInjected).toBeGreaterThan(100);
  }, 600_000);
});

describe('inputs sent ahead on QEMU', () => {
  it.each(['mps2-an386', 'stm32f4'] as const)(
    '%s kws01: the RX ring is advertised; 10 files sent ahead give the results of one command at a time',
    async (board) => {
      const kws = BENCHMARKS.kws01;
      const qemu = await startQemuDut({ benchmark: kws, modelPath: modelPath(dataDir(), kws), board });
      try {
        let due = 0;
        let maxDue = 0;
        const channel = new LineChannel(qemu.link, {
          // Exchanges whose reply is still due: 1 is one command at a time.
          transcript: (direction, text) => {
            if (direction === 'tx') maxDue = Math.max(maxDue, ++due);
            else if (text === 'm-ready') due = Math.max(0, due - 1);
          },
        });
        await channel.waitForLine((l) => l === 'm-init-done', 5000, 'boot banner').catch(() => {});
        await channel.settle(200, 2000);
        const dataset = openDataset(datasetDir(dataDir(), kws), kws);
        const sequentialDut = new Dut(channel, { overlapLoads: false });
        await sequentialDut.identify();
        expect(sequentialDut.identity?.rxBuffer).toBe(4095);
        expect(sequentialDut.identity?.features).toContain('db-put');
        maxDue = 0;
        const sequential = await runAccuracy(directRunner(sequentialDut), kws, dataset, silentProgress, { limit: 10 });
        expect(maxDue).toBe(1);
        const dut = new Dut(channel);
        await dut.identify();
        maxDue = 0;
        const ahead = await runAccuracy(directRunner(dut), kws, dataset, silentProgress, { limit: 10 });
        expect(maxDue).toBeGreaterThan(3);
        expect(dut.overlapFallbacks).toBe(0);
        expect(ahead.perFile).toEqual(sequential.perFile);
        channel.close();
      } finally {
        await qemu.close();
      }
      expect(runningHelpers()).toBe(0);
    },
    240_000,
  );
});
