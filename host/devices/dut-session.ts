/**
 * A DUT that recovers: runs one unit of work (a sample, a window) and, when
 * it fails on a damaged reply, a timeout, a reset or a lost link, resynchronises
 * (reopening the link with backoff if it is gone), re-identifies the DUT and
 * runs the unit again, a bounded number of times.
 */
import { DutMismatchError, DutReportedError, DutResetError, LinkClosedError, ProtocolError, SampleFailedError, TimeoutError, TinyBenchError } from '../errors.js';
import type { Link } from '../link/link.js';
import type { DutIdentity } from '../protocol/replies.js';
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
}

export class DutSession implements DutRunner {
  dut!: Dut;
  channel!: LineChannel;
  identity!: DutIdentity;
  readonly stats: RecoveryStats = { retries: 0, resets: 0, reconnects: 0 };
  private readonly attempts: number;
  /** The last lines exchanged across every channel this session used, for error reports. */
  private readonly recent: string[] = [];

  private constructor(private readonly connection: Reconnectable, private readonly options: DutSessionOptions) {
    this.attempts = options.attempts ?? 6;
  }

  static async open(connection: Reconnectable, options: DutSessionOptions = {}): Promise<DutSession> {
    const session = new DutSession(connection, options);
    session.attach(connection.link);
    await session.channel.settle(session.dut.settleMs, connection.bootWaitMs);
    session.identity = await session.run('identification', (dut) => dut.identify());
    return session;
  }

  private attach(link: Link): void {
    this.channel?.close();
    this.channel = new LineChannel(link, {
      ...(this.options.channel ?? {}),
      ...(this.options.transcript ? { transcript: this.options.transcript } : {}),
      recentLines: this.recent,
    });
    const previous = this.dut;
    this.dut = new Dut(this.channel, this.options);
    // A replugged DUT keeps its firmware: keep requiring integrity lines.
    if (previous) {
      this.dut.integrityChecked = previous.integrityChecked;
      this.dut.identity = previous.identity;
      this.dut.lastUsPerInference = previous.lastUsPerInference;
      this.dut.chunkBytes = previous.chunkBytes;
      this.dut.binaryBytesOwed = previous.binaryBytesOwed;
    }
  }

  async run<T>(label: string, work: (dut: Dut) => Promise<T>): Promise<T> {
    let lastError: Error | undefined;
    for (let attempt = 1; attempt <= this.attempts; ++attempt) {
      try {
        if (attempt > 1) await this.recover(label, lastError!);
        return await work(this.dut);
      } catch (error) {
        if (!(error instanceof Error) || !isRecoverable(error)) throw error;
        if (error instanceof DutResetError) this.stats.resets++;
        lastError = error;
        if (attempt < this.attempts) this.stats.retries++;
      }
    }
    throw new SampleFailedError(label, this.attempts, lastError!, this.channel.lastLines());
  }

  private async recover(label: string, cause: Error): Promise<void> {
    this.options.onRecovery?.(`${label}: ${cause.message.split('\n')[0]}; recovering`);
    if (!this.connection.link.isOpen || cause instanceof LinkClosedError) await this.reopen();
    else if (this.connection.resync) {
      const link = await this.connection.resync();
      this.connection.link = link;
      this.attach(link);
      this.options.onRecovery?.(`resynchronised ${link.description}`);
    }
    await this.channel.settle(this.dut.settleMs, Math.max(this.connection.bootWaitMs, 1000));
    const identity = await this.dut.identify();
    if (this.identity && identity.model !== this.identity.model) {
      throw new DutMismatchError(`After recovering, the DUT reports model '${identity.model}' instead of '${this.identity.model}'`);
    }
  }

  private async reopen(): Promise<void> {
    if (!this.connection.reopen) throw new TinyBenchError(`Lost ${this.connection.link.description} and cannot reopen it`);
    const backoff = this.options.reopenBackoffMs ?? [50, 250, 500, 1000, 2000, 4000];
    let lastError: unknown;
    for (const waitMs of backoff) {
      await new Promise((r) => setTimeout(r, waitMs));
      try {
        const link = await this.connection.reopen();
        this.connection.link = link;
        this.attach(link);
        this.stats.reconnects++;
        this.options.onRecovery?.(`reopened ${link.description}`);
        return;
      } catch (error) {
        lastError = error;
      }
    }
    throw new TinyBenchError(`Could not reopen ${this.connection.link.description} after ${backoff.length} attempts: ${lastError instanceof Error ? lastError.message : String(lastError)}`);
  }

  close(): void {
    this.channel.close();
  }
}

/** Link trouble worth another attempt; a wrong DUT or bad data is not. */
function isRecoverable(error: Error): boolean {
  return error instanceof ProtocolError || error instanceof TimeoutError || error instanceof LinkClosedError || error instanceof DutReportedError;
}
