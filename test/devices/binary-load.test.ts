/**
 * Binary transfer (`db bin`) between the Dut client and the C harness (the
 * WebAssembly build) over a VirtualLink: what arrives is checked with
 * `db print`; a block that loses a byte or has one changed on the way is
 * resent alone.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

import { describe, expect, it } from 'vitest';

import { BENCHMARKS } from '../../host/bench/benchmark.js';
import { binaryBlockCommand, checkBlockReply } from '../../host/devices/binary-load.js';
import { Dut } from '../../host/devices/dut.js';
import { LineChannel } from '../../host/devices/line-channel.js';
import { ProtocolError } from '../../host/errors.js';
import type { Link } from '../../host/link/link.js';
import { openVirtualDut } from '../../host/sim/wasm-dut.js';
import { dataDir } from '../helpers.js';

const hex = (n: number): string => n.toString(16).padStart(8, '0');

/** A link that lets `damage` change the n-th raw write (a write without '%' at its end: a db bin block). */
function damaging(
  link: Link,
  damage: (bytes: Uint8Array, n: number) => Uint8Array,
  damageCommand: (text: string) => string = (t) => t,
): { link: Link; sent: string[] } {
  let raw = 0;
  const sent: string[] = [];
  return {
    sent,
    link: {
      get description() {
        return link.description;
      },
      get isOpen() {
        return link.isOpen;
      },
      write(data) {
        const text = Buffer.from(data).toString('latin1');
        if (text.endsWith('%')) {
          sent.push(text.slice(0, 40));
          const changed = damageCommand(text);
          return link.write(changed === text ? data : Buffer.from(changed, 'latin1'));
        }
        sent.push(`<${data.length} raw>`);
        return link.write(damage(data, raw++));
      },
      onData: (l) => link.onData(l),
      onClose: (l) => link.onClose(l),
      close: () => link.close(),
    },
  };
}

async function connect(damage: (bytes: Uint8Array, n: number) => Uint8Array = (b) => b, damageCommand?: (text: string) => string) {
  const { link } = await openVirtualDut({ benchmark: BENCHMARKS.vww01, dataDir: dataDir() });
  const wrapped = damaging(link, damage, damageCommand);
  const channel = new LineChannel(wrapped.link, { integrityGraceMs: 50 });
  await channel.settle(20, 1000);
  const dut = new Dut(channel, { commandTimeoutMs: 300, settleQuietMs: 10 });
  await dut.identify();
  const file = readFileSync(
    join(
      dataDir(),
      'datasets',
      'vww01',
      readFileSync(join(dataDir(), 'datasets', 'vww01', 'y_labels.csv'), 'utf8')
        .split(/\r?\n/)[0]!
        .split(',')[0]!,
    ),
  );
  return { dut, sent: wrapped.sent, file };
}

async function printed(dut: Dut): Promise<Uint8Array> {
  const lines = await dut.send('db print', 5000);
  return Uint8Array.from(
    lines.flatMap((l) =>
      l
        .replace(/^m-buffer-/, '')
        .split('-')
        .map((h) => parseInt(h, 16)),
    ),
  );
}

describe('binary transfer (db bin)', () => {
  it('announces each block with its offset, length and CRC-32', () => {
    const text = `db bin 2048 3 ${hex(crc32(Uint8Array.of(1, 2, 3)))}`;
    expect(binaryBlockCommand(2048, Uint8Array.of(1, 2, 3))).toBe(`${text} #${hex(crc32(text))}`);
  });

  it('accepts a block reply only with an intact integrity line naming the block as sent', () => {
    const block = Uint8Array.of(9, 8, 7);
    const body = ['m-bin-done'];
    const good = [...body, `m-crc-[${hex(crc32(block))},${hex(crc32('m-bin-done\r\n'))}]`];
    expect(checkBlockReply(good, block)).toEqual(body);
    expect(() => checkBlockReply([...body, `m-crc-[${hex(crc32(Uint8Array.of(9, 8, 6)))},${hex(crc32('m-bin-done\r\n'))}]`], block)).toThrow(
      /block CRC mismatch/,
    );
    expect(() => checkBlockReply([...body, `m-crc-[${hex(crc32(block))},00000000]`], block)).toThrow(/reply CRC mismatch/);
    expect(() => checkBlockReply(body, block)).toThrow(ProtocolError);
  });

  it('tiny-bench firmware advertises db-bin and a 27 648-byte vww01 input arrives intact in 14 raw blocks', async () => {
    const { dut, sent, file } = await connect();
    expect(dut.identity?.features).toContain('db-bin');
    await dut.load(file);
    expect(sent.filter((s) => s.startsWith('<'))).toHaveLength(Math.ceil(file.length / 2048));
    expect(sent.some((s) => s.startsWith('db bin 0 2048 '))).toBe(true);
    expect(await printed(dut)).toEqual(new Uint8Array(file));
  });

  it('a block that loses a byte on the way is ended by filler and resent alone', async () => {
    const { dut, sent, file } = await connect((b, n) => (n === 3 ? Uint8Array.from([...b.subarray(0, 100), ...b.subarray(101)]) : b));
    await dut.load(file);
    // Blocks before the damaged one go once; it is resent at half the size (the link looks lossy).
    for (const offset of [0, 2048, 4096]) expect(sent.filter((s) => s.startsWith(`db bin ${offset} 2048 `))).toHaveLength(1);
    expect(sent.filter((s) => s.startsWith('db bin 6144 2048 '))).toHaveLength(1);
    expect(sent.filter((s) => s.startsWith('db bin 6144 1024 '))).toHaveLength(1);
    expect(await printed(dut)).toEqual(new Uint8Array(file));
  });

  it('a block header the DUT refuses as damaged (e-[usage: ...]) is sent again alone, without a new db load', async () => {
    let spoiled = false;
    const { dut, sent, file } = await connect(
      (b) => b,
      (text) => {
        // The first announcement of the block at 8192 arrives with a stray token, as a damaged space would make it.
        if (spoiled || !text.startsWith('db bin 8192 ')) return text;
        spoiled = true;
        return text.replace('db bin 8192 ', 'db bin 8192 1 ');
      },
    );
    await dut.load(file);
    expect(spoiled).toBe(true);
    expect(sent.filter((s) => s.startsWith('db load'))).toHaveLength(1);
    expect(sent.filter((s) => s.startsWith('db bin 8192 ')).length).toBeGreaterThanOrEqual(2);
    for (const offset of [0, 2048, 4096, 6144]) expect(sent.filter((s) => s.startsWith(`db bin ${offset} `))).toHaveLength(1);
    expect(await printed(dut)).toEqual(new Uint8Array(file));
  });

  it('a block with a changed byte is refused by its CRC and resent alone', async () => {
    const { dut, sent, file } = await connect((b, n) => {
      if (n !== 5) return b;
      const c = new Uint8Array(b);
      c[7]! ^= 0x10;
      return c;
    });
    await dut.load(file);
    expect(sent.filter((s) => s.startsWith('db bin 10240 '))).toHaveLength(2);
    for (const offset of [0, 2048, 4096, 6144, 8192]) expect(sent.filter((s) => s.startsWith(`db bin ${offset} `))).toHaveLength(1);
    expect(await printed(dut)).toEqual(new Uint8Array(file));
  });
});
