import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { TinyBenchError } from '../errors.js';
import type { Link } from '../link/link.js';
import { type WireModel, createVirtualPair } from '../link/virtual-link.js';
import { packageRoot } from '../paths.js';

/** The emscripten module of firmware/ports/wasm (only what we call). */
interface TinyDutModule {
  HEAPU8: Uint8Array;
  UTF8ToString(ptr: number): string;
  _wp_model_buffer(size: number): number;
  _wp_rx_buffer(): number;
  _wp_rx_capacity(): number;
  _wp_bench_count(): number;
  _wp_bench_name(i: number): number;
  _wp_boot(modelLen: number, benchId: number, cmdLimit: number, energy: number, startUs: number): number;
  _wp_rx(len: number): void;
  _wp_set_standard(on: number): void;
  _wp_error(): number;
  _wp_arena_used(): number;
  _wp_clock_us(): number;
  _wp_input_bytes(): number;
  _wp_run_raw(len: number): void;
  _wp_input_elements(): number;
  _wp_input_tensor(): number;
  _wp_output_tensor(): number;
  _wp_output_len(): number;
  _wp_result(i: number): number;
  _wp_work(i: number): number;
  _wp_timestamp_pulse_us(): number;
  _wp_sww_i2s_buffer(): number;
  _wp_sww_i2s_chunk(atUs: number): number;
  _wp_set_clock_us(atUs: number): void;
  _wp_sww_scaled(i: number): number;
  _wp_set_clock_hz(hz: number): void;
  _wp_poll(): void;
}

type Factory = (init: {
  onUartTx: (bytes: Uint8Array) => void;
  onTimestampEdge: (us: number) => void;
  onSwwPin: (pin: number, level: number, us: number) => void;
  onUartBaud: (rate: number) => void;
  onBaudWindow: (ms: number) => void;
}) => Promise<TinyDutModule>;

/** What the firmware needs to know of a benchmark: its id and model file. */
export interface FirmwareModel {
  id: string;
  modelFile: string;
}

/** The streaming-wakeword pins the interface board watches (firmware/ports/wasm/wasm_sww.c). */
export type SwwPin = 'processing' | 'detection';

let factory: Factory | undefined;
function loadFactory(): Factory {
  factory ??= createRequire(import.meta.url)(join(packageRoot(), 'firmware/ports/wasm/dist/tiny_dut.cjs')) as Factory;
  return factory;
}

export interface WasmDutOptions {
  benchmark: FirmwareModel;
  model: Uint8Array;
  /** Command buffer the firmware allows and advertises (default 8192; 80 = reference firmware). */
  commandBuffer?: number;
  energyMode?: boolean;
  /** Behave like the EEMBC reference harness: no integrity, command-buffer or feature lines, no positioned db chunks. */
  standard?: boolean;
  /** Energy mode: called with the virtual-clock time of each timestamp edge. */
  onTimestampEdge?: (timeUs: number) => void;
  /** The simulated core clock (default the cost model's 120 MHz): the same cycles, another MCU speed. */
  clockHz?: number;
  /** sww01: a pin level change at a virtual-clock time. */
  onSwwPin?: (pin: SwwPin, high: boolean, timeUs: number) => void;
  /** The firmware set its UART to another rate (a baud switch, its revert, a reboot). */
  onUartBaud?: (rate: number) => void;
}

/**
 * The project's firmware compiled to WebAssembly, run in-process: the same
 * harness and engine as the MCU builds, with a cost-model clock.
 */
export class WasmDut {
  private pendingTx: Uint8Array[] = [];
  private bootArgs: [number, number, number, number] = [0, 0, 0, 0];
  /** The rate the firmware's UART runs at. */
  uartRate = 115200;
  /** Ends an uncommitted baud rate's window (the firmware's idle loop on an MCU; a timer here). */
  private baudWindow: ReturnType<typeof setTimeout> | undefined;
  private constructor(
    private readonly m: TinyDutModule,
    private output: (bytes: Uint8Array) => void,
  ) {}

  private armBaudWindow(ms: number): void {
    clearTimeout(this.baudWindow);
    this.baudWindow = undefined;
    if (ms <= 0) return;
    this.baudWindow = setTimeout(() => {
      this.baudWindow = undefined;
      this.m._wp_poll();
      this.flush();
    }, ms + 5);
    this.baudWindow.unref();
  }

  /** Stops the baud window's timer (the DUT is put away). */
  dispose(): void {
    clearTimeout(this.baudWindow);
  }

  /** Where UART output goes (a new link after a replug). */
  setOutput(output: (bytes: Uint8Array) => void): void {
    this.output = output;
  }

