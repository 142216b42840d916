import { DutReportedError, ProtocolError } from '../errors.js';
import { STANDARD_COMMAND_BUFFER, dbDataCommands, dbLoadCommand, inferCommand } from '../protocol/commands.js';
import { type DutIdentity, type InferReply, errorMessage, lapDeltaUs, parseExpecting, parseInferReply, parseName, parseProfile } from '../protocol/replies.js';
import type { LineChannel } from './line-channel.js';

/** Non-`e-` warnings of the reference firmware that mean the command failed (protocol reference §1.3). */
const REFERENCE_FAILURES = [/^Supplied buffer size \d+ exceeds maximum/, /^Input db has \d+ elemented, expected \d+/];

export interface DutOptions {
  /** Timeout of short commands (name, profile, db). */
  commandTimeoutMs?: number;
  /** Timeout of an infer whose duration cannot be estimated yet. */
  probeTimeoutMs?: number;
  /** Silence that counts as "the DUT has finished talking" when resynchronising. */
  settleQuietMs?: number;
  energyMode?: boolean;
}

export interface InferResult extends InferReply {
  /** Microseconds between the two laps (performance mode); undefined in energy mode. */
  elapsedUs: number | undefined;
}

/** Client for the MLPerf Tiny test-harness protocol. Knows nothing about the link underneath. */
export class Dut {
  identity: DutIdentity | undefined;
  private readonly commandTimeoutMs: number;
  private readonly probeTimeoutMs: number;
  private readonly settleQuietMs: number;

  constructor(readonly channel: LineChannel, private readonly options: DutOptions = {}) {
    this.commandTimeoutMs = options.commandTimeoutMs ?? 5000;
    this.probeTimeoutMs = options.probeTimeoutMs ?? 120_000;
    this.settleQuietMs = options.settleQuietMs ?? 200;
  }

  /** Sends one command; an `e-[...]` line (or a reference failure warning) becomes DutReportedError. */
  async send(command: string, timeoutMs = this.commandTimeoutMs): Promise<string[]> {
    const lines = await this.channel.command(command, timeoutMs);
    for (const line of lines) {
      const message = errorMessage(line) ?? (REFERENCE_FAILURES.some((re) => re.test(line)) ? line : undefined);
      if (message !== undefined) throw new DutReportedError(abbreviateCommand(command), message, lines);
    }
    return lines;
  }

  async identify(): Promise<DutIdentity> {
    const name = await this.retry(async () => parseName(await this.send('name')));
    const profile = await this.retry(async () => parseProfile(await this.send('profile')));
    this.identity = { name, ...profile };
    return this.identity;
  }

  get commandBuffer(): number {
    return this.identity?.commandBuffer ?? STANDARD_COMMAND_BUFFER;
  }

  /** `db load N`, then hex chunks that never exceed the DUT's command buffer; checks both acknowledgements. */
  async load(data: Uint8Array): Promise<void> {
    parseExpecting(await this.send(dbLoadCommand(data.length)), data.length);
    const commands = dbDataCommands(data, this.commandBuffer);
    for (let i = 0; i < commands.length; ++i) {
      const lines = await this.send(commands[i]!);
      const done = lines.includes('m-load-done');
      if (i < commands.length - 1 && done) throw new ProtocolError(`DUT reported m-load-done after chunk ${i + 1} of ${commands.length}`, lines);
      if (i === commands.length - 1 && !done) throw new ProtocolError(`DUT did not report m-load-done after all ${data.length} bytes`, lines);
    }
  }

  /**
   * `infer N W`. The timeout follows the expected run time when the caller
   * knows the time per inference (twice the estimate plus 10 s), else the probe timeout.
   */
  async infer(iterations: number, warmups: number, expectedUsPerInference?: number): Promise<InferResult> {
    const timeoutMs = expectedUsPerInference === undefined
      ? this.probeTimeoutMs
      : Math.ceil(((iterations + warmups) * expectedUsPerInference * 2) / 1000) + 10_000;
    const lines = await this.send(inferCommand(iterations, warmups), timeoutMs);
    const energy = this.options.energyMode ?? false;
    const reply = parseInferReply(lines, iterations, warmups, energy);
    const elapsedUs = energy ? undefined : lapDeltaUs(reply.laps[0]!, reply.laps[1]!);
    return { ...reply, elapsedUs };
  }

  /**
   * Parse failures get up to three attempts, like the official runner, each
   * after the line has gone quiet so a stray m-ready cannot shift later
   * replies; timeouts are not retried here.
   */
  private async retry<T>(fn: () => Promise<T>): Promise<T> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; ++attempt) {
      try {
        return await fn();
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        lastError = error;
        await this.channel.settle(this.settleQuietMs, this.commandTimeoutMs);
      }
    }
    throw lastError;
  }
}

function abbreviateCommand(command: string): string {
  return command.length > 40 ? `${command.slice(0, 40)}…` : command;
}
