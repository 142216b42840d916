import { crc32 } from 'node:zlib';

import { describe, expect, it } from 'vitest';

import { ConfigError, ProtocolError } from '../../host/errors.js';
import { checkDbAt, dbSlideCommand, inferWindowsCommand, parseDbAt, parseWindowReplies, windowResults } from '../../host/protocol/db-window.js';

describe('db-window commands and replies', () => {
  it('db slide carries the CRC-32 of its text', () => {
    expect(dbSlideCommand(25600)).toBe(`db slide 25600 #${crc32('db slide 25600').toString(16).padStart(8, '0')}`);
  });

  it('infer @ names the first window, the stride and the count; nonsense is refused before sending', () => {
    expect(inferWindowsCommand(1, 0, 2048, 512, 8)).toBe('infer 1 0 @2048,512,8');
    expect(() => inferWindowsCommand(1, 0, 0, 0, 8)).toThrow(ConfigError);
    expect(() => inferWindowsCommand(1, 0, 0, 512, 0)).toThrow(ConfigError);
    expect(() => inferWindowsCommand(1, 0, -1, 512, 1)).toThrow(ConfigError);
  });

  it('m-db-at is what the DUT holds; another stretch than expected is an error', () => {
    expect(parseDbAt(['m-db-at-[512,2560]'])).toEqual({ base: 512, length: 2560 });
    expect(() => checkDbAt(['m-db-at-[512,2048]'], 512, 2560)).toThrow(/holds 2048 bytes from 512, expected 2560 from 512/);
    expect(() => parseDbAt(['m-ready'])).toThrow(ProtocolError);
  });

  it('m-window lines: every window asked for, in order, at its offset', () => {
    const lines = ['m-window-[0,512,0000abcd,0.123456]', 'm-window-[512,498,ffff0000,1.500000]'];
    const replies = parseWindowReplies(lines, 0, 512, 2);
    expect(replies).toEqual([
      { offset: 0, elapsedUs: 512, crc: 0xabcd, resultsText: '0.123456' },
      { offset: 512, elapsedUs: 498, crc: 0xffff0000, resultsText: '1.500000' },
    ]);
    expect(replies.map(windowResults)).toEqual([[0.123456], [1.5]]);
    // A window run on wrong bytes may print anything; only its CRC is read before the caller checks it.
    expect(parseWindowReplies(['m-window-[0,512,0000abcd,inf]'], 0, 512, 1)[0]!.resultsText).toBe('inf');
    expect(() => parseWindowReplies(lines.slice(0, 1), 0, 512, 2)).toThrow(/has 1 m-window lines, expected 2/);
    expect(() => parseWindowReplies([lines[1]!, lines[0]!], 0, 512, 2)).toThrow(/Window 1 .* ran at 512, expected 0/);
    // A line damaged in its digits does not match at all: one line short.
    expect(() => parseWindowReplies(['m-window-[0,5x2,0000abcd,0.1]', lines[1]!], 0, 512, 2)).toThrow(ProtocolError);
  });
});
