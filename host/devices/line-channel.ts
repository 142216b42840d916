import { LineTooLongError, LinkClosedError, TimeoutError, TinyBenchError } from '../errors.js';
import type { Link } from '../link/link.js';
import { waitForQuiet } from '../link/quiet.js';
import { frame } from '../protocol/commands.js';
import { cleanLine, mayBeDamagedEnd, textBeforeReady } from '../protocol/replies.js';

export type Direction = 'tx' | 'rx';
export type TranscriptSink = (direction: Direction, text: string) => void;

export interface LineChannelOptions {
  /** A line longer than this without '\n' fails the pending command (bounded buffer). */
  maxLineLength?: number;
  transcript?: TranscriptSink;
  /**
   * After tiny-bench firmware's integrity line (which it sends just before
   * m-ready), wait at most this long for m-ready: a damaged m-ready then costs
   * this grace period instead of the whole command timeout. Default 250 ms.
   */
  integrityGraceMs?: number;
  /** Ring of recent lines to write into; a session passes one ring to every channel it opens. */
  recentLines?: string[];
}

interface Pending {
  lines: string[];
  resolve: (lines: string[]) => void;
  reject: (error: Error) => void;
  grace?: ReturnType<typeof setTimeout>;
  /** 'crc': an intact integrity line came, only m-ready is missing; 'guess': the last line looked like a damaged end. */
  graceFor?: 'crc' | 'guess';
  /** A reply sent ahead (sendAhead): its own timeout runs once the replies before it are complete. */
  ahead?: { timeoutMs: number; noReply: string; timer?: ReturnType<typeof setTimeout> };
  /** How long the reply may take to start (see command()), and its timer, cleared by the first line. */
  start?: { ms: number; what: string; timer?: ReturnType<typeof setTimeout> };
}

const RECENT = 24;

/**
 * Turns a Link's bytes into lines and runs one command at a time: send
 * `text%`, collect lines until `m-ready`. Every wait is bounded.
 */
export class LineChannel {
  private partial = '';
  private discarding = false;
  private pending: Pending | undefined;
  /** Replies due after the pending one, in the order their bytes were written (sendAhead). */
  private readonly due: Pending[] = [];
  private readonly recent: string[];
  private readonly unsolicitedListeners = new Set<(line: string) => void>();
  private closedError: Error | undefined;
  /** Boot banners seen (`m-init-done`), whether or not a command was waiting: the DUT restarted. */
  resets = 0;
  private readonly maxLineLength: number;
  private readonly unsubscribe: Array<() => void>;

  constructor(
    readonly link: Link,
    private readonly options: LineChannelOptions = {},
  ) {
    this.maxLineLength = options.maxLineLength ?? 16384;
    this.recent = options.recentLines ?? [];
    this.unsubscribe = [
      link.onData((chunk) => this.receive(chunk)),
      link.onClose((error) => {
        // Whatever a link reports when it goes away, for its user it is a lost link (recoverable by reopening).
        this.closedError =
          error instanceof TinyBenchError ? error : new LinkClosedError(`${link.description} was ${error ? `lost: ${error.message}` : 'closed'}`);
        this.fail(this.closedError);
      }),
    ];
  }

  /** The last lines sent and received, oldest first, for error reports. */
  lastLines(): string[] {
    return [...this.recent];
  }

  /** Lines that arrive while no command waits (boot banners, resets). */
  onUnsolicited(listener: (line: string) => void): () => void {
    this.unsolicitedListeners.add(listener);
    return () => this.unsolicitedListeners.delete(listener);
  }

  /**
   * Sends `text%` and resolves with the reply lines, excluding the final
   * m-ready. `startMs`: a DUT known to answer at once before a long job
   * (tiny-bench firmware prints m-warmup-start before an infer runs) must
   * have sent a line by then, or the command was lost on the way: that
   * fails in `startMs`, not in the job's whole timeout.
   */
  command(text: string, timeoutMs: number, startMs?: number): Promise<string[]> {
    return this.exchange(`'${text}'`, text, frame(text), `No complete reply to '${abbreviate(text)}'`, timeoutMs, startMs);
  }

  /**
   * Writes raw bytes that are not a command (a `db bin` block) and resolves
   * with the reply the DUT sends once it has them all, like command().
   */
  sendRaw(bytes: Uint8Array, what: string, timeoutMs: number): Promise<string[]> {
    return this.exchange(what, `<${what}>`, bytes, `No reply to ${what}`, timeoutMs);
  }

