/**
 * Driver for the Nordic Power Profiler Kit II (protocol reference §3.3), in
 * source-meter mode: it supplies the DUT and measures its current at
 * 100 kS/s. The DUT's timestamp pin goes to one of its logic inputs; an edge
 * is the 1 -> 0 transition of that bit (10 µs resolution). Energy between
 * edges is the sum of I x V x 10 µs, kept as a running total so a long
 * session never stores every raw sample; lost samples come from the 6-bit
 * rolling counter.
 */
import { MonitorError, TimeoutError } from '../host/errors.js';
import { type Link, Listeners } from '../host/link/link.js';
import { waitForQuiet } from '../host/link/quiet.js';
import { VIRTUAL_MONITOR_MARK } from './lpm01a.js';
import type { EdgeSpan, EnergyMonitor, MonitorHealth, PowerTrace } from './energy-monitor.js';
import { binnedPowerTrace, waitUntil } from './energy-monitor.js';
import { PPK2_SAMPLE_PERIOD_S, type Ppk2Calibration, decodePpk2Stream, parsePpk2Metadata } from './ppk2-samples.js';

export const PPK2_OPCODES = {
  averageStart: 0x06,
  averageStop: 0x07,
  deviceRunningSet: 0x0c,
  regulatorSet: 0x0d,
  setPowerMode: 0x11,
  getMetadata: 0x19,
} as const;

export interface Ppk2Options {
  /** Logic input wired to the DUT's timestamp pin (D0-D7). */
  timestampChannel?: number;
  metadataTimeoutMs?: number;
  transcript?: (direction: 'tx' | 'rx', text: string) => void;
}

interface Ppk2Edge {
  /** Raw sample index of the first low sample. */
  index: number;
  /** Joules from the start up to that sample. */
  energyJ: number;
}

/** Samples per trace bin kept for the report (1 ms). */
const BIN = 100;

export class Ppk2 implements EnergyMonitor {
  readonly kind = 'ppk2';
  readonly firmware = undefined;
  simulated = false;
  readonly sampleRateHz = 1 / PPK2_SAMPLE_PERIOD_S;
  private calibration!: Ppk2Calibration;
  private vddMv = 3300;
  private streaming = false;
  private rest = new Uint8Array(0);
  private index = 0;
  private energyJ = 0;
  private lastCounter: number | undefined;
  private lastLevel = 1;
  private readonly edges: Ppk2Edge[] = [];
  /** Energy per 1 ms bin, for traces. */
  private readonly bins: number[] = [];
  private binEnergy = 0;
  private metadataText = '';
  /** Fires on every chunk received, for waits on what it brought. */
  private readonly received = new Listeners<[]>();
  private readonly channel: number;
  private readonly off: () => void;

  private constructor(
    readonly link: Link,
    private readonly options: Ppk2Options,
  ) {
    this.channel = options.timestampChannel ?? 0;
    if (!(this.channel >= 0 && this.channel <= 7)) throw new MonitorError(`PPK2 logic inputs are D0-D7; channel ${this.channel} does not exist`);
    this.off = link.onData((chunk) => {
      const edges = this.edges.length;
      if (this.streaming) this.decode(chunk);
      else this.metadataText += Buffer.from(chunk).toString('latin1');
      for (const e of this.edges.slice(edges)) this.options.transcript?.('rx', `[ppk2] edge at sample ${e.index}`);
      this.received.emit();
    });
  }

  get description(): string {
    return `PPK2 on ${this.link.description}`;
  }

  /** Stops a stream a previous run may have left going, drains it, reads the calibration metadata. */
  static async connect(link: Link, options: Ppk2Options = {}): Promise<Ppk2> {
    const ppk = new Ppk2(link, options);
    await ppk.send([PPK2_OPCODES.averageStop]);
    await waitForQuiet(link, 100, 2000);
    ppk.metadataText = '';
    await ppk.send([PPK2_OPCODES.getMetadata]);
    const timeoutMs = options.metadataTimeoutMs ?? 2000;
    await waitUntil(
      () => /\bEND\b/.test(ppk.metadataText),
      ppk.received,
      timeoutMs,
      () => new TimeoutError(`The PPK2 on ${link.description} did not send its metadata (ending 'END') within ${timeoutMs} ms`),
    );
    ppk.calibration = parsePpk2Metadata(ppk.metadataText);
    options.transcript?.('rx', `[ppk2] metadata: ${ppk.metadataText.trim().split('\n').join(', ')}`);
    ppk.simulated = ppk.metadataText.includes(VIRTUAL_MONITOR_MARK);
    return ppk;
  }

