#!/usr/bin/env node
// How close the input transfer comes to the wire's limit. Each benchmark's
// virtual DUT runs as `tiny-bench serve` (its own process) behind a modelled
// wire — 115200 baud 8N1, 1 ms round trip — and the host drives it over the
// pty with SerialLink, as it would a USB board. Per sample (one `db load`,
// the data, `infer 1 0`; ad01: one window) it prints seconds, exchanges
// (commands and raw blocks, each waiting for its reply) and bytes, and the ratio to the hex floor (2 characters a byte on the wire) and
// the binary floor (1 byte a byte). Rows:
//   standard firmware, official runner's strategy  the anchor: 31-byte chunks, one command at a time
//   standard firmware, tiny-bench                  80-character commands (38-byte chunks)
//   tiny-bench firmware hex, tiny-bench            positioned chunks filling the advertised buffer
//   tiny-bench firmware binary, tiny-bench         db bin blocks of up to 2048 raw bytes
//   binary + baud switch, tiny-bench               the same after `baud 921600` (probe, commit): the pty,
//                                                  and with it the modelled wire, runs at the switched rate
//   ... hex / binary, sent ahead                   what accuracy runs do with firmware that advertises its RX
//                                                  buffer (host/devices/overlapped-infer.ts): the next input goes
//                                                  up while the current one runs and its reply comes back, at
//                                                  most that buffer unanswered. Measured as one batch of
//                                                  --ahead inputs (its s/sample includes filling and draining
//                                                  the pipeline once) and in steady state (first to last
//                                                  result / (inputs - 1), what each file of a long run costs);
//                                                  their results are checked against the sequential binary row's.
// and for ad01 whole files (issue 14 #4, feature db-window): each file streamed
// once through the DUT's buffer, its 196 windows run by `infer 1 0 @<offset>`;
// per file and per window, against the same per-window binary path on the same
// files, at 115200 and after a switch to --fast-baud.
// Every row also shows its wire bound (bench/lib/wire-bound.mjs): its own bytes
// and exchanges on the wire with the host and the DUT taking no time; for the
// rows sent ahead, the busier direction's bytes alone (full duplex, turnarounds hidden).
// Timings are of a SIMULATED wire and DUT (the DUT's compute is the WebAssembly
// build's real CPU time, not an MCU's).
//
//   node bench/link-efficiency.mjs [--data-dir ../shared/tinyml] [--samples kws01=20,vww01=3,ad01=10] [--ahead kws01=200,vww01=4,ad01=40] [--ad01-files 2]
//     [--baud 115200] [--rtt-ms 1] [--fast-baud 921600] [--only kws01,vww01,ad01,ad01-files]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { openDataset } from '../dist/datasets/dataset.js';
import { datasetDir } from '../dist/datasets/data-dir.js';
import { BENCHMARKS } from '../dist/host/bench/benchmark.js';
import { LinkRate } from '../dist/host/devices/baud-switch.js';
import { Dut } from '../dist/host/devices/dut.js';
import { directRunner } from '../dist/host/devices/dut-session.js';
import { inferAhead, overlapUsable } from '../dist/host/devices/overlapped-infer.js';
import { scoreFile } from '../dist/host/run/accuracy.js';
import { LineChannel } from '../dist/host/devices/line-channel.js';
import { SerialLink } from '../dist/host/link/serial-link.js';
import { startServe } from './lib/serve.mjs';
import { wireBoundSeconds } from './lib/wire-bound.mjs';

const arg = (name, fallback) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const dataDir = resolve(arg('--data-dir', process.env.TINY_BENCH_DATA ?? '../shared/tinyml'));
const baud = Number(arg('--baud', '115200'));
const rttMs = Number(arg('--rtt-ms', '1'));
const fastBaud = Number(arg('--fast-baud', '921600'));
const samples = {
  kws01: 20,
  vww01: 3,
  ad01: 10,
  ...Object.fromEntries(
    arg('--samples', '')
      .split(',')
      .filter(Boolean)
      .map((kv) => kv.split('='))
      .map(([k, v]) => [k, Number(v)]),
  ),
};
const ahead = {
  kws01: 200,
  vww01: 4,
  ad01: 40,
  ...Object.fromEntries(
    arg('--ahead', '')
      .split(',')
      .filter(Boolean)
      .map((kv) => kv.split('='))
      .map(([k, v]) => [k, Number(v)]),
  ),
};
const dir = mkdtempSync(join(tmpdir(), 'tb-link-eff-'));

