/**
 * sww01 in results.txt and report.html. The checker (protocol reference §6)
 * searches results.txt for `Accuracy: N True positives, N False negatives,
 * N False positives`, `Average duty cycle: X`, `Estimated throughput: X
 * inf./sec.` and `Power : X mW`; the official-code comparison is worded so
 * that it cannot match those patterns.
 */
import type { ResultsDocument, StreamingResults } from './results-schema.js';

const plain = (v: number, decimals: number): string => v.toFixed(decimals);

export function swwResultLines(s: StreamingResults, prefix: string): string[] {
  const lines: string[] = [];
  lines.push(`${prefix}Accuracy: ${s.truePositives} True positives, ${s.falseNegatives} False negatives, ${s.falsePositives} False positives`);
  const o = s.officialCodeTotals;
  lines.push(`${prefix}With the official runner code's 2 s tail (not the rules' 1 s): ${o.truePositives} TP, ${o.falseNegatives} FN, ${o.falsePositives} FP`);
  lines.push(`${prefix}Average duty cycle: ${plain(s.dutyCycle, 6)}`);
  lines.push(`${prefix}Estimated throughput: ${plain(s.estimatedThroughput, 3)} inf./sec.`);
  if (s.powerMw !== undefined) lines.push(`${prefix}Power : ${plain(s.powerMw, 4)} mW`);
  for (const st of s.streams) {
    lines.push(
      `${prefix}Stream ${st.wavFile}: ${st.lengthS.toFixed(2)} s, ${st.activations.length} of ${st.framesInStream} frames processed, ${st.detectionsS.length} detections after the sync pulse, duty cycle ${plain(st.duty.dutyCycle, 6)} (period ${plain(st.duty.periodS * 1e3, 3)} ms, on ${plain(st.duty.onTimeS * 1e3, 3)} ms)${st.energy ? `, ${plain(st.energy.energyUj, 1)} uJ in ${plain(st.energy.elapsedS, 3)} s between start and stop` : ''}`,
    );
    if (st.framesMissed)
      lines.push(`${prefix}WARNING: the DUT missed ${st.framesMissed} frames of ${st.wavFile}: it takes ${plain(st.duty.onTimeS * 1e3, 1)} ms per 32 ms hop`);
    if (st.duty.periodSpread > 0.02) lines.push(`${prefix}WARNING: frame period spread ${plain(st.duty.periodSpread * 100, 1)} % (over 2 %)`);
  }
  const q = s.quality;
  lines.push(
    `${prefix}Quality target FP <= ${q.maxFalsePositives} and FN <= ${q.maxFalseNegatives}: ${q.pass ? 'PASS' : 'FAIL'}${q.wakewords !== q.checkerWakewords ? ` (on ${q.wakewords} wakewords; the checker expects the ${q.checkerWakewords}-wakeword long stream)` : ''}`,
  );
  return lines;
}

