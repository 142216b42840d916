import { crc32 } from 'node:zlib';

import { DutReportedError, DutResetError, LinkClosedError, ProtocolError, TimeoutError, WrongAnswerError } from '../errors.js';
import { STANDARD_COMMAND_BUFFER, dbChunkBytes, dbChunkBytesAt, dbDataCommands, dbLoadCommand, inferCommand, withTextCrc } from '../protocol/commands.js';
import {
  type DutIdentity,
  type InferReply,
  isBootLine,
  lapDeltaUs,
  parseCrcLine,
  parseExpecting,
  parseInferReply,
  parseLoadCrc,
  parseName,
  parseDutError,
  parseProfile,
} from '../protocol/replies.js';
import { endBinaryBlock, loadBinary } from './binary-load.js';
import type { LineChannel } from './line-channel.js';

/** Binary loads failing this many times in a row send the DUT back to hex loads. */
export const BINARY_GIVE_UP = 3;

/** Non-`e-` warnings of the reference firmware that mean the command failed (protocol reference §1.3). */
const REFERENCE_FAILURES = [/^Supplied buffer size \d+ exceeds maximum/, /^Input db has \d+ elemented, expected \d+/];

/** Smallest chunk the adaptive loader goes down to, and how many damaged chunks in a row it accepts. */
const MIN_CHUNK = 16;
const MAX_DAMAGED_CHUNKS = 12;
/**
 * Attempts for a command that may be repeated freely (name, profile, db load,
 * infer) when its reply arrives damaged. A repeat costs one short exchange;
 * giving up costs the whole unit and a recovery, which on a noisy link is
 * itself made of such exchanges, so these get many.
 */
const IDEMPOTENT_ATTEMPTS = 12;
/** Of those, how many may be timeouts. */
const TIMEOUT_RESENDS = 3;

export interface DutOptions {
  /** Timeout of short commands (name, profile, db). */
  commandTimeoutMs?: number;
  /** Timeout of an infer whose duration cannot be estimated yet. */
  probeTimeoutMs?: number;
  /** Silence that counts as "the DUT has finished talking" when resynchronising. */
  settleQuietMs?: number;
  energyMode?: boolean;
  /** Load inputs in binary blocks when the DUT offers db-bin (default true); false keeps hex. */
  binaryLoads?: boolean;
  /**
   * Accuracy runs: send the next input while the current one runs, when the DUT advertises an RX
   * buffer (default true; overlapped-infer.ts); false keeps one command at a time.
   */
  overlapLoads?: boolean;
}

export interface InferResult extends InferReply {
  /** Microseconds between the two laps (performance mode); undefined in energy mode. */
  elapsedUs: number | undefined;
}

/** Client for the MLPerf Tiny test-harness protocol. Knows nothing about the link underneath. */
export class Dut {
  identity: DutIdentity | undefined;
  /** Set once the DUT has sent an integrity line: from then on every reply must carry a valid one. */
  integrityChecked = false;
  /** Microseconds per inference measured by the last infer, for the next one's timeout. */
  lastUsPerInference: number | undefined;
  /** Current db chunk size on a damaging link (undefined: as large as the buffer allows). */
  chunkBytes: number | undefined;
  /** A positioned load a lost link cut short: which input (CRC-32, length) and how far the DUT acknowledged it. */
  interruptedLoad: { crc: number; length: number; acked: number } | undefined;
  private acknowledgedBytes = 0;
  /** Commands sent again because their reply came back damaged or incomplete (no unit of work restarted). */
  resends = 0;
  /** Raw bytes a `db bin` block may still be waiting for when its transfer failed (0: none). */
  binaryBytesOwed = 0;
  /**
   * Binary loads that failed in a row. Raw blocks are fastest on a clean link, but on a noisy one a
   * damaged `m-bin-ready` leaves host and DUT disagreeing about what the next bytes are; after
   * BINARY_GIVE_UP failures the loads go back to hex (each chunk self-checking) for this DUT.
   */
  binaryFailures = 0;
  /** Largest db bin block; undefined: binary-load's default. A faster link takes longer blocks (baud-switch.ts). */
  binaryBlockBytes: number | undefined;
  /** CRC-32 of the last intact profile reply (its lines without the integrity line): see profile(). */
  profileReplyCrc: number | undefined;
  /** Overlapped accuracy batches that failed in a row (overlapped-infer.ts); at OVERLAP_GIVE_UP it stops. */
  overlapFailures = 0;
  /** Inputs that went the sequential way because their overlapped exchange failed. */
  overlapFallbacks = 0;
  /** db bin blocks that arrived intact since the block size last shrank (binary-load.ts). */
  cleanBlocks = 0;
  private cleanChunks = 0;
  private knownResets = 0;
  readonly commandTimeoutMs: number;
  readonly probeTimeoutMs: number;
  private readonly settleQuietMs: number;

