import { LinkClosedError } from '../errors.js';
import type { FaultInjector } from './faults.js';
import { type Link, LinkEvents } from './link.js';

/** The part of a virtual bench's clock a wire needs (host/sim's SimClock is one). */
export interface WireClock {
  readonly nowUs: number;
  at(atUs: number, run: () => void): void;
}

/**
 * How the virtual wire between two VirtualLink ends behaves. With no options
 * it is an instant, lossless pipe; tests and demos add baud-rate pacing,
 * latency and faults.
 */
export interface WireModel {
  /** Bits per second, 10 bits per byte (8N1). Undefined = unlimited. */
  baudRate?: number;
  /**
   * The rate both UARTs start at. With it, each end keeps its own rate
   * (setBaudRate), bytes are paced at the sender's, and bytes between ends
   * at different rates arrive garbled, as on a real wire.
   */
  lineRate?: number;
  /** Highest rate the wire carries intact (a bridge or cable's limit); faster bytes arrive garbled. */
  maxBaudRate?: number;
  /** One-way latency added to every chunk. */
  latencyMs?: number;
  /** Faults applied to bytes in both directions. */
  faults?: FaultInjector;
  /** Called for device-level faults (unplug, reset) the injector raises. */
  onFaultEvent?: (event: 'disconnect' | 'reset') => void;
  /**
   * Pace in a virtual bench's time instead of the wall clock: a byte takes
   * its transmission time on the clock, and arrives as soon as the bench has
   * nothing earlier to do.
   */
  clock?: WireClock;
}

/** A paced wire delivers a long write in pieces of this many milliseconds (at least PIECE_MIN_BYTES). */
const PIECE_MS = 2;
const PIECE_MIN_BYTES = 32;

class VirtualEnd extends LinkEvents implements Link {
  peer!: VirtualEnd;
  open = true;
  /** When the wire is free again, for baud pacing (ms of the performance clock, or µs of the wire's SimClock). */
  private busyUntil = 0;
  /** Chunks on the wall-clock wire, oldest first. */
  private readonly inFlight: Array<{ atMs: number; deliver: () => void; resolve: () => void }> = [];
  private waking = false;
  /** This end's UART rate (only with a line rate: see WireModel.lineRate). */
  rate: number | undefined;

  constructor(
    readonly description: string,
    private readonly wire: WireModel,
  ) {
    super();
    this.rate = wire.lineRate;
  }

  setBaudRate(baud: number): Promise<void> {
    this.rate = baud;
    return Promise.resolve();
  }

  /** Bytes as the peer's UART reads them: garbled when the rates differ or the wire cannot carry this one. */
  private asReceived(chunk: Uint8Array): Uint8Array {
    const rate = this.rate ?? this.wire.baudRate;
    const mismatch = this.rate !== undefined && this.peer.rate !== undefined && this.rate !== this.peer.rate;
    const tooFast = this.wire.maxBaudRate !== undefined && rate !== undefined && rate > this.wire.maxBaudRate;
    // Framing errors read as NUL bytes: never a '%' or a newline, so nothing passes for a command or a line.
    return mismatch || tooFast ? new Uint8Array(chunk.length) : chunk;
  }

  get isOpen(): boolean {
    return this.open;
  }

  write(data: Uint8Array): Promise<void> {
    if (!this.open) return Promise.reject(new LinkClosedError(`${this.description} is closed`));
    const faulted = this.wire.faults?.apply(data);
    const chunk = this.asReceived(faulted ? faulted.data : new Uint8Array(data));
    const paceRate = this.wire.baudRate === undefined ? undefined : (this.rate ?? this.wire.baudRate);
    const deliver = (): void => deliverLast(chunk);
    const deliverLast = (bytes: Uint8Array): void => {
      if (this.peer.open && bytes.length) this.peer.data.emit(bytes);
      for (const event of faulted?.events ?? []) this.wire.onFaultEvent?.(event);
    };
    if (this.wire.clock) return this.writeOnClock(this.wire.clock, chunk, (faulted?.delayMs ?? 0) * 1000, deliver, paceRate);
    const now = performance.now();
    const start = Math.max(now, this.busyUntil) + (faulted?.delayMs ?? 0);
    const txMs = paceRate ? (chunk.length * 10 * 1000) / paceRate : 0;
    this.busyUntil = start + txMs;
    const latency = this.wire.latencyMs ?? 0;
    // A paced wire hands the receiver its bytes as they come off the line, a few
    // milliseconds' worth at a time, as a UART does: a long write (inputs sent
    // ahead of their replies) must not reach the DUT only once its last byte has.
    const piece = paceRate ? Math.max(PIECE_MIN_BYTES, Math.ceil((paceRate / 10) * (PIECE_MS / 1000))) : chunk.length;
    return new Promise((resolve) => {
      for (let at = piece; at < chunk.length; at += piece) {
        const part = chunk.subarray(at - piece, at);
        this.inFlight.push({
          atMs: start + (at * txMs) / chunk.length + latency,
          deliver: () => this.peer.open && this.peer.data.emit(part),
          resolve: () => {},
        });
      }
      const last = chunk.length > piece ? chunk.subarray(Math.floor((chunk.length - 1) / piece) * piece) : chunk;
      this.inFlight.push({ atMs: this.busyUntil + latency, deliver: last === chunk ? deliver : () => deliverLast(last), resolve });
      this.pump();
    });
  }

  /**
   * Delivers chunks in the order they were written, each at its arrival time.
   * Timers only wake us up to a millisecond early; the rest is waited out in
   * immediates, because a 1 ms turnaround cannot be modelled with 1 ms timers.
   * Always asynchronous, like a real port: a reply never arrives inside write().
   */
  private pump(): void {
    if (this.waking || !this.inFlight.length) return;
    this.waking = true;
    const waitMs = this.inFlight[0]!.atMs - performance.now();
    const wake = (): void => {
      this.waking = false;
      // One chunk per macrotask, so whatever the receiver starts on one runs before the next arrives.
      if (this.inFlight[0]!.atMs <= performance.now()) {
        const next = this.inFlight.shift()!;
        next.deliver();
        next.resolve();
      }
      this.pump();
    };
    if (waitMs > 2) setTimeout(wake, waitMs - 1);
    else setImmediate(wake);
  }

  private writeOnClock(clock: WireClock, chunk: Uint8Array, extraUs: number, deliver: () => void, paceRate: number | undefined): Promise<void> {
    const start = Math.max(clock.nowUs, this.busyUntil);
    const txUs = paceRate ? (chunk.length * 10 * 1e6) / paceRate : 0;
    this.busyUntil = start + txUs + extraUs;
    return new Promise((resolve) => {
      clock.at(this.busyUntil + (this.wire.latencyMs ?? 0) * 1000, () => {
        deliver();
        resolve();
      });
    });
  }

  /** Closes both ends; the peer sees it as a lost link. */
  close(): Promise<void> {
    if (this.open) {
      this.open = false;
      this.closed.emit(undefined);
      if (this.peer.open) {
        this.peer.open = false;
        this.peer.closed.emit(new LinkClosedError(`${this.peer.description}: the other end closed`));
      }
    }
    return Promise.resolve();
  }
}

/** Two connected Link ends: `host` for the runner, `device` for a simulated device. */
export function createVirtualPair(
  description: string,
  wire: WireModel = {},
): { host: Link & { setBaudRate(baud: number): Promise<void> }; device: Link & { setBaudRate(baud: number): Promise<void> } } {
  const host = new VirtualEnd(description, wire);
  const device = new VirtualEnd(`${description} (device side)`, wire);
  host.peer = device;
  device.peer = host;
  return { host, device };
}
