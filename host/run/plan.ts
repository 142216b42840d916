/**
 * The run plan: what a session was asked to do, decided once. The CLI parses
 * flags and reads files; `buildRunPlan` turns that request into one validated
 * plan (every default, conflict and rule lives here); session.json holds
 * exactly this object, read back through the same schema for --resume.
 */
import { z } from 'zod';

import { BENCHMARK_IDS, type BenchmarkId, DEFAULT_BENCHMARK_IDS } from '../bench/benchmark.js';
import type { DeviceEntry, TestPlan } from '../config/mlcommons.js';
import { baudFor } from '../config/mlcommons.js';
import { ConfigError } from '../errors.js';
import { FAULT_KINDS } from '../link/faults.js';
import type { Link } from '../link/link.js';
import { parsePortUrl } from '../protocol/port-url.js';

export const MODES = ['performance', 'accuracy', 'energy'] as const;
export type Mode = (typeof MODES)[number];

const positiveInt = z.number().int().positive();

const DutChoiceSaved = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('sim'), commandBuffer: positiveInt.optional(), energyMode: z.boolean().optional() }).strict(),
  z.object({ kind: z.literal('qemu'), board: z.enum(['mps2-an386', 'stm32f4']).optional(), shift: z.number().int().min(0).max(10).optional() }).strict(),
  z.object({ kind: z.literal('serial'), path: z.string().min(1), baudRate: positiveInt }).strict(),
  /** A Link a program opened (library use, tests): recorded, never resumable. */
  z.object({ kind: z.literal('link'), simulated: z.boolean() }).strict(),
]);

const EnergyPlanSchema = z
  .object({
    bench: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('sim'), monitor: z.enum(['lpm01a', 'ppk2']).optional() }).strict(),
      z.object({ kind: z.literal('serial'), interfacePath: z.string().min(1), monitor: z.enum(['lpm01a', 'ppk2']), monitorPath: z.string().min(1) }).strict(),
    ]),
    voltageV: z.number().positive().max(5),
    dutBaud: positiveInt,
  })
  .strict();

const FaultOptionsSchema = z
  .object({
    rate: z.number().min(0).lt(1),
    eventRate: z.number().min(0).lt(1).optional(),
    kinds: z.array(z.enum(FAULT_KINDS)).optional(),
    seed: z.number().int().optional(),
    stallMs: z.number().positive().optional(),
  })
  .strict();

const TestPlanSchema = z
  .object({
    model: z.string(),
    truthFile: z.string().optional(),
    loops: positiveInt.optional(),
    iterations: positiveInt.optional(),
    warmups: z.number().int().nonnegative().optional(),
    stream: z.boolean(),
  })
  .strict();

/** What session.json stores. Adding a field means adding it here: nothing reaches the file unlisted. */
export const RunPlanSchema = z
  .object({
    /** Undefined: every benchmark on a virtual or emulated DUT, the DUT's own model on a board. */
    benchmarks: z
      .array(z.enum([...BENCHMARK_IDS, 'sww01']))
      .min(1)
      .optional(),
    /** Virtual DUT: its core clock in MHz (default the cost model's 120). */
    dutClockMhz: positiveInt.optional(),
    modes: z.array(z.enum(MODES)).min(1),
    dut: DutChoiceSaved,
    dataDir: z.string().min(1),
    datasetPath: z.string().optional(),
    labels: z.string().optional(),
    limit: positiveInt.optional(),
    windows: positiveInt.optional(),
    /** Virtual DUT only: faults injected on its wire on purpose. */
    faults: FaultOptionsSchema.optional(),
    /** The rate asked of a DUT that offers baud switching (feature `baud`); undefined: the link stays at its rate. */
    fastBaud: positiveInt.optional(),
    /** false (`run --no-overlap`): accuracy inputs one command at a time even where the DUT could take them ahead of replies. */
    overlap: z.literal(false).optional(),
    energy: EnergyPlanSchema.optional(),
    /** From an MLCommons tests_*.yaml: windows (loop N), warm-ups (infer N W) and truth file per model. */
    testPlans: z.record(z.string(), TestPlanSchema).optional(),
    command: z.array(z.string()),
  })
  .strict();

export type SavedRunPlan = z.infer<typeof RunPlanSchema>;
export type SavedDutChoice = z.infer<typeof DutChoiceSaved>;
export type EnergyPlan = z.infer<typeof EnergyPlanSchema>;