  constructor(
    readonly channel: LineChannel,
    private readonly options: DutOptions = {},
  ) {
    this.commandTimeoutMs = options.commandTimeoutMs ?? 5000;
    // Banners before this client existed are the DUT's boot, not a reset under us.
    this.knownResets = channel.resets;
    this.probeTimeoutMs = options.probeTimeoutMs ?? 120_000;
    this.settleQuietMs = options.settleQuietMs ?? 200;
  }

  /**
   * Sends one command and checks the reply: its integrity line when the DUT
   * provides one (a mismatch means bytes were lost or changed on the way, in
   * either direction), boot-banner lines (the DUT reset), then `e-[...]`
   * lines (and reference failure warnings), which become DutReportedError.
   * Returns the reply lines without the integrity line.
   */
  async send(command: string, timeoutMs = this.commandTimeoutMs, startMs?: number): Promise<string[]> {
    if (this.channel.resets !== this.knownResets)
      throw new DutResetError(`The DUT restarted (boot banner seen) before '${abbreviateCommand(command)}'; its loaded input is gone`);
    return this.checkReply(command, await this.channel.command(command, timeoutMs, startMs));
  }

  /** The checks of send() on a reply that arrived by other means (a command sent ahead: overlapped-infer.ts). */
  checkReply(command: string, raw: string[]): string[] {
    if (raw.some(isBootLine)) throw new DutResetError(`The DUT restarted while answering '${abbreviateCommand(command)}' (boot banner in the reply)`, raw);
    const lines = this.verifyIntegrity(command, raw);
    for (const line of lines) {
      const error = parseDutError(line) ?? (REFERENCE_FAILURES.some((re) => re.test(line)) ? { kind: 'unknown' as const, message: line } : undefined);
      if (error) throw new DutReportedError(abbreviateCommand(command), error.message, lines, error.kind);
    }
    return lines;
  }

  async identify(): Promise<DutIdentity> {
    // Re-identifying after a failure: a DUT that kept running may still wait for a binary block's bytes.
    if (this.binaryBytesOwed > 0) await endBinaryBlock(this);
    // Identifying is how a restart is acknowledged: commands may flow again.
    this.knownResets = this.channel.resets;
    const name = await this.retry(async () => parseName(await this.send('name')));
    const profile = await this.retry(() => this.profile());
    this.identity = { name, ...profile };
    return this.identity;
  }

  /**
   * `profile`, the longest reply of an identification (some 280 bytes with
   * tiny-bench firmware's extension lines): on a link that damages one byte
   * in 100 it rarely arrives whole, and re-identifying after each restart
   * could then take longer than the restarts leave. A DUT that sends the
   * profile reply it sent before is the same DUT, and its integrity line
   * says so on its own: a damaged reply whose integrity line came intact,
   * for the command `profile` and with the reply CRC of the last intact
   * one, is that reply.
   */
  private async profile(): Promise<Omit<DutIdentity, 'name'>> {
    try {
      const lines = await this.send('profile');
      const profile = parseProfile(lines);
      this.profileReplyCrc = crc32(lines.map((l) => `${l}\r\n`).join(''));
      return profile;
    } catch (error) {
      const known = this.identity;
      if (known && this.profileReplyCrc !== undefined && error instanceof ProtocolError && !(error instanceof DutResetError)) {
        const crc = parseCrcLine(error.lines.at(-1) ?? '');
        if (crc && crc.command === crc32('profile') && crc.reply === this.profileReplyCrc) {
          const { name: _, ...profile } = known;
          return profile;
        }
      }
      throw error;
    }
  }

