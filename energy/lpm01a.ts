/**
 * Driver for the ST X-NUCLEO-LPM01A (PowerShield), protocol reference §3.1.
 * Unlike the official runner it never waits without a bound, drains what a
 * previous run left in the port before taking control, checks the firmware
 * version, and turns the ascii_dec stream into samples and edges with
 * Lpm01aStream (garbled tokens counted, never summed as NaN).
 */
import { MonitorError, TimeoutError } from '../host/errors.js';
import { type Link, Listeners } from '../host/link/link.js';
import { waitForQuiet } from '../host/link/quiet.js';
import type { EdgeSpan, EnergyMonitor, MonitorHealth, PowerTrace } from './energy-monitor.js';
import { binnedPowerTrace, waitUntil } from './energy-monitor.js';
import { checkSampleCount, energyBetween } from './energy-math.js';
import { Lpm01aStream } from './lpm01a-stream.js';

/** What tiny-bench's virtual monitors put in their identity. */
export const VIRTUAL_MONITOR_MARK = 'tiny-bench-virtual';

export const LPM01A_MIN_FIRMWARE = '1.0.6';
export const LPM01A_BAUD = 3_686_400;

export interface Lpm01aOptions {
  commandTimeoutMs?: number;
  /** From `stop` to `Acquisition completed`. */
  stopTimeoutMs?: number;
  drainQuietMs?: number;
  drainMaxMs?: number;
  /** Samples per second (`freq`); 1 kHz like the official runner. */
  sampleRateHz?: number;
  transcript?: (direction: 'tx' | 'rx', text: string) => void;
}

export class Lpm01a implements EnergyMonitor {
  readonly kind = 'lpm01a';
  firmware: string | undefined;
  simulated = false;
  readonly sampleRateHz: number;
  private stream: Lpm01aStream;
  /** Fires on every chunk received, for waits on what it brought. */
  private readonly received = new Listeners<[]>();
  private readonly commandTimeoutMs: number;
  private readonly off: () => void;

  private constructor(
    readonly link: Link,
    private readonly options: Lpm01aOptions,
  ) {
    this.sampleRateHz = options.sampleRateHz ?? 1000;
    this.commandTimeoutMs = options.commandTimeoutMs ?? 2000;
    this.stream = new Lpm01aStream(this.sampleRateHz);
    this.off = link.onData((chunk) => {
      const stream = this.stream;
      const [messages, events] = [stream.messages.length, stream.events.length];
      stream.push(Buffer.from(chunk).toString('latin1'));
      // The log gets replies and edges, not the thousand samples a second.
      for (const m of stream.messages.slice(messages)) this.options.transcript?.('rx', `[lpm01a] ${m}`);
      for (const e of stream.events.slice(events)) this.options.transcript?.('rx', `[lpm01a] edge ${e.counter} before sample ${e.sampleIndex}`);
      this.received.emit();
    });
  }

  get description(): string {
    return `LPM01A on ${this.link.description}`;
  }

  /**
   * Ends any acquisition a previous run left going, lets its output drain,
   * takes host control and checks the firmware version (EEMBC requires
   * 1.0.6 or later).
   */
  static async connect(link: Link, options: Lpm01aOptions = {}): Promise<Lpm01a> {
    const lpm = new Lpm01a(link, options);
    await lpm.write('stop');
    await waitForQuiet(link, options.drainQuietMs ?? 200, options.drainMaxMs ?? 3000);
    lpm.stream = new Lpm01aStream(lpm.sampleRateHz);
    await lpm.command('htc');
    const reply = await lpm.command('version');
    const version = /(\d+)\.(\d+)\.(\d+)/.exec(reply);
    if (!version) throw new MonitorError(`The LPM01A on ${link.description} answered 'version' with '${reply}', which has no x.y.z version`);
    lpm.firmware = version[0];
    lpm.simulated = reply.includes(VIRTUAL_MONITOR_MARK);
    if (compareVersions(version[0], LPM01A_MIN_FIRMWARE) < 0) {
      throw new MonitorError(
        `The LPM01A on ${link.description} runs firmware ${version[0]}; energy mode needs ${LPM01A_MIN_FIRMWARE} or later (update it with STM32CubeProgrammer)`,
      );
    }
    return lpm;
  }

  /** The official runner's configuration (protocol reference §3.1), with the DUT supply at `voltageV`. */
  async configure(voltageV: number): Promise<void> {
    const mv = Math.round(voltageV * 1000);
    if (!(mv >= 1800 && mv <= 3300)) throw new MonitorError(`The LPM01A supplies 1.8 V to 3.3 V; ${voltageV} V was asked`);
    for (const cmd of [
      'lcd 1 "MLPerf Tiny"',
      'lcd 2 "  tiny-bench    "',
      'pwr off',
      'acqtime inf',
      'trigdelay 0',
      'trigsrc sw',
      'eventsrc d7 fal',
      'output energy',
      'format ascii_dec',
      `freq ${formatFreq(this.sampleRateHz)}`,
      `volt ${mv}m`,
    ]) {
      await this.command(cmd);
    }
  }

  async powerOn(): Promise<void> {
    await this.command('pwr on nostatus');
  }

  async powerOff(): Promise<void> {
    await this.command('pwr off');
  }

  async start(): Promise<void> {
    this.stream = new Lpm01aStream(this.sampleRateHz);
    await this.command('start');
  }

