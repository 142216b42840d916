/**
 * Never a hang, never a silent wrong number, nothing lost: faults on the
 * virtual DUT's wire, misbehaving DUTs, and the bad-input matrix at run level.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { type FaultKind } from '../../host/link/faults.js';
import type { RunContext, RunPlan } from '../../host/run/bench-run.js';
import { silentProgress } from '../../host/core/progress.js';
import { insideDir } from '../../host/run/session.js';
import { dataDir, repoRoot, runTestSession } from '../helpers.js';
import { type ScriptedDutBehaviour, scriptedDut } from '../fakes/scripted-dut.js';

const out = mkdtempSync(join(tmpdir(), 'tb-reliability-'));
const base = { dataDir: dataDir(), outDir: out, command: ['test'], progress: silentProgress, say: () => {} };

async function kwsAccuracy(extra: Partial<RunPlan & RunContext> = {}, limit = 100) {
  const r = await runTestSession({ ...base, benchmarks: ['kws01'], modes: ['accuracy'], dut: { kind: 'sim' }, limit, ...extra });
  return r.documents[0]!;
}

describe('fault injection on the virtual DUT', async () => {
  const baseline = await kwsAccuracy();

  it.each(['drop', 'duplicate', 'corrupt', 'stall', 'disconnect', 'reset'] as FaultKind[])('%s: results equal the fault-free run', async (kind) => {
    const device = kind === 'disconnect' || kind === 'reset';
    const doc = await kwsAccuracy({ faults: { rate: device ? 0 : 0.002, eventRate: device ? 0.0004 : 0, kinds: [kind], seed: 7 } });
    expect(doc.perFile).toEqual(baseline.perFile);
    expect(doc.top1).toBe(baseline.top1);
    expect(doc.recovery!.faultsInjected).toBeGreaterThan(5);
    // Damage is now mostly repaired by resending the one command (resends), not by restarting the sample.
    if (kind !== 'stall') expect(doc.recovery!.retries + doc.recovery!.reconnects + doc.recovery!.resets + (doc.recovery!.resends ?? 0)).toBeGreaterThan(0);
    if (kind === 'disconnect') expect(doc.recovery!.reconnects).toBeGreaterThan(0);
    if (kind === 'reset') expect(doc.recovery!.resets).toBeGreaterThan(0);
  });

  it('ad01 with every fault kind mixed: window scores identical to the fault-free run', async () => {
    const run = (faults?: RunPlan['faults']) =>
      runTestSession({ ...base, benchmarks: ['ad01'], modes: ['accuracy'], dut: { kind: 'sim' }, limit: 2, ...(faults ? { faults } : {}) });
    const clean = (await run()).documents[0]!;
    const faulty = (await run({ rate: 0.001, eventRate: 0.00001, seed: 3 })).documents[0]!;
    expect(faulty.perFile).toEqual(clean.perFile);
    expect(faulty.recovery!.faultsInjected).toBeGreaterThan(50);
    expect(faulty.recovery!.resets + faulty.recovery!.reconnects).toBeGreaterThan(0);
  }, 300_000);
});

async function scripted(behaviour: ScriptedDutBehaviour, extra: Partial<RunPlan & RunContext> = {}) {
  return runTestSession({
    ...base,
    benchmarks: [behaviour.model as 'kws01'],
    modes: ['accuracy'],
    limit: 3,
    dut: { kind: 'link', open: async () => scriptedDut(behaviour).link, simulated: true, commandTimeoutMs: 300 },
    ...extra,
  });
}

const kwsVector = (best: number): string => Array.from({ length: 12 }, (_, i) => (i === best ? '0.996' : '0.000')).join(',');

describe('misbehaving DUTs never become results', () => {
  it.each([
    ['NaN', 'nan,0.5,0.5,0,0,0,0,0,0,0,0,0', /not a finite number/],
    ['infinity', 'inf,0,0,0,0,0,0,0,0,0,0,0', /not a finite number/],
    ['a negative value', '-0.5,1.5,0,0,0,0,0,0,0,0,0,0', /negative probability/],
    ['too few values', '0.5,0.5', /returned 2 result values, kws01 has 12/],
    ['a vector that is not a distribution', '0.9,0.9,0,0,0,0,0,0,0,0,0,0', /sums to 1.800, not 1/],
  ])('%s: the same wrong answer twice fails the sample at once, naming the file once', async (_, results, message) => {
    const error = await scripted({ model: 'kws01', results: () => results }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    const first = (error as Error).message.split('\n')[0]!;
    expect(first).toMatch(/^tst_000000_Stop_7\.bin: the DUT gave the same wrong answer twice, so it is not link damage: /);
    expect(first).toMatch(message);
    expect(first.split('tst_000000_Stop_7.bin')).toHaveLength(2);
    expect((error as Error).message).toMatch(/The session is kept in .*--resume/);
  });

  it('issue 12 #12: a deterministic bad answer on one file costs one retry, no re-identification, one clear message', async () => {
    const says: string[] = [];
    const dut = { current: undefined as ReturnType<typeof scriptedDut> | undefined };
    // Files 0-2 are fine; every answer for tst_000003_Up_8.bin sums to 0.
    const error = await runTestSession({
      ...base,
      say: (line) => says.push(line),
      benchmarks: ['kws01'],
      modes: ['accuracy'],
      limit: 5,
      dut: {
        kind: 'link',
        open: async () => (dut.current = scriptedDut({ model: 'kws01', results: (call) => (call >= 3 ? kwsVector(-1) : kwsVector(8)) })).link,
        simulated: true,
        commandTimeoutMs: 3000,
      },
    }).catch((e: Error) => e);
    const first = (error as Error).message.split('\n')[0]!;
    expect(first).toBe(
      'tst_000003_Up_8.bin: the DUT gave the same wrong answer twice, so it is not link damage: result vector sums to 0.000, not 1: [0,0,0,0,0,0,0,0,0,0,0,0]',
    );
    const commands = dut.current!.commands;
    expect(commands.filter((c) => c.startsWith('infer'))).toHaveLength(5);
    expect(commands.filter((c) => c === 'name')).toHaveLength(1);
    const recovering = says.filter((l) => l.includes('recovering'));
    expect(recovering).toEqual(['  recovering: tst_000003_Up_8.bin: result vector sums to 0.000, not 1: [0,0,0,0,0,0,0,0,0,0,0,0]; recovering']);
  });

  it('tolerates unknown reply lines', async () => {
    const r = await scripted({ model: 'kws01', results: () => kwsVector(7), rewrite: (_c, lines) => ['hello from the DUT', ...lines, '\u00ff\u00fe garbage'] });
    expect(r.documents[0]!.perFile!.map((f) => ('pred' in f ? f.pred : -1))).toEqual([7, 7, 7]);
  });

  it('rejects laps that run backwards (read as a counter wrap) in performance mode', async () => {
    const error = await scripted(
      {
        model: 'kws01',
        usPerInference: () => 300_000,
        // After the calibration probe, every window reports its two laps swapped.
        rewrite: (_c, lines, call) => {
          if (call === 0) return lines;
          const laps = lines.filter((l) => l.startsWith('m-lap-us-'));
          return lines.map((l) => (l === laps[0] ? laps[1]! : l === laps[1] ? laps[0]! : l));
        },
      },
      { modes: ['performance'] },
    ).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/laps are out of order or damaged/);
  });

  it('issue 12 #2: laps that always run backwards (calibration included) never become a "valid" 0.000 inf./sec', async () => {
    const swap = (lines: string[]): string[] => {
      const laps = lines.filter((l) => l.startsWith('m-lap-us-'));
      if (laps.length !== 2) return lines;
      return lines.map((l) => (l === laps[0] ? laps[1]! : l === laps[1] ? laps[0]! : l));
    };
    const error = await scripted({ model: 'kws01', usPerInference: () => 300_000, rewrite: (_c, lines) => swap(lines) }, { modes: ['performance'] }).catch(
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(Error);
    const first = (error as Error).message.split('\n')[0]!;
    expect(first).toMatch(
      /^calibration probe \(tst_000000_Stop_7\.bin\): the DUT gave the same wrong answer twice, so it is not link damage: the laps are out of order or damaged: .* the DUT's timer ran backwards/,
    );
    expect(readdirSync(out, { recursive: true }).filter((f) => String(f).endsWith('results.json') && String(f).includes('kws01/performance'))).toEqual([]);
  });

  it('a DUT that never answers fails within the timeout with a clear message, no hang', async () => {
    const t0 = Date.now();
    const error = await scripted({ model: 'kws01', silent: true }).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/No complete reply to 'name' within 300 ms/);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('a DUT reporting another model than --benchmark is refused', async () => {
    const error = await scripted({ model: 'ic01' }, { benchmarks: ['kws01'] }).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/--benchmark kws01 was asked, but the DUT on .* runs ic01/);
  });

  it('a DUT built for energy mode is refused for performance and accuracy runs', async () => {
    const error = await scripted({ model: 'kws01', energyMode: true }).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/built for energy mode .* accuracy mode needs a performance-mode build/);
    const sim = await runTestSession({ ...base, benchmarks: ['kws01'], modes: ['performance'], dut: { kind: 'sim', energyMode: true } }).catch((e: Error) => e);
    expect((sim as Error).message).toMatch(/built for energy mode/);
  });
});

describe('security and paths', () => {
  it('never writes outside the sessions folder', () => {
    expect(() => insideDir('/tmp/sessions/x', '..', '..', 'etc')).toThrow(/outside/);
    expect(() => insideDir('/tmp/sessions/x', 'kws01/../../y')).toThrow(/outside/);
    expect(insideDir('/tmp/sessions/x', 'kws01', 'accuracy')).toBe('/tmp/sessions/x/kws01/accuracy');
  });

  it('spawns child processes with argument arrays only, never through a shell', () => {
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.ts')) {
          const text = readFileSync(path, 'utf8');
          // exec/execSync run a command line through a shell; spawn with shell: true does too.
          if (/shell:\s*true|import\s*\{[^}]*\bexec(Sync)?\b[^}]*\}\s*from\s*'node:child_process'/.test(text)) offenders.push(path);
        }
      }
    };
    for (const dir of ['host', 'datasets', 'energy']) if (existsSync(join(repoRoot, dir))) walk(join(repoRoot, dir));
    expect(offenders).toEqual([]);
  });
});
