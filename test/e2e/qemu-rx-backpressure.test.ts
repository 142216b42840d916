/**
 * The Cortex-M ports' receive path when bytes come faster than the harness
 * takes them: QEMU's UARTs are not paced by baud, so commands sent while an
 * inference runs arrive at once. With the 4 KB ring full the port must stop
 * taking bytes from the UART (QEMU then holds the rest back) rather than
 * drop them: 16 KB of positioned chunks sent behind `infer 20 0` all arrive.
 */
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

import { describe, expect, it } from 'vitest';

import { BENCHMARKS } from '../../host/bench/benchmark.js';
import { Dut } from '../../host/devices/dut.js';
import { LineChannel } from '../../host/devices/line-channel.js';
import { withTextCrc } from '../../host/protocol/commands.js';
import { runningHelpers } from '../../host/sim/child-processes.js';
import { type QemuBoardName, startQemuDut } from '../../host/sim/qemu-dut.js';
import { dataDir } from '../helpers.js';

const kws = BENCHMARKS.kws01;
const CHUNK = 496;
const CHUNKS = 16;

/** Bytes from a generator that is not the code under test. */
function pattern(length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = 12345;
  for (let i = 0; i < length; ++i) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

describe('QEMU DUT receive ring', () => {
  it.each(['mps2-an386', 'stm32f4'] as QemuBoardName[])(
    '%s: 16 KB of commands sent behind a long inference all arrive intact',
    async (board) => {
      const qemu = await startQemuDut({ benchmark: kws, board, modelPath: join(dataDir(), 'models', kws.modelFile) });
      try {
        const channel = new LineChannel(qemu.link);
        await channel.settle(200, 4000);
        const dut = new Dut(channel);
        await dut.identify();
        const data = pattern(CHUNK * CHUNKS);
        await dut.load(new Uint8Array(490));
        const commands = ['infer 20 0', `db load ${data.length}`];
        for (let k = 0; k < CHUNKS; ++k)
          commands.push(withTextCrc(`db @${k * CHUNK} ${Buffer.from(data.subarray(k * CHUNK, (k + 1) * CHUNK)).toString('hex')}`));
        for (const c of commands) expect(c.length).toBeLessThan(dut.commandBuffer);
        const lines: string[] = [];
        const off = channel.onUnsolicited((l) => lines.push(l));
        // All at once: the DUT is still inferring while the chunks come in.
        await channel.link.write(Buffer.from(commands.map((c) => `${c}%`).join('')));
        const deadline = Date.now() + 120_000;
        while (lines.filter((l) => l === 'm-ready').length < commands.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        off();
        expect(lines.filter((l) => l.startsWith('e-['))).toEqual([]);
        expect(lines.filter((l) => l === 'm-ready')).toHaveLength(commands.length);
        expect(lines).toContain('m-load-done');
        expect(lines).toContain(`m-load-crc-[${crc32(data).toString(16).padStart(8, '0')}]`);
      } finally {
        await qemu.close();
      }
      expect(runningHelpers()).toBe(0);
    },
    240_000,
  );
});
