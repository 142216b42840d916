#!/usr/bin/env node
import { mkdtempSync, readFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';

import cliProgress from 'cli-progress';
import { Command, InvalidArgumentError, Option, type OptionValues } from 'commander';

import { modelPath, resolveDataDir, userCacheDir } from '../datasets/data-dir.js';
import { fetchData } from '../datasets/fetch.js';
import { BENCHMARKS, BENCHMARK_IDS, type BenchmarkId, DEFAULT_BENCHMARK_IDS } from './bench/benchmark.js';
import { SWW01, swwSdCard } from './bench/sww01.js';
import { VirtualEnergyBench } from './sim/energy-bench.js';
import { exposeOnPty } from './sim/pty-bridge.js';
import { exitOnSignal, serveVirtualDut } from './sim/serve.js';
import { TinyBenchError } from './errors.js';
import { printable } from './core/printable.js';
import { toolVersion } from './paths.js';
import { readDevicesYaml, readTestsYaml } from './config/mlcommons.js';
import { KNOWN_DEVICES, knownFromYaml, listPorts, probePort, recognise } from './devices/ports.js';
import { FAULT_KINDS, type FaultKind } from './link/faults.js';
import { type RunContext, readSessionPlan, runSession } from './run/bench-run.js';
import { type RunRequest, buildRunPlan, planBanner, refuseOptionsWithResume } from './run/plan.js';
import { buildDutPlans, runMultiDutSession } from './run/multi-dut.js';
import { readMultiSession } from './report/multi-session.js';
import type { Progress } from './core/progress.js';
import { summaryTable } from './run/summary.js';
import { writeReport } from './report/html-report.js';
import { writeSubmission } from './report/submission.js';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function wholeNumber(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    return n;
  };
}

function probability(value: string): number {
  const n = Number(value);
  if (!(n >= 0 && n < 1)) throw new InvalidArgumentError('expected a probability in [0, 1)');
  return n;
}

/**
 * Ctrl-C or SIGTERM mid-run: every finished file and window is already
 * fsynced in its checkpoint, so say so and how to continue, then exit.
 */