  /** A reset: the firmware boots again (banner) with its clock still running. */
  reboot(): void {
    const [len, id, cmd, energy] = this.bootArgs;
    this.m._wp_boot(len, id, cmd, energy, this.m._wp_clock_us());
    this.flush();
  }

  static async create(options: WasmDutOptions, output: (bytes: Uint8Array) => void): Promise<WasmDut> {
    let self: WasmDut | undefined;
    const early: Uint8Array[] = [];
    const m = await loadFactory()({
      onUartTx: (bytes) => (self ? self.pendingTx.push(bytes) : early.push(bytes)),
      onTimestampEdge: (us) => options.onTimestampEdge?.(us),
      onSwwPin: (pin, level, us) => options.onSwwPin?.(pin === 0 ? 'processing' : 'detection', level !== 0, us),
      onUartBaud: (rate) => {
        // Bytes the firmware queued before the switch left at the old rate.
        self?.flush();
        if (self) self.uartRate = rate;
        options.onUartBaud?.(rate);
      },
      onBaudWindow: (ms) => self?.armBaudWindow(ms),
    });
    self = new WasmDut(m, output);
    const ptr = m._wp_model_buffer(options.model.length);
    if (!ptr) throw new TinyBenchError(`Model of ${options.model.length} bytes does not fit the virtual DUT's model buffer`);
    m.HEAPU8.set(options.model, ptr);
    m._wp_set_standard(options.standard ? 1 : 0);
    const benchIndex = self.benchmarkIds.indexOf(options.benchmark.id);
    if (benchIndex < 0)
      throw new TinyBenchError(
        `The virtual DUT firmware does not know benchmark ${options.benchmark.id} (it knows ${self.benchmarkIds.join(', ')}); rebuild it with firmware/ports/wasm/build.sh`,
      );
    self.bootArgs = [options.model.length, benchIndex, options.commandBuffer ?? 8192, options.energyMode ? 1 : 0];
    if (options.clockHz) m._wp_set_clock_hz(options.clockHz);
    const status = m._wp_boot(...self.bootArgs, 0);
    if (status !== 0) throw new TinyBenchError(`Virtual DUT refused the ${options.benchmark.id} model: ${m.UTF8ToString(m._wp_error())}`);
    self.pendingTx.push(...early);
    self.flush();
    return self;
  }

  /** UART bytes from the host. Runs whatever commands they complete, synchronously. */
  receive(bytes: Uint8Array): void {
    const cap = this.m._wp_rx_capacity();
    for (let offset = 0; offset < bytes.length; offset += cap) {
      const piece = bytes.subarray(offset, offset + cap);
      this.m.HEAPU8.set(piece, this.m._wp_rx_buffer());
      this.m._wp_rx(piece.length);
    }
    this.flush();
  }

  /** The benchmark ids this firmware was built with, in its tb_bench_id order. */
  get benchmarkIds(): string[] {
    return Array.from({ length: this.m._wp_bench_count() }, (_, i) => this.m.UTF8ToString(this.m._wp_bench_name(i)));
  }

  get arenaBytes(): number {
    return this.m._wp_arena_used();
  }

  /** Cumulative engine work: MACs and outputs per operator kind (tb_work order), operators run. */
  get work(): { macs: number[]; outputs: number[]; taps: number[]; ops: number } {
    const read = (from: number): number[] => Array.from({ length: 8 }, (_, i) => this.m._wp_work(from + i));
    return { macs: read(0), outputs: read(8), taps: read(16), ops: this.m._wp_work(24) };
  }

  /** How long an energy-mode timestamp pulse stays low, µs. */
  get timestampPulseUs(): number {
    return this.m._wp_timestamp_pulse_us();
  }

  get clockUs(): number {
    return this.m._wp_clock_us();
  }

  /** Moves the DUT's clock forward to `atUs` (it idled until then); never back. */
  advanceClockTo(atUs: number): void {
    this.m._wp_set_clock_us(atUs);
  }

  /**
   * sww01: one I2S chunk of 512 stereo int16 frames completed at virtual time
   * `atUs`. The DUT processes it at once if its DMA runs (pins fire through
   * onSwwPin); returns whether it took the chunk.
   */
  i2sChunk(stereo: Int16Array, atUs: number): boolean {
    if (stereo.length !== 1024) throw new TinyBenchError(`An I2S chunk is 512 stereo frames (1024 int16), got ${stereo.length}`);
    const ptr = this.m._wp_sww_i2s_buffer();
    this.m.HEAPU8.set(new Uint8Array(stereo.buffer, stereo.byteOffset, stereo.byteLength), ptr);
    const took = this.m._wp_sww_i2s_chunk(atUs) !== 0;
    this.flush();
    return took;
  }

