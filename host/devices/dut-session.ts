/**
 * A DUT that recovers: runs one unit of work (a sample, a window) and, when
 * it fails on a damaged reply, a timeout, a reset or a lost link, resynchronises
 * (reopening the link with backoff if it is gone), re-identifies the DUT and
 * runs the unit again, a bounded number of times.
 */
import {
  DutMismatchError,
  DutReportedError,
  DutResetError,
  LinkClosedError,
  ProtocolError,
  SampleFailedError,
  TimeoutError,
  TinyBenchError,
  WrongAnswerError,
} from '../errors.js';
import type { Link } from '../link/link.js';
import type { DutIdentity } from '../protocol/replies.js';
import type { LinkRate } from './baud-switch.js';
import { Dut, type DutOptions } from './dut.js';
import { LineChannel, type LineChannelOptions, type TranscriptSink } from './line-channel.js';

/** Runs units of work against a DUT. Runners know only this. */
export interface DutRunner {
  run<T>(label: string, work: (dut: Dut) => Promise<T>): Promise<T>;
}

/** No recovery: for tests and one-shot tools. */
export function directRunner(dut: Dut): DutRunner {
  return { run: (_label, work) => work(dut) };
}

export interface Reconnectable {
  link: Link;
  /** Opens the link again after it was lost; undefined when it cannot be. */
  reopen?: () => Promise<Link>;
  /** How long the DUT may take to boot and print its banner. */
  bootWaitMs: number;
  /**
   * Brings an open link back to a known state before a retry. An interface
   * board needs it: DUT output it queued outside a passthrough (a boot banner
   * after a reset) would otherwise be handed out as the reply to every next
   * command, one behind, for ever.
   */
  resync?: () => Promise<Link>;
}

export interface RecoveryStats {
  retries: number;
  resets: number;
  reconnects: number;
  /** Commands sent again inside a unit (damaged or incomplete replies), without restarting it. */
  resends: number;
}

export interface DutSessionOptions extends DutOptions {
  transcript?: TranscriptSink;
  channel?: Omit<LineChannelOptions, 'transcript'>;
  /** Attempts per unit of work, the first included. */
  attempts?: number;
  /** Waits before successive reopen attempts. */
  reopenBackoffMs?: readonly number[];
  /** Told about every recovery, e.g. to write it to the log. */
  onRecovery?: (message: string) => void;
  /** Switch to a faster baud rate after identifying, and find the DUT's rate again when recovering. */
  linkRate?: LinkRate;
}

export class DutSession implements DutRunner {
  dut!: Dut;
  channel!: LineChannel;
  identity!: DutIdentity;
  private readonly counts = { retries: 0, resets: 0, reconnects: 0 };
  /** Resends of the DUT clients this session replaced (one per link). */
  private earlierResends = 0;

  get stats(): RecoveryStats {
    return { ...this.counts, resends: this.earlierResends + (this.dut?.resends ?? 0) };
  }
  private readonly attempts: number;
  /** The last lines exchanged across every channel this session used, for error reports. */
  private readonly recent: string[] = [];
  private lateBootSeen = false;
  /**
   * Links this session opened itself (after a loss). The connection closes
   * the link it was opened with; these are the session's to close, or a
   * reopened serial port would stay open and locked after the run.
   */
  private readonly reopened: Link[] = [];
  /** Whether a good recovery proves the link works: only with integrity lines can a shifted reply not pass for the right one. */
  private get recoveryProvesLink(): boolean {
    return this.dut.integrityChecked;
  }

  private constructor(
    private readonly connection: Reconnectable,
    private readonly options: DutSessionOptions,
  ) {
    this.attempts = options.attempts ?? 6;
  }

  static async open(connection: Reconnectable, options: DutSessionOptions = {}): Promise<DutSession> {
    const session = new DutSession(connection, options);
    session.attach(connection.link);
    try {
      await session.awaitBoot();
      session.identity = await session.run('identification', (dut) => session.identifyAfterBoot(dut));
      const rate = options.linkRate;
      if (rate) await session.run('baud switch', (dut) => rate.engage(dut));
    } catch (error) {
      // The caller never gets this session: close what it reopened, or that port stays locked.
      await session.close();
      throw error;
    }
    return session;
  }

