/**
 * DUT -> host reply lines (protocol reference §1.4-1.9). Every parser is pure
 * and either returns a value or throws ProtocolError naming the line.
 */
import { ProtocolError, WrongAnswerError } from '../errors.js';

export const READY = 'm-ready';

const NAME = /^m-name-dut-\[([^\]]+)\]$/;
const PROFILE = /^m-profile-\[([^\]]+)\]$/;
const MODEL = /^m-model-\[([^\]]+)\]$/;
const CMD_BUFFER = /^m-cmd-buffer-\[(\d+)\]$/;
const FEATURES = /^m-features-\[([^\]]*)\]$/;
const CLOCK = /^m-clock-\[([^\]]+)\]$/;
const DB_BUFFER = /^m-db-buffer-\[(\d+)\]$/;
const RX_BUFFER = /^m-rx-buffer-\[(\d+)\]$/;
const LOAD_CRC = /^m-load-crc-\[([0-9a-f]{8})\]$/;
const LAP = /^m-lap-us-(\d+)$/;
const RESULTS = /^m-results-\[([^\]]*)\]$/;
const ERROR = /^e-\[(.*)\]$/;
const EXPECTING = /^m-\[Expecting (\d+) bytes\]$/;
const WARMUP_START = /^m-warmup-start-(\d+)$/;
const INFER_START = /^m-infer-start-(\d+)$/;
const MODE = /^m-timestamp-mode-(energy|performance)$/;
const CRC = /^m-crc-\[([0-9a-f]{8}),([0-9a-f]{8})\]$/;

/** tiny-bench firmware's integrity line: CRC-32 of the command it received and of the reply bytes it sent. */
export function parseCrcLine(line: string): { command: number; reply: number } | undefined {
  const m = CRC.exec(line);
  return m ? { command: parseInt(m[1]!, 16), reply: parseInt(m[2]!, 16) } : undefined;
}

/**
 * Whether `line` ends a reply, and what came before the `m-ready` on the
 * same line (a device that forgot a line break, e.g. the H573's
 * print_dutycycle): undefined when it is not the end, '' for a plain m-ready.
 */
export function textBeforeReady(line: string): string | undefined {
  return line.endsWith(READY) ? line.slice(0, line.length - READY.length).trimEnd() : undefined;
}

