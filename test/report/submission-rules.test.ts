/**
 * `submission` refuses any result that broke a rule (issue 12 #2), whether
 * results.json records it (`invalid`) or was written before it did.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { ResultsDocument } from '../../host/report/results-schema.js';
import { writeSubmission } from '../../host/report/submission.js';
import { silentProgress } from '../../host/core/progress.js';
import { writeResults } from '../../host/run/session.js';
import { dataDir, runTestSession } from '../helpers.js';

describe('submission and the rules', async () => {
  const out = mkdtempSync(join(tmpdir(), 'tb-rules-'));
  const { sessionDir } = await runTestSession({
    dataDir: dataDir(),
    outDir: out,
    command: ['test'],
    progress: silentProgress,
    say: () => {},
    benchmarks: ['kws01'],
    modes: ['performance'],
    dut: { kind: 'sim' },
  });
  const modeDir = join(sessionDir, 'kws01', 'performance');
  const clean = ResultsDocument.parse(JSON.parse(readFileSync(join(modeDir, 'results.json'), 'utf8')));
  const submit = () =>
    writeSubmission({ sessions: [sessionDir], out: mkdtempSync(join(tmpdir(), 'tb-sub-')), division: 'open', submitter: 'me', system: 'sys' });
  // What the laps-read-as-wraps run produced: 1 inference per window, 4294.97 s, 0.000 inf./sec.
  const wrapped = {
    ...clean,
    windows: clean.windows!.map((w) => ({ ...w, inferences: 1, elapsedUs: 4_294_966_796, throughput: 1 / 4294.966796 })),
    medianThroughput: 1 / 4294.966796,
  };

  it('a valid result is accepted and carries no invalid field', () => {
    expect(clean.invalid).toBeUndefined();
    expect(readFileSync(join(modeDir, 'results.txt'), 'utf8')).not.toContain('INVALID');
    expect(submit()).toHaveLength(1);
  });

  it('writeResults marks the result INVALID, and submission refuses it with one line', () => {
    writeResults(modeDir, structuredClone(wrapped));
    const written = ResultsDocument.parse(JSON.parse(readFileSync(join(modeDir, 'results.json'), 'utf8')));
    expect(written.invalid).toContain('window 1 (tst_000000_Stop_7.bin) ran 1 inference, under the minimum of 10');
    const txt = readFileSync(join(modeDir, 'results.txt'), 'utf8').split('\n');
    const invalidLine = txt.findIndex((l) =>
      / ulp-mlperf: INVALID: .*window 1 \(tst_000000_Stop_7\.bin\) ran 1 inference, under the minimum of 10.*; these figures are not a result$/.test(l),
    );
    expect(invalidLine).toBeGreaterThanOrEqual(0);
    expect(invalidLine).toBeLessThan(txt.findIndex((l) => l.includes('Median throughput is')));
    expect(submit).toThrow(
      /^.*: kws01 performance is INVALID: window 1 \(tst_000000_Stop_7\.bin\) lasted 4295 s, longer than any window the rules need: the DUT's timer is wrong \(and \d+ more broken rules\); a submission needs results that meet every rule$/,
    );
  });

  it('a results.json without the field (written before) is judged by the rules too', () => {
    writeFileSync(join(modeDir, 'results.json'), `${JSON.stringify(wrapped, null, 2)}\n`);
    expect(submit).toThrow(/kws01 performance is INVALID/);
  });
});
