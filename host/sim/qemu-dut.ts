/**
 * The firmware built for a Cortex-M4F and run in qemu-system-arm (mps2-an386),
 * its UART bridged to a pseudo-terminal that the host opens with the same
 * SerialLink a USB board uses.
 *
 * Start-up order keeps the boot banner: QEMU starts paused (-S) and waits for
 * the UART socket; socat connects it to a pty; the host opens the pty; only
 * then the monitor's `cont` lets the CPU run.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';

import { userCacheDir } from '../../datasets/data-dir.js';
import { TimeoutError, TinyBenchError } from '../errors.js';
import type { Link } from '../link/link.js';
import { SerialLink } from '../link/serial-link.js';
import { packageRoot } from '../paths.js';
import { type Helper, startHelper, waitForHelpers } from './child-processes.js';

/** An emulated board: QEMU machine, firmware port, and how its DUT UART is wired. */
export interface QemuBoard {
  machine: string;
  port: string;
  /** Extra compiler flags for this machine. */
  buildFlags: string[];
  /** -serial arguments that put the DUT UART on chardev `uart0`. */
  serialArgs: string[];
  title: string;
}

export const QEMU_BOARDS = {
  'mps2-an386': { machine: 'mps2-an386', port: 'mps2-an386', buildFlags: [], serialArgs: ['-serial', 'chardev:uart0'], title: 'QEMU mps2-an386 Cortex-M4F' },
  // USART2 is the STM32's second UART; QEMU 7.2 clocks its timers at 1 GHz.
  stm32f4: {
    machine: 'netduinoplus2',
    port: 'stm32f4',
    buildFlags: ['-DTB_TIM2_HZ=1000000000'],
    serialArgs: ['-serial', 'null', '-serial', 'chardev:uart0'],
    title: 'QEMU netduinoplus2 STM32F405 (stm32f4 port)',
  },
} satisfies Record<string, QemuBoard>;

export type QemuBoardName = keyof typeof QEMU_BOARDS;

export interface QemuDutOptions {
  benchmark: { id: string };
  board?: QemuBoardName;
  modelPath: string;
  /** -icount shift: 2^shift ns per instruction; 3 = 125 MIPS, near a 120 MHz Cortex-M4. */
  shift?: number;
  startTimeoutMs?: number;
  /** Extra compiler flags for the image, e.g. ['-DTB_KERNELS=ref'] for the reference kernels. */
  buildFlags?: string[];
}

export interface QemuDut {
  link: Link;
  elf: string;
  buildOutput: string;
  /** A human-monitor command's output (e.g. `xp /1wx 0x40004010` to read a UART register). */
  monitor(command: string): Promise<string>;
  close(): Promise<void>;
}

function firmwareSources(): string[] {
  const root = join(packageRoot(), 'firmware');
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!['dist', 'tests', 'wasm'].includes(entry.name)) walk(path); // tools/: build-config.mjs shapes every image
      } else if (/\.(c|h|S|ld|sh|json|mjs)$/.test(entry.name)) files.push(path);
    }
  };
  walk(root);
  return files.sort();
}

/** Builds (or reuses) the image for this benchmark and model; cached by the hash of sources and model. */
export function ensureQemuImage(
  benchmark: { id: string },
  modelPath: string,
  board: QemuBoard = QEMU_BOARDS['mps2-an386'],
  extraFlags: string[] = [],
): { elf: string; buildOutput: string } {
  const flags = [...board.buildFlags, ...extraFlags];
  const hash = createHash('sha256').update(board.port).update(flags.join(' '));
  for (const file of firmwareSources()) hash.update(file.slice(packageRoot().length)).update(readFileSync(file));
  hash.update(readFileSync(modelPath));
  const dir = join(userCacheDir(), 'qemu-images', `${board.port}-${benchmark.id}-${hash.digest('hex').slice(0, 16)}`);
  const elfName = `tiny-bench-${benchmark.id}-${board.port}.elf`;
  const built = (at: string): boolean => existsSync(join(at, elfName)) && existsSync(join(at, 'build.txt'));
  const cached = () => ({ elf: join(dir, elfName), buildOutput: readFileSync(join(dir, 'build.txt'), 'utf8') });
  if (built(dir)) return cached();
  // Built in a folder of its own and moved into place whole: two processes that need the same image
  // (test files run side by side) used to build into one folder, one starting QEMU on an ELF the
  // other was still writing.
  mkdirSync(dirname(dir), { recursive: true });
  const work = mkdtempSync(`${dir}.building-`);
  const build = spawnSync('bash', [join(packageRoot(), 'firmware/ports/build-arm.sh'), board.port, benchmark.id, modelPath, work, ...flags], {
    encoding: 'utf8',
    // The build reads firmware/build.json with node: this one, whatever PATH says.
    env: { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}` },
  });
  if (build.error || build.status !== 0) {
    const stderr = build.stderr ?? '';
    // build-arm.sh says in one line per memory region what does not fit; the linker's own lines follow.
    const overflow = stderr.split('\n').filter((line) => line.startsWith(`${benchmark.id} needs `));
    const why = stderr.includes('arm-none-eabi-gcc: command not found')
      ? 'the Arm toolchain is missing; run scripts/install-toolchain.sh (gcc-arm-none-eabi, libnewlib-arm-none-eabi)'
      : overflow.length
        ? overflow.join('; ')
        : (stderr || build.error?.message || '').trim();
    rmSync(work, { recursive: true, force: true });
    throw new TinyBenchError(`Building the ${benchmark.id} image for ${board.port} failed: ${why}`);
  }
  writeFileSync(join(work, 'build.txt'), build.stdout.split('\n')[0] ?? '');
  for (let attempt = 0; ; ++attempt) {
    try {
      renameSync(work, dir);
      break;
    } catch (error) {
      // Another process moved its identical build into place first...
      if (built(dir)) {
        rmSync(work, { recursive: true, force: true });
        break;
      }
      // ...or an older tiny-bench, which built in place, left an unfinished folder (a build moved in is always whole).
      if (attempt > 0) throw error;
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return cached();
}

function monitorCommand(path: string, command: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new TimeoutError(`QEMU monitor did not accept '${command}' within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('connect', () =>
      socket.end(`${command}\n`, () => {
        clearTimeout(timer);
        resolve();
      }),
    );
    socket.on('error', (e) => {
      clearTimeout(timer);
      reject(new TinyBenchError(`QEMU monitor: ${e.message}`));
    });
  });
}