  /**
   * Writes bytes while replies to earlier ones may still be due: the DUT
   * reads them into its RX buffer and answers in order, so this reply is the
   * one after theirs. Its timeout starts once they are complete. Any failure
   * (a timeout, a lost link, a line too long) fails every reply still due:
   * after it, replies can no longer be matched to what was sent. The caller
   * bounds how many bytes are unanswered (the DUT's advertised RX buffer).
   */
  sendAhead(bytes: Uint8Array, logged: string, what: string, timeoutMs: number, startMs?: number): { written: Promise<void>; reply: Promise<string[]> } {
    if (this.closedError) {
      const failed = Promise.reject(this.closedError);
      failed.catch(() => {});
      return { written: failed, reply: failed };
    }
    const entry: Pending = {
      lines: [],
      resolve: () => {},
      reject: () => {},
      ahead: { timeoutMs, noReply: `No reply to ${what}` },
      ...(startMs !== undefined ? { start: { ms: startMs, what } } : {}),
    };
    const reply = new Promise<string[]>((resolve, reject) => {
      entry.resolve = resolve;
      entry.reject = reject;
    });
    reply.catch(() => {});
    if (this.pending) this.due.push(entry);
    else this.makeDue(entry);
    this.note('tx', logged);
    const written = this.link.write(bytes);
    written.catch(() => {});
    return { written, reply };
  }

  /** Gives up on every reply still due (they fail with `error`); what arrives later is unsolicited. */
  abandonReplies(error: Error): void {
    this.fail(error);
  }

  /** The pending reply is now `entry`; a reply sent ahead starts its own timeout here. */
  private makeDue(entry: Pending): void {
    this.pending = entry;
    const ahead = entry.ahead;
    if (ahead)
      ahead.timer = setTimeout(
        () => this.fail(new TimeoutError(`${ahead.noReply} within ${formatMs(ahead.timeoutMs)} on ${this.link.description}`, this.lastLines())),
        ahead.timeoutMs,
      );
    // The DUT takes it up once the replies before it are complete.
    this.armStart(entry);
  }

  /** Fails the reply if its first line has not come within its start bound (see command()). */
  private armStart(entry: Pending): void {
    const start = entry.start;
    if (!start || entry.lines.length > 0) return;
    start.timer = setTimeout(() => {
      if (this.pending === entry && entry.lines.length === 0)
        this.fail(
          new TimeoutError(
            `No reply started to ${start.what} within ${formatMs(start.ms)} on ${this.link.description}: the command was lost on the way`,
            this.lastLines(),
          ),
        );
    }, start.ms);
  }

