#!/usr/bin/env node
// Where SerialLink's time per command goes, on a pty with no wire model:
// `tiny-bench serve --standard` unpaced, the host sending `name%` and waiting
// for m-ready, one command at a time. Rows, taking turns block by block so a
// busy machine slows them alike (median of the block means):
//   stock I/O, drain after each write   node-serialport's thread-pool reads and writes, tcdrain after each write
//   stock I/O, no drain                 the same without the drain
//   polled I/O, no drain                the default: reads and writes on the non-blocking descriptor
//                                       directly, the poller only when the kernel has nothing
// The differences are what the drain's and the thread pool's trips cost per command.
// SIMULATED DUT (WebAssembly); the figures are host overheads, not a wire's.
//
//   node bench/serial-overhead.mjs [--data-dir ../shared/tinyml] [--commands 2000]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { LineChannel } from '../dist/host/devices/line-channel.js';
import { SerialLink } from '../dist/host/link/serial-link.js';
import { startServe } from './lib/serve.mjs';

const arg = (name, fallback) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const dataDir = resolve(arg('--data-dir', process.env.TINY_BENCH_DATA ?? '../shared/tinyml'));
const total = Number(arg('--commands', '2000'));
const block = 100;
const link = join(mkdtempSync(join(tmpdir(), 'tb-serial-overhead-')), 'dut');

const serve = await startServe({ id: 'kws01', link, dataDir, serveArgs: ['--standard'] });

const variants = [
  { name: 'stock I/O, drain after each write', drainAfterWrite: true, io: 'stock', blocks: [] },
  { name: 'stock I/O, no drain', drainAfterWrite: false, io: 'stock', blocks: [] },
  { name: 'polled I/O, no drain (default)', drainAfterWrite: false, io: 'polled', blocks: [] },
];
try {
  for (let done = 0; done < total; done += block) {
    for (const v of variants) {
      const port = await SerialLink.open({ path: link, baudRate: 115200, drainAfterWrite: v.drainAfterWrite, io: v.io });
      const channel = new LineChannel(port);
      await channel.settle(20, 500);
      await channel.command('name', 2000);
      const t0 = performance.now();
      for (let i = 0; i < block; ++i) await channel.command('name', 2000);
      v.blocks.push((performance.now() - t0) / block);
      channel.close();
      await port.close();
    }
  }
} finally {
  await serve.stop();
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  `Round trip of name% on an unpaced pty (tiny-bench serve --standard, SIMULATED DUT), ${total} commands per row, median of ${block}-command blocks:`,
);
for (const v of variants)
  console.log(
    `  ${v.name.padEnd(36)} ${median(v.blocks).toFixed(3)} ms/command (blocks ${Math.min(...v.blocks).toFixed(3)}-${Math.max(...v.blocks).toFixed(3)})`,
  );
console.log(`  saved per command by not draining:  ${(median(variants[0].blocks) - median(variants[1].blocks)).toFixed(3)} ms`);
console.log(`  saved per command by polled I/O:    ${(median(variants[1].blocks) - median(variants[2].blocks)).toFixed(3)} ms`);
