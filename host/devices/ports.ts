/**
 * Finding DUTs, interface boards and energy monitors on the serial ports:
 * list, recognise by USB VID:PID, and probe with `name%`.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { SerialPort } from 'serialport';

import { type DeviceEntry, usbIds } from '../config/mlcommons.js';
import type { Link } from '../link/link.js';
import { openPortLink, portSetsBaud } from '../link/port-link.js';
import { BOARD_NAMES, type BoardKind, parseBoardName } from '../protocol/interface-board.js';

export interface PortInfo {
  path: string;
  vidPid?: string;
  manufacturer?: string;
  serialNumber?: string;
}

export interface KnownDevice {
  name: string;
  role: 'dut' | 'interface' | 'power';
  ids: string[];
}

/** USB ids from the protocol reference (§2, §3) and the MLCommons runner's devices files. */
export const KNOWN_DEVICES: KnownDevice[] = [
  { name: 'STM32H573I-DK interface board', role: 'interface', ids: ['0483:374e'] },
  { name: 'Arduino EEMBC io-manager', role: 'interface', ids: ['2341:0043', '2341:0001', '2a03:0043', '2a03:0243'] },
  { name: 'ST X-NUCLEO-LPM01A energy monitor', role: 'power', ids: ['0483:5740'] },
  { name: 'Nordic PPK2 energy monitor', role: 'power', ids: ['1915:c00a'] },
  { name: 'ST-LINK/V2-1 (NUCLEO board, DUT)', role: 'dut', ids: ['0483:374b'] },
];

export function knownFromYaml(entries: DeviceEntry[]): KnownDevice[] {
  return entries.filter((e) => e.usb).map((e) => ({ name: e.name, role: e.type, ids: usbIds(e) }));
}

export function recognise(vidPid: string | undefined, known: KnownDevice[] = KNOWN_DEVICES): KnownDevice | undefined {
  return vidPid ? known.find((k) => k.ids.includes(vidPid.toLowerCase())) : undefined;
}

function sysfs(dev: string, file: string): string | undefined {
  // /sys/class/tty/<dev>/device is the USB interface; its parent holds the ids.
  for (const up of ['..', '../..']) {
    const path = join('/sys/class/tty', dev, 'device', up, file);
    if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  }
  return undefined;
}

/** Serial ports with their USB identity where known. */
export async function listPorts(): Promise<PortInfo[]> {
  try {
    const ports = await SerialPort.list();
    return ports.map((p) => ({
      path: p.path,
      ...(p.vendorId && p.productId ? { vidPid: `${p.vendorId}:${p.productId}`.toLowerCase() } : {}),
      ...(p.manufacturer ? { manufacturer: p.manufacturer } : {}),
      ...(p.serialNumber ? { serialNumber: p.serialNumber } : {}),
    }));
  } catch {
    // SerialPort.list needs udevadm; read sysfs directly instead.
    if (!existsSync('/sys/class/tty')) return [];
    return readdirSync('/sys/class/tty')
      .filter((d) => /^tty(ACM|USB)\d+$/.test(d))
      .map((d) => {
        const vid = sysfs(d, 'idVendor');
        const pid = sysfs(d, 'idProduct');
        const manufacturer = sysfs(d, 'manufacturer');
        const serialNumber = sysfs(d, 'serial');
        return {
          path: `/dev/${d}`,
          ...(vid && pid ? { vidPid: `${vid}:${pid}` } : {}),
          ...(manufacturer ? { manufacturer } : {}),
          ...(serialNumber ? { serialNumber } : {}),
        };
      });
  }
}

export interface ProbeResult {
  path: string;
  baud?: number;
  name?: string;
  /** An interface board answered, and (if it relayed one) the DUT behind it. */
  board?: { kind: BoardKind; dut?: string };
  /** What each baud rate brought back, escaped, when nothing answered. */
  transcript: Array<{ baud: number; received: string; error?: string }>;
}

export const PROBE_BAUDS = [115200, 921600, 9600];

/** Sends `name%` at each baud rate and looks for `m-name-...`. Every wait is bounded. */
export async function probePort(path: string, timeoutMs = 400, bauds = PROBE_BAUDS): Promise<ProbeResult> {
  const result: ProbeResult = { path, transcript: [] };
  // A raw TCP port's rate is the server's: one probe says all.
  for (const baud of portSetsBaud(path) ? bauds : bauds.slice(0, 1)) {
    let received = '';
    try {
      const link = await openPortLink(path, baud, { openTimeoutMs: timeoutMs * 4 });
      try {
        received = await exchange(link, 'name%', /m-ready/, timeoutMs);
        const kind = parseBoardName(received.split(/\r?\n/));
        if (kind) {
          // An interface board: ask the DUT behind it too (its reply ends with the DUT's own m-ready).
          const behind = await exchange(link, 'dut name%', /\[dut\]: m-ready/, timeoutMs * 5);
          const dut = /\[dut\]: m-name-([a-z]+-\[[^\]]*\])/.exec(behind)?.[1];
          result.board = { kind, ...(dut ? { dut } : {}) };
          received += behind;
        }
      } finally {
        await link.close();
      }
    } catch (error) {
      result.transcript.push({ baud, received: JSON.stringify(received), error: error instanceof Error ? error.message : String(error) });
      continue;
    }
    const name = result.board ? BOARD_NAMES[result.board.kind] : /m-name-([a-z]+-\[[^\]]*\]|[^\r\n]*)/.exec(received)?.[1];
    result.transcript.push({ baud, received: JSON.stringify(received) });
    if (name) {
      result.baud = baud;
      result.name = name;
      return result;
    }
  }
  return result;
}

/** Writes `text` and collects what comes back until `end` matches or `timeoutMs` passes. */
function exchange(link: Link, text: string, end: RegExp, timeoutMs: number): Promise<string> {
  let received = '';
  return new Promise<string>((resolve) => {
    const finish = (): void => {
      clearTimeout(timer);
      off();
      resolve(received);
    };
    const timer = setTimeout(finish, timeoutMs);
    const off = link.onData((chunk) => {
      received += Buffer.from(chunk).toString('latin1');
      if (end.test(received)) finish();
    });
    link.write(Buffer.from(text)).catch(finish);
  });
}
