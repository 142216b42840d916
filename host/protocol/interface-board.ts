/**
 * Interface-board framing (protocol reference §2): the STM32H573I-DK
 * "enhanced interface board" and the EEMBC Arduino io-manager both relay DUT
 * commands as `dut <cmd>%`, acknowledge with `m-dut-passthrough(<cmd>)` and
 * `m-ready`, then relay each DUT line prefixed `[dut]: ` up to the DUT's own
 * `m-ready`. Pure: no I/O.
 */
import { ConfigError, ProtocolError } from '../errors.js';
import { READY } from './replies.js';

export type BoardKind = 'stm32h573i-dk' | 'arduino';

export const BOARD_NAMES: Record<BoardKind, string> = {
  'stm32h573i-dk': 'STM32H573I-DK interface board',
  arduino: 'Arduino EEMBC io-manager',
};

/**
 * Longest DUT command the host sends through a board. The official runner
 * uses 26-byte db chunks there (`dut db <52 hex>%`, 60 bytes on the wire,
 * under the 64 bytes the io-manager takes without handshake): 55 characters.
 */
export const BOARD_DUT_COMMAND_LIMIT = 55;

const DUT_PREFIX = '[dut]: ';
const ACK = /^m-dut-passthrough\((.*)\)$/;

/** `dut <cmd>`. An empty command would make the board answer nothing at all (prefix-only match). */
export function passthroughCommand(dutCommand: string): string {
  if (!dutCommand.trim()) throw new ConfigError('Refusing to pass an empty command to the DUT: the interface board would never answer');
  if (dutCommand.includes('%')) throw new ConfigError(`DUT command text may not contain '%': ${dutCommand}`);
  return `dut ${dutCommand}`;
}

/** Which board answered `name`, or undefined when the reply is not a known board. */
export function parseBoardName(lines: readonly string[]): BoardKind | undefined {
  if (lines.some((l) => /tinyML Enhanced Interface Board/i.test(l))) return 'stm32h573i-dk';
  if (lines.some((l) => /^m-name-io|IO Manager/i.test(l))) return 'arduino';
  return undefined;
}

/** `baud is: <n>` from checkbaud. */
export function parseCheckBaud(lines: readonly string[]): number {
  for (const line of lines) {
    const m = /^baud is:\s*(\d+)$/.exec(line.trim());
    if (m) return Number(m[1]);
  }
  throw new ProtocolError(`The interface board's reply to 'checkbaud' has no 'baud is: <n>' line`, lines);
}

export type PassthroughEvent =
  { kind: 'echo' } | { kind: 'ack' } | { kind: 'dut-line'; line: string } | { kind: 'done' } | { kind: 'unexpected'; line: string };

/**
 * Follows one passthrough through the board's lines: the acknowledgement
 * (its echo must be the command sent, then the board's m-ready), then DUT
 * lines until the DUT's `m-ready`. Lines outside that shape are reported as
 * unexpected rather than passed on as DUT output.
 */
export class PassthroughReply {
  private state: 'ack' | 'board-ready' | 'body' | 'done' = 'ack';

  constructor(readonly dutCommand: string) {}

  get finished(): boolean {
    return this.state === 'done';
  }

  get acknowledged(): boolean {
    return this.state === 'body' || this.state === 'done';
  }

  line(line: string): PassthroughEvent {
    switch (this.state) {
      case 'ack': {
        const m = ACK.exec(line);
        if (m && m[1] === this.dutCommand) {
          this.state = 'board-ready';
          return { kind: 'echo' };
        }
        return { kind: 'unexpected', line };
      }
      case 'board-ready':
        if (line === READY) {
          this.state = 'body';
          return { kind: 'ack' };
        }
        return { kind: 'unexpected', line };
      case 'body': {
        if (!line.startsWith(DUT_PREFIX)) return { kind: 'unexpected', line };
        const dut = line.slice(DUT_PREFIX.length);
        if (dut === READY) {
          this.state = 'done';
          return { kind: 'done' };
        }
        return { kind: 'dut-line', line: dut };
      }
      default:
        return { kind: 'unexpected', line };
    }
  }
}
