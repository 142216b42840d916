import { type WriteStream, appendFileSync, createWriteStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { crc32 } from 'node:zlib';

import { type FileSystemError, explainFsError, makeFolder } from '../core/fs-errors.js';
import { insideDir } from '../core/safe-path.js';
import type { Direction } from '../devices/line-channel.js';
import { parseCrcLine } from '../protocol/replies.js';
import { ResultsDocument } from '../report/results-schema.js';
import { resultsTxt } from '../report/results-txt.js';
import { ruleViolations } from '../core/scoring.js';

export { insideDir };

export function sessionStamp(date: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}_${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
}

/** Creates `<root>/<YYYYMMDD_HHMMSS>[_n]/`, never reusing an existing folder. */
export function createSessionDir(root: string, date = new Date()): string {
  const base = join(resolve(root), sessionStamp(date));
  let dir = base;
  for (let n = 2; existsSync(dir); ++n) dir = `${base}_${n}`;
  makeFolder(dir, 'create the session folder');
  return dir;
}

/** A run of hex digits this long is a payload: the log keeps its start, length and CRC-32, not every digit. */
const PAYLOAD = /[0-9a-fA-F]{64,}/g;

/**
 * Shortens every hex payload in a line (`db <hex>`, `db @<offset> <hex> #<crc>`,
 * a board's `dut db <hex>`), keeping what it means: where it went (the
 * offset and chunk checksum stay as they are), how long it was and which
 * bytes (its CRC-32), so a transcript still shows what was sent.
 */
export function loggable(text: string): string {
  return text.replace(PAYLOAD, (hex) => `${hex.slice(0, 16)}…(${hex.length} hex digits, crc32 ${crc32(hex).toString(16).padStart(8, '0')})`);
}

const SOURCE = /^\[([a-z0-9]+)\] /;
const BIN_COMMAND = /^db bin (\d+) (\d+) ([0-9a-f]{8})(?: #[0-9a-f]{8})?$/;

/** Is `sent` the raw-bytes note (`<N raw bytes at X>`) of the block `previous` announced? */
function isAnnouncedBlock(sent: string, previous: string | undefined): boolean {
  const raw = /^<(\d+) raw bytes at (\d+)>$/.exec(sent);
  const block = previous === undefined ? null : BIN_COMMAND.exec(previous);
  return raw !== null && block !== null && raw[1] === block[2] && raw[2] === block[1];
}
const READY = 'm-ready';

/**
 * log.txt: every line sent and received, with its time since the start of
 * the log and its direction (`>` sent, `<` received, `#` a note). A DUT's
 * reply is written as one line, its lines joined by `|`, without the m-ready
 * that ends every complete reply (one that ended otherwise is marked
 * `|(no m-ready)`); an integrity line the log can check itself (CRC-32 of the
 * command logged before it and of the reply lines) is written `m-crc ok`.
 * One ad01 window then costs about 300 bytes instead of 6 KB.
 */
export class TranscriptLog {
  private readonly stream: WriteStream;
  private readonly t0 = performance.now();
  private readonly lastSent = new Map<string, string>();
  private reply: { source: string; lines: string[]; offset: string } | undefined;
  /** Lines not yet handed to the stream: one write per batch instead of per line (ad01 logs ~200 000 lines). */
  private batch = '';
  private batchTimer: ReturnType<typeof setTimeout> | undefined;

  /** Set when the file could not be written (a full disk): the run stops with it at the next step. */
  failure: FileSystemError | undefined;

  constructor(
    readonly path: string,
    startedAt = new Date(),
  ) {
    this.stream = createWriteStream(path, { flags: 'a' });
    this.stream.on('error', (error) => {
      this.failure ??= explainFsError(error, 'write', path) as FileSystemError;
    });
    this.out(`# log of ${startedAt.toISOString()}: seconds since then, > sent, < received (a reply's lines joined by |, up to its m-ready), # note\n`);
  }

  write(direction: Direction | 'note', text: string): void {
    if (this.failure) return;
    const source = SOURCE.exec(text)?.[0] ?? '';
    // A DUT's replies (direct or relayed by a board) end at m-ready; a monitor's lines are events, each with its own time.
    if (direction === 'rx' && (source === '' || source === '[board] ')) {
      if (this.reply && this.reply.source !== source) this.flush('');
      this.reply ??= { source, lines: [], offset: this.offset() };
      const line = text.slice(source.length);
      if (line.endsWith(READY)) {
        const before = line.slice(0, line.length - READY.length).trimEnd();
        if (before) this.reply.lines.push(before);
        this.flush(READY);
      } else this.reply.lines.push(line);
      return;
    }
    if (this.reply) this.flush('');
    if (direction === 'tx') {
      const sent = text.slice(source.length);
      // The raw bytes of a binary block are the ones `db bin <offset> <length> <crc32>` just announced: that line says it.
      if (isAnnouncedBlock(sent, this.lastSent.get(source))) return;
      this.lastSent.set(source, sent);
    }
    this.out(`${this.offset()} ${direction === 'tx' ? '>' : direction === 'rx' ? '<' : '#'} ${loggable(text)}\n`);
  }

  /**
   * Lines reach the file in batches: at 64 KB, 100 ms after the first line of
   * a batch, and on close — a killed run loses at most that much of its log,
   * never a finished result (those are in checkpoint.jsonl).
   */
  private out(text: string): void {
    this.batch += text;
    if (this.batch.length >= 64 * 1024) this.handOver();
    else this.batchTimer ??= setTimeout(() => this.handOver(), 100);
  }

  private handOver(): void {
    clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    if (this.batch && !this.stream.destroyed) this.stream.write(this.batch);
    this.batch = '';
  }

  /** Flushes and closes; rejects with the write failure, if there was one. */
  close(): Promise<void> {
    if (this.reply && !this.failure) this.flush('');
    this.handOver();
    return new Promise((done, fail) => {
      const finish = (): void => (this.failure ? fail(this.failure) : done());
      if (this.stream.destroyed) return finish();
      this.stream.once('close', finish);
      this.stream.end();
    });
  }

  private offset(): string {
    return ((performance.now() - this.t0) / 1000).toFixed(3);
  }

  /** Writes the reply collected so far; `end` is the m-ready that ended it, or '' when something else did. */
  private flush(end: string): void {
    const { source, lines, offset } = this.reply!;
    this.reply = undefined;
    const intact = this.integrityHolds(source, lines);
    // A checked `m-bin-ready` only says "send the block"; the block's own reply that follows says how it went.
    if (intact && end && lines.length === 2 && lines[0] === 'm-bin-ready') return;
    const shown = lines.map((line, i) => (i === lines.length - 1 && intact ? 'm-crc ok' : line));
    if (!end) shown.push('(no m-ready)');
    this.out(`${offset} < ${source}${loggable(shown.join('|'))}\n`);
  }

  private integrityHolds(source: string, lines: string[]): boolean {
    const crc = parseCrcLine(lines.at(-1)!);
    const sent = this.lastSent.get(source);
    if (!crc || sent === undefined) return false;
    // After a binary block the reply's command CRC is the block's, as its `db bin` line announced it.
    const block = BIN_COMMAND.exec(sent);
    const commandOk = crc32(sent) === crc.command || (block !== null && Number.parseInt(block[3]!, 16) === crc.command && lines[0] !== 'm-bin-ready');
    return (
      commandOk &&
      crc32(
        lines
          .slice(0, -1)
          .map((l) => `${l}\r\n`)
          .join(''),
      ) === crc.reply
    );
  }
}

/** Writes results.json (validated) and results.txt into a mode folder. */
export function writeResults(modeDir: string, doc: ResultsDocument): void {
  // Every result is judged by the rules here, on its way to disk, whichever runner made it.
  const broken = ruleViolations(doc);
  if (broken.length) doc.invalid = broken;
  const valid = ResultsDocument.parse(doc);
  writeFileSync(join(modeDir, 'results.json'), `${JSON.stringify(valid, null, 2)}\n`);
  writeFileSync(join(modeDir, 'results.txt'), resultsTxt(valid, new Date(valid.finishedAt)));
}

/**
 * The fault seed for this run of a session: the plan's own seed the first
 * time, then one derived from it and the run's number for each resume, so a
 * resumed run meets new faults instead of replaying the ones that stopped it.
 * Every seed used is recorded, one line per run, in `fault-seeds.jsonl`.
 */
export function faultSeedForRun(sessionDir: string, planSeed: number): number {
  const path = join(sessionDir, 'fault-seeds.jsonl');
  const earlier = existsSync(path)
    ? readFileSync(path, 'utf8')
        .split('\n')
        .filter((l) => l.trim()).length
    : 0;
  const seed = earlier === 0 ? planSeed : crc32(`${planSeed}:${earlier}`) >>> 0 || 1;
  appendFileSync(path, `${JSON.stringify({ run: earlier + 1, seed, planSeed, startedAt: new Date().toISOString() })}\n`);
  return seed;
}