  /** One write and the reply it gets, at most one at a time, bounded by `timeoutMs`. */
  private async exchange(what: string, logged: string, bytes: Uint8Array, noReply: string, timeoutMs: number, startMs?: number): Promise<string[]> {
    if (this.pending) throw new TinyBenchError(`Internal error: ${what} sent while another command is pending`);
    if (this.closedError) throw this.closedError;
    let entry: Pending | undefined;
    const reply = new Promise<string[]>((resolve, reject) => {
      entry = this.pending = { lines: [], resolve, reject, ...(startMs !== undefined ? { start: { ms: startMs, what } } : {}) };
    });
    // The link can fail while the bytes are still being written, before the
    // reply is awaited: mark the rejection handled now; it is rethrown below.
    reply.catch(() => {});
    const timer = setTimeout(
      () => this.fail(new TimeoutError(`${noReply} within ${formatMs(timeoutMs)} on ${this.link.description}`, this.lastLines())),
      timeoutMs,
    );
    try {
      this.note('tx', logged);
      // The timeout bounds the write too: a DUT that stops reading leaves the
      // port's buffer full and the write pending for good.
      const written = this.link.write(bytes);
      written.catch(() => {});
      await Promise.race([written, reply]);
      // The start bound counts from the command's last byte.
      if (this.pending === entry) this.armStart(entry!);
      return await reply;
    } catch (error) {
      this.pending = undefined;
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Writes bytes that get no reply of their own (filler that ends a cut
   * binary block), bounded: a DUT that stopped reading must not stall us.
   */
  async writeBounded(bytes: Uint8Array, what: string, timeoutMs: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new TimeoutError(
              `Writing ${what} did not finish within ${formatMs(timeoutMs)} on ${this.link.description}: the DUT stopped reading`,
              this.lastLines(),
            ),
          ),
        timeoutMs,
      );
    });
    const written = this.link.write(bytes);
    written.catch(() => {});
    try {
      await Promise.race([written, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits for an unsolicited line matching `predicate` (e.g. a boot banner). */
  waitForLine(predicate: (line: string) => boolean, timeoutMs: number, what: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new TimeoutError(`No ${what} within ${formatMs(timeoutMs)} on ${this.link.description}`, this.lastLines()));
      }, timeoutMs);
      const off = this.onUnsolicited((line) => {
        if (predicate(line)) {
          clearTimeout(timer);
          off();
          resolve(line);
        }
      });
    });
  }

  /**
   * Resolves once nothing has been received for `quietMs` (at most `maxMs`):
   * lets a boot banner or a stale reply pass as unsolicited lines, so the
   * next command's reply starts clean.
   */
  settle(quietMs: number, maxMs: number): Promise<void> {
    return waitForQuiet(this.link, quietMs, maxMs);
  }

  close(): void {
    for (const off of this.unsubscribe) off();
  }

  private receive(chunk: Uint8Array): void {
    // latin1 maps every byte to one char, so binary garbage cannot split or merge lines.
    const text = Buffer.from(chunk).toString('latin1');
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      const piece = text.slice(start, nl < 0 ? undefined : nl);
      if (!this.discarding) this.partial += piece;
      if (this.partial.length > this.maxLineLength) {
        this.partial = '';
        this.discarding = true;
        this.fail(
          new LineTooLongError(`Received a line longer than ${this.maxLineLength} characters without a newline on ${this.link.description}`, this.lastLines()),
        );
      }
      if (nl < 0) break;
      if (!this.discarding) this.line(cleanLine(this.partial));
      this.partial = '';
      this.discarding = false;
      start = nl + 1;
    }
  }

  private line(line: string): void {
    this.note('rx', line);
    if (line === 'm-init-done') this.resets++;
    if (!this.pending) {
      for (const listener of [...this.unsolicitedListeners]) listener(line);
      return;
    }
    clearTimeout(this.pending.start?.timer);
    const before = textBeforeReady(line);
    if (before !== undefined) {
      if (before) this.pending.lines.push(before);
      this.complete();
    } else {
      const pending = this.pending;
      pending.lines.push(line);
      if (line.startsWith('m-crc-[')) this.startGrace(pending, 'crc');
      // A guessed end is only the end if nothing follows it within the grace.
      else if (mayBeDamagedEnd(line)) this.startGrace(pending, pending.graceFor === 'crc' ? 'crc' : 'guess');
      else if (pending.graceFor === 'guess') {
        clearTimeout(pending.grace);
        pending.graceFor = undefined;
      }
    }
  }

  /** Completes the reply after the grace period unless its real end (or, for a guess, any line) comes first. */
  private startGrace(pending: Pending, why: 'crc' | 'guess'): void {
    if (why === 'crc' && pending.graceFor === 'crc') return;
    clearTimeout(pending.grace);
    pending.graceFor = why;
    pending.grace = setTimeout(() => {
      if (this.pending === pending) this.complete();
    }, this.options.integrityGraceMs ?? 250);
  }

  private complete(): void {
    const pending = this.pending!;
    clearTimeout(pending.grace);
    clearTimeout(pending.ahead?.timer);
    clearTimeout(pending.start?.timer);
    this.pending = undefined;
    const next = this.due.shift();
    if (next) this.makeDue(next);
    pending.resolve(pending.lines);
  }

  private fail(error: Error): void {
    const pending = this.pending;
    this.pending = undefined;
    if (pending) {
      clearTimeout(pending.grace);
      clearTimeout(pending.ahead?.timer);
      clearTimeout(pending.start?.timer);
    }
    pending?.reject(error);
    for (const entry of this.due.splice(0)) entry.reject(error);
  }

  private note(direction: Direction, text: string): void {
    this.recent.push(`${direction === 'tx' ? '>' : '<'} ${abbreviate(text)}`);
    if (this.recent.length > RECENT) this.recent.shift();
    this.options.transcript?.(direction, text);
  }
}

export function abbreviate(text: string, max = 96): string {
  return text.length <= max ? text : `${text.slice(0, max)}…(+${text.length - max} chars)`;
}

function formatMs(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(0)} s` : `${ms} ms`;
}
