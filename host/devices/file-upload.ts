/**
 * Whole-file ad01 for tiny-bench firmware (feature `db-window`): each file
 * is sent once, and every window runs from its offset in the DUT's buffer
 * (`infer 1 0 @<first>,<stride>,<count>`), instead of 196 uploads of 2 560 bytes that
 * overlap by 80 %.
 *
 * Why a sliding stretch and not the whole file in one buffer: a file is
 * 102 400 bytes, more than the RAM of the smaller ports (the stm32f4 parts
 * have 96-128 KB for everything; the input buffer is EE_DB_MAX = 27 648
 * bytes). The DUT advertises its buffer (`m-db-buffer-[N]`); the host fills
 * it with the file from the first window not yet run, and when the next
 * window no longer fits, `db slide <offset>` keeps its last bytes (the
 * overlap) and the rest follows. Each byte crosses the wire once either way,
 * and a port with room for the whole file gets it in one stretch. Windows go
 * several to a command (`infer 1 0 @<first>,<stride>,<count>`), each reported
 * on one short line with its own inference time.
 *
 * The file goes up in db bin blocks a little ahead of the windows that need
 * them, so a reset (which empties the buffer) costs the windows not yet run,
 * never the ones already scored. Each command stays a unit of recovery:
 * after a restart the retry starts a new stretch at its first window; after other
 * failures (a lost link, a timeout) it first asks the DUT what it still
 * holds (a `db slide` to where the stretch already starts changes nothing
 * and reports it) and goes on from there. Every infer reply names the CRC of
 * the bytes it ran on, so a result can only come from the right window.
 */
import { crc32 } from 'node:zlib';

import { DutReportedError, DutResetError, LinkClosedError, ProtocolError, TimeoutError } from '../errors.js';
import { dbChunkBytesAt, dbLoadCommand, withTextCrc } from '../protocol/commands.js';
import { checkDbAt, dbSlideCommand, inferWindowsCommand, parseDbAt, parseWindowReplies, windowResults } from '../protocol/db-window.js';
import { parseExpecting } from '../protocol/replies.js';
import { sendBinaryBlocks } from './binary-load.js';
import type { Dut } from './dut.js';

/**
 * Most windows one infer command runs, and the db bin block a stretch grows
 * by: on a clean link, eight windows' new bytes (4 096) in one block and one
 * command for their eight results, so each window costs 3/8 of an exchange
 * (a block is two). Damage halves the block size as for any binary load.
 */
const WINDOWS_PER_COMMAND = 8;
/** Clean replies after which the windows per command double again (halved after a damaged one). */
const CLEAN_TO_GROW = 4;
const STREAM_BLOCK_BYTES = 4096;
/** Hex fallback: smallest chunk, and damaged chunks in a row before the unit fails (as plain positioned loads). */
const MIN_HEX_CHUNK = 16;
const MAX_DAMAGED_CHUNKS = 12;

export interface WindowResult {
  results: number[];
  /** Microseconds of the window's timed inference. */
  elapsedUs: number;
}

/** Whether this DUT, over this link, can run windows from a streamed file. */
export function fileUploadUsable(dut: Dut, windowBytes: number): boolean {
  const identity = dut.identity;
  if (!identity?.features?.includes('db-window') || (identity.dbBuffer ?? 0) < windowBytes || !dut.integrityChecked) return false;
  // Raw blocks, or positioned hex chunks over a link that carries long commands (not an interface board).
  return dut.binaryUsable || (identity.features.includes('db-at') && dut.channel.link.maxCommandLength === undefined);
}

interface Held {
  /** File offset of the db load: the DUT counts stream offsets from there. */
  origin: number;
  /** File offset of the DUT's db[0]. */
  base: number;
  /** Bytes of the file the DUT holds from base. */
  length: number;
  /** What the last db load announced: the stretch never grows beyond it. */
  capacity: number;
  /** A unit failed since: ask the DUT what it still holds before going on. */
  uncertain: boolean;
}

/** The input CRC of an infer reply differs: the DUT's buffer is not what the host thinks. */
class WrongWindowError extends ProtocolError {}