/** `tiny-bench serve` in its own process with the wire model; resolves once its pty is there. */
function startServeOn(id, standard, name) {
  return startServe({
    id,
    link: join(dir, name),
    dataDir,
    serveArgs: ['--wire-baud', String(baud), '--wire-rtt-ms', String(rttMs), ...(standard ? ['--standard'] : [])],
  });
}

/** The host side of the pty, counting commands and bytes each way. */
function counted(link) {
  const count = { commands: 0, tx: 0, rx: 0 };
  const wrapped = {
    get description() {
      return link.description;
    },
    get isOpen() {
      return link.isOpen;
    },
    write(data) {
      count.tx += data.length;
      return link.write(data);
    },
    onData(listener) {
      return link.onData((chunk) => {
        count.rx += chunk.length;
        listener(chunk);
      });
    },
    onClose: (l) => link.onClose(l),
    close: () => link.close(),
  };
  return { wrapped, count };
}

/** The official MLCommons runner's transfer: db load, 31-byte hex chunks, infer 1 0, one command at a time. */
async function officialSample(channel, input) {
  await channel.command(`db load ${input.length}`, 5000);
  for (let at = 0; at < input.length; at += 31) await channel.command(`db ${Buffer.from(input.subarray(at, at + 31)).toString('hex')}`, 5000);
  const lines = await channel.command('infer 1 0', 60_000);
  if (!lines.some((l) => l.startsWith('m-results-['))) throw new Error(`no results: ${lines.join(' | ')}`);
}

/** One host session on its own `tiny-bench serve`: the pty opened with SerialLink, the DUT identified. */
async function openSession(id, row, index) {
  const serve = await startServeOn(id, row[2], `${id}-${index}`);
  // A session that fails to open stops its serve: no DUT process outlives the bench.
  try {
    return await sessionOn(serve, id, row);
  } catch (error) {
    await serve.stop();
    throw error;
  }
}

async function sessionOn(serve, id, [firmware, host, , strategy, hexOnly, switchTo]) {
  const port = await SerialLink.open({ path: serve.link, baudRate: baud });
  const { wrapped, count } = counted(port);
  wrapped.setBaudRate = (rate) => port.setBaudRate(rate);
  // An exchange is a command or a raw db bin block: something sent that waits for its reply.
  const channel = new LineChannel(wrapped, { transcript: (direction) => void (direction === 'tx' && count.commands++) });
  // The DUT's banner may come late on a busy machine: wait for it, then for quiet.
  await channel.waitForLine((l) => l === 'm-init-done', 2000, 'boot banner').catch(() => {});
  await channel.settle(100, 3000);
  const dut = new Dut(channel, { settleQuietMs: 50 });
  await dut.identify().catch(async (error) => {
    channel.close();
    await port.close();
    throw error;
  });
  // The hex row: the same firmware with its binary transfer left unused.
  if (hexOnly) dut.identity.features = dut.identity.features.filter((f) => f !== 'db-bin');
  let rate = baud;
  if (switchTo) {
    // What `run --fast-baud` does after identifying: the handshake, then binary blocks sized for the new rate.
    const linkRate = new LinkRate(baud, switchTo);
    await linkRate.engage(dut);
    if (!linkRate.outcome?.switched) throw new Error(`${id}: the baud switch failed: ${linkRate.outcome?.note ?? 'not offered'}`);
    rate = linkRate.current;
  }
  // Rows of single inputs and the per-window ad01 row load each input on its own (whole files: ad01WholeFiles).
  const streamed = dut.identity.features?.includes('db-window');
  if (streamed) dut.identity.features = dut.identity.features.filter((f) => f !== 'db-window');
  const run =
    strategy === 'official'
      ? (input) => officialSample(channel, input)
      : async (input) => {
          await dut.load(input);
          return (await dut.infer(1, 0)).results;
        };
  if (strategy === 'ahead' && !overlapUsable(dut)) throw new Error(`${id}: the DUT does not take inputs sent ahead (no RX buffer advertised?)`);
  return {
    firmware,
    host,
    strategy,
    run,
    count,
    rate,
    commandBuffer: dut.commandBuffer,
    dut,
    set whole(on) {
      if (on && streamed) dut.identity.features = [...dut.identity.features, 'db-window'];
    },
    times: [],
    /** Results by input index (the tiny-bench rows), to check the rows sent ahead against. */
    results: new Map(),
    counts: { commands: 0, tx: 0, rx: 0 },
    async close() {
      channel.close();
      await port.close();
      await serve.stop();
    },
  };
}

