/**
 * Typed errors. Each carries an actionable message; the CLI prints `message`
 * (never a stack trace) and exits with `exitCode`.
 */
export class TinyBenchError extends Error {
  readonly exitCode: number = 1;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A reply line that does not have the shape the protocol requires. */
export class ProtocolError extends TinyBenchError {
  constructor(
    message: string,
    readonly lines: readonly string[] = [],
  ) {
    super(message);
  }
}

/**
 * The DUT answered with an `e-[...]` line. `kind` (from the firmware's error
 * token, host/protocol/replies.ts) says whether sending again can help.
 */
export class DutReportedError extends TinyBenchError {
  constructor(
    readonly command: string,
    readonly dutMessage: string,
    readonly lines: readonly string[] = [],
    readonly kind: 'damaged' | 'load-lost' | 'refused' | 'unknown' = 'unknown',
  ) {
    super(`DUT rejected '${command}': ${dutMessage}`);
  }
}

/**
 * A reply that arrived well-formed (and intact, where the firmware checks)
 * but says something impossible: a result vector that is no distribution,
 * laps that run backwards. The same wrong answer twice is the DUT, not the link.
 */
export class WrongAnswerError extends ProtocolError {
  /** Which rule the answer broke, when its numbers differ from try to try (laps); else its message identifies it. */
  constructor(
    message: string,
    lines: readonly string[] = [],
    readonly rule?: string,
  ) {
    super(message, lines);
  }
}

/** A wait ran out. `lastLines` are the last lines exchanged, for the report. */
export class TimeoutError extends TinyBenchError {
  constructor(
    message: string,
    readonly lastLines: readonly string[] = [],
  ) {
    super(lastLines.length ? `${message}\nLast lines exchanged:\n${lastLines.map((l) => `  ${l}`).join('\n')}` : message);
  }
}

export class LinkClosedError extends TinyBenchError {}

/** Boot-banner lines inside a reply: the DUT restarted under us. */
export class DutResetError extends ProtocolError {}

/** A sample (or window) failed every recovery attempt. */
export class SampleFailedError extends TinyBenchError {
  constructor(
    readonly sample: string,
    readonly attempts: number,
    readonly reason: Error,
    readonly lastLines: readonly string[],
  ) {
    super(
      `Giving up on ${sample} after ${attempts} attempts: ${reason.message.split('\nLast lines')[0]}${lastLines.length ? `\nLast lines exchanged:\n${lastLines.map((l) => `  ${l}`).join('\n')}` : ''}`,
    );
  }
}

/** A line grew past the bounded buffer without a newline. */
export class LineTooLongError extends ProtocolError {}

/** Bad dataset, labels file or model file; names the file and line. */
export class DatasetError extends TinyBenchError {
  override readonly exitCode = 2;
}

/** Bad command-line option or configuration file. */
export class ConfigError extends TinyBenchError {
  override readonly exitCode = 2;
}

/** The DUT is not what the user asked for (model id, timestamp mode). */
export class DutMismatchError extends TinyBenchError {
  override readonly exitCode = 3;
}

/** An interface board stopped relaying: it waits for a DUT that never finished, or never acknowledged. Needs a person. */
export class BoardStalledError extends TinyBenchError {}

/** An energy monitor refused a command, answered wrongly, or its stream cannot be trusted. */
export class MonitorError extends TinyBenchError {}