  /**
   * After damage on a link that stayed up and a DUT that did not restart:
   * one short `name` exchange shows that commands and replies line up again.
   * The long `profile` reply is only asked for when the DUT may have changed.
   */
  async resynchronise(): Promise<void> {
    if (this.channel.resets !== this.knownResets) throw new DutResetError('The DUT restarted (boot banner seen) while recovering; its loaded input is gone');
    // A binary load that gave up on a live link may have left the DUT waiting for its block's bytes.
    if (this.binaryBytesOwed > 0) await endBinaryBlock(this);
    await this.retry(async () => parseName(await this.send('name')));
  }

  /** Which timestamp mode the firmware was built for: a performance build answers `timestamp` with a lap. */
  async timestampMode(): Promise<'performance' | 'energy'> {
    const lines = await this.send('timestamp');
    return lines.some((l) => /^m-lap-us-\d+$/.test(l)) ? 'performance' : 'energy';
  }

  get energyMode(): boolean {
    return this.options.energyMode ?? false;
  }

  /** Whether the caller allows inputs to be sent ahead of replies (DutOptions.overlapLoads). */
  get overlapAllowed(): boolean {
    return this.options.overlapLoads !== false;
  }

  get settleMs(): number {
    return this.settleQuietMs;
  }

  get commandBuffer(): number {
    return Math.min(this.identity?.commandBuffer ?? STANDARD_COMMAND_BUFFER, this.channel.link.maxCommandLength ?? Infinity);
  }

  /**
   * `db load N`, then hex chunks that never exceed the DUT's command buffer;
   * checks both acknowledgements. With tiny-bench firmware the chunks carry
   * their offset, so one damaged on the way is resent alone, and the DUT's
   * CRC of the whole buffer is checked at the end.
   */
  async load(data: Uint8Array): Promise<void> {
    const positioned = this.identity?.features?.includes('db-at') && this.integrityChecked && positionedChunksPayOff(this.commandBuffer, data.length);
    const binary = this.binaryUsable;
    const crc = crc32(data);
    // A positioned load cut by a lost link goes on where the DUT last acknowledged it: a replugged
    // board keeps its buffer. If it did not, the next chunk meets a gap (load-lost) or the
    // buffer CRC at the end differs, and the unit starts again from db load.
    const interrupted = this.interruptedLoad;
    this.interruptedLoad = undefined;
    const resumeAt = !binary && positioned && interrupted?.crc === crc && interrupted.length === data.length ? interrupted.acked : 0;
    if (resumeAt === 0) await this.idempotent(async () => parseExpecting(await this.send(dbLoadCommand(data.length)), data.length));
    let lines: string[];
    try {
      lines = binary
        ? await loadBinary(this, data, this.commandTimeoutMs, this.binaryBlockBytes)
        : positioned
          ? await this.loadPositioned(data, resumeAt)
          : await this.loadSequential(data);
      if (binary) this.binaryFailures = 0;
    } catch (error) {
      if (binary) this.binaryFailures++;
      if (!binary && positioned && error instanceof LinkClosedError) this.interruptedLoad = { crc, length: data.length, acked: this.acknowledgedBytes };
      throw error;
    }
    const loaded = parseLoadCrc(lines);
    if (loaded !== undefined && loaded !== crc)
      throw new ProtocolError(`The DUT's copy of the ${data.length}-byte input differs from what was sent (buffer CRC mismatch)`, lines);
  }

  /** Whether inputs may go as raw db bin blocks now. */
  get binaryUsable(): boolean {
    // Raw bytes need a link that carries them as they are: not an interface board, which relays text.
    return (
      !!this.identity?.features?.includes('db-bin') &&
      this.integrityChecked &&
      this.channel.link.maxCommandLength === undefined &&
      this.options.binaryLoads !== false &&
      this.binaryFailures < BINARY_GIVE_UP
    );
  }

  /** Standard firmware: `db <hex>` chunks in order; any failure restarts from db load (the caller's retry). */
  private async loadSequential(data: Uint8Array): Promise<string[]> {
    const commands = dbDataCommands(data, this.commandBuffer);
    let lines: string[] = [];
    for (let i = 0; i < commands.length; ++i) {
      lines = await this.send(commands[i]!);
      const done = lines.includes('m-load-done');
      if (i < commands.length - 1 && done) throw new ProtocolError(`DUT reported m-load-done after chunk ${i + 1} of ${commands.length}`, lines);
      if (i === commands.length - 1 && !done) throw new ProtocolError(`DUT did not report m-load-done after all ${data.length} bytes`, lines);
    }
    return lines;
  }

