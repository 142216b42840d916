/**
 * tiny-bench firmware's db-window extension (feature `db-window`): the input
 * buffer holds a stretch of a longer input stream — an ad01 file — and each
 * inference takes its window from an offset in it (`infer N W @<offset>`,
 * commands.ts). `db slide <from>` moves the stretch along the stream.
 */
import { crc32 } from 'node:zlib';

import { ProtocolError } from '../errors.js';

const DB_AT = /^m-db-at-\[(\d+),(\d+)\]$/;

/**
 * `db slide <from> #<crc32>`: the buffer now starts at stream offset `from`.
 * Absolute, so a resend changes nothing; the checksum is required, so the
 * DUT refuses a copy damaged on the way instead of sliding somewhere else.
 */
export function dbSlideCommand(from: number): string {
  const text = `db slide ${from}`;
  return `${text} #${crc32(text).toString(16).padStart(8, '0')}`;
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