/** One file streamed through a DUT's buffer; windows are asked for in order. */
export class FileUpload {
  private held: Held | undefined;
  /**
   * Windows per command now. Eight results make a reply of some 330 bytes; on
   * a damaging link it is resent whole, so like the block size this halves
   * after damage (down to one window, a reply shorter than plain infer's)
   * and doubles after clean replies.
   */
  private windowsPerCommand = WINDOWS_PER_COMMAND;
  private cleanReplies = 0;
  private cleanChunks = 0;

  constructor(
    private readonly file: Uint8Array,
    private readonly windowBytes: number,
    /** How far ahead of the window that needs them bytes are sent (one db bin block by default). */
    private readonly aheadBytes = STREAM_BLOCK_BYTES,
  ) {}

  /**
   * Runs `infer 1 0` on the window `offsets[from]` of the file and on those
   * after it that the DUT then holds too (up to WINDOWS_PER_COMMAND, at one
   * stride), sending what the DUT lacks first. Returns their results in order.
   */
  async inferWindows(dut: Dut, offsets: readonly number[], from: number): Promise<WindowResult[]> {
    try {
      const first = offsets[from]!;
      const at = await this.prepare(dut, first);
      const held = this.held!;
      const stride = from + 1 < offsets.length ? offsets[from + 1]! - first : this.windowBytes;
      let count = 1;
      while (
        count < this.windowsPerCommand &&
        from + count < offsets.length &&
        offsets[from + count] === first + count * stride &&
        first + count * stride + this.windowBytes <= held.base + held.length
      )
        ++count;
      // As plain infer: twice the time measured so far, or the probe timeout before anything was measured.
      const us = dut.lastUsPerInference;
      const timeoutMs = us === undefined ? dut.probeTimeoutMs : Math.ceil((count * us * 2) / 1000) + Math.max(dut.commandTimeoutMs, 1000);
      const resends = dut.resends;
      const replies = await dut.idempotent(async () =>
        parseWindowReplies(await dut.send(inferWindowsCommand(1, 0, at, stride, count), timeoutMs), at, stride, count),
      );
      this.adapt(dut.resends > resends);
      return replies.map((reply, k) => {
        const offset = first + k * stride;
        const want = crc32(this.file.subarray(offset, offset + this.windowBytes));
        if (reply.crc !== want)
          throw new WrongWindowError(
            `The DUT ran the window at file offset ${offset} on other bytes (CRC ${reply.crc.toString(16).padStart(8, '0')}, expected ${want.toString(16).padStart(8, '0')})`,
          );
        dut.lastUsPerInference = Math.max(reply.elapsedUs, dut.lastUsPerInference ?? 0);
        return { results: windowResults(reply), elapsedUs: reply.elapsedUs };
      });
    } catch (error) {
      // A restart empties the buffer; wrong bytes in it are worse than none.
      if (error instanceof DutResetError || error instanceof WrongWindowError) this.held = undefined;
      else if (this.held) this.held.uncertain = true;
      throw error;
    }
  }

  private adapt(damaged: boolean): void {
    if (damaged) {
      this.windowsPerCommand = Math.max(1, this.windowsPerCommand >> 1);
      this.cleanReplies = 0;
    } else if (++this.cleanReplies >= CLEAN_TO_GROW) {
      this.windowsPerCommand = Math.min(WINDOWS_PER_COMMAND, this.windowsPerCommand * 2);
      this.cleanReplies = 0;
    }
  }

  /** Makes the DUT hold the window at `offset`; returns its offset in the DUT's buffer. */
  private async prepare(dut: Dut, offset: number): Promise<number> {
    const end = offset + this.windowBytes;
    if (end > this.file.length) throw new RangeError(`window at ${offset} runs past the ${this.file.length}-byte file`);
    if (this.held?.uncertain) this.held = await this.confirm(dut, this.held);
    let held = this.held;
    if (!held || offset < held.base || offset > held.base + held.length) {
      const capacity = Math.min(dut.identity!.dbBuffer!, this.file.length - offset);
      this.held = undefined;
      await dut.idempotent(async () => parseExpecting(await dut.send(dbLoadCommand(capacity)), capacity));
      held = this.held = { origin: offset, base: offset, length: 0, capacity, uncertain: false };
    } else if (end > held.base + held.capacity) {
      const keep = held.length - (offset - held.base);
      const from = offset - held.origin;
      await dut.idempotent(async () => checkDbAt(await dut.send(dbSlideCommand(from)), from, keep));
      held.base = offset;
      held.length = keep;
    }
    if (end > held.base + held.length) {
      const upTo = Math.min(held.base + held.capacity, this.file.length, Math.max(end, held.base + held.length + this.aheadBytes));
      // A block at a time, so that what arrived before a failure counts.
      while (held.base + held.length < upTo) {
        const have = held.base + held.length;
        held.length += dut.binaryUsable ? await this.appendBinary(dut, held, upTo - have) : await this.appendHex(dut, held, upTo - have);
      }
    }
    return offset - held.base;
  }