  /** Ends the acquisition: no ack, the monitor ends its stream with `Acquisition completed`. */
  async stop(): Promise<void> {
    const from = this.stream.messages.length;
    await this.write('stop');
    const timeoutMs = this.options.stopTimeoutMs ?? 5000;
    await waitUntil(
      () => this.stream.messages.slice(from).some((m) => /Acquisition completed/i.test(m) || /^error/i.test(m)),
      this.received,
      timeoutMs,
      () => new TimeoutError(`The LPM01A on ${this.link.description} did not report 'Acquisition completed' within ${timeoutMs} ms of 'stop'`),
    );
  }

  edgeCount(): number {
    return this.stream.events.length;
  }

  waitForEdges(count: number, timeoutMs: number): Promise<void> {
    return waitUntil(
      () => this.stream.events.length >= count,
      this.received,
      timeoutMs,
      () =>
        new MonitorError(
          `The LPM01A saw ${this.stream.events.length} timestamp edges, ${count} expected within ${timeoutMs} ms: check that the DUT's timestamp pin is wired to the LPM01A's D7 input and that the DUT runs energy-mode firmware`,
        ),
    );
  }

  span(fromEdge: number, toEdge: number): EdgeSpan {
    const a = this.stream.events[fromEdge];
    const b = this.stream.events[toEdge];
    if (!a || !b) throw new MonitorError(`Edges ${fromEdge} and ${toEdge} are not both in the LPM01A stream (${this.stream.events.length} edges)`);
    const samples = this.stream.samples;
    if (b.sampleIndex > samples.length) throw new MonitorError('The LPM01A reported an edge beyond its last sample');
    const energyJ = energyBetween(samples, a.sampleIndex, b.sampleIndex);
    const count = b.sampleIndex - a.sampleIndex;
    // The monitor's own clock: TimeStamp lines inside the span.
    const inside = this.stream.timestamps.filter((t) => t.sampleIndex >= a.sampleIndex && t.sampleIndex <= b.sampleIndex);
    let monitorElapsedS: number | undefined;
    let lostSamples = 0;
    if (inside.length >= 2) {
      const first = inside[0]!;
      const last = inside.at(-1)!;
      const clockS = (last.ms - first.ms) / 1000;
      const between = last.sampleIndex - first.sampleIndex;
      lostSamples = Math.max(0, Math.round(clockS * this.sampleRateHz) - between);
      checkSampleCount(between, clockS, this.sampleRateHz);
      // The span's length by the monitor's clock: its samples at the rate the TimeStamp lines show.
      monitorElapsedS = between > 0 ? (count * clockS) / between : undefined;
    }
    return { energyJ, elapsedS: count / this.sampleRateHz, samples: count, lostSamples, ...(monitorElapsedS !== undefined ? { monitorElapsedS } : {}) };
  }

  trace(fromEdge: number, toEdge: number, bins: number): PowerTrace {
    return binnedPowerTrace(
      this.stream.samples,
      1 / this.sampleRateHz,
      this.stream.events[fromEdge]!.sampleIndex,
      this.stream.events[toEdge]!.sampleIndex,
      bins,
    );
  }

  health(): MonitorHealth {
    return { garbled: this.stream.garbled.length, lostSamples: this.stream.lostSamples().reduce((n, l) => n + Math.max(0, l.expected - l.received), 0) };
  }

  async close(): Promise<void> {
    try {
      if (this.link.isOpen) await this.command('hrc');
    } catch {
      // Releasing control is a courtesy; a closed or silent monitor must not hide the real outcome.
    } finally {
      this.off();
      await this.link.close();
    }
  }

  /** Sends one command and waits for its `ack`; `error` + `Error detail:` becomes MonitorError. */
  async command(cmd: string): Promise<string> {
    const from = this.stream.messages.length;
    const name = cmd.split(' ')[0]!;
    await this.write(cmd);
    let reply: string | undefined;
    let failure: string | undefined;
    const settled = (): boolean => {
      for (const [i, m] of this.stream.messages.slice(from).entries()) {
        if (/^ack\b/i.test(m) && m.slice(4).trim().startsWith(name)) {
          reply = m.slice(4).trim();
          return true;
        }
        if (/^error/i.test(m)) {
          const detail = this.stream.messages.slice(from + i + 1).find((d) => /^Error detail/i.test(d));
          if (detail) {
            failure = detail.replace(/^Error detail:\s*/i, '');
            return true;
          }
        }
      }
      return false;
    };
    await waitUntil(
      settled,
      this.received,
      this.commandTimeoutMs,
      () => new TimeoutError(`The LPM01A on ${this.link.description} did not acknowledge '${cmd}' within ${this.commandTimeoutMs} ms`),
    );
    if (failure !== undefined) throw new MonitorError(`The LPM01A refused '${cmd}': ${failure}`);
    return reply!;
  }

  private async write(cmd: string): Promise<void> {
    this.options.transcript?.('tx', `[lpm01a] ${cmd}`);
    await this.link.write(Buffer.from(`${cmd}\r\n`, 'latin1'));
  }
}

function formatFreq(hz: number): string {
  return hz >= 1000 && hz % 1000 === 0 ? `${hz / 1000}k` : String(hz);
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); ++i) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return Math.sign(d);
  }
  return 0;
}
