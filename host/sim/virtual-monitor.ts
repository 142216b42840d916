import type { Link } from '../link/link.js';
import type { DutPowerTrace } from './power-model.js';
import type { SimClock } from './sim-clock.js';

/** How a virtual energy monitor is wired into the simulated bench. */
export interface VirtualMonitorWiring {
  /** The monitor's end of its USB serial link. */
  link: Link;
  clock: SimClock;
  /** What the DUT draws; the monitor integrates it and sets its voltage. */
  trace: DutPowerTrace;
  /** Switches the DUT's supply (the DUT boots when powered). */
  onPower: (on: boolean) => void;
  /** A new acquisition starts (edges are counted from here). */
  onStart?: () => void;
}
