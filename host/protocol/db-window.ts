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

/** Checks the reply to db slide: the DUT's buffer starts at `base` and holds `length` bytes. */
export function checkDbAt(lines: readonly string[], base: number, length: number): void {
  const m = lines.map((l) => DB_AT.exec(l)).find((x) => x);
  if (!m) throw new ProtocolError(`No 'm-db-at-[...]' line in the reply to db slide ${base}: ${JSON.stringify(lines)}`, lines);
  if (Number(m[1]) !== base || Number(m[2]) !== length)
    throw new ProtocolError(`After db slide ${base} the DUT holds ${m[2]} bytes from ${m[1]}, expected ${length} from ${base}`, lines);
}
