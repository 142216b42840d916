/**
 * Sets up an energy bench in the order the hardware needs: monitor first
 * (take control, configure, power the DUT so it boots), then the interface
 * board (identify, set the DUT baud — which resets the board and so drops
 * the boot banner it queued), then start the acquisition. Tears it down in
 * reverse, whatever happened. The simulated bench goes through exactly the
 * same steps over virtual links.
 */
import { readFileSync } from 'node:fs';

import { modelPath } from '../../datasets/data-dir.js';
import type { EnergyMonitor } from '../../energy/energy-monitor.js';
import { LPM01A_BAUD, Lpm01a } from '../../energy/lpm01a.js';
import { Ppk2 } from '../../energy/ppk2.js';
import type { FirmwareModel } from '../sim/wasm-dut.js';
import { InterfaceBoard } from '../devices/interface-board.js';
import type { TranscriptSink } from '../devices/line-channel.js';
import { ConfigError } from '../errors.js';
import type { Link } from '../link/link.js';
import { SerialLink } from '../link/serial-link.js';
import type { PowerModel } from '../sim/power-model.js';
import { VirtualEnergyBench } from '../sim/energy-bench.js';
import type { EnergyPlan } from './plan.js';

export type { EnergyPlan } from './plan.js';

export interface EnergyRig {
  link: Link;
  /** Resets the board (dropping DUT output it queued) and returns a fresh DUT link. */
  resync: () => Promise<Link>;
  monitor: EnergyMonitor;
  board: InterfaceBoard;
  simulated: boolean;
  /** Simulated bench only: its power model, and the analytic µJ/inference between two edges from their exact times. */
  powerModel?: PowerModel;
  truth?: (fromEdge: number, toEdge: number, inferences: number) => number | undefined;
  voltageV: number;
  timing: { bootWaitMs: number; commandTimeoutMs: number; settleQuietMs: number; edgeTimeoutMs: number };
  close(): Promise<void>;
}

/** sww01 on the simulated bench: the board's SD card and the virtual DUT's core clock. */
export interface SimStreamingSetup {
  streamFiles: Map<string, Uint8Array>;
  dutClockHz?: number;
}

export async function openEnergyRig(
  plan: EnergyPlan,
  benchmark: FirmwareModel | undefined,
  dataDir: string,
  transcript: TranscriptSink,
  streaming?: SimStreamingSetup,
): Promise<EnergyRig> {
  let boardLink: Link;
  let monitorLink: Link;
  let sim: VirtualEnergyBench | undefined;
  const choice = plan.bench;
  if (choice.kind === 'sim') {
    if (!benchmark) throw new ConfigError('The simulated energy bench needs a benchmark');
    sim = await VirtualEnergyBench.create({
      benchmark,
      model: readFileSync(modelPath(dataDir, benchmark)),
      dutBaud: plan.dutBaud,
      monitor: choice.monitor ?? 'lpm01a',
      ...streaming,
    });
    boardLink = sim.boardLink;
    monitorLink = sim.monitorLink;
  } else {
    boardLink = await SerialLink.open({ path: choice.interfacePath, baudRate: 115200 });
    // The PPK2 ignores the rate (USB CDC); the LPM01A needs its own.
    monitorLink = await SerialLink.open({ path: choice.monitorPath, baudRate: choice.monitor === 'lpm01a' ? LPM01A_BAUD : 115200 });
  }
  const simulated = sim !== undefined;
  const timing = simulated
    ? { bootWaitMs: 100, commandTimeoutMs: 2000, settleQuietMs: 20, edgeTimeoutMs: 3000, resetWaitMs: 50, powerOnWaitMs: 50 }
    : { bootWaitMs: 2000, commandTimeoutMs: 5000, settleQuietMs: 200, edgeTimeoutMs: 5000, resetWaitMs: 1500, powerOnWaitMs: 1000 };
  const closers: Array<() => Promise<void>> = [];
  const close = async (): Promise<void> => {
    for (const fn of closers.reverse()) await fn().catch(() => {});
    await boardLink.close().catch(() => {});
    await monitorLink.close().catch(() => {});
    await sim?.close();
  };
  try {
    const monitorKind = choice.monitor ?? 'lpm01a';
    const monitor: EnergyMonitor =
      monitorKind === 'lpm01a' ? await Lpm01a.connect(monitorLink, { transcript }) : await Ppk2.connect(monitorLink, { transcript });
    closers.push(() => monitor.close());
    await monitor.configure(plan.voltageV);
    await monitor.powerOn();
    closers.push(() => monitor.powerOff());
    await new Promise((r) => setTimeout(r, timing.powerOnWaitMs));
    const board = await InterfaceBoard.connect(boardLink, { transcript, resetWaitMs: timing.resetWaitMs, commandTimeoutMs: timing.commandTimeoutMs });
    closers.push(async () => board.close());
    await board.setBaud(plan.dutBaud);
    await monitor.start();
    closers.push(() => monitor.stop());
    return {
      link: board.dutLink(),
      resync: () => board.resync(plan.dutBaud),
      monitor,
      board,
      simulated: simulated || monitor.simulated,
      voltageV: plan.voltageV,
      ...(sim ? { powerModel: sim.powerModel, truth: sim.truthBetweenEdges.bind(sim) } : {}),
      timing,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
