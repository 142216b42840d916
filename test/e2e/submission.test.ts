/**
 * A submission folder made from a full virtual-DUT session passes the
 * MLPerf Tiny submission checker's rules (protocol reference §6).
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { writeSubmission } from '../../host/report/submission.js';
import { silentProgress } from '../../host/core/progress.js';
import { dataDir, runTestSession } from '../helpers.js';

/** The checker's rules, restated: layout, file lists, regexes (re.match / re.search), quality targets. */
function checkSubmission(root: string, division: string, submitter: string): string[] {
  const problems: string[] = [];
  const base = join(root, division, submitter);
  const systems = join(base, 'systems');
  for (const system of readdirSync(join(base, 'results'))) {
    const desc = join(systems, `${system}.json`);
    if (!existsSync(desc)) problems.push(`missing ${desc}`);
    else if (!['available', 'preview', 'rdi'].includes(JSON.parse(readFileSync(desc, 'utf8')).Status)) problems.push(`${desc}: bad Status`);
    for (const model of readdirSync(join(base, 'results', system))) {
      if (!['ad', 'ic', 'ic2', 'kws', 'vww', 'sww'].includes(model)) problems.push(`unknown model folder ${model}`);
      const tests = readdirSync(join(base, 'results', system, model));
      for (const required of ['accuracy', 'performance']) if (!tests.includes(required)) problems.push(`${model}: missing ${required}`);
      for (const test of tests) {
        const dir = join(base, 'results', system, model, test);
        const files = readdirSync(dir).filter((f) => statSync(join(dir, f)).isFile());
        const expected = ['log.txt', 'results.json', 'results.txt'];
        const extra = files.filter((f) => !expected.includes(f) && f !== 'mlperf_log_trace.json' && f !== '.gitkeep');
        const missing = ['log.txt', 'results.txt'].filter((f) => !files.includes(f));
        if (extra.length || missing.length) problems.push(`${dir}: extra ${extra} missing ${missing}`);
        const lines = readFileSync(join(dir, 'results.txt'), 'utf8').split('\n');
        const match = (re: RegExp): number | undefined => {
          for (const line of lines) {
            const m = re.exec(line);
            if (m && m.index === 0) return Number(m[1]);
          }
          return undefined;
        };
        if (test === 'energy' && !lines.some((l) => /Median energy cost is ([\d.]+) uJ\/inf/.test(l))) problems.push(`${dir}: no energy line`);
        if (test === 'performance' && match(/.* Median throughput is\s+([\d.]+) inf\.\/sec\..*/) === undefined) problems.push(`${dir}: no throughput line`);
        if (test === 'accuracy') {
          if (model === 'ad') {
            const auc = match(/.* AUC\s?[:=] ([\d.]+).*/);
            if (auc === undefined || auc < 0.85) problems.push(`${dir}: AUC ${auc} below 0.85`);
          } else {
            const top1 = match(/.* Top[- ]1%?\s?[:=] ([\d.]+).*/);
            const target = { ic: 85, ic2: 91, kws: 90, vww: 80 }[model as 'ic'];
            if (top1 === undefined || top1 < target) problems.push(`${dir}: top-1 ${top1} below ${target}`);
          }
        }
      }
    }
  }
  return problems;
}