  /**
   * Many boards reset when their port opens and ignore commands until they
   * have booted: waits for the boot banner (m-init-done), at most
   * `bootWaitMs` (a board that does not reset prints none), then for the
   * line to go quiet. A short silence alone proves nothing: it is also what
   * a board that is still starting sends.
   */
  private async awaitBoot(): Promise<void> {
    const { bootWaitMs } = this.connection;
    if (this.channel.resets === 0) {
      await this.channel
        .waitForLine((line) => line === 'm-init-done', bootWaitMs, 'boot banner')
        .catch((error: unknown) => {
          if (!(error instanceof TimeoutError)) throw error;
        });
    }
    await this.channel.settle(this.dut.settleMs, Math.max(bootWaitMs, 2 * this.dut.settleMs));
  }

  /**
   * A banner that arrives during the very first identification is the DUT
   * finishing its boot late, not a fault: nothing was loaded yet, so it is
   * acknowledged and the DUT asked again, without counting a recovery.
   * Only once: a DUT that keeps restarting goes to the normal recovery.
   */
  private async identifyAfterBoot(dut: Dut): Promise<DutIdentity> {
    try {
      return await dut.identify();
    } catch (error) {
      if (!(error instanceof DutResetError) || this.lateBootSeen) throw error;
      this.lateBootSeen = true;
      await this.channel.settle(dut.settleMs, Math.max(this.connection.bootWaitMs, 1000));
      return dut.identify();
    }
  }

  private attach(link: Link): void {
    this.channel?.close();
    this.channel = new LineChannel(link, {
      ...this.options.channel,
      ...(this.options.transcript ? { transcript: this.options.transcript } : {}),
      recentLines: this.recent,
    });
    const previous = this.dut;
    // A link opened again runs at the boot rate, whatever the DUT runs at.
    if (previous) this.options.linkRate?.linkOpened();
    this.earlierResends += previous?.resends ?? 0;
    this.dut = new Dut(this.channel, this.options);
    // A replugged DUT keeps its firmware: keep requiring integrity lines.
    if (previous) {
      this.dut.integrityChecked = previous.integrityChecked;
      this.dut.identity = previous.identity;
      this.dut.lastUsPerInference = previous.lastUsPerInference;
      this.dut.chunkBytes = previous.chunkBytes;
      this.dut.cleanBlocks = previous.cleanBlocks;
      this.dut.binaryBytesOwed = previous.binaryBytesOwed;
      this.dut.binaryFailures = previous.binaryFailures;
      this.dut.overlapFailures = previous.overlapFailures;
      this.dut.profileReplyCrc = previous.profileReplyCrc;
      this.dut.binaryBlockBytes = previous.binaryBlockBytes;
      this.dut.interruptedLoad = previous.interruptedLoad;
    }
  }

  /**
   * Runs `work`, recovering and running it again after link trouble. Gives
   * up after `attempts` tries in a row whose recovery failed too (a DUT or
   * link that is gone), or after RANDOM_FAULT_FACTOR times as many tries in
   * all: a DUT that answered its recovery proves the link works, and the next
   * failure is new random damage, which a noisy link brings often.
   */
  async run<T>(label: string, work: (dut: Dut) => Promise<T>): Promise<T> {
    let lastError: Error | undefined;
    let tries = 0;
    let failedInARow = 0;
    for (;;) {
      ++tries;
      let recovered = lastError === undefined;
      try {
        if (lastError) {
          await this.recover(label, lastError);
          recovered = true;
        }
        return await work(this.dut);
      } catch (error) {
        if (!(error instanceof Error) || !isRecoverable(error)) throw error;
        if (lastError && sameWrongAnswer(lastError, error)) throw new RepeatedAnswerError(label, error);
        if (error instanceof DutResetError) this.counts.resets++;
        // The same failure again after a good recovery is no new random damage (except link
        // events: a lost link or a restart reads the same each time, and recovery proved it passed).
        const event = error instanceof LinkClosedError || error instanceof DutResetError;
        const fresh = this.recoveryProvesLink && recovered && tries > 1 && (event || firstLine(error) !== firstLine(lastError!));
        lastError = error;
        failedInARow = fresh ? 1 : failedInARow + 1;
        if (failedInARow >= this.attempts || tries >= this.attempts * RANDOM_FAULT_FACTOR) break;
        this.counts.retries++;
      }
    }
    throw new SampleFailedError(label, tries, lastError, this.channel.lastLines());
  }

