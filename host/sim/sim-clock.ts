/**
 * The virtual bench's time. Devices schedule what they do at virtual
 * microseconds (a byte arriving after its 9600-baud transmission, a reply
 * after the DUT's compute time); events run in time order, one per macrotask
 * so the host reacts to each before the next. With nothing scheduled, time
 * follows the wall clock, so a host that waits (a boot delay) sees time pass
 * and an idle DUT keeps drawing idle power.
 */
interface Scheduled {
  atUs: number;
  seq: number;
  run: () => void;
}

export type AdvanceListener = (fromUs: number, toUs: number) => void;

const IDLE_TICK_MS = 5;

export class SimClock {
  private now = 0;
  private seq = 0;
  private queue: Scheduled[] = [];
  private readonly listeners = new Set<AdvanceListener>();
  private pumping = false;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private lastRealMs = performance.now();
  private stopped = false;

  get nowUs(): number {
    return this.now;
  }

  /** Runs `run` at virtual time `atUs` (never before now). */
  at(atUs: number, run: () => void): void {
    if (this.stopped) return;
    const item = { atUs: Math.max(atUs, this.now), seq: this.seq++, run };
    // Sorted insert: queues stay short (a few bytes in flight per wire).
    let i = this.queue.length;
    while (i > 0 && this.queue[i - 1]!.atUs > item.atUs) --i;
    this.queue.splice(i, 0, item);
    this.wake();
  }

  after(delayUs: number, run: () => void): void {
    this.at(this.now + delayUs, run);
  }

  /** Told of every step of time, e.g. an energy monitor integrating power over it. */
  onAdvance(listener: AdvanceListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stop(): void {
    this.stopped = true;
    this.queue = [];
    clearTimeout(this.idleTimer);
  }

  private advanceTo(t: number): void {
    if (t <= this.now) return;
    const from = this.now;
    this.now = t;
    for (const listener of [...this.listeners]) listener(from, t);
  }

  private wake(): void {
    if (this.pumping || this.stopped) return;
    this.pumping = true;
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    setImmediate(() => this.step());
  }

  private step(): void {
    this.pumping = false;
    if (this.stopped) return;
    const next = this.queue.shift();
    if (next) {
      this.advanceTo(next.atUs);
      this.lastRealMs = performance.now();
      next.run();
      this.wake();
      return;
    }
    this.idle();
  }

  private idle(): void {
    if (this.idleTimer || this.stopped) return;
    this.lastRealMs = performance.now();
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.stopped || this.pumping) return;
      const real = performance.now();
      this.advanceTo(this.now + (real - this.lastRealMs) * 1000);
      this.lastRealMs = real;
      this.idle();
    }, IDLE_TICK_MS);
    // Idle time must not keep a finished program alive.
    this.idleTimer.unref();
  }

  /** Starts idle time flowing (a bench calls it once its devices are wired). */
  start(): void {
    if (!this.queue.length) this.idle();
  }
}