/** Where the DUT is. `link`: any Link the caller opens (library use, tests); it cannot be resumed from session.json. */
export type DutChoice = Exclude<SavedDutChoice, { kind: 'link' }> | { kind: 'link'; open: () => Promise<Link>; simulated: boolean; commandTimeoutMs?: number };

/** The plan a session runs: the saved plan, except that a program may hand in its own link. */
export type RunPlan = Omit<SavedRunPlan, 'dut'> & { dut: DutChoice };

/** session.json's form of a plan: exactly the schema's fields, a program's link reduced to what it was. */
export function savedPlan(plan: RunPlan): SavedRunPlan {
  const dut: SavedDutChoice = plan.dut.kind === 'link' ? { kind: 'link', simulated: plan.dut.simulated } : plan.dut;
  return RunPlanSchema.parse({ ...plan, dut });
}

/** What the command line asked for, after commander parsed it and the CLI read the YAML files. */
export interface RunRequest {
  benchmark?: BenchmarkId | 'sww01' | 'all';
  dutClockMhz?: number;
  mode: 'performance' | 'accuracy' | 'energy' | 'both';
  interface?: string;
  emon?: { monitor: 'lpm01a' | 'ppk2'; path?: string };
  voltage?: number;
  port?: string;
  baud?: number;
  /** `run --fast-baud`: a rate, or 'off'; undefined: DEFAULT_FAST_BAUD where the link can switch. */
  fastBaud?: number | 'off';
  /** `run --no-overlap` sets false. */
  overlap?: boolean;
  /** Undefined when --dut was not given. */
  dut?: 'sim' | 'qemu' | 'qemu-stm32f4';
  icountShift?: number;
  dataDir: string;
  datasetPath?: string;
  labels?: string;
  limit?: number;
  windows?: number;
  faultRate?: number;
  faults?: Array<(typeof FAULT_KINDS)[number]>;
  faultEvents?: number;
  faultSeed?: number;
  devices?: DeviceEntry[];
  testPlans?: Record<string, TestPlan>;
  command: string[];
}

/** The rate a DUT that offers baud switching is asked for unless --fast-baud says otherwise. */
export const DEFAULT_FAST_BAUD = 921_600;

/**
 * The baud switch a plan asks for: where the host sets the DUT's rate itself
 * (a serial port, RFC 2217, the virtual and QEMU DUTs), faster than the rate
 * the link opens at. Through an interface board (energy mode, the streaming
 * wakeword) the DUT's UART stays at the rate the board needs; a raw TCP port's
 * rate is the server's. Pure: the DUT's offer is only known at run time.
 */
export function fastBaudFor(r: Pick<RunRequest, 'fastBaud' | 'mode' | 'port' | 'benchmark'>, baudRate: number): number | undefined {
  const asked = typeof r.fastBaud === 'number' ? r.fastBaud : undefined;
  const why =
    r.mode === 'energy'
      ? 'in energy mode the DUT is reached through the interface board, whose UART to the DUT stays at the rate the board needs'
      : r.benchmark === 'sww01'
        ? 'the streaming wakeword runs through the interface board at the rate its harness needs'
        : r.port && parsePortUrl(r.port)?.protocol === 'tcp'
          ? `${r.port} is a raw TCP port: its rate is set on the server`
          : undefined;
  if (why) {
    refuse(asked !== undefined, `--fast-baud ${asked}: ${why}; drop --fast-baud`);
    return undefined;
  }
  if (r.fastBaud === 'off') return undefined;
  refuse(
    asked !== undefined && asked <= baudRate,
    `--fast-baud ${asked} is not faster than the link's ${baudRate} baud; give a higher rate or --fast-baud off`,
  );
  const rate = asked ?? DEFAULT_FAST_BAUD;
  return rate > baudRate ? rate : undefined;
}

/** Options whose meaning depends on another option; named as the user typed them. */
function refuse(condition: unknown, message: string): void {
  if (condition) throw new ConfigError(message);
}

/**
 * One validated plan from a request. Pure: no file is read here, so every
 * rule can be tested with plain objects.
 */
