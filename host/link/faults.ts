/**
 * Fault injection for VirtualLink wires: what real USB-serial links and
 * boards do to a runner, on demand and reproducibly (seeded).
 */
export const FAULT_KINDS = ['drop', 'duplicate', 'corrupt', 'stall', 'disconnect', 'reset'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultOptions {
  /** Probability per byte of a byte fault (drop, duplicate, corrupt, stall). */
  rate: number;
  /** Probability per byte of a device event (disconnect, reset); default rate / 50. */
  eventRate?: number;
  kinds?: readonly FaultKind[];
  seed?: number;
  /** How long a stall holds a chunk back (default 20 ms). */
  stallMs?: number;
}

/** Small, fast, seedable PRNG (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FaultedChunk {
  data: Uint8Array;
  delayMs: number;
  /** Device-level events to raise after delivering this chunk. */
  events: Array<'disconnect' | 'reset'>;
}

export class FaultInjector {
  readonly counts: Record<FaultKind, number> = { drop: 0, duplicate: 0, corrupt: 0, stall: 0, disconnect: 0, reset: 0 };
  private readonly random: () => number;
  private readonly byteKinds: readonly FaultKind[];
  private readonly eventKinds: readonly FaultKind[];
  private readonly eventRate: number;
  /** Bytes until the next byte fault / device event (geometric spacing). */
  private untilByteFault: number;
  private untilEvent: number;

  constructor(private readonly options: FaultOptions) {
    this.random = seededRandom(options.seed ?? 1);
    const kinds = options.kinds?.length ? options.kinds : FAULT_KINDS;
    this.byteKinds = kinds.filter((k) => k !== 'disconnect' && k !== 'reset');
    this.eventKinds = kinds.filter((k) => k === 'disconnect' || k === 'reset');
    this.eventRate = options.eventRate ?? options.rate / 50;
    this.untilByteFault = this.byteKinds.length ? this.gap(options.rate) : Infinity;
    this.untilEvent = this.eventKinds.length ? this.gap(this.eventRate) : Infinity;
  }

  get total(): number {
    return Object.values(this.counts).reduce((a, b) => a + b, 0);
  }

  private gap(rate: number): number {
    if (rate <= 0) return Infinity;
    return Math.max(1, Math.ceil(-Math.log(1 - this.random()) / rate));
  }

  apply(chunk: Uint8Array): FaultedChunk {
    const out: number[] = [];
    const events: FaultedChunk['events'] = [];
    let delayMs = 0;
    for (const byte of chunk) {
      if (--this.untilEvent <= 0) {
        this.untilEvent = this.gap(this.eventRate);
        const event = this.eventKinds[Math.floor(this.random() * this.eventKinds.length)] as 'disconnect' | 'reset';
        this.counts[event]++;
        events.push(event);
      }
      if (--this.untilByteFault > 0) {
        out.push(byte);
        continue;
      }
      this.untilByteFault = this.gap(this.options.rate);
      const kind = this.byteKinds[Math.floor(this.random() * this.byteKinds.length)]!;
      this.counts[kind]++;
      switch (kind) {
        case 'drop':
          break;
        case 'duplicate':
          out.push(byte, byte);
          break;
        case 'corrupt':
          out.push(byte ^ (1 << Math.floor(this.random() * 8)));
          break;
        default: // stall
          out.push(byte);
          delayMs += this.options.stallMs ?? 20;
      }
    }
    return { data: Uint8Array.from(out), delayMs, events };
  }
}
