/**
 * An interface board (STM32H573I-DK or Arduino io-manager) between the host
 * and a DUT in energy mode. The board has its own few commands; the DUT
 * behind it is exposed as another Link, so the unchanged Dut client drives
 * it through `dut <cmd>` passthroughs. Every wait is bounded: the board
 * itself waits forever for a DUT that never finishes, so the host must not.
 */
import { BoardStalledError, LinkClosedError, ProtocolError, TimeoutError } from '../errors.js';
import { type Link, LinkEvents } from '../link/link.js';
import { waitForQuiet } from '../link/quiet.js';
import { TextFramer } from '../protocol/framing.js';
import {
  BOARD_DUT_COMMAND_LIMIT,
  BOARD_NAMES,
  type BoardKind,
  PassthroughReply,
  parseBoardName,
  parseCheckBaud,
  passthroughCommand,
} from '../protocol/interface-board.js';
import { READY, cleanLine, textBeforeReady } from '../protocol/replies.js';
import type { TranscriptSink } from './line-channel.js';

export interface InterfaceBoardOptions {
  /** Board commands (name, checkbaud). */
  commandTimeoutMs?: number;
  /** From `dut <cmd>%` to the board's acknowledgement. */
  ackTimeoutMs?: number;
  /** How long a new DUT command waits for the previous passthrough to finish before the board counts as stuck. */
  stallTimeoutMs?: number;
  /** `setbaud` resets the board: time to let it boot. */
  resetWaitMs?: number;
  /** Stale output is drained until the board has been quiet this long (at most drainMaxMs). */
  drainQuietMs?: number;
  drainMaxMs?: number;
  transcript?: TranscriptSink;
}

interface BoardCommand {
  lines: string[];
  resolve: (lines: string[]) => void;
}

export class InterfaceBoard {
  kind: BoardKind = 'stm32h573i-dk';
  private readonly lines = new TextFramer('\n', 16384);
  private pending: BoardCommand | undefined;
  private passthrough: ((line: string) => void) | undefined;
  private current: InterfaceBoardLink | undefined;
  private readonly opts: Required<Omit<InterfaceBoardOptions, 'transcript'>>;
  private readonly off: () => void;
  /** Lines that arrived outside any command (stale output, a DUT talking between passthroughs). */
  readonly strayLines: string[] = [];

  private constructor(
    readonly link: Link,
    private readonly options: InterfaceBoardOptions,
  ) {
    this.opts = {
      commandTimeoutMs: options.commandTimeoutMs ?? 2000,
      ackTimeoutMs: options.ackTimeoutMs ?? 2000,
      stallTimeoutMs: options.stallTimeoutMs ?? 5000,
      resetWaitMs: options.resetWaitMs ?? 1500,
      drainQuietMs: options.drainQuietMs ?? 100,
      drainMaxMs: options.drainMaxMs ?? 2000,
    };
    this.off = link.onData((chunk) => this.receive(chunk));
  }

  /** Drains whatever the board still had to say, then identifies it with `name`. */
  static async connect(link: Link, options: InterfaceBoardOptions = {}): Promise<InterfaceBoard> {
    const board = new InterfaceBoard(link, options);
    await board.drain();
    let lines = await board.command('name');
    let kind = parseBoardName(lines);
    if (!kind) {
      // A stale m-ready may have ended that reply early: once more after the line has gone quiet.
      await board.drain();
      lines = await board.command('name');
      kind = parseBoardName(lines);
    }
    if (!kind)
      throw new ProtocolError(
        `${link.description} answered 'name' with ${JSON.stringify(lines)}, which is neither the STM32H573I-DK interface board nor the Arduino io-manager`,
        lines,
      );
    board.kind = kind;
    return board;
  }

  get description(): string {
    return `${BOARD_NAMES[this.kind]} on ${this.link.description}`;
  }