export function buildRunPlan(request: RunRequest): RunPlan {
  // A devices.yaml may name the DUT's port (a path or rfc2217:// / tcp://); --port and --dut win.
  const listedPort = request.mode !== 'energy' && !request.dut ? request.devices?.find((d) => d.type === 'dut')?.port : undefined;
  const r: RunRequest = request.port || !listedPort ? request : { ...request, port: listedPort };
  const energyMode = r.mode === 'energy';
  const onHardware = Boolean(r.port) || Boolean(r.interface);
  refuse(!energyMode && (r.interface || r.emon || r.voltage !== undefined), '--interface, --emon and --voltage belong to --mode energy');
  refuse(
    energyMode && Boolean(r.interface) !== Boolean(r.emon?.path),
    'Energy mode on hardware needs both --interface <board port> and --emon lpm01a:<port>|ppk2:<port>; without both it runs the simulated bench',
  );
  refuse(energyMode && r.port, 'In energy mode the DUT is reached through the interface board (--interface), not --port');
  refuse(r.port && r.dut && r.dut !== 'sim', `--dut ${r.dut} runs an emulated DUT and --port ${r.port} a board: choose one`);
  refuse(r.port && r.dut === 'sim', `--dut sim is the built-in virtual DUT; --port ${r.port} is a board: drop one of them`);
  refuse(r.interface && r.dut, `--dut ${r.dut} and --interface: on the hardware bench the DUT is the board behind the interface board; drop --dut`);
  const dutKind = r.dut ?? 'sim';
  refuse(r.icountShift !== undefined && !dutKind.startsWith('qemu'), '--icount-shift applies to the QEMU DUT (--dut qemu or qemu-stm32f4)');
  refuse(
    r.icountShift !== undefined && !(Number.isInteger(r.icountShift) && r.icountShift >= 0 && r.icountShift <= 10),
    '--icount-shift expects a whole number from 0 to 10 (2^n ns per instruction)',
  );
  refuse(
    r.baud !== undefined && !onHardware,
    `--baud sets the rate of a board's serial port (--port, or the DUT behind --interface); the ${dutKind === 'sim' ? 'virtual' : 'QEMU'} DUT has no baud rate`,
  );
  refuse(energyMode && dutKind !== 'sim', 'The simulated energy bench runs the virtual DUT; for QEMU use performance or accuracy mode');

  const faultsAsked = r.faultRate !== undefined || r.faults !== undefined || r.faultEvents !== undefined || r.faultSeed !== undefined;
  refuse(faultsAsked && r.faultRate === undefined, '--faults, --fault-events and --fault-seed shape the faults of --fault-rate; give --fault-rate too');
  refuse(faultsAsked && (onHardware || dutKind !== 'sim'), 'Fault injection (--fault-rate) only applies to the virtual DUT (--dut sim)');
  // The simulated energy bench has no recovery model for a damaged board wire yet: refusing beats announcing faults it never injects.
  refuse(faultsAsked && energyMode, 'Fault injection (--fault-rate) is not available in energy mode; use it with --mode performance, accuracy or both');
  refuse(r.faultEvents !== undefined && !(r.faultEvents >= 0 && r.faultEvents < 1), '--fault-events expects a probability in [0, 1)');

  const dutEntry = r.devices?.find((d) => d.type === 'dut');
  const modeForBaud = energyMode ? 'energy' : r.mode === 'accuracy' ? 'accuracy' : 'performance';
  // Energy mode's DUT UART runs at 9600 behind the board, but for the streaming wakeword (115200, as its harness).
  const baudRate = r.baud ?? (dutEntry ? baudFor(dutEntry, modeForBaud) : undefined) ?? (energyMode && r.benchmark !== 'sww01' ? 9600 : 115200);
  refuse(r.dutClockMhz !== undefined && dutKind !== 'sim', "--dut-clock-mhz sets the virtual DUT's core clock; it has no meaning for QEMU or a board");
  const energy: EnergyPlan | undefined = energyMode
    ? {
        bench: r.interface
          ? { kind: 'serial', interfacePath: r.interface, monitor: r.emon!.monitor, monitorPath: r.emon!.path! }
          : { kind: 'sim', monitor: r.emon?.monitor ?? 'lpm01a' },
        voltageV: r.voltage ?? dutEntry?.voltage ?? 1.8,
        dutBaud: baudRate,
      }
    : undefined;
  // The virtual and QEMU DUTs' firmware boots at 115200 whatever --baud says (it refuses --baud anyway).
  const fastBaud = fastBaudFor(r, r.port ? baudRate : 115200);
  const dut: DutChoice = r.port
    ? { kind: 'serial', path: r.port, baudRate }
    : dutKind === 'sim'
      ? { kind: 'sim' }
      : { kind: 'qemu', ...(dutKind === 'qemu-stm32f4' ? { board: 'stm32f4' as const } : {}), shift: r.icountShift ?? 3 };
  const benchmarks =
    r.benchmark && r.benchmark !== 'all'
      ? [r.benchmark]
      : r.benchmark === 'all' || !ownModel({ dut, ...(energy ? { energy } : {}) })
        ? [...DEFAULT_BENCHMARK_IDS]
        : undefined;
  const plan: SavedRunPlan = {
    ...(benchmarks ? { benchmarks } : {}),
    modes: r.mode === 'both' ? ['performance', 'accuracy'] : [r.mode],
    dut,
    dataDir: r.dataDir,
    ...(r.datasetPath ? { datasetPath: r.datasetPath } : {}),
    ...(r.labels ? { labels: r.labels } : {}),
    ...(r.limit ? { limit: r.limit } : {}),
    ...(r.windows ? { windows: r.windows } : {}),
    ...(r.dutClockMhz ? { dutClockMhz: r.dutClockMhz } : {}),
    ...(r.testPlans ? { testPlans: r.testPlans } : {}),
    ...(energy ? { energy } : {}),
    ...(fastBaud ? { fastBaud } : {}),
    ...(r.overlap === false ? { overlap: false as const } : {}),
    ...(r.faultRate !== undefined
      ? {
          faults: {
            rate: r.faultRate,
            seed: r.faultSeed ?? 1,
            ...(r.faultEvents !== undefined ? { eventRate: r.faultEvents } : {}),
            ...(r.faults ? { kinds: r.faults } : {}),
          },
        }
      : {}),
    command: r.command,
  };
  // The schema is the last word on shape and ranges; the DUT choice built above is already one of its forms.
  return { ...RunPlanSchema.parse(plan), dut };
}

