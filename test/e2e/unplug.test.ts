/**
 * Unplugging a board mid-run (issue 12 #11): a standard-protocol fake DUT on
 * a pty whose pty is closed under the runner and brought back. Either the
 * run recovers and exits, or it ends with a clear error and a resumable
 * session; never an internal error (exit 70), never a hang, never a port
 * left open (a `--mode both` run opens the port again for its second half).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { SerialLink } from '../../host/link/serial-link.js';
import { type PtyDevice, exposeOnPty } from '../../host/sim/pty-bridge.js';
import { scriptedDut } from '../fakes/scripted-dut.js';
import { dataDir, repoRoot } from '../helpers.js';

const cli = join(repoRoot, 'dist', 'host', 'cli.js');
const kwsVector = Array.from({ length: 12 }, (_, i) => (i === 7 ? '0.996' : '0.000')).join(',');

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

function finished(child: ChildProcess, timeoutMs: number): Promise<Outcome> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve({ code: null, stdout, stderr: `${stderr}\n(hung: killed after ${timeoutMs} ms)` });
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => {});
  cleanup = [];
});

/**
 * Starts `tiny-bench run --port <pty>` against a fresh fake DUT; `unplugWhen`
 * decides (from the commands the DUT has received, and the time) when to take
 * the pty away for `outageMs`.
 */
async function unplugTrial(args: string[], unplugWhen: (commands: string[], ms: number) => boolean, outageMs: number) {
  const fake = scriptedDut({ model: 'kws01', results: () => kwsVector });
  const dir = mkdtempSync(join(tmpdir(), 'tb-unplug-'));
  const out = join(dir, 'sessions');
  let pty: PtyDevice = await exposeOnPty(fake.link, dir, 'dut');
  cleanup.push(() => pty.close());
  const path = join(dir, 'dut');
  const child = spawn(process.execPath, [cli, 'run', '--port', path, '--baud', '115200', '--data-dir', dataDir(), '--out', out, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanup.push(async () => void child.kill('SIGKILL'));
  const outcome = finished(child, 90_000);
  const t0 = Date.now();
  let exited = false;
  void outcome.then(() => (exited = true));
  while (!exited && !unplugWhen(fake.commands, Date.now() - t0)) await sleep(5);
  let unpluggedAfter: number | undefined;
  if (!exited) {
    unpluggedAfter = fake.commands.length;
    await pty.close();
    await sleep(outageMs);
    pty = await exposeOnPty(fake.link, dir, 'dut');
  }
  const result = await outcome;
  // Nothing holds the port any more: it opens (and locks) again.
  const again = await SerialLink.open({ path, baudRate: 115200 });
  await again.close();
  const sessions = readdirSync(out);
  return { ...result, unpluggedAfter, session: sessions.length ? join(out, sessions[0]!) : undefined, path, dir, out };
}

function expectCleanEnd(r: Outcome & { unpluggedAfter: number | undefined }): void {
  expect(r.unpluggedAfter, 'the pty was taken away while the run was going').toBeDefined();
  expect(r.code, r.stderr).not.toBeNull();
  expect(r.code, r.stderr).not.toBe(70);
  expect(r.stderr).not.toMatch(/internal error/);
  if (r.code !== 0) {
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/continue it with: tiny-bench run --resume /);
  }
}

describe('unplugging a board mid-run', () => {
  it('during an accuracy run, mid-load, in a --mode both run: recovered, both halves finish, the process exits', async () => {
    const infers = (c: string[]) => c.filter((x) => x.startsWith('infer')).length;
    // Performance takes about 10 infers; the unplug falls inside accuracy, between db chunks.
    const r = await unplugTrial(
      ['--mode', 'both', '--limit', '30'],
      (c) => infers(c) >= 20 && c.at(-1)!.startsWith('db ') && !c.at(-1)!.startsWith('db load'),
      400,
    );
    expectCleanEnd(r);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/recovering: reopened/);
    expect(r.stdout).toMatch(/kws01\s+performance/);
    expect(r.stdout).toMatch(/kws01\s+accuracy\s+30\s+top-1/);
  }, 120_000);

  it.each([
    ['while it waits for the boot banner', (_c: string[], ms: number) => ms >= 800],
    ['right after an infer was sent', (c: string[]) => c.filter((x) => x.startsWith('infer')).length >= 5],
    ['in the performance windows', (c: string[]) => c.filter((x) => x.startsWith('infer')).length >= 3],
  ])(
    '%s: a recovered run that exits, or a clear error and a resumable session',
    async (_, when) => {
      const r = await unplugTrial(['--mode', 'both', '--limit', '20'], when, 600);
      expectCleanEnd(r);
    },
    120_000,
  );

  it('a board that stays away longer than the reopen backoff: a clear error, then --resume finishes the session', async () => {
    const r = await unplugTrial(['--mode', 'accuracy', '--limit', '30'], (c) => c.filter((x) => x.startsWith('infer')).length >= 10, 12_000);
    expectCleanEnd(r);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Could not reopen .* after \d+ attempts/);
    // The board is back (unplugTrial replugged it): the session continues where it stopped.
    const resumed = await finished(spawn(process.execPath, [cli, 'run', '--resume', r.session!], { stdio: ['ignore', 'pipe', 'pipe'] }), 60_000);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/resuming, \d+ files already scored/);
    expect(resumed.stdout).toMatch(/kws01\s+accuracy\s+30\s+top-1/);
  }, 150_000);
});