/** Runs one human-monitor command and resolves with what QEMU printed before its next prompt. */
export function monitorQuery(path: string, command: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let text = '';
    let sent = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new TimeoutError(`QEMU monitor did not answer '${command}' within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (!sent && text.includes('(qemu) ')) {
        sent = true;
        text = '';
        socket.write(`${command}\n`);
      } else if (sent && text.includes('(qemu) ')) {
        clearTimeout(timer);
        socket.end();
        // The monitor echoes the command line (with terminal escapes) before its output.
        const lines = text.split('\r\n').slice(1, -1);
        resolve(lines.join('\n').trim());
      }
    });
    socket.on('error', (e) => {
      clearTimeout(timer);
      reject(new TinyBenchError(`QEMU monitor: ${e.message}`));
    });
  });
}

export async function startQemuDut(options: QemuDutOptions): Promise<QemuDut> {
  const board: QemuBoard = QEMU_BOARDS[options.board ?? 'mps2-an386'];
  const { elf, buildOutput } = ensureQemuImage(options.benchmark, options.modelPath, board, options.buildFlags);
  const shift = options.shift ?? 3;
  const timeoutMs = options.startTimeoutMs ?? 15_000;
  const dir = mkdtempSync(join(tmpdir(), 'tiny-bench-qemu-'));
  if (dir.includes(',')) throw new TinyBenchError(`Temporary folder ${dir} contains a comma, which QEMU options cannot carry`);
  const uart = join(dir, 'uart.sock');
  const monitor = join(dir, 'monitor.sock');
  const pty = join(dir, 'uart.pty');
  const helpers: Helper[] = [];
  let link: Link | undefined;
  const close = async (): Promise<void> => {
    await link?.close();
    for (const h of helpers.reverse()) await h.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    helpers.push(
      startHelper(
        'qemu-system-arm',
        [
          '-M',
          board.machine,
          '-display',
          'none',
          '-S',
          '-monitor',
          `unix:${monitor},server=on,wait=off`,
          '-icount',
          `shift=${shift}`,
          '-kernel',
          elf,
          '-chardev',
          `socket,id=uart0,path=${uart},server=on,wait=on`,
          ...board.serialArgs,
        ],
        'the QEMU DUT',
      ),
    );
    await Promise.race([waitForHelpers('QEMU UART socket', () => existsSync(uart), helpers, timeoutMs), helpers[0]!.exited.then(() => undefined)]);
    helpers.push(startHelper('socat', [`pty,link=${pty},raw,echo=0`, `unix-connect:${uart}`], 'the QEMU DUT serial bridge'));
    await waitForHelpers('socat pty', () => existsSync(pty) && existsSync(monitor), helpers, timeoutMs);
    link = await SerialLink.open({ path: pty, baudRate: 115200 });
    await monitorCommand(monitor, 'cont', timeoutMs);
    const description = `${board.title} (${options.benchmark.id}, -icount shift=${shift}, emulated)`;
    const inner = link;
    const wrapped: Link = {
      description,
      get isOpen() {
        return inner.isOpen;
      },
      write: (d) => inner.write(d),
      // QEMU's UART does not pace by baud, but the firmware sets its divisor; the pty follows the host's rate.
      setBaudRate: (baud) => inner.setBaudRate!(baud),
      onData: (l) => inner.onData(l),
      onClose: (l) => inner.onClose(l),
      close,
    };
    return { link: wrapped, elf, buildOutput, monitor: (command) => monitorQuery(monitor, command, timeoutMs), close };
  } catch (error) {
    await close();
    throw error;
  }
}
