/**
 * The firmware on an emulated Cortex-M4F (qemu-system-arm mps2-an386), reached
 * through socat's pty with the same SerialLink a USB board uses.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { BENCHMARKS } from '../../host/bench/benchmark.js';
import { Dut } from '../../host/devices/dut.js';
import { LineChannel } from '../../host/devices/line-channel.js';
import { silentProgress } from '../../host/core/progress.js';
import { runningHelpers } from '../../host/sim/child-processes.js';
import { startQemuDut } from '../../host/sim/qemu-dut.js';
import { dataDir, repoRoot, runTestSession } from '../helpers.js';

const out = mkdtempSync(join(tmpdir(), 'tb-qemu-'));
const kws = BENCHMARKS.kws01;
const modelPath = () => join(dataDir(), 'models', kws.modelFile);

/** Running, i.e. neither gone nor a zombie waiting to be reaped (the container's init may not reap). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** PIDs of this test process's running children named qemu-system-arm or socat. */
function ourHelpers(): number[] {
  const result = spawnSync('pgrep', ['-P', String(process.pid)], { encoding: 'utf8' });
  return result.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map(Number)
    .filter((pid) => {
      const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      return (comm.startsWith('qemu-system-arm') || comm === 'socat') && alive(pid);
    });
}

describe('QEMU DUT', () => {
  it('kws01 accuracy over 100 files gives the same per-file results as the virtual DUT, and a five-window performance run', async () => {
    const common = { benchmarks: ['kws01' as const], dataDir: dataDir(), outDir: out, command: ['test'], progress: silentProgress, say: () => {} };
    const qemu = await runTestSession({ ...common, modes: ['accuracy', 'performance'], dut: { kind: 'qemu' }, limit: 100 });
    const sim = await runTestSession({ ...common, modes: ['accuracy'], dut: { kind: 'sim' }, limit: 100 });
    const [qAcc, qPerf] = qemu.documents;
    expect(qAcc!.files).toBe(100);
    expect(qAcc!.dut.link).toMatch(/QEMU mps2-an386/);
    expect(qAcc!.simulated).toBe(true);
    expect(qAcc!.perFile).toEqual(sim.documents[0]!.perFile);
    expect(qPerf!.windows).toHaveLength(5);
    for (const w of qPerf!.windows!) expect(w.elapsedUs).toBeGreaterThanOrEqual(10_000_000);
    expect(runningHelpers()).toBe(0);
    process.stdout.write(
      `qemu kws01: top-1 ${qAcc!.top1} % on 100 files (${qAcc!.wallSeconds} s), ${qPerf!.medianThroughput!.toFixed(3)} inf/s (${qPerf!.wallSeconds} s wall)\n`,
    );
  });

  it('stm32f4 port on netduinoplus2: kws01 results equal the virtual DUT; vww01 is refused for lack of RAM', async () => {
    const common = {
      benchmarks: ['kws01' as const],
      modes: ['accuracy' as const],
      dataDir: dataDir(),
      outDir: out,
      command: ['test'],
      progress: silentProgress,
      say: () => {},
      limit: 20,
    };
    const stm = await runTestSession({ ...common, dut: { kind: 'qemu', board: 'stm32f4' } });
    const sim = await runTestSession({ ...common, dut: { kind: 'sim' } });
    expect(stm.documents[0]!.dut.link).toMatch(/netduinoplus2 STM32F405/);
    expect(stm.documents[0]!.perFile).toEqual(sim.documents[0]!.perFile);
    await expect(runTestSession({ ...common, benchmarks: ['vww01'], dut: { kind: 'qemu', board: 'stm32f4' } })).rejects.toThrow(
      /vww01 needs \d+ bytes more RAM than the stm32f4 port has/,
    );
    expect(runningHelpers()).toBe(0);
  });

  it('stm32f4 port on netduinoplus2, whose RCC locks no PLL: the bounded wait gives up, the core stays on HSI and profile says so', async () => {
    const q = await startQemuDut({ benchmark: kws, board: 'stm32f4', modelPath: modelPath() });
    try {
      const channel = new LineChannel(q.link);
      await channel.settle(200, 3000);
      const dut = new Dut(channel);
      const identity = await dut.identify();
      expect(identity.model).toBe('kws01');
      expect(identity.clock).toBe('core 16000000 Hz, HSI fallback: PLL did not lock');
      // Still serving after the fallback: an inference answers (its results are checked against the virtual DUT above).
      await dut.load(readFileSync(join(dataDir(), 'datasets', 'kws01', 'tst_000001_Left_2.bin')));
      expect((await dut.infer(1, 0)).results).toHaveLength(12);
    } finally {
      await q.close();
    }
    expect(runningHelpers()).toBe(0);
  });

  it('two runs give the same lap deltas to the timestamp resolution (deterministic instruction counts)', async () => {
    const input = readFileSync(join(dataDir(), 'datasets', 'kws01', 'tst_000001_Left_2.bin'));
    const deltas: number[] = [];
    for (let run = 0; run < 2; ++run) {
      const q = await startQemuDut({ benchmark: kws, modelPath: modelPath() });
      try {
        const channel = new LineChannel(q.link);
        await channel.settle(200, 3000);
        const dut = new Dut(channel);
        await dut.identify();
        await dut.load(input);
        // Idle a different time before each run: the delta must not depend on it.
        await new Promise((r) => setTimeout(r, 150 * run + 20));
        deltas.push((await dut.infer(3, 1)).elapsedUs!);
        deltas.push((await dut.infer(3, 0)).elapsedUs!);
      } finally {
        await q.close();
      }
    }
    // Each lap timestamp is the virtual clock truncated to a whole µs, and the idle time before a
    // run moves the clock's phase, so the difference of two can be one µs apart for the same
    // instruction count; more than one µs (125 instructions at shift 3) would be a different count.
    expect(Math.max(...deltas) - Math.min(...deltas)).toBeLessThanOrEqual(1);
    process.stdout.write(`qemu kws01: 3 inferences = ${deltas.join(' / ')} us in the four measurements\n`);
  });

  it('stops QEMU and socat when the run fails after they started', async () => {
    const failing = runTestSession({
      benchmarks: ['kws01'],
      modes: ['accuracy'],
      dut: { kind: 'qemu' },
      dataDir: dataDir(),
      outDir: out,
      command: ['test'],
      say: () => {},
      labels: 'no_such_labels.csv',
      progress: silentProgress,
    });
    // Wait until the helpers exist, so the failure really happens with them running.
    const deadline = Date.now() + 30_000;
    while (ourHelpers().length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(ourHelpers().length).toBe(2);
    await expect(failing).rejects.toThrow(/Labels file .*no_such_labels.csv does not exist/);
    expect(runningHelpers()).toBe(0);
    expect(ourHelpers()).toEqual([]);
  });

  it('stops QEMU and socat when the CLI is interrupted with Ctrl-C', async () => {
    const cli = spawn(process.execPath, [join(repoRoot, 'dist/host/cli.js'), 'run', '--dut', 'qemu', '-b', 'kws01', '--mode', 'accuracy', '--out', out], {
      env: { ...process.env, TINY_BENCH_DATA: dataDir() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    cli.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    // Wait until accuracy is under way, i.e. QEMU and socat are running.
    const deadline = Date.now() + 60_000;
    while (!/accuracy: started/.test(stdout) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const children = execFileSync('pgrep', ['-P', String(cli.pid)], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map(Number);
    expect(children.length).toBe(2); // qemu-system-arm and socat
    cli.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => cli.on('exit', resolve));
    expect(code).toBe(130);
    await new Promise((r) => setTimeout(r, 200));
    for (const pid of children) expect(alive(pid), `helper ${pid} still running`).toBe(false);
  });
});
