/**
 * report.html: one self-contained file per session that opens offline.
 * Every string that came from a DUT, a file or a labels file is escaped;
 * chart data travels as JSON inside a non-executable script element.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import { BENCHMARKS } from '../bench/benchmark.js';
import { className } from '../bench/class-names.js';
import { ConfigError } from '../errors.js';
import { writeFileOrExplain } from '../core/fs-errors.js';
import { readMultiSession } from './multi-session.js';
import { readResultsFile } from './results-file.js';
import { confusionMatrix, rocCurve } from '../core/scoring.js';
import { publishedFigures } from './reference-figures.js';
import type { AnomalyFileResult, ClassifierFileResult, ResultsDocument } from './results-schema.js';
import { swwReportSection, swwResultText } from './sww-results.js';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON safe inside <script type="application/json">: no '<', no line separators. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function chartLibrary(): string {
  const main = createRequire(import.meta.url).resolve('chart.js');
  return readFileSync(join(dirname(main), 'chart.umd.min.js'), 'utf8').replace(/<\/script/gi, '<\\/script');
}

/** Every results.json below a session folder, in benchmark then mode order. */
export function readSessionDocuments(sessionDir: string): ResultsDocument[] {
  if (!existsSync(sessionDir)) throw new ConfigError(`Session folder ${sessionDir} does not exist`);
  if (!statSync(sessionDir).isDirectory()) throw new ConfigError(`${sessionDir} is a file; give a session folder (sessions/<YYYYMMDD_HHMMSS>)`);
  const docs: ResultsDocument[] = [];
  for (const bench of readdirSync(sessionDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()) {
    for (const mode of ['performance', 'accuracy', 'energy']) {
      const path = join(sessionDir, bench, mode, 'results.json');
      if (existsSync(path)) docs.push(readResultsFile(path));
    }
  }
  return docs;
}

function resultText(d: ResultsDocument): string {
  if (d.streaming) return swwResultText(d.streaming);
  if (d.mode === 'energy')
    return `${d.energyUjPerInference!.toFixed(1)} µJ/inference, ${d.powerMw!.toFixed(2)} mW (throughput between the edges ${d.medianThroughput!.toFixed(3)} inf/s)`;
  if (d.mode === 'performance') return `${d.medianThroughput!.toFixed(3)} inf/s (latency ${d.latencyMs!.toFixed(3)} ms)`;
  if (d.top1 !== undefined) return `top-1 ${d.top1.toFixed(2)} %${d.auc !== undefined ? `, AUC ${d.auc.toFixed(4)}` : ''}`;
  return `AUC ${d.auc?.toFixed(4) ?? 'n/a'}${d.legacyAdAccuracy !== undefined ? ` (legacy threshold-sweep accuracy ${d.legacyAdAccuracy.toFixed(2)} %)` : ''}`;
}

function section(d: ResultsDocument, index: number, charts: unknown[]): string {
  const parts: string[] = [];
  const title = `${escapeHtml(d.benchmark)} ${escapeHtml(d.mode)}${d.simulated ? ' <span class="sim">SIMULATED</span>' : ''}${d.subset ? ' <span class="sim">SUBSET</span>' : ''}`;
  parts.push(`<section><h2>${title}</h2><p class="result">${escapeHtml(resultText(d))}</p>`);
  const meta = `<p class="meta">DUT <b>${escapeHtml(d.dut.name)}</b>, firmware ${escapeHtml(d.dut.firmware)}, model ${escapeHtml(d.dut.model)}, on ${escapeHtml(d.dut.link)} &middot; ${d.files} files from ${escapeHtml(d.labelsFile)} &middot; ${d.wallSeconds.toFixed(1)} s wall${d.recovery ? ` &middot; recovered: ${d.recovery.retries} retries, ${d.recovery.resets} resets, ${d.recovery.reconnects} reconnects` : ''}</p>`;
  parts.push(meta);
  if (d.benchmark === 'sww01') {
    if (d.streaming) parts.push(swwReportSection(d, `chart-${index}`, charts));
    parts.push('</section>');
    return parts.join('\n');
  }
  const bench = d.benchmark;
  if (d.windows) {
    const id = `chart-${index}`;
    charts.push({
      id,
      type: 'bar',
      labels: d.windows.map((w, i) => `${i + 1}: ${w.file}`),
      values: d.windows.map((w) => w.throughput),
      label: 'inferences per second',
      median: d.medianThroughput,
    });
    const refs = publishedFigures('latencyMs', bench)
      .map(([system, ms]) => `<tr><td>${escapeHtml(system)}</td><td>${ms} ms</td><td>${(ms / d.latencyMs!).toFixed(2)}x</td></tr>`)
      .join('');
    parts.push(`<div class="chart"><canvas id="${id}"></canvas></div>`);
    if (refs)
      parts.push(
        `<table><caption>Against published results (latency)</caption><tr><th>system</th><th>latency</th><th>reference latency ÷ this run (&gt;1: this run is faster)</th></tr>${refs}</table>`,
      );
  }
  if (d.energyWindows) parts.push(energySection(d, index, charts));
  if (d.perFile && d.benchmark !== 'ad01') {
    const files = d.perFile as ClassifierFileResult[];
    const classes = BENCHMARKS[d.benchmark].classes;
    const m = confusionMatrix(
      files.map((f) => f.label),
      files.map((f) => f.pred),
      classes,
    );
    const max = Math.max(1, ...m.flat());
    const rows = m
      .map(
        (row, l) =>
          `<tr><th>${escapeHtml(className(d.benchmark, l))}</th>${row.map((n, p) => `<td style="background:rgba(${l === p ? '40,140,80' : '200,60,60'},${(n / max).toFixed(3)})">${n}</td>`).join('')}</tr>`,
      )
      .join('');
    parts.push(
      `<table class="confusion"><caption>Confusion matrix (rows: label, columns: prediction)</caption><tr><th></th>${m.map((_, p) => `<th>${escapeHtml(className(d.benchmark, p))}</th>`).join('')}</tr>${rows}</table>`,
    );
  }
  if (d.perFile && d.benchmark === 'ad01') {
    const files = d.perFile as AnomalyFileResult[];
    const id = `chart-${index}`;
    charts.push({
      id,
      type: 'roc',
      points: rocCurve(
        files.map((f) => f.score),
        files.map((f) => f.label === 1),
      ),
      auc: d.auc,
    });
    parts.push(`<div class="chart square"><canvas id="${id}"></canvas></div>`);
  }
  if (d.qualityTarget) {
    const q = d.qualityTarget;
    parts.push(`<p class="${q.pass ? 'pass' : 'fail'}">Quality target ${q.metric} &ge; ${q.threshold}: ${q.pass ? 'PASS' : 'FAIL'}</p>`);
  }
  parts.push('</section>');
  return parts.join('\n');
}

/** Energy mode: the monitor and bench, per-window energies, a power trace with its two edges, published energies. */
function energySection(d: ResultsDocument, index: number, charts: unknown[]): string {
  const parts: string[] = [];
  const bench = d.benchmark;
  if (bench === 'sww01') return '';
  const m = d.monitor;
  if (m) {
    parts.push(
      `<p class="meta">Monitor <b>${escapeHtml(m.description)}</b>${m.firmware ? `, firmware ${escapeHtml(m.firmware)}` : ''}, ${m.sampleRateHz} samples/s, DUT supply ${m.voltageV} V, through the ${escapeHtml(m.interfaceBoard)} &middot; garbled stream tokens ${m.garbledTokens}, lost samples ${m.lostSamples}</p>`,
    );
    if (m.powerModel)
      parts.push(
        `<p class="banner">SIMULATED bench: power model ${(m.powerModel.activeCurrentA * 1e3).toFixed(1)} mA computing, ${(m.powerModel.idleCurrentA * 1e3).toFixed(1)} mA waiting, at ${m.voltageV} V; its analytic energy per inference is ${m.powerModel.truthUjPerInference.toFixed(1)} µJ.</p>`,
      );
  }
  const rows = d
    .energyWindows!.map(
      (w, i) =>
        `<tr><td>${i + 1}</td><td>${escapeHtml(w.file)}</td><td>${w.inferences}</td><td>${w.elapsedS.toFixed(3)} s</td><td>${w.energyUj.toFixed(1)}</td><td>${w.energyUjPerInference.toFixed(3)}</td><td>${w.powerMw.toFixed(3)}</td></tr>`,
    )
    .join('');
  parts.push(
    `<table><caption>Energy windows (between the two timestamp edges of each infer)</caption><tr><th>#</th><th>file</th><th>inferences</th><th>elapsed</th><th>µJ</th><th>µJ/inference</th><th>mW</th></tr>${rows}</table>`,
  );
  if (d.energyTrace) {
    const id = `chart-${index}-trace`;
    const t = d.energyTrace;
    charts.push({ id, type: 'trace', binMs: t.binMs, powerMw: t.powerMw, edgesMs: t.edgesMs, file: t.file });
    parts.push(`<div class="chart"><canvas id="${id}"></canvas></div>`);
  }
  const refs = publishedFigures('energyUj', bench)
    .map(([system, uj]) => `<tr><td>${escapeHtml(system)}</td><td>${uj} µJ</td><td>${(uj / d.energyUjPerInference!).toFixed(2)}x</td></tr>`)
    .join('');
  if (refs)
    parts.push(
      `<table><caption>Against published results (energy per inference)</caption><tr><th>system</th><th>energy</th><th>reference ÷ this run (&gt;1: this run uses less)</th></tr>${refs}</table>`,
    );
  return parts.join('\n');
}

/** One DUT's results in a session of several DUTs. */
export interface DutResults {
  label: string;
  docs: ResultsDocument[];
}

/** Benchmarks and modes down, DUTs across: the table a rack of boards is compared by. */
function comparisonTable(duts: readonly DutResults[]): string {
  const tests = [...new Set(duts.flatMap((d) => d.docs.map((doc) => `${doc.benchmark} ${doc.mode}`)))];
  const cell = (dut: DutResults, test: string): string => {
    const doc = dut.docs.find((d) => `${d.benchmark} ${d.mode}` === test);
    return doc ? `${escapeHtml(resultText(doc))}${doc.simulated ? ' <span class="sim">SIMULATED</span>' : ''}` : '<i>not finished</i>';
  };
  const head = duts.map((d) => `<th>${escapeHtml(d.label)}<br><span class="meta">${escapeHtml(d.docs[0]?.dut.name ?? 'no results yet')}</span></th>`).join('');
  const rows = tests.map((t) => `<tr><td>${escapeHtml(t)}</td>${duts.map((d) => `<td>${cell(d, t)}</td>`).join('')}</tr>`).join('');
  return `<table class="comparison"><caption>DUTs compared</caption><tr><th>test</th>${head}</tr>${rows}</table>`;
}

export function renderReport(sessionDir: string, docs: ResultsDocument[], duts?: readonly DutResults[]): string {
  const charts: unknown[] = [];
  const simulated = docs.some((d) => d.simulated);
  const dutOf = new Map(duts?.flatMap((g) => g.docs.map((d) => [d, g.label] as const)) ?? []);
  const rows = docs
    .map(
      (d) =>
        `<tr>${duts ? `<td>${escapeHtml(dutOf.get(d) ?? '')}</td>` : ''}<td>${escapeHtml(d.benchmark)}</td><td>${escapeHtml(d.mode)}</td><td>${d.files}</td><td>${escapeHtml(resultText(d))}</td><td>${d.qualityTarget ? (d.qualityTarget.pass ? '<span class="pass">PASS</span>' : '<span class="fail">FAIL</span>') : d.streaming ? (d.streaming.quality.pass ? '<span class="pass">PASS</span>' : '<span class="fail">FAIL</span>') : ''}</td><td>${d.simulated ? 'SIMULATED' : ''}${d.subset ? ' SUBSET' : ''}</td></tr>`,
    )
    .join('');
  const command = docs[0] ? `tiny-bench ${docs[0].command.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(' ')}` : '';
  let index = 0;
  const body = duts
    ? `${comparisonTable(duts)}\n${duts.map((g) => `<h2 class="dut">DUT ${escapeHtml(g.label)}</h2>\n${g.docs.length ? g.docs.map((d) => section(d, index++, charts)).join('\n') : '<p>No finished results: resume the session to continue this DUT.</p>'}`).join('\n')}`
    : docs.map((d) => section(d, index++, charts)).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tiny-bench report</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1000px;color:#222;padding:0 1rem}
h1{margin-bottom:.2rem} table{border-collapse:collapse;margin:.6rem 0} td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
caption{text-align:left;font-weight:600;padding:4px 0} .sim{background:#fd3;border-radius:3px;padding:0 6px;font-size:12px}
.banner{background:#fff4c2;border:1px solid #e0c050;padding:.5rem 1rem;border-radius:4px}
.pass{color:#176b32;font-weight:600} .fail{color:#b3261e;font-weight:600} .meta{color:#555;font-size:13px}
.result{font-size:18px;font-weight:600} section{border-top:1px solid #ddd;margin-top:1.5rem;padding-top:.5rem}
.chart{height:260px} .chart.square{height:320px;max-width:420px} .confusion td{text-align:right;min-width:2.2em} h2.dut{border-top:3px solid #4a7bd0;padding-top:.6rem;margin-top:2rem}
code{background:#f3f3f3;padding:1px 4px}
</style></head><body>
<h1>tiny-bench report</h1>
<p class="meta">Session ${escapeHtml(sessionDir)} &middot; ${docs[0] ? `tiny-bench ${escapeHtml(docs[0].tool.version)} &middot; started ${escapeHtml(docs[0].startedAt)}` : 'no results'}</p>
${simulated ? `<p class="banner"><b>SIMULATED.</b> Timings come from a cost model or an emulator, not from silicon${docs.some((d) => d.mode === 'energy' && d.simulated) ? "; energies come from the virtual bench's power model" : ''}; accuracy figures are real.</p>` : ''}
<p>Command: <code>${escapeHtml(command)}</code></p>
<table><caption>Results</caption><tr>${duts ? '<th>DUT</th>' : ''}<th>benchmark</th><th>mode</th><th>files</th><th>result</th><th>quality target</th><th></th></tr>${rows}</table>
${body}
<script type="application/json" id="report-data">${scriptJson(charts)}</script>
<script>${chartLibrary()}</script>
<script>
for (const c of JSON.parse(document.getElementById('report-data').textContent)) {
  const ctx = document.getElementById(c.id);
  if (c.type === 'bar') {
    new Chart(ctx, { type: 'bar', data: { labels: c.labels, datasets: [{ label: c.label, data: c.values, backgroundColor: '#4a7bd0' }] },
      options: { maintainAspectRatio: false, animation: false, plugins: { title: { display: true, text: 'Throughput per window (median ' + c.median.toFixed(3) + ' inf/s)' } }, scales: { y: { beginAtZero: true } } } });
  } else if (c.type === 'trace') {
    const top = Math.max(...c.powerMw) * 1.1;
    const edge = (x, n) => ({ label: 'timestamp edge ' + n, data: [{ x, y: 0 }, { x, y: top }], borderColor: '#b3261e', borderDash: [4, 4], pointRadius: 0 });
    new Chart(ctx, { type: 'line', data: { datasets: [
        { label: 'power (mW), ' + c.binMs.toFixed(1) + ' ms bins', data: c.powerMw.map((p, i) => ({ x: i * c.binMs, y: p })), borderColor: '#4a7bd0', pointRadius: 0, stepped: true },
        edge(c.edgesMs[0], 1), edge(c.edgesMs[1], 2) ] },
      options: { maintainAspectRatio: false, animation: false, parsing: false, plugins: { title: { display: true, text: 'Power around the median window (' + c.file + ')' } },
        scales: { x: { type: 'linear', title: { display: true, text: 'ms' } }, y: { beginAtZero: true, title: { display: true, text: 'mW' } } } } });
  } else {
    new Chart(ctx, { type: 'line', data: { datasets: [
        { label: 'ROC (AUC ' + (c.auc === undefined ? 'n/a' : c.auc.toFixed(4)) + ')', data: c.points.map(p => ({ x: p[0], y: p[1] })), borderColor: '#b3261e', pointRadius: 0, stepped: false },
        { label: 'chance', data: [{ x: 0, y: 0 }, { x: 1, y: 1 }], borderColor: '#aaa', borderDash: [4, 4], pointRadius: 0 } ] },
      options: { maintainAspectRatio: false, animation: false, parsing: false, scales: { x: { type: 'linear', min: 0, max: 1, title: { display: true, text: 'false-positive rate' } }, y: { min: 0, max: 1, title: { display: true, text: 'true-positive rate' } } } } });
  }
}
</script>
</body></html>
`;
}

/** Writes <session>/report.html from the session's results.json files; returns its path. */
export function writeReport(sessionDir: string): string {
  const path = join(sessionDir, 'report.html');
  const labels = readMultiSession(sessionDir);
  const duts = labels?.map((label) => ({ label, docs: readSessionDocuments(join(sessionDir, label)) }));
  const html = duts
    ? renderReport(
        sessionDir,
        duts.flatMap((d) => d.docs),
        duts,
      )
    : renderReport(sessionDir, readSessionDocuments(sessionDir));
  writeFileOrExplain(path, html);
  return path;
}
