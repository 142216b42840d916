/**
 * The stm32f4 clock set-up (firmware/ports/stm32f4/clock.c) on the host,
 * against a register model (firmware/tests/test_stm32_clock.c): the PLL,
 * bus dividers and wait states of each part, and the HSI fallback of every
 * bounded wait. QEMU's netduinoplus2 only exercises the PLL fallback
 * (test/e2e/qemu.test.ts). Expected values are the parts' datasheet figures.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { repoRoot } from '../helpers.js';
import { SANITIZE, buildConfig } from './native.js';

// part, core Hz, APB1 Hz, PLL M, N, P field (0: /2, 1: /4), flash wait states at 3.3 V
const PARTS = [
  ['f401', 84_000_000, 42_000_000, 16, 336, 1, 2],
  ['f411', 100_000_000, 50_000_000, 16, 400, 1, 3],
  ['f446', 180_000_000, 45_000_000, 8, 180, 0, 5],
] as const;

describe('stm32f4 clock set-up', () => {
  it.each(PARTS)('%s: rated clock, dividers and wait states; HSI when a ready bit never comes', (part, hz, pclk1, m, n, p, ws) => {
    mkdirSync(join(repoRoot, 'build'), { recursive: true });
    const exe = join(repoRoot, 'build', `test_stm32_clock_${part}`);
    const defines = { TB_STM32_PART: part, EXPECT_HZ: hz, EXPECT_PCLK1: pclk1, EXPECT_M: m, EXPECT_N: n, EXPECT_P_BITS: p, EXPECT_WS: ws };
    const build = spawnSync(
      'gcc',
      [
        ...buildConfig('flags', 'native'),
        ...SANITIZE,
        '-DTB_FAKE_REGS',
        ...Object.entries(defines).map(([k, v]) => `-D${k}=${v}${typeof v === 'number' ? 'u' : ''}`),
        '-o',
        exe,
        join(repoRoot, 'firmware/tests/test_stm32_clock.c'),
        join(repoRoot, 'firmware/ports/stm32f4/clock.c'),
      ],
      { encoding: 'utf8' },
    );
    expect(build.status, build.stderr).toBe(0);
    const run = spawnSync(exe, { encoding: 'utf8' });
    expect(run.stdout).not.toMatch(/^FAIL/m);
    expect(run.stdout).toMatch(/^\d+ passed, 0 failed$/m);
    expect(run.status).toBe(0);
  });
});