/** A board (direct, or behind an interface board) runs the model its firmware reports. */
export function ownModel(plan: Pick<RunPlan, 'dut' | 'energy'>): boolean {
  return plan.dut.kind === 'serial' || plan.dut.kind === 'link' || plan.energy?.bench.kind === 'serial';
}

/** Options that --resume would silently drop: the saved plan is the whole truth of a session. */
export function refuseOptionsWithResume(given: readonly string[]): void {
  const extra = given.filter((name) => !['resume', 'json', 'jobs'].includes(name));
  if (extra.length) {
    throw new ConfigError(
      `--resume continues a session with the options it was started with; drop ${extra.map((n) => `--${n.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')} (to change them, start a new session; --json and --jobs may be given)`,
    );
  }
}

/** What the person running is told before anything starts: where the DUT is, and that simulated figures are simulated. */
export function planBanner(plan: RunPlan): string[] {
  const lines: string[] = [];
  const energy = plan.energy;
  if (energy?.bench.kind === 'sim') {
    lines.push(
      `Energy bench: SIMULATED — virtual STM32H573I-DK interface board (DUT UART ${energy.dutBaud} baud) and virtual ${energy.bench.monitor === 'ppk2' ? 'PPK2' : 'LPM01A'} at ${energy.voltageV} V; energies come from a documented power model, not a measurement.`,
    );
  } else if (energy?.bench.kind === 'serial') {
    const b = energy.bench;
    lines.push(
      `Energy bench: interface board on ${b.interfacePath} (DUT UART ${energy.dutBaud} baud), ${b.monitor === 'lpm01a' ? 'LPM01A' : 'PPK2'} on ${b.monitorPath} supplying ${energy.voltageV} V.`,
    );
  } else if (plan.dut.kind === 'sim') {
    lines.push('DUT: built-in virtual DUT (tiny-bench firmware compiled to WebAssembly). All timings are SIMULATED (cost-model clock).');
  }
  if (plan.dut.kind === 'qemu') {
    lines.push(
      `DUT: tiny-bench firmware on an emulated Cortex-M4F (qemu-system-arm ${plan.dut.board === 'stm32f4' ? 'netduinoplus2, stm32f4 port' : 'mps2-an386'}, -icount shift=${plan.dut.shift ?? 3}). All timings are SIMULATED (instruction counts).`,
    );
  }
  const f = plan.faults;
  if (f)
    lines.push(
      `Fault injection: byte faults ${f.rate}/byte, unplug/reset ${f.eventRate ?? f.rate / 50}/byte, kinds ${(f.kinds ?? FAULT_KINDS).join(', ')}, seed ${f.seed ?? 1}`,
    );
  return lines;
}
