/**
 * Baud switching, the host's half (protocol in host/protocol/baud.ts):
 * propose a rate at the old one, switch the link when the DUT agrees, prove
 * the new rate with `baud probe` and keep it with `baud commit`. When the
 * probe fails the host goes back to the old rate by itself and waits out the
 * DUT's window, after which the DUT is back too. A DUT that restarted, or a
 * link reopened at the boot rate, is found again by trying the rates it can be at.
 */
import { DutReportedError, DutResetError, LinkClosedError, TimeoutError, TinyBenchError } from '../errors.js';
import type { Link } from '../link/link.js';
import { BAUD_COMMIT, BAUD_FEATURE, BAUD_PROBE, baudCommand, parseBaudAck, parseBaudReply, rateMatches } from '../protocol/baud.js';
import { BINARY_BLOCK_BYTES, writeFiller } from './binary-load.js';
import type { Dut } from './dut.js';

/** Longest window a DUT may name (tiny-bench firmware: 1.5 s); waited out when its ack was lost. */
const ASSUMED_WINDOW_MS = 2000;
/** Proposals a switch gets when damage on the way spoils them. */
const ENGAGE_ATTEMPTS = 3;
/** A probe at a new rate is one short exchange; a DUT that does not answer it quickly is not at that rate. */
const PROBE_TIMEOUT_MS = 400;

/**
 * Largest db bin block at `rate`: what the wire carries in a quarter second
 * (a power of two), never below the default. At 921600 baud that is 16 KB:
 * each block costs two exchanges, which at that rate weigh about as much as
 * its bytes, and a damaged block, resent whole, costs a quarter second.
 * (Blocks were held to 8 KB while a host write that waited for room could
 * sleep through it: host/link/polled-binding.ts.)
 */
export function binaryBlockFor(rate: number): number {
  const bytes = (rate / 10) * 0.25;
  return Math.max(BINARY_BLOCK_BYTES, 2 ** Math.floor(Math.log2(bytes)));
}

type RateLink = Link & { setBaudRate(baud: number): Promise<unknown> };

/** What the switch came to, for the log and results.json. */
export interface BaudOutcome {
  /** The rate the link runs at after it. */
  rate: number;
  switched: boolean;
  /**
   * switched; refused (the DUT cannot make the rate); no-answer (the probe failed at the new rate: the link cannot
   * carry it); damaged (the proposal's reply was damaged, at the old rate); unconfirmed (the commit's reply never came).
   */
  kind: 'switched' | 'refused' | 'no-answer' | 'damaged' | 'unconfirmed';
  /** One line: what happened (agreed and proved, refused, fell back and why). */
  note: string;
}

/** Whether a switch can be tried: the DUT offers it, the link can change its rate, and carries raw bytes (no interface board). */
export function canSwitchBaud(dut: Dut): boolean {
  const link = dut.channel.link;
  return Boolean(dut.identity?.features?.includes(BAUD_FEATURE) && dut.integrityChecked && link.setBaudRate && link.maxCommandLength === undefined);
}

