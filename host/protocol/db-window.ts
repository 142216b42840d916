/**
 * tiny-bench firmware's db-window extension (feature `db-window`): the input
 * buffer holds a stretch of a longer input stream — an ad01 file — and each
 * inference takes its window from an offset in it (`infer N W
 * @<first>,<stride>,<count>`, several windows per command). `db slide <from>`
 * moves the stretch along the stream.
 */
import { ConfigError, ProtocolError } from '../errors.js';
import { withTextCrc } from './commands.js';
import { parseResultValues } from './replies.js';

const DB_AT = /^m-db-at-\[(\d+),(\d+)\]$/;

/**
 * `db slide <from> #<crc32>`: the buffer now starts at stream offset `from`.
 * Absolute, so a resend changes nothing; the checksum is required, so the
 * DUT refuses a copy damaged on the way instead of sliding somewhere else.
 */
export function dbSlideCommand(from: number): string {
  return withTextCrc(`db slide ${from}`);
}

/** The DUT's buffered stretch after db slide: its stream offset and how many bytes it holds. */
export function parseDbAt(lines: readonly string[]): { base: number; length: number } {
  const m = lines.map((l) => DB_AT.exec(l)).find((x) => x);
  if (!m) throw new ProtocolError(`No 'm-db-at-[...]' line in the reply to db slide: ${JSON.stringify(lines)}`, lines);
  return { base: Number(m[1]), length: Number(m[2]) };
}

/** Checks the reply to db slide: the DUT's buffer starts at `base` and holds `length` bytes. */
export function checkDbAt(lines: readonly string[], base: number, length: number): void {
  const at = parseDbAt(lines);
  if (at.base !== base || at.length !== length)
    throw new ProtocolError(`After db slide ${base} the DUT holds ${at.length} bytes from ${at.base}, expected ${length} from ${base}`, [...lines]);
}

/**
 * `infer N W @<first>,<stride>,<count>`: `count` windows of the buffer, at
 * `first`, `first + stride`, ...; each gets W warm-ups and N timed inferences.
 */
export function inferWindowsCommand(iterations: number, warmups: number, first: number, stride: number, count: number): string {
  for (const [name, v, min] of [
    ['iterations', iterations, 1],
    ['warmups', warmups, 0],
    ['first', first, 0],
    ['stride', stride, 1],
    ['count', count, 1],
  ] as const) {
    if (!Number.isInteger(v) || v < min) throw new ConfigError(`infer @: ${name} must be an integer >= ${min}, got ${v}`);
  }
  return `infer ${iterations} ${warmups} @${first},${stride},${count}`;
}

export interface WindowReply {
  /** Where in the DUT's buffer the window started. */
  offset: number;
  /** Microseconds of the window's timed inferences only. */
  elapsedUs: number;
  /** CRC-32 of the window's bytes as the DUT ran on them. */
  crc: number;
  /**
   * The result values as printed, parsed by `windowResults` once the CRC
   * shows they came from the right bytes: wrong bytes give any value (inf),
   * which must not count as the DUT's wrong answer.
   */
  resultsText: string;
}

/** The result vector of a window whose CRC was checked. */
export function windowResults(reply: WindowReply): number[] {
  return parseResultValues(`m-results-[${reply.resultsText}]`);
}

const WINDOW = /^m-window-\[(\d+),(\d+),([0-9a-f]{8}),([^\]]*)\]$/;

/**
 * The `m-window-[...]` lines of a reply, checked against what was asked:
 * `count` of them, at `first`, `first + stride`, ... in order.
 */
export function parseWindowReplies(lines: readonly string[], first: number, stride: number, count: number): WindowReply[] {
  const windows: WindowReply[] = [];
  for (const line of lines) {
    const m = WINDOW.exec(line);
    if (!m) continue;
    windows.push({ offset: Number(m[1]), elapsedUs: Number(m[2]), crc: parseInt(m[3]!, 16), resultsText: m[4]! });
  }
  if (windows.length !== count)
    throw new ProtocolError(`Reply to 'infer @${first},${stride},${count}' has ${windows.length} m-window lines, expected ${count}`, lines);
  windows.forEach((w, k) => {
    if (w.offset !== first + k * stride)
      throw new ProtocolError(`Window ${k + 1} of 'infer @${first},${stride},${count}' ran at ${w.offset}, expected ${first + k * stride}`, lines);
  });
  return windows;
}