  /** Sends a board command and returns its reply lines without the final m-ready. */
  command(text: string, timeoutMs = this.opts.commandTimeoutMs): Promise<string[]> {
    if (this.pending || this.passthrough)
      return Promise.reject(new BoardStalledError(`'${text}' sent to ${this.description} while it is still busy with an earlier command`));
    return new Promise<string[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        reject(new TimeoutError(`${this.description} did not finish its reply to '${text}' within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending = {
        lines: [],
        resolve: (lines) => {
          clearTimeout(timer);
          resolve(lines);
        },
      };
      this.note('tx', text);
      this.link.write(new TextEncoder().encode(`${text}%`)).catch((error: unknown) => {
        clearTimeout(timer);
        this.pending = undefined;
        reject(error);
      });
    });
  }

  async checkBaud(): Promise<number> {
    if (this.kind === 'arduino') return 9600;
    return parseCheckBaud(await this.command('checkbaud'));
  }

  /**
   * Sets the board's DUT baud rate. The board stores it and resets, which
   * also empties its queue of DUT lines; output the DUT sent before (its boot
   * banner) would otherwise be taken as the reply to the next command.
   */
  async setBaud(baud: number): Promise<void> {
    if (this.kind === 'arduino') return;
    const lines = await this.command(`setbaud ${baud}`);
    if (!lines.some((l) => l.trim() === `set baud to: ${baud}`)) throw new ProtocolError(`${this.description} did not confirm 'setbaud ${baud}'`, lines);
    await new Promise((r) => setTimeout(r, this.opts.resetWaitMs));
    await this.drain();
    const now = await this.checkBaud();
    if (now !== baud) throw new ProtocolError(`${this.description} reports baud ${now} after 'setbaud ${baud}' (values above 2 000 000 fall back to 9600)`);
  }

  /** The DUT behind the board, as a Link for the Dut client. */
  dutLink(): Link {
    void this.current?.close();
    this.current = new InterfaceBoardLink(this, this.opts);
    return this.current;
  }

  /**
   * A fresh DUT link after a failure: the board is reset through `setbaud`
   * (the same rate), which empties its queue of DUT lines, so replies line up
   * with commands again.
   */
  async resync(baud: number): Promise<Link> {
    await this.current?.close();
    this.current = undefined;
    await this.setBaud(baud);
    return this.dutLink();
  }

  /** Routes board lines to one passthrough at a time (used by InterfaceBoardLink). */
  beginPassthrough(onLine: (line: string) => void): void {
    this.passthrough = onLine;
  }

  endPassthrough(): void {
    this.passthrough = undefined;
  }

  note(direction: 'tx' | 'rx', text: string): void {
    this.options.transcript?.(direction, `[board] ${text}`);
  }

  /** Waits until the board has been quiet for drainQuietMs (bounded), discarding what arrives. */
  async drain(): Promise<void> {
    await waitForQuiet(this.link, this.opts.drainQuietMs, this.opts.drainMaxMs);
    this.lines.reset();
  }

  close(): void {
    this.off();
  }

  private receive(chunk: Uint8Array): void {
    for (const raw of this.lines.push(chunk)) this.line(cleanLine(raw));
  }

  private line(line: string): void {
    this.note('rx', line);
    if (this.passthrough) {
      this.passthrough(line);
      return;
    }
    const pending = this.pending;
    if (!pending) {
      if (line) this.strayLines.push(line);
      return;
    }
    // print_dutycycle can glue m-ready to its last value line.
    const before = textBeforeReady(line);
    if (before !== undefined) {
      if (before) pending.lines.push(before);
      this.pending = undefined;
      pending.resolve(pending.lines);
    } else if (line) {
      pending.lines.push(line);
    }
  }
}

/**
 * The DUT behind an interface board, as a Link. Each `<cmd>%` written
 * becomes one `dut <cmd>%` passthrough; the DUT's lines come back without
 * their `[dut]: ` prefix, ending with the DUT's `m-ready`, exactly as if the
 * DUT were on the wire. Commands are relayed one at a time.
 */
export class InterfaceBoardLink extends LinkEvents implements Link {
  readonly maxCommandLength = BOARD_DUT_COMMAND_LIMIT;
  private open = true;
  private readonly framer = new TextFramer('%');
  private queue: Promise<void> = Promise.resolve();
  /** Settles when the current passthrough has ended (DUT m-ready seen). */
  private current: { command: string; since: number; done: Promise<void> } | undefined;
  private readonly offClose: () => void;

  constructor(
    private readonly board: InterfaceBoard,
    private readonly opts: Required<Omit<InterfaceBoardOptions, 'transcript'>>,
  ) {
    super();
    this.offClose = board.link.onClose((error) => this.fail(error ?? new LinkClosedError(`${board.description} was closed`)));
  }

  get description(): string {
    return `DUT behind the ${this.board.description}`;
  }

  get isOpen(): boolean {
    return this.open && this.board.link.isOpen;
  }

  write(bytes: Uint8Array): Promise<void> {
    if (!this.isOpen) return Promise.reject(new LinkClosedError(`${this.description} is closed`));
    for (const command of this.framer.push(bytes)) {
      this.queue = this.queue.then(() => this.relay(command)).catch((error: unknown) => this.fail(error instanceof Error ? error : new Error(String(error))));
    }
    return Promise.resolve();
  }

  close(): Promise<void> {
    if (this.open) {
      this.open = false;
      this.offClose();
      this.board.endPassthrough();
      this.closed.emit(undefined);
    }
    return Promise.resolve();
  }

  private async relay(command: string): Promise<void> {
    if (!this.open) return;
    const previous = this.current;
    if (previous) {
      const finished = await Promise.race([previous.done.then(() => true), sleep(this.opts.stallTimeoutMs).then(() => false)]);
      if (!finished) {
        const ago = ((performance.now() - previous.since) / 1000).toFixed(1);
        throw new BoardStalledError(
          `The DUT behind the ${this.board.description} never finished its reply to '${previous.command}' (relayed ${ago} s ago); the board waits for the DUT's m-ready forever. ` +
            `Check the DUT's power, the D0/D1 wiring, that the DUT runs at the board's baud rate (9600 in energy mode) and, on the STM32H573I-DK, that an SD card is inserted; then reset the interface board.`,
        );
      }
    }
    const text = passthroughCommand(command);
    const reply = new PassthroughReply(command);
    let acknowledged!: () => void;
    const ack = new Promise<void>((r) => (acknowledged = r));
    let finished!: () => void;
    const done = new Promise<void>((r) => (finished = r));
    this.current = { command, since: performance.now(), done };
    this.board.beginPassthrough((line) => {
      const event = reply.line(line);
      if (event.kind === 'ack') acknowledged();
      else if (event.kind === 'dut-line') this.emit(`${event.line}\r\n`);
      else if (event.kind === 'unexpected' && line) this.board.note('rx', `(not part of the passthrough) ${line}`);
      else if (event.kind === 'done') {
        this.board.endPassthrough();
        this.current = undefined;
        this.emit(`${READY}\r\n`);
        finished();
      }
    });
    this.board.note('tx', text);
    await this.board.link.write(new TextEncoder().encode(`${text}%`));
    const acked = await Promise.race([ack.then(() => true), sleep(this.opts.ackTimeoutMs).then(() => false)]);
    if (!acked && !reply.acknowledged) {
      this.board.endPassthrough();
      this.current = undefined;
      throw new BoardStalledError(
        `The ${this.board.description} did not acknowledge '${text}' within ${this.opts.ackTimeoutMs} ms (expected 'm-dut-passthrough(${command})' and 'm-ready'); it may still be waiting for the DUT to finish an earlier command. Reset the interface board.`,
      );
    }
  }

  private emit(text: string): void {
    if (this.open) this.data.emit(new TextEncoder().encode(text));
  }

  private fail(error: Error): void {
    if (!this.open) return;
    this.open = false;
    this.offClose();
    this.board.endPassthrough();
    this.closed.emit(error);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref?.());
}
