/**
 * `tiny-bench serve`: the built-in virtual DUT on a pseudo-terminal, so any
 * host — tiny-bench on another terminal, the official runner, ser2net
 * exporting it over the network — opens it like a USB board and can be timed
 * against a modelled wire.
 *
 * Bytes go pty -> wire model -> WebAssembly DUT -> wire model -> pty. The
 * wire runs at the rate the host set on the pty: a host (or ser2net, for an
 * RFC 2217 client) that changes the baud rate changes the modelled rate.
 */
import { execFile } from 'node:child_process';
import { existsSync, lstatSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

import type { Benchmark } from '../bench/benchmark.js';
import { ConfigError } from '../errors.js';
import { SerialLink } from '../link/serial-link.js';
import { type WireModel, createVirtualPair } from '../link/virtual-link.js';
import { STANDARD_COMMAND_BUFFER } from '../protocol/commands.js';
import { type Helper, startHelper, waitForHelpers } from './child-processes.js';
import { WasmDut } from './wasm-dut.js';

export interface ServeOptions {
  benchmark: Benchmark;
  model: Uint8Array;
  /** Where the pty the host opens is linked. */
  linkPath: string;
  /** Modelled wire rate until a host sets another one on the pty (8N1, 10 bits a byte); undefined: no pacing. */
  wireBaud?: number;
  /** Round trip added by the wire (half each way), e.g. a USB-serial bridge's turnaround. */
  wireRttMs?: number;
  /** Behave like the EEMBC reference harness: 80-character command buffer, no extension lines. */
  standard?: boolean;
  /** How often the pty's rate is looked at (ms). */
  baudPollMs?: number;
  say?: (line: string) => void;
}

export interface ServedDut {
  path: string;
  readonly wire: Readonly<WireModel>;
  /** Rates the host set on the pty, in order, as seen by the poll. */
  readonly rateChanges: readonly number[];
  /** Rates the DUT's UART switched to (baud switches and their reverts), in order. */
  readonly dutRates: readonly number[];
  close(): Promise<void>;
}

/** Reads the pty's speed as its termios holds it (what the host, or ser2net, set). */
export function ptySpeed(path: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    execFile('stty', ['-F', path, 'speed'], { timeout: 2000 }, (error, stdout) => {
      const n = Number(String(stdout).trim());
      resolve(error || !Number.isInteger(n) || n <= 0 ? undefined : n);
    });
  });
}

function setPtySpeed(path: string, baud: number): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('stty', ['-F', path, String(baud)], { timeout: 2000 }, (error, _out, stderr) => {
      if (error) reject(new ConfigError(`--wire-baud ${baud}: the pty refused that rate (${String(stderr).trim() || error.message})`));
      else resolve();
    });
  });
}

export async function serveVirtualDut(options: ServeOptions): Promise<ServedDut> {
  const path = options.linkPath;
  const say = options.say ?? (() => {});
  if (!existsSync(dirname(path))) throw new ConfigError(`--link ${path}: the folder ${dirname(path)} does not exist`);
  if (isPresent(path)) throw new ConfigError(`--link ${path} already exists; remove it or choose another path`);
  const ours = join(dirname(path), `.${basename(path)}.dut`);
  rmSync(ours, { force: true });
  // socat leaves its links behind when killed; a stopped serve must not.
  const removeLinks = (): void => {
    rmSync(path, { force: true });
    rmSync(ours, { force: true });
  };
  process.once('exit', removeLinks);

  let socat: Helper | undefined;
  let dut: WasmDut | undefined;
  const closers: Array<() => Promise<void> | void> = [];
  const close = async (): Promise<void> => {
    for (const fn of closers.reverse()) await fn();
    closers.length = 0;
    await socat?.stop();
    removeLinks();
    process.removeListener('exit', removeLinks);
  };
  try {
    socat = startHelper('socat', [`pty,link=${path},raw,echo=0`, `pty,link=${ours},raw,echo=0`], `the pty of ${path}`);
    await waitForHelpers(`the pty at ${path}`, () => existsSync(path) && existsSync(ours), [socat], 5000);
    if (options.wireBaud) await setPtySpeed(path, options.wireBaud);
    const wire: WireModel = { ...(options.wireBaud ? { baudRate: options.wireBaud } : {}), ...(options.wireRttMs ? { latencyMs: options.wireRttMs / 2 } : {}) };
    const pair = createVirtualPair(`tiny-bench serve (${options.benchmark.id}${options.standard ? ', standard' : ''})`, wire);
    const port = await SerialLink.open({ path: ours, baudRate: 115200 });
    closers.push(() => port.close().catch(() => {}));
    const early: Uint8Array[] = [];
    let out: (bytes: Uint8Array) => void = (bytes) => early.push(bytes);
    // The wire follows the pty, which the host sets right after the DUT agreed to a rate: the DUT's own switch is reported.
    const dutRates: number[] = [];
    let booted = false;
    dut = await WasmDut.create(
      {
        benchmark: options.benchmark,
        model: options.model,
        commandBuffer: options.standard ? STANDARD_COMMAND_BUFFER : 8192,
        standard: options.standard ?? false,
        onUartBaud: (rate) => {
          if (!booted) return;
          dutRates.push(rate);
          say(`the DUT switched its UART to ${rate} baud`);
        },
      },
      (bytes) => out(bytes),
    );
    booted = true;
    closers.push(() => dut?.dispose());
    const device = pair.device;
    out = (bytes) => void device.write(bytes).catch(() => {});
    device.onData((chunk) => dut!.receive(chunk));
    port.onData((chunk) => void pair.host.write(chunk).catch(() => {}));
    pair.host.onData((chunk) => void port.write(chunk).catch(() => {}));
    for (const bytes of early) out(bytes);
    closers.push(() => pair.host.close());

    const rateChanges: number[] = [];
    let lastSeen = options.wireBaud ?? (await ptySpeed(path));
    let polling = false;
    const poll = setInterval(() => {
      if (polling) return;
      polling = true;
      void ptySpeed(path).then((rate) => {
        polling = false;
        if (rate === undefined || rate === lastSeen) return;
        lastSeen = rate;
        rateChanges.push(rate);
        if (wire.baudRate !== undefined) wire.baudRate = rate;
        say(`host set the pty to ${rate} baud${wire.baudRate !== undefined ? '; the modelled wire follows' : ''}`);
      });
    }, options.baudPollMs ?? 250);
    poll.unref();
    closers.push(() => clearInterval(poll));
    return { path, wire, rateChanges, dutRates, close };
  } catch (error) {
    await close();
    throw error;
  }
}

function isPresent(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Resolves never: on SIGINT or SIGTERM the process exits with status 0. Exit
 * hooks do the cleaning (socat is killed by child-processes.ts, the links are
 * removed by serveVirtualDut), so the stop is clean even though the helpers'
 * own signal hook would exit the process right after this one.
 */
export function exitOnSignal(say: (line: string) => void): Promise<never> {
  return new Promise(() => {
    const on = (signal: NodeJS.Signals): void => {
      say(`tiny-bench serve: stopped (${signal})`);
      process.exit(0);
    };
    process.prependListener('SIGINT', on);
    process.prependListener('SIGTERM', on);
  });
}
