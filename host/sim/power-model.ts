/**
 * What the virtual DUT draws, so the simulated bench has an analytic truth:
 * a constant current while the firmware computes (the cost-model time of
 * every command it runs, inferences included) and a lower one while it waits
 * for UART bytes (the RX interrupt + WFI loop), nothing while unpowered.
 * Energy per inference is therefore exactly supply voltage x active current x
 * the cost model's time per inference.
 */
export interface PowerModel {
  /** Supply current while computing, amperes. */
  activeCurrentA: number;
  /** Supply current while waiting for input, amperes. */
  idleCurrentA: number;
}

/**
 * Roughly a Cortex-M4F at 120 MHz from a 1.8 V supply (the reference
 * NUCLEO-L4R5ZI draws about 40 mW running kws01, protocol reference §7).
 */
export const DEFAULT_POWER_MODEL: PowerModel = { activeCurrentA: 22e-3, idleCurrentA: 3e-3 };

/** The DUT's power history on the bench's clock: powered spans and compute spans, in µs. */
export class DutPowerTrace {
  voltageV = 3.3;
  private poweredSince: number | undefined;
  private readonly powered: Array<[number, number]> = [];
  private readonly active: Array<[number, number]> = [];

  constructor(readonly model: PowerModel = DEFAULT_POWER_MODEL) {}

  power(on: boolean, atUs: number): void {
    if (on && this.poweredSince === undefined) this.poweredSince = atUs;
    if (!on && this.poweredSince !== undefined) {
      this.powered.push([this.poweredSince, atUs]);
      this.poweredSince = undefined;
    }
  }

  get isPowered(): boolean {
    return this.poweredSince !== undefined;
  }

  compute(fromUs: number, toUs: number): void {
    if (toUs > fromUs) this.active.push([fromUs, toUs]);
  }

  /** Joules drawn in [fromUs, toUs). */
  energy(fromUs: number, toUs: number): number {
    const on = overlap(this.powered, fromUs, toUs) + (this.poweredSince !== undefined ? Math.max(0, toUs - Math.max(fromUs, this.poweredSince)) : 0);
    const busy = Math.min(on, overlap(this.active, fromUs, toUs));
    const { activeCurrentA, idleCurrentA } = this.model;
    return (this.voltageV * (idleCurrentA * (on - busy) + activeCurrentA * busy)) / 1e6;
  }

  /** Forgets spans that ended before `us` (the monitor has integrated them). */
  forgetBefore(us: number): void {
    for (const spans of [this.powered, this.active]) {
      while (spans.length && spans[0]![1] < us) spans.shift();
    }
  }

  /** The model's energy per inference for a given time per inference: the bench's analytic truth. */
  static truthUjPerInference(model: PowerModel, voltageV: number, usPerInference: number): number {
    return voltageV * model.activeCurrentA * usPerInference;
  }
}

function overlap(spans: ReadonlyArray<[number, number]>, from: number, to: number): number {
  let total = 0;
  for (const [a, b] of spans) {
    if (b <= from) continue;
    if (a >= to) break;
    total += Math.min(b, to) - Math.max(a, from);
  }
  return total;
}
