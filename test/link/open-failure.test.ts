/** A serial port that cannot be opened is reported with what to do about it (node-serialport's own words otherwise). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { SerialLink, openFailureAdvice } from '../../host/link/serial-link.js';

describe('serial port open failures', () => {
  it.each([
    ['Error: No such file or directory, cannot open /dev/ttyACM7', /^no such port: is the board plugged in.*tiny-bench ports/],
    ['Error: Permission denied, cannot open /dev/ttyACM0', /^permission denied: .*dialout/],
    ['Error Resource temporarily unavailable Cannot lock port', /^it is in use by another program/],
    ['Error: Input/output error setting custom baud rate of 921600', /^Input\/output error setting custom baud rate of 921600$/],
  ])('%s', (message, advice) => {
    expect(openFailureAdvice(message)).toMatch(advice);
  });

  it('a path that does not exist, opened for real', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tb-open-')), 'ttyNONE');
    await expect(SerialLink.open({ path, baudRate: 115200 })).rejects.toThrow(
      new RegExp(`^Cannot open serial port ${path}: no such port: is the board plugged in`),
    );
  });
});