function stopCleanlyOnSignals(sessionDir: () => string | undefined): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.prependListener(signal, () => {
      const dir = sessionDir();
      process.stderr.write(
        `\ntiny-bench: interrupted (${signal}).${dir ? ` Finished files and windows are kept in ${dir}; continue with: tiny-bench run --resume ${dir}` : ''}\n`,
      );
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
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
      bar = new cliProgress.SingleBar(
        { format: `${label} [{bar}] {value}/{total} | ETA {eta_formatted} | {detail}`, stream, hideCursor: true, clearOnComplete: true },
        cliProgress.Presets.shades_classic,
      );
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
  .addOption(
    new Option(
      '-b, --benchmark <id>',
      `benchmark to run (default and 'all': ${DEFAULT_BENCHMARK_IDS.join(', ')} on a virtual or emulated DUT, the model a board reports; ic02 and sww01, the streaming wakeword through an interface board, only by name)`,
    ).choices([...BENCHMARK_IDS, 'sww01', 'all']),
  )
  .addOption(new Option('-m, --mode <mode>', 'what to measure').choices(['performance', 'accuracy', 'energy', 'both']).default('both'))
  .option('--interface <path>', 'energy mode: serial port of the interface board (STM32H573I-DK or Arduino io-manager) the DUT is behind')
  .option(
    '--emon <kind:path>',
    "energy mode: the energy monitor, lpm01a:<path> or ppk2:<path> (timestamp on D0); lpm01a or ppk2 alone picks the simulated bench's virtual monitor",
    (v) => {
      const m = /^(lpm01a|ppk2)(?::(.+))?$/.exec(v);
      if (!m) throw new InvalidArgumentError('expected lpm01a:<path>, ppk2:<path>, lpm01a or ppk2');
      return { monitor: m[1] as 'lpm01a' | 'ppk2', path: m[2] };
    },
  )
  .option('--voltage <volts>', 'energy mode: DUT supply voltage (default: from --devices, else 1.8)', (v) => {
    const n = Number(v);
    if (!(n > 0 && n <= 5)) throw new InvalidArgumentError('expected a voltage in volts, e.g. 1.8');
    return n;
  })
  .option(
    '-p, --port <path>',
    'the DUT speaking the MLPerf Tiny protocol: a serial port, or a UART exported over the network, rfc2217://host:port or tcp://host:port (ser2net, labgrid, LAVA); repeat it for several DUTs in one session; default: the port of the dut entry in --devices',
    (v: string, previous: string[] = []) => [...previous, v],
  )
  .option('--baud <rate>', 'baud rate of --port, or of the DUT behind --interface (default: from --devices, else 115200; 9600 in energy mode)', positiveInt)
  .option(
    '--fast-baud <rate|off>',
    'switch a DUT that offers it (tiny-bench firmware) to this baud rate after identifying it, falling back by itself if the new rate fails (default 921600; off: stay at --baud; not through an interface board)',
    (v) => {
      if (v === 'off') return 'off';
      const n = Number(v);
      if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a baud rate, e.g. 921600, or off');
      return n;
    },
  )
  .option(
    '--no-overlap',
    'accuracy: send each input only after the previous reply, even to a DUT that advertises an RX buffer (tiny-bench firmware takes the next input while the current one runs)',
  )
  .option('--devices <yaml>', 'MLCommons runner devices.yaml: DUT baud per mode')
  .option('--tests <yaml>', 'MLCommons runner tests_*.yaml: windows (loop N), warm-ups (infer N W) and truth file per model')
  .addOption(
    new Option(
      '--dut <kind>',
      'DUT when no --port is given (default sim): the built-in virtual DUT, or the firmware on an emulated Cortex-M4 (qemu-system-arm)',
    ).choices(['sim', 'qemu', 'qemu-stm32f4']),
  )
  .option('--icount-shift <n>', 'QEMU DUT: 2^n ns per instruction (default 3 = 125 MIPS)', wholeNumber(0, 10))
  .option('--data-dir <dir>', 'folder with models/ and datasets/<benchmark>/ (default: $TINY_BENCH_DATA, then the fetch cache)')
  .option('--dataset-path <dir>', 'EEMBC dataset folder holding <benchmark>/y_labels.csv (MLCommons runner layout)')
  .option('--labels <file>', 'labels file inside the dataset folder, e.g. y_labels_alt.csv')
  .option('--limit <n>', 'accuracy on the first N files only (a labelled subset)', positiveInt)
  .option('--windows <n>', 'performance and energy windows (the rules ask for 5)', positiveInt)
  .option('--out <dir>', 'sessions root (default: sessions)')
  .option('--json', 'print {session, report, results: [...]} as JSON, the last stdout line (progress goes to stderr)')
  .option('--resume <session>', 'continue an interrupted session folder with the options it was started with')
  .option('--jobs <n>', 'virtual DUT: benchmarks run side by side in worker threads (default: one per core; 1 = one after the other)', positiveInt)
  .option('--fault-rate <p>', 'virtual DUT: probability per byte of an injected fault (e.g. 0.001)', probability)
  .option('--faults <kinds>', `virtual DUT: which faults, comma-separated (${FAULT_KINDS.join(', ')})`, (v) => {
    const kinds = v.split(',').map((k) => k.trim());
    const bad = kinds.filter((k) => !(FAULT_KINDS as readonly string[]).includes(k));
    if (bad.length) throw new InvalidArgumentError(`unknown fault kind ${bad.join(', ')}; choose from ${FAULT_KINDS.join(', ')}`);
    return kinds as FaultKind[];
  })
  .option('--fault-events <q>', 'virtual DUT: probability per byte of an unplug or reset (default: fault rate / 50)', probability)
  .option('--fault-seed <n>', 'virtual DUT: seed of the fault sequence (default 1)', positiveInt)
  .option('--dut-clock-mhz <n>', "virtual DUT (sww01): core clock of the simulated MCU (default 120, the cost model's)", positiveInt)
  .action(async (opts, command: Command) => {
    const human = opts.json ? process.stderr : process.stdout;
    const say = (l: string): void => void human.write(`${l}\n`);
    const progress = human.isTTY ? barProgress(human) : lineProgress(say);
    const ports: string[] = opts.port ?? [];
    let sessionDir: string | undefined;
    stopCleanlyOnSignals(() => sessionDir);
    const context: CliRunContext = {
      outDir: opts.out ?? 'sessions',
      progress,
      say,
      onSessionDir: (dir: string) => void (sessionDir = dir),
      // Bars cannot share one terminal line: side by side, each benchmark or DUT reports in plain lines.
      makeProgress: () => lineProgress(say),
    };
    const multi = opts.resume ? readMultiSession(opts.resume) : undefined;
    if (opts.resume) refuseOptionsWithResume(givenOptions(command));
    if (ports.length > 1 || multi) await runSeveralDuts(opts, ports, multi, context);
    else await runOneDut(opts, context);
  });

type CliRunContext = RunContext & { say: (line: string) => void };

async function runOneDut(opts: OptionValues, context: CliRunContext): Promise<void> {
  const say = context.say;
  const plan = opts.resume ? readSessionPlan(opts.resume) : buildRunPlan(runRequest(opts));
  if (opts.resume) say(`Resuming ${opts.resume}`);
  for (const line of planBanner(plan)) say(line);
  const jobs: number = opts.jobs ?? (plan.dut.kind === 'sim' ? availableParallelism() : 1);
  const result = await runSession(plan, { ...context, jobs }, opts.resume);
  say(`\n${summaryTable(result.documents)}\n\nSession: ${result.sessionDir}`);
  const report = writeReport(result.sessionDir);
  say(`Report:  ${report}`);
  if (opts.json) process.stdout.write(`${JSON.stringify({ session: result.sessionDir, report, results: result.documents })}\n`);
}

/** Several DUTs at once: every DUT finishes or fails on its own; the exit code says if any failed. */
async function runSeveralDuts(opts: OptionValues, ports: string[], resumed: string[] | undefined, context: CliRunContext): Promise<void> {
  const say = context.say;
  const duts = resumed ? undefined : buildDutPlans(runRequest(opts), ports);
  say(
    resumed
      ? `Resuming ${opts.resume} (${resumed.length} DUTs)`
      : `${duts!.length} DUTs in one session: ${duts!.map((d) => `${d.label} (${d.plan.dut.kind === 'serial' ? d.plan.dut.path : d.plan.dut.kind})`).join(', ')}`,
  );
  const { sessionDir, outcomes } = await runMultiDutSession(duts, context, opts.resume);
  for (const o of outcomes) say(`\n${o.label}:\n${o.error ? `  FAILED: ${o.error.message.split('\n')[0]}` : summaryTable(o.documents)}`);
  say(`\nSession: ${sessionDir}`);
  const report = writeReport(sessionDir);
  say(`Report:  ${report}`);
  if (opts.json)
    process.stdout.write(
      `${JSON.stringify({ session: sessionDir, report, results: outcomes.flatMap((o) => o.documents), duts: outcomes.map((o) => ({ label: o.label, session: o.sessionDir, results: o.documents, ...(o.error ? { error: o.error.message } : {}) })) })}\n`,
    );
  const failed = outcomes.filter((o) => o.error);
  if (failed.length)
    throw new TinyBenchError(
      `${failed.length} of ${outcomes.length} DUTs failed (${failed.map((o) => o.label).join(', ')}); the others finished. Continue the failed ones with: tiny-bench run --resume ${sessionDir}`,
    );
}

/** The run request from commander's options; the YAML files are read here, at the edge. */
function runRequest(opts: OptionValues): RunRequest {
  return {
    ...opts,
    port: opts.port?.[0],
    mode: opts.mode,
    dataDir: resolveDataDir(opts.dataDir),
    ...(opts.devices ? { devices: readDevicesYaml(opts.devices) } : {}),
    ...(opts.tests ? { testPlans: readTestsYaml(opts.tests) } : {}),
    command: process.argv.slice(2),
  } as RunRequest;
}

/** Options the person typed (not defaults): what --resume must refuse. */
function givenOptions(command: Command): string[] {
  return command.options.map((o) => o.attributeName()).filter((name) => command.getOptionValueSource(name) === 'cli');
}

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
      process.stdout.write(
        `${port.path}  ${port.vidPid ?? '----:----'}  ${device ? `${device.role}: ${device.name}` : 'unrecognised'}${port.manufacturer ? `  ${port.manufacturer}` : ''}${port.serialNumber ? `  serial ${port.serialNumber}` : ''}\n`,
      );
      if (opts.probe || opts.port?.includes(port.path)) {
        if (device && device.role === 'power' && !opts.port?.includes(port.path)) continue;
        const probe = await probePort(port.path);
        if (probe.board)
          process.stdout.write(
            `  ${probe.name} at ${probe.baud} baud; the DUT behind it ${probe.board.dut ? `answers: ${probe.board.dut}` : 'did not answer dut name% (check its power, D0/D1 wiring and baud; the board now waits for it: reset the board)'}\n`,
          );
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
    await fetchData({
      dest: opts.dest ?? userCacheDir(),
      progress,
      ...(opts.mirror ? { mirror: opts.mirror } : {}),
      ...(opts.only ? { only: opts.only } : {}),
    });
    process.stdout.write('vww01, ic01 and ad01 evaluation sets are not on a public pinned location; use --dataset-path with an EEMBC dataset folder.\n');
  });

program
  .command('submission <sessions...>')
  .description('Lay sessions out as the MLPerf Tiny submission checker expects')
  .requiredOption('--out <dir>', '(required) submission root')
  .addOption(new Option('--division <division>', '(required) closed refuses simulated results').choices(['closed', 'open']).makeOptionMandatory())
  .requiredOption('--submitter <name>', '(required) submitter folder name')
  .requiredOption('--system <name>', '(required) system description name')
  .action((sessions: string[], opts) => {
    const written = writeSubmission({ sessions, out: opts.out, division: opts.division, submitter: opts.submitter, system: opts.system });
    for (const dir of written) process.stdout.write(`${dir}\n`);
  });

program
  .command('sim-bench')
  .description('Serve the simulated energy bench on two ptys, so `run --mode energy --interface … --emon …` drives it as it would real hardware (SIMULATED)')
  .addOption(
    new Option('-b, --benchmark <id>', "model the virtual DUT runs (sww01: the streaming firmware at 115200 baud, the sww01 WAVs on the board's SD card)")
      .choices([...BENCHMARK_IDS, 'sww01'])
      .default('kws01'),
  )
  .option('--dut-clock-mhz <n>', "virtual DUT core clock (default 120, the cost model's)", positiveInt)
  .addOption(new Option('--emon <kind>', 'virtual monitor').choices(['lpm01a', 'ppk2']).default('lpm01a'))
  .option('--data-dir <dir>', 'folder with models/ (default: $TINY_BENCH_DATA, then the fetch cache)')
  .option('--dir <dir>', 'where to put the pty links (default: a new temporary folder)')
  .action(async (opts) => {
    const dataDir = resolveDataDir(opts.dataDir);
    const benchmark = opts.benchmark === 'sww01' ? SWW01 : BENCHMARKS[opts.benchmark as BenchmarkId];
    const bench = await VirtualEnergyBench.create({
      benchmark,
      model: readFileSync(modelPath(dataDir, benchmark)),
      monitor: opts.emon,
      ...(opts.dutClockMhz ? { dutClockHz: opts.dutClockMhz * 1e6 } : {}),
      ...(opts.benchmark === 'sww01' ? { dutBaud: SWW01.dutBaud, streamFiles: swwSdCard(dataDir) } : {}),
    });
    const dir: string = opts.dir ?? mkdtempSync(join(tmpdir(), 'tiny-bench-bench-'));
    const board = await exposeOnPty(bench.boardLink, dir, 'interface');
    const monitor = await exposeOnPty(bench.monitorLink, dir, opts.emon);
    process.stdout.write(
      `Simulated energy bench (SIMULATED: virtual interface board, ${opts.benchmark} firmware in energy mode, virtual ${opts.emon}):\n  interface board: ${board.path}\n  ${opts.emon}: ${monitor.path}\nIn another terminal:\n  tiny-bench run --mode energy --benchmark ${opts.benchmark} --interface ${board.path} --emon ${opts.emon}:${monitor.path}\nCtrl-C stops it.\n`,
    );
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
    const served = await serveVirtualDut({
      benchmark,
      model: readFileSync(modelPath(resolveDataDir(opts.dataDir), benchmark)),
      linkPath: opts.link,
      wireBaud: opts.wireBaud,
      wireRttMs: opts.wireRttMs,
      standard: opts.standard,
      say,
    });
    say(
      `Virtual DUT (${benchmark.id}, ${opts.standard ? 'standard EEMBC harness' : 'tiny-bench firmware'}, SIMULATED) on ${served.path}; wire ${served.wire.baudRate ? `${served.wire.baudRate} baud` : 'unpaced'}, ${opts.wireRttMs ?? 0} ms round trip. Ctrl-C stops it.`,
    );
    await exitOnSignal(say);
  });

program
  .command('report <session>')
  .description("Regenerate <session>/report.html from the session's results")
  .action((session: string) => {
    process.stdout.write(`${writeReport(session)}\n`);
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof TinyBenchError) {
    process.stderr.write(`tiny-bench: ${printable(error.message)}\n`);
    process.exitCode = error.exitCode;
  } else {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(
      `tiny-bench: internal error: ${printable(message)}\n${process.env.TINY_BENCH_DEBUG && error instanceof Error ? error.stack : '(set TINY_BENCH_DEBUG=1 for details)'}\n`,
    );
    process.exitCode = 70;
  }
});
