/**
 * Whole-file ad01 (issue 14 #4) on the virtual DUT: each file is sent once
 * and its windows run from offsets in the DUT's buffer; every window score
 * equals the per-window path's and TFLite Micro's golden ones, standard
 * firmware keeps per-window loads, and damage, a reset or a lost link in
 * the middle of a file cost a block or a window, not the file.
 */
import { crc32 } from 'node:zlib';

import { describe, expect, it } from 'vitest';

import { openDataset } from '../../datasets/dataset.js';
import { datasetDir } from '../../datasets/data-dir.js';
import { BENCHMARKS } from '../../host/bench/benchmark.js';
import { binaryBlockCommand, sendBinaryBlocks } from '../../host/devices/binary-load.js';
import { DutSession } from '../../host/devices/dut-session.js';
import { dbSlideCommand, inferWindowsCommand, parseWindowReplies, windowResults } from '../../host/protocol/db-window.js';
import type { Link } from '../../host/link/link.js';
import type { AnomalyFileResult } from '../../host/report/results-schema.js';
import { scoreFile } from '../../host/run/accuracy.js';
import { VirtualDutConnection } from '../../host/sim/wasm-dut.js';
import { type GoldenAnomaly, dataDir, golden } from '../helpers.js';

const ad01 = BENCHMARKS.ad01;
const dataset = openDataset(datasetDir(dataDir(), ad01), ad01);
const want = new Map(golden<GoldenAnomaly>('ad01').perFile.map((f) => [f.file, f]));
// Two normal files and an anomalous one.
const samples = [dataset.samples[0]!, dataset.samples[1]!, dataset.samples.find((s) => s.row.label === 1)!];

interface Rig {
  session: DutSession;
  virtual: VirtualDutConnection;
  sent: string[];
  /** Lengths of the raw db bin blocks sent, in order. */
  rawBlocks: number[];
  close(): Promise<void>;
}

/**
 * A session on a fresh virtual DUT; `tamper` may change each host write
 * before the DUT sees it (to damage one block) and is told every command.
 */