/**
 * Every strategy on the same samples, taking turns sample by sample, so a
 * busy machine slows them alike; the median time per sample is reported.
 */
async function measure(id) {
  const benchmark = BENCHMARKS[id];
  const dataset = openDataset(datasetDir(dataDir, benchmark), benchmark);
  const inputs = [];
  for (const sample of dataset.samples) {
    for (const input of benchmark.inputs(dataset.read(sample), sample.row)) inputs.push(input);
    if (inputs.length > Math.max(samples[id], ahead[id])) break;
  }
  const sessions = [];
  try {
    for (const [i, row] of rows.entries()) sessions.push(await openSession(id, row, i));
    for (const s of sessions) await s.run(inputs[0]); // warm-up: the first sample pays for the DUT's first inference
    const n = Math.min(samples[id], inputs.length - 1);
    for (let i = 1; i <= n; ++i) {
      for (const s of sessions) {
        if (s.strategy === 'ahead') continue;
        const before = { ...s.count };
        const t0 = performance.now();
        const results = await s.run(inputs[i]);
        s.times.push((performance.now() - t0) / 1000);
        if (results) s.results.set(i, results);
        for (const k of ['commands', 'tx', 'rx']) s.counts[k] += (s.count[k] - before[k]) / n;
      }
    }
    // The rows sent ahead: one batch each, inputs 1.. (the same the rows above ran first).
    const reference = sessions.find((s) => s.strategy === 'tiny-bench' && s.firmware === 'tiny-bench firmware binary');
    for (const s of sessions.filter((x) => x.strategy === 'ahead')) {
      const batch = Math.min(ahead[id], inputs.length - 1);
      const before = { ...s.count };
      const stamps = [];
      const t0 = performance.now();
      const outcome = await inferAhead(
        s.dut,
        (i) => (i <= batch ? inputs[i] : undefined),
        (i, reply) => {
          stamps.push(performance.now());
          s.results.set(i, reply.results);
        },
        1,
      );
      if (outcome.failure) throw new Error(`${id} ${s.firmware} sent ahead: input ${outcome.next} failed: ${outcome.failure.message}`);
      s.times.push((performance.now() - t0) / 1000 / batch);
      s.steady = (stamps.at(-1) - stamps[0]) / 1000 / (batch - 1);
      s.batch = batch;
      s.same = [...reference.results].every(([i, r]) => JSON.stringify(s.results.get(i)) === JSON.stringify(r));
      s.fallbacks = s.dut.overlapFallbacks;
      for (const k of ['commands', 'tx', 'rx']) s.counts[k] = (s.count[k] - before[k]) / batch;
    }
    const bytes = inputs[1].length;
    return { sessions, bytes, hexFloor: (bytes * 2 * 10) / baud, binaryFloor: (bytes * 10) / baud };
  } finally {
    for (const s of sessions) await s.close();
  }
}

