/**
 * Baud switching (tiny-bench firmware feature `baud`), the pure half: the
 * commands and their replies. The DUT answers `baud <rate>` at the old rate
 * and then switches; the new rate stays only if `baud probe` and `baud
 * commit` arrive at it within the window the DUT names, else the DUT goes
 * back by itself (firmware/harness/tb_baud.h).
 */
import { ProtocolError } from '../errors.js';
import { withTextCrc } from './commands.js';

/** The feature a DUT advertises in m-features when it can switch. */
export const BAUD_FEATURE = 'baud';

/** What the DUT agreed to: the rate its divisor gives, the one it leaves, how long it waits for the commit. */
export interface BaudAck {
  rate: number;
  from: number;
  windowMs: number;
}

/** Signed: a rate damaged on the way would switch the DUT to a rate nobody listens at until its window runs out. */
export const baudCommand = (rate: number): string => withTextCrc(`baud ${rate}`);
export const BAUD_PROBE = 'baud probe';
export const BAUD_COMMIT = 'baud commit';

const ACK = /^m-baud-\[(\d+),(\d+),(\d+)\]$/;
const PROBE = /^m-baud-probe-\[(\d+)\]$/;
const COMMIT = /^m-baud-commit-\[(\d+)\]$/;

/** A divisor's rate is near, not equal to, the asked one; 2.5 % is what a UART pair tolerates. */
const RATE_TOLERANCE = 0.025;

export function rateMatches(actual: number, wanted: number): boolean {
  return Math.abs(actual - wanted) <= wanted * RATE_TOLERANCE;
}

/** The reply to `baud <rate>`: the DUT's m-baud line, its rate within tolerance of the asked one. */
export function parseBaudAck(lines: readonly string[], asked: number): BaudAck {
  const m = lines.map((l) => ACK.exec(l)).find(Boolean);
  if (!m) throw new ProtocolError(`The DUT did not answer 'baud ${asked}' with m-baud-[rate,from,window]`, [...lines]);
  const ack = { rate: Number(m[1]), from: Number(m[2]), windowMs: Number(m[3]) };
  if (!rateMatches(ack.rate, asked)) throw new ProtocolError(`Asked the DUT for ${asked} baud, its UART would run at ${ack.rate}`, [...lines]);
  return ack;
}

/** The reply to a probe or a commit at the new rate: the DUT says which rate it runs at. */
export function parseBaudReply(kind: 'probe' | 'commit', lines: readonly string[]): number {
  const re = kind === 'probe' ? PROBE : COMMIT;
  const m = lines.map((l) => re.exec(l)).find(Boolean);
  if (!m) throw new ProtocolError(`The DUT did not answer 'baud ${kind}' with m-baud-${kind}-[rate]`, [...lines]);
  return Number(m[1]);
}
