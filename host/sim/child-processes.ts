/**
 * Helper processes (QEMU, socat) that must never outlive the runner: on a
 * normal close, on an error, on Ctrl-C or SIGTERM, and when Node exits.
 * Always spawned with argument arrays, never through a shell.
 */
import { type ChildProcess, spawn } from 'node:child_process';

import { TimeoutError, TinyBenchError } from '../errors.js';

const running = new Set<ChildProcess>();
let hooksInstalled = false;

function killAllNow(): void {
  for (const child of running) {
    try {
      child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
  running.clear();
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      killAllNow();
      process.stderr.write(`tiny-bench: interrupted (${signal}); helper processes stopped\n`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}

export interface Helper {
  child: ChildProcess;
  /** Everything it wrote to stderr so far (bounded), for error messages. */
  stderr(): string;
  /** Rejects if the process exits before `stop()` is called. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

export function startHelper(command: string, args: string[], what: string): Helper {
  installHooks();
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(child);
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', (e: NodeJS.ErrnoException) => {
      running.delete(child);
      reject(
        new TinyBenchError(
          e.code === 'ENOENT' ? `${command} is not installed (needed for ${what}); run scripts/install-toolchain.sh` : `${what}: ${e.message}`,
        ),
      );
    });
    child.on('exit', (code) => {
      running.delete(child);
      resolve(code);
    });
  });
  exited.catch(() => {});
  return {
    child,
    stderr: () => err,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const done = await Promise.race([
        exited.then(
          () => true,
          () => true,
        ),
        new Promise<boolean>((r) => setTimeout(() => r(false), 2000)),
      ]);
      if (!done) {
        child.kill('SIGKILL');
        await exited.catch(() => {});
      }
    },
  };
}

/** Number of helper processes this runner still has (tests). */
export function runningHelpers(): number {
  return running.size;
}

/** Polls `check` until it holds; fails early, with its stderr, if one of `helpers` exits, and after `timeoutMs`. */
export async function waitForHelpers(what: string, check: () => boolean, helpers: Helper[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    for (const h of helpers) {
      if (h.child.exitCode !== null) throw new TinyBenchError(`${what}: ${h.child.spawnfile} exited early (code ${h.child.exitCode}): ${h.stderr().trim()}`);
    }
    if (Date.now() > deadline) throw new TimeoutError(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
