/**
 * Remote DUTs the way board farms export them: `tiny-bench serve` (the
 * virtual DUT on a pty, its own process) behind Debian's ser2net on
 * loopback, with a telnet(rfc2217) and a raw tcp accepter. Runs over each
 * must give the per-file results of the direct pty run; a baud rate set over
 * RFC 2217 must reach the pty's termios; a ser2net killed mid-run is
 * recovered (restarted) or fails in bounded time; a refused port fails fast.
 * ser2net and serve are killed on every path (afterAll, and on exit).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readlinkSync, realpathSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { NetworkLink } from '../../host/link/network-link.js';
import { parsePortUrl } from '../../host/protocol/port-url.js';
import type { ResultsDocument } from '../../host/report/results-schema.js';
import type { Mode } from '../../host/run/bench-run.js';
import type { Progress } from '../../host/core/progress.js';
import { silentProgress } from '../../host/core/progress.js';
import { ptySpeed } from '../../host/sim/serve.js';
import { dataDir, repoRoot, runTestSession } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'tb-ser2net-'));
const pty = join(dir, 'dut');
const cli = join(repoRoot, 'dist', 'host', 'cli.js');
const FILES = 100;

const children = new Set<ChildProcess>();
const killAll = (): void => {
  for (const c of children) c.kill('SIGKILL');
};
process.on('exit', killAll);

function start(command: string, args: string[]): { child: ChildProcess; output: () => string } {
  let text = '';
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TINY_BENCH_DATA: dataDir() } });
  children.add(child);
  child.on('error', (e) => (text += `${command}: ${e.message}\n`));
  child.on('exit', () => children.delete(child));
  child.stdout!.on('data', (d) => (text += d));
  child.stderr!.on('data', (d) => (text += d));
  return { child, output: () => text };
}

async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill(signal);
  return exited;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const listening = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

let serve: ReturnType<typeof start>;
let ser2net: ReturnType<typeof start> | undefined;
let rfcPort = 0;
let rawPort = 0;
let config = '';

async function startSer2net(): Promise<void> {
  ser2net = start('ser2net', ['-n', '-u', '-c', config]);
  await until('ser2net listening', async () => (await listening(rfcPort)) && (await listening(rawPort)));
  // The probes above were clients too: let ser2net release the pty before the next one.
  await new Promise((r) => setTimeout(r, 200));
}

beforeAll(async () => {
  if (spawnSync('ser2net', ['-v']).error) throw new Error('ser2net is not installed: run scripts/install-toolchain.sh');
  serve = start(process.execPath, [cli, 'serve', '-b', 'kws01', '--link', pty]);
  await until("serve's pty", () => existsSync(pty) && /Ctrl-C stops it/.test(serve.output()));
  rfcPort = await freePort();
  rawPort = await freePort();
  config = join(dir, 'ser2net.yaml');
  // ser2net 4.x: one connection per accepter, both exporting the same pty (used one at a time).
  // Its defaults (64-byte buffers, a wait after each character) cost ~50 ms per command; a lab
  // exporting boards for benchmarking wants these options too (README).
  const options = ['  options:', '    chardelay: false', '    net-to-dev-bufsize: 4096', '    dev-to-net-bufsize: 4096'];
  writeFileSync(
    config,
    [
      '%YAML 1.1',
      '---',
      'connection: &rfc2217',
      `  accepter: telnet(rfc2217),tcp,127.0.0.1,${rfcPort}`,
      `  connector: serialdev,${pty},115200n81,local`,
      ...options,
      'connection: &raw',
      `  accepter: tcp,127.0.0.1,${rawPort}`,
      `  connector: serialdev,${pty},115200n81,local`,
      ...options,
      '',
    ].join('\n'),
  );
  await startSer2net();
});

afterAll(async () => {
  if (ser2net) await stop(ser2net.child);
  const code = await stop(serve.child);
  // serve stops cleanly on SIGTERM and removes its pty link.
  expect(code).toBe(0);
  expect(existsSync(pty)).toBe(false);
  killAll();
});

/** Whether ser2net has the pty open (it holds it while a client is connected, and a moment after). */
function ser2netHoldsPty(): boolean {
  const pid = ser2net?.child.pid;
  if (!pid || ser2net!.child.exitCode !== null || ser2net!.child.signalCode !== null) return false;
  const target = realpathSync(pty);
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === target;
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

async function run(port: string, mode: Mode, progress: Progress = silentProgress): Promise<ResultsDocument> {
  // One user of the pty at a time, as on a real board: the direct run must not share it with ser2net.
  await until('ser2net releasing the pty', () => !ser2netHoldsPty(), 5000);
  const result = await runTestSession({
    benchmarks: ['kws01'],
    modes: [mode],
    dut: { kind: 'serial', path: port, baudRate: 115200 },
    dataDir: dataDir(),
    limit: FILES,
    windows: 2,
    outDir: join(dir, 'sessions'),
    command: ['test'],
    progress,
    say: () => {},
  });
  return result.documents[0]!;
}

const perFile = (doc: ResultsDocument) => doc.perFile!.map((f) => JSON.stringify(f));

describe('kws01 over ser2net (telnet rfc2217 and raw tcp) against tiny-bench serve', () => {
  let direct: ResultsDocument;

  it(`accuracy over ${FILES} files: identical per-file results on the direct pty, rfc2217:// and tcp://`, async () => {
    direct = await run(pty, 'accuracy');
    expect(direct.files).toBe(FILES);
    const rfc = await run(`rfc2217://127.0.0.1:${rfcPort}`, 'accuracy');
    const raw = await run(`tcp://127.0.0.1:${rawPort}`, 'accuracy');
    expect(rfc.dut.link).toBe(`rfc2217://127.0.0.1:${rfcPort} @ 115200 baud`);
    expect(raw.dut.link).toBe(`tcp://127.0.0.1:${rawPort}`);
    expect(perFile(rfc)).toEqual(perFile(direct));
    expect(perFile(raw)).toEqual(perFile(direct));
    process.stdout.write(`kws01 accuracy ${FILES} files: direct ${direct.wallSeconds} s, rfc2217 ${rfc.wallSeconds} s, tcp ${raw.wallSeconds} s\n`);
  });

  it('performance: the same windows (inferences and DUT-timed throughput) over each', async () => {
    const d = await run(pty, 'performance');
    const rfc = await run(`rfc2217://127.0.0.1:${rfcPort}`, 'performance');
    const raw = await run(`tcp://127.0.0.1:${rawPort}`, 'performance');
    // The DUT's clock runs on across runs, so its 1 µs laps round differently: equal to 1 µs per window.
    const same = (a: ResultsDocument, b: ResultsDocument): void => {
      expect(a.windows!.map((w) => [w.file, w.inferences])).toEqual(b.windows!.map((w) => [w.file, w.inferences]));
      a.windows!.forEach((w, i) => expect(Math.abs(w.throughput / b.windows![i]!.throughput - 1)).toBeLessThan(1e-6));
      expect(Math.abs(a.medianThroughput! / b.medianThroughput! - 1)).toBeLessThan(1e-6);
    };
    same(rfc, d);
    same(raw, d);
  });

  it('a baud rate set over RFC 2217 reaches the pty (ser2net sets its termios)', async () => {
    const link = await NetworkLink.open({ port: parsePortUrl(`rfc2217://127.0.0.1:${rfcPort}`)!, baudRate: 57600 });
    try {
      expect(link.settings?.baudRate).toBe(57600);
      expect(await ptySpeed(pty)).toBe(57600);
      expect(await link.setBaudRate(230400)).toBe(230400);
      await until('the pty at 230400 baud', async () => (await ptySpeed(pty)) === 230400, 3000);
      // serve sees the rate on its side of the pty too (the rate its wire model would follow).
      await until('serve noticing 230400 baud', () => /host set the pty to 230400 baud/.test(serve.output()), 3000);
    } finally {
      await link.close();
    }
  });

  it('run --fast-baud over RFC 2217: ser2net sets the pty to 921600, serve follows, per-file results unchanged', async () => {
    await until('ser2net releasing the pty', () => !ser2netHoldsPty(), 5000);
    // The pty's rate mid-run, read directly: after the switch the run can end before serve's 250 ms poll
    // looks (inputs sent ahead), and ser2net then releases the pty.
    const midRun: Array<Promise<number | undefined>> = [];
    const result = await runTestSession({
      benchmarks: ['kws01'],
      modes: ['accuracy'],
      dut: { kind: 'serial', path: `rfc2217://127.0.0.1:${rfcPort}`, baudRate: 115200 },
      fastBaud: 921600,
      dataDir: dataDir(),
      limit: FILES,
      outDir: join(dir, 'sessions'),
      command: ['test'],
      progress: {
        ...silentProgress,
        advance(done: number) {
          if (done === FILES / 2) midRun.push(ptySpeed(pty));
        },
      },
      say: () => {},
    });
    expect(await Promise.all(midRun)).toEqual([921600]);
    const doc = result.documents[0]!;
    expect(doc.dut.baud).toMatchObject({ rate: 921600, switched: true });
    expect(doc.dut.link).toBe(`rfc2217://127.0.0.1:${rfcPort} @ 921600 baud`);
    expect(perFile(doc)).toEqual(perFile(direct));
    // serve's DUT took the switch (its wire model's following of the pty rate: test/sim/serve-baud.test.ts).
    expect(serve.output()).toMatch(/the DUT switched its UART to 921600 baud/);
  });

  it('ser2net killed mid-run and restarted: the run reconnects and its results are unchanged', async () => {
    let killed = false;
    const progress: Progress = {
      ...silentProgress,
      advance(done: number) {
        if (done >= 20 && !killed) {
          killed = true;
          void stop(ser2net!.child, 'SIGKILL').then(() => setTimeout(() => void startSer2net(), 1000));
        }
      },
    };
    const doc = await run(`rfc2217://127.0.0.1:${rfcPort}`, 'accuracy', progress);
    expect(killed).toBe(true);
    expect(doc.recovery?.reconnects).toBeGreaterThanOrEqual(1);
    expect(perFile(doc)).toEqual(perFile(direct));
  });

  it('ser2net killed for good: the run fails in bounded time with one clear message', async () => {
    await until('ser2net back', async () => await listening(rfcPort));
    await new Promise((r) => setTimeout(r, 200));
    let killed = false;
    const progress: Progress = {
      ...silentProgress,
      advance(done: number) {
        if (done >= 5 && !killed) {
          killed = true;
          void stop(ser2net!.child, 'SIGKILL');
        }
      },
    };
    const started = Date.now();
    const failure = await run(`tcp://127.0.0.1:${rawPort}`, 'accuracy', progress).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(killed).toBe(true);
    expect(failure?.message.split('\n')[0]).toMatch(
      new RegExp(`Could not reopen tcp://127.0.0.1:${rawPort} after \\d+ attempts: Cannot connect to tcp://127.0.0.1:${rawPort}: connection refused`),
    );
    process.stdout.write(`ser2net gone: the run gave up after ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  });

  it('a refused port fails in under 5 s', { timeout: 5000 }, async () => {
    const port = await freePort();
    await expect(run(`rfc2217://127.0.0.1:${port}`, 'accuracy')).rejects.toThrow(
      new RegExp(`^Cannot connect to rfc2217://127.0.0.1:${port}: connection refused`),
    );
  });
});
