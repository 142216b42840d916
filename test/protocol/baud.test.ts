/** The baud-switch replies, parsed without a DUT. */
import { crc32 } from 'node:zlib';

import { describe, expect, it } from 'vitest';

import { ProtocolError } from '../../host/errors.js';
import { baudCommand, parseBaudAck, parseBaudReply, rateMatches } from '../../host/protocol/baud.js';

describe('baud switch replies', () => {
  it('an ack names the divisor rate, the old rate and the commit window', () => {
    expect(baudCommand(921600)).toBe(`baud 921600 #${crc32('baud 921600').toString(16).padStart(8, '0')}`);
    expect(parseBaudAck(['m-baud-[925925,115207,1500]'], 921600)).toEqual({ rate: 925925, from: 115207, windowMs: 1500 });
  });

  it('a divisor more than 2.5 % off the asked rate, or no ack line, is refused', () => {
    expect(() => parseBaudAck(['m-baud-[1000000,115200,1500]'], 921600)).toThrow(/would run at 1000000/);
    expect(() => parseBaudAck(['m-name-dut-[x]'], 921600)).toThrow(ProtocolError);
    expect(rateMatches(941176, 921600)).toBe(true);
    expect(rateMatches(946000, 921600)).toBe(false);
  });

  it('probe and commit replies carry the rate; one reply is not taken for the other', () => {
    expect(parseBaudReply('probe', ['m-baud-probe-[921600]'])).toBe(921600);
    expect(parseBaudReply('commit', ['m-baud-commit-[921600]'])).toBe(921600);
    expect(() => parseBaudReply('commit', ['m-baud-probe-[921600]'])).toThrow(/baud commit/);
  });
});
