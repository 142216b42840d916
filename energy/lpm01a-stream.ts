/**
 * The ST X-NUCLEO-LPM01A's ASCII acquisition stream (`format ascii_dec`,
 * protocol reference §3.1), parsed incrementally: energy samples, TimeStamp
 * lines, D7 event lines and messages. A garbled token is counted and
 * reported, never turned into a number; samples lost by the monitor are
 * detected from the TimeStamp cadence.
 */
import { TextFramer } from '../host/protocol/framing.js';

export interface Lpm01aEvent {
  counter: number;
  /** Samples received before the event: the edge lies between samples index-1 and index. */
  sampleIndex: number;
  edge: 'rising' | 'falling';
}

export interface Lpm01aTimeStamp {
  ms: number;
  sampleIndex: number;
  bufferPercent: number;
}

const SAMPLE = /^(\d{4})([+-])(\d{2})$/;
const TIMESTAMP = /^TimeStamp:[ ><](\d+)s (\d{3})ms, buff (\d{2})%$/;
const EVENT = /^event (\d+) (ris|fal)/;
const PROMPT = /^PowerShield > /;

export class Lpm01aStream {
  /** Energy per sample period, joules (output energy mode). */
  readonly samples: number[] = [];
  readonly events: Lpm01aEvent[] = [];
  readonly timestamps: Lpm01aTimeStamp[] = [];
  /** ack / error / status lines, for the driver. */
  readonly messages: string[] = [];
  /** Tokens that were neither a sample nor a known line, with the line they came from. */
  readonly garbled: string[] = [];
  private readonly lines = new TextFramer('\n');

  /** `sampleRateHz`: the `freq` the monitor was set to, for loss detection. */
  constructor(private readonly sampleRateHz = 1000) {}

  push(chunk: string): void {
    for (const raw of this.lines.push(chunk)) this.line(raw.replace(/\r$/, '').replace(PROMPT, '').trim());
  }

  private line(line: string): void {
    if (!line) return;
    const ts = TIMESTAMP.exec(line);
    if (ts) {
      this.timestamps.push({ ms: Number(ts[1]) * 1000 + Number(ts[2]), sampleIndex: this.samples.length, bufferPercent: Number(ts[3]) });
      return;
    }
    const ev = EVENT.exec(line);
    if (ev) {
      this.events.push({ counter: Number(ev[1]), sampleIndex: this.samples.length, edge: ev[2] === 'ris' ? 'rising' : 'falling' });
      return;
    }
    if (/^(ack|error|Error detail|Acquisition completed|Summary|warning)/i.test(line)) {
      this.messages.push(line);
      return;
    }
    for (const token of line.split(/[\s,;]+/).filter(Boolean)) {
      const m = SAMPLE.exec(token);
      if (m) this.samples.push(Number(m[1]) * 10 ** (m[2] === '-' ? -Number(m[3]) : Number(m[3])));
      else this.garbled.push(`${token} (in ${JSON.stringify(line.slice(0, 60))})`);
    }
  }

  /**
   * Samples the monitor lost: between consecutive TimeStamp lines it must have
   * sent rate x elapsed samples. Returns the shortfall per interval.
   */
  lostSamples(): Array<{ fromMs: number; toMs: number; expected: number; received: number }> {
    const losses = [];
    for (let i = 1; i < this.timestamps.length; ++i) {
      const a = this.timestamps[i - 1]!;
      const b = this.timestamps[i]!;
      const expected = Math.round(((b.ms - a.ms) * this.sampleRateHz) / 1000);
      const received = b.sampleIndex - a.sampleIndex;
      if (received !== expected) losses.push({ fromMs: a.ms, toMs: b.ms, expected, received });
    }
    return losses;
  }
}