/** A session's wire bound per sample: its own bytes and exchanges at the rate it ran at. */
const bound = (s) =>
  s.strategy === 'ahead'
    ? (Math.max(s.counts.tx, s.counts.rx) * 10) / (s.rate ?? baud)
    : wireBoundSeconds({ tx: s.counts.tx, rx: s.counts.rx, exchanges: s.counts.commands }, s.rate ?? baud, rttMs);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const rows = [
  ['standard firmware', 'official runner (31-byte chunks)', true, 'official'],
  ['standard firmware', 'tiny-bench', true, 'tiny-bench'],
  ['tiny-bench firmware hex', 'tiny-bench', false, 'tiny-bench', true],
  ['tiny-bench firmware binary', 'tiny-bench', false, 'tiny-bench'],
  ['binary + baud switch', `tiny-bench (--fast-baud ${fastBaud})`, false, 'tiny-bench', false, fastBaud],
  ['tiny-bench firmware hex', 'tiny-bench, sent ahead', false, 'ahead', true],
  ['tiny-bench firmware binary', 'tiny-bench, sent ahead', false, 'ahead'],
  ['binary + baud switch', `sent ahead (--fast-baud ${fastBaud})`, false, 'ahead', false, fastBaud],
];
console.log(
  `Link efficiency on a modelled wire: ${baud} baud 8N1, ${rttMs} ms round trip (SIMULATED wire and DUT, via tiny-bench serve on a pty); median s/sample`,
);
const only = arg('--only', 'kws01,vww01,ad01,ad01-files').split(',');
const sampleIds = only.filter((id) => id !== 'ad01-files');
if (sampleIds.length)
  console.log(
    'benchmark  firmware                   host strategy                     cmd buf  s/sample exchanges  bytes out  bytes in  x hex floor  x binary floor  vs official  wire bound s  x bound',
  );
for (const id of sampleIds) {
  const m = await measure(id);
  const anchor = median(m.sessions[0].times);
  console.log(
    `${id.padEnd(10)} ${m.sessions[0].times.length} samples of ${m.bytes} bytes; wire floors: hex ${(m.hexFloor * 1000).toFixed(1)} ms, binary ${(m.binaryFloor * 1000).toFixed(1)} ms`,
  );
  for (const s of m.sessions) {
    const sec = median(s.times);
    if (id !== 'kws01' && s.strategy !== 'ahead') s.projection = `${s.firmware}, ${s.host}: ${((sec * (id === 'vww01' ? 1000 : 48_608)) / 60).toFixed(1)} min`;
    console.log(
      `${id.padEnd(10)} ${s.firmware.padEnd(26)} ${s.host.padEnd(33)} ${String(s.commandBuffer).padStart(7)}  ${sec.toFixed(4).padStart(8)}  ${s.counts.commands.toFixed(1).padStart(8)}  ${s.counts.tx.toFixed(0).padStart(9)}  ${s.counts.rx.toFixed(0).padStart(8)}  ${(sec / m.hexFloor).toFixed(3).padStart(11)}  ${(sec / m.binaryFloor).toFixed(3).padStart(14)}  ${(sec / anchor).toFixed(3).padStart(11)}  ${bound(s).toFixed(4).padStart(12)}  ${(sec / bound(s)).toFixed(3).padStart(7)}`,
    );
  }
  for (const s of m.sessions.filter((x) => x.strategy === 'ahead')) {
    const rate = s.rate ?? baud;
    const floors = { hex: (m.bytes * 2 * 10) / rate, binary: (m.bytes * 10) / rate };
    const hexRow = s.firmware.endsWith('hex');
    s.projection = `${s.firmware}, ${s.host}: ${((s.steady * (id === 'vww01' ? 1000 : id === 'kws01' ? 1000 : 48_608)) / 60).toFixed(1)} min`;
    console.log(
      `${id.padEnd(10)} sent ahead, ${s.firmware}${s.rate !== baud ? ` at ${rate} baud` : ''}: batch of ${s.batch} inputs ${(median(s.times) * s.batch).toFixed(3)} s; steady state ${s.steady.toFixed(4)} s/sample = ${(s.steady / floors[hexRow ? 'hex' : 'binary']).toFixed(3)} x the ${hexRow ? 'hex' : 'binary'} floor at that rate (${(floors[hexRow ? 'hex' : 'binary'] * 1000).toFixed(1)} ms); fallbacks ${s.fallbacks}; results identical to the sequential binary row: ${s.same ? 'yes' : 'NO'}`,
    );
  }
  // What the protocol itself allows the standard-firmware strategies on this wire, whatever the host does.
  const [official, standard] = m.sessions;
  console.log(
    `${id.padEnd(10)} standard firmware, wire bounds: tiny-bench ${bound(standard).toFixed(4)} s vs official strategy ${bound(official).toFixed(4)} s = ${(bound(standard) / bound(official)).toFixed(3)}; measured ${(median(standard.times) / median(official.times)).toFixed(3)}`,
  );
  const switched = m.sessions.find((s) => s.rate !== baud && s.strategy !== 'ahead');
  if (switched) {
    const sec = median(switched.times);
    const floor = (m.bytes * 10) / switched.rate;
    console.log(
      `${id.padEnd(10)} at the switched ${switched.rate} baud: binary floor ${(floor * 1000).toFixed(1)} ms, ${sec.toFixed(4)} s/sample = ${(sec / floor).toFixed(3)} x that floor`,
    );
  }
  if (id !== 'kws01')
    console.log(
      `${id.padEnd(10)} projected accuracy run (SIMULATED wire; ${id === 'vww01' ? '1000 files' : '248 files, 48 608 windows uploaded one by one'}) at the median (sent ahead: steady state): ${m.sessions.map((s) => s.projection).join('; ')}`,
    );
}
if (only.includes('ad01-files')) await ad01WholeFiles();