describe('tiny-bench submission', async () => {
  const out = mkdtempSync(join(tmpdir(), 'tb-sub-'));
  const session = (
    await runTestSession({
      dataDir: dataDir(),
      outDir: out,
      command: ['run'],
      progress: silentProgress,
      say: () => {},
      modes: ['performance', 'accuracy'],
      dut: { kind: 'sim' },
    })
  ).sessionDir;

  it('open division: the full virtual-DUT session passes the checker rules', () => {
    const root = mkdtempSync(join(tmpdir(), 'tb-sub-root-'));
    const written = writeSubmission({ sessions: [session], out: root, division: 'open', submitter: 'tiny-bench', system: 'virtual-dut' });
    expect(written).toHaveLength(8);
    expect(checkSubmission(root, 'open', 'tiny-bench')).toEqual([]);
    expect(readFileSync(join(root, 'open', 'tiny-bench', 'systems', 'virtual-dut.json'), 'utf8')).toMatch(/SIMULATED/);
  });

  it("energy results go into <model>/energy with the checker's energy line and name the monitor", async () => {
    const energy = (
      await runTestSession({
        dataDir: dataDir(),
        outDir: out,
        command: ['run'],
        progress: silentProgress,
        say: () => {},
        benchmarks: ['ad01'],
        modes: ['energy'],
        dut: { kind: 'sim' },
        energy: { bench: { kind: 'sim' }, voltageV: 1.8, dutBaud: 9600 },
      })
    ).sessionDir;
    const root = mkdtempSync(join(tmpdir(), 'tb-sub-energy-'));
    const written = writeSubmission({ sessions: [session, energy], out: root, division: 'open', submitter: 'tiny-bench', system: 'virtual-dut' });
    expect(written).toHaveLength(9);
    expect(existsSync(join(root, 'open', 'tiny-bench', 'results', 'virtual-dut', 'ad', 'energy', 'results.txt'))).toBe(true);
    expect(checkSubmission(root, 'open', 'tiny-bench')).toEqual([]);
    expect(JSON.parse(readFileSync(join(root, 'open', 'tiny-bench', 'systems', 'virtual-dut.json'), 'utf8')).energy_monitor).toBe(
      'ST X-NUCLEO-LPM01A (firmware 1.0.6), SIMULATED',
    );
    // The energy rule can fail too.
    const txt = join(root, 'open', 'tiny-bench', 'results', 'virtual-dut', 'ad', 'energy', 'results.txt');
    writeFileSync(txt, readFileSync(txt, 'utf8').replace(/Median energy cost/, 'Median energy'));
    expect(checkSubmission(root, 'open', 'tiny-bench')).toEqual([expect.stringMatching(/no energy line/)]);
  });

  it('closed division refuses simulated results, and any division refuses a subset', async () => {
    expect(() => writeSubmission({ sessions: [session], out: mkdtempSync(join(tmpdir(), 'x-')), division: 'closed', submitter: 'a', system: 'b' })).toThrow(
      /SIMULATED; the closed division needs results measured on hardware/,
    );
    const subset = (
      await runTestSession({
        dataDir: dataDir(),
        outDir: out,
        command: ['run'],
        progress: silentProgress,
        say: () => {},
        benchmarks: ['ic01'],
        modes: ['accuracy'],
        dut: { kind: 'sim' },
        limit: 5,
      })
    ).sessionDir;
    expect(() => writeSubmission({ sessions: [subset], out: mkdtempSync(join(tmpdir(), 'x-')), division: 'open', submitter: 'a', system: 'b' })).toThrow(
      /ran a subset/,
    );
  });

  it('the checker rules catch a broken folder (they can fail)', () => {
    const root = mkdtempSync(join(tmpdir(), 'tb-sub-bad-'));
    writeSubmission({ sessions: [session], out: root, division: 'open', submitter: 's', system: 'y' });
    const txt = join(root, 'open', 's', 'results', 'y', 'kws', 'accuracy', 'results.txt');
    writeFileSync(txt, readFileSync(txt, 'utf8').replace(/Top 1% = [\d.]+/, 'Top 1% = 42.00'));
    expect(checkSubmission(root, 'open', 's')).toEqual([expect.stringMatching(/top-1 42 below 90/)]);
  });

  it('ic02 goes into ic2, and only beside ic01 (progressively larger submissions)', async () => {
    const ic02 = (
      await runTestSession({
        dataDir: dataDir(),
        outDir: out,
        command: ['run'],
        progress: silentProgress,
        say: () => {},
        benchmarks: ['ic02'],
        modes: ['performance', 'accuracy'],
        dut: { kind: 'sim' },
      })
    ).sessionDir;
    expect(() => writeSubmission({ sessions: [ic02], out: mkdtempSync(join(tmpdir(), 'x-')), division: 'open', submitter: 'a', system: 'b' })).toThrow(
      /a ic02 (performance|accuracy) result needs a ic01 \1 result in the same submission/,
    );
    const root = mkdtempSync(join(tmpdir(), 'tb-sub-ic2-'));
    writeSubmission({ sessions: [session, ic02], out: root, division: 'open', submitter: 's', system: 'y' });
    for (const test of ['accuracy', 'performance']) expect(existsSync(join(root, 'open', 's', 'results', 'y', 'ic2', test, 'results.txt'))).toBe(true);
    expect(checkSubmission(root, 'open', 's')).toEqual([]);
  });

  it('refuses submitter and system names that would become odd paths', () => {
    expect(() => writeSubmission({ sessions: [session], out: out, division: 'open', submitter: '../evil', system: 'x' })).toThrow(/--submitter/);
  });
});
