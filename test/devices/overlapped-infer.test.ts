/**
 * Inputs sent ahead of replies (overlapped-infer.ts) against the C harness
 * (the WebAssembly build) over a VirtualLink: per-file results equal to one
 * command at a time, the sequential path taking over for a file whose
 * exchange is damaged, and no overlap where the DUT does not advertise a
 * buffer or the link is an interface board's.
 */
import { crc32 } from 'node:zlib';

import { describe, expect, it } from 'vitest';

import { openDataset } from '../../datasets/dataset.js';
import { datasetDir } from '../../datasets/data-dir.js';
import { BENCHMARKS } from '../../host/bench/benchmark.js';
import { silentProgress } from '../../host/core/progress.js';
import { Dut, type DutOptions } from '../../host/devices/dut.js';
import { directRunner } from '../../host/devices/dut-session.js';
import { LineChannel } from '../../host/devices/line-channel.js';
import { checkBlockReply } from '../../host/devices/binary-load.js';
import { DutReportedError } from '../../host/errors.js';
import type { Link } from '../../host/link/link.js';
import { dbPutCommand } from '../../host/protocol/overlap.js';
import { parseLoadCrc } from '../../host/protocol/replies.js';
import { runAccuracy } from '../../host/run/accuracy.js';
import { VirtualDutConnection } from '../../host/sim/wasm-dut.js';
import { dataDir } from '../helpers.js';

type Bench = typeof BENCHMARKS.kws01;

interface Watch {
  /** Most exchanges whose reply was still due at once: 1 is one command at a time. */
  maxDue: number;
  writes: number;
}

/** Counts replies due (writes minus completed replies) and lets `damage` change the n-th write. */
function watched(link: Link, watch: Watch, damage: (bytes: Uint8Array, n: number) => Uint8Array, maxCommandLength?: number): Link {
  let due = 0;
  let partial = '';
  return {
    get description() {
      return link.description;
    },
    get isOpen() {
      return link.isOpen;
    },
    ...(maxCommandLength !== undefined ? { maxCommandLength } : {}),
    write(data) {
      watch.maxDue = Math.max(watch.maxDue, ++due);
      return link.write(damage(data, watch.writes++));
    },
    onData: (listener) =>
      link.onData((chunk) => {
        partial += Buffer.from(chunk).toString('latin1');
        const lines = partial.split('\n');
        partial = lines.pop()!;
        for (const line of lines) if (line.trim() === 'm-ready') due = Math.max(0, due - 1);
        listener(chunk);
      }),
    onClose: (l) => link.onClose(l),
    close: () => link.close(),
  } as Link;
}

async function accuracy(
  bench: Bench,
  files: number,
  options: { dut?: DutOptions; standard?: boolean; damage?: (bytes: Uint8Array, n: number) => Uint8Array; maxCommandLength?: number } = {},
) {
  const virtual = await VirtualDutConnection.open({ benchmark: bench, dataDir: dataDir(), standard: options.standard ?? false });
  const watch: Watch = { maxDue: 0, writes: 0 };
  const channel = new LineChannel(watched(virtual.link, watch, options.damage ?? ((b) => b), options.maxCommandLength), { integrityGraceMs: 50 });
  await channel.settle(20, 1000);
  const dut = new Dut(channel, { commandTimeoutMs: 1000, settleQuietMs: 10, ...options.dut });
  await dut.identify();
  // Identification is one command at a time: count from here.
  watch.maxDue = 0;
  const dataset = openDataset(datasetDir(dataDir(), bench), bench);
  const result = await runAccuracy(directRunner(dut), bench, dataset, silentProgress, { limit: files });
  channel.close();
  await virtual.link.close();
  return { perFile: result.perFile, watch, dut };
}