/** Levenshtein distance of two short strings. */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; ++i) {
    const next = [i];
    for (let j = 1; j <= b.length; ++j) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

/**
 * Whether a line that does not end a reply may be its end damaged on the way:
 * an `m-ready` or an integrity line `m-crc-[...]` with a character or two
 * lost, doubled or changed (no other line of either firmware comes that
 * close). The channel then waits a short grace for more instead of the whole
 * command timeout — an infer's can be minutes.
 */
export function mayBeDamagedEnd(line: string): boolean {
  if (line.length <= READY.length + 2 && editDistance(line, READY) <= 2) return true;
  const bracket = line.indexOf('[');
  return bracket > 0 && bracket <= 9 && line.length <= 32 && editDistance(line.slice(0, bracket + 1), 'm-crc-[') <= 2;
}

/** Lines a DUT prints only while booting: seeing one in a reply means it reset. */
export function isBootLine(line: string): boolean {
  return line === 'm-init-done' || MODE.test(line);
}

/** Splits a byte stream into lines: '\n' ends a line; '\r' and NUL are dropped. */
export function cleanLine(raw: string): string {
  return raw.replace(/[\r\0]/g, '');
}

/** An `e-[...]` line's message, or undefined. */
export function errorMessage(line: string): string | undefined {
  return ERROR.exec(line)?.[1];
}

/**
 * What an error reply means for the host:
 * - `damaged`: the command was probably changed on the way; the same command may be sent again;
 * - `load-lost`: the DUT no longer holds a load in progress; the input must be loaded again from `db load`;
 * - `refused`: the DUT cannot do what was asked however often it is asked (no retry helps);
 * - `unknown`: no token (standard firmware): the caller's general recovery decides.
 */
export type DutErrorKind = 'damaged' | 'load-lost' | 'refused' | 'unknown';

/**
 * Stable tokens tiny-bench firmware puts before its error messages
 * (`e-[db-gap: …]`, firmware/harness/ee_harness.c; `e-[model: …]`,
 * firmware/ports/common/mcu.c). Decisions follow the token, never the wording.
 */
export const DUT_ERROR_TOKENS = {
  usage: 'damaged',
  'unknown-command': 'damaged',
  'too-long': 'damaged',
  'db-crc': 'damaged',
  'db-hex': 'damaged',
  'db-gap': 'load-lost',
  'db-no-load': 'load-lost',
  'db-overflow': 'load-lost',
  'input-size': 'load-lost',
  'db-size': 'refused',
  'no-results': 'refused',
  model: 'refused',
  'baud-unsupported': 'refused',
  'baud-state': 'refused',
} as const satisfies Record<string, DutErrorKind>;
export type DutErrorToken = keyof typeof DUT_ERROR_TOKENS;

export interface DutError {
  /** Undefined for firmware without tokens (the reference firmware). */
  token?: DutErrorToken;
  kind: DutErrorKind;
  /** The message without its token. */
  message: string;
}

const TOKEN = /^([a-z][a-z0-9-]*): (.*)$/;

/** An `e-[...]` line as token, kind and message; undefined when `line` is no error line. */
export function parseDutError(line: string): DutError | undefined {
  const text = errorMessage(line);
  if (text === undefined) return undefined;
  const m = TOKEN.exec(text);
  if (m && Object.hasOwn(DUT_ERROR_TOKENS, m[1]!)) {
    const token = m[1] as DutErrorToken;
    return { token, kind: DUT_ERROR_TOKENS[token], message: m[2]! };
  }
  return { kind: 'unknown', message: text };
}

export function timestampMode(line: string): 'energy' | 'performance' | undefined {
  return MODE.exec(line)?.[1] as 'energy' | 'performance' | undefined;
}

export interface DutIdentity {
  name: string;
  firmware: string;
  model: string;
  /** Advertised by tiny-bench firmware only; undefined means the standard 80 characters. */
  commandBuffer?: number;
  /** Protocol extensions the firmware offers (tiny-bench: crc32, db-at). */
  features?: string[];
  /** Bytes the DUT's input buffer holds (tiny-bench firmware; what a streamed ad01 file is cut to). */
  dbBuffer?: number;
  /**
   * Bytes the DUT holds unread while it is busy (tiny-bench firmware's RX ring, `m-rx-buffer-[N]`):
   * how far ahead of its replies a host may send. Undefined: one command at a time.
   */
  rxBuffer?: number;
  /** How the core is clocked, as tiny-bench ports that know it say (stm32f4: "core 180000000 Hz, PLL from HSI (f446)"). */
  clock?: string;
}

/** CRC-32 of the whole loaded buffer, reported by tiny-bench firmware after m-load-done. */
export function parseLoadCrc(lines: readonly string[]): number | undefined {
  for (const line of lines) {
    const m = LOAD_CRC.exec(line);
    if (m) return parseInt(m[1]!, 16);
  }
  return undefined;
}

export function parseName(lines: readonly string[]): string {
  for (const line of lines) {
    const m = NAME.exec(line);
    if (m) return m[1]!;
  }
  throw new ProtocolError(`No 'm-name-dut-[...]' line in the reply to name: ${JSON.stringify(lines)}`, lines);
}

/**
 * Whether the DUT says it is simulated (tiny-bench's virtual DUT does, in its
 * name and clock line), so results measured through a pty it serves are
 * labelled like those of an in-process virtual DUT.
 */
export function saysSimulated(identity: Pick<DutIdentity, 'name' | 'clock'>): boolean {
  return /\bSIMULATED\b/.test(identity.name) || /\bSIMULATED\b/.test(identity.clock ?? '');
}

export function parseProfile(lines: readonly string[]): Omit<DutIdentity, 'name'> {
  let firmware: string | undefined;
  let model: string | undefined;
  let commandBuffer: number | undefined;
  let features: string[] | undefined;
  let clock: string | undefined;
  let dbBuffer: number | undefined;
  let rxBuffer: number | undefined;
  for (const line of lines) {
    const rx = RX_BUFFER.exec(line)?.[1];
    if (rx !== undefined) rxBuffer = Number(rx);
    const db = DB_BUFFER.exec(line)?.[1];
    if (db !== undefined) dbBuffer = Number(db);
    clock ??= CLOCK.exec(line)?.[1];
    firmware ??= PROFILE.exec(line)?.[1];
    model ??= MODEL.exec(line)?.[1];
    const buf = CMD_BUFFER.exec(line)?.[1];
    if (buf !== undefined) commandBuffer = Number(buf);
    const f = FEATURES.exec(line)?.[1];
    if (f !== undefined)
      features = f
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
  }
  if (model === undefined) throw new ProtocolError(`No 'm-model-[...]' line in the reply to profile: ${JSON.stringify(lines)}`, lines);
  return {
    firmware: firmware ?? 'unknown',
    model,
    ...(commandBuffer !== undefined ? { commandBuffer } : {}),
    ...(features ? { features } : {}),
    ...(clock ? { clock } : {}),
    ...(dbBuffer !== undefined ? { dbBuffer } : {}),
    ...(rxBuffer !== undefined ? { rxBuffer } : {}),
  };
}

export function parseExpecting(lines: readonly string[], bytes: number): void {
  const m = lines.map((l) => EXPECTING.exec(l)).find((x) => x);
  if (!m) throw new ProtocolError(`DUT did not acknowledge 'db load ${bytes}' with m-[Expecting ${bytes} bytes]: ${JSON.stringify(lines)}`, lines);
  if (Number(m[1]) !== bytes) throw new ProtocolError(`DUT expects ${m[1]} bytes after 'db load ${bytes}'`, lines);
}

/** Parses one result vector; tolerates empty items (the reference vww01 firmware's trailing comma). */
export function parseResultValues(line: string): number[] {
  const m = RESULTS.exec(line);
  if (!m) throw new ProtocolError(`Not a results line: ${JSON.stringify(line)}`, [line]);
  const items = m[1]!
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  return items.map((item) => {
    if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(item)) {
      // The line itself is intact (it parsed): a value that is no number is the DUT's answer.
      throw new WrongAnswerError(`Result value ${JSON.stringify(item)} is not a finite number in ${JSON.stringify(line)}`, [line]);
    }
    return Number(item);
  });
}

