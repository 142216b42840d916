/**
 * Conformance of the engine (as compiled to WebAssembly, the virtual DUT)
 * against ../shared/tinyml/golden: bit-exact int8 outputs for every kws01,
 * vww01, ic01 and ic02 sample (ic02 on the ic01 images); for every ad01 file the first window's int8 tensors
 * and every window score within 1e-4 relative.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { BENCHMARKS, type BenchmarkId, adWindowOffsets } from '../../host/bench/benchmark.js';
import { WasmDut } from '../../host/sim/wasm-dut.js';
import { type GoldenAnomaly, type GoldenClassifier, dataDir, golden } from '../helpers.js';

async function engine(id: BenchmarkId): Promise<WasmDut> {
  const bench = BENCHMARKS[id];
  return WasmDut.create({ benchmark: bench, model: readFileSync(join(dataDir(), 'models', bench.modelFile)) }, () => {});
}

describe('engine conformance with TFLite Micro reference arithmetic', () => {
  it.each(['kws01', 'vww01', 'ic01', 'ic02'] as BenchmarkId[])('%s: every int8 output vector equals golden', async (id) => {
    const dut = await engine(id);
    const g = golden<GoldenClassifier>(id);
    const mismatches: string[] = [];
    for (const sample of g.perFile) {
      const input = readFileSync(join(dataDir(), 'datasets', BENCHMARKS[id].dataset, sample.file));
      const out = Array.from(dut.runRaw(input).output);
      if (out.join() !== sample.out.join()) mismatches.push(`${sample.file}: got [${out}] want [${sample.out}]`);
    }
    process.stdout.write(`${id}: ${g.perFile.length - mismatches.length}/${g.perFile.length} outputs bit-exact\n`);
    expect(mismatches.slice(0, 5)).toEqual([]);
    expect(g.perFile.length).toBe(g.summary.files);
  });

  it('ad01: first-window int8 tensors bit-exact and every window score within 1e-4 relative', async () => {
    const dut = await engine('ad01');
    const g = golden<GoldenAnomaly>('ad01');
    let tensorMatches = 0;
    let windows = 0;
    let worst = 0;
    const row = { line: 0, file: '', classes: 2, label: 0 };
    for (const sample of g.perFile) {
      const file = readFileSync(join(dataDir(), 'datasets', 'ad01', sample.file));
      const offsets = adWindowOffsets(file.length, row);
      expect(offsets.length).toBe(sample.windowScores.length);
      offsets.forEach((offset, w) => {
        const r = dut.runRaw(file.subarray(offset, offset + 2560));
        if (w === 0 && Array.from(r.inputTensor).join() === sample.firstWindow.in.join() && Array.from(r.output).join() === sample.firstWindow.out.join())
          tensorMatches++;
        const want = sample.windowScores[w]!;
        worst = Math.max(worst, Math.abs(r.result0 - want) / Math.abs(want));
        windows++;
      });
    }
    process.stdout.write(
      `ad01: ${tensorMatches}/${g.perFile.length} first-window tensors bit-exact, ${windows} window scores, worst relative error ${worst.toExponential(2)}\n`,
    );
    expect(tensorMatches).toBe(g.perFile.length);
    expect(worst).toBeLessThan(1e-4);
  });
});
