/**
 * issue 14 on QEMU: the firmware on an emulated Cortex-M4F takes a baud
 * switch — its UART divisor register is set, read back through the QEMU
 * monitor — and over the switched link binary loads give, file by file, the
 * results hex loads gave at 115200. QEMU's UART models do not pace by baud,
 * so the speed is not measured here; the handshake and the registers are.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { openDataset } from '../../datasets/dataset.js';
import { datasetDir } from '../../datasets/data-dir.js';
import { BENCHMARKS } from '../../host/bench/benchmark.js';
import { binaryBlockFor, switchBaud } from '../../host/devices/baud-switch.js';
import { Dut } from '../../host/devices/dut.js';
import { baudCommand } from '../../host/protocol/baud.js';
import { LineChannel } from '../../host/devices/line-channel.js';
import { silentProgress } from '../../host/core/progress.js';
import { runningHelpers } from '../../host/sim/child-processes.js';
import { type QemuBoardName, startQemuDut } from '../../host/sim/qemu-dut.js';
import { dataDir, runTestSession } from '../helpers.js';

const kws = BENCHMARKS.kws01;
type Bench = (typeof BENCHMARKS)[keyof typeof BENCHMARKS];

/** The first `files` inputs of a benchmark. */
function inputs(bench: Bench, files: number): Uint8Array[] {
  const dataset = openDataset(datasetDir(dataDir(), bench), bench);
  return dataset.samples.slice(0, files).flatMap((s) => bench.inputs(dataset.read(s), s.row));
}

async function register(monitor: (c: string) => Promise<string>, address: number): Promise<number> {
  const text = await monitor(`xp /1wx 0x${address.toString(16)}`);
  const m = /:\s*0x([0-9a-f]+)/.exec(text);
  if (!m) throw new Error(`no register value in ${JSON.stringify(text)}`);
  return parseInt(m[1]!, 16);
}

async function check(
  board: QemuBoardName,
  divisorAt: number,
  divisor115200: number,
  divisor921600: number,
  divisor460800: number,
  bench: Bench = kws,
  files = 8,
) {
  const qemu = await startQemuDut({ benchmark: bench, board, modelPath: join(dataDir(), 'models', bench.modelFile) });
  try {
    const channel = new LineChannel(qemu.link);
    await channel.waitForLine((l) => l === 'm-init-done', 5000, 'boot banner').catch(() => {});
    await channel.settle(200, 2000);
    const hexDut = new Dut(channel, { binaryLoads: false });
    await hexDut.identify();
    expect(hexDut.identity?.features).toEqual(expect.arrayContaining(['db-bin', 'baud']));
    expect(await register(qemu.monitor, divisorAt)).toBe(divisor115200);
    const hex: number[][] = [];
    for (const input of inputs(bench, files)) {
      await hexDut.load(input);
      hex.push((await hexDut.infer(1, 0)).results);
    }

    const dut = new Dut(channel);
    await dut.identify();
    const outcome = await switchBaud(dut, 921600, 115200);
    expect(outcome).toMatchObject({ switched: true, rate: 921600 });
    expect(await register(qemu.monitor, divisorAt)).toBe(divisor921600);
    expect(outcome.note).toMatch(/switched from 115200 to 921600/);
    // Past the DUT's window the committed rate stays.
    await new Promise((r) => setTimeout(r, 1800));
    expect(await register(qemu.monitor, divisorAt)).toBe(divisor921600);
    const binary: number[][] = [];
    // At 921600 the blocks are 16 KB (binaryBlockFor), as a session uses them: before the poller fix (host/link/polled-binding.ts) such a block stalled.
    dut.binaryBlockBytes = binaryBlockFor(921600);
    for (const input of inputs(bench, files)) {
      await dut.load(input);
      binary.push((await dut.infer(1, 0)).results);
    }
    expect(binary).toEqual(hex);
    expect(hex).toHaveLength(files);

    // An uncommitted switch (no probe, no commit): the firmware goes back to 115200 by itself.
    const lines = await dut.send(baudCommand(460800));
    expect(lines.some((l) => l.startsWith('m-baud-['))).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(await register(qemu.monitor, divisorAt)).toBe(divisor460800);
    // The window runs on the emulated clock (-icount), which a busy host slows: poll, bounded.
    const deadline = Date.now() + 20_000;
    while ((await register(qemu.monitor, divisorAt)) !== divisor921600 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(await register(qemu.monitor, divisorAt)).toBe(divisor921600);
    await dut.resynchronise();
    channel.close();
  } finally {
    await qemu.close();
  }
}

describe('QEMU DUT baud switch', () => {
  it('a kws01 accuracy session with --fast-baud on QEMU switches and scores every file as the virtual DUT', async () => {
    const out = mkdtempSync(join(tmpdir(), 'tb-qemu-baud-'));
    const common = {
      benchmarks: ['kws01' as const],
      modes: ['accuracy' as const],
      dataDir: dataDir(),
      outDir: out,
      command: ['test'],
      progress: silentProgress,
      say: () => {},
      limit: 10,
    };
    const qemu = (await runTestSession({ ...common, dut: { kind: 'qemu' }, fastBaud: 921600 })).documents[0]!;
    const sim = (await runTestSession({ ...common, dut: { kind: 'sim' } })).documents[0]!;
    expect(qemu.dut.baud).toMatchObject({ rate: 921600, switched: true });
    expect(qemu.perFile).toEqual(sim.perFile);
    expect(runningHelpers()).toBe(0);
  }, 180_000);

  it('mps2-an386: BAUDDIV 217 -> 27 (925 925 baud); binary loads at the switched rate give the hex results', async () => {
    await check('mps2-an386', 0x40004010, 217, 27, 54);
    expect(runningHelpers()).toBe(0);
  }, 180_000);

  it('mps2-an386 vww01: 27 648-byte inputs in 16 KB blocks at 921600 give the hex results', async () => {
    await check('mps2-an386', 0x40004010, 217, 27, 54, BENCHMARKS.vww01, 3);
    expect(runningHelpers()).toBe(0);
  }, 240_000);

  // QEMU's netduinoplus2 locks no PLL: the port runs on the 16 MHz HSI, USART2's BRR = 16 MHz / rate.
  it('stm32f4 port on netduinoplus2: USART2 BRR 139 -> 17; binary loads at the switched rate give the hex results', async () => {
    await check('stm32f4', 0x40004408, 139, 17, 35);
    expect(runningHelpers()).toBe(0);
  }, 180_000);
});
