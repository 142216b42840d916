#!/usr/bin/env node
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import cliProgress from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';

import { modelPath, resolveDataDir, userCacheDir } from '../datasets/data-dir.js';
import { fetchData } from '../datasets/fetch.js';
import { BENCHMARKS, BENCHMARK_IDS, type BenchmarkId } from './bench/benchmark.js';
import { VirtualEnergyBench } from './sim/energy-bench.js';
import { exposeOnPty } from './sim/pty-bridge.js';
import { exitOnSignal, serveVirtualDut } from './sim/serve.js';
import { ConfigError, TinyBenchError } from './errors.js';
import { toolVersion } from './paths.js';
import { baudFor, readDevicesYaml, readTestsYaml } from './config/mlcommons.js';
import { KNOWN_DEVICES, knownFromYaml, listPorts, probePort, recognise } from './devices/ports.js';
import { FAULT_KINDS, type FaultKind } from './link/faults.js';
import { type DutChoice, type Mode, type RunOptions, readSessionPlan, runSession } from './run/bench-run.js';
import type { EnergyPlan } from './run/energy-rig.js';
import type { Progress } from './run/progress.js';
import { summaryTable } from './run/summary.js';
import { writeReport } from './report/html-report.js';
import { writeSubmission } from './report/submission.js';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

/** Plain progress lines, at most every two seconds, on the given stream. */
function lineProgress(write: (line: string) => void): Progress {
  let label = '';
  let total = 0;
  let last = 0;
  let startedAt = 0;
  return {
    start(l, t) {
      label = l;
      total = t;
      last = 0;
      startedAt = performance.now();
      write(`${label}: started (${total} ${total === 1 ? 'step' : 'steps'})`);
    },
    advance(done, detail) {
      const now = performance.now();
      if (now - last < 2000) return;
      last = now;
      const elapsed = (now - startedAt) / 1000;
      const eta = done > 0 && total > done ? ` ETA ${((elapsed / done) * (total - done)).toFixed(0)} s` : '';
      write(`${label}: ${done}/${total}${eta}${detail ? ` — ${detail}` : ''}`);
    },
    finish(summary) {
      write(`${summary ?? label} (${((performance.now() - startedAt) / 1000).toFixed(1)} s)`);
    },
  };
}