  /**
   * tiny-bench firmware: `db @<offset> <hex>` chunks, each resent alone when
   * damaged. The chunk size adapts to the link like a congestion window:
   * halved after damage, doubled after a run of clean chunks, never above
   * what the command buffer holds.
   */
  private async loadPositioned(data: Uint8Array, from = 0): Promise<string[]> {
    const largest = dbChunkBytesAt(this.commandBuffer, data.length);
    let offset = from;
    this.acknowledgedBytes = from;
    let damagedInARow = 0;
    let lines: string[] = [];
    while (offset < data.length) {
      const size = Math.min(this.chunkBytes ?? largest, largest, data.length - offset);
      try {
        // The chunk carries its checksum so a damaged copy is refused before it is written.
        lines = await this.send(withTextCrc(`db @${offset} ${Buffer.from(data.subarray(offset, offset + size)).toString('hex')}`));
      } catch (error) {
        if (!isResendable(error) || ++damagedInARow > MAX_DAMAGED_CHUNKS) throw error;
        this.resends++;
        this.chunkBytes = Math.max(MIN_CHUNK, Math.floor(size / 2));
        this.cleanChunks = 0;
        await this.channel.settle(Math.min(this.settleQuietMs, 20), 500);
        continue;
      }
      damagedInARow = 0;
      if (++this.cleanChunks >= 8 && this.chunkBytes !== undefined) {
        this.chunkBytes = this.chunkBytes * 2 >= largest ? undefined : this.chunkBytes * 2;
        this.cleanChunks = 0;
      }
      offset += size;
      this.acknowledgedBytes = offset;
      // An early m-load-done is harmless here: a damaged chunk may have reached the end of the
      // buffer before its repair. The last chunk must finish the load; the buffer CRC decides.
      if (offset === data.length && !lines.includes('m-load-done'))
        throw new ProtocolError(`DUT did not report m-load-done after all ${data.length} bytes`, lines);
    }
    return lines;
  }

  /**
   * Repeats a command whose effect does not depend on how often it runs when
   * its reply shows damage on the way (integrity mismatch) or never completed
   * (at most TIMEOUT_RESENDS times: a long infer's timeout is long). Resets and
   * lost links go up to the caller's recovery.
   */
  async idempotent<T>(fn: () => Promise<T>, attempts = IDEMPOTENT_ATTEMPTS): Promise<T> {
    let timeouts = 0;
    for (let attempt = 1; ; ++attempt) {
      try {
        return await fn();
      } catch (error) {
        if (error instanceof TimeoutError && ++timeouts > TIMEOUT_RESENDS) throw error;
        if (!isResendable(error) || !this.integrityChecked || attempt >= attempts) throw error;
        this.resends++;
        // Let whatever is left of the damaged reply arrive and pass before resending.
        await this.channel.settle(Math.min(this.settleQuietMs, 20), 500);
      }
    }
  }

  /**
   * `infer N W`. The timeout follows the expected run time when the caller
   * knows the time per inference (twice the estimate plus 10 s), else the probe timeout.
   */
  async infer(iterations: number, warmups: number, expectedUsPerInference = this.lastUsPerInference): Promise<InferResult> {
    const timeoutMs = this.inferTimeoutMs(iterations, warmups, expectedUsPerInference);
    const energy = this.options.energyMode ?? false;
    // Inference leaves the loaded input intact, so a damaged reply can simply be asked for again.
    const reply = await this.idempotent(async () =>
      parseInferReply(await this.send(inferCommand(iterations, warmups), timeoutMs, this.inferStartMs), iterations, warmups, energy),
    );
    // The reply came within timeoutMs: a longer "wrap" is a timer that ran backwards.
    const elapsedUs = energy ? undefined : lapDeltaUs(reply.laps[0]!, reply.laps[1]!, timeoutMs * 1000);
    if (elapsedUs !== undefined) this.noteUsPerInference(elapsedUs / iterations);
    return { ...reply, elapsedUs };
  }