export interface InferReply {
  warmups: number;
  iterations: number;
  /** Lap stamps in order (performance mode: two). */
  laps: number[];
  results: number[];
}

/**
 * Parses the whole reply to `infer N W`: warm-up and infer markers, the two
 * laps (performance mode), and the results line. Checks the echoed counts.
 */
export function parseInferReply(lines: readonly string[], iterations: number, warmups: number, energyMode = false): InferReply {
  let warm: number | undefined;
  let iters: number | undefined;
  let done = false;
  let results: number[] | undefined;
  const laps: number[] = [];
  for (const line of lines) {
    const w = WARMUP_START.exec(line);
    if (w) warm = Number(w[1]);
    const i = INFER_START.exec(line);
    if (i) iters = Number(i[1]);
    const lap = LAP.exec(line);
    if (lap && iters !== undefined && !done) laps.push(Number(lap[1]));
    if (line === 'm-infer-done') done = true;
    if (line.startsWith('m-results-')) results = parseResultValues(line);
  }
  const fail = (why: string): never => {
    throw new ProtocolError(`Malformed reply to 'infer ${iterations} ${warmups}': ${why}`, lines);
  };
  if (warm !== warmups) fail(`warm-up count ${warm ?? 'missing'} (expected ${warmups})`);
  if (iters !== iterations) fail(`inference count ${iters ?? 'missing'} (expected ${iterations})`);
  if (!done) fail('no m-infer-done');
  if (!energyMode && laps.length !== 2) fail(`${laps.length} m-lap-us stamps between m-infer-start and m-infer-done (expected 2)`);
  if (results === undefined) fail('no m-results-[...] line');
  return { warmups: warm!, iterations: iters!, laps, results: results! };
}

/**
 * Elapsed microseconds between two readings of a 32-bit microsecond counter.
 * A reading lower than the start means the counter wrapped once, or that the
 * timer ran backwards: the two look alike, except that a wrap is as long as
 * the run really was. `longestUs` (what the command could have taken at most,
 * e.g. its timeout) tells them apart: a "wrap" longer than that is a timer
 * that went backwards.
 */
export function lapDeltaUs(startUs: number, endUs: number, longestUs = Infinity): number {
  const WRAP = 2 ** 32;
  if (startUs < 0 || endUs < 0 || startUs >= WRAP || endUs >= WRAP) {
    throw new ProtocolError(`Lap stamps ${startUs} and ${endUs} are outside the 32-bit microsecond counter`);
  }
  if (endUs >= startUs) return endUs - startUs;
  const wrapped = endUs + WRAP - startUs;
  if (wrapped > longestUs) {
    throw new WrongAnswerError(
      `the laps are out of order or damaged: the second m-lap-us (${endUs}) is below the first (${startUs}), so the DUT's timer ran backwards (as a 32-bit wrap it would mean ${(wrapped / 1e6).toFixed(2)} s, longer than the ${(longestUs / 1e6).toFixed(0)} s the command was allowed)`,
      [],
      'laps-backwards',
    );
  }
  return wrapped;
}