/** A live bar with ETA when the human output goes to a terminal. */
function barProgress(stream: NodeJS.WriteStream): Progress {
  let bar: cliProgress.SingleBar | undefined;
  let startedAt = 0;
  return {
    start(label, total) {
      startedAt = performance.now();
      bar = new cliProgress.SingleBar({ format: `${label} [{bar}] {value}/{total} | ETA {eta_formatted} | {detail}`, stream, hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic);
      bar.start(total, 0, { detail: '' });
    },
    advance(done, detail) {
      bar?.update(done, { detail: (detail ?? '').slice(0, 60) });
    },
    finish(summary) {
      bar?.stop();
      stream.write(`${summary ?? ''} (${((performance.now() - startedAt) / 1000).toFixed(1)} s)\n`);
    },
  };
}

const program = new Command();
program.name('tiny-bench').description('MLPerf Tiny host runner with a built-in virtual DUT').version(toolVersion());

program
  .command('run')
  .description('Run performance, accuracy or energy on a DUT (the built-in virtual DUT, or the simulated energy bench, when no port is given)')
  .addOption(new Option('-b, --benchmark <id>', 'benchmark to run').choices([...BENCHMARK_IDS, 'all']))
  .addOption(new Option('-m, --mode <mode>', 'what to measure').choices(['performance', 'accuracy', 'energy', 'both']).default('both'))
  .option('--interface <path>', 'energy mode: serial port of the interface board (STM32H573I-DK or Arduino io-manager) the DUT is behind')
  .option('--emon <kind:path>', 'energy mode: the energy monitor, lpm01a:<path> or ppk2:<path> (timestamp on D0); lpm01a or ppk2 alone picks the simulated bench\'s virtual monitor', (v) => {
    const m = /^(lpm01a|ppk2)(?::(.+))?$/.exec(v);
    if (!m) throw new InvalidArgumentError('expected lpm01a:<path>, ppk2:<path>, lpm01a or ppk2');
    return { monitor: m[1] as 'lpm01a' | 'ppk2', path: m[2] };
  })
  .option('--voltage <volts>', 'energy mode: DUT supply voltage (default: from --devices, else 1.8)', (v) => {
    const n = Number(v);
    if (!(n > 0 && n <= 5)) throw new InvalidArgumentError('expected a voltage in volts, e.g. 1.8');
    return n;
  })
  .option('-p, --port <path>', 'the DUT speaking the MLPerf Tiny protocol: a serial port, or a UART exported over the network, rfc2217://host:port or tcp://host:port (ser2net, labgrid, LAVA); default: the port of the dut entry in --devices')
  .option('--baud <rate>', 'baud rate of --port (default: from --devices, else 115200)', positiveInt)
  .option('--devices <yaml>', 'MLCommons runner devices.yaml: DUT baud per mode')
  .option('--tests <yaml>', 'MLCommons runner tests_*.yaml: windows (loop N), warm-ups (infer N W) and truth file per model')
  .addOption(new Option('--dut <kind>', 'DUT when no --port is given: the built-in virtual DUT or the firmware on an emulated Cortex-M4 (qemu-system-arm)').choices(['sim', 'qemu', 'qemu-stm32f4']).default('sim'))
  .option('--icount-shift <n>', 'QEMU DUT: 2^n ns per instruction (3 = 125 MIPS)', (v) => Number(v), 3)
  .option('--data-dir <dir>', 'folder with models/ and datasets/<benchmark>/ (default: $TINY_BENCH_DATA, then the fetch cache)')
  .option('--dataset-path <dir>', 'EEMBC dataset folder holding <benchmark>/y_labels.csv (MLCommons runner layout)')
  .option('--labels <file>', 'labels file inside the dataset folder, e.g. y_labels_alt.csv')
  .option('--limit <n>', 'accuracy on the first N files only (a labelled subset)', positiveInt)
  .option('--windows <n>', 'performance windows (the rules ask for 5)', positiveInt)
  .option('--out <dir>', 'sessions root', 'sessions')
  .option('--json', 'print the results documents as JSON on stdout (progress goes to stderr)')
  .option('--resume <session>', 'continue an interrupted session folder with its original options')
  .option('--fault-rate <p>', 'virtual DUT: probability per byte of an injected fault (e.g. 0.001)', (v) => {
    const n = Number(v);
    if (!(n >= 0 && n < 1)) throw new InvalidArgumentError('expected a probability in [0, 1)');
    return n;
  })
  .option('--faults <kinds>', `virtual DUT: which faults, comma-separated (${FAULT_KINDS.join(', ')})`, (v) => {
    const kinds = v.split(',').map((k) => k.trim());
    const bad = kinds.filter((k) => !(FAULT_KINDS as readonly string[]).includes(k));
    if (bad.length) throw new InvalidArgumentError(`unknown fault kind ${bad.join(', ')}; choose from ${FAULT_KINDS.join(', ')}`);
    return kinds as FaultKind[];
  })
  .option('--fault-events <q>', 'virtual DUT: probability per byte of an unplug or reset (default: fault rate / 50)', (v) => Number(v))
  .option('--fault-seed <n>', 'virtual DUT: seed of the fault sequence', positiveInt, 1)
  .action(async (opts) => {
    const human = opts.json ? process.stderr : process.stdout;
    const say = (l: string): void => void human.write(`${l}\n`);
    const progress = human.isTTY ? barProgress(human) : lineProgress(say);
    let options: RunOptions;
    if (opts.resume) {
      const plan = readSessionPlan(opts.resume);
      options = { ...plan, command: process.argv.slice(2), outDir: opts.out, progress, say };
      say(`Resuming ${opts.resume}`);
    } else {
      const devices = opts.devices ? readDevicesYaml(opts.devices) : [];
      const dutEntry = devices.find((d) => d.type === 'dut');
      const modeForBaud = opts.mode === 'accuracy' ? 'accuracy' : opts.mode === 'energy' ? 'energy' : 'performance';
      const baudRate: number = opts.baud ?? (dutEntry ? baudFor(dutEntry, modeForBaud) : undefined) ?? (modeForBaud === 'energy' ? 9600 : 115200);
      if (opts.mode !== 'energy' && (opts.interface || opts.emon || opts.voltage)) throw new ConfigError('--interface, --emon and --voltage belong to --mode energy');
      if (opts.mode === 'energy' && Boolean(opts.interface) !== Boolean(opts.emon?.path)) throw new ConfigError('Energy mode on hardware needs both --interface <board port> and --emon lpm01a:<port>|ppk2:<port>; without both it runs the simulated bench');
      if (opts.mode === 'energy' && opts.port) throw new ConfigError('In energy mode the DUT is reached through the interface board (--interface), not --port');
      const energy: EnergyPlan | undefined = opts.mode === 'energy'
        ? {
            bench: opts.interface ? { kind: 'serial', interfacePath: opts.interface, monitor: opts.emon.monitor, monitorPath: opts.emon.path } : { kind: 'sim', monitor: opts.emon?.monitor ?? 'lpm01a' },
            voltageV: opts.voltage ?? dutEntry?.voltage ?? 1.8,
            dutBaud: baudRate,
          }
        : undefined;
      if (energy && energy.bench.kind === 'sim' && opts.dut !== 'sim') throw new ConfigError('The simulated energy bench runs the virtual DUT; for QEMU use performance or accuracy mode');
      const port: string | undefined = opts.port ?? (opts.mode !== 'energy' ? dutEntry?.port : undefined);
      const dut: DutChoice = port ? { kind: 'serial', path: port, baudRate } : opts.dut === 'qemu' ? { kind: 'qemu', shift: opts.icountShift } : opts.dut === 'qemu-stm32f4' ? { kind: 'qemu', board: 'stm32f4', shift: opts.icountShift } : { kind: 'sim' };
      const modes: Mode[] = opts.mode === 'both' ? ['performance', 'accuracy'] : [opts.mode];
      // A board (direct, or behind an interface board) runs the model its firmware reports.
      const ownModel = dut.kind === 'serial' || energy?.bench.kind === 'serial';
      const benchmarks = opts.benchmark && opts.benchmark !== 'all' ? [opts.benchmark as BenchmarkId] : opts.benchmark === 'all' || !ownModel ? [...BENCHMARK_IDS] : undefined;
      options = {
        ...(benchmarks ? { benchmarks } : {}),
        modes,
        dut,
        dataDir: resolveDataDir(opts.dataDir),
        ...(opts.datasetPath ? { datasetPath: opts.datasetPath } : {}),
        ...(opts.labels ? { labels: opts.labels } : {}),
        ...(opts.limit ? { limit: opts.limit } : {}),
        ...(opts.windows ? { windows: opts.windows } : {}),
        ...(opts.tests ? { testPlans: readTestsYaml(opts.tests) } : {}),
        ...(energy ? { energy } : {}),
        ...(opts.faultRate !== undefined ? { faults: { rate: opts.faultRate, seed: opts.faultSeed, ...(opts.faultEvents !== undefined ? { eventRate: opts.faultEvents } : {}), ...(opts.faults ? { kinds: opts.faults } : {}) } } : {}),
        outDir: opts.out,
        command: process.argv.slice(2),
        progress,
        say,
      };
    }
    const dut = options.dut;
    if (options.energy?.bench.kind === 'sim') say(`Energy bench: SIMULATED — virtual STM32H573I-DK interface board (DUT UART ${options.energy.dutBaud} baud) and virtual ${options.energy.bench.monitor === 'ppk2' ? 'PPK2' : 'LPM01A'} at ${options.energy.voltageV} V; energies come from a documented power model, not a measurement.`);
    else if (options.energy?.bench.kind === 'serial') {
      const b = options.energy.bench;
      say(`Energy bench: interface board on ${b.interfacePath} (DUT UART ${options.energy.dutBaud} baud), ${b.monitor === 'lpm01a' ? 'LPM01A' : 'PPK2'} on ${b.monitorPath} supplying ${options.energy.voltageV} V.`);
    } else if (dut.kind === 'sim') say('DUT: built-in virtual DUT (tiny-bench firmware compiled to WebAssembly). All timings are SIMULATED (cost-model clock).');
    if (dut.kind === 'qemu') say(`DUT: tiny-bench firmware on an emulated Cortex-M4F (qemu-system-arm ${dut.board === 'stm32f4' ? 'netduinoplus2, stm32f4 port' : 'mps2-an386'}, -icount shift=${dut.shift ?? 3}). All timings are SIMULATED (instruction counts).`);
    if (options.faults) say(`Fault injection: byte faults ${options.faults.rate}/byte, unplug/reset ${options.faults.eventRate ?? options.faults.rate / 50}/byte, kinds ${(options.faults.kinds ?? FAULT_KINDS).join(', ')}, seed ${options.faults.seed ?? 1}`);
    const result = await runSession(options, opts.resume);
    say('');
    say(summaryTable(result.documents));
    say(`\nSession: ${result.sessionDir}`);
    say(`Report:  ${writeReport(result.sessionDir)}`);
    if (opts.json) {
      const docs = result.documents;
      process.stdout.write(`${JSON.stringify(docs.length === 1 ? docs[0] : docs)}\n`);
    }
  });

program
  .command('ports')
  .description('List serial ports, recognise DUTs, interface boards and energy monitors by VID:PID, and probe with name%')
  .option('--probe', 'probe DUTs, interface boards and unrecognised ports with name% at 115200, 921600 and 9600 baud (through a board: dut name% too)')
  .option('--port <paths...>', 'probe these paths (e.g. a pty, rfc2217://host:port, tcp://host:port) even if they are not listed')
  .option('--devices <yaml>', 'MLCommons runner devices.yaml to recognise boards by')
  .action(async (opts) => {
    const known = opts.devices ? [...knownFromYaml(readDevicesYaml(opts.devices)), ...KNOWN_DEVICES] : KNOWN_DEVICES;
    const ports = await listPorts();
    for (const path of opts.port ?? []) if (!ports.some((p) => p.path === path)) ports.push({ path });
    if (!ports.length) process.stdout.write('No serial ports found (USB boards appear as /dev/ttyACM* or /dev/ttyUSB*).\n');
    for (const port of ports) {
      const device = recognise(port.vidPid, known);
      process.stdout.write(`${port.path}  ${port.vidPid ?? '----:----'}  ${device ? `${device.role}: ${device.name}` : 'unrecognised'}${port.manufacturer ? `  ${port.manufacturer}` : ''}${port.serialNumber ? `  serial ${port.serialNumber}` : ''}\n`);
      if (opts.probe || opts.port?.includes(port.path)) {
        if (device && device.role === 'power' && !opts.port?.includes(port.path)) continue;
        const probe = await probePort(port.path);
        if (probe.board) process.stdout.write(`  ${probe.name} at ${probe.baud} baud; the DUT behind it ${probe.board.dut ? `answers: ${probe.board.dut}` : 'did not answer dut name% (check its power, D0/D1 wiring and baud; the board now waits for it: reset the board)'}\n`);
        else if (probe.name) process.stdout.write(`  answers name% at ${probe.baud} baud: ${probe.name}\n`);
        else {
          process.stdout.write('  no answer to name%; what came back:\n');
          for (const t of probe.transcript) process.stdout.write(`    ${t.baud} baud: ${t.received}${t.error ? ` (${t.error})` : ''}\n`);
        }
      }
    }
  });

program
  .command('fetch')
  .description('Download the reference models and the public kws01 set (sha256-checked, resumable) into the cache run reads')
  .option('--dest <dir>', 'where to put models/ and datasets/ (default: the user cache)')
  .option('--mirror <dir|url>', 'a folder or URL in the data-dir layout to copy from instead of upstream')
  .addOption(new Option('--only <groups...>', 'what to fetch').choices(['models', 'kws01']))
  .action(async (opts) => {
    const progress = process.stdout.isTTY ? barProgress(process.stdout) : lineProgress((l) => void process.stdout.write(`${l}\n`));
    await fetchData({ dest: opts.dest ?? userCacheDir(), progress, ...(opts.mirror ? { mirror: opts.mirror } : {}), ...(opts.only ? { only: opts.only } : {}) });
    process.stdout.write('vww01, ic01 and ad01 evaluation sets are not on a public pinned location; use --dataset-path with an EEMBC dataset folder.\n');
  });

program
  .command('submission <sessions...>')
  .description('Lay sessions out as the MLPerf Tiny submission checker expects')
  .requiredOption('--out <dir>', 'submission root')
  .addOption(new Option('--division <division>', 'closed refuses simulated results').choices(['closed', 'open']).makeOptionMandatory())
  .requiredOption('--submitter <name>', 'submitter folder name')
  .requiredOption('--system <name>', 'system description name')
  .action((sessions: string[], opts) => {
    const written = writeSubmission({ sessions, out: opts.out, division: opts.division, submitter: opts.submitter, system: opts.system });
    for (const dir of written) process.stdout.write(`${dir}\n`);
  });

program
  .command('sim-bench')
  .description('Serve the simulated energy bench on two ptys, so `run --mode energy --interface … --emon …` drives it as it would real hardware (SIMULATED)')
  .addOption(new Option('-b, --benchmark <id>', 'model the virtual DUT runs').choices([...BENCHMARK_IDS]).default('kws01'))
  .addOption(new Option('--emon <kind>', 'virtual monitor').choices(['lpm01a', 'ppk2']).default('lpm01a'))
  .option('--data-dir <dir>', 'folder with models/ (default: $TINY_BENCH_DATA, then the fetch cache)')
  .option('--dir <dir>', 'where to put the pty links (default: a new temporary folder)')
  .action(async (opts) => {
    const bench = await VirtualEnergyBench.create({ benchmark: BENCHMARKS[opts.benchmark as BenchmarkId], model: readFileSync(modelPath(resolveDataDir(opts.dataDir), BENCHMARKS[opts.benchmark as BenchmarkId])), monitor: opts.emon });
    const dir: string = opts.dir ?? mkdtempSync(join(tmpdir(), 'tiny-bench-bench-'));
    const board = await exposeOnPty(bench.boardLink, dir, 'interface');
    const monitor = await exposeOnPty(bench.monitorLink, dir, opts.emon);
    process.stdout.write(`Simulated energy bench (SIMULATED: virtual interface board, ${opts.benchmark} firmware in energy mode, virtual ${opts.emon}):\n  interface board: ${board.path}\n  ${opts.emon}: ${monitor.path}\nIn another terminal:\n  tiny-bench run --mode energy --benchmark ${opts.benchmark} --interface ${board.path} --emon ${opts.emon}:${monitor.path}\nCtrl-C stops it.\n`);
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    await board.close();
    await monitor.close();
    await bench.close();
  });

program
  .command('serve')
  .description('Serve the built-in virtual DUT on a pty linked at --link, with a modelled wire, until Ctrl-C or SIGTERM (SIMULATED timings)')
  .addOption(new Option('-b, --benchmark <id>', 'model the virtual DUT runs').choices([...BENCHMARK_IDS]).makeOptionMandatory())
  .requiredOption('--link <path>', 'where to link the pty a host opens (e.g. /tmp/dut)')
  .option('--wire-baud <rate>', 'modelled wire rate, 8N1 (default: unpaced); a rate the host sets on the pty replaces it', positiveInt)
  .option('--wire-rtt-ms <ms>', 'round trip the wire adds (half each way)', (v) => {
    const n = Number(v);
    if (!(n >= 0 && n <= 10_000)) throw new InvalidArgumentError('expected milliseconds, e.g. 1');
    return n;
  })
  .option('--standard', 'behave like the EEMBC reference harness: 80-character command buffer, no extension lines')
  .option('--data-dir <dir>', 'folder with models/ (default: $TINY_BENCH_DATA, then the fetch cache)')
  .action(async (opts) => {
    const benchmark = BENCHMARKS[opts.benchmark as BenchmarkId];
    const say = (l: string): void => void process.stdout.write(`${l}\n`);
    const served = await serveVirtualDut({ benchmark, model: readFileSync(modelPath(resolveDataDir(opts.dataDir), benchmark)), linkPath: opts.link, wireBaud: opts.wireBaud, wireRttMs: opts.wireRttMs, standard: opts.standard, say });
    say(`Virtual DUT (${benchmark.id}, ${opts.standard ? 'standard EEMBC harness' : 'tiny-bench firmware'}, SIMULATED) on ${served.path}; wire ${served.wire.baudRate ? `${served.wire.baudRate} baud` : 'unpaced'}, ${opts.wireRttMs ?? 0} ms round trip. Ctrl-C stops it.`);
    await exitOnSignal(say);
  });

program
  .command('report <session>')
  .description('Regenerate <session>/report.html from the session\'s results')
  .action((session: string) => {
    process.stdout.write(`${writeReport(session)}\n`);
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof TinyBenchError) {
    process.stderr.write(`tiny-bench: ${error.message}\n`);
    process.exitCode = error.exitCode;
  } else {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`tiny-bench: internal error: ${message}\n${process.env.TINY_BENCH_DEBUG && error instanceof Error ? error.stack : '(set TINY_BENCH_DEBUG=1 for details)'}\n`);
    process.exitCode = 70;
  }
});
