/**
 * ic02 (MLPerf Tiny v1.4: ResNet-8 with 40/80/160 filters on the ic01 images)
 * end to end: the virtual DUT over all 200 images, a QEMU mps2-an386 subset,
 * performance windows, and the stm32f4 build refusing a model its flash
 * cannot hold. Expected values come from ../shared/tinyml/golden/ic02.json.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import type { ClassifierFileResult, ResultsDocument } from '../../host/report/results-schema.js';
import type { RunContext, RunPlan } from '../../host/run/bench-run.js';
import { silentProgress } from '../../host/core/progress.js';
import { argmax } from '../../host/core/scoring.js';
import { runningHelpers } from '../../host/sim/child-processes.js';
import { type GoldenClassifier, dataDir, golden, runTestSession } from '../helpers.js';

const out = mkdtempSync(join(tmpdir(), 'tb-ic02-'));
const g = golden<GoldenClassifier>('ic02');
const common = { benchmarks: ['ic02' as const], dataDir: dataDir(), outDir: out, command: ['test'], progress: silentProgress, say: () => {} };

/** TFLite's int8 softmax output quantization (ic01 and ic02 alike): scale 1/256, zero point -128. */
const SOFTMAX = { scale: 1 / 256, zeroPoint: -128 };

/** Every printed probability lies within half a print step (0.0005) of the golden level, 1/256 apart: it names exactly one int8 value. */
function mismatches(doc: ResultsDocument, q = SOFTMAX): string[] {
  const want = new Map(g.perFile.map((s) => [s.file, s]));
  return doc.perFile!.flatMap((f) => {
    const r = f as ClassifierFileResult;
    const s = want.get(r.file)!;
    const off = s.out.some((v, i) => Math.abs(r.results[i]! - (v - q.zeroPoint) * q.scale) > 0.0005 + 1e-9);
    return off || r.pred !== argmax(s.out) ? [`${r.file}: got [${r.results}] want int8 [${s.out}]`] : [];
  });
}

async function run(extra: Partial<RunPlan & RunContext>) {
  return (await runTestSession({ ...common, modes: ['accuracy'], dut: { kind: 'sim' }, ...extra })).documents[0]!;
}

describe('ic02', () => {
  it('virtual DUT: all 200 result vectors equal golden, top-1 equals golden and passes the 91 % target', async () => {
    const doc = await run({});
    expect(doc.files).toBe(200);
    expect(mismatches(doc).slice(0, 5)).toEqual([]);
    expect(doc.top1).toBeCloseTo(g.summary.top1, 6);
    expect(doc.qualityTarget).toEqual({ metric: 'top1', threshold: 91, pass: true });
    process.stdout.write(`ic02 virtual DUT: top-1 ${doc.top1} % over ${doc.files} files (golden ${g.summary.top1} %), ${doc.wallSeconds} s\n`);
  });

  it('virtual DUT: performance windows last at least 10 s each', async () => {
    const doc = await run({ modes: ['performance'] });
    expect(doc.windows!.length).toBeGreaterThan(0);
    for (const w of doc.windows!) expect(w.elapsedUs).toBeGreaterThanOrEqual(10_000_000);
    process.stdout.write(`ic02 virtual DUT performance: ${doc.windows!.length} windows, median ${doc.medianThroughput!.toFixed(3)} inf/s (simulated)\n`);
  });

  it('QEMU mps2-an386: the first files equal golden', async () => {
    const doc = await run({ dut: { kind: 'qemu' }, limit: 5 });
    expect(doc.files).toBe(5);
    expect(doc.dut.link).toMatch(/QEMU mps2-an386/);
    expect(mismatches(doc)).toEqual([]);
    expect(runningHelpers()).toBe(0);
  });

  it('stm32f4: the build says the model does not fit its 512 KB of flash', async () => {
    await expect(run({ dut: { kind: 'qemu', board: 'stm32f4' }, limit: 1 })).rejects.toThrow(
      /ic02 needs \d+ bytes more flash than the stm32f4 port has \(its flash is 512 KB\)/,
    );
    expect(runningHelpers()).toBe(0);
  });
});
