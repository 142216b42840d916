/** The sww01 firmware on an emulated Cortex-M4F (QEMU): the same int8 features and activations as the WebAssembly DUT. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { parseWav } from '../../datasets/wav.js';
import { SWW01 } from '../../host/bench/sww01.js';
import { Dut } from '../../host/devices/dut.js';
import { LineChannel } from '../../host/devices/line-channel.js';
import type { Link } from '../../host/link/link.js';
import { startQemuDut } from '../../host/sim/qemu-dut.js';
import { openVirtualDut } from '../../host/sim/wasm-dut.js';
import { dataDir } from '../helpers.js';

async function features(link: Link, settleMs: number, hops: Uint8Array[]): Promise<string[]> {
  const channel = new LineChannel(link);
  await channel.settle(settleMs, 5000);
  const dut = new Dut(channel, { commandTimeoutMs: 20_000 });
  expect((await dut.identify()).model).toBe('sww01');
  const rows: string[] = [];
  for (const hop of hops) {
    await dut.load(hop);
    rows.push((await dut.send('extract_uart_stream', 20_000)).filter((l) => /^m-(features|activations)-/.test(l)).join(' '));
  }
  channel.close();
  return rows;
}

describe('sww01 on QEMU (mps2-an386)', () => {
  it("extract_uart_stream gives the WebAssembly DUT's features and activations over the first wakeword", async () => {
    const wav = parseWav(readFileSync(join(dataDir(), 'datasets', 'sww01', 'short_wav_easy10s.wav')), 'short_wav_easy10s.wav');
    const hops = Array.from(
      { length: 24 },
      (_, h) => new Uint8Array(Int16Array.from({ length: 512 }, (_, i) => wav.samples[2 * (16000 + h * 512 + i)]!).buffer),
    );
    const qemu = await startQemuDut({ benchmark: SWW01, modelPath: join(dataDir(), 'models', SWW01.modelFile) });
    let onQemu: string[];
    try {
      onQemu = await features(qemu.link, 300, hops);
    } finally {
      await qemu.close();
    }
    const wasm = await openVirtualDut({ benchmark: SWW01, dataDir: dataDir() });
    const onWasm = await features(wasm.link, 20, hops);
    await wasm.link.close();
    expect(onQemu).toHaveLength(24);
    expect(onQemu).toEqual(onWasm);
    // Speech is in there: some activation rises well above silence's.
    expect(onQemu.some((r) => /m-activations-\[(-?\d+)/.exec(r) && Number(/m-activations-\[(-?\d+)/.exec(r)![1]) > 0)).toBe(true);
  }, 180_000);
});
