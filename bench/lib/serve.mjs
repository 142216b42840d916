// `tiny-bench serve` in its own process for the link benches; resolves once its pty is there.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

const cli = resolve(import.meta.dirname, '..', '..', 'dist', 'host', 'cli.js');

/** Starts `tiny-bench serve -b <id> --link <link> ...serveArgs`; `stop()` ends it with SIGTERM. */
export async function startServe({ id, link, dataDir, serveArgs = [] }) {
  const child = spawn(process.execPath, [cli, 'serve', '-b', id, '--link', link, ...serveArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TINY_BENCH_DATA: dataDir },
  });
  let text = '';
  child.stdout.on('data', (d) => (text += d));
  child.stderr.on('data', (d) => (text += d));
  const deadline = Date.now() + 10_000;
  while (!/Ctrl-C stops it/.test(text) || !existsSync(link)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`tiny-bench serve did not start: ${text}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    link,
    stop: () =>
      new Promise((r) => {
        if (child.exitCode !== null) return r();
        child.once('exit', r);
        child.kill('SIGTERM');
      }),
  };
}