  /** One db bin block (or a few, when damage shrank them) of at most `most` bytes at the stretch's end; returns its length. */
  private async appendBinary(dut: Dut, held: Held, most: number): Promise<number> {
    const have = held.base + held.length;
    const size = Math.min(dut.chunkBytes ?? STREAM_BLOCK_BYTES, STREAM_BLOCK_BYTES, most);
    try {
      await sendBinaryBlocks(dut, this.file.subarray(have, have + size), held.length, dut.commandTimeoutMs, STREAM_BLOCK_BYTES);
      dut.binaryFailures = 0;
    } catch (error) {
      // Blocks that kept arriving damaged count against binary; a restart or a lost link does not.
      if (!(error instanceof DutResetError || error instanceof LinkClosedError)) dut.binaryFailures++;
      throw error;
    }
    return size;
  }

  /**
   * Once binary loads have kept failing (a link that damages raw blocks
   * faster than they get through), the stretch grows by positioned hex
   * chunks (`db @<offset> <hex> #<crc32>`, feature db-at), each refused
   * when damaged and resent alone, halved after damage and doubled after
   * clean ones, as a plain positioned load does: each byte still sent once.
   */
  private async appendHex(dut: Dut, held: Held, most: number): Promise<number> {
    const have = held.base + held.length;
    const largest = dbChunkBytesAt(dut.commandBuffer, held.capacity);
    for (let damaged = 0; ;) {
      const size = Math.min(dut.chunkBytes ?? largest, largest, most);
      try {
        await dut.send(withTextCrc(`db @${held.length} ${Buffer.from(this.file.subarray(have, have + size)).toString('hex')}`));
      } catch (error) {
        const damage =
          error instanceof TimeoutError ||
          (error instanceof ProtocolError && !(error instanceof DutResetError)) ||
          (error instanceof DutReportedError && error.kind === 'damaged');
        if (!damage || ++damaged > MAX_DAMAGED_CHUNKS) throw error;
        dut.resends++;
        dut.chunkBytes = Math.max(MIN_HEX_CHUNK, Math.floor(size / 2));
        this.cleanChunks = 0;
        await dut.channel.settle(Math.min(dut.settleMs, 20), 500);
        continue;
      }
      if (++this.cleanChunks >= 8 && dut.chunkBytes !== undefined) {
        dut.chunkBytes = dut.chunkBytes * 2 >= largest ? undefined : dut.chunkBytes * 2;
        this.cleanChunks = 0;
      }
      return size;
    }
  }

  /**
   * After a failure that need not have emptied the buffer: `db slide` to the
   * stretch's own start changes nothing and reports what the DUT holds. A
   * DUT that restarted unseen holds nothing (it refuses): a new stretch then.
   */
  private async confirm(dut: Dut, held: Held): Promise<Held | undefined> {
    const from = held.base - held.origin;
    try {
      const at = await dut.idempotent(async () => parseDbAt(await dut.send(dbSlideCommand(from))));
      // Bytes beyond what the host counted are blocks whose m-bin-done was lost; the DUT took them only with their CRC intact.
      if (at.base !== from || at.length < held.length || at.length > held.capacity) return undefined;
      return { ...held, length: at.length, uncertain: false };
    } catch (error) {
      if (error instanceof DutReportedError || (error instanceof ProtocolError && !(error instanceof DutResetError))) return undefined;
      throw error;
    }
  }
}
