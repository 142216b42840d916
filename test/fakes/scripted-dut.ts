/**
 * A protocol-speaking fake DUT in TypeScript for runner tests that need a
 * device to misbehave on purpose (short windows, counter wrap, bad results).
 * It sits on the device end of a VirtualLink, so the runner under test uses
 * its real Link -> LineChannel -> Dut path.
 */
import type { Link } from '../../host/link/link.js';
import { createVirtualPair } from '../../host/link/virtual-link.js';
import { TextFramer } from '../../host/protocol/framing.js';

/** Calls `handle` with each '%'-terminated command arriving on `device`, however the bytes are split. */
export function onCommands(device: Link, handle: (command: string) => void): void {
  const framer = new TextFramer('%');
  device.onData((chunk) => framer.push(chunk).forEach(handle));
}

export interface ScriptedDutBehaviour {
  model: string;
  /** Microseconds one inference takes, given how many `infer` commands came before. */
  usPerInference?: (inferCall: number) => number;
  /** Initial value of the 32-bit microsecond counter. */
  clockStartUs?: number;
  /** The m-results line body for an infer. */
  results?: (inferCall: number) => string;
  /** Rewrites the reply lines of any command (inject faults). */
  rewrite?: (command: string, lines: string[], inferCall: number) => string[];
  /** Built for energy mode: timestamp prints nothing. */
  energyMode?: boolean;
  /** Never answers anything. */
  silent?: boolean;
  /**
   * Boots this long after the link opens, then prints the standard banner
   * (m-timestamp-mode-…, m-init-done, m-ready). Until then it ignores commands,
   * like a board still starting, unless `answersWhileBooting`.
   */
  bootAfterMs?: number;
  answersWhileBooting?: boolean;
}

/** `link`: the host end; `device`: the DUT's end, for writing unsolicited output. */
export function scriptedDut(behaviour: ScriptedDutBehaviour): { link: Link; device: Link; commands: string[] } {
  const pair = createVirtualPair(`scripted DUT (${behaviour.model})`);
  const commands: string[] = [];
  let clock = behaviour.clockStartUs ?? 0;
  let expected = 0;
  let received = 0;
  let inferCalls = 0;
  const reply = (command: string): string[] => {
    const [head, ...args] = command.split(' ');
    switch (head) {
      case 'name':
        return ['m-name-dut-[scripted]'];
      case 'profile':
        return ['m-profile-[scripted 1.0]', `m-model-[${behaviour.model}]`];
      case 'timestamp':
        return behaviour.energyMode ? [] : [`m-lap-us-${Math.floor(clock)}`];
      case 'db':
        if (args[0] === 'load') {
          expected = Number(args[1]);
          received = 0;
          return [`m-[Expecting ${expected} bytes]`];
        }
        received += (args[0]?.length ?? 0) / 2;
        return received >= expected ? ['m-load-done'] : [];
      case 'infer': {
        const n = Number(args[0]);
        const w = Number(args[1]);
        const call = inferCalls++;
        const per = behaviour.usPerInference?.(call) ?? 1000;
        clock = (clock + w * per) % 2 ** 32;
        const t0 = clock;
        clock = (clock + n * per) % 2 ** 32;
        const lines = [
          `m-warmup-start-${w}`,
          'm-warmup-done',
          `m-infer-start-${n}`,
          `m-lap-us-${Math.floor(t0)}`,
          `m-lap-us-${Math.floor(clock)}`,
          'm-infer-done',
          `m-results-[${behaviour.results?.(call) ?? '0.9,0.1'}]`,
        ];
        return behaviour.rewrite ? behaviour.rewrite(command, lines, call) : lines;
      }
      default:
        return [`e-[Unknown command: ${head}]`];
    }
  };
  let booted = behaviour.bootAfterMs === undefined;
  if (behaviour.bootAfterMs !== undefined) {
    setTimeout(() => {
      booted = true;
      const banner = [`m-timestamp-mode-${behaviour.energyMode ? 'energy' : 'performance'}`, 'm-init-done', 'm-ready'];
      void pair.device.write(Buffer.from(banner.map((l) => `${l}\r\n`).join(''), 'latin1')).catch(() => {});
    }, behaviour.bootAfterMs);
  }
  onCommands(pair.device, (command) => {
    commands.push(command);
    if (behaviour.silent || (!booted && !behaviour.answersWhileBooting)) return;
    let lines = reply(command);
    if (behaviour.rewrite && !command.startsWith('infer')) lines = behaviour.rewrite(command, lines, inferCalls);
    void pair.device.write(Buffer.from([...lines, 'm-ready'].map((l) => `${l}\r\n`).join(''), 'latin1'));
  });
  return { link: pair.host, device: pair.device, commands };
}
