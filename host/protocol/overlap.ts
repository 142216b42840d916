/**
 * The exchanges of one input sent ahead of replies (accuracy runs on
 * tiny-bench firmware that advertises its RX buffer; host/devices/overlapped-infer.ts).
 * Pure: text and bytes only. Each exchange is one reply; a block and its
 * header take at most half the DUT's RX buffer less HEADER_ROOM, so that two
 * fit behind an infer the DUT is still running and the wire never idles for
 * a turnaround.
 */
import { crc32 } from 'node:zlib';

import { dbChunkBytesAt, dbLoadCommand, inferCommand, withTextCrc } from './commands.js';

export type AheadStep =
  /** `db load N`: answered by m-[Expecting N bytes]. */
  | { kind: 'load'; text: string; length: number }
  /** `db put` or `db bin` header: answered by m-bin-ready; the next step is its raw block of blockBytes. */
  | { kind: 'header'; text: string; blockBytes: number }
  /** Raw bytes of the block announced just before: m-bin-done (and, when last, m-load-done and the buffer CRC). */
  | { kind: 'block'; offset: number; bytes: Uint8Array; last: boolean }
  /** A positioned hex chunk `db @<offset> <hex> #<crc32>`. */
  | { kind: 'chunk'; text: string; last: boolean }
  /** `infer 1 0`: the standard reply, results and laps. */
  | { kind: 'infer'; text: string };

export interface AheadLink {
  /** Raw blocks (feature db-bin) rather than hex chunks (db-at). */
  binary: boolean;
  /** `db put` is offered (feature db-put): a small input is one command and its block. */
  put: boolean;
  commandBuffer: number;
  /** What the DUT advertised (m-rx-buffer-[N]). */
  rxBuffer: number;
}

/** Below this an input would go in slivers whose overheads cost more than the overlap saves. */
export const MIN_RX_BUFFER = 256;
/** Room left in each half of the buffer for a block's header (`db bin 27647 2047 <crc> #<crc>%` is 35 bytes). */
const HEADER_ROOM = 64;

/** `db put <length> <crc32> #<crc32 of the text>`: db load and one db bin block of all of `data`. */
export function dbPutCommand(data: Uint8Array): string {
  return withTextCrc(`db put ${data.length} ${hex32(crc32(data))}`);
}

/** `db bin <offset> <length> <crc32> #<crc32 of the text>` (db-bin; host/devices/binary-load.ts). */
export function dbBinCommand(offset: number, block: Uint8Array): string {
  return withTextCrc(`db bin ${offset} ${block.length} ${hex32(crc32(block))}`);
}

/** Bytes a step puts on the wire (a command's '%' included). */
export function stepBytes(step: AheadStep): number {
  return step.kind === 'block' ? step.bytes.length : step.text.length + 1;
}

/** The steps of one input and its `infer 1 0`, each within half the RX buffer; undefined when the buffer is too small. */
export function planAhead(data: Uint8Array, link: AheadLink): AheadStep[] | undefined {
  if (link.rxBuffer < MIN_RX_BUFFER || data.length === 0) return undefined;
  const budget = Math.floor(link.rxBuffer / 2) - HEADER_ROOM;
  const steps: AheadStep[] = [];
  const infer: AheadStep = { kind: 'infer', text: inferCommand(1, 0) };
  if (link.binary) {
    const put = dbPutCommand(data);
    if (link.put && data.length <= budget)
      return [{ kind: 'header', text: put, blockBytes: data.length }, { kind: 'block', offset: 0, bytes: data, last: true }, infer];
    steps.push({ kind: 'load', text: dbLoadCommand(data.length), length: data.length });
    const block = budget;
    for (let offset = 0; offset < data.length; offset += block) {
      const bytes = data.subarray(offset, offset + block);
      steps.push(
        { kind: 'header', text: dbBinCommand(offset, bytes), blockBytes: bytes.length },
        { kind: 'block', offset, bytes, last: offset + block >= data.length },
      );
    }
    return [...steps, infer];
  }
  const overhead = `db @${data.length}  #12345678%`.length;
  const size = Math.min(dbChunkBytesAt(link.commandBuffer, data.length), Math.floor((budget - overhead) / 2));
  steps.push({ kind: 'load', text: dbLoadCommand(data.length), length: data.length });
  for (let offset = 0; offset < data.length; offset += size) {
    const text = `db @${offset} ${Buffer.from(data.subarray(offset, offset + size)).toString('hex')}`;
    steps.push({ kind: 'chunk', text: withTextCrc(text), last: offset + size >= data.length });
  }
  return [...steps, infer];
}

function hex32(v: number): string {
  return v.toString(16).padStart(8, '0');
}
