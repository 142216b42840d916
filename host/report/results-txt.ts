/**
 * results.txt in the submission checker's language (protocol reference §6):
 * each line starts with the official runner's `MMDD.HHMMSS ulp-mlperf: ` stamp
 * so the checker's anchored regexes match.
 */
import type { ResultsDocument } from './results-schema.js';
import { swwResultLines } from './sww-results.js';

export function checkerStamp(date: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(date.getMonth() + 1)}${p(date.getDate())}.${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
}

/** Numbers as plain decimals: the checker's `[\d\.]+` rejects exponents. */
export function plainNumber(value: number, decimals: number): string {
  return value.toFixed(decimals);
}

export function resultsTxt(doc: ResultsDocument, at: Date): string {
  const prefix = `${checkerStamp(at)} ulp-mlperf: `;
  const lines: string[] = [];
  if (doc.simulated)
    lines.push(
      `${prefix}SIMULATED: figures from the tiny-bench virtual DUT (cost-model clock)${doc.mode === 'energy' ? ' and virtual energy bench (power model)' : ''}, not hardware`,
    );
  // Before any figure, so no reader of the file takes a broken result's numbers for a result.
  if (doc.invalid) lines.push(`${prefix}INVALID: ${doc.invalid.join('; ')}; these figures are not a result`);
  if (doc.subset) lines.push(`${prefix}SUBSET: ${doc.files} files only (--limit); not a full result`);
  lines.push(`${prefix}Benchmark ${doc.benchmark}, mode ${doc.mode}, DUT ${doc.dut.name} (${doc.dut.model})`);
  if (doc.streaming) lines.push(...swwResultLines(doc.streaming, prefix));
  if (doc.windows) {
    doc.windows.forEach((w, i) => {
      lines.push(
        `${prefix}Window ${i + 1}: ${w.file}, ${w.inferences} inferences in ${(w.elapsedUs / 1e6).toFixed(6)} s, ${plainNumber(w.throughput, 3)} inf./sec.`,
      );
    });
  }
  if (doc.energyWindows) {
    doc.energyWindows.forEach((w, i) => {
      lines.push(
        `${prefix}Energy window ${i + 1}: ${w.file}, ${w.inferences} inferences in ${w.elapsedS.toFixed(3)} s between the timestamp edges, ${plainNumber(w.energyUj, 1)} uJ, ${plainNumber(w.energyUjPerInference, 3)} uJ/inf., ${plainNumber(w.powerMw, 3)} mW`,
      );
    });
  }
  if (doc.mode === 'energy') {
    if (doc.medianThroughput !== undefined) lines.push(`${prefix}Throughput from the timestamp edges: ${plainNumber(doc.medianThroughput, 3)} inf./sec.`);
    if (doc.powerMw !== undefined) lines.push(`${prefix}Median power is ${plainNumber(doc.powerMw, 3)} mW`);
    if (doc.energyUjPerInference !== undefined) lines.push(`${prefix}Median energy cost is ${plainNumber(doc.energyUjPerInference, 3)} uJ/inf.`);
  } else if (doc.medianThroughput !== undefined) {
    lines.push(`${prefix}Median throughput is ${plainNumber(doc.medianThroughput, 3)} inf./sec.`);
  }
  if (doc.top1 !== undefined) lines.push(`${prefix}Top 1% = ${plainNumber(doc.top1, 2)}`);
  if (doc.auc !== undefined) lines.push(`${prefix}AUC = ${plainNumber(doc.auc, 4)}`);
  if (doc.legacyAdAccuracy !== undefined)
    lines.push(`${prefix}Legacy AD accuracy (official runner threshold sweep, not a metric) ${plainNumber(doc.legacyAdAccuracy, 2)}`);
  if (doc.qualityTarget) {
    const q = doc.qualityTarget;
    lines.push(`${prefix}Quality target ${q.metric} >= ${q.threshold}: ${q.pass ? 'PASS' : 'FAIL'}`);
  }
  return `${lines.join('\n')}\n`;
}