export function swwResultText(s: StreamingResults): string {
  return `${s.truePositives} TP, ${s.falseNegatives} FN, ${s.falsePositives} FP; duty cycle ${(s.dutyCycle * 100).toFixed(2)} %, ${s.estimatedThroughput.toFixed(1)} inf/s${s.powerMw !== undefined ? `, ${s.powerMw.toFixed(3)} mW` : ''}`;
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * One SVG timeline per stream: truth windows (with their 1 s and 2 s tails)
 * as bands, detections as ticks coloured by what they scored. Inline SVG: no
 * script, opens offline.
 */
export function swwReportSection(d: ResultsDocument, chartId: string, charts: unknown[]): string {
  const s = d.streaming!;
  const parts: string[] = [];
  const q = s.quality;
  parts.push(
    `<p class="${q.pass ? 'pass' : 'fail'}">Quality target FP &le; ${q.maxFalsePositives}, FN &le; ${q.maxFalseNegatives}: ${q.pass ? 'PASS' : 'FAIL'}${q.wakewords !== q.checkerWakewords ? ` <span class="meta">(${q.wakewords} wakewords; the rules' figure is for the ${q.checkerWakewords}-wakeword long stream)</span>` : ''}</p>`,
  );
  parts.push(
    `<p class="meta">Rules' 1 s tail: ${s.truePositives} TP, ${s.falseNegatives} FN, ${s.falsePositives} FP &middot; official runner code's 2 s tail: ${s.officialCodeTotals.truePositives} TP, ${s.officialCodeTotals.falseNegatives} FN, ${s.officialCodeTotals.falsePositives} FP${s.dutClockHz ? ` &middot; virtual DUT core clock ${(s.dutClockHz / 1e6).toFixed(0)} MHz` : ''}</p>`,
  );
  for (const st of s.streams) {
    const width = 960;
    const length = Math.max(st.lengthS, ...st.detectionsS, 1);
    const x = (t: number): number => Math.max(0, Math.min(width, (t / length) * width));
    const bands = st.score.windows
      .map(
        (w) =>
          `<rect x="${x(w.startS).toFixed(1)}" y="8" width="${Math.max(1, x(w.stopS) - x(w.startS)).toFixed(1)}" height="34" fill="#8bc48a"><title>truth ${w.startS.toFixed(3)}-${w.stopS.toFixed(3)} s</title></rect>` +
          `<rect x="${x(w.stopS).toFixed(1)}" y="8" width="${(x(w.stopS + 1) - x(w.stopS)).toFixed(1)}" height="34" fill="#cfe8cf"/><rect x="${x(w.stopS + 1).toFixed(1)}" y="8" width="${(x(w.stopS + 2) - x(w.stopS + 1)).toFixed(1)}" height="34" fill="#eef6ee"/>`,
      )
      .join('');
    const claimed = new Set(st.score.windows.flatMap((w) => w.detectionsS));
    const fps = new Set(st.score.falsePositivesS);
    const ticks = st.detectionsS
      .map((t) => {
        const colour = claimed.has(t) ? '#176b32' : fps.has(t) ? '#b3261e' : '#e08a1e';
        const what = claimed.has(t) ? 'true positive' : fps.has(t) ? 'false positive' : 'false positive (debounced)';
        return `<line x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="4" y2="46" stroke="${colour}" stroke-width="1.5"><title>${t.toFixed(3)} s: ${what}</title></line>`;
      })
      .join('');
    const axis = Array.from({ length: Math.floor(length) + 1 }, (_, i) => i)
      .filter((i) => length < 30 || i % 10 === 0)
      .map((i) => `<text x="${x(i).toFixed(1)}" y="62" font-size="10" text-anchor="${i === 0 ? 'start' : x(i) >= width - 1 ? 'end' : 'middle'}">${i}</text>`)
      .join('');
    parts.push(
      `<p><b>${escape(st.wavFile)}</b>: ${st.score.truePositives} TP, ${st.score.falseNegatives} FN, ${st.score.falsePositives} FP; ${st.activations.length} of ${st.framesInStream} frames processed${st.framesMissed ? ` (<span class="fail">${st.framesMissed} missed: ${(st.duty.onTimeS * 1e3).toFixed(1)} ms per 32 ms hop</span>)` : ''}; duty cycle ${(st.duty.dutyCycle * 100).toFixed(2)} %, estimated throughput ${st.duty.estimatedThroughput.toFixed(1)} inf/s${st.energy ? `; ${st.energy.powerMw.toFixed(3)} mW over ${st.energy.elapsedS.toFixed(2)} s` : ''}</p>`,
    );
    parts.push(
      `<svg class="timeline" viewBox="0 0 ${width} 66" width="100%" role="img" aria-label="detections against truth windows"><rect x="0" y="8" width="${width}" height="34" fill="#f6f6f6"/>${bands}${ticks}${axis}</svg>`,
    );
    const trace = st.energy?.trace;
    if (trace) {
      // The report's existing power-trace chart, between the start and stop edges.
      const id = `${chartId}-${charts.length}`;
      charts.push({ id, type: 'trace', binMs: trace.binMs, powerMw: trace.powerMw, edgesMs: trace.edgesMs, file: st.wavFile });
      parts.push(`<div class="chart"><canvas id="${id}"></canvas></div>`);
    }
  }
  parts.push(
    '<p class="meta">Green bands: truth windows, then their 1 s (rules) and 2 s (official code) tails; ticks: detections after the sync pulse — green true positive, red false positive, orange a false positive dropped by the 1 s debounce. Seconds on the axis.</p>',
  );
  return parts.join('\n');
}
