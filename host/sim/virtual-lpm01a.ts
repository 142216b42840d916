/**
 * A virtual ST X-NUCLEO-LPM01A (PowerShield) speaking its ASCII command set
 * and `format ascii_dec` stream (protocol reference §3.1): `ack` replies
 * behind the `PowerShield > ` prompt, `error` + `Error detail:` for bad
 * commands, DUT supply switching, and while acquiring one 4-digit sample per
 * period integrated from the DUT's power trace, a TimeStamp line every
 * second and an `event N ris` line at each D7 falling edge (the spelling
 * the official runner matches). Sample times are the bench clock's.
 */
import { VIRTUAL_MONITOR_MARK } from '../../energy/lpm01a.js';
import { TextFramer } from '../protocol/framing.js';
import type { VirtualMonitorWiring } from './virtual-monitor.js';

export interface VirtualLpm01aOptions extends VirtualMonitorWiring {
  firmware?: string;
}

const PROMPT = 'PowerShield > ';

const FREQS = ['100k', '50k', '20k', '10k', '5k', '2k', '1k', '500', '200', '100', '50', '20', '10', '5', '2', '1'];

/** `DDDD±EE`: four mantissa digits and a power of ten, as the LPM01A prints energies and currents. */
export function formatLpmSample(value: number): string {
  if (!(value > 0)) return '0000+00';
  let exp = Math.floor(Math.log10(value)) - 3;
  let mantissa = Math.round(value / 10 ** exp);
  if (mantissa >= 10000) {
    mantissa = Math.round(mantissa / 10);
    exp += 1;
  }
  return `${String(mantissa).padStart(4, '0')}${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

export class VirtualLpm01a {
  private readonly lines = new TextFramer('\n');
  private controlled = false;
  acquiring = false;
  private freqHz = 100;
  private output: 'current' | 'energy' = 'current';
  private format: 'ascii_dec' | 'bin_hexa' = 'ascii_dec';
  private startUs = 0;
  private emitted = 0;
  private edges: number[] = [];
  private eventCounter = 0;
  private readonly firmware: string;
  /** Commands received, in order (for tests of the host's configuration sequence). */
  readonly received: string[] = [];

  constructor(private readonly options: VirtualLpm01aOptions) {
    this.firmware = options.firmware ?? '1.0.6';
    options.link.onData((chunk) => this.receive(chunk));
    options.clock.onAdvance((_from, to) => this.stream(to));
  }

  /** The DUT's timestamp pin fell at `atUs` (bench clock). */
  edge(atUs: number): void {
    if (this.acquiring) this.edges.push(atUs);
  }

  private receive(chunk: Uint8Array): void {
    for (const raw of this.lines.push(chunk)) {
      const line = raw.replace(/\r$/, '').trim();
      if (line) this.command(line);
    }
  }

  private command(line: string): void {
    this.received.push(line);
    const [name = '', ...args] = line.split(/\s+/);
    const ack = (value?: string): void => this.say(`ack ${line}${value ? ` ${value}` : ''}`);
    const refuse = (detail: string): void => this.say('error', `Error detail: ${detail}`);
    if (!this.controlled && !['htc', 'version', 'help', 'echo', 'powershield', 'status'].includes(name)) return refuse('host control required, send htc first');
    if (this.acquiring && !['stop', 'status', 'lcd', 'pwr'].includes(name)) return refuse('acquisition in progress, send stop first');
    switch (name) {
      case 'htc':
        this.controlled = true;
        return ack();
      case 'hrc':
        this.controlled = false;
        return ack();
      case 'version':
        // Says what it is, so a runner reaching it through a pty still labels its figures simulated.
        return ack(`${this.firmware} ${VIRTUAL_MONITOR_MARK}`);
      case 'powershield':
      case 'echo':
      case 'lcd':
      case 'acqtime':
      case 'trigdelay':
      case 'trigsrc':
      case 'eventsrc':
      case 'acqmode':
      case 'funcmode':
      case 'status':
        return ack();
      case 'output':
        if (args[0] !== 'energy' && args[0] !== 'current') return refuse(`output must be current or energy, not '${args[0] ?? ''}'`);
        this.output = args[0];
        return ack();
      case 'format':
        if (args[0] !== 'ascii_dec' && args[0] !== 'bin_hexa') return refuse(`format must be ascii_dec or bin_hexa, not '${args[0] ?? ''}'`);
        if (args[0] === 'bin_hexa') return refuse('this virtual PowerShield streams ascii_dec only');
        this.format = args[0];
        return ack();
      case 'freq': {
        const value = args[0] ?? '';
        if (!FREQS.includes(value)) return refuse(`freq '${value}' is not one of ${FREQS.join(', ')}`);
        const hz = value.endsWith('k') ? Number(value.slice(0, -1)) * 1000 : Number(value);
        if (this.format === 'ascii_dec' && hz > 5000) return refuse('ascii_dec streams at most 5 kHz without a time limit');
        this.freqHz = hz;
        return ack();
      }
      case 'volt': {
        const m = /^(\d+)m$/.exec(args[0] ?? '');
        if (args[0] === 'get') return ack(formatLpmSample(this.options.trace.voltageV));
        if (!m || Number(m[1]) < 1800 || Number(m[1]) > 3300) return refuse(`volt '${args[0] ?? ''}' is outside 1800m..3300m`);
        this.options.trace.voltageV = Number(m[1]) / 1000;
        return ack();
      }
      case 'pwr': {
        if (args[0] === 'get') return ack(this.options.trace.isPowered ? 'on' : 'off');
        if (args[0] !== 'on' && args[0] !== 'off') return refuse(`pwr '${args[0] ?? ''}' is not on, off or get`);
        ack();
        this.options.trace.power(args[0] === 'on', this.options.clock.nowUs);
        this.options.onPower(args[0] === 'on');
        return;
      }
      case 'start':
        ack();
        this.acquiring = true;
        this.startUs = this.options.clock.nowUs;
        this.emitted = 0;
        this.edges = [];
        this.eventCounter = 0;
        this.options.onStart?.();
        return;
      case 'stop':
        if (!this.acquiring) return refuse('no acquisition running');
        this.stream(this.options.clock.nowUs);
        this.acquiring = false;
        // No ack: the end of the stream is this line.
        return this.say('Acquisition completed', `Summary: ${this.emitted} samples`);
      default:
        return refuse(`unknown command '${name}'`);
    }
  }

  /** Emits every whole sample period that ended by `toUs`, with events and TimeStamp lines in place. */
  private stream(toUs: number): void {
    if (!this.acquiring) return;
    const periodUs = 1e6 / this.freqHz;
    const parts: string[] = [];
    for (;;) {
      const from = this.startUs + this.emitted * periodUs;
      const to = from + periodUs;
      if (to > toUs) break;
      // An edge inside this period comes before its sample: the sample index of the event is the period's.
      while (this.edges.length && this.edges[0]! < to) {
        this.edges.shift();
        parts.push(`event ${++this.eventCounter} ris\r\n`);
      }
      const energy = this.options.trace.energy(from, to);
      const value = this.output === 'energy' ? energy : energy / (this.options.trace.voltageV * periodUs * 1e-6);
      parts.push(`${formatLpmSample(value)}\r\n`);
      ++this.emitted;
      if (this.emitted % this.freqHz === 0) {
        const ms = Math.round((this.emitted * 1000) / this.freqHz);
        parts.push(`TimeStamp: ${String(Math.floor(ms / 1000)).padStart(3, '0')}s ${String(ms % 1000).padStart(3, '0')}ms, buff 00%\r\n`);
      }
    }
    this.options.trace.forgetBefore(this.startUs + this.emitted * periodUs);
    if (parts.length) void this.options.link.write(Buffer.from(parts.join(''), 'latin1')).catch(() => {});
  }

  private say(...lines: string[]): void {
    void this.options.link.write(Buffer.from(lines.map((l) => `${PROMPT}${l}\r\n`).join(''), 'latin1')).catch(() => {});
  }
}
