/**
 * `tiny-bench run --dut qemu --icount-shift 0` reports instructions per
 * inference as its latency in ns (one instruction = 1 ns). Checked against a
 * count that shares none of that path: a QEMU TCG plugin
 * (qemu-insn-count.c) totals the guest instructions of two whole QEMU
 * sessions that differ only in how many inferences they run; the difference
 * per extra inference is what one inference costs.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { type LabelRow, parseLabels } from '../../datasets/labels.js';
import { BENCHMARKS } from '../../host/bench/benchmark.js';
import { Dut } from '../../host/devices/dut.js';
import { LineChannel } from '../../host/devices/line-channel.js';
import { silentProgress } from '../../host/core/progress.js';
import { runningHelpers } from '../../host/sim/child-processes.js';
import { startQemuDut } from '../../host/sim/qemu-dut.js';
import { dataDir, repoRoot, runTestSession } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'tb-qemu-icount-'));
const bench = BENCHMARKS.ad01;
const modelPath = () => join(dataDir(), 'models', bench.modelFile);

/** The first labelled file of the benchmark (the run's first performance window). */
function firstRow(): LabelRow {
  const labels = join(dataDir(), 'datasets', bench.dataset, 'y_labels.csv');
  return parseLabels(readFileSync(labels, 'utf8'), labels)[0]!;
}
const firstFile = () => join(dataDir(), 'datasets', bench.dataset, firstRow().file);

/** Puts a qemu-system-arm first on PATH that loads the counting plugin, writing to `out`. */
function countingQemu(plugin: string, out: string): () => void {
  const real = spawnSync('sh', ['-c', 'command -v qemu-system-arm'], { encoding: 'utf8' }).stdout.trim();
  const bin = mkdtempSync(join(dir, 'bin-'));
  writeFileSync(join(bin, 'qemu-system-arm'), `#!/bin/sh\nexec '${real}' -plugin '${plugin},out=${out}' "$@"\n`);
  chmodSync(join(bin, 'qemu-system-arm'), 0o755);
  const saved = process.env.PATH;
  process.env.PATH = `${bin}${delimiter}${saved ?? ''}`;
  return () => {
    process.env.PATH = saved;
  };
}

/** Guest instructions of a whole QEMU session: boot, identify, load the input, then `infer n 0`. */
async function sessionInstructions(plugin: string, n: number): Promise<number> {
  const out = join(dir, `count-${n}.txt`);
  const restore = countingQemu(plugin, out);
  try {
    const q = await startQemuDut({ benchmark: bench, modelPath: modelPath(), shift: 0 });
    try {
      const channel = new LineChannel(q.link);
      await channel.settle(500, 20_000);
      const dut = new Dut(channel, { probeTimeoutMs: 120_000 });
      await dut.identify();
      await dut.load(bench.performanceInput(new Uint8Array(readFileSync(firstFile())), firstRow()));
      await dut.infer(n, 0);
    } finally {
      await q.close();
    }
  } finally {
    restore();
  }
  return Number(readFileSync(out, 'utf8').trim());
}

describe('QEMU DUT at -icount shift=0', () => {
  it('reports, as ns per inference, the instructions an independent counter sees per inference', async () => {
    const plugin = join(repoRoot, 'build', 'qemu-insn-count.so');
    const cc = spawnSync('gcc', ['-shared', '-fPIC', '-O2', '-o', plugin, join(repoRoot, 'test/e2e/qemu-insn-count.c')], { encoding: 'utf8' });
    expect(cc.status, cc.stderr).toBe(0);
    // Sessions differ by a few thousand instructions of UART handling with host timing, so the
    // difference spans 400 inferences (about 0.15 s of guest time) to keep that below 0.01 %.
    const few = await sessionInstructions(plugin, 10);
    const many = await sessionInstructions(plugin, 410);
    const counted = (many - few) / 400;

    const run = await runTestSession({
      benchmarks: [bench.id],
      modes: ['performance'],
      dut: { kind: 'qemu', shift: 0 },
      windows: 1,
      dataDir: dataDir(),
      outDir: dir,
      command: ['test'],
      progress: silentProgress,
      say: () => {},
    });
    const w = (run.documents[0] as unknown as { windows: Array<{ file: string; inferences: number; elapsedUs: number }> }).windows[0]!;
    const reported = (w.elapsedUs * 1000) / w.inferences;
    process.stdout.write(`${bench.id}: run ${reported.toFixed(0)} ns per inference, plugin ${counted.toFixed(0)} instructions per inference\n`);
    expect(w.file).toBe(firstRow().file);
    expect(Math.abs(reported - counted) / counted).toBeLessThan(0.001);
    expect(runningHelpers()).toBe(0);
  }, 600_000);
});
