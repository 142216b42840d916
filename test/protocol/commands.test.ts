import { describe, expect, it } from 'vitest';

import { STANDARD_COMMAND_BUFFER, dbChunkBytes, dbDataCommands, frame, inferCommand } from '../../host/protocol/commands.js';

describe('db chunking', () => {
  it('fills but never exceeds the 80-character reference buffer: 38 bytes = 3 + 76 characters', () => {
    expect(dbChunkBytes(STANDARD_COMMAND_BUFFER)).toBe(38);
    const data = Uint8Array.from({ length: 490 }, (_, i) => i & 0xff);
    const commands = dbDataCommands(data, 80);
    expect(commands).toHaveLength(Math.ceil(490 / 38)); // 13
    for (const c of commands) expect(c.length).toBeLessThanOrEqual(80);
    expect(commands[0]!.length).toBe(79);
    expect(commands.at(-1)).toBe(`db ${Buffer.from(data.subarray(456)).toString('hex')}`); // 490 - 12*38 = 34 bytes
    expect(Buffer.from(commands.map((c) => c.slice(3)).join(''), 'hex')).toEqual(Buffer.from(data));
  });

  it('uses lower-case hex, two digits per byte', () => {
    expect(dbDataCommands(Uint8Array.of(0x0a, 0xff, 0x00), 80)).toEqual(['db 0aff00']);
  });

  it('uses an advertised larger buffer', () => {
    expect(dbChunkBytes(8192)).toBe(4094);
    expect(dbDataCommands(new Uint8Array(27648), 8192)).toHaveLength(7);
  });

  it('refuses a buffer too small for any data', () => {
    expect(() => dbChunkBytes(4)).toThrow(/cannot carry db data/);
  });
});

describe('framing', () => {
  it('terminates with % and no newline', () => {
    expect(Buffer.from(frame('name')).toString()).toBe('name%');
  });
  it('refuses an empty command and an embedded %', () => {
    expect(() => frame('')).toThrow(/empty command/);
    expect(() => frame('db 1%2')).toThrow(/may not contain/);
  });
  it('always sends both infer numbers', () => {
    expect(inferCommand(1, 0)).toBe('infer 1 0');
    expect(() => inferCommand(0, 1)).toThrow(/positive integer/);
    expect(() => inferCommand(1, -1)).toThrow(/non-negative/);
  });
});
