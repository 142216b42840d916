/**
 * Opening the DUT a plan names, for one benchmark and mode: the virtual DUT,
 * QEMU, a serial board, a program's own link, or — in energy mode — the
 * energy bench with the DUT behind its interface board. Whatever it is, the
 * runner gets one `Connection`: a link it can reopen, the waits that suit it,
 * and one close.
 */
import { modelPath } from '../../datasets/data-dir.js';
import { checkTfliteModel } from '../../datasets/model-file.js';
import type { Benchmark } from '../bench/benchmark.js';
import type { Reconnectable } from '../devices/dut-session.js';
import type { TranscriptSink } from '../devices/line-channel.js';
import { ConfigError } from '../errors.js';
import { FaultInjector } from '../link/faults.js';
import type { Link } from '../link/link.js';
import { openPortLink } from '../link/port-link.js';
import { startQemuDut } from '../sim/qemu-dut.js';
import { VirtualDutConnection } from '../sim/wasm-dut.js';
import { type EnergyRig, openEnergyRig } from './energy-rig.js';
import type { Mode, RunPlan } from './plan.js';

export interface Connection extends Reconnectable {
  simulated: boolean;
  /** Timeout of short commands: a virtual DUT answers in microseconds, a board may take seconds. */
  commandTimeoutMs: number;
  /** Silence that means the DUT has finished talking. */
  settleQuietMs: number;
  faults?: FaultInjector;
  /** Energy mode: the bench (interface board and monitor) the DUT is reached through. */
  rig?: EnergyRig;
  close(): Promise<void>;
}

export async function openConnection(plan: RunPlan, mode: Mode, benchmark: Benchmark | undefined, transcript: TranscriptSink): Promise<Connection> {
  if (mode === 'energy') {
    if (!plan.energy) throw new ConfigError('Energy mode needs an energy bench (--interface and --emon, or --dut sim)');
    const rig = await openEnergyRig(plan.energy, benchmark, plan.dataDir, transcript);
    return { link: rig.link, resync: rig.resync, simulated: rig.simulated, ...rig.timing, rig, close: () => rig.close() };
  }
  const choice = plan.dut;
  if (choice.kind === 'sim') {
    if (!benchmark) throw new ConfigError('The virtual DUT needs a benchmark');
    const model = checkTfliteModel(modelPath(plan.dataDir, benchmark));
    const faults = plan.faults && (plan.faults.rate > 0 || (plan.faults.eventRate ?? 0) > 0) ? new FaultInjector(plan.faults) : undefined;
    const virtual = await VirtualDutConnection.open({
      benchmark,
      model,
      ...(choice.commandBuffer ? { commandBuffer: choice.commandBuffer } : {}),
      ...(choice.energyMode ? { energyMode: true } : {}),
      ...(faults ? { wire: { faults } } : {}),
    });
    return {
      link: virtual.link,
      simulated: true,
      bootWaitMs: 50,
      // In-process replies take microseconds: with faults injected, short waits make recovery quick; without, a
      // busy machine (other benchmarks in parallel) must never pass for a lost reply.
      commandTimeoutMs: faults ? 250 : 5000,
      settleQuietMs: 5,
      reopen: () => virtual.reopen(),
      close: () => virtual.close(),
      ...(faults ? { faults } : {}),
    };
  }
  if (choice.kind === 'link') {
    const link = await choice.open();
    const connection: Connection = {
      link,
      simulated: choice.simulated,
      bootWaitMs: 100,
      commandTimeoutMs: choice.commandTimeoutMs ?? 5000,
      settleQuietMs: 20,
      reopen: choice.open,
      close: () => connection.link.close(),
    };
    return connection;
  }
  if (choice.kind === 'qemu') {
    if (!benchmark) throw new ConfigError('The QEMU DUT needs a benchmark');
    checkTfliteModel(modelPath(plan.dataDir, benchmark));
    const qemu = await startQemuDut({
      benchmark,
      modelPath: modelPath(plan.dataDir, benchmark),
      ...(choice.board ? { board: choice.board } : {}),
      ...(choice.shift !== undefined ? { shift: choice.shift } : {}),
    });
    // Emulated timing (instruction counts), so labelled simulated like the virtual DUT.
    return { link: qemu.link, simulated: true, bootWaitMs: 2000, commandTimeoutMs: 5000, settleQuietMs: 200, close: () => qemu.close() };
  }
  // A device path or a network-exported UART (rfc2217://, tcp://): the link kind follows --port.
  const open = (): Promise<Link> => openPortLink(choice.path, choice.baudRate);
  const link = await open();
  // Many boards reset when the port opens (DTR); the official runner waits 2 s.
  // close() closes the link in use now: after a reconnect that is the reopened one (a port left open stays locked, a socket keeps the process alive).
  const connection: Connection = {
    link,
    simulated: false,
    bootWaitMs: 2000,
    commandTimeoutMs: 5000,
    settleQuietMs: 200,
    reopen: open,
    close: () => connection.link.close(),
  };
  return connection;
}
