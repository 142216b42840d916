/**
 * Binary input transfer for tiny-bench firmware (feature `db-bin`): each
 * block is announced by `db bin <offset> <length> <crc32>`, acknowledged
 * with m-bin-ready, then sent as raw bytes — half the bytes of hex — and
 * answered with m-bin-done once all arrived with the announced CRC. A block
 * damaged on the way is resent alone; a block short of bytes (lost on the
 * way) is ended by filler after the reply timeout, so the DUT parses
 * commands again, and resent. Every wait is bounded.
 */
import { crc32 } from 'node:zlib';

import { DutResetError, ProtocolError, TimeoutError } from '../errors.js';
import { dbBinCommand } from '../protocol/overlap.js';
import { isBootLine, parseCrcLine } from '../protocol/replies.js';
import type { Dut } from './dut.js';

/** Largest block: a lost byte costs one block, a block costs two replies. */
export const BINARY_BLOCK_BYTES = 2048;
/** Smallest block the size adapts down to on a damaging link. */
const MIN_BLOCK_BYTES = 64;
const MAX_DAMAGED_BLOCKS = 12;

/** The command carries its own checksum: the DUT refuses a damaged copy rather than wait for the wrong number of bytes. */
export function binaryBlockCommand(offset: number, block: Uint8Array): string {
  return dbBinCommand(offset, block);
}

/**
 * Checks the reply to a block: no boot banner, an intact integrity line whose
 * command field is the CRC of the block as the DUT received it, m-bin-done.
 * Returns the reply without its integrity line.
 */
export function checkBlockReply(raw: readonly string[], block: Uint8Array): string[] {
  if (raw.some(isBootLine)) throw new DutResetError('The DUT restarted while receiving a db bin block', [...raw]);
  const crc = parseCrcLine(raw.at(-1) ?? '');
  if (!crc) throw new ProtocolError('Reply to a db bin block lacks its integrity line: the reply was damaged', [...raw]);
  const body = raw.slice(0, -1);
  if (crc32(body.map((l) => `${l}\r\n`).join('')) !== crc.reply)
    throw new ProtocolError('Reply to a db bin block was damaged on the way (reply CRC mismatch)', [...raw]);
  if (crc.command !== crc32(block)) throw new ProtocolError(`A ${block.length}-byte db bin block arrived damaged (block CRC mismatch)`, [...raw]);
  if (!body.includes('m-bin-done')) throw new ProtocolError('The DUT did not confirm a db bin block with m-bin-done', [...raw]);
  return body;
}

/**
 * Loads `data` after `db load` in binary blocks; returns the last block's
 * reply (m-load-done, m-load-crc). The block size adapts to the link like a
 * congestion window (the Dut's chunkBytes, kept across reconnects): halved
 * after damage, doubled after a run of clean blocks.
 */
export async function loadBinary(dut: Dut, data: Uint8Array, timeoutMs: number, largest = BINARY_BLOCK_BYTES): Promise<string[]> {
  const lines = await sendBinaryBlocks(dut, data, 0, timeoutMs, largest);
  if (!lines.includes('m-load-done')) throw new ProtocolError(`DUT did not report m-load-done after all ${data.length} bytes`, lines);
  return lines;
}

/**
 * Sends `data` as db bin blocks to buffer offset `at` onwards (after a db
 * load, or a db slide: host/devices/file-upload.ts), each resent alone when
 * damaged; returns the last block's reply.
 */
export async function sendBinaryBlocks(dut: Dut, data: Uint8Array, at: number, timeoutMs: number, largest = BINARY_BLOCK_BYTES): Promise<string[]> {
  let offset = 0;
  let damagedInARow = 0;
  let lines: string[] = [];
  while (offset < data.length) {
    const size = Math.min(dut.chunkBytes ?? largest, largest);
    const block = data.subarray(offset, offset + size);
    try {
      // From the command on, the DUT may take the next bytes as this block's: remembered for recovery.
      dut.binaryBytesOwed = block.length;
      const ready = await dut.send(binaryBlockCommand(at + offset, block));
      if (!ready.includes('m-bin-ready')) throw new ProtocolError(`The DUT did not accept the db bin block at ${at + offset}`, ready);
      lines = checkBlockReply(await dut.channel.sendRaw(block, `${block.length} raw bytes at ${at + offset}`, timeoutMs), block);
      dut.binaryBytesOwed = 0;
    } catch (error) {
      if (!(error instanceof ProtocolError || error instanceof TimeoutError) || error instanceof DutResetError || ++damagedInARow > MAX_DAMAGED_BLOCKS)
        throw error;
      await endBinaryBlock(dut, block.length);
      dut.chunkBytes = Math.max(MIN_BLOCK_BYTES, Math.floor(size / 2));
      dut.cleanBlocks = 0;
      continue;
    }
    damagedInARow = 0;
    // Counted across calls: a streamed file sends a block or two at a time and must grow back too.
    if (++dut.cleanBlocks >= 4 && dut.chunkBytes !== undefined) {
      dut.chunkBytes = dut.chunkBytes * 2 >= largest ? undefined : dut.chunkBytes * 2;
      dut.cleanBlocks = 0;
    }
    offset += block.length;
  }
  return lines;
}

/**
 * After a failed block — or a lost link, when the DUT kept running — the DUT
 * may still wait for up to `length` raw bytes: filler ends the block (its CRC
 * fails) and the rest, with '%', is one empty command. The filler starts
 * with an 'x' so that a half-received command before it cannot become a
 * valid one. Both replies pass while the link settles.
 */
export async function endBinaryBlock(dut: Dut, length = dut.binaryBytesOwed): Promise<void> {
  await writeFiller(dut, length);
  dut.binaryBytesOwed = 0;
  await dut.channel.settle(Math.min(dut.settleMs, 20), 1000);
}

/**
 * `owed` raw bytes a DUT may still wait for, then '%': whatever it takes of
 * them ends the block, the rest is one empty command; with nothing owed just
 * the '%', which ends any garbage in its command buffer. Bounded.
 */
export function writeFiller(dut: Dut, owed: number): Promise<void> {
  const text = owed > 0 ? `x${' '.repeat(owed - 1)}%` : '%';
  return dut.channel.writeBounded(Buffer.from(text, 'latin1'), `${owed} bytes of filler`, dut.commandTimeoutMs);
}