/**
 * ad01 whole files: tiny-bench firmware binary, per-window loads against the
 * file streamed once (db-window), taking turns file by file on their own
 * `tiny-bench serve`. Per window: the file's time, exchanges and bytes / 196.
 */
async function ad01WholeFiles() {
  const files = Number(arg('--ad01-files', '2'));
  if (files <= 0) return;
  const benchmark = BENCHMARKS.ad01;
  const dataset = openDataset(datasetDir(dataDir, benchmark), benchmark);
  const strategies = [
    ['tiny-bench firmware binary', 'tiny-bench, a load per window', false],
    ['tiny-bench firmware binary', 'tiny-bench, whole file (db-window)', true],
    ['binary + baud switch', `whole file, --fast-baud ${fastBaud}`, true, fastBaud],
  ];
  const sessions = [];
  try {
    for (const [i, [firmware, host, whole, switchTo]] of strategies.entries()) {
      const s = await openSession('ad01', [firmware, host, false, 'tiny-bench', false, switchTo], `files-${i}`);
      // The per-window row: the same firmware driven as one without the extension.
      s.whole = whole;
      sessions.push(s);
    }
    const results = sessions.map(() => []);
    for (const sample of dataset.samples.slice(0, files)) {
      for (const [k, s] of sessions.entries()) {
        const before = { ...s.count };
        const t0 = performance.now();
        results[k].push(await scoreFile(directRunner(s.dut), benchmark, dataset, sample));
        s.times.push((performance.now() - t0) / 1000);
        for (const key of ['commands', 'tx', 'rx']) s.counts[key] += (s.count[key] - before[key]) / files;
      }
    }
    const scores = (r) => JSON.stringify(r.map((f) => f.windowScores));
    const same = results.every((r) => scores(r) === scores(results[0]));
    const windows = results[0][0].windows;
    const fileBytes = 102_400;
    const floors = { hex: (fileBytes * 2 * 10) / baud, binary: (fileBytes * 10) / baud };
    console.log(
      `ad01 files ${files} whole files of ${fileBytes} bytes, ${windows} windows each (SIMULATED wire and DUT); file floors (each byte once): hex ${floors.hex.toFixed(2)} s, binary ${floors.binary.toFixed(2)} s at ${baud} baud (the switched row: at its rate); window scores identical on every path: ${same ? 'yes' : 'NO'}`,
    );
    console.log(
      'ad01 files firmware                   host strategy                       s/file  s/window  exch/window  bytes out/window  bytes in/window  x hex floor  x binary floor  248 files',
    );
    for (const s of sessions) {
      const sec = median(s.times);
      const rate = s.rate ?? baud;
      const at = { hex: (fileBytes * 2 * 10) / rate, binary: (fileBytes * 10) / rate };
      console.log(
        `ad01 files ${s.firmware.padEnd(26)} ${s.host.padEnd(35)} ${sec.toFixed(2).padStart(6)}  ${(sec / windows).toFixed(4).padStart(8)}  ${(s.counts.commands / windows).toFixed(2).padStart(11)}  ${(s.counts.tx / windows).toFixed(0).padStart(16)}  ${(s.counts.rx / windows).toFixed(0).padStart(15)}  ${(sec / at.hex).toFixed(3).padStart(11)}  ${(sec / at.binary).toFixed(3).padStart(14)}  ${((sec * 248) / 60).toFixed(1).padStart(6)} min (projected)`,
      );
    }
  } finally {
    for (const s of sessions) await s.close();
  }
}
