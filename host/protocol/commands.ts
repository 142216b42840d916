/**
 * Host -> DUT command text (protocol reference §1.1-1.3). Commands are ASCII,
 * terminated by '%' with no newline, and must fit the DUT's command buffer.
 */
import { crc32 } from 'node:zlib';

import { ConfigError } from '../errors.js';

/** Command buffer of the reference firmware (EE_CMD_SIZE). */
export const STANDARD_COMMAND_BUFFER = 80;

export function frame(command: string): Uint8Array {
  if (command.length === 0) throw new ConfigError('Refusing to send an empty command (undefined behaviour on the reference DUT)');
  if (command.includes('%')) throw new ConfigError(`Command text may not contain '%': ${command}`);
  return new TextEncoder().encode(`${command}%`);
}

/** Largest byte count one `db <hex>` command can carry in a buffer of `commandBuffer` characters. */
export function dbChunkBytes(commandBuffer: number): number {
  const bytes = Math.floor((commandBuffer - 'db '.length) / 2);
  if (bytes < 1) throw new ConfigError(`A command buffer of ${commandBuffer} characters cannot carry db data`);
  return bytes;
}

/** The `db <hex>` commands for `data`, each at most `commandBuffer` characters. */
export function dbDataCommands(data: Uint8Array, commandBuffer: number): string[] {
  const chunk = dbChunkBytes(commandBuffer);
  const commands: string[] = [];
  for (let offset = 0; offset < data.length; offset += chunk) {
    commands.push(`db ${Buffer.from(data.subarray(offset, offset + chunk)).toString('hex')}`);
  }
  return commands;
}

/** Largest byte count of one `db @<offset> <hex>` (tiny-bench firmware) for a buffer of `length` bytes. */
export function dbChunkBytesAt(commandBuffer: number, length: number): number {
  const bytes = Math.floor((commandBuffer - `db @${length} `.length - ' #12345678'.length) / 2);
  if (bytes < 1) throw new ConfigError(`A command buffer of ${commandBuffer} characters cannot carry db data`);
  return bytes;
}

/**
 * `<text> #<crc32 of text>`: tiny-bench firmware checks the trailing
 * checksum and refuses a command damaged on the way, where acting on a
 * garbled number (an offset, a length, a baud rate) would do harm.
 */
export function withTextCrc(text: string): string {
  return `${text} #${crc32(text).toString(16).padStart(8, '0')}`;
}

export function dbLoadCommand(bytes: number): string {
  return `db load ${bytes}`;
}

/** Always both numbers: the reference firmware's default warm-up (10) differs from its help text (0). */
export function inferCommand(iterations: number, warmups: number): string {
  if (!Number.isInteger(iterations) || iterations < 1) throw new ConfigError(`Inference count must be a positive integer, got ${iterations}`);
  if (!Number.isInteger(warmups) || warmups < 0) throw new ConfigError(`Warm-up count must be a non-negative integer, got ${warmups}`);
  return `infer ${iterations} ${warmups}`;
}
