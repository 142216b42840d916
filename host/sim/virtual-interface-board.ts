/**
 * A virtual interface board that behaves like the STM32H573I-DK firmware
 * (protocol reference §2.1), or the Arduino io-manager's subset: `%`-framed
 * commands matched by prefix, `dut <cmd>` passthrough (ack, then `[dut]: `
 * lines up to the DUT's m-ready), DUT lines that arrive outside a passthrough
 * queued and handed out as the next reply, `setbaud` that stores the rate and
 * resets the board (emptying that queue), and a board that waits forever
 * for a DUT that never answers — the host has to cope, so the simulation
 * must not be kinder than the hardware.
 */
import type { Link } from '../link/link.js';
import type { WireModel } from '../link/virtual-link.js';
import { TextFramer } from '../protocol/framing.js';
import type { BoardKind } from '../protocol/interface-board.js';
import type { BoardStreaming } from './board-streaming.js';

export interface VirtualInterfaceBoardOptions {
  kind?: BoardKind;
  /** Host side of the board (USB VCP). */
  host: Link;
  /** DUT side (the board's USART to the DUT's UART); its wire's baud rate follows `setbaud`. */
  dut: Link;
  dutWire: WireModel;
  /** The DUT's UART rate: bytes sent at another rate arrive as garbage. */
  dutBaud: number;
  /** Rate stored in the board's flash (9600 when never set). */
  boardBaud?: number;
  /** Real boards drop a passthrough when no SD card is present (H573). */
  sdCard?: boolean;
  /** sww01: the SD card's WAV files, the I2S output and the detection/duty-cycle inputs (H573 only). */
  streaming?: BoardStreaming;
}

const ENHANCED_NAME = 'tinyML Enhanced Interface Board';
const ARDUINO_NAME = 'm-name-io-[IoTConnect IO Manager 1.0.3]';

export class VirtualInterfaceBoard {
  readonly kind: BoardKind;
  private readonly fromHostFramer = new TextFramer('%');
  /** The board splits DUT output on "\r\n" only: a line ending in a bare "\n" merges with the next. */
  private readonly fromDutFramer = new TextFramer('\r\n');
  /** DUT lines not yet handed to a passthrough (the board's response queue). */
  private dutLines: string[] = [];
  private passthroughOpen = false;
  /** A play in progress blocks the CLI thread like a passthrough. */
  private playing = false;
  private waiting: string[] = [];
  private baud: number;
  /** What the DUT side has seen so far (for tests). */
  readonly relayedToDut: string[] = [];

  constructor(private readonly options: VirtualInterfaceBoardOptions) {
    this.kind = options.kind ?? 'stm32h573i-dk';
    this.baud = options.boardBaud ?? 9600;
    options.dutWire.baudRate = this.baud;
    options.host.onData((chunk) => this.fromHost(chunk));
    options.dut.onData((chunk) => this.fromDut(chunk));
  }

  private fromHost(chunk: Uint8Array): void {
    this.waiting.push(...this.fromHostFramer.push(chunk));
    this.serve();
  }

  /** The CLI thread: one command at a time; a passthrough blocks it until the DUT's m-ready. */
  private serve(): void {
    while (!this.passthroughOpen && !this.playing && this.waiting.length) this.execute(this.waiting.shift()!);
  }

  private execute(text: string): void {
    const table =
      this.kind === 'arduino'
        ? ['dut', 'name']
        : ['dut', 'name', 'ls', 'play', 'setbaud', 'checkbaud', 'record_detections', 'print_detections', 'print_dutycycle'];
    const entry = table.find((name) => text.startsWith(name));
    if (!entry) return this.reply(['m-ready']);
    // Prefix but neither the whole text nor followed by a space and an argument (`names`, `dut `): no handler, no reply at all.
    if (text !== entry && !(text[entry.length] === ' ' && text.length > entry.length + 1)) return;
    const arg = text.slice(entry.length + 1);
    switch (entry) {
      case 'name':
        return this.reply([this.kind === 'arduino' ? ARDUINO_NAME : ENHANCED_NAME, 'm-ready']);
      case 'checkbaud':
        return this.reply([`baud is: ${this.baud}`, 'm-ready'], '\n');
      case 'setbaud': {
        const n = Number(arg);
        this.reply([`set baud to: ${arg}`, 'm-ready'], '\n');
        // Stored, then the MCU resets: the DUT queue is gone, the new rate applies at boot.
        this.baud = !Number.isInteger(n) || n <= 0 || n > 2_000_000 ? 9600 : n;
        this.options.dutWire.baudRate = this.baud;
        this.dutLines = [];
        this.fromDutFramer.reset();
        this.waiting = [];
        return;
      }
      case 'dut':
        this.reply([`m-dut-passthrough(${arg})`, 'm-ready']);
        if (this.options.sdCard === false) return;
        this.passthroughOpen = true;
        this.relayedToDut.push(arg);
        void this.options.dut.write(this.onDutWire(`${arg}%`)).catch(() => {});
        this.pump();
        return;
      case 'ls':
        return this.reply([...(this.options.streaming?.fileNames() ?? []), 'm-ready']);
      case 'play': {
        const streaming = this.options.streaming;
        // This line ends in a bare "\n" on the H573.
        void this.options.host.write(Buffer.from(`Attempting to play ${arg}\n`, 'latin1')).catch(() => {});
        if (!streaming) return this.reply(['Error playing file. Check that the file exists and is a 2-channel wav file.', 'm-ready'], '\n');
        this.playing = true;
        streaming.play(text === entry ? undefined : arg, (ok) => {
          this.playing = false;
          this.reply([ok ? 'succeeded.' : 'Error playing file. Check that the file exists and is a 2-channel wav file.', 'm-ready'], '\n');
          this.serve();
        });
        return;
      }
      case 'record_detections':
        this.options.streaming?.recordDetections();
        return this.reply(['Now recording detections', 'm-ready']);
      case 'print_detections':
        return this.reply(['Detection Timestamps (ms)', ...(this.options.streaming?.detectionLines() ?? []), 'm-ready']);
      case 'print_dutycycle': {
        // As the H573: the last value line carries m-ready, no line break before it.
        const lines = this.options.streaming?.dutyCycleLines() ?? ['Duty cycle start times (s)', '', 'Duty cycle stop times (s)', ''];
        const last = lines.pop() ?? '';
        return this.reply([...lines, `${last}m-ready`]);
      }
      default:
        return this.reply(['m-ready']);
    }
  }

  private fromDut(chunk: Uint8Array): void {
    this.dutLines.push(...this.fromDutFramer.push(this.onDutWire(Buffer.from(chunk).toString('latin1'))));
    this.pump();
  }

  /** Relays queued DUT lines to the host while a passthrough is open. */
  private pump(): void {
    while (this.passthroughOpen && this.dutLines.length) {
      const line = this.dutLines.shift()!;
      this.reply([`[dut]: ${line}`]);
      if (line === 'm-ready') {
        this.passthroughOpen = false;
        this.serve();
      }
    }
  }

  /** Bytes between board and DUT at mismatched rates turn to garbage. */
  private onDutWire(text: string): Uint8Array {
    const bytes = Buffer.from(text, 'latin1');
    if (this.baud === this.options.dutBaud) return bytes;
    return bytes.map((b) => (b * 7 + 0x80) & 0xff);
  }

  private reply(lines: string[], ending = '\r\n'): void {
    void this.options.host.write(Buffer.from(lines.map((l, i) => `${l}${i === lines.length - 1 ? '\r\n' : ending}`).join(''), 'latin1')).catch(() => {});
  }
}
