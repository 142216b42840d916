/**
 * issue 12 #8: at --fault-rate 0.01 (every kind of fault, unplugs and resets
 * at the default rate / 50) a run finishes with the results of a clean run,
 * and a resumed run meets new faults rather than the sequence that stopped it.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import type { RunPlan } from '../../host/run/bench-run.js';
import { silentProgress } from '../../host/core/progress.js';
import { faultSeedForRun } from '../../host/run/session.js';
import { dataDir, runTestSession } from '../helpers.js';

const out = mkdtempSync(join(tmpdir(), 'tb-fault-rate-'));
const base = { dataDir: dataDir(), outDir: out, command: ['test'], progress: silentProgress, say: () => {} };

const run = (benchmark: 'kws01' | 'ad01', limit: number, faults?: RunPlan['faults']) =>
  runTestSession({ ...base, benchmarks: [benchmark], modes: ['accuracy'], dut: { kind: 'sim' }, limit, ...(faults ? { faults } : {}) });

describe('--fault-rate 0.01', () => {
  it('kws01: the run finishes, every file scored as in the clean run', async () => {
    const clean = (await run('kws01', 15)).documents[0]!;
    const faulty = (await run('kws01', 15, { rate: 0.01, seed: 1 })).documents[0]!;
    expect(faulty.perFile).toEqual(clean.perFile);
    expect(faulty.top1).toBe(clean.top1);
    expect(faulty.recovery!.faultsInjected).toBeGreaterThan(100);
  }, 600_000);

  it('a resumed run gets a new fault seed, derived and recorded; the first keeps the plan seed', async () => {
    const faults = { rate: 0.01, seed: 5 };
    const first = await run('kws01', 3, faults);
    const session = first.sessionDir;
    const seeds = () =>
      readFileSync(join(session, 'fault-seeds.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { run: number; seed: number; planSeed: number });
    expect(seeds().map((s) => [s.run, s.seed, s.planSeed])).toEqual([[1, 5, 5]]);
    // As if the run had stopped before finishing: resume it.
    rmSync(join(session, 'kws01', 'accuracy', 'results.json'));
    rmSync(join(session, 'kws01', 'accuracy', 'checkpoint.jsonl'));
    const resumed = await runTestSession(
      { ...base, benchmarks: ['kws01'], modes: ['accuracy'], dut: { kind: 'sim' }, limit: 3, faults: { ...faults } },
      session,
    );
    const recorded = seeds();
    expect(recorded).toHaveLength(2);
    expect(recorded[1]!.planSeed).toBe(5);
    expect(recorded[1]!.seed).not.toBe(5);
    expect(resumed.documents[0]!.perFile).toEqual(first.documents[0]!.perFile);
    // A third run gets yet another seed.
    expect(faultSeedForRun(session, 5)).not.toBe(recorded[1]!.seed);
    expect(existsSync(join(session, 'session.json'))).toBe(true);
  }, 300_000);
});
