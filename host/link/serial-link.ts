import { SerialPortStream } from '@serialport/stream';
import { SerialPort } from 'serialport';

import { LinkClosedError, TimeoutError, TinyBenchError } from '../errors.js';
import { type Link, LinkEvents } from './link.js';
import { PolledLinuxBinding } from './polled-binding.js';

export interface SerialLinkOptions {
  path: string;
  baudRate: number;
  openTimeoutMs?: number;
  /**
   * Wait for the UART to have sent the bytes (tcdrain) before write() resolves.
   * Off by default: the host waits for the reply anyway, and each drain is one
   * more trip through libuv's thread pool per command (bench/serial-overhead.mjs).
   */
  drainAfterWrite?: boolean;
  /**
   * How bytes move: 'polled' (Linux default) reads and writes the non-blocking
   * descriptor directly and waits on the poller only when the kernel has
   * nothing; 'stock' is node-serialport's thread-pool path (other platforms).
   */
  io?: 'polled' | 'stock';
}

function openPort(options: SerialLinkOptions): SerialPortStream {
  const common = { path: options.path, baudRate: options.baudRate, autoOpen: false };
  if ((options.io ?? (process.platform === 'linux' ? 'polled' : 'stock')) === 'polled') return new SerialPortStream({ ...common, binding: PolledLinuxBinding });
  return new SerialPort(common);
}

/** A real (or pseudo-terminal) serial port through node-serialport. */
export class SerialLink extends LinkEvents implements Link {
  description: string;
  private closing = false;
  private readonly drainAfterWrite: boolean;

  private constructor(
    private readonly port: SerialPortStream,
    options: SerialLinkOptions,
  ) {
    super();
    this.description = `${options.path} @ ${options.baudRate} baud`;
    this.drainAfterWrite = options.drainAfterWrite ?? false;
    port.on('data', (chunk: Buffer) => this.data.emit(new Uint8Array(chunk)));
    // However the port goes away (serialport's DisconnectedError from its read
    // path, EIO, EBADF after an unplug), it is a lost link the caller may reopen.
    port.on('close', (err?: Error & { disconnected?: boolean }) => {
      if (this.closing) this.closed.emit(undefined);
      else this.closed.emit(new LinkClosedError(`${this.description} was lost${err ? `: ${err.message}` : ' (closed unexpectedly)'}`));
    });
    port.on('error', () => {
      /* surfaced through close or the failing write */
    });
  }

  static async open(options: SerialLinkOptions): Promise<SerialLink> {
    const port = openPort(options);
    const timeoutMs = options.openTimeoutMs ?? 5000;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new TimeoutError(`Opening ${options.path} took longer than ${timeoutMs} ms`)), timeoutMs);
      port.open((err) => {
        clearTimeout(timer);
        if (err) reject(new TinyBenchError(`Cannot open serial port ${options.path}: ${openFailureAdvice(err.message)}`));
        else resolve();
      });
    });
    return new SerialLink(port, options);
  }

  get isOpen(): boolean {
    return this.port.isOpen;
  }

  write(data: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      if (!this.port.isOpen) {
        reject(new LinkClosedError(`${this.description} is closed`));
        return;
      }
      this.port.write(Buffer.from(data), (err) => {
        if (err) reject(new LinkClosedError(`Writing to ${this.description} failed: ${err.message}`));
        else if (this.drainAfterWrite) this.port.drain(() => resolve());
        else resolve();
      });
    });
  }

  /** A new rate on the open port (a baud switch the DUT agreed to); the description follows. */
  setBaudRate(baud: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.port.update({ baudRate: baud }, (err) => {
        if (err) reject(new TinyBenchError(`Cannot set ${this.port.path} to ${baud} baud: ${err.message}`));
        else {
          this.description = this.description.replace(/ @ \d+ baud$/, ` @ ${baud} baud`);
          resolve();
        }
      });
    });
  }

  close(): Promise<void> {
    this.closing = true;
    if (!this.port.isOpen) return Promise.resolve();
    return new Promise((resolve) => this.port.close(() => resolve()));
  }
}

/**
 * What a user can do about node-serialport's open errors, which read like
 * "Error: Permission denied, cannot open /dev/ttyACM0": the three causes
 * seen at a bench get their remedy; anything else is passed on as it is.
 */
export function openFailureAdvice(message: string): string {
  const text = message.replace(/^Error:?\s*/, '');
  if (/No such file or directory/i.test(text))
    return "no such port: is the board plugged in, and is this its port? ('tiny-bench ports' lists the serial ports)";
  if (/Permission denied/i.test(text))
    return 'permission denied: this user may not open it (on Linux, join the group that owns the port, often dialout, and log in again)';
  if (/Cannot lock port|Resource temporarily unavailable|busy/i.test(text))
    return 'it is in use by another program (a serial monitor, another tiny-bench run, ModemManager); close that and try again';
  return text;
}
