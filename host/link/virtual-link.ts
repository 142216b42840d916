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

class VirtualEnd extends LinkEvents implements Link {
  peer!: VirtualEnd;
  open = true;
  /** When the wire is free again, for baud pacing (ms of the performance clock, or µs of the wire's SimClock). */
  private busyUntil = 0;
  /** Chunks on the wall-clock wire, oldest first. */
  private readonly inFlight: Array<{ atMs: number; deliver: () => void; resolve: () => void }> = [];
  private waking = false;

  constructor(
    readonly description: string,
    private readonly wire: WireModel,
  ) {
    super();
  }

  get isOpen(): boolean {
    return this.open;
  }

  write(data: Uint8Array): Promise<void> {
    if (!this.open) return Promise.reject(new LinkClosedError(`${this.description} is closed`));
    const faulted = this.wire.faults?.apply(data);
    const chunk = faulted ? faulted.data : new Uint8Array(data);
    const deliver = (): void => {
      if (this.peer.open && chunk.length) this.peer.data.emit(chunk);
      for (const event of faulted?.events ?? []) this.wire.onFaultEvent?.(event);
    };
    if (this.wire.clock) return this.writeOnClock(this.wire.clock, chunk, (faulted?.delayMs ?? 0) * 1000, deliver);
    const now = performance.now();
    const start = Math.max(now, this.busyUntil);
    const txMs = this.wire.baudRate ? (chunk.length * 10 * 1000) / this.wire.baudRate : 0;
    this.busyUntil = start + txMs + (faulted?.delayMs ?? 0);
    return new Promise((resolve) => {
      this.inFlight.push({ atMs: this.busyUntil + (this.wire.latencyMs ?? 0), deliver, resolve });
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

  private writeOnClock(clock: WireClock, chunk: Uint8Array, extraUs: number, deliver: () => void): Promise<void> {
    const start = Math.max(clock.nowUs, this.busyUntil);
    const txUs = this.wire.baudRate ? (chunk.length * 10 * 1e6) / this.wire.baudRate : 0;
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
export function createVirtualPair(description: string, wire: WireModel = {}): { host: Link; device: Link } {
  const host = new VirtualEnd(description, wire);
  const device = new VirtualEnd(`${description} (device side)`, wire);
  host.peer = device;
  device.peer = host;
  return { host, device };
}
