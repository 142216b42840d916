import type { ResultsDocument } from '../report/results-schema.js';

/** The table printed after a run; every simulated row says so. */
export function summaryTable(docs: readonly ResultsDocument[]): string {
  const rows = docs.map((d) => {
    const s = d.streaming;
    const metric = s
      ? `${s.truePositives} TP ${s.falseNegatives} FN ${s.falsePositives} FP, duty ${(s.dutyCycle * 100).toFixed(2)} %${s.powerMw !== undefined ? `, ${s.powerMw.toFixed(2)} mW` : ''}`
      : d.mode === 'performance'
        ? `${d.medianThroughput!.toFixed(3)} inf/s (${d.latencyMs!.toFixed(3)} ms)`
        : d.mode === 'energy'
          ? `${d.energyUjPerInference!.toFixed(1)} uJ/inf (${d.powerMw!.toFixed(2)} mW)`
          : d.top1 !== undefined
            ? `top-1 ${d.top1.toFixed(2)} %`
            : `AUC ${d.auc?.toFixed(4) ?? 'n/a'}`;
    const target = s
      ? `${s.quality.pass ? 'PASS' : 'FAIL'} (FP <= ${s.quality.maxFalsePositives}, FN <= ${s.quality.maxFalseNegatives})`
      : d.qualityTarget
        ? `${d.qualityTarget.pass ? 'PASS' : 'FAIL'} (${d.qualityTarget.metric} >= ${d.qualityTarget.threshold})`
        : '';
    const notes = [d.invalid ? 'INVALID' : '', d.simulated ? 'SIMULATED' : '', d.subset ? 'SUBSET' : ''].filter(Boolean).join(' ');
    return [d.benchmark, d.mode, String(d.files), metric, target, `${d.wallSeconds.toFixed(1)} s`, notes];
  });
  const header = ['benchmark', 'mode', 'files', 'result', 'quality target', 'wall', 'notes'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]): string =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)].join('\n');
}
