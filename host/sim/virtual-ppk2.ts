/**
 * A virtual Nordic PPK2 in source-meter mode (protocol reference §3.3):
 * single-byte opcodes, ASCII metadata ending `END`, and while sampling one
 * 32-bit word per 10 µs: the DUT's current from the power trace, encoded in
 * the lowest range that holds it, a rolling counter, and the logic inputs —
 * the DUT's timestamp pulse shows on its channel only for samples taken
 * while the pulse is low, as when the real instrument samples its inputs.
 */
import { VIRTUAL_MONITOR_MARK } from '../../energy/lpm01a.js';
import type { VirtualMonitorWiring } from './virtual-monitor.js';

export interface VirtualPpk2Options extends VirtualMonitorWiring {
  /** Logic input the DUT's timestamp pin is wired to. */
  timestampChannel?: number;
  /** How long the DUT holds its timestamp pulse low, µs. */
  pulseUs: number;
}

/** Shunt per range (the vendor app's defaults); the metadata below says so too. */
const R = [1031.64, 101.65, 10.15, 0.94, 0.043];
const ADC_FULL = 0x3fff;
const VOLTS_PER_COUNT = 1.8 / 163840;
const PERIOD_US = 10;

export class VirtualPpk2 {
  private streaming = false;
  private startUs = 0;
  private emitted = 0;
  private counter = 0;
  private pulses: Array<[number, number]> = [];
  /** Opcodes received, for tests. */
  readonly received: number[][] = [];

  constructor(private readonly options: VirtualPpk2Options) {
    options.link.onData((chunk) => this.command([...chunk]));
    options.clock.onAdvance((_from, to) => this.stream(to));
  }

  get acquiring(): boolean {
    return this.streaming;
  }

  /** The DUT's timestamp pin fell at `atUs`. */
  edge(atUs: number): void {
    if (this.streaming) this.pulses.push([atUs, atUs + this.options.pulseUs]);
  }

  private command(bytes: number[]): void {
    this.received.push(bytes);
    switch (bytes[0]) {
      case 0x19: {
        // Linear calibration: no gain slope or offsets, so current = ADC volts / shunt.
        const lines = [
          'Calibrated: 0',
          ...R.map((r, i) => `R${i}: ${r}`),
          ...R.flatMap((_, i) => [`GS${i}: 0`, `GI${i}: 1`, `O${i}: 0`, `S${i}: 0`, `I${i}: 0`, `UG${i}: 1`]),
          `HW: ${VIRTUAL_MONITOR_MARK}`,
          'IA: -nan',
          'END',
          '',
        ];
        void this.options.link.write(Buffer.from(lines.join('\n'))).catch(() => {});
        return;
      }
      case 0x0d:
        this.options.trace.voltageV = (((bytes[1] ?? 0) << 8) | (bytes[2] ?? 0)) / 1000;
        return;
      case 0x0c: {
        const on = bytes[1] === 1;
        this.options.trace.power(on, this.options.clock.nowUs);
        this.options.onPower(on);
        return;
      }
      case 0x06:
        this.streaming = true;
        this.startUs = this.options.clock.nowUs;
        this.emitted = 0;
        this.pulses = [];
        this.options.onStart?.();
        return;
      case 0x07:
        this.stream(this.options.clock.nowUs);
        this.streaming = false;
        return;
      default:
    }
  }

  private stream(toUs: number): void {
    if (!this.streaming) return;
    const first = this.emitted;
    const count = Math.floor((toUs - this.startUs) / PERIOD_US) - first;
    if (count <= 0) return;
    const bytes = new Uint8Array(count * 4);
    const view = new DataView(bytes.buffer);
    const channel = this.options.timestampChannel ?? 0;
    const v = this.options.trace.voltageV;
    for (let k = 0; k < count; ++k) {
      const from = this.startUs + (first + k) * PERIOD_US;
      const current = this.options.trace.energy(from, from + PERIOD_US) / (v * PERIOD_US * 1e-6);
      let range = 0;
      while (range < 4 && current * R[range]! > 0.9 * ADC_FULL * 4 * VOLTS_PER_COUNT) ++range;
      const adc = Math.min(ADC_FULL, Math.round((current * R[range]!) / VOLTS_PER_COUNT / 4));
      while (this.pulses.length && this.pulses[0]![1] <= from) this.pulses.shift();
      const low = this.pulses.some(([a, b]) => a <= from && from < b);
      const logic = low ? 0xff & ~(1 << channel) : 0xff;
      view.setUint32(4 * k, (adc | (range << 14) | ((this.counter++ & 0x3f) << 18) | (logic << 24)) >>> 0, true);
    }
    this.emitted += count;
    this.options.trace.forgetBefore(this.startUs + this.emitted * PERIOD_US);
    void this.options.link.write(bytes).catch(() => {});
  }
}
