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
import { BoardStreaming } from './board-streaming.js';
import type { FirmwareModel } from './wasm-dut.js';
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
  benchmark: FirmwareModel;
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
  /** sww01: the board's SD card (WAV files it can play to the DUT over I2S). */
  streamFiles?: Map<string, Uint8Array>;
  /** The virtual DUT's core clock (default the cost model's 120 MHz). */
  dutClockHz?: number;
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
  /** sww01 only: the board's I2S player and pin capture. */
  streaming: BoardStreaming | undefined;
  /** sww01: I2S chunks the DUT lost because it was still busy with an earlier one. */
  overruns = 0;
  readonly powerModel: PowerModel;
  private onPower!: (on: boolean) => void;
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
      {
        benchmark: options.benchmark,
        model: options.model,
        energyMode: true,
        commandBuffer: 8192,
        ...(options.dutClockHz ? { clockHz: options.dutClockHz } : {}),
        onTimestampEdge: (us) => bench.edge(edgeBase.benchUs + (us - edgeBase.dutUs)),
        onSwwPin: (pin, high, us) => {
          const at = edgeBase.benchUs + (us - edgeBase.dutUs);
          if (pin === 'detection') {
            if (!high) bench.streaming?.detectionEdge(at);
          } else bench.streaming?.dutyEdge(high, at);
        },
      },
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

    if (options.streamFiles) {
      // The DUT processes one chunk at a time. A chunk that completes while it
      // is busy waits in the DMA's other half; a newer one overwrites it (an
      // overrun: that frame is lost), as on an MCU too slow for 32 ms hops.
      let busyUntilUs = 0;
      let waiting: { chunk: Int16Array; atUs: number } | undefined;
      const process = (chunk: Int16Array, startUs: number): void => {
        const d0 = bench.dut.clockUs;
        edgeBase = { benchUs: startUs, dutUs: d0 };
        bench.dut.i2sChunk(chunk, d0);
        const computeUs = bench.dut.clockUs - d0;
        if (computeUs > 0) bench.trace.compute(startUs, startUs + computeUs);
        busyUntilUs = startUs + computeUs;
        sendOut(busyUntilUs);
        if (computeUs > 0)
          clock.at(busyUntilUs, () => {
            const next = waiting;
            waiting = undefined;
            if (next && bench.powered) process(next.chunk, Math.max(clock.nowUs, next.atUs));
          });
      };
      bench.streaming = new BoardStreaming({
        clock,
        files: options.streamFiles,
        i2s: (chunk, atUs) => {
          if (!bench.powered) return;
          if (atUs >= busyUntilUs) return process(chunk, atUs);
          if (waiting) bench.overruns++;
          waiting = { chunk: chunk.slice(), atUs };
        },
      });
    }
    bench.board = new VirtualInterfaceBoard({
      kind: options.boardKind ?? 'stm32h573i-dk',
      host: usb.device,
      dut: uart.host,
      dutWire,
      dutBaud: options.dutBaud ?? 9600,
      boardBaud: options.boardBaud ?? 115200,
      ...(bench.streaming ? { streaming: bench.streaming } : {}),
    });
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
    bench.onPower = onPower;
    bench.monitor =
      monitorKind === 'lpm01a'
        ? new VirtualLpm01a({ link: monitorUsb.device, clock, trace: bench.trace, onPower, onStart: () => (bench.edgeTimesUs.length = 0) })
        : new VirtualPpk2({
            link: monitorUsb.device,
            clock,
            trace: bench.trace,
            onPower,
            onStart: () => (bench.edgeTimesUs.length = 0),
            pulseUs: bench.dut.timestampPulseUs,
          });
    clock.start();
    return bench;
  }

  /** Powers the DUT from USB instead of the monitor (runs without an energy measurement). */
  powerOnFromUsb(): void {
    this.onPower(true);
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