function rateLink(dut: Dut): RateLink {
  const link = dut.channel.link;
  if (!link.setBaudRate) throw new TinyBenchError(`${link.description} cannot change its baud rate`);
  return link as RateLink;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/**
 * Whatever garbage a wrong rate left in the DUT's command buffer ends in one
 * empty command ('%'), whose reply passes while the link settles. A DUT that
 * may still wait for a db bin block's raw bytes (a link lost mid-block) gets
 * them as filler first (binary-load's writeFiller), or it would
 * take the next command for block bytes.
 */
async function clearCommandBuffer(dut: Dut, owed = 0): Promise<void> {
  await writeFiller(dut, owed);
  await dut.channel.settle(Math.min(dut.settleMs, 20), 300);
}

/**
 * Proposes `rate` to a DUT running at `from` (the link's rate now). Returns
 * what happened; throws only what the session's recovery handles (a lost
 * link, a restart, a DUT that answers at neither rate).
 */
export async function switchBaud(dut: Dut, rate: number, from: number, timeoutMs = PROBE_TIMEOUT_MS): Promise<BaudOutcome> {
  const link = rateLink(dut);
  let windowMs = ASSUMED_WINDOW_MS;
  let agreedAt: number;
  try {
    const ack = parseBaudAck(await dut.send(baudCommand(rate)), rate);
    windowMs = ack.windowMs;
    agreedAt = performance.now();
  } catch (error) {
    if (error instanceof DutReportedError && error.kind === 'refused')
      return { rate: from, switched: false, kind: 'refused', note: `the DUT refused ${rate} baud (${error.message.split('\n')[0]}); staying at ${from}` };
    if (isLinkEvent(error)) throw error;
    // A damaged reply: the DUT may have switched, and then goes back once its window passes without a commit.
    // A probe answered at the old rate shows it did not, and saves the wait.
    if (!(await answersProbeAt(dut, from, timeoutMs))) {
      await sleep(windowMs);
      await verifyAt(dut, from);
    }
    return { rate: from, switched: false, kind: 'damaged', note: `no clean answer to 'baud ${rate}' (${firstLine(error)}); stayed at ${from}` };
  }
  await link.setBaudRate(rate);
  let probed = false;
  let lastError: unknown;
  // Probe and commit must reach the DUT inside its window; each attempt is short.
  while (performance.now() - agreedAt < windowMs - timeoutMs) {
    try {
      if (!probed) {
        const at = parseBaudReply('probe', await dut.send(BAUD_PROBE, timeoutMs));
        if (!rateMatches(at, rate)) throw new TinyBenchError(`the DUT answered the probe at ${at} baud`);
        probed = true;
      }
      parseBaudReply('commit', await dut.send(BAUD_COMMIT, timeoutMs));
      return { rate, switched: true, kind: 'switched', note: `switched from ${from} to ${rate} baud (probe and commit answered at ${rate})` };
    } catch (error) {
      if (isLinkEvent(error)) throw error;
      lastError = error;
      await clearCommandBuffer(dut);
    }
  }
  if (!probed) {
    // The DUT never answered at the new rate, so it never committed: it goes back when its window ends.
    await link.setBaudRate(from);
    await sleep(agreedAt + windowMs + 50 - performance.now());
    await verifyAt(dut, from);
    return { rate: from, switched: false, kind: 'no-answer', note: `no answer at ${rate} baud (${firstLine(lastError)}); both back at ${from}` };
  }
  // The probe came back but no commit reply: the DUT may have committed or not; find it.
  await sleep(agreedAt + windowMs + 50 - performance.now());
  const found = await findDutRate(dut, [from, rate]);
  if (found === undefined) throw new TimeoutError(`After a baud switch to ${rate}, the DUT answers neither at ${from} nor at ${rate} baud`);
  return {
    rate: found,
    switched: found === rate,
    kind: 'unconfirmed',
    note: `commit at ${rate} baud unconfirmed (${firstLine(lastError)}); the DUT answers at ${found}`,
  };
}

/** Whether the DUT, asked at the link's rate, says it runs at `rate` (two short tries). */
async function answersProbeAt(dut: Dut, rate: number, timeoutMs: number): Promise<boolean> {
  for (let attempt = 0; attempt < 2; ++attempt) {
    try {
      const at = parseBaudReply('probe', await dut.send(BAUD_PROBE, timeoutMs));
      return rateMatches(at, rate);
    } catch (error) {
      if (isLinkEvent(error)) throw error;
      await clearCommandBuffer(dut);
    }
  }
  return false;
}

/** After a fallback: the link at `rate`, the DUT's buffer cleared, one clean name exchange. */
async function verifyAt(dut: Dut, rate: number): Promise<void> {
  await rateLink(dut).setBaudRate(rate);
  await clearCommandBuffer(dut);
  await dut.resynchronise();
}

/**
 * Tries each rate with one short exchange until the DUT answers (any
 * complete reply counts: damage on the way is still the right rate); leaves
 * the link at that rate and returns it, or undefined (the link then at the
 * first rate). Two rounds: one exchange may fail at the right rate.
 */
export async function findDutRate(dut: Dut, rates: readonly number[], timeoutMs = PROBE_TIMEOUT_MS): Promise<number | undefined> {
  const link = rateLink(dut);
  // Which rate the filler reaches the DUT at is unknown: it goes at each until one answers.
  const owed = dut.binaryBytesOwed;
  for (let round = 0; round < 2; ++round) {
    for (const rate of rates) {
      await link.setBaudRate(rate);
      await clearCommandBuffer(dut, owed);
      try {
        await dut.channel.command('name', timeoutMs);
        dut.binaryBytesOwed = 0;
        return rate;
      } catch (error) {
        if (error instanceof LinkClosedError) throw error;
      }
    }
  }
  await link.setBaudRate(rates[0]!);
  return undefined;
}

/**
 * The session's view of the link rate: the boot rate a DUT (and a reopened
 * link) starts at, the fast rate it asks for, the rate in use, and what
 * happened, for the log.
 */
export class LinkRate {
  current: number;
  /** The last switch's outcome, for results.json. */
  outcome: BaudOutcome | undefined;
  /** Switches made (the first one and each after a restart or relink). */
  switches = 0;
  /** A fast rate given up for this session (the DUT refused it, or its probe failed: the link cannot carry it). */
  private givenUp = false;
  /** Whether a DUT that did not answer its first identification was looked for at the fast rate. */
  private searchedUnidentified = false;

  constructor(
    readonly bootRate: number,
    readonly fastRate: number,
    private readonly say: (line: string) => void = () => {},
  ) {
    this.current = bootRate;
  }

  /** A new link was opened: it runs at the boot rate. */
  linkOpened(): void {
    this.current = this.bootRate;
  }

  /** The rate in use becomes `rate`: binary blocks follow it. */
  private use(dut: Dut, rate: number): void {
    this.current = rate;
    dut.binaryBlockBytes = rate > this.bootRate ? binaryBlockFor(rate) : undefined;
  }

  /**
   * Switches up when the DUT offers it and the link is not there yet. Damage
   * on the way (a noisy link) gets another try; a refused rate or a failed
   * probe would fail again, so later recoveries do not pay for another window.
   */
  async engage(dut: Dut): Promise<void> {
    for (let attempt = 0; attempt < ENGAGE_ATTEMPTS; ++attempt) {
      if (this.givenUp || this.current === this.fastRate || !canSwitchBaud(dut)) return;
      const outcome = await switchBaud(dut, this.fastRate, this.current);
      this.use(dut, outcome.rate);
      this.outcome = outcome;
      if (outcome.switched) this.switches++;
      if (outcome.kind === 'refused' || outcome.kind === 'no-answer') this.givenUp = true;
      this.say(`baud: ${outcome.note}`);
    }
  }

  /**
   * Before re-identifying after a failure: the DUT may be at the boot rate
   * (it restarted, or went back after an unfinished switch) or still at the
   * fast one (a reopened link starts at the boot rate). Finds which, when the
   * fast rate was in play at all — or before the DUT was ever identified: a
   * board whose port does not reset it stays at the rate an earlier,
   * interrupted session committed.
   */
  async relocate(dut: Dut, restarted: boolean): Promise<void> {
    if (!dut.channel.link.setBaudRate) return;
    if (this.switches === 0 && this.current === this.bootRate) {
      // Never switched in this session: only a DUT not identified yet may sit at the fast rate; looked for once.
      if (dut.identity || this.searchedUnidentified) return;
      this.searchedUnidentified = true;
    }
    const order = restarted || this.current === this.bootRate ? [this.bootRate, this.fastRate] : [this.fastRate, this.bootRate];
    const found = await findDutRate(dut, order);
    this.use(dut, found ?? order[0]!);
    if (found === this.fastRate && !this.outcome)
      this.outcome = { rate: found, switched: true, kind: 'switched', note: `the DUT already ran at ${found} baud (an earlier session switched it)` };
    this.say(`baud: ${found === undefined ? `the DUT answers at no rate yet; trying ${this.current}` : `the DUT answers at ${found}`}`);
  }
}

function isLinkEvent(error: unknown): boolean {
  return error instanceof LinkClosedError || error instanceof DutResetError;
}

function firstLine(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0]! : String(error);
}