async function rig(
  options: {
    standard?: boolean;
    perWindow?: boolean;
    /** Binary loads given up on (as after blocks kept failing): the stretch grows in positioned hex chunks. */
    hexOnly?: boolean;
    onCommand?: (text: string, virtual: VirtualDutConnection) => void;
    /** Changes a raw block before the DUT gets it. */
    tamper?: (block: Uint8Array) => Uint8Array;
  } = {},
): Promise<Rig> {
  const virtual = await VirtualDutConnection.open({ benchmark: ad01, dataDir: dataDir(), ...(options.standard ? { standard: true } : {}) });
  const sent: string[] = [];
  const rawBlocks: number[] = [];
  // The channel notes a raw block in the transcript just before writing it.
  let nextIsRaw = false;
  const wrap = (link: Link): Link => {
    const tamper = options.tamper;
    return new Proxy(link, {
      get(target, key, receiver) {
        if (key === 'write')
          return (data: Uint8Array) => {
            const raw = nextIsRaw;
            nextIsRaw = false;
            if (raw) rawBlocks.push(data.length);
            return target.write(raw && tamper ? tamper(data) : data);
          };
        const value = Reflect.get(target, key, receiver) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  };
  const session = await DutSession.open(
    { link: wrap(virtual.link), bootWaitMs: 100, reopen: async () => wrap(await virtual.reopen()) },
    {
      commandTimeoutMs: 2000,
      settleQuietMs: 5,
      reopenBackoffMs: [5, 20],
      transcript: (direction, text) => {
        if (direction !== 'tx') return;
        if (/^<\d+ raw bytes at \d+>$/.test(text)) nextIsRaw = true;
        sent.push(text);
        options.onCommand?.(text, virtual);
      },
    },
  );
  // The per-window path on the same firmware: as a DUT without the extension would be driven.
  if (options.perWindow) session.identity.features = session.identity.features!.filter((f) => f !== 'db-window');
  if (options.hexOnly) session.dut.binaryFailures = 3;
  return {
    session,
    virtual,
    sent,
    rawBlocks,
    async close() {
      await session.close();
      await virtual.close();
    },
  };
}

async function score(r: Rig, sample: (typeof samples)[number]): Promise<AnomalyFileResult> {
  return (await scoreFile(r.session, ad01, dataset, sample)) as AnomalyFileResult;
}

function expectGolden(result: AnomalyFileResult): void {
  const g = want.get(result.file)!;
  expect(result.windowScores).toHaveLength(g.windows);
  result.windowScores!.forEach((s, w) => expect(Math.abs(s - g.windowScores[w]!) / Math.max(g.windowScores[w]!, 1e-9)).toBeLessThan(1e-4));
}

const count = (sent: string[], re: RegExp) => sent.filter((t) => re.test(t)).length;
/** Windows run by `infer 1 0 @<first>,<stride>,<count>` commands. */
const windowsRun = (sent: string[]) => sent.map((t) => /^infer 1 0 @\d+,512,(\d+)$/.exec(t)).reduce((n, m) => n + (m ? Number(m[1]) : 0), 0);

describe('the db-window commands (firmware/harness/ee_harness.c)', () => {
  const refusal = (r: Rig, command: string) =>
    r.session.dut.send(command).then(
      () => 'accepted',
      (e: Error) => e.message,
    );

  it('db slide needs its checksum and stays inside the buffered stretch; infer @ inside the bytes held', async () => {
    const r = await rig();
    const dut = r.session.dut;
    const file = dataset.read(samples[0]!);
    await dut.send('db load 4096');
    await sendBinaryBlocks(dut, file.subarray(0, 3072), 0, 2000);
    expect(await refusal(r, 'db slide 512')).toMatch(/Expected db slide <from> #<crc32>/);
    // A db bin whose length was damaged on the way is refused, not waited for.
    const block = binaryBlockCommand(3072, file.subarray(3072, 3584));
    expect(await refusal(r, block.replace(' 512 ', ' 912 '))).toMatch(/db bin command checksum mismatch/);
    expect(await refusal(r, block.slice(0, block.indexOf(' #')))).toMatch(/db bin command checksum mismatch/);
    expect(await refusal(r, `${dbSlideCommand(512).slice(0, -1)}0`)).toMatch(/db slide checksum mismatch/);
    expect(await refusal(r, dbSlideCommand(3584))).toMatch(/outside the buffered stretch/);
    expect(await refusal(r, 'infer 1 0 @1024')).toMatch(/Expected infer N W @<first>,<stride>,<count>/);
    expect(await refusal(r, inferWindowsCommand(1, 0, 512, 512, 2))).toMatch(/Windows up to byte 3584, the buffer holds 3072/);
    const scores = want.get(samples[0]!.row.file)!.windowScores;
    const two = parseWindowReplies(await dut.send(inferWindowsCommand(1, 0, 0, 512, 2)), 0, 512, 2);
    expect(two.map((w) => w.crc)).toEqual([crc32(file.subarray(0, 2560)), crc32(file.subarray(512, 3072))]);
    two.forEach((w, k) => expect(windowResults(w)[0]).toBeCloseTo(scores[k]!, 4));
    expect(two.every((w) => w.elapsedUs > 0)).toBe(true);
    // Sent twice (as after a damaged reply): the second changes nothing.
    expect(await dut.send(dbSlideCommand(512))).toContain('m-db-at-[512,2560]');
    expect(await dut.send(dbSlideCommand(512))).toContain('m-db-at-[512,2560]');
    // `results` prints what the last window's inference gave, not a score recomputed on the bytes the slide moved there.
    expect(await dut.send('results')).toContain(`m-results-[${two[1]!.resultsText}]`);
    const [moved] = parseWindowReplies(await dut.send(inferWindowsCommand(1, 0, 0, 512, 1)), 0, 512, 1);
    expect(moved!.crc).toBe(crc32(file.subarray(512, 3072)));
    expect(moved!.resultsText).toBe(two[1]!.resultsText);
    // Each window's time is its inference only: on the cost-model clock, what plain infer measures for the same window.
    await dut.load(file.subarray(512, 3072));
    const plain = await dut.infer(1, 0);
    expect(plain.elapsedUs).toBe(moved!.elapsedUs);
    expect(plain.elapsedUs).toBe(two[1]!.elapsedUs);
    await r.close();
  });

  it('standard firmware knows neither', async () => {
    const r = await rig({ standard: true });
    expect(await refusal(r, dbSlideCommand(0))).not.toBe('accepted');
    expect(r.session.identity.features).toBeUndefined();
    await r.close();
  });
});

describe('whole-file ad01 on the virtual DUT', () => {
  it('tiny-bench firmware advertises db-window and its buffer', async () => {
    const r = await rig();
    expect(r.session.identity.features).toContain('db-window');
    expect(r.session.identity.dbBuffer).toBe(96 * 96 * 3);
    await r.close();
  });

  it('three files: each sent once, every window from an offset, scores identical to the per-window path and to golden', async () => {
    const whole = await rig();
    const perWindow = await rig({ perWindow: true });
    for (const sample of samples) {
      const before = { sent: whole.sent.length, raw: whole.rawBlocks.length };
      const a = await score(whole, sample);
      const sent = whole.sent.slice(before.sent);
      const rawBytes = whole.rawBlocks.slice(before.raw).reduce((n, b) => n + b, 0);
      // 102 400 bytes through a 27 648-byte buffer: one db load, then a slide each time the next window no longer fits.
      expect(count(sent, /^db load /)).toBe(1);
      expect(count(sent, /^db slide /)).toBe(3);
      expect(windowsRun(sent)).toBe(196);
      // Up to eight windows a command.
      expect(count(sent, /^infer /)).toBeLessThanOrEqual(30);
      // Each byte of the file crosses the wire once.
      expect(rawBytes).toBe(102_400);
      const b = await score(perWindow, sample);
      expect(count(perWindow.sent, /^db load 2560$/)).toBeGreaterThanOrEqual(196);
      expect(a.windowScores).toEqual(b.windowScores);
      expect(a.score).toBe(b.score);
      expectGolden(a);
    }
    expect(whole.session.stats).toEqual({ retries: 0, resets: 0, reconnects: 0, resends: 0 });
    await whole.close();
    await perWindow.close();
  }, 300_000);

  it('once binary loads have failed, the stretch grows in positioned hex chunks: each byte once, same scores', async () => {
    const hex = await rig({ hexOnly: true });
    const whole = await rig();
    const a = await score(hex, samples[2]!);
    expect(count(hex.sent, /^db bin /)).toBe(0);
    expect(count(hex.sent, /^db load /)).toBe(1);
    const hexBytes = hex.sent.map((t) => /^db @\d+ ([0-9a-f]+) #[0-9a-f]{8}$/.exec(t)).reduce((n, m) => n + (m ? m[1]!.length / 2 : 0), 0);
    expect(hexBytes).toBe(102_400);
    expect(windowsRun(hex.sent)).toBe(196);
    expect(a.windowScores).toEqual((await score(whole, samples[2]!)).windowScores);
    await hex.close();
    await whole.close();
  }, 300_000);

  it('standard firmware keeps per-window loads, with the same scores', async () => {
    const std = await rig({ standard: true });
    const whole = await rig();
    const a = await score(std, samples[0]!);
    expect(count(std.sent, /^db load 2560$/)).toBe(196);
    expect(count(std.sent, /@/)).toBe(0);
    expect(a.windowScores).toEqual((await score(whole, samples[0]!)).windowScores);
    await std.close();
    await whole.close();
  }, 300_000);

  it('a block damaged on the way is resent alone: no new db load, same scores', async () => {
    let blocks = 0;
    const r = await rig({
      tamper: (data) => {
        // The 7th raw block (well inside the first stretch) gets one bit flipped.
        if (++blocks !== 7) return data;
        const copy = Uint8Array.from(data);
        copy[100] = copy[100]! ^ 0x10;
        return copy;
      },
    });
    const clean = await rig();
    const a = await score(r, samples[0]!);
    expect(count(r.sent, /^db load /)).toBe(1);
    // Block offsets count from the buffer's start: those of the first stretch, before the first slide.
    const firstStretch = r.sent.slice(
      0,
      r.sent.findIndex((t) => t.startsWith('db slide ')),
    );
    const binOffsets = firstStretch.filter((t) => t.startsWith('db bin ')).map((t) => Number(t.split(' ')[2]));
    // One block offset twice (the damaged one, consecutively), every other once.
    expect(binOffsets.length).toBe(new Set(binOffsets).size + 1);
    expect(binOffsets.some((o, i) => i > 0 && o === binOffsets[i - 1])).toBe(true);
    expect(a.windowScores).toEqual((await score(clean, samples[0]!)).windowScores);
    await r.close();
    await clean.close();
  }, 300_000);

  it('a reset mid-file costs the stretch, not the windows scored: it starts again at the window that failed', async () => {
    let infers = 0;
    const r = await rig({
      onCommand: (text, virtual) => {
        if (text.startsWith('infer ') && ++infers === 10) virtual.dut.reboot();
      },
    });
    const a = await score(r, samples[0]!);
    expect(r.session.stats.resets).toBe(1);
    const loads = r.sent.filter((t) => t.startsWith('db load '));
    expect(loads).toHaveLength(2);
    // The second stretch starts at the first window of the 10th infer command, at the start of the buffer.
    const second = r.sent.map((t, i) => (t.startsWith('db load ') ? i : -1)).filter((i) => i >= 0)[1]!;
    const before = r.sent.slice(0, second);
    const after = r.sent.slice(second);
    expect(after.find((t) => t.startsWith('infer '))).toMatch(/^infer 1 0 @0,512,\d+$/);
    const lost = Number(/,(\d+)$/.exec(before.filter((t) => t.startsWith('infer ')).at(-1)!)![1]);
    expect(windowsRun(r.sent)).toBe(196 + lost);
    const clean = await rig();
    expect(a.windowScores).toEqual((await score(clean, samples[0]!)).windowScores);
    await r.close();
    await clean.close();
  }, 300_000);

  it('a link lost mid-file is reopened and the file goes on from the window it cut, with the bytes the DUT kept', async () => {
    let infers = 0;
    const r = await rig({
      onCommand: (text, virtual) => {
        if (text.startsWith('infer ') && ++infers === 8) void virtual.link.close();
      },
    });
    const a = await score(r, samples[1]!);
    expect(r.session.stats.reconnects).toBe(1);
    // A replugged board keeps its buffer: asked what it holds, it goes on without a new db load.
    expect(count(r.sent, /^db load /)).toBe(1);
    expect(r.sent.filter((t) => t.startsWith('<')).reduce((n, t) => n + Number(/^<(\d+)/.exec(t)![1]), 0)).toBe(102_400);
    expectGolden(a);
    await r.close();
  }, 300_000);
});