  /** sww01: the last hop's 40 features before int8 quantization (tests). */
  scaledFeatures(): number[] {
    return Array.from({ length: 40 }, (_, i) => this.m._wp_sww_scaled(i));
  }

  /** Bypasses the protocol: raw input bytes in, int8 output tensor out (conformance tests). */
  runRaw(input: Uint8Array): { inputTensor: Int8Array; output: Int8Array; result0: number } {
    this.m.HEAPU8.set(input, this.m._wp_rx_buffer());
    this.m._wp_run_raw(input.length);
    const heap = this.m.HEAPU8;
    const outPtr = this.m._wp_output_tensor();
    const inPtr = this.m._wp_input_tensor();
    return {
      inputTensor: new Int8Array(heap.slice(inPtr, inPtr + this.m._wp_input_elements())),
      output: new Int8Array(heap.slice(outPtr, outPtr + this.m._wp_output_len())),
      result0: this.m._wp_result(0),
    };
  }

  private flush(): void {
    if (!this.pendingTx.length) return;
    const total = this.pendingTx.reduce((n, b) => n + b.length, 0);
    const joined = new Uint8Array(total);
    let at = 0;
    for (const b of this.pendingTx) {
      joined.set(b, at);
      at += b.length;
    }
    this.pendingTx = [];
    this.output(joined);
  }
}

export interface VirtualDutOptions extends Omit<WasmDutOptions, 'model'> {
  /** Folder with models/<file>.tflite. */
  dataDir?: string;
  model?: Uint8Array;
  wire?: WireModel;
}

/**
 * The virtual DUT behind a VirtualLink. Fault events from the wire unplug it
 * (the host sees its link close; `reopen` plugs a new one into the same
 * device) or reset it (it reboots and prints its banner).
 */
export class VirtualDutConnection {
  link!: Link;
  private device!: Link;
  /** Where the firmware's rate changes go: the device end of the link plugged now. */
  private deviceRate: (rate: number) => void = () => {};
  readonly stats = { reconnects: 0, resets: 0 };

  private constructor(
    readonly dut: WasmDut,
    private readonly options: VirtualDutOptions,
  ) {}

  static async open(options: VirtualDutOptions): Promise<VirtualDutConnection> {
    const model = options.model ?? readFileSync(join(options.dataDir ?? '.', 'models', options.benchmark.modelFile));
    const early: Uint8Array[] = [];
    let connection: VirtualDutConnection | undefined;
    const dut = await WasmDut.create({ ...options, model, onUartBaud: (rate) => connection?.deviceRate(rate) }, (bytes) => early.push(bytes));
    connection = new VirtualDutConnection(dut, options);
    connection.plug();
    // The boot banner goes out on the first link, asynchronously like a UART.
    for (const bytes of early) void connection.device.write(bytes).catch(() => {});
    return connection;
  }

  private plug(): void {
    const wire: WireModel = {
      // Each end has its own UART rate: a host at another rate than the DUT reads garbage.
      lineRate: 115200,
      ...this.options.wire,
      onFaultEvent: (event) => {
        if (event === 'reset') {
          this.stats.resets++;
          this.dut.reboot();
        } else {
          this.stats.reconnects++;
          void this.link.close();
        }
      },
    };
    const pair = createVirtualPair(`virtual DUT (${this.options.benchmark.id}, simulated)`, wire);
    const device = pair.device;
    this.link = pair.host;
    this.device = device;
    // A replug keeps the DUT running at the rate it was at; the host opens the new link at the line rate.
    void device.setBaudRate(this.dut.uartRate);
    this.deviceRate = (rate) => void device.setBaudRate(rate);
    this.dut.setOutput((bytes) => void device.write(bytes).catch(() => {}));
    device.onData((chunk) => this.dut.receive(chunk));
  }

  /** Plugs a new link into the same device (after an unplug). */
  async reopen(): Promise<Link> {
    if (this.link.isOpen) await this.link.close();
    this.plug();
    return this.link;
  }

  close(): Promise<void> {
    this.dut.dispose();
    return this.link.close();
  }
}

/** Starts a virtual DUT and returns the host end of its link. */
export async function openVirtualDut(options: VirtualDutOptions): Promise<{ link: Link; dut: WasmDut }> {
  const connection = await VirtualDutConnection.open(options);
  return { link: connection.link, dut: connection.dut };
}