describe('db put (the C harness)', () => {
  it('loads a whole input in one command and its block; refuses a damaged command or an oversize one', async () => {
    const virtual = await VirtualDutConnection.open({ benchmark: BENCHMARKS.kws01, dataDir: dataDir() });
    const channel = new LineChannel(virtual.link, { integrityGraceMs: 50 });
    await channel.settle(20, 1000);
    const dut = new Dut(channel, { commandTimeoutMs: 1000, settleQuietMs: 10 });
    await dut.identify();
    expect(dut.identity?.features).toContain('db-put');
    const data = Uint8Array.from({ length: 490 }, (_, i) => (i * 7) & 255);
    expect(await dut.send(dbPutCommand(data))).toContain('m-bin-ready');
    const done = checkBlockReply(await channel.sendRaw(data, '490 raw bytes', 1000), data);
    expect(done).toEqual(expect.arrayContaining(['m-bin-done', 'm-load-done']));
    expect(parseLoadCrc(done)).toBe(crc32(data));
    // The input is loaded as by db load + db bin: infer runs on it.
    expect((await dut.infer(1, 0)).results).toHaveLength(12);
    // One digit of the length changed on the way: the command's own checksum refuses it (no bytes swallowed).
    const damaged = dbPutCommand(data).replace('db put 490', 'db put 491');
    const refused = await dut.send(damaged).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DutReportedError);
    expect((refused as DutReportedError).kind).toBe('damaged');
    const big = await dut.send(dbPutCommand(new Uint8Array(27649))).catch((e: unknown) => e);
    expect((big as DutReportedError).kind).toBe('refused');
    // Still answering commands, not waiting for raw bytes.
    expect(await dut.send('name')).toEqual([expect.stringMatching(/^m-name-dut-/)]);
    channel.close();
    await virtual.link.close();
  });
});

describe('inputs sent ahead of replies', () => {
  it('kws01, binary (db put): the same per-file results as one command at a time, several exchanges in flight', async () => {
    const sequential = await accuracy(BENCHMARKS.kws01, 12, { dut: { overlapLoads: false } });
    const ahead = await accuracy(BENCHMARKS.kws01, 12);
    expect(sequential.watch.maxDue).toBe(1);
    expect(ahead.dut.identity?.rxBuffer).toBe(4095);
    expect(ahead.watch.maxDue).toBeGreaterThan(3);
    expect(ahead.perFile).toEqual(sequential.perFile);
    expect(ahead.perFile).toHaveLength(12);
    expect(ahead.dut.overlapFallbacks).toBe(0);
  }, 60_000);

  it('kws01, hex (positioned chunks): the same results, overlapped', async () => {
    const sequential = await accuracy(BENCHMARKS.kws01, 6, { dut: { overlapLoads: false, binaryLoads: false } });
    const ahead = await accuracy(BENCHMARKS.kws01, 6, { dut: { binaryLoads: false } });
    expect(ahead.watch.maxDue).toBeGreaterThan(2);
    expect(ahead.perFile).toEqual(sequential.perFile);
  }, 60_000);

  it('vww01: 27 648-byte inputs in blocks within the RX buffer give the same results', async () => {
    const sequential = await accuracy(BENCHMARKS.vww01, 3, { dut: { overlapLoads: false } });
    const ahead = await accuracy(BENCHMARKS.vww01, 3);
    expect(ahead.watch.maxDue).toBeGreaterThan(2);
    expect(ahead.perFile).toEqual(sequential.perFile);
  }, 60_000);

  it('a damaged block while others are in flight: that file goes sequentially, every result as on a clean link', async () => {
    const clean = await accuracy(BENCHMARKS.kws01, 8, { dut: { overlapLoads: false } });
    // The 8th write after identification is a raw block of the third file or so: one byte changed.
    let hit = 0;
    const damaged = await accuracy(BENCHMARKS.kws01, 8, {
      damage: (bytes, n) => {
        if (n < 10 || hit || bytes.length < 400 || Buffer.from(bytes).toString('latin1').endsWith('%')) return bytes;
        hit++;
        const copy = Uint8Array.from(bytes);
        copy[100] = copy[100]! ^ 0x40;
        return copy;
      },
    });
    expect(hit).toBe(1);
    expect(damaged.perFile).toEqual(clean.perFile);
    // It fell back once and went ahead again afterwards (a success resets the count).
    expect(damaged.dut.overlapFallbacks).toBe(1);
    expect(damaged.dut.overlapFailures).toBe(0);
    expect(damaged.watch.maxDue).toBeGreaterThan(3);
  }, 60_000);

  it('standard firmware advertises no RX buffer: one command at a time', async () => {
    const run = await accuracy(BENCHMARKS.kws01, 3, { standard: true });
    expect(run.dut.identity?.rxBuffer).toBeUndefined();
    expect(run.watch.maxDue).toBe(1);
  }, 60_000);

  it('through an interface board (a link with a command limit): one command at a time', async () => {
    const run = await accuracy(BENCHMARKS.kws01, 2, { maxCommandLength: 512 });
    expect(run.dut.identity?.rxBuffer).toBe(4095);
    expect(run.watch.maxDue).toBe(1);
  }, 60_000);
});