  /** Source-meter mode at the DUT voltage (the PPK2 supplies 0.8-5 V). */
  async configure(voltageV: number): Promise<void> {
    const mv = Math.round(voltageV * 1000);
    if (!(mv >= 800 && mv <= 5000)) throw new MonitorError(`The PPK2 supplies 0.8 V to 5 V; ${voltageV} V was asked`);
    this.vddMv = mv;
    await this.send([PPK2_OPCODES.setPowerMode, 2]);
    await this.send([PPK2_OPCODES.regulatorSet, mv >> 8, mv & 0xff]);
  }

  async powerOn(): Promise<void> {
    await this.send([PPK2_OPCODES.deviceRunningSet, 1]);
  }

  async powerOff(): Promise<void> {
    await this.send([PPK2_OPCODES.deviceRunningSet, 0]);
  }

  async start(): Promise<void> {
    this.rest = new Uint8Array(0);
    this.index = 0;
    this.energyJ = 0;
    this.lastCounter = undefined;
    this.lastLevel = 1;
    this.binEnergy = 0;
    this.edges.length = 0;
    this.bins.length = 0;
    this.losses.length = 0;
    this.streaming = true;
    await this.send([PPK2_OPCODES.averageStart]);
  }

  async stop(): Promise<void> {
    await this.send([PPK2_OPCODES.averageStop]);
    this.streaming = false;
  }

  edgeCount(): number {
    return this.edges.length;
  }

  waitForEdges(count: number, timeoutMs: number): Promise<void> {
    return waitUntil(
      () => this.edges.length >= count,
      this.received,
      timeoutMs,
      () =>
        new MonitorError(
          `The PPK2 saw ${this.edges.length} falling edges on D${this.channel}, ${count} expected within ${timeoutMs} ms: check that the DUT's timestamp pin is wired to D${this.channel} and the DUT runs energy-mode firmware`,
        ),
    );
  }

  span(fromEdge: number, toEdge: number): EdgeSpan {
    const a = this.edges[fromEdge];
    const b = this.edges[toEdge];
    if (!a || !b) throw new MonitorError(`Edges ${fromEdge} and ${toEdge} are not both in the PPK2 stream (${this.edges.length} edges)`);
    const samples = b.index - a.index;
    return { energyJ: b.energyJ - a.energyJ, elapsedS: samples * PPK2_SAMPLE_PERIOD_S, samples, lostSamples: this.lostBetween(a.index, b.index) };
  }

  trace(fromEdge: number, toEdge: number, bins: number): PowerTrace {
    const bin = (edge: number): number => Math.floor(this.edges[edge]!.index / BIN);
    return binnedPowerTrace(this.bins, BIN * PPK2_SAMPLE_PERIOD_S, bin(fromEdge), bin(toEdge), bins);
  }

  health(): MonitorHealth {
    return { garbled: 0, lostSamples: this.lostBetween(-1, Infinity) };
  }

  async close(): Promise<void> {
    this.off();
    await this.link.close();
  }

  private readonly losses: Array<{ index: number; count: number }> = [];

  private lostBetween(from: number, to: number): number {
    return this.losses.filter((l) => l.index > from && l.index <= to).reduce((n, l) => n + l.count, 0);
  }

  private decode(chunk: Uint8Array): void {
    const bytes = new Uint8Array(this.rest.length + chunk.length);
    bytes.set(this.rest);
    bytes.set(chunk, this.rest.length);
    const whole = bytes.length - (bytes.length % 4);
    const decoded = decodePpk2Stream(bytes.subarray(0, whole), this.calibration, this.vddMv, this.lastCounter);
    this.lastCounter = decoded.lastCounter;
    for (const [at, count] of decoded.gaps) this.losses.push({ index: this.index + at, count });
    const volts = this.vddMv / 1000;
    for (let k = 0; k < decoded.currents.length; ++k) {
      const level = (decoded.digital[k]! >> this.channel) & 1;
      if (this.lastLevel === 1 && level === 0) this.edges.push({ index: this.index, energyJ: this.energyJ });
      this.lastLevel = level;
      const e = decoded.currents[k]! * volts * PPK2_SAMPLE_PERIOD_S;
      this.energyJ += e;
      this.binEnergy += e;
      if (++this.index % BIN === 0) {
        this.bins.push(this.binEnergy);
        this.binEnergy = 0;
      }
    }
    this.rest = bytes.slice(whole);
  }

  private async send(bytes: number[]): Promise<void> {
    this.options.transcript?.('tx', `[ppk2] ${bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ')}`);
    await this.link.write(Uint8Array.from(bytes));
  }
}
