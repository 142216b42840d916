/**
 * Replies of the streaming-wakeword DUT and the interface board's streaming
 * commands (protocol reference §1.10, §2.1). Pure parsing, no I/O.
 */
import { ProtocolError } from '../errors.js';

const INT = /-?\d+/g;

/** The per-frame int8 activations a `stop` dumps after `target activations:` (up to m-ready). */
export function parseActivations(lines: readonly string[]): number[] {
  const at = lines.findIndex((l) => l.trim().startsWith('target activations:'));
  if (at < 0) throw new ProtocolError("The DUT's reply to 'stop' has no 'target activations:' line", lines);
  const text = [lines[at]!.trim().slice('target activations:'.length), ...lines.slice(at + 1)].join(' ');
  return (text.match(INT) ?? []).map(Number);
}

/** `print_detections`: `Detection Timestamps (ms)` then one `<ms>,` per detection. */
export function parseDetections(lines: readonly string[]): number[] {
  const at = lines.findIndex((l) => l.trim().startsWith('Detection Timestamps'));
  if (at < 0) throw new ProtocolError("The interface board's reply to 'print_detections' does not start with 'Detection Timestamps (ms)'", lines);
  const out: number[] = [];
  for (const line of lines.slice(at + 1)) {
    for (const token of line.split(',')) {
      const t = token.trim();
      if (!t) continue;
      if (!/^\d+$/.test(t)) throw new ProtocolError(`print_detections: '${t}' is not a time in ms`, lines);
      out.push(Number(t));
    }
  }
  return out;
}

/** `print_dutycycle`: start and stop ticks (10 µs) of the processing pin. */
export function parseDutyCycle(lines: readonly string[]): { startTicks: number[]; stopTicks: number[] } {
  const startAt = lines.findIndex((l) => l.trim().startsWith('Duty cycle start times'));
  const stopAt = lines.findIndex((l) => l.trim().startsWith('Duty cycle stop times'));
  if (startAt < 0 || stopAt < startAt)
    throw new ProtocolError("The interface board's reply to 'print_dutycycle' lacks 'Duty cycle start times' / 'Duty cycle stop times'", lines);
  const numbers = (part: readonly string[]): number[] =>
    part
      .join(' ')
      .split(/[,\s]+/)
      .filter(Boolean)
      .map((t) => {
        if (!/^\d+$/.test(t)) throw new ProtocolError(`print_dutycycle: '${t}' is not a tick count`, lines);
        return Number(t);
      });
  return { startTicks: numbers(lines.slice(startAt + 1, stopAt)), stopTicks: numbers(lines.slice(stopAt + 1)) };
}
