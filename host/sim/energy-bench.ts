/**
 * The simulated energy bench: the project's firmware (WebAssembly, built for
 * energy mode) behind a virtual interface board on a 9600-baud UART, powered
 * and measured by a virtual LPM01A, all on one SimClock. The host gets two
 * Links — the board's and the monitor's — and speaks the real bytes to both.
 *
 * Time: a DUT command takes the cost model's time (the reply leaves the DUT
 * that much later, the DUT draws active current meanwhile); bytes take their
 * transmission time; edges reach the monitor at the virtual time the
 * firmware raised them.
 */
import type { Benchmark } from '../bench/benchmark.js';
import type { Link } from '../link/link.js';
import { type WireModel, createVirtualPair } from '../link/virtual-link.js';
import type { BoardKind } from '../protocol/interface-board.js';
import { DEFAULT_POWER_MODEL, DutPowerTrace, type PowerModel } from './power-model.js';
import { SimClock } from './sim-clock.js';
import { VirtualInterfaceBoard } from './virtual-interface-board.js';
import { VirtualLpm01a } from './virtual-lpm01a.js';
import { VirtualPpk2 } from './virtual-ppk2.js';
import { WasmDut } from './wasm-dut.js';

export interface VirtualEnergyBenchOptions {
  benchmark: Benchmark;
  model: Uint8Array;
  powerModel?: PowerModel;
  boardKind?: BoardKind;
  /** The energy-mode DUT's UART rate (the rules: 9600). */
  dutBaud?: number;
  /** What the board's flash holds before the host's setbaud (default 115200: the host must set it). */
  boardBaud?: number;
  /** Host <-> interface board rate (ST-LINK VCP: 115200). */
  hostBaud?: number;
  /** Which virtual monitor powers and measures the DUT (default the LPM01A). */
  monitor?: 'lpm01a' | 'ppk2';
}

export class VirtualEnergyBench {
  readonly clock = new SimClock();
  readonly trace: DutPowerTrace;
  /** Host end of the interface board's USB serial port. */
  boardLink!: Link;
  /** Host end of the monitor's USB serial port. */
  monitorLink!: Link;
  board!: VirtualInterfaceBoard;
  monitor!: VirtualLpm01a | VirtualPpk2;
  /** Exact times of the DUT's timestamp edges while the monitor acquires (bench µs): the ground truth. */
  readonly edgeTimesUs: number[] = [];
  dut!: WasmDut;
  readonly powerModel: PowerModel;
  private powered = false;

  private constructor(readonly options: VirtualEnergyBenchOptions) {
    this.powerModel = options.powerModel ?? DEFAULT_POWER_MODEL;
    this.trace = new DutPowerTrace(this.powerModel);
  }

  static async create(options: VirtualEnergyBenchOptions): Promise<VirtualEnergyBench> {
    const bench = new VirtualEnergyBench(options);
    const clock = bench.clock;
    const dutWire: WireModel = { clock };
    const uart = createVirtualPair('interface board <-> DUT UART', dutWire);
    const usb = createVirtualPair('virtual STM32H573I-DK interface board (simulated)', { clock, baudRate: options.hostBaud ?? 115200 });
    const monitorKind = options.monitor ?? 'lpm01a';
    const monitorUsb = createVirtualPair(`virtual ${monitorKind === 'lpm01a' ? 'LPM01A' : 'PPK2'} (simulated)`, { clock });
    bench.boardLink = usb.host;
    bench.monitorLink = monitorUsb.host;

    let edgeBase = { benchUs: 0, dutUs: 0 };
    let out: Uint8Array[] = [];
    bench.dut = await WasmDut.create(
      { benchmark: options.benchmark, model: options.model, energyMode: true, commandBuffer: 8192, onTimestampEdge: (us) => bench.edge(edgeBase.benchUs + (us - edgeBase.dutUs)) },
      (bytes) => out.push(bytes),
    );
    out = []; // the banner of the first boot happens before power-on: no one hears it
    const sendOut = (atUs: number): void => {
      if (!out.length) return;
      const bytes = Buffer.concat(out);
      out = [];
      clock.at(atUs, () => void uart.device.write(bytes).catch(() => {}));
    };
    uart.device.onData((chunk) => {
      if (!bench.powered) return;
      const t0 = clock.nowUs;
      const d0 = bench.dut.clockUs;
      edgeBase = { benchUs: t0, dutUs: d0 };
      bench.dut.receive(chunk);
      const computeUs = bench.dut.clockUs - d0;
      bench.trace.compute(t0, t0 + computeUs);
      sendOut(t0 + computeUs);
    });

    bench.board = new VirtualInterfaceBoard({ kind: options.boardKind ?? 'stm32h573i-dk', host: usb.device, dut: uart.host, dutWire, dutBaud: options.dutBaud ?? 9600, boardBaud: options.boardBaud ?? 115200 });
    const onPower = (on: boolean): void => {
      const was = bench.powered;
      bench.powered = on;
      if (on && !was) {
        // Power-on reset: the firmware boots and prints its banner to the board.
        edgeBase = { benchUs: clock.nowUs, dutUs: bench.dut.clockUs };
        bench.dut.reboot();
        sendOut(clock.nowUs);
      }
    };
    bench.monitor = monitorKind === 'lpm01a'
      ? new VirtualLpm01a({ link: monitorUsb.device, clock, trace: bench.trace, onPower, onStart: () => (bench.edgeTimesUs.length = 0) })
      : new VirtualPpk2({ link: monitorUsb.device, clock, trace: bench.trace, onPower, onStart: () => (bench.edgeTimesUs.length = 0), pulseUs: bench.dut.timestampPulseUs });
    clock.start();
    return bench;
  }

  /** The analytic energy per inference for a time per inference (µJ). */
  truthUjPerInference(usPerInference: number): number {
    return DutPowerTrace.truthUjPerInference(this.powerModel, this.trace.voltageV, usPerInference);
  }

  private edge(atUs: number): void {
    if (!this.monitor?.acquiring) return;
    this.edgeTimesUs.push(atUs);
    this.monitor.edge(atUs);
  }

  /** The power model's energy per inference between two edges of the acquisition, from their exact times. */
  truthBetweenEdges(fromEdge: number, toEdge: number, inferences: number): number | undefined {
    const a = this.edgeTimesUs[fromEdge];
    const b = this.edgeTimesUs[toEdge];
    return a === undefined || b === undefined ? undefined : this.truthUjPerInference((b - a) / inferences);
  }

  async close(): Promise<void> {
    this.clock.stop();
    await this.boardLink.close();
    await this.monitorLink.close();
  }
}