  private async recover(label: string, cause: Error): Promise<void> {
    this.options.onRecovery?.(`${label}: ${cause.message.split('\n')[0]}; recovering`);
    if (cause instanceof WrongAnswerError) {
      // The reply came through well-formed: the link is fine, nothing to reopen or re-identify.
      await this.channel.settle(this.dut.settleMs, Math.max(this.connection.bootWaitMs, 1000));
      return;
    }
    let relinked = false;
    if (!this.connection.link.isOpen || cause instanceof LinkClosedError) {
      await this.reopen();
      relinked = true;
    } else if (this.connection.resync) {
      relinked = true;
      const link = await this.connection.resync();
      this.connection.link = link;
      this.attach(link);
      this.options.onRecovery?.(`resynchronised ${link.description}`);
    }
    await this.channel.settle(this.dut.settleMs, Math.max(this.connection.bootWaitMs, 1000));
    // A restarted DUT is back at its boot rate, a reopened link starts there: find the DUT's rate first.
    await this.options.linkRate?.relocate(this.dut, cause instanceof DutResetError);
    // Damage on a link that stayed up, from a DUT that did not restart: a short
    // exchange resynchronises. Only a new link or a restart can mean another DUT.
    const mayHaveChanged = relinked || cause instanceof DutResetError || !this.identity;
    if (!mayHaveChanged) {
      await this.dut.resynchronise();
      await this.options.linkRate?.engage(this.dut);
      return;
    }
    const identity = await this.dut.identify();
    await this.options.linkRate?.engage(this.dut);
    // A banner since the link came back: the DUT restarted and its buffer is empty.
    if (this.channel.resets > 0 || cause instanceof DutResetError) this.dut.interruptedLoad = undefined;
    if (this.identity && identity.model !== this.identity.model) {
      throw new DutMismatchError(`After recovering, the DUT reports model '${identity.model}' instead of '${this.identity.model}'`);
    }
  }

  private async reopen(): Promise<void> {
    if (!this.connection.reopen) throw new TinyBenchError(`Lost ${this.connection.link.description} and cannot reopen it`);
    const backoff = this.options.reopenBackoffMs ?? [50, 250, 500, 1000, 2000, 4000];
    let lastError: unknown;
    // Never two opens of one port: a link that failed a write may still hold its port (and its lock).
    await this.connection.link.close().catch(() => {});
    for (const waitMs of backoff) {
      await new Promise((r) => setTimeout(r, waitMs));
      try {
        const link = await this.connection.reopen();
        if (link !== this.connection.link && !this.reopened.includes(link)) this.reopened.push(link);
        this.connection.link = link;
        this.attach(link);
        this.counts.reconnects++;
        this.options.onRecovery?.(`reopened ${link.description}`);
        return;
      } catch (error) {
        lastError = error;
      }
    }
    throw new TinyBenchError(
      `Could not reopen ${this.connection.link.description} after ${backoff.length} attempts: ${lastError instanceof Error ? lastError.message : String(lastError)}`,
    );
  }

  /** Stops listening and closes every link this session reopened (the current one included). */
  async close(): Promise<void> {
    this.channel.close();
    const mine = this.reopened.splice(0);
    await Promise.all(mine.map((link) => link.close().catch(() => {})));
  }
}

function firstLine(error: Error): string {
  return error.message.split('\n')[0]!;
}

/** How many more tries a unit gets in all than in a row without a working recovery. */
const RANDOM_FAULT_FACTOR = 8;

/** Link trouble worth another attempt; a wrong DUT, bad data or a DUT refusing for good is not. */
function isRecoverable(error: Error): boolean {
  if (error instanceof DutReportedError) return error.kind !== 'refused';
  return error instanceof ProtocolError || error instanceof TimeoutError || error instanceof LinkClosedError;
}

/**
 * Damage on the way changes a reply at random; a DUT that is wrong is wrong
 * the same way each time. Two well-formed answers wrong in the same words,
 * or breaking the same rule (or the same error reported twice), end the unit at once.
 */
function sameWrongAnswer(previous: Error, error: Error): boolean {
  const answer = (e: Error): boolean => e instanceof WrongAnswerError || (e instanceof DutReportedError && e.kind !== 'damaged');
  if (!answer(previous) || !answer(error) || previous.constructor !== error.constructor) return false;
  // Laps differ from run to run; the rule they broke does not.
  if (previous instanceof WrongAnswerError && previous.rule !== undefined) return previous.rule === (error as WrongAnswerError).rule;
  return previous.message === error.message;
}

/** The same wrong answer twice: the DUT or its firmware, not the link. One line. */
export class RepeatedAnswerError extends TinyBenchError {
  constructor(
    readonly unit: string,
    readonly reason: Error,
  ) {
    super(`${unit}: the DUT gave the same wrong answer twice, so it is not link damage: ${reason.message.split('\n')[0]}`);
  }
}