  /** How long an infer's reply may take: twice the estimate plus 10 s, or the probe timeout before anything was measured. */
  inferTimeoutMs(iterations: number, warmups: number, expectedUsPerInference = this.lastUsPerInference): number {
    return expectedUsPerInference === undefined
      ? this.probeTimeoutMs
      : Math.ceil(((iterations + warmups) * expectedUsPerInference * 2) / 1000) + Math.max(this.commandTimeoutMs, 1000);
  }

  /**
   * How soon an infer's reply must start: tiny-bench firmware prints
   * m-warmup-start before it runs anything, so a first infer lost on the way
   * costs this, not the probe timeout (120 s) that waits for a model of
   * unknown speed. Not through an interface board (it relays as it likes) or
   * for standard firmware (its output may be buffered).
   */
  get inferStartMs(): number | undefined {
    return this.integrityChecked && !this.energyMode && this.channel.link.maxCommandLength === undefined ? this.commandTimeoutMs : undefined;
  }

  /** Keeps the slowest time per inference seen, for the next infer's timeout. */
  noteUsPerInference(us: number): void {
    this.lastUsPerInference = Math.max(us, this.lastUsPerInference ?? 0);
  }

  private verifyIntegrity(command: string, lines: string[]): string[] {
    const last = lines.at(-1);
    const crc = last === undefined ? undefined : parseCrcLine(last);
    if (!crc) {
      if (this.integrityChecked) throw new ProtocolError(`Reply to '${abbreviateCommand(command)}' lacks its integrity line: the reply was damaged`, lines);
      return lines;
    }
    this.integrityChecked = true;
    const body = lines.slice(0, -1);
    if (crc32(command) !== crc.command) throw new ProtocolError(`The DUT received '${abbreviateCommand(command)}' damaged (command CRC mismatch)`, lines);
    if (crc32(body.map((l) => `${l}\r\n`).join('')) !== crc.reply)
      throw new ProtocolError(`Reply to '${abbreviateCommand(command)}' was damaged on the way (reply CRC mismatch)`, lines);
    return body;
  }

  /**
   * Parse failures get several attempts (the official runner gives three;
   * with integrity lines a damaged reply is a parse failure too), each
   * after the line has gone quiet so a stray m-ready cannot shift later
   * replies; timeouts and resets are not retried here.
   */
  private async retry<T>(fn: () => Promise<T>): Promise<T> {
    let lastError: unknown;
    const attempts = this.integrityChecked ? IDEMPOTENT_ATTEMPTS : 3;
    for (let attempt = 0; attempt < attempts; ++attempt) {
      try {
        return await fn();
      } catch (error) {
        // A damaged command the DUT did not recognise (`e-[unknown-command: prfile]`) is damage too;
        // with integrity lines, so is a reply that never completed (a dropped byte of its m-ready).
        if (!(this.integrityChecked ? isResendable(error) : isDamage(error))) throw error;
        lastError = error;
        if (attempt < attempts - 1) this.resends++;
        await this.channel.settle(this.settleQuietMs, this.commandTimeoutMs);
      }
    }
    throw lastError;
  }
}

/**
 * Offsets and per-chunk checksums cost characters in every command. In a
 * short one (an interface board's 55 on a 9600-baud wire) they would take a
 * third of the payload: plain chunks then, the whole-buffer CRC still checked.
 */
function positionedChunksPayOff(commandBuffer: number, length: number): boolean {
  return dbChunkBytesAt(commandBuffer, length) >= 0.75 * dbChunkBytes(commandBuffer);
}

/**
 * Bytes lost or changed on the way, worth repeating the same command for. A
 * reset, a DUT saying its load state is gone or refusing for good, or an
 * error without a token (whose meaning is unknown), is not: the caller must
 * start the unit of work again, or give up.
 */
function isDamage(error: unknown): boolean {
  if (error instanceof DutResetError || error instanceof WrongAnswerError) return false;
  if (error instanceof DutReportedError) return error.kind === 'damaged';
  return error instanceof ProtocolError;
}

/**
 * What a command that may be sent again (a positioned chunk, db load, infer,
 * name, profile) is resent for: damage, or a reply that never completed
 * (a dropped byte of its m-ready or of the command's '%'). A lost link or a
 * restart is not: those go up to the session's recovery.
 */
function isResendable(error: unknown): boolean {
  return isDamage(error) || error instanceof TimeoutError;
}

function abbreviateCommand(command: string): string {
  return command.length > 40 ? `${command.slice(0, 40)}…` : command;
}
