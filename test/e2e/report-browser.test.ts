/**
 * The HTML report in a real browser (Debian chromium driven by playwright-core):
 * key numbers present, charts drawn, no console errors, hostile DUT strings
 * inert, and a screenshot for people to look at.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';

import { writeReport } from '../../host/report/html-report.js';
import { silentProgress } from '../../host/core/progress.js';
import { dataDir, repoRoot, runTestSession } from '../helpers.js';
import { scriptedDut } from '../fakes/scripted-dut.js';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

async function openReport(path: string) {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const errors: string[] = [];
  const dialogs: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await page.goto(`file://${path}`);
  await page.waitForLoadState('load');
  return { browser, page, errors, dialogs };
}

describe('report.html in Chromium', () => {
  it('shows the session results with charts and no console errors', async () => {
    const out = mkdtempSync(join(tmpdir(), 'tb-report-'));
    const common = { dataDir: dataDir(), outDir: out, command: ['run', '--benchmark', 'kws01'], progress: silentProgress, say: () => {} };
    const kws = await runTestSession({ ...common, benchmarks: ['kws01'], modes: ['performance', 'accuracy'], dut: { kind: 'sim' }, limit: 200 });
    const ad = await runTestSession({ ...common, benchmarks: ['ad01'], modes: ['accuracy'], dut: { kind: 'sim' }, labels: 'y_labels_alt.csv' }, kws.sessionDir);
    const energy = await runTestSession(
      { ...common, benchmarks: ['kws01'], modes: ['energy'], dut: { kind: 'sim' }, energy: { bench: { kind: 'sim' }, voltageV: 1.8, dutBaud: 9600 } },
      kws.sessionDir,
    );
    const path = writeReport(kws.sessionDir);
    const { browser, page, errors } = await openReport(path);
    try {
      const text = await page.innerText('body');
      const [perf, acc] = kws.documents;
      expect(text).toContain(`${perf!.medianThroughput!.toFixed(3)} inf/s`);
      expect(text).toContain(`top-1 ${acc!.top1!.toFixed(2)} %`);
      expect(text).toContain(`AUC ${ad.documents[0]!.auc!.toFixed(4)}`);
      expect(text).toContain('SIMULATED');
      expect(text).toContain('Confusion matrix');
      expect(text).toContain('NUCLEO-L4R5ZI');
      expect(text).toContain('tiny-bench run --benchmark kws01');
      expect(text).toContain(`${energy.documents[0]!.energyUjPerInference!.toFixed(1)} µJ/inference`);
      expect(text).toContain('Energy windows');
      expect(text).toContain('energies come from the virtual bench');
      // Every chart was drawn (ROC, throughput, energy trace): Chart.js attached to every canvas.
      const drawn = await page.evaluate(() =>
        [...document.querySelectorAll('canvas')].map(
          (c) => (globalThis as unknown as { Chart: { getChart(c: HTMLCanvasElement): unknown } }).Chart.getChart(c) !== undefined,
        ),
      );
      expect(drawn).toEqual([true, true, true]);
      // The trace chart carries the two timestamp edges of its window.
      const edges = await page.evaluate(() => {
        const canvas = document.querySelectorAll('canvas')[2] as HTMLCanvasElement;
        const chart = (globalThis as unknown as { Chart: { getChart(c: HTMLCanvasElement): { data: { datasets: Array<{ label: string }> } } } }).Chart.getChart(
          canvas,
        );
        return chart.data.datasets.map((d) => d.label).filter((l) => l.startsWith('timestamp edge'));
      });
      expect(edges).toEqual(['timestamp edge 1', 'timestamp edge 2']);
      expect(errors).toEqual([]);
      mkdirSync(join(repoRoot, 'build'), { recursive: true });
      const shot = join(repoRoot, 'build', 'report-screenshot.png');
      await page.screenshot({ path: shot, fullPage: true });
      process.stdout.write(`report screenshot: ${shot}\n`);
    } finally {
      await browser.close();
    }
  });

  it('renders a DUT named <script>alert(1)</script> as text', async () => {
    const out = mkdtempSync(join(tmpdir(), 'tb-report-xss-'));
    const hostile = '<script>alert(1)</script>';
    const r = await runTestSession({
      dataDir: dataDir(),
      outDir: out,
      command: ['run', hostile],
      progress: silentProgress,
      say: () => {},
      benchmarks: ['kws01'],
      modes: ['accuracy'],
      limit: 2,
      dut: {
        kind: 'link',
        simulated: false,
        open: async () =>
          scriptedDut({
            model: 'kws01',
            results: () => '0.996,0,0,0,0,0,0,0,0,0,0,0',
            rewrite: (c, lines) => (c === 'name' ? [`m-name-dut-[${hostile}]`] : lines),
          }).link,
      },
    });
    expect(r.documents[0]!.dut.name).toBe(hostile);
    const { browser, page, errors, dialogs } = await openReport(writeReport(r.sessionDir));
    try {
      expect(await page.innerText('body')).toContain(hostile);
      expect(dialogs).toEqual([]);
      expect(errors).toEqual([]);
      expect(await page.evaluate(() => document.querySelectorAll('script').length)).toBe(3); // data, Chart.js, chart drawing
    } finally {
      await browser.close();
    }
  });
});
